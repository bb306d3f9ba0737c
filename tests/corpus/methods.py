"""Array attributes and methods: .T, .shape, .sum(), .reshape(), .dot(), ..."""

import numpy as np

from .case import case, normal, spread, uniform


def transpose_attribute(A):
    return np.sum(np.tanh(A.T @ A))


def shape_ndim_size_attributes(x):
    n = x.shape[0]
    return np.sum(x**2) / x.size + x.ndim * np.mean(x) * n


def shape_unpacking(A):
    rows, cols = A.shape
    return np.sum(A**2) / (rows * cols) + A[rows - 1, cols - 1]


def sum_method(x):
    return (x**2).sum() + x.sum() ** 2


def sum_method_axis(A):
    return (A.sum(axis=0) ** 2).sum() + A.sum(1).dot(A.sum(1))


def mean_method_axis(A):
    return A.mean() * A.mean(axis=0).sum() + (A.mean(axis=1) ** 2).sum()


def mean_method_keepdims(A):
    centered = A - A.mean(axis=1, keepdims=True)
    return (centered**2).sum()


def reshape_method_ints(x):
    M = x.reshape(2, 3)
    return (M.sum(axis=1) ** 2).sum()


def reshape_method_tuple_minus_one(x):
    M = x.reshape((-1, 2))
    return np.sum(M[:, 0] * M[:, 1])


def dot_method_vectors(x, y):
    return x.dot(y) * x.dot(x)


def dot_method_chain(A, x):
    return A.dot(x).dot(x)


def max_min_methods(x):
    return x.max() + x.min() ** 2


def max_method_axis(A):
    return A.max(axis=1).sum() + A.min(axis=0).dot(A.min(axis=0))


def chained_methods(x):
    return x.reshape(3, 2).T.dot(np.ones(3)).sum()


def copy_method(x):
    y = x.copy()
    y = y * 2.0
    return np.sum(y * x)


def ravel_and_flatten(A):
    return np.sum(A.ravel() ** 2) + A.flatten()[1] * A.ravel()[-1]


def transpose_method(A):
    return np.sum(A.transpose() @ A)


def prod_method(x):
    return x.prod() + np.prod(x[:2])


def var_and_std_methods(x):
    return x.var() + x.std() * x.mean()


def shape_in_loop_bound(A):
    total = 0.0
    for i in range(A.shape[0]):
        total = total + A[i].dot(A[i]) * (i + 1)
    return total


def size_in_normalization(x):
    return np.sum(x) / x.size + (x**2).sum() / len(x)


def squeeze_and_expand(x):
    col = x.reshape(-1, 1)
    outer = col @ col.T
    return outer.sum() + col.squeeze().dot(x)


def clip_method(x):
    return np.sum(x.clip(-1.0, 1.0) * x)


def astype_float_no_op(x):
    return np.sum(x.astype(np.float64) ** 3)


def matrix_T_of_product(A, B):
    return np.sum((A @ B).T * (A @ B).T)


CASES = [
    case(transpose_attribute, lambda r: (normal(r, 3, 2),)),
    case(shape_ndim_size_attributes, lambda r: (normal(r, 4),)),
    case(shape_unpacking, lambda r: (normal(r, 2, 3),)),
    case(sum_method, lambda r: (normal(r, 4),)),
    case(sum_method_axis, lambda r: (normal(r, 3, 2),)),
    case(mean_method_axis, lambda r: (normal(r, 3, 4),)),
    case(mean_method_keepdims, lambda r: (normal(r, 3, 4),)),
    case(reshape_method_ints, lambda r: (normal(r, 6),)),
    case(reshape_method_tuple_minus_one, lambda r: (normal(r, 6),)),
    case(dot_method_vectors, lambda r: (normal(r, 3), normal(r, 3)), (0, 1)),
    case(dot_method_chain, lambda r: (normal(r, 3, 3), normal(r, 3)), (0, 1)),
    case(max_min_methods, lambda r: (spread(r, -2.0, 1.0, 5),)),
    case(max_method_axis, lambda r: (spread(r, -2.0, 2.0, (3, 4)),)),
    case(chained_methods, lambda r: (normal(r, 6),)),
    case(copy_method, lambda r: (normal(r, 4),)),
    case(ravel_and_flatten, lambda r: (normal(r, 2, 3),)),
    case(transpose_method, lambda r: (normal(r, 3, 2),)),
    case(prod_method, lambda r: (uniform(r, 0.5, 1.5, 4),)),
    case(var_and_std_methods, lambda r: (normal(r, 5),)),
    case(shape_in_loop_bound, lambda r: (normal(r, 3, 2),)),
    case(size_in_normalization, lambda r: (normal(r, 5),)),
    case(squeeze_and_expand, lambda r: (normal(r, 3),)),
    case(clip_method, lambda r: (spread(r, -2.5, 2.5, 6),)),
    case(astype_float_no_op, lambda r: (normal(r, 3),)),
    case(matrix_T_of_product, lambda r: (normal(r, 2, 3), normal(r, 3, 2)), (0, 1)),
]
