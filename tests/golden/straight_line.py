def dstraight_line(x, y, dresult=1.0):
    exp_x = np.exp(x)
    z = x * y + exp_x
    result = z / y
    dresult = scalar_seed(result, dresult)
    # Grad of: return z / y
    dz = unbroadcast(dresult / y, z)
    # Grad of: z = x * y + np.exp(x)
    dx = unbroadcast(dz * (exp_x + y), x)
    dy = unbroadcast(-dresult * result / y, y) + unbroadcast(dz * x, y)
    return dx, dy
