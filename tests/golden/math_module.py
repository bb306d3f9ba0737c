def dmath_module(x, dresult=1.0):
    exp_x = math.exp(x)
    x_add = x + 2.0
    log_x_add = math.log(x_add)
    dresult = scalar_seed(exp_x * log_x_add + SCALE * x, dresult)
    # Grad of: return math.exp(x) * math.log(x + 2.0) + SCALE * x
    dx = dresult * SCALE + dresult * exp_x / x_add + dresult * log_x_add * exp_x
    return dx
