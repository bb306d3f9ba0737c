"""Rules for NumPy: elementwise functions, reductions, linear algebra, shapes.

Each rule is a template: the result first, then the operation's arguments
with NumPy's own names and defaults (so `np.sum(a=x, axis=0)` binds);
`d[x] = ...` adds to the adjoint of `x`. A method rule (`method("sum")`)
binds the receiver to the first argument. Rules marked `cheap` may be
recomputed in the backward sweep instead of being saved. The helpers the
templates call live in `tangent.rules.rule_helpers`, named after the math.
"""

# ruff: noqa: F811, A001, A002  (templates are registered, not called; NumPy's names)

import math
import operator

import numpy as np

from tangent.rules import rule_helpers
from tangent.rules.registry import adjoint, attribute, d, method, nondifferentiable
from tangent.rules.rule_helpers import (
    append_grads,
    average_grads,
    cast_grad,
    cholesky_grad,
    clip_bounds,
    clip_grads,
    column_stack_grad,
    complex_part_grad,
    compress_grad,
    convolve_grad,
    cross_grad,
    cumprod_grad,
    cumsum_grad,
    cumsum_grad_adjoint,
    cumulative_grad,
    delete_grad,
    det_grad,
    diag_grad,
    diagonal_grad,
    diff_grads,
    dot_grad,
    eigh_grad,
    einsum_grad,
    einsum_grad_adjoint,
    extract_grad,
    extremum_grad,
    extremum_grad_adjoint,
    hsplit_axis,
    hstack_grad,
    inner_grad,
    insert_grads,
    interp_grads,
    inv_grad,
    inverse_permutation,
    kron_grad,
    logaddexp_grads,
    lstsq_grads,
    matmul_grad,
    matrix_norm_grad,
    matrix_power_grad,
    mean_grad,
    mean_grad_adjoint,
    median_grad,
    moment_grad,
    mT,
    multi_dot_grads,
    nan_moment_grad,
    nan_to_num_grad,
    nancumsum_grad,
    nanmean_grad,
    nanprod_grad,
    norm_grad,
    outer_grad,
    pad_value_grad,
    pair_extremum_grads,
    pair_extremum_grads_adjoint,
    partition_grad,
    pinv_grad,
    product_grad_adjoint,
    products_of_others,
    ptp_grad,
    qr_grad,
    restack,
    rollaxis_grad,
    safe_divide,
    scalar_item_grad,
    select_default_grad,
    select_grads,
    sign_agreement,
    sinc_derivative,
    slogdet_grad,
    solve_grads,
    sort_grad,
    svd_grad,
    take_along_axis_grad,
    take_grad,
    tensordot_grad,
    trace_grad,
    unarray,
    unconcatenate,
    unpad,
    unreduce,
    unreduce_adjoint,
    unrepeat,
    unroll,
    unsplit,
    unstack,
    untile,
    vdot_grad,
    vecdot_grad,
    vector_norm_grad,
)
from tangent.runtime import unbroadcast

# ----- Unary elementwise functions -----


@adjoint(np.negative, operator.neg, cheap=True)
def negative(y, x):
    d[x] = -d[y]


@adjoint(np.positive, operator.pos, cheap=True)
def positive(y, x):
    d[x] = d[y]


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


@adjoint(np.arcsinh, cheap=True)
def arcsinh(y, x):
    d[x] = d[y] / np.sqrt(x * x + 1.0)


@adjoint(np.arccosh, cheap=True)
def arccosh(y, x):
    d[x] = d[y] / np.sqrt(x * x - 1.0)


@adjoint(np.arctanh, cheap=True)
def arctanh(y, x):
    d[x] = d[y] / (1.0 - x * x)


@adjoint(np.exp, cheap=True)
def exp(y, x):
    d[x] = d[y] * y


@adjoint(np.exp2, cheap=True)
def exp2(y, x):
    d[x] = d[y] * y * math.log(2.0)


@adjoint(np.expm1, cheap=True)
def expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@adjoint(np.log, cheap=True)
def log(y, x):
    d[x] = d[y] / x


@adjoint(np.log2, cheap=True)
def log2(y, x):
    d[x] = d[y] / (x * math.log(2.0))


@adjoint(np.log10, cheap=True)
def log10(y, x):
    d[x] = d[y] / (x * math.log(10.0))


@adjoint(np.log1p, cheap=True)
def log1p(y, x):
    d[x] = d[y] / (1.0 + x)


@adjoint(np.sqrt, cheap=True)
def sqrt(y, x):
    d[x] = d[y] / (2.0 * y)


@adjoint(np.cbrt, cheap=True)
def cbrt(y, x):
    d[x] = d[y] / (3.0 * y * y)


@adjoint(np.square, cheap=True)
def square(y, x):
    d[x] = d[y] * 2.0 * x


