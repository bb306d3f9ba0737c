def dreturn_in_loop(x, dresult=1.0):
    _tape = []
    returned = False
    n_iterations = 0
    for i in range(20):
        n_iterations = n_iterations + 1
        _tape.append(x)
        x = np.cos(x)
        cond = x > 0.7
        if cond:
            result = x * 2.0
            returned = True
            _tape.append(cond)
            break
        _tape.append(cond)
    if not returned:
        result = x
    dresult = scalar_seed(result, dresult)
    dx = zeros_like(x)
    if not returned:
        # Grad of: return x
        dx = dresult
        dresult = 0.0
    for i in reversed(range(20)[:n_iterations]):
        cond = _tape.pop()
        if cond:
            # Grad of: return x * 2.0
            dx = dx + dresult * 2.0
            dresult = 0.0
        # Grad of: x = np.cos(x)
        x = _tape.pop()
        dx = -dx * np.sin(x)
    return dx
