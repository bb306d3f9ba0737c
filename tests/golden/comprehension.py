def dcomprehension(x, dresult=1.0):
    items = []
    for i_2 in range(3):
        items.append(x[i_2] ** 2)
    squares = items
    dresult = scalar_seed(sum(squares), dresult)
    dx = zeros_like(x)
    # Grad of: return sum(squares)
    dsquares = sum_grad(dresult, squares)
    # Grad of: squares = [x[i] ** 2 for i in range(3)]
    ditems = dsquares
    for i_2 in reversed(range(3)):
        # Grad of: squares = [x[i] ** 2 for i in range(3)]
        ditems, dx_item_pow_item = pop_grad(ditems)
        dx = add_at(dx, x, i_2, dx_item_pow_item * 2 * x[i_2])
    return dx