@adjoint(np.reciprocal, cheap=True)
def reciprocal(y, x):
    d[x] = -d[y] * y * y


@adjoint(np.abs, np.absolute, np.fabs, cheap=True)
def absolute(y, x):
    d[x] = d[y] * np.sign(x)


@adjoint(np.sinc, cheap=True)
def sinc(y, x):
    d[x] = d[y] * sinc_derivative(x)


@adjoint(np.deg2rad, np.radians, cheap=True)
def deg2rad(y, x):
    d[x] = d[y] * (np.pi / 180.0)


@adjoint(np.rad2deg, np.degrees, cheap=True)
def rad2deg(y, x):
    d[x] = d[y] * (180.0 / np.pi)


@adjoint(np.nan_to_num, cheap=True)
def nan_to_num(y, x, copy=True, nan=0.0, posinf=None, neginf=None):
    d[x] = nan_to_num_grad(d[y], x)


@adjoint(np.real, attribute("real"), cheap=True)
def real(y, val):
    d[val] = complex_part_grad(d[y], val, "real")


@adjoint(np.imag, attribute("imag"), cheap=True)
def imag(y, val):
    d[val] = complex_part_grad(d[y], val, "imag")


@adjoint(np.conjugate, method("conj"), method("conjugate"), cheap=True)
def conjugate(y, x):
    d[x] = complex_part_grad(d[y], x, "conj")


# ----- Binary elementwise functions -----


@adjoint(np.add, operator.add, cheap=True)
def add(y, x1, x2):
    d[x1] = unbroadcast(d[y], x1)
    d[x2] = unbroadcast(d[y], x2)


@adjoint(np.subtract, operator.sub, cheap=True)
def subtract(y, x1, x2):
    d[x1] = unbroadcast(d[y], x1)
    d[x2] = unbroadcast(-d[y], x2)


@adjoint(np.multiply, operator.mul, cheap=True)
def multiply(y, x1, x2):
    d[x1] = unbroadcast(d[y] * x2, x1)
    d[x2] = unbroadcast(d[y] * x1, x2)


@adjoint(np.divide, operator.truediv, cheap=True)
def divide(y, x1, x2):
    d[x1] = unbroadcast(d[y] / x2, x1)
    d[x2] = unbroadcast(-d[y] * y / x2, x2)


@adjoint(np.power, operator.pow, cheap=True)
def power(y, x1, x2):
    d[x1] = unbroadcast(d[y] * x2 * x1 ** (x2 - 1), x1)
    d[x2] = unbroadcast(d[y] * y * np.log(np.where(x1 > 0, x1, 1.0)), x2)


@adjoint(np.float_power, cheap=True)
def float_power(y, x1, x2):
    d[x1] = unbroadcast(d[y] * x2 * np.float_power(x1, x2 - 1), x1)
    d[x2] = unbroadcast(d[y] * y * np.log(np.where(x1 > 0, x1, 1.0)), x2)


@adjoint(np.maximum, cheap=True)
def maximum(y, x1, x2):
    g1, g2 = pair_extremum_grads(d[y], x1, x2, True)
    d[x1] = g1
    d[x2] = g2


@adjoint(np.minimum, cheap=True)
def minimum(y, x1, x2):
    g1, g2 = pair_extremum_grads(d[y], x1, x2, False)
    d[x1] = g1
    d[x2] = g2


@adjoint(np.fmax, cheap=True)
def fmax(y, x1, x2):
    g1, g2 = pair_extremum_grads(d[y], x1, x2, True, True)
    d[x1] = g1
    d[x2] = g2


@adjoint(np.fmin, cheap=True)
def fmin(y, x1, x2):
    g1, g2 = pair_extremum_grads(d[y], x1, x2, False, True)
    d[x1] = g1
    d[x2] = g2


@adjoint(np.logaddexp, cheap=True)
def logaddexp(y, x1, x2):
    g1, g2 = logaddexp_grads(d[y], y, x1, x2)
    d[x1] = g1
    d[x2] = g2


@adjoint(np.logaddexp2, cheap=True)
def logaddexp2(y, x1, x2):
    g1, g2 = logaddexp_grads(d[y], y, x1, x2, 2)
    d[x1] = g1
    d[x2] = g2


@adjoint(np.hypot, cheap=True)
def hypot(y, x1, x2):
    d[x1] = unbroadcast(d[y] * safe_divide(x1, y), x1)
    d[x2] = unbroadcast(d[y] * safe_divide(x2, y), x2)


@adjoint(np.arctan2, cheap=True)
def arctan2(y, x1, x2):
    d[x1] = unbroadcast(d[y] * x2 / (x1 * x1 + x2 * x2), x1)
    d[x2] = unbroadcast(-d[y] * x1 / (x1 * x1 + x2 * x2), x2)


