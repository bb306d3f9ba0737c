def dindex_write(x, dresult=1.0):
    out = np.zeros(3)
    for i in range(3):
        out[i] = x[i] ** 2
    # Grad of: return np.sum(out * x)
    dout_mul_x = unreduce(dresult, out * x)
    dout = unbroadcast(dout_mul_x * x, out)
    dx = unbroadcast(dout_mul_x * out, x)
    for i in reversed(range(3)):
        # Grad of: out[i] = x[i] ** 2
        dx_i_pow = unbroadcast(grad_at(dout, i), x[i] ** 2)
        dout = zero_at(dout, i)
        dx = add_at(dx, x, i, dx_i_pow * 2 * x[i])
    return dx
