def dmath_module(x, dresult=1.0):
    exp_x = math.exp(x)
    x_add = x + 2.0
    log_x_add = math.log(x_add)
    dresult = scalar_seed(exp_x * log_x_add + SCALE * x, dresult)
    # Grad of: return math.exp(x) * math.log(x + 2.0) + SCALE * x
    dx = unbroadcast(dresult * SCALE, x) + unbroadcast(dresult * exp_x, log_x_add) / (x_add * math.log(math.e)) + unbroadcast(dresult * log_x_add, exp_x) * exp_x
    return dx
