def dtuple_swap(a, b, dresult=1.0):
    _tape = []
    for i in range(3):
        a_add_b = a + b
        _tape.append(a)
        a = b
        _tape.append(b)
        b = a_add_b
    dresult = scalar_seed(a * b, dresult)
    # Grad of: return a * b
    da = unbroadcast(dresult * b, a)
    db = unbroadcast(dresult * a, b)
    for i in reversed(range(3)):
        # Grad of: a, b = b, a + b
        b = _tape.pop()
        a = _tape.pop()
        db_2 = da
        da = unbroadcast(db, a)
        db = unbroadcast(db, b) + db_2
    return da, db
