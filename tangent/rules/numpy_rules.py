"""Rules for NumPy: elementwise functions, reductions, linear algebra, shapes.

Each rule is a template: the result first, then the operation's arguments
with their defaults; `d[x] = ...` adds to the adjoint of `x`. Rules marked
`cheap` may be recomputed in the backward sweep instead of being saved.
"""

# ruff: noqa: F811

import numpy as np

from tangent.rules.registry import adjoint, attribute, d, method, nondifferentiable
from tangent.runtime import (
    broadcast_back,
    dot_grads,
    extremum_grad,
    matmul_grads,
    minmax_grads,
    unbroadcast,
)

# ----- Unary elementwise functions -----


@adjoint(np.negative, cheap=True)
def negative(y, x):
    d[x] = -d[y]


@adjoint(np.sin, cheap=True)
def sin(y, x):
    d[x] = d[y] * np.cos(x)


@adjoint(np.cos, cheap=True)
def cos(y, x):
    d[x] = -d[y] * np.sin(x)


@adjoint(np.tan, cheap=True)
def tan(y, x):
    d[x] = d[y] * (1.0 + y * y)


@adjoint(np.arcsin, cheap=True)
def arcsin(y, x):
    d[x] = d[y] / np.sqrt(1.0 - x * x)


@adjoint(np.arccos, cheap=True)
def arccos(y, x):
    d[x] = -d[y] / np.sqrt(1.0 - x * x)


@adjoint(np.arctan, cheap=True)
def arctan(y, x):
    d[x] = d[y] / (1.0 + x * x)


@adjoint(np.sinh, cheap=True)
def sinh(y, x):
    d[x] = d[y] * np.cosh(x)


@adjoint(np.cosh, cheap=True)
def cosh(y, x):
    d[x] = d[y] * np.sinh(x)


@adjoint(np.tanh, cheap=True)
def tanh(y, x):
    d[x] = d[y] * (1.0 - y * y)


@adjoint(np.exp, cheap=True)
def exp(y, x):
    d[x] = d[y] * y


@adjoint(np.exp2, cheap=True)
def exp2(y, x):
    d[x] = d[y] * y * np.log(2.0)


@adjoint(np.expm1, cheap=True)
def expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@adjoint(np.log, cheap=True)
def log(y, x):
    d[x] = d[y] / x


@adjoint(np.log2, cheap=True)
def log2(y, x):
    d[x] = d[y] / (x * np.log(2.0))


@adjoint(np.log10, cheap=True)
def log10(y, x):
    d[x] = d[y] / (x * np.log(10.0))


@adjoint(np.log1p, cheap=True)
def log1p(y, x):
    d[x] = d[y] / (1.0 + x)


@adjoint(np.sqrt, cheap=True)
def sqrt(y, x):
    d[x] = d[y] / (2.0 * y)


@adjoint(np.square, cheap=True)
def square(y, x):
    d[x] = d[y] * 2.0 * x


@adjoint(np.abs, np.absolute, cheap=True)
def absolute(y, x):
    d[x] = d[y] * np.sign(x)


# ----- Binary elementwise functions -----


@adjoint(np.add, cheap=True)
def add(z, x, y):
    d[x] = unbroadcast(d[z], x)
    d[y] = unbroadcast(d[z], y)


@adjoint(np.subtract, cheap=True)
def subtract(z, x, y):
    d[x] = unbroadcast(d[z], x)
    d[y] = unbroadcast(-d[z], y)


@adjoint(np.multiply, cheap=True)
def multiply(z, x, y):
    d[x] = unbroadcast(d[z] * y, x)
    d[y] = unbroadcast(d[z] * x, y)


@adjoint(np.divide, np.true_divide, cheap=True)
def divide(z, x, y):
    d[x] = unbroadcast(d[z] / y, x)
    d[y] = unbroadcast(-d[z] * z / y, y)


@adjoint(np.power, cheap=True)
def power(z, x, y):
    d[x] = unbroadcast(d[z] * y * np.power(x, y - 1), x)
    d[y] = unbroadcast(d[z] * z * np.log(np.where(x > 0, x, 1.0)), y)


@adjoint(np.maximum, cheap=True)
def maximum(z, x, y):
    gx, gy = minmax_grads(d[z], x, y, True)
    d[x] = gx
    d[y] = gy


