"""Tuples, lists and dicts: packing, unpacking, append, comprehensions."""

# Written the way users write code (an unused loop variable, zip without strict=):
# keep it so.
# ruff: noqa: B007, B905

import numpy as np

from .case import case, normal, uniform


def sin_cos_pair(x):
    return np.sin(x), np.cos(x)


def min_max_pair(a, b):
    if a < b:
        return a, b
    return b, a


def state_and_history(h, x):
    return np.tanh(h + x), [h, x * 2.0]


def three_values(x):
    return np.sin(x), x * x, np.cos(x)


def tuple_helper_in_loop_with_list(x, w):
    h = w * 1.0
    total = 0.0
    for i in range(3):
        h, hist = state_and_history(h, x)
        total = total + np.sum(hist[1] * h) + np.sum(hist[0])
    return total + np.sum(h)


def tuple_helper_unused_and_break(x):
    acc = 0.0
    for i in range(4):
        a, _, c = three_values(x)
        if i == 2:
            break
        acc = acc + np.sum(a * c)
        x = x + a
    return acc


def tuple_pack_unpack(x, y):
    t = (x, y * 2.0)
    a, b = t
    return a * b + a


def tuple_swap(x, y):
    x, y = y, x * y
    return x * np.sin(y)


def tuple_fibonacci_update(a, b):
    for _ in range(5):
        a, b = b, a + b
    return a * b


def tuple_indexing(x):
    t = (np.sin(x), np.cos(x), x)
    return t[0] * t[1] + t[2] ** 2 + t[-1]


def tuple_from_helper(x):
    s, c = sin_cos_pair(x)
    return s * s * c


def tuple_from_helper_indexed(x):
    pair = sin_cos_pair(x)
    return np.sum(pair[0] * pair[1])


def tuple_helper_with_branch(x, y):
    lo, hi = min_max_pair(x, y)
    return hi - lo * lo


def tuple_nested_unpack(x, y):
    (a, b), c = (x, y), x * y
    return a * c + b


def tuple_starred_unpack(x):
    first, *rest = x[0], x[1], x[2]
    return first * sum(rest)


def tuple_of_arrays_loop(x, y):
    total = 0.0
    for arr in (x, y, x * y):
        total = total + np.sum(arr**2)
    return total


def list_append_in_loop(x):
    ys = []
    for i in range(4):
        ys.append(x ** (i + 1))
    return sum(ys)


def list_index_and_negative_index(x):
    ys = [x, 2.0 * x, x**2]
    return ys[-1] * ys[0] + ys[1]


def list_to_np_stack(x):
    rows = []
    for i in range(3):
        rows.append(np.sin(x * (i + 1)))
    M = np.stack(rows)
    return np.sum(M @ x)


def list_stack_axis_one(x, y):
    M = np.stack([x, y, x * y], axis=1)
    return np.sum(M**2 * np.arange(1.0, 4.0))


def list_of_scalars_to_np_array(x, y):
    v = np.array([x, y, x * y])
    return np.sum(v**2)


def list_of_array_elements_to_np_array(x):
    v = np.array([x[0] * x[1], x[2], np.sin(x[0])])
    return np.sum(v * np.array([1.0, 2.0, 3.0]))


def list_comprehension_over_range(x):
    squares = [x[i] ** 2 for i in range(3)]
    return sum(squares)


def list_comprehension_over_rows(X):
    return np.sum(np.stack([np.sin(r) for r in X]) ** 2)


def list_comprehension_over_elements(x):
    values = [np.exp(-v) * v for v in x]
    return sum(values)


def list_comprehension_with_filter(x):
    picked = [x[i] * i for i in range(len(x)) if i % 2 == 1]
    return sum(picked)


def list_comprehension_zip(x, y):
    return sum([a * b for a, b in zip(x, y)])


def list_comprehension_enumerate(x):
    return sum([k * np.tanh(v) for k, v in enumerate(x)])


def list_sum_of_arrays(x):
    parts = [x, x**2, np.sin(x)]
    return np.sum(sum(parts))


def list_set_item(x):
    ys = [x, x, x]
    ys[1] = np.sin(x)
    return ys[0] * ys[1] * ys[2]


def list_pop_last(x):
    stack = [x, x * 2.0]
    stack.append(x**3)
    top = stack.pop()
    return top + stack[-1]


def list_concatenation(x):
    ys = [x] + [2.0 * x, x * x]
    return ys[0] * ys[2] - ys[1]


