"""NumPy arrays: elementwise math, reductions, products, indexing, broadcasting."""

import numpy as np

from .case import case, normal, signed, spread, uniform


def elementwise_trig(x):
    return np.sum(np.sin(x) * np.cos(x) + np.tan(0.5 * x))


def elementwise_exp_log_sqrt(x):
    return np.sum(np.exp(-x) + np.log(x) + np.sqrt(x))


def elementwise_tanh_abs_square(x):
    return np.sum(np.tanh(x) + np.abs(x) + np.square(x))


def elementwise_power_function(x, p):
    return np.sum(np.power(x, 3) + np.power(x, p))


def elementwise_array_exponent(x, e):
    return np.sum(x**e)


def maximum_minimum(x, y):
    return np.sum(np.maximum(x, y) * np.minimum(x, 0.5))


def relu_with_maximum(x):
    return np.sum(np.maximum(x, 0.0) ** 2 + np.minimum(x, 0.0))


def where_piecewise(x):
    return np.sum(np.where(x > 0, x**2, -x))


def where_two_arrays(x, y):
    return np.sum(np.where(x > y, x * y, np.exp(y)))


def array_division_and_negation(x, y):
    return np.sum(-x / y + x / (1.0 + y * y))


def sum_keepdims_normalize(A):
    return np.sum((A / np.sum(A, axis=1, keepdims=True)) ** 2)


def center_columns_keepdims(A):
    centered = A - np.mean(A, axis=0, keepdims=True)
    return np.sum(centered**2)


def mean_over_each_axis(A):
    return np.sum(np.mean(A, axis=0) ** 2) + np.sum(np.mean(A, axis=1) ** 3)


def mean_all(x):
    return np.mean(np.sin(x) ** 2)


def max_min_reductions(x):
    return np.max(x) - np.min(x) + np.max(x**2)


def max_along_axis(A):
    return np.sum(np.max(A, axis=0)) + np.sum(np.min(A, axis=1) ** 2)


def max_keepdims_shift(A):
    shifted = A - np.max(A, axis=1, keepdims=True)
    return np.sum(np.exp(shifted))


def sum_negative_axis(A):
    return np.sum(np.sum(A, axis=-1) ** 2)


def dot_of_vectors(x, y):
    return np.dot(x, y)


def dot_matrix_vector(A, x):
    return np.sum(np.dot(A, x) ** 2)


def matmul_operator(A, x):
    return np.sum((A @ x) ** 2)


def matmul_function(A, B):
    return np.sum(np.tanh(np.matmul(A, B)))


def quadratic_form(x, A):
    return x @ A @ x


def reshape_and_transpose(x):
    M = np.reshape(x, (2, 3))
    return np.sum(np.transpose(M) @ M)


def transpose_matrix_product(A):
    return np.sum(np.transpose(A) @ np.sin(A))


def index_reads(x):
    return x[0] * x[-1] + np.sum(x[1:3]) + np.sum(x[::-1] * np.arange(5))


def matrix_row_column_element(A):
    return np.sum(A[:, 0] * A[1]) + A[0, 1] * A[2, 2]


def slice_block(A):
    return np.sum(A[1:, :2] ** 2) + np.sum(A[:2, 2:])


def step_slices(x):
    return np.sum(x[::2] * x[1::2])


def negative_index_and_slice(x):
    return x[-2] ** 2 + np.sum(x[-3:]) * x[-1]


def broadcast_vector_plus_scalar(x, s):
    return np.sum((x + s) ** 2 * s)


def broadcast_matrix_plus_row(A, b):
    return np.sum(np.tanh(A + b))


def broadcast_matrix_times_column(A, c):
    return np.sum(np.sin(A * c))


def broadcast_scalar_arg_with_array(a, x):
    return np.sum(np.exp(a * x)) / a


def broadcast_outer_difference(x, y):
    return np.sum(np.exp(-((x[:, None] - y[None, :]) ** 2)))


def broadcast_newaxis_product(x, y):
    return np.sum(x[:, np.newaxis] * y[np.newaxis, :] * x[:, np.newaxis])


def constant_arrays(x):
    w = np.arange(3.0)
    return np.sum(x * w) + np.sum(np.zeros(3) + x**2) + np.sum(np.ones(3) * 2.0 * x)


def linspace_weights(x):
    w = np.linspace(0.0, 1.0, 5)
    return np.sum(w * x**2)


def returns_zero_dim_array(x):
    return np.dot(x, x) * np.sum(x)


def returns_size_one_array(x, y):
    return x.reshape(1, -1) @ y.reshape(-1, 1)


def returns_keepdims_sum(x):
    return np.sum(x**2, keepdims=True)


def numpy_scalar_arithmetic(x):
    s = np.sum(x)
    m = np.float64(2.0) * s
    return m * np.mean(x) + np.float64(1.5)


def sum_with_axis_tuple(T):
    return np.sum(np.sum(T**2, axis=(0, 2)) * np.arange(1.0, 4.0))


def three_dim_array(T):
    return np.sum(np.tanh(T[0]) * T[1]) + np.sum(T[:, 1, :])


