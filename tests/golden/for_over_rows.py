def dfor_over_rows(X, w, dresult=1.0):
    _tape = []
    total = 0.0
    len_X = len(X)
    for i in range(len_X):
        row = X[i]
        dot_row = np.dot(row, w)
        _tape.append(total)
        total = total + dot_row
        _tape.append(dot_row)
    dresult = scalar_seed(total, dresult)
    dX = zeros_like(X)
    dw = zeros_like(w)
    # Grad of: return total
    dtotal = dresult
    for i in reversed(range(len_X)):
        dot_row = _tape.pop()
        # Grad of: total = total + np.dot(row, w)
        total = _tape.pop()
        dtotal_add_dot_row = dtotal
        dtotal = unbroadcast(dtotal, total)
        ddot_row = unbroadcast(dtotal_add_dot_row, dot_row)
        row = X[i]
        drow = dot_grad(shaped(ddot_row, dot_row), row, w, 0)
        dw = dw + dot_grad(shaped(ddot_row, dot_row), row, w, 1)
        # Grad of: for row in X:
        dX = add_into(dX, X, i, drow)
    return dX, dw
