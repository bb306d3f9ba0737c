def dslicing(x, dresult=1.0):
    x_from_1 = x[1:]
    x_to_neg1 = x[:-1]
    x_from_1_mul_x_to_ne = x_from_1 * x_to_neg1
    sum_x_from_1_mul_x_t = np.sum(x_from_1_mul_x_to_ne)
    x_0 = x[0]
    dresult = scalar_seed(sum_x_from_1_mul_x_t + x_0, dresult)
    dx = zeros_like(x)
    # Grad of: return np.sum(x[1:] * x[:-1]) + x[0]
    dx = add_into(dx, x, 0, unbroadcast(dresult, x_0))
    dx_from_1_mul_x_to_ne = unreduce(unbroadcast(dresult, sum_x_from_1_mul_x_t), x_from_1_mul_x_to_ne)
    dx = add_into(dx, x, slice(None, -1, None), unbroadcast(dx_from_1_mul_x_to_ne * x_from_1, x_to_neg1))
    dx = add_into(dx, x, slice(1, None, None), unbroadcast(dx_from_1_mul_x_to_ne * x_to_neg1, x_from_1))
    return dx
