def dbreak_early(x, dresult=1.0):
    y = x
    n_iterations = 0
    for i in range(10):
        n_iterations = n_iterations + 1
        y = y * 1.5
        if y > 4.0:
            break
    dresult = scalar_seed(y, dresult)
    # Grad of: return y
    dy = dresult
    for i in reversed(range(10)[:n_iterations]):
        # Grad of: y = y * 1.5
        dy = dy * 1.5
    # Grad of: y = x
    dx = dy
    return dx
