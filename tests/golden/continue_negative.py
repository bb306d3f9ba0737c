def dcontinue_negative(x, dresult=1.0):
    _tape = []
    total = 0.0
    len_x = len(x)
    for i in range(len_x):
        v = x[i]
        cond = v < 0
        if not cond:
            _tape.append(total)
            total = total + np.sqrt(v)
        _tape.append(cond)
    dresult = scalar_seed(total, dresult)
    dx = zeros_like(x)
    dv = 0.0
    # Grad of: return total
    dtotal = dresult
    for i in reversed(range(len_x)):
        cond = _tape.pop()
        if not cond:
            # Grad of: total = total + np.sqrt(v)
            total = _tape.pop()
            dtotal_add_sqrt_v = dtotal
            dtotal = unbroadcast(dtotal, total)
            v = x[i]
            dv = unbroadcast(dtotal_add_sqrt_v / (2.0 * np.sqrt(v)), v)
        # Grad of: for v in x:
        dx = add_into(dx, x, i, dv)
        dv = 0.0
    return dx
