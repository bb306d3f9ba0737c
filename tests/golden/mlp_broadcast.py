def dmlp_broadcast(W, b, X, dresult=1.0):
    X_matmul_W = X @ W
    h = np.tanh(X_matmul_W + b)
    # Grad of: return np.mean(h**2)
    dh = mean_grad(dresult, h) * 2 * h
    # Grad of: h = np.tanh(X @ W + b)
    dX_matmul_W_add_b = dh * (1.0 - h * h)
    db = unbroadcast(dX_matmul_W_add_b, b)
    dW = matmul_grad(unbroadcast(dX_matmul_W_add_b, X_matmul_W), X, W, 1)
    return dW, db
