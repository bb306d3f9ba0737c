"""Branches: if / elif / else on data and on static values, early returns."""

import numpy as np

from .case import case, normal, signed, spread, uniform


def if_positive_else(x):
    if x > 0:
        y = x**2
    else:
        y = -x
    return y * 3.0


def if_elif_else_regions(x):
    if x < -1.0:
        y = -x
    elif x < 1.0:
        y = x**3
    else:
        y = np.log(x) + 1.0
    return y


def if_elif_else_middle_branch(x, y):
    if x > y + 1.0:
        z = x - y
    elif x > y - 1.0:
        z = x * y
    else:
        z = np.exp(x) / y
    return z


def if_on_array_sum(x):
    if np.sum(x) > 0:
        y = np.sin(x)
    else:
        y = np.cos(x)
    return np.sum(y * x)


def if_on_array_mean_two_args(w, x):
    if np.mean(w * x) > 0.0:
        out = np.tanh(w + x)
    else:
        out = np.tanh(w - x)
    return np.sum(out**2)


def early_return_in_branch(x, y):
    if x > y:
        return x * y
    z = x + y
    return z * z


def return_in_every_branch(x):
    if x > 1.0:
        return np.sqrt(x)
    elif x > 0.0:
        return x**2
    else:
        return -(x**3)


def nested_if_statements(x, y):
    if x > 0:
        if y > 0:
            z = x * y
        else:
            z = x - y
    else:
        if y > 0:
            z = np.exp(x) * y
        else:
            z = x + y
    return z


def and_or_in_array_condition(x, y):
    if np.sum(x) > 0 and np.sum(y) > 0:
        return np.sum(x * y)
    elif np.sum(x) > 0 or np.sum(y) > 0:
        return np.sum(x**2 - y)
    return np.sum(x + y)


def not_in_condition(x):
    if not np.all(x > 0):
        x = np.abs(x)
    return np.sum(np.log(x))


def ternary_expressions(x):
    y = x**2 if x > 1.0 else 2.0 * x
    z = np.sin(y) if y < 3.0 else y
    return z + y


def branch_on_int_mode(x, mode):
    if mode == 0:
        return np.sum(x**2)
    elif mode == 1:
        return np.sum(np.sin(x))
    else:
        return np.sum(np.exp(x))


def branch_on_bool_flag(x, y, squared=True):
    z = x * y
    if squared:
        z = z**2
    return np.sum(z)


def branch_on_ndim_and_shape(x):
    if x.ndim == 2:
        x = np.sum(x, axis=0)
    if x.shape[0] > 2:
        return np.sum(x[:2] ** 2)
    return np.sum(x)


def branch_none_default(x, scale=None):
    if scale is None:
        scale = 2.0
    return np.sum(scale * x**2)


def assign_in_if_only(x):
    y = x
    if np.max(x) > 0.5:
        y = y * 2.0
    return np.sum(y**2)


def compare_two_array_maxima(x, y):
    if np.max(x) > np.max(y):
        return np.sum(x * y)
    return np.sum(x - y**2)


def flip_sign_if_negative(x):
    if x < 0:
        x = -x
    return x * np.sin(x)


def np_any_all_conditions(x):
    if np.any(x > 1.0):
        x = x / 2.0
    if np.all(x < 1.0):
        x = x * x
    return np.sum(x)


def branch_then_shared_tail(x, y):
    if x > y:
        a = x
        b = y
    else:
        a = y
        b = x
    return a * np.exp(b) + a


def piecewise_scalar_function(x):
    if x <= -1.0:
        return -2.0 * x - 1.0
    if x <= 1.0:
        return x * x
    return 2.0 * x - 1.0


CASES = [
    case(if_positive_else, lambda r: (uniform(r, 0.3, 2.0),), name="if_positive_taken"),
    case(
        if_positive_else,
        lambda r: (uniform(r, -2.0, -0.3),),
        name="if_positive_else_taken",
    ),
    case(if_elif_else_regions, lambda r: (uniform(r, -0.8, 0.8),)),
    case(
        if_elif_else_regions,
        lambda r: (uniform(r, 1.2, 3.0),),
        name="if_elif_else_last_region",
    ),
    case(
        if_elif_else_middle_branch,
        lambda r: (uniform(r, 0.2, 0.5), uniform(r, 0.5, 1.0)),
        (0, 1),
    ),
    case(if_on_array_sum, lambda r: (uniform(r, 0.1, 1.0, 4),)),
    case(
        if_on_array_sum,
        lambda r: (uniform(r, -1.0, -0.1, 4),),
        name="if_on_array_sum_negative",
    ),
    case(
        if_on_array_mean_two_args,
        lambda r: (uniform(r, 0.2, 1.0, 3), uniform(r, -1.0, -0.2, 3)),
        ("w", "x"),
    ),
    case(
        early_return_in_branch,
        lambda r: (uniform(r, 1.0, 2.0), uniform(r, -1.0, 0.5)),
        (0, 1),
    ),
    case(
        early_return_in_branch,
        lambda r: (uniform(r, -1.0, 0.5), uniform(r, 1.0, 2.0)),
        (0, 1),
        name="early_return_not_taken",
    ),
    case(return_in_every_branch, lambda r: (uniform(r, 1.5, 3.0),)),
    case(
        nested_if_statements,
        lambda r: (uniform(r, -1.5, -0.3), uniform(r, 0.3, 1.5)),
        (0, 1),
    ),
    case(
        and_or_in_array_condition,
        lambda r: (uniform(r, 0.1, 1.0, 3), uniform(r, -1.0, -0.1, 3)),
        (0, 1),
    ),
    case(not_in_condition, lambda r: (signed(r, 0.3, 1.5, 4),)),
    case(ternary_expressions, lambda r: (uniform(r, 1.2, 1.6),)),
    case(branch_on_int_mode, lambda r: (normal(r, 3), 1)),
    case(branch_on_bool_flag, lambda r: (normal(r, 3), normal(r, 3), True), (0, 1)),
    case(branch_on_ndim_and_shape, lambda r: (normal(r, 2, 4),)),
    case(branch_none_default, lambda r: (normal(r, 3),)),
    case(assign_in_if_only, lambda r: (uniform(r, 0.7, 1.5, 3),)),
    case(
        compare_two_array_maxima,
        lambda r: (uniform(r, 0.0, 1.0, 3), uniform(r, 1.5, 2.0, 3)),
        (0, 1),
    ),
    case(flip_sign_if_negative, lambda r: (uniform(r, -2.0, -0.3),)),
    case(np_any_all_conditions, lambda r: (spread(r, 0.2, 1.8, 4),)),
    case(
        branch_then_shared_tail,
        lambda r: (uniform(r, -1.0, 0.0), uniform(r, 0.5, 1.0)),
        (0, 1),
    ),
    case(piecewise_scalar_function, lambda r: (uniform(r, -3.0, -1.5),)),
]
