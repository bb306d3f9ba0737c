def dwhile_branch(w, x, dresult=1.0):
    _tape = []
    n = 0
    cond = n < 100
    n_iterations = 0
    while cond:
        n_iterations = n_iterations + 1
        cond_2 = np.sum(w * x) > 0
        if cond_2:
            _tape.append(x)
            x = np.tanh(x - w)
        else:
            _tape.append(x)
            x = np.sin(x + w) * 1.5
        n = n + 1
        cond = n < 100
        _tape.append(cond_2)
    dw = zeros_like(w)
    # Grad of: return np.sum(x * x)
    dx = unreduce(dresult, x) * (2 * x)
    for _ in range(n_iterations):
        cond_2 = _tape.pop()
        if cond_2:
            # Grad of: x = np.tanh(x - w)
            dx_sub_w = dx * (1.0 - x * x)
            x = _tape.pop()
            dx = unbroadcast(dx_sub_w, x)
            dw = dw - unbroadcast(dx_sub_w, w)
        else:
            # Grad of: x = np.sin(x + w) * 1.5
            x = _tape.pop()
            dx_add_w = dx * 1.5 * np.cos(x + w)
            dx = unbroadcast(dx_add_w, x)
            dw = dw + unbroadcast(dx_add_w, w)
    return dw, dx
