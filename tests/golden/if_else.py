def dif_else(x, dresult=1.0):
    cond = x > 0
    if cond:
        y = x * x
    else:
        y = -x
    dresult = scalar_seed(y * 3.0, dresult)
    # Grad of: return y * 3.0
    dy = dresult * 3.0
    if cond:
        # Grad of: y = x * x
        dx = dy * (2 * x)
    else:
        # Grad of: y = -x
        dx = -dy
    return dx