@adjoint(np.copysign, cheap=True)
def copysign(y, x1, x2):
    d[x1] = unbroadcast(d[y] * sign_agreement(x1, x2), x1)


@adjoint(np.fmod, cheap=True)
def fmod(y, x1, x2):
    d[x1] = unbroadcast(d[y], x1)
    d[x2] = unbroadcast(-d[y] * np.trunc(x1 / x2), x2)


@adjoint(np.remainder, operator.mod, cheap=True)
def remainder(y, x1, x2):
    d[x1] = unbroadcast(d[y], x1)
    d[x2] = unbroadcast(-d[y] * np.floor_divide(x1, x2), x2)


@adjoint(np.ldexp, cheap=True)
def ldexp(y, x1, x2):
    d[x1] = unbroadcast(np.ldexp(d[y], x2), x1)


# ----- Selection -----


@adjoint(np.where, cheap=True)
def where(out, condition, x=None, y=None):
    d[x] = unbroadcast(np.where(condition, d[out], 0.0), x)
    d[y] = unbroadcast(np.where(condition, 0.0, d[out]), y)


@adjoint(np.clip, method("clip"), cheap=True)
def clip(y, a, a_min=None, a_max=None, out=None, min=None, max=None):
    lo, hi = clip_bounds(a_min, a_max, min, max)
    ga, glo, ghi = clip_grads(d[y], a, lo, hi)
    d[a] = ga
    d[a_min] = glo
    d[a_max] = ghi
    d[min] = glo
    d[max] = ghi


@adjoint(np.select)
def select(y, condlist, choicelist, default=0):
    d[choicelist] = select_grads(d[y], condlist, choicelist)
    d[default] = select_default_grad(d[y], condlist, default)


@adjoint(np.interp)
def interp(y, x, xp, fp, left=None, right=None, period=None):
    gx, gxp, gfp, gleft, gright = interp_grads(d[y], x, xp, fp, left, right, period)
    d[x] = gx
    d[xp] = gxp
    d[fp] = gfp
    d[left] = gleft
    d[right] = gright


# ----- Reductions -----


@adjoint(np.sum, method("sum"))
def sum(
    y, a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True
):
    d[a] = unreduce(d[y], a, axis, keepdims, where)


