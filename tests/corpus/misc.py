"""Statements without effect on the derivative, closures, writes, more NumPy."""

# Written the way users write code (a dead value): keep it so.
# ruff: noqa: F841

import numpy as np

from .case import case, normal, signed, spread, uniform

EPS = 1e-8


# ----- No effect on the derivative -----


def with_print_calls(x):
    print("input:", x)
    y = np.sin(x)
    print(f"sum of sin = {np.sum(y):.3f}")
    return np.sum(y * x)


def with_assert_statements(x, n):
    assert x.shape == (3,)
    assert n > 0, "n must be positive"
    assert np.all(np.isfinite(x))
    return np.sum(x**n)


def with_docstring_and_comments(x, y):
    """Weighted product of two scalars.

    The docstring and the comments must not matter.
    """
    # scale first
    z = x * 2.0  # trailing comment
    # then combine
    return z * y + np.exp(-z)


def with_type_annotations(x: float, y: float) -> float:
    z: float = x * y
    w: float = np.sin(z) + x
    return w * w


def with_array_annotations(W: np.ndarray, x: np.ndarray, scale: float = 1.0) -> float:
    h: np.ndarray = np.tanh(W @ x)
    total: float = np.sum(h) * scale
    return total


def with_isinstance_checks(x, scale):
    if isinstance(scale, (int, float)):
        scale = float(scale)
    assert isinstance(x, np.ndarray)
    return np.sum(np.exp(scale * x))


def with_pass_and_unused_values(x):
    unused = np.cos(x) * 100.0
    if np.sum(x) > 1000.0:
        pass
    for _ in range(2):
        pass
    return np.sum(x**2)


def with_constant_only_branch(x, verbose=False):
    if verbose:
        print("verbose mode")
    return np.sum(np.sqrt(x))


def with_multiple_assignment_targets(x):
    a = b = x * 2.0
    a = a + 1.0
    return a * b


def with_shape_checks(x):
    n = len(x)
    if x.shape[0] != n:
        raise ValueError("bad shape")
    return np.sum(x) / n


def with_global_epsilon(x):
    return np.sum(np.log(x + EPS))


# ----- Nested functions, closures and lambdas -----


def nested_function_definition(x):
    def inner(t):
        return t**2 + np.sin(t)

    return inner(x) * inner(2.0 * x)


def nested_closure_over_argument(x, y):
    def scaled(t):
        return t * y

    return np.sum(scaled(x) ** 2)


def lambda_helper(x):
    square = lambda t: t * t  # noqa: E731
    return np.sum(square(np.sin(x)))


# ----- Writes into locally created arrays -----


def write_elements_into_zeros(x):
    out = np.zeros(3)
    out[0] = x[0] ** 2
    out[1] = x[1] * x[2]
    out[2] = np.sin(x[0])
    return np.sum(out * np.array([1.0, 2.0, 3.0]))


def write_slices_into_copy(x):
    y = x.copy()
    y[1:3] = np.sin(y[1:3])
    y[0] *= 2.0
    return np.sum(y**2)


def write_rows_in_loop(x):
    out = np.zeros((3, x.size))
    for i in range(3):
        out[i] = x ** (i + 1)
    return np.sum(out) + np.sum(out[:, 0])


def aug_assign_on_local_arrays(A, x, b):
    h = A @ x
    h += b
    h *= 2.0
    h -= b**2
    h /= 3.0
    h **= 2
    return np.sum(h)


def aug_matmul_assign(A, x):
    M = np.eye(3) + 0.1 * A
    y = x * 1.0
    y @= M
    y @= M
    return np.sum(y**2)


# ----- More NumPy functions -----


def more_elementwise_functions(x):
    return np.sum(np.log1p(x**2) + np.expm1(0.3 * x) + np.arctan(x) + np.sinh(x))


def hyperbolic_and_inverse_trig(x):
    return np.sum(np.cosh(x) + np.arcsin(0.5 * x) + np.arccos(0.3 * x))


def clip_function(x):
    return np.sum(np.clip(x, -1.0, 1.0) ** 2 + x)


def outer_product(x, y):
    return np.sum(np.outer(x, y) ** 2)


def prod_function(x):
    return np.prod(x) + np.prod(x[1:])


def linalg_norm(x):
    return np.linalg.norm(x) + np.linalg.norm(2.0 * x) ** 2


def trace_and_diag(A):
    return np.trace(A @ A.T) + np.sum(np.diag(A) ** 2)


def exp2_log2_log10(x):
    return np.sum(np.exp2(x) + np.log2(x) + np.log10(x))


