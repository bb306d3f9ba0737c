def drecursive(x, n, dresult=1.0):
    cond = n == 0
    if cond:
        result = x
    else:
        sin_x = np.sin(x)
        n_sub = n - 1
        result = recursive(sin_x, n_sub)
    dresult = scalar_seed(result, dresult)
    if cond:
        # Grad of: return x
        dx = dresult
    else:
        # Grad of: return recursive(np.sin(x), n - 1)
        dsin_x_recursive = drecursive_wrt_x(sin_x, n_sub, dresult=dresult)
        dx = dsin_x_recursive * np.cos(x)
    return dx
