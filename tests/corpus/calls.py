"""Calls: user helpers, keyword and default arguments, recursion, builtins."""

import math

import numpy as np

from .case import case, normal, signed, spread, uniform

SCALE = 0.5
OFFSET = 1.25
DECAY = 0.9
COEFFS = (1.0, -0.5, 0.25)
W_FIXED = np.array([[1.0, -0.5, 0.25], [0.5, 2.0, -1.0]])


# ----- Helpers (not cases themselves) -----


def square_plus_one(x):
    return x**2 + 1.0


def weighted_sum(x, y, weight=1.0):
    return np.sum(x + weight * y)


def scaled_softplus(x, beta=1.0):
    return np.sum(np.log(1.0 + np.exp(beta * x)) / beta)


def smooth_step(x):
    return x * x * (3.0 - 2.0 * x)


def inner_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def outer_gate(x, w):
    return inner_sigmoid(w * x) * x


def gated_layer(x, w, b):
    return outer_gate(x, w) + b


def recursive_sin(x, n):
    return x if n == 0 else recursive_sin(np.sin(x), n - 1)


def recursive_power(x, n):
    if n == 0:
        return 1.0
    return x * recursive_power(x, n - 1)


def recursive_tree_sum(x, depth):
    if depth == 0:
        return np.tanh(x)
    left = recursive_tree_sum(x * 0.5, depth - 1)
    right = recursive_tree_sum(x + 0.1, depth - 1)
    return left * right + x


def mean_and_std(x):
    m = np.mean(x)
    s = np.sqrt(np.mean((x - m) ** 2))
    return m, s


def split_even_odd(x):
    return x[::2], x[1::2]


def affine(W, b, x):
    return W @ x + b


def clipped_helper(x, lo=-1.0, hi=1.0):
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


def helper_with_keyword_only(x, *, power=2, scale=1.0):
    return scale * x**power


def helper_with_early_return(x):
    if np.sum(x) > 0:
        return np.sum(np.sqrt(x))
    return np.sum(x**2)


def helper_loop(x, steps):
    for _ in range(steps):
        x = DECAY * x + np.sin(x)
    return x


def is_even_depth(x, n):
    if n == 0:
        return x
    return is_odd_depth(x * 1.1, n - 1)


def is_odd_depth(x, n):
    if n == 0:
        return -x
    return is_even_depth(np.sin(x), n - 1)


# ----- Cases -----


def call_simple_helper(x):
    return np.sum(square_plus_one(x))


def call_with_keyword_argument(x, y):
    return weighted_sum(x, y, weight=0.3)


def call_with_default_argument(x):
    return scaled_softplus(x) + scaled_softplus(x, beta=2.0)


def call_with_keyword_for_positional(x, y):
    return weighted_sum(y=y**2, x=x, weight=2.0)


def call_helper_in_loop(x):
    total = 0.0
    for i in range(4):
        total = total + smooth_step(x * (i + 1) * 0.2)
    return total


def call_nested_helpers(x, w, b):
    return np.sum(gated_layer(x, w, b) ** 2)


def call_recursion_with_depth(x):
    return recursive_sin(x, 4)


def call_recursion_on_array(x):
    return np.sum(recursive_sin(x, 3) ** 2)


def call_recursive_power(x):
    return recursive_power(x, 5) + recursive_power(x, 2)


def call_tree_recursion(x):
    return recursive_tree_sum(x, 2)


def call_mutual_recursion(x):
    return is_even_depth(x, 4) * is_odd_depth(x, 1)


def use_module_constants(x):
    return SCALE * np.sum(x**2) + OFFSET


def use_module_array_constant(x):
    return np.sum(np.tanh(W_FIXED @ x))


def use_module_tuple_constant(x):
    return COEFFS[0] + COEFFS[1] * x + COEFFS[2] * x**2


def call_helper_returning_tuple(x):
    m, s = mean_and_std(x)
    return m * s + s**2


def call_helper_tuple_index(x):
    parts = split_even_odd(x)
    return np.sum(parts[0] ** 2) * np.sum(parts[1])


def call_helper_with_array_and_scalar_args(W, b, x):
    return np.sum(np.tanh(affine(W, b, x)))


def call_helper_twice(x, y):
    return np.sum(square_plus_one(x) * square_plus_one(y))