def list_len_mean(x):
    vals = []
    for v in x:
        vals.append(v * v)
    return sum(vals) / len(vals)


def list_reversed_iteration(x):
    acc = 0.0
    for v in reversed([x[0], x[1], x[2]]):
        acc = acc * 0.5 + v
    return acc * acc


def list_extend(x, y):
    items = [x]
    items.extend([y, x * y])
    return sum(items) * items[-1]


def list_of_lists_nested(x):
    grid = [[x, x * 2.0], [x**2, 1.0]]
    return grid[0][1] * grid[1][0] + grid[1][1]


def list_coefficients_argument(x, coeffs):
    total = 0.0
    for k, c in enumerate(coeffs):
        total = total + c * x**k
    return total


def np_concatenate_list(x, y):
    z = np.concatenate([x, y**2])
    return np.sum(z * np.arange(z.size))


def dict_of_parameters(x):
    p = {"a": x, "b": 2.0 * x}
    return p["a"] * p["b"] + p["a"]


def dict_updated_in_loop(x):
    state = {"h": x, "t": 0.0}
    for i in range(3):
        state["h"] = np.tanh(state["h"]) + x
        state["t"] = state["t"] + state["h"]
    return state["t"]


CASES = [
    case(tuple_pack_unpack, lambda r: (normal(r), normal(r)), (0, 1)),
    case(tuple_swap, lambda r: (normal(r), normal(r)), (0, 1)),
    case(tuple_fibonacci_update, lambda r: (normal(r), normal(r)), ("a", "b")),
    case(tuple_indexing, lambda r: (normal(r),)),
    case(tuple_from_helper, lambda r: (normal(r),)),
    case(
        tuple_helper_in_loop_with_list,
        lambda r: (normal(r, 3), normal(r, 3)),
        (0, 1),
    ),
    case(tuple_helper_unused_and_break, lambda r: (normal(r, 3),)),
    case(tuple_from_helper_indexed, lambda r: (normal(r, 3),)),
    case(
        tuple_helper_with_branch,
        lambda r: (uniform(r, 0.0, 0.5), uniform(r, 1.0, 1.5)),
        (0, 1),
    ),
    case(tuple_nested_unpack, lambda r: (normal(r), normal(r)), (0, 1)),
    case(tuple_starred_unpack, lambda r: (normal(r, 3),)),
    case(tuple_of_arrays_loop, lambda r: (normal(r, 3), normal(r, 3)), (0, 1)),
    case(list_append_in_loop, lambda r: (normal(r),)),
    case(list_index_and_negative_index, lambda r: (normal(r),)),
    case(list_to_np_stack, lambda r: (normal(r, 3),)),
    case(list_stack_axis_one, lambda r: (normal(r, 4), normal(r, 4)), (0, 1)),
    case(list_of_scalars_to_np_array, lambda r: (normal(r), normal(r)), (0, 1)),
    case(list_of_array_elements_to_np_array, lambda r: (normal(r, 3),)),
    case(list_comprehension_over_range, lambda r: (normal(r, 4),)),
    case(list_comprehension_over_rows, lambda r: (normal(r, 3, 2),)),
    case(list_comprehension_over_elements, lambda r: (normal(r, 4),)),
    case(list_comprehension_with_filter, lambda r: (normal(r, 5),)),
    case(list_comprehension_zip, lambda r: (normal(r, 3), normal(r, 3)), (0, 1)),
    case(list_comprehension_enumerate, lambda r: (normal(r, 4),)),
    case(list_sum_of_arrays, lambda r: (normal(r, 3),)),
    case(list_set_item, lambda r: (normal(r),)),
    case(list_pop_last, lambda r: (normal(r),)),
    case(list_concatenation, lambda r: (normal(r),)),
    case(list_len_mean, lambda r: (normal(r, 4),)),
    case(list_reversed_iteration, lambda r: (normal(r, 3),)),
    case(list_extend, lambda r: (normal(r), normal(r)), (0, 1)),
    case(list_of_lists_nested, lambda r: (normal(r),)),
    case(list_coefficients_argument, lambda r: (normal(r), [1.0, -2.0, 0.5, 0.25])),
    case(np_concatenate_list, lambda r: (normal(r, 2), normal(r, 3)), (0, 1)),
    case(dict_of_parameters, lambda r: (normal(r),)),
    case(dict_updated_in_loop, lambda r: (normal(r),)),
]