@adjoint(np.nansum)
def nansum(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = np.where(np.isnan(a), 0.0, unreduce(d[y], a, axis, keepdims))


@adjoint(np.mean, method("mean"))
def mean(y, a, axis=None, dtype=None, out=None, keepdims=False, where=True):
    d[a] = mean_grad(d[y], a, axis, keepdims, where)


@adjoint(np.nanmean)
def nanmean(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = nanmean_grad(d[y], a, axis, keepdims)


@adjoint(np.average)
def average(y, a, axis=None, weights=None, returned=False, keepdims=False):
    ga, gw = average_grads(d[y], y, a, axis, weights, returned, keepdims)
    d[a] = ga
    d[weights] = gw


@adjoint(np.prod, method("prod"))
def prod(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * products_of_others(a, axis)


@adjoint(np.nanprod)
def nanprod(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = nanprod_grad(d[y], a, axis, keepdims)


@adjoint(np.max, np.amax, np.min, np.amin, method("max"), method("min"))
def max(y, a, axis=None, out=None, keepdims=False, initial=None, where=True):
    d[a] = extremum_grad(d[y], y, a, axis, keepdims, where)


@adjoint(np.nanmax, np.nanmin)
def nanmax(y, a, axis=None, out=None, keepdims=False):
    d[a] = extremum_grad(d[y], y, a, axis, keepdims)


@adjoint(np.ptp)
def ptp(y, a, axis=None, out=None, keepdims=False):
    d[a] = ptp_grad(d[y], a, axis, keepdims)


@adjoint(np.median)
def median(y, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    d[a] = median_grad(d[y], y, a, axis, keepdims)


@adjoint(np.var, method("var"))
def var(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, correction=None):
    d[a] = moment_grad(d[y], a, axis, ddof, keepdims, correction)


@adjoint(np.std, method("std"))
def std(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, correction=None):
    d[a] = moment_grad(d[y], a, axis, ddof, keepdims, correction, y)


@adjoint(np.nanvar)
def nanvar(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = nan_moment_grad(d[y], a, axis, ddof, keepdims)


@adjoint(np.nanstd)
def nanstd(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = nan_moment_grad(d[y], a, axis, ddof, keepdims, y)


@adjoint(np.cumsum, method("cumsum"))
def cumsum(y, a, axis=None, dtype=None, out=None):
    d[a] = cumsum_grad(d[y], a, axis)


@adjoint(np.nancumsum)
def nancumsum(y, a, axis=None, dtype=None, out=None):
    d[a] = nancumsum_grad(d[y], a, axis)


@adjoint(np.cumprod, method("cumprod"))
def cumprod(y, a, axis=None, dtype=None, out=None):
    d[a] = cumprod_grad(d[y], y, a, axis)


@adjoint(np.cumulative_sum)
def cumulative_sum(y, x, axis=None, dtype=None, out=None, include_initial=False):
    d[x] = cumulative_grad(d[y], y, x, axis, include_initial)


@adjoint(np.cumulative_prod)
def cumulative_prod(y, x, axis=None, dtype=None, out=None, include_initial=False):
    d[x] = cumulative_grad(d[y], y, x, axis, include_initial, True)


@adjoint(np.trace, method("trace"))
def trace(y, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    d[a] = trace_grad(d[y], a, offset, axis1, axis2)


@adjoint(np.linalg.trace)
def linalg_trace(y, x, offset=0, dtype=None):
    d[x] = trace_grad(d[y], x, offset, -2, -1)


@adjoint(np.linalg.norm)
def norm(y, x, ord=None, axis=None, keepdims=False):
    d[x] = norm_grad(d[y], y, x, ord, axis, keepdims)


@adjoint(np.linalg.vector_norm)
def vector_norm(y, x, axis=None, keepdims=False, ord=2):
    d[x] = vector_norm_grad(d[y], y, x, ord, axis, keepdims)


@adjoint(np.linalg.matrix_norm)
def matrix_norm(y, x, keepdims=False, ord="fro"):
    d[x] = matrix_norm_grad(d[y], y, x, ord, (-2, -1), keepdims)


# ----- Products -----


@adjoint(np.matmul, np.linalg.matmul, operator.matmul)
def matmul(y, x1, x2):
    d[x1] = matmul_grad(d[y], x1, x2, 0)
    d[x2] = matmul_grad(d[y], x1, x2, 1)


@adjoint(np.dot, method("dot"))
def dot(y, a, b, out=None):
    d[a] = dot_grad(d[y], a, b, 0)
    d[b] = dot_grad(d[y], a, b, 1)


@adjoint(np.vdot)
def vdot(y, a, b):
    d[a] = vdot_grad(d[y], a, b, 0)
    d[b] = vdot_grad(d[y], a, b, 1)


@adjoint(np.inner)
def inner(y, a, b):
    d[a] = inner_grad(d[y], a, b, 0)
    d[b] = inner_grad(d[y], a, b, 1)


@adjoint(np.outer)
def outer(y, a, b, out=None):
    d[a] = outer_grad(d[y], a, b, 0)
    d[b] = outer_grad(d[y], a, b, 1)


@adjoint(np.linalg.outer)
def linalg_outer(y, x1, x2):
    d[x1] = outer_grad(d[y], x1, x2, 0)
    d[x2] = outer_grad(d[y], x1, x2, 1)


@adjoint(np.vecdot, np.linalg.vecdot)
def vecdot(y, x1, x2, axis=-1):
    d[x1] = vecdot_grad(d[y], x1, x2, axis, 0)
    d[x2] = vecdot_grad(d[y], x1, x2, axis, 1)


@adjoint(np.tensordot)
def tensordot(y, a, b, axes=2):
    d[a] = tensordot_grad(d[y], a, b, axes, 0)
    d[b] = tensordot_grad(d[y], a, b, axes, 1)


@adjoint(np.linalg.tensordot)
def linalg_tensordot(y, x1, x2, axes=2):
    d[x1] = tensordot_grad(d[y], x1, x2, axes, 0)
    d[x2] = tensordot_grad(d[y], x1, x2, axes, 1)


@adjoint(np.einsum)
def einsum(
    y,
    subscripts,
    op0=None,
    op1=None,
    op2=None,
    op3=None,
    op4=None,
    out=None,
    dtype=None,
    order="K",
    casting="safe",
    optimize=False,
):
    d[op0] = einsum_grad(d[y], subscripts, 0, op0, op1, op2, op3, op4)
    d[op1] = einsum_grad(d[y], subscripts, 1, op0, op1, op2, op3, op4)
    d[op2] = einsum_grad(d[y], subscripts, 2, op0, op1, op2, op3, op4)
    d[op3] = einsum_grad(d[y], subscripts, 3, op0, op1, op2, op3, op4)
    d[op4] = einsum_grad(d[y], subscripts, 4, op0, op1, op2, op3, op4)


@adjoint(np.kron)
def kron(y, a, b):
    d[a] = kron_grad(d[y], a, b, 0)
    d[b] = kron_grad(d[y], a, b, 1)


@adjoint(np.cross)
def cross(y, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    d[a] = cross_grad(d[y], a, b, axisa, axisb, axisc, axis, 0)
    d[b] = cross_grad(d[y], a, b, axisa, axisb, axisc, axis, 1)


@adjoint(np.linalg.cross)
def linalg_cross(y, x1, x2, axis=-1):
    d[x1] = cross_grad(d[y], x1, x2, axis=axis, k=0)
    d[x2] = cross_grad(d[y], x1, x2, axis=axis, k=1)


@adjoint(np.linalg.multi_dot)
def multi_dot(y, arrays, out=None):
    d[arrays] = multi_dot_grads(d[y], arrays)


@adjoint(np.convolve)
def convolve(y, a, v, mode="full"):
    d[a] = convolve_grad(d[y], a, v, mode, 0)
    d[v] = convolve_grad(d[y], a, v, mode, 1)


@adjoint(np.correlate)
def correlate(y, a, v, mode="valid"):
    d[a] = convolve_grad(d[y], a, v, mode, 0, True)
    d[v] = convolve_grad(d[y], a, v, mode, 1, True)


# ----- Linear algebra -----


@adjoint(np.linalg.solve)
def solve(y, a, b):
    ga, gb = solve_grads(d[y], y, a, b)
    d[a] = ga
    d[b] = gb


@adjoint(np.linalg.inv)
def inv(y, a):
    d[a] = inv_grad(d[y], y)


@adjoint(np.linalg.det)
def det(y, a):
    d[a] = det_grad(d[y], y, a)


@adjoint(np.linalg.slogdet)
def slogdet(y, a):
    d[a] = slogdet_grad(d[y], a)


@adjoint(np.linalg.cholesky)
def cholesky(y, a, upper=False):
    d[a] = cholesky_grad(d[y], y, upper)


@adjoint(np.linalg.eigh)
def eigh(y, a, UPLO="L"):
    d[a] = eigh_grad(d[y], y, a)


@adjoint(np.linalg.eigvalsh)
def eigvalsh(y, a, UPLO="L"):
    d[a] = eigh_grad(d[y], y, a, True)


@adjoint(np.linalg.svd)
def svd(y, a, full_matrices=True, compute_uv=True, hermitian=False):
    d[a] = svd_grad(d[y], y, a, full_matrices, compute_uv)


@adjoint(np.linalg.svdvals)
def svdvals(y, x):
    d[x] = svd_grad(d[y], y, x, False, False)


@adjoint(np.linalg.qr)
def qr(y, a, mode="reduced"):
    d[a] = qr_grad(d[y], y, a, mode)


@adjoint(np.linalg.pinv)
def pinv(y, a, rcond=None, hermitian=False, rtol=None):
    d[a] = pinv_grad(d[y], y, a)


@adjoint(np.linalg.lstsq)
def lstsq(y, a, b, rcond=None):
    ga, gb = lstsq_grads(d[y], y, a, b)
    d[a] = ga
    d[b] = gb


@adjoint(np.linalg.matrix_power)
def matrix_power(y, a, n):
    d[a] = matrix_power_grad(d[y], a, n)


# ----- Shapes -----


@adjoint(np.reshape, cheap=True)
def reshape(y, a, shape=None, order="C", newshape=None, copy=None):
    d[a] = np.reshape(d[y], np.shape(a), order=order)


@adjoint(method("reshape"), cheap=True)
def reshape_method(y, a, *shape, order="C", copy=None):
    d[a] = np.reshape(d[y], np.shape(a), order=order)


@adjoint(np.ravel, method("ravel"), method("flatten"), cheap=True)
def ravel(y, a, order="C"):
    d[a] = np.reshape(d[y], np.shape(a), order=order)


@adjoint(np.squeeze, method("squeeze"), cheap=True)
def squeeze(y, a, axis=None):
    d[a] = np.reshape(d[y], np.shape(a))


@adjoint(np.expand_dims, cheap=True)
def expand_dims(y, a, axis):
    d[a] = np.reshape(d[y], np.shape(a))


@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d, cheap=True)
def atleast_nd(y, ary):
    d[ary] = np.reshape(d[y], np.shape(ary))


@adjoint(np.broadcast_to, cheap=True)
def broadcast_to(y, array, shape, subok=False):
    d[array] = unbroadcast(d[y], array)


@adjoint(np.transpose, cheap=True)
def transpose(y, a, axes=None):
    d[a] = np.transpose(d[y], inverse_permutation(axes, np.ndim(a)))


@adjoint(method("transpose"), cheap=True)
def transpose_method(y, a, *axes):
    d[a] = np.transpose(d[y], inverse_permutation(axes, np.ndim(a)))


@adjoint(attribute("T"), cheap=True)
def T(y, a):
    d[a] = np.transpose(d[y])


@adjoint(np.matrix_transpose, np.linalg.matrix_transpose, attribute("mT"), cheap=True)
def matrix_transpose(y, x):
    d[x] = mT(d[y])


@adjoint(np.swapaxes, method("swapaxes"), cheap=True)
def swapaxes(y, a, axis1, axis2):
    d[a] = np.swapaxes(d[y], axis1, axis2)


@adjoint(np.moveaxis, cheap=True)
def moveaxis(y, a, source, destination):
    d[a] = np.moveaxis(d[y], destination, source)


@adjoint(np.rollaxis, cheap=True)
def rollaxis(y, a, axis, start=0):
    d[a] = rollaxis_grad(d[y], a, axis, start)


@adjoint(np.flip, cheap=True)
def flip(y, m, axis=None):
    d[m] = np.flip(d[y], axis)


@adjoint(np.fliplr, cheap=True)
def fliplr(y, m):
    d[m] = np.fliplr(d[y])


@adjoint(np.flipud, cheap=True)
def flipud(y, m):
    d[m] = np.flipud(d[y])


@adjoint(np.rot90, cheap=True)
def rot90(y, m, k=1, axes=(0, 1)):
    d[m] = np.rot90(d[y], -k, axes)


@adjoint(np.roll, cheap=True)
def roll(y, a, shift, axis=None):
    d[a] = unroll(d[y], shift, axis)


@adjoint(np.tile)
def tile(y, A, reps):
    d[A] = untile(d[y], A, reps)


@adjoint(np.repeat, method("repeat"))
def repeat(y, a, repeats, axis=None):
    d[a] = unrepeat(d[y], a, repeats, axis)


@adjoint(np.pad)
def pad(
    y,
    array,
    pad_width,
    mode="constant",
    constant_values=0,
    end_values=0,
    reflect_type="even",
    stat_length=None,
):
    d[array] = unpad(d[y], array, pad_width, mode, reflect_type)
    d[constant_values] = pad_value_grad(d[y], array, pad_width, constant_values)


# ----- Joining and splitting -----


@adjoint(np.concatenate)
def concatenate(y, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[arrays] = unconcatenate(d[y], arrays, axis)


@adjoint(np.stack)
def stack(y, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[arrays] = unstack(d[y], arrays, axis)


@adjoint(np.vstack)
def vstack(y, tup, dtype=None, casting="same_kind"):
    d[tup] = unconcatenate(d[y], tup, 0, np.atleast_2d)


@adjoint(np.hstack)
def hstack(y, tup, dtype=None, casting="same_kind"):
    d[tup] = hstack_grad(d[y], tup)


@adjoint(np.dstack)
def dstack(y, tup):
    d[tup] = unconcatenate(d[y], tup, 2, np.atleast_3d)


@adjoint(np.column_stack)
def column_stack(y, tup):
    d[tup] = column_stack_grad(d[y], tup)


@adjoint(np.append)
def append(y, arr, values, axis=None):
    garr, gvalues = append_grads(d[y], arr, values, axis)
    d[arr] = garr
    d[values] = gvalues


@adjoint(np.insert)
def insert(y, arr, obj, values, axis=None):
    garr, gvalues = insert_grads(d[y], arr, obj, values, axis)
    d[arr] = garr
    d[values] = gvalues


@adjoint(np.delete)
def delete(y, arr, obj, axis=None):
    d[arr] = delete_grad(d[y], arr, obj, axis)


@adjoint(np.split, np.array_split)
def split(y, ary, indices_or_sections, axis=0):
    d[ary] = unsplit(d[y], y, ary, axis)


@adjoint(np.hsplit)
def hsplit(y, ary, indices_or_sections):
    d[ary] = unsplit(d[y], y, ary, hsplit_axis(ary))


@adjoint(np.vsplit)
def vsplit(y, ary, indices_or_sections):
    d[ary] = unsplit(d[y], y, ary, 0)


@adjoint(np.dsplit)
def dsplit(y, ary, indices_or_sections):
    d[ary] = unsplit(d[y], y, ary, 2)


@adjoint(np.unstack)
def unstack_(y, x, axis=0):
    d[x] = restack(d[y], y, x, axis)


# ----- Diagonals and triangles -----


@adjoint(np.diag)
def diag(y, v, k=0):
    d[v] = diag_grad(d[y], v, k)


@adjoint(np.diagflat)
def diagflat(y, v, k=0):
    d[v] = np.reshape(np.diagonal(d[y], k), np.shape(v))


@adjoint(np.diagonal, method("diagonal"))
def diagonal(y, a, offset=0, axis1=0, axis2=1):
    d[a] = diagonal_grad(d[y], a, offset, axis1, axis2)


@adjoint(np.linalg.diagonal)
def linalg_diagonal(y, x, offset=0):
    d[x] = diagonal_grad(d[y], x, offset, -2, -1)


@adjoint(np.triu, cheap=True)
def triu(y, m, k=0):
    d[m] = np.triu(d[y], k)


@adjoint(np.tril, cheap=True)
def tril(y, m, k=0):
    d[m] = np.tril(d[y], k)


# ----- Sorting, gathering, differences -----


@adjoint(np.sort)
def sort(y, a, axis=-1, kind=None, order=None, stable=None):
    d[a] = sort_grad(d[y], a, axis)


@adjoint(np.partition)
def partition(y, a, kth, axis=-1, kind="introselect", order=None):
    d[a] = partition_grad(d[y], a, kth, axis)


@adjoint(np.take_along_axis)
def take_along_axis(y, arr, indices, axis=-1):
    d[arr] = take_along_axis_grad(d[y], arr, indices, axis)


@adjoint(np.take, method("take"))
def take(y, a, indices, axis=None, out=None, mode="raise"):
    d[a] = take_grad(d[y], a, indices, axis, mode)


@adjoint(np.compress)
def compress(y, condition, a, axis=None, out=None):
    d[a] = compress_grad(d[y], condition, a, axis)


@adjoint(method("compress"))
def compress_method(y, a, condition, axis=None, out=None):
    d[a] = compress_grad(d[y], condition, a, axis)


@adjoint(np.extract)
def extract(y, condition, arr):
    d[arr] = extract_grad(d[y], condition, arr)


@adjoint(np.diff)
def diff(y, a, n=1, axis=-1, prepend=None, append=None):
    ga, gprepend, gappend = diff_grads(d[y], a, n, axis, prepend, append)
    d[a] = ga
    d[prepend] = gprepend
    d[append] = gappend


# ----- Construction and conversion -----


@adjoint(np.array)
def array(y, object, dtype=None, copy=True, order="K", subok=False, ndmin=0, like=None):
    d[object] = unarray(d[y], object)


@adjoint(np.asarray, np.asanyarray)
def asarray(y, a, dtype=None, order=None, device=None, copy=None, like=None):
    d[a] = unarray(d[y], a)


@adjoint(np.ascontiguousarray, np.asfortranarray, np.asarray_chkfinite)
def ascontiguousarray(y, a, dtype=None, order=None, like=None):
    d[a] = unarray(d[y], a)


@adjoint(np.copy, method("copy"), cheap=True)
def copy(y, a, order="K", subok=False):
    d[a] = d[y]


@adjoint(method("astype"), np.astype, cheap=True)
def astype(
    y, x, dtype, order="K", casting="unsafe", subok=True, copy=True, device=None
):
    d[x] = cast_grad(d[y], x, dtype)


@adjoint(method("item"))
def item(y, a, *args):
    d[a] = scalar_item_grad(d[y], a, args)


# ----- Non-differentiable -----

# Integer- or boolean-valued results, rounding, and values that do not depend
# on their arguments' values: their outputs carry no derivative.
nondifferentiable(
    # shape queries
    np.shape,
    np.size,
    np.ndim,
    np.broadcast_shapes,
    np.iscomplexobj,
    np.isrealobj,
    np.shares_memory,
    np.may_share_memory,
    np.result_type,
    attribute("shape"),
    attribute("ndim"),
    attribute("size"),
    attribute("dtype"),
    attribute("itemsize"),
    attribute("nbytes"),
    attribute("strides"),
    # new arrays that do not depend on values
    np.zeros,
    np.ones,
    np.empty,
    np.full,
    np.zeros_like,
    np.ones_like,
    np.empty_like,
    np.full_like,
    np.arange,
    np.linspace,
    np.logspace,
    np.geomspace,
    np.eye,
    np.identity,
    np.tri,
    np.indices,
    np.tril_indices,
    np.triu_indices,
    np.diag_indices,
    np.tril_indices_from,
    np.triu_indices_from,
    np.diag_indices_from,
    # indices and counts
    np.argmax,
    np.argmin,
    np.nanargmax,
    np.nanargmin,
    np.argsort,
    np.argpartition,
    np.lexsort,
    np.argwhere,
    np.nonzero,
    np.flatnonzero,
    np.searchsorted,
    np.digitize,
    np.bincount,
    np.unique,
    np.unique_values,
    np.unique_counts,
    np.unique_inverse,
    np.unique_all,
    np.count_nonzero,
    np.histogram,
    np.histogram_bin_edges,
    np.ravel_multi_index,
    np.unravel_index,
    np.isin,
    method("argmax"),
    method("argmin"),
    method("argsort"),
    method("argpartition"),
    method("nonzero"),
    method("searchsorted"),
    # rounding and piecewise-constant functions
    np.sign,
    np.signbit,
    np.heaviside,
    np.floor,
    np.ceil,
    np.round,
    np.around,
    np.rint,
    np.trunc,
    np.fix,
    np.floor_divide,
    np.spacing,
    np.gcd,
    np.lcm,
    np.bitwise_and,
    np.bitwise_or,
    np.bitwise_xor,
    np.invert,
    np.left_shift,
    np.right_shift,
    method("round"),
    # comparisons and logic
    np.greater,
    np.greater_equal,
    np.less,
    np.less_equal,
    np.equal,
    np.not_equal,
    np.logical_and,
    np.logical_or,
    np.logical_not,
    np.logical_xor,
    np.all,
    np.any,
    method("all"),
    method("any"),
    np.isnan,
    np.isinf,
    np.isfinite,
    np.isposinf,
    np.isneginf,
    np.isreal,
    np.iscomplex,
    np.isclose,
    np.allclose,
    np.array_equal,
    np.array_equiv,
    # random draws
    np.random.rand,
    np.random.randn,
    np.random.normal,
    np.random.uniform,
    np.random.randint,
    np.random.choice,
    np.random.permutation,
    np.random.random,
    np.random.random_sample,
    np.random.standard_normal,
    np.random.binomial,
    np.random.poisson,
    np.random.exponential,
    np.random.beta,
    np.random.gamma,
    np.random.laplace,
    np.random.lognormal,
    np.random.multivariate_normal,
    np.random.seed,
    np.random.default_rng,
)


# ----- The helpers themselves, for grad(grad(f)) -----

# A generated gradient calls the helpers of the rules above; these rules let
# `tangent.grad` differentiate it again. Each helper is linear in the adjoint
# `g` it receives; masks and counts (max, maximum) are piecewise constant.


@adjoint(rule_helpers.unreduce)
def unreduce_rule(y, g, x, axis=None, keepdims=False, where=True):
    d[g] = unreduce_adjoint(d[y], g, x, axis, keepdims, where)


@adjoint(rule_helpers.mean_grad)
def mean_grad_rule(y, g, x, axis=None, keepdims=False, where=True):
    d[g] = mean_grad_adjoint(d[y], g, x, axis, keepdims, where)


@adjoint(rule_helpers.extremum_grad)
def extremum_grad_rule(y, g, y_, x, axis=None, keepdims=False, where=True):
    d[g] = extremum_grad_adjoint(d[y], g, y_, x, axis, keepdims, where)


@adjoint(rule_helpers.cumsum_grad)
def cumsum_grad_rule(y, g, x, axis=None):
    d[g] = cumsum_grad_adjoint(d[y], g, x, axis)


@adjoint(rule_helpers.pair_extremum_grads)
def pair_extremum_grads_rule(y, g, x1, x2, larger=True, ignore_nan=False):
    d[g] = pair_extremum_grads_adjoint(d[y], g, x1, x2, larger, ignore_nan)


@adjoint(rule_helpers.as_grad, cheap=True)
def as_grad_rule(y, g, x):
    d[g] = unbroadcast(d[y], g)


@adjoint(rule_helpers.matmul_grad)
def matmul_grad_rule(y, g, a, b, k):
    d[g] = product_grad_adjoint(d[y], g, a, b, k, -1, np.matmul, matmul_grad)
    d[a] = product_grad_adjoint(d[y], g, a, b, k, 0, np.matmul, matmul_grad)
    d[b] = product_grad_adjoint(d[y], g, a, b, k, 1, np.matmul, matmul_grad)


@adjoint(rule_helpers.dot_grad)
def dot_grad_rule(y, g, a, b, k):
    d[g] = product_grad_adjoint(d[y], g, a, b, k, -1, np.dot, dot_grad)
    d[a] = product_grad_adjoint(d[y], g, a, b, k, 0, np.dot, dot_grad)
    d[b] = product_grad_adjoint(d[y], g, a, b, k, 1, np.dot, dot_grad)


@adjoint(rule_helpers.einsum_grad)
def einsum_grad_rule(
    y, g, subscripts, k, op0=None, op1=None, op2=None, op3=None, op4=None
):
    d[g] = einsum_grad_adjoint(d[y], g, subscripts, k, -1, op0, op1, op2, op3, op4)
    d[op0] = einsum_grad_adjoint(d[y], g, subscripts, k, 0, op0, op1, op2, op3, op4)
    d[op1] = einsum_grad_adjoint(d[y], g, subscripts, k, 1, op0, op1, op2, op3, op4)
    d[op2] = einsum_grad_adjoint(d[y], g, subscripts, k, 2, op0, op1, op2, op3, op4)
    d[op3] = einsum_grad_adjoint(d[y], g, subscripts, k, 3, op0, op1, op2, op3, op4)
    d[op4] = einsum_grad_adjoint(d[y], g, subscripts, k, 4, op0, op1, op2, op3, op4)