def call_helper_with_branches(x, y):
    return clipped_helper(x) * y + clipped_helper(y, lo=0.0, hi=0.5)


def call_helper_keyword_only(x):
    return np.sum(helper_with_keyword_only(x, power=3, scale=0.5))


def call_helper_with_early_return(x):
    return helper_with_early_return(x) * 2.0


def call_helper_containing_loop(x):
    return np.sum(helper_loop(x, 3))


def call_result_of_call(x):
    return np.sum(square_plus_one(square_plus_one(x) * 0.5))


def builtin_sum_and_len(x):
    return sum([x[0], x[1] ** 2, x[2] ** 3]) / len(x)


def builtin_sum_over_generator(x):
    return sum(x[i] * x[i + 1] for i in range(len(x) - 1))


def builtin_abs_on_array(x):
    return np.sum(abs(x) * x)


def builtin_pow_three_forms(x, y):
    return pow(x, 2) + pow(y, 0.5) + pow(x * y, 3)


def builtin_max_min_of_list(x):
    return max(x[0], x[1], x[2]) - min([x[0], x[1], x[2]])


def builtin_max_min_over_array(x):
    return max(x) * min(x)


def math_in_helper_and_case(x):
    return math.sqrt(x) * math.exp(-x) + np.sum(math.pi * square_plus_one(x))


CASES = [
    case(call_simple_helper, lambda r: (normal(r, 3),)),
    case(call_with_keyword_argument, lambda r: (normal(r, 3), normal(r, 3)), (0, 1)),
    case(call_with_default_argument, lambda r: (normal(r, 3),)),
    case(
        call_with_keyword_for_positional,
        lambda r: (normal(r, 3), normal(r, 3)),
        ("x", "y"),
    ),
    case(call_helper_in_loop, lambda r: (normal(r),)),
    case(
        call_nested_helpers,
        lambda r: (normal(r, 3), normal(r, 3), normal(r)),
        (0, 1, 2),
    ),
    case(call_recursion_with_depth, lambda r: (normal(r),)),
    case(call_recursion_on_array, lambda r: (normal(r, 3),)),
    case(call_recursive_power, lambda r: (normal(r),)),
    case(call_tree_recursion, lambda r: (normal(r),)),
    case(call_mutual_recursion, lambda r: (normal(r),)),
    case(use_module_constants, lambda r: (normal(r, 4),)),
    case(use_module_array_constant, lambda r: (normal(r, 3),)),
    case(use_module_tuple_constant, lambda r: (normal(r),)),
    case(call_helper_returning_tuple, lambda r: (normal(r, 5),)),
    case(call_helper_tuple_index, lambda r: (normal(r, 6),)),
    case(
        call_helper_with_array_and_scalar_args,
        lambda r: (normal(r, 2, 3), normal(r, 2), normal(r, 3)),
        ("W", "b"),
    ),
    case(call_helper_twice, lambda r: (normal(r, 3), normal(r, 3)), (0, 1)),
    case(
        call_helper_with_branches,
        lambda r: (uniform(r, -0.8, 0.8), uniform(r, 0.1, 0.4)),
        (0, 1),
    ),
    case(call_helper_keyword_only, lambda r: (normal(r, 3),)),
    case(call_helper_with_early_return, lambda r: (uniform(r, 0.2, 1.0, 3),)),
    case(call_helper_containing_loop, lambda r: (normal(r, 3),)),
    case(call_result_of_call, lambda r: (normal(r, 3),)),
    case(builtin_sum_and_len, lambda r: (normal(r, 3),)),
    case(builtin_sum_over_generator, lambda r: (normal(r, 5),)),
    case(builtin_abs_on_array, lambda r: (signed(r, 0.2, 1.5, 4),)),
    case(
        builtin_pow_three_forms,
        lambda r: (normal(r), uniform(r, 0.5, 2.0)),
        (0, 1),
    ),
    case(builtin_max_min_of_list, lambda r: (spread(r, -1.0, 1.0, 3),)),
    case(builtin_max_min_over_array, lambda r: (spread(r, -1.0, 1.0, 4),)),
    case(math_in_helper_and_case, lambda r: (uniform(r, 0.5, 2.0),)),
]
