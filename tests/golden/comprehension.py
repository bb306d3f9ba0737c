def dcomprehension(x, dresult=1.0):
    squares = []
    for i in range(3):
        squares.append(x[i] ** 2)
    dresult = scalar_seed(sum(squares), dresult)
    dx = zeros_like(x)
    # Grad of: return sum(squares)
    dsquares = sum_grad(dresult, squares)
    for i in reversed(range(3)):
        # Grad of: squares = [x[i] ** 2 for i in range(3)]
        dsquares, dx_i_pow_item = pop_grad(dsquares)
        dx = add_into(dx, x, i, dx_i_pow_item * 2 * x[i])
    return dx