def array_comparison_mask(x):
    mask = x > 0.0
    return np.sum(x * mask) + np.sum(x**2 * (x <= 0.0))


def _pair_without_ties(rng, x):
    return x, x + signed(rng, 0.2, 0.5, x.shape)


CASES = [
    case(elementwise_trig, lambda r: (normal(r, 5),)),
    case(elementwise_exp_log_sqrt, lambda r: (uniform(r, 0.5, 2.0, 4),)),
    case(elementwise_tanh_abs_square, lambda r: (signed(r, 0.2, 1.5, 6),)),
    case(
        elementwise_power_function,
        lambda r: (uniform(r, 0.5, 2.0, 4), uniform(r, 0.5, 2.5)),
        (0, 1),
    ),
    case(
        elementwise_array_exponent,
        lambda r: (uniform(r, 0.5, 2.0, 4), uniform(r, 0.5, 2.5, 4)),
        (0, 1),
    ),
    case(
        maximum_minimum,
        lambda r: _pair_without_ties(r, signed(r, 0.6, 1.5, 3)),
        (0, 1),
    ),
    case(relu_with_maximum, lambda r: (signed(r, 0.2, 1.5, 6),)),
    case(where_piecewise, lambda r: (signed(r, 0.2, 1.5, 6),)),
    case(
        where_two_arrays,
        lambda r: _pair_without_ties(r, normal(r, 4)),
        ("x", "y"),
    ),
    case(
        array_division_and_negation,
        lambda r: (normal(r, 4), uniform(r, 0.5, 2.0, 4)),
        (0, 1),
    ),
    case(sum_keepdims_normalize, lambda r: (uniform(r, 0.5, 2.0, (3, 4)),)),
    case(center_columns_keepdims, lambda r: (normal(r, 4, 3),)),
    case(mean_over_each_axis, lambda r: (normal(r, 3, 4),)),
    case(mean_all, lambda r: (normal(r, 2, 3),)),
    case(max_min_reductions, lambda r: (spread(r, -2.0, 1.5, 6),)),
    case(max_along_axis, lambda r: (spread(r, -2.0, 2.0, (3, 4)),)),
    case(max_keepdims_shift, lambda r: (spread(r, -2.0, 2.0, (3, 4)),)),
    case(sum_negative_axis, lambda r: (normal(r, 3, 2),)),
    case(dot_of_vectors, lambda r: (normal(r, 4), normal(r, 4)), (0, 1)),
    case(dot_matrix_vector, lambda r: (normal(r, 3, 4), normal(r, 4)), (0, 1)),
    case(matmul_operator, lambda r: (normal(r, 2, 3), normal(r, 3)), ("A", "x")),
    case(matmul_function, lambda r: (normal(r, 2, 3), normal(r, 3, 2)), (0, 1)),
    case(quadratic_form, lambda r: (normal(r, 3), normal(r, 3, 3)), (0, 1)),
    case(reshape_and_transpose, lambda r: (normal(r, 6),)),
    case(transpose_matrix_product, lambda r: (normal(r, 3, 2),)),
    case(index_reads, lambda r: (normal(r, 5),)),
    case(matrix_row_column_element, lambda r: (normal(r, 3, 3),)),
    case(slice_block, lambda r: (normal(r, 3, 4),)),
    case(step_slices, lambda r: (normal(r, 6),)),
    case(negative_index_and_slice, lambda r: (normal(r, 5),)),
    case(
        broadcast_vector_plus_scalar,
        lambda r: (normal(r, 4), uniform(r, 0.5, 1.5)),
        (0, 1),
    ),
    case(broadcast_matrix_plus_row, lambda r: (normal(r, 3, 4), normal(r, 4)), (0, 1)),
    case(
        broadcast_matrix_times_column,
        lambda r: (normal(r, 3, 4), normal(r, 3, 1)),
        (0, 1),
    ),
    case(
        broadcast_scalar_arg_with_array,
        lambda r: (uniform(r, 0.5, 1.5), normal(r, 4)),
        (0, 1),
    ),
    case(broadcast_outer_difference, lambda r: (normal(r, 3), normal(r, 4)), (0, 1)),
    case(broadcast_newaxis_product, lambda r: (normal(r, 3), normal(r, 2)), (0, 1)),
    case(constant_arrays, lambda r: (normal(r, 3),)),
    case(linspace_weights, lambda r: (normal(r, 5),)),
    case(returns_zero_dim_array, lambda r: (normal(r, 4),)),
    case(returns_size_one_array, lambda r: (normal(r, 3), normal(r, 3)), (0, 1)),
    case(returns_keepdims_sum, lambda r: (normal(r, 4),)),
    case(numpy_scalar_arithmetic, lambda r: (normal(r, 4),)),
    case(sum_with_axis_tuple, lambda r: (normal(r, 2, 3, 2),)),
    case(three_dim_array, lambda r: (normal(r, 2, 3, 2),)),
    case(array_comparison_mask, lambda r: (signed(r, 0.2, 1.5, 6),)),
]
