"""Python floats, ints and NumPy scalars: arithmetic and operators."""

# Written the way users write code (a double negation): keep it so.
# ruff: noqa: B002

import math

import numpy as np

from .case import case, normal, signed, uniform


def add_mul_scalars(x, y):
    return x * y + 3.0 * x - y


def sub_div_scalars(x, y):
    return (x - y) / (x + y * y + 2.0)


def unary_minus_plus(x):
    return -x * +x + -(-x) * 2.0


def neg_of_product(x, y):
    z = -(x * y)
    return z + -x


def pow_int_exponents(x):
    return x**3 - 2 * x**2 + x**1 + x**0


def pow_float_exponents(x):
    return x**2.5 + x**0.5 - 3.0 * x**1.5


def pow_negative_exponents(x):
    return x**-2 + 1.0 / x - x**-0.5


def pow_variable_base_and_exponent(x, p):
    return x**p + p**2


def pow_constant_base(a):
    return 2.0**a + 1.5 ** (0.5 * a)


def int_times_float(x, n):
    return x * n + n**2 * x / (n + 1)


def int_literals_mixed(x):
    total = 0
    total = total + 3 * x
    total = total - 1
    return total / 2 + x * x


def floordiv_zero_gradient(x):
    return x * x + x // 2


def floordiv_remainder_split(x):
    whole = x // 1.0
    frac = x - whole
    return frac * np.sin(x) + whole


def mod_sawtooth(x):
    return (x % 1.0) ** 2 + x


def mod_of_sum(x, y):
    return ((x + y) % 2.0) * y


def aug_assign_all_scalars(x, y):
    z = x
    z += y
    z -= 0.5 * x
    z *= y
    z /= 2.0 + x * x
    z **= 2
    return z


def aug_assign_in_sequence(x):
    acc = 1.0
    acc *= x
    acc += x**2
    acc /= 3.0
    acc -= x
    return acc


def comparison_select(x, y):
    return x * 2.0 if x > y else y * y


def compare_to_float_literal(x):
    if x >= 1.0:
        return x**3
    return -x


def chained_comparison(x):
    if 0.0 < x < 1.0:
        return x * x
    return 2.0 * x - 1.0


def bool_mask_multiply(x):
    return x * (x > 0.5) + 0.1 * x


def and_or_not_conditions(x, y):
    if x > 0 and y > 0:
        z = x * y
    elif x > 0 or not y < -1.0:
        z = x - y * y
    else:
        z = x + y
    return z * x


def not_condition(x):
    if not x > 2.0:
        return np.exp(x)
    return x


def conditional_expression_nested(x):
    return x**2 if x > 1.0 else (2.0 * x if x > -1.0 else -(x**3))


def numpy_scalar_argument(x):
    return np.sin(x) * x + np.float64(2.0) * x


def numpy_scalar_from_sum(x):
    s = np.sum(x)
    return s * s + np.float64(0.5) * s


def math_module_functions(x):
    return (
        math.sin(x) * math.exp(-x) + math.log(x) + math.sqrt(x) + math.tanh(x) * math.pi
    )


def math_cos_tan_pow(x, y):
    return math.cos(x) * math.tan(y) + math.pow(x, 3) + math.e * y


def math_atan_log1p_expm1(x):
    return math.atan(x) + math.log1p(x * x) + math.expm1(0.5 * x)


def math_hypot_log_base(x, y):
    return math.hypot(x, y) + math.log(x, 2.0) + math.log10(y)


def builtin_abs_and_pow(x, y):
    return abs(x) * pow(y, 3) + pow(x, 2) + abs(y - 3.0)


def builtin_max_min_scalars(x, y):
    return max(x, y) - min(x, 0.5 * y) + max(x, 0.0, y * y)


def division_chain(x, y):
    return x / y / (1.0 + y)


def rational_function(x):
    return (x**2 + 1.0) / (x**2 + 2.0 * x + 3.0)


def reassigned_variable(x):
    a = x
    a = a * 2.0
    a = np.sin(a)
    a = a + x
    return a * a


def unused_and_constant_terms(x, y):
    c = 3.0
    unused = y * 100.0
    d = c * c
    return x * d + unused * 0.0 + y


def exponent_is_expression(x, n):
    return x ** (n - 1) + x ** (2 * n)


