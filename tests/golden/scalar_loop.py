def dscalar_loop(x, a, dresult=1.0):
    _tape = []
    for i in range(1000):
        _tape.append(x)
        x = x * 0.99 + np.sin(x) * a
    dresult = scalar_seed(x, dresult)
    da = zeros_like(a)
    # Grad of: return x
    dx = dresult
    for i in reversed(range(1000)):
        # Grad of: x = x * 0.99 + np.sin(x) * a
        x = _tape.pop()
        da = da + unbroadcast(dx * np.sin(x), a)
        dx = unbroadcast(dx * (a * np.cos(x) + 0.99), x)
    return dx, da