def sign_times_value(x):
    return np.sum(np.sign(x) * x**2)


def cumsum_function(x):
    return np.sum(np.cumsum(x) ** 2)


def sum_mean_with_axis_keywords(x):
    return np.sum(x, axis=None) * np.mean(x, axis=0)


def max_min_mean_functions(x):
    return np.max(x) - np.min(x) + np.mean(x)


def std_var_functions(x):
    return np.std(x) + np.var(x)


def expand_dims_and_squeeze(x):
    col = np.expand_dims(x, 1)
    return np.sum(np.squeeze(col * col.T @ col))


def reciprocal_and_negative(x):
    return np.sum(np.reciprocal(x) + np.negative(x) * 2.0)


def arctan2_function(y, x):
    return np.sum(np.arctan2(y, x))


def hstack_vstack(x, y):
    v = np.vstack([x, y])
    h = np.hstack([x, y])
    return np.sum(v**2) + np.sum(h * np.arange(h.size))


def zeros_like_ones_like(x):
    z = np.zeros_like(x) + 2.0
    o = np.ones_like(x)
    return np.sum((x + z) * o * x)


CASES = [
    case(with_print_calls, lambda r: (normal(r, 3),)),
    case(with_assert_statements, lambda r: (normal(r, 3), 3)),
    case(with_docstring_and_comments, lambda r: (normal(r), normal(r)), (0, 1)),
    case(with_type_annotations, lambda r: (normal(r), normal(r)), ("x", "y")),
    case(
        with_array_annotations,
        lambda r: (normal(r, 2, 3), normal(r, 3), 0.5),
        ("W", "x"),
    ),
    case(with_isinstance_checks, lambda r: (normal(r, 3), 2)),
    case(with_pass_and_unused_values, lambda r: (normal(r, 3),)),
    case(with_constant_only_branch, lambda r: (uniform(r, 0.5, 2.0, 3), False)),
    case(with_multiple_assignment_targets, lambda r: (normal(r),)),
    case(with_shape_checks, lambda r: (normal(r, 4),)),
    case(with_global_epsilon, lambda r: (uniform(r, 0.5, 2.0, 3),)),
    case(nested_function_definition, lambda r: (normal(r),)),
    case(nested_closure_over_argument, lambda r: (normal(r, 3), normal(r)), (0, 1)),
    case(lambda_helper, lambda r: (normal(r, 3),)),
    case(write_elements_into_zeros, lambda r: (normal(r, 3),)),
    case(write_slices_into_copy, lambda r: (normal(r, 4),)),
    case(write_rows_in_loop, lambda r: (normal(r, 3),)),
    case(
        aug_assign_on_local_arrays,
        lambda r: (normal(r, 2, 3), normal(r, 3), normal(r, 2)),
        (0, 1, 2),
    ),
    case(aug_matmul_assign, lambda r: (normal(r, 3, 3), normal(r, 3)), (0, 1)),
    case(more_elementwise_functions, lambda r: (normal(r, 4),)),
    case(hyperbolic_and_inverse_trig, lambda r: (uniform(r, -1.0, 1.0, 4),)),
    case(clip_function, lambda r: (spread(r, -2.5, 2.5, 6),)),
    case(outer_product, lambda r: (normal(r, 3), normal(r, 2)), (0, 1)),
    case(prod_function, lambda r: (signed(r, 0.5, 1.5, 4),)),
    case(linalg_norm, lambda r: (normal(r, 4),)),
    case(trace_and_diag, lambda r: (normal(r, 3, 3),)),
    case(exp2_log2_log10, lambda r: (uniform(r, 0.5, 2.0, 3),)),
    case(sign_times_value, lambda r: (signed(r, 0.2, 1.5, 5),)),
    case(cumsum_function, lambda r: (normal(r, 5),)),
    case(sum_mean_with_axis_keywords, lambda r: (normal(r, 4),)),
    case(max_min_mean_functions, lambda r: (spread(r, -1.0, 2.0, 5),)),
    case(std_var_functions, lambda r: (normal(r, 6),)),
    case(expand_dims_and_squeeze, lambda r: (normal(r, 3),)),
    case(reciprocal_and_negative, lambda r: (uniform(r, 0.5, 2.0, 3),)),
    case(arctan2_function, lambda r: (normal(r, 3), uniform(r, 0.5, 1.5, 3)), (0, 1)),
    case(hstack_vstack, lambda r: (normal(r, 3), normal(r, 3)), (0, 1)),
    case(zeros_like_ones_like, lambda r: (normal(r, 3),)),
]