def reciprocal_of_polynomial(x, y):
    d = 1.0 + x * x + y * y
    return 1.0 / d + x / d


CASES = [
    case(add_mul_scalars, lambda r: (normal(r), normal(r)), (0, 1)),
    case(sub_div_scalars, lambda r: (uniform(r, 0.5, 1.5), normal(r)), (0, 1)),
    case(unary_minus_plus, lambda r: (normal(r),)),
    case(neg_of_product, lambda r: (normal(r), normal(r)), ("x", "y")),
    case(pow_int_exponents, lambda r: (normal(r),)),
    case(pow_float_exponents, lambda r: (uniform(r, 0.5, 2.0),)),
    case(pow_negative_exponents, lambda r: (uniform(r, 0.5, 2.0),)),
    case(
        pow_variable_base_and_exponent,
        lambda r: (uniform(r, 0.5, 2.0), uniform(r, -1.0, 2.0)),
        (0, 1),
    ),
    case(pow_constant_base, lambda r: (normal(r),)),
    case(int_times_float, lambda r: (normal(r), 3)),
    case(int_literals_mixed, lambda r: (normal(r),)),
    case(floordiv_zero_gradient, lambda r: (uniform(r, 0.3, 1.7),)),
    case(floordiv_remainder_split, lambda r: (uniform(r, 2.2, 2.8),)),
    case(mod_sawtooth, lambda r: (uniform(r, 1.2, 1.8),)),
    case(mod_of_sum, lambda r: (uniform(r, 0.2, 0.6), uniform(r, 2.3, 2.8)), (0, 1)),
    case(aug_assign_all_scalars, lambda r: (uniform(r, 0.5, 1.5), normal(r)), (0, 1)),
    case(aug_assign_in_sequence, lambda r: (normal(r),)),
    case(
        comparison_select,
        lambda r: (uniform(r, -1.0, 1.0), uniform(r, -1.0, 1.0) + 3.0),
        (0, 1),
    ),
    case(
        comparison_select,
        lambda r: (uniform(r, 1.5, 2.5), uniform(r, -0.5, 0.5)),
        (0, 1),
        name="comparison_select_true_branch",
    ),
    case(compare_to_float_literal, lambda r: (uniform(r, 1.2, 2.0),)),
    case(chained_comparison, lambda r: (uniform(r, 0.2, 0.8),)),
    case(bool_mask_multiply, lambda r: (uniform(r, 0.7, 1.5),)),
    case(
        and_or_not_conditions,
        lambda r: (uniform(r, 0.3, 1.0), uniform(r, -0.9, -0.2)),
        (0, 1),
    ),
    case(not_condition, lambda r: (uniform(r, -1.0, 1.5),)),
    case(conditional_expression_nested, lambda r: (uniform(r, -0.8, 0.8),)),
    case(numpy_scalar_argument, lambda r: (np.float64(normal(r)),)),
    case(numpy_scalar_from_sum, lambda r: (normal(r, 4),)),
    case(math_module_functions, lambda r: (uniform(r, 0.5, 2.0),)),
    case(math_cos_tan_pow, lambda r: (normal(r), uniform(r, -1.0, 1.0)), (0, 1)),
    case(math_atan_log1p_expm1, lambda r: (normal(r),)),
    case(
        math_hypot_log_base,
        lambda r: (uniform(r, 0.5, 2.0), uniform(r, 0.5, 2.0)),
        (0, 1),
    ),
    case(builtin_abs_and_pow, lambda r: (signed(r, 0.3, 1.5), normal(r)), (0, 1)),
    case(
        builtin_max_min_scalars,
        lambda r: (uniform(r, 0.3, 0.6), uniform(r, 1.5, 2.0)),
        (0, 1),
    ),
    case(division_chain, lambda r: (normal(r), uniform(r, 0.5, 2.0)), (0, 1)),
    case(rational_function, lambda r: (normal(r),)),
    case(reassigned_variable, lambda r: (normal(r),)),
    case(unused_and_constant_terms, lambda r: (normal(r), normal(r)), (0, 1)),
    case(exponent_is_expression, lambda r: (uniform(r, 0.5, 1.5), 3)),
    case(reciprocal_of_polynomial, lambda r: (normal(r), normal(r)), ("y", "x")),
]