@adjoint(np.minimum, cheap=True)
def minimum(z, x, y):
    gx, gy = minmax_grads(d[z], x, y, False)
    d[x] = gx
    d[y] = gy


@adjoint(np.where, cheap=True)
def where(z, condition, x, y):
    d[x] = unbroadcast(np.where(condition, d[z], 0.0), x)
    d[y] = unbroadcast(np.where(condition, 0.0, d[z]), y)


@adjoint(np.clip, cheap=True)
def clip(y, x, a_min, a_max):
    d[x] = d[y] * ((x >= a_min) & (x <= a_max))


# ----- Reductions -----


@adjoint(np.sum, method("sum"))
def sum(y, x, axis=None, dtype=None, out=None, keepdims=False):
    d[x] = broadcast_back(d[y], x, axis, keepdims)


@adjoint(np.mean, method("mean"))
def mean(y, x, axis=None, dtype=None, out=None, keepdims=False):
    d[x] = broadcast_back(d[y], x, axis, keepdims) * (np.size(y) / np.size(x))


@adjoint(np.max, np.amax, method("max"))
def max(y, x, axis=None, out=None, keepdims=False):
    d[x] = extremum_grad(d[y], y, x, axis, keepdims)


@adjoint(np.min, np.amin, method("min"))
def min(y, x, axis=None, out=None, keepdims=False):
    d[x] = extremum_grad(d[y], y, x, axis, keepdims)


# ----- Linear algebra -----


@adjoint(np.matmul)
def matmul(z, x, y):
    gx, gy = matmul_grads(d[z], x, y)
    d[x] = gx
    d[y] = gy


@adjoint(np.dot, method("dot"))
def dot(z, x, y):
    gx, gy = dot_grads(d[z], x, y)
    d[x] = gx
    d[y] = gy


@adjoint(np.outer)
def outer(z, x, y):
    d[x] = d[z] @ np.ravel(y)
    d[y] = np.ravel(x) @ d[z]


# ----- Shapes -----


@adjoint(np.reshape)
def reshape(y, x, newshape=None, order="C", shape=None):
    d[x] = np.reshape(d[y], np.shape(x))


@adjoint(method("reshape"), cheap=True)
def reshape_method(y, x, *shape):
    d[x] = np.reshape(d[y], np.shape(x))


@adjoint(np.transpose)
def transpose(y, x, axes=None):
    d[x] = np.transpose(d[y], None if axes is None else np.argsort(axes))


@adjoint(attribute("T"), cheap=True)
def T(y, x):
    d[x] = np.transpose(d[y])


@adjoint(method("transpose"), cheap=True)
def transpose_method(y, x, *axes):
    d[x] = np.transpose(d[y], np.argsort(axes) if axes else None)


@adjoint(np.ravel, method("ravel"), method("flatten"), cheap=True)
def ravel(y, x, order="C"):
    d[x] = np.reshape(d[y], np.shape(x))


@adjoint(np.stack)
def stack(y, arrays, axis=0):
    d[arrays] = list(np.moveaxis(d[y], axis, 0))


@adjoint(np.array, np.asarray)
def array(y, obj, dtype=None):
    d[obj] = list(d[y]) if isinstance(obj, (list, tuple)) else d[y]


@adjoint(np.copy, method("copy"), cheap=True)
def copy(y, x):
    d[x] = d[y]


# ----- Non-differentiable -----

nondifferentiable(
    np.shape,
    np.size,
    np.ndim,
    np.zeros,
    np.ones,
    np.zeros_like,
    np.ones_like,
    np.empty,
    np.empty_like,
    np.full,
    np.full_like,
    np.arange,
    np.linspace,
    np.eye,
    np.identity,
    np.argmax,
    np.argmin,
    np.argsort,
    np.sign,
    np.floor,
    np.ceil,
    np.round,
    np.rint,
    np.isnan,
    np.isinf,
    np.isfinite,
    np.floor_divide,
    np.greater,
    np.less,
    np.equal,
    np.logical_and,
    np.logical_or,
    np.logical_not,
    np.all,
    np.any,
    attribute("shape"),
    attribute("ndim"),
    attribute("size"),
    attribute("dtype"),
    method("argmax"),
    method("argmin"),
)


@adjoint(method("astype"), cheap=True)
def astype(y, x, dtype, copy=True):
    d[x] = d[y]
