def dreductions_axis(X, dresult=1.0):
    m = X.max(axis=1, keepdims=True)
    exp_X_sub_m = np.exp(X - m)
    sum_exp_X_sub_m = np.sum(exp_X_sub_m, axis=1)
    # Grad of: return np.sum(np.log(np.sum(np.exp(X - m), axis=1)))
    dX_sub_m = unreduce(unreduce(dresult, sum_exp_X_sub_m) / sum_exp_X_sub_m, exp_X_sub_m, 1) * exp_X_sub_m
    dm = -unbroadcast(dX_sub_m, m)
    # Grad of: m = X.max(axis=1, keepdims=True)
    dX = unbroadcast(dX_sub_m, X) + extremum_grad(dm, m, X, 1, keepdims=True)
    return dX
