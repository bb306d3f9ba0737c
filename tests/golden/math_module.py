def dmath_module(x, dresult=1.0):
    exp_x = math.exp(x)
    x_add = x + 2.0
    # Grad of: return math.exp(x) * math.log(x + 2.0) + SCALE * x
    dx = dresult * SCALE + dresult * exp_x / x_add + dresult * math.log(x_add) * exp_x
    return dx
