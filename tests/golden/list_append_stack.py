def dlist_append_stack(x, dresult=1.0):
    rows = []
    for i in range(3):
        rows.append(x * (i + 1.0))
    stack_rows = np.stack(rows)
    dx = zeros_like(x)
    # Grad of: return np.sum(np.stack(rows) ** 2)
    drows = unstack(unreduce(dresult, stack_rows) * 2 * stack_rows, rows)
    for i in reversed(range(3)):
        # Grad of: rows.append(x * (i + 1.0))
        drows, dx_mul_i_add_item = pop_grad(drows)
        dx = dx + unbroadcast(dx_mul_i_add_item * (i + 1.0), x)
    return dx
