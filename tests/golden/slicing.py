def dslicing(x, dresult=1.0):
    x_item = x[1:]
    x_item_2 = x[:-1]
    x_item_mul_x_item = x_item * x_item_2
    sum_x_item_mul_x_ite = np.sum(x_item_mul_x_item)
    x_item_3 = x[0]
    dresult = scalar_seed(sum_x_item_mul_x_ite + x_item_3, dresult)
    dx = zeros_like(x)
    # Grad of: return np.sum(x[1:] * x[:-1]) + x[0]
    dx = add_at(dx, x, 0, unbroadcast(dresult, x_item_3))
    dx_item_mul_x_item = unreduce(unbroadcast(dresult, sum_x_item_mul_x_ite), x_item_mul_x_item, None, False, True)
    dx = add_at(dx, x, slice(None, -1, None), unbroadcast(dx_item_mul_x_item * x_item, x_item_2))
    dx = add_at(dx, x, slice(1, None, None), unbroadcast(dx_item_mul_x_item * x_item_2, x_item))
    return dx
