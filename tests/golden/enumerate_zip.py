def denumerate_zip(xs, ys, dresult=1.0):
    _tape = []
    acc = 0.0
    n_items = min(len(xs), len(ys))
    for i in range(n_items):
        a = xs[i]
        b = ys[i]
        _tape.append(acc)
        acc = acc + (i + 1.0) * a * b
    dresult = scalar_seed(acc, dresult)
    dxs = zeros_like(xs)
    dys = zeros_like(ys)
    # Grad of: return acc
    dacc = dresult
    for i in reversed(range(n_items)):
        # Grad of: acc = acc + (i + 1.0) * a * b
        acc = _tape.pop()
        dacc_add_i_add_mul_a = dacc
        dacc = unbroadcast(dacc, acc)
        b = ys[i]
        a = xs[i]
        db = unbroadcast(dacc_add_i_add_mul_a * ((i + 1.0) * a), b)
        da = unbroadcast(dacc_add_i_add_mul_a * b * (i + 1.0), a)
        # Grad of: for i, (a, b) in enumerate(zip(xs, ys)):
        dys = add_into(dys, ys, i, db)
        dxs = add_into(dxs, xs, i, da)
    return dxs, dys
