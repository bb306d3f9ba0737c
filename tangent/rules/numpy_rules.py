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
from tangent.rules.registry import (
    RULES,
    adjoint,
    attribute,
    d,
    forward_rule,
    linear,
    method,
    nondifferentiable,
)
from tangent.rules.rule_helpers import (
    abs_grad_sign,
    append_grads,
    average_grads,
    average_weights_tangent,
    cast_grad,
    cast_tangent,
    cholesky_grad,
    cholesky_tangent,
    clip_bound_tangent,
    clip_bounds,
    clip_grads,
    column_stack_grad,
    complex_part_grad,
    compress_grad,
    convolve_grad,
    cross_grad,
    cumprod_grad,
    cumprod_tangent,
    cumsum_grad,
    cumsum_grad_adjoint,
    cumulative_grad,
    cumulative_prod_tangent,
    delete_grad,
    det_grad,
    det_tangent,
    diag_grad,
    diagonal_grad,
    diff_grads,
    diff_tangent,
    dot_grad,
    eigh_grad,
    eigh_tangent,
    einsum_grad,
    einsum_grad_adjoint,
    extract_grad,
    extremum_grad,
    extremum_grad_adjoint,
    extremum_share,
    hsplit_axis,
    hstack_grad,
    inner_grad,
    insert_grads,
    interp_fp_tangent,
    interp_grads,
    interp_xp_tangent,
    inv_grad,
    inverse_permutation,
    kron_grad,
    logaddexp_grads,
    lstsq_grads,
    lstsq_tangent,
    matmul_grad,
    matrix_norm_grad,
    matrix_power_grad,
    matrix_power_tangent,
    mean_grad,
    mean_grad_adjoint,
    median_grad,
    moment_grad,
    mT,
    multi_dot_grads,
    multi_dot_tangent,
    nan_extremum_share,
    nan_moment_grad,
    nan_to_num_grad,
    nan_weighted_sum,
    nancumsum_grad,
    nanmean_grad,
    nanprod_grad,
    norm_grad,
    outer_grad,
    pad_tangent,
    pad_value_grad,
    pad_value_tangent,
    pair_extremum_grads,
    pair_extremum_grads_adjoint,
    partition_grad,
    pinv_grad,
    pinv_tangent,
    product_grad_adjoint,
    products_of_others,
    ptp_grad,
    qr_grad,
    qr_tangent,
    restack,
    rollaxis_grad,
    safe_divide,
    scalar_item_grad,
    select_default_grad,
    select_grads,
    sign_agreement,
    sinc_derivative,
    slogdet_grad,
    slogdet_tangent,
    solve_grads,
    sort_grad,
    sort_tangent,
    svd_grad,
    svd_tangent,
    svdvals_tangent,
    take_along_axis_grad,
    take_grad,
    tensordot_grad,
    trace_grad,
    unarray,
    unconcatenate,
    unless_same,
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
    weighted_sum,
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
    d[x] = d[y] * abs_grad_sign(x)


@adjoint(np.sinc, cheap=True)
def sinc(y, x):
    d[x] = d[y] * sinc_derivative(x)


@forward_rule(np.sinc)
def sinc(y, x):
    d[y] = d[x] * sinc_derivative(x)


@adjoint(np.deg2rad, np.radians, cheap=True)
def deg2rad(y, x):
    d[x] = d[y] * (np.pi / 180.0)


@adjoint(np.rad2deg, np.degrees, cheap=True)
def rad2deg(y, x):
    d[x] = d[y] * (180.0 / np.pi)


@adjoint(np.nan_to_num, cheap=True)
def nan_to_num(y, x, copy=True, nan=0.0, posinf=None, neginf=None):
    d[x] = nan_to_num_grad(d[y], x)


@forward_rule(np.nan_to_num)
def nan_to_num(y, x, copy=True, nan=0.0, posinf=None, neginf=None):
    d[y] = nan_to_num_grad(d[x], x)


@adjoint(np.real, attribute("real"), cheap=True)
def real(y, val):
    d[val] = complex_part_grad(d[y], val, "real")


linear(np.real, attribute("real"), args=("val",))


@adjoint(np.imag, attribute("imag"), cheap=True)
def imag(y, val):
    d[val] = complex_part_grad(d[y], val, "imag")


linear(np.imag, attribute("imag"), args=("val",))


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


@forward_rule(np.maximum)
def maximum(y, x1, x2):
    d[y] = extremum_share(d[x1], x1, x2, True)
    d[y] = extremum_share(d[x2], x2, x1, True)


@adjoint(np.minimum, cheap=True)
def minimum(y, x1, x2):
    g1, g2 = pair_extremum_grads(d[y], x1, x2, False)
    d[x1] = g1
    d[x2] = g2


@forward_rule(np.minimum)
def minimum(y, x1, x2):
    d[y] = extremum_share(d[x1], x1, x2, False)
    d[y] = extremum_share(d[x2], x2, x1, False)


@adjoint(np.fmax, cheap=True)
def fmax(y, x1, x2):
    g1, g2 = pair_extremum_grads(d[y], x1, x2, True, True)
    d[x1] = g1
    d[x2] = g2


@forward_rule(np.fmax)
def fmax(y, x1, x2):
    d[y] = nan_extremum_share(d[x1], x1, x2, True, True)
    d[y] = nan_extremum_share(d[x2], x1, x2, True, False)


@adjoint(np.fmin, cheap=True)
def fmin(y, x1, x2):
    g1, g2 = pair_extremum_grads(d[y], x1, x2, False, True)
    d[x1] = g1
    d[x2] = g2


@forward_rule(np.fmin)
def fmin(y, x1, x2):
    d[y] = nan_extremum_share(d[x1], x1, x2, False, True)
    d[y] = nan_extremum_share(d[x2], x1, x2, False, False)


@adjoint(np.logaddexp, cheap=True)
def logaddexp(y, x1, x2):
    g1, g2 = logaddexp_grads(d[y], y, x1, x2)
    d[x1] = g1
    d[x2] = g2


@forward_rule(np.logaddexp)
def logaddexp(y, x1, x2):
    d[y] = d[x1] * np.exp(x1 - y)
    d[y] = d[x2] * np.exp(x2 - y)


@adjoint(np.logaddexp2, cheap=True)
def logaddexp2(y, x1, x2):
    g1, g2 = logaddexp_grads(d[y], y, x1, x2, 2)
    d[x1] = g1
    d[x2] = g2


@forward_rule(np.logaddexp2)
def logaddexp2(y, x1, x2):
    d[y] = d[x1] * np.exp2(x1 - y)
    d[y] = d[x2] * np.exp2(x2 - y)


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


@forward_rule(np.where)
def where(out, condition, x=None, y=None):
    d[out] = np.where(condition, d[x], 0.0)
    d[out] = np.where(condition, 0.0, d[y])


@adjoint(np.clip, method("clip"), cheap=True)
def clip(y, a, a_min=None, a_max=None, out=None, min=None, max=None):
    lo, hi = clip_bounds(a_min, a_max, min, max)
    ga, glo, ghi = clip_grads(d[y], a, lo, hi)
    d[a] = ga
    d[a_min] = glo
    d[a_max] = ghi
    d[min] = glo
    d[max] = ghi


@forward_rule(np.clip, method("clip"))
def clip(y, a, a_min=None, a_max=None, out=None, min=None, max=None):
    lo, hi = clip_bounds(a_min, a_max, min, max)
    d[y] = clip_grads(d[a], a, lo, hi)[0]
    d[y] = clip_bound_tangent(d[a_min], a, lo, hi, False)
    d[y] = clip_bound_tangent(d[a_max], a, lo, hi, True)
    d[y] = clip_bound_tangent(d[min], a, lo, hi, False)
    d[y] = clip_bound_tangent(d[max], a, lo, hi, True)


@adjoint(np.select)
def select(y, condlist, choicelist, default=0):
    d[choicelist] = select_grads(d[y], condlist, choicelist)
    d[default] = select_default_grad(d[y], condlist, default)


@forward_rule(np.select)
def select(y, condlist, choicelist, default=0):
    d[y] = np.select(condlist, d[choicelist], 0.0)
    d[y] = np.select(condlist, [0.0] * len(condlist), d[default])


@adjoint(np.interp)
def interp(y, x, xp, fp, left=None, right=None, period=None):
    gx, gxp, gfp, gleft, gright = interp_grads(d[y], x, xp, fp, left, right, period)
    d[x] = gx
    d[xp] = gxp
    d[fp] = gfp
    d[left] = gleft
    d[right] = gright


@forward_rule(np.interp)
def interp(y, x, xp, fp, left=None, right=None, period=None):
    d[y] = interp_grads(d[x], x, xp, fp, left, right, period)[0]
    d[y] = interp_xp_tangent(d[xp], x, xp, fp)
    d[y] = interp_fp_tangent(d[fp], x, xp, left, right)
    d[y] = np.where(np.asarray(x) < xp[0], d[left], 0.0)
    d[y] = np.where(np.asarray(x) > xp[-1], d[right], 0.0)


# ----- Reductions -----


@adjoint(np.sum, method("sum"))
def sum(
    y, a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=True
):
    d[a] = unreduce(d[y], a, axis, keepdims, where)


linear(np.sum, method("sum"), args=("a",))


@adjoint(np.nansum)
def nansum(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = np.where(np.isnan(a), 0.0, unreduce(d[y], a, axis, keepdims))


@forward_rule(np.nansum)
def nansum(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = np.sum(np.where(np.isnan(a), 0.0, d[a]), axis=axis, keepdims=keepdims)


@adjoint(np.mean, method("mean"))
def mean(y, a, axis=None, dtype=None, out=None, keepdims=False, where=True):
    d[a] = mean_grad(d[y], a, axis, keepdims, where)


linear(np.mean, method("mean"), args=("a",))


@adjoint(np.nanmean)
def nanmean(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = nanmean_grad(d[y], a, axis, keepdims)


@forward_rule(np.nanmean)
def nanmean(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = np.nanmean(np.where(np.isnan(a), np.nan, d[a]), axis=axis, keepdims=keepdims)


@adjoint(np.average)
def average(y, a, axis=None, weights=None, returned=False, keepdims=False):
    ga, gw = average_grads(d[y], y, a, axis, weights, returned, keepdims)
    d[a] = ga
    d[weights] = gw


@forward_rule(np.average)
def average(y, a, axis=None, weights=None, returned=False, keepdims=False):
    d[y] = np.average(d[a], axis=axis, weights=weights, keepdims=keepdims)
    d[y] = average_weights_tangent(d[weights], y, a, axis, weights, keepdims)


@adjoint(np.prod, method("prod"))
def prod(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = unreduce(d[y], a, axis, keepdims) * products_of_others(a, axis)


@forward_rule(np.prod, method("prod"))
def prod(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = weighted_sum(d[a], products_of_others(a, axis), axis, keepdims)


@adjoint(np.nanprod)
def nanprod(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[a] = nanprod_grad(d[y], a, axis, keepdims)


@forward_rule(np.nanprod)
def nanprod(y, a, axis=None, dtype=None, out=None, keepdims=False):
    d[y] = nan_weighted_sum(
        d[a], a, products_of_others(np.where(np.isnan(a), 1.0, a), axis), axis, keepdims
    )


@adjoint(np.max, np.amax, np.min, np.amin, method("max"), method("min"))
def max(y, a, axis=None, out=None, keepdims=False, initial=None, where=True):
    d[a] = extremum_grad(d[y], y, a, axis, keepdims, where)


@forward_rule(np.max, np.amax, np.min, np.amin, method("max"), method("min"))
def max(y, a, axis=None, out=None, keepdims=False, initial=None, where=True):
    d[y] = weighted_sum(
        d[a],
        extremum_grad(np.ones_like(y), y, a, axis, keepdims, where),
        axis,
        keepdims,
    )


@adjoint(np.nanmax, np.nanmin)
def nanmax(y, a, axis=None, out=None, keepdims=False):
    d[a] = extremum_grad(d[y], y, a, axis, keepdims)


@forward_rule(np.nanmax, np.nanmin)
def nanmax(y, a, axis=None, out=None, keepdims=False):
    d[y] = nan_weighted_sum(
        d[a], a, extremum_grad(np.ones_like(y), y, a, axis, keepdims), axis, keepdims
    )


@adjoint(np.ptp)
def ptp(y, a, axis=None, out=None, keepdims=False):
    d[a] = ptp_grad(d[y], a, axis, keepdims)


@forward_rule(np.ptp)
def ptp(y, a, axis=None, out=None, keepdims=False):
    d[y] = weighted_sum(
        d[a], ptp_grad(np.ones_like(y), a, axis, keepdims), axis, keepdims
    )


@adjoint(np.median)
def median(y, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    d[a] = median_grad(d[y], y, a, axis, keepdims)


@forward_rule(np.median)
def median(y, a, axis=None, out=None, overwrite_input=False, keepdims=False):
    d[y] = weighted_sum(
        d[a], median_grad(np.ones_like(y), y, a, axis, keepdims), axis, keepdims
    )


@adjoint(np.var, method("var"))
def var(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, correction=None):
    d[a] = moment_grad(d[y], a, axis, ddof, keepdims, correction)


@forward_rule(np.var, method("var"))
def var(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, correction=None):
    d[y] = weighted_sum(
        d[a],
        moment_grad(np.ones_like(y), a, axis, ddof, keepdims, correction),
        axis,
        keepdims,
    )


@adjoint(np.std, method("std"))
def std(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, correction=None):
    d[a] = moment_grad(d[y], a, axis, ddof, keepdims, correction, y)


@forward_rule(np.std, method("std"))
def std(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, correction=None):
    d[y] = weighted_sum(
        d[a],
        moment_grad(np.ones_like(y), a, axis, ddof, keepdims, correction, y),
        axis,
        keepdims,
    )


@adjoint(np.nanvar)
def nanvar(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = nan_moment_grad(d[y], a, axis, ddof, keepdims)


@forward_rule(np.nanvar)
def nanvar(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[y] = nan_weighted_sum(
        d[a],
        a,
        nan_moment_grad(np.ones_like(y), a, axis, ddof, keepdims),
        axis,
        keepdims,
    )


@adjoint(np.nanstd)
def nanstd(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[a] = nan_moment_grad(d[y], a, axis, ddof, keepdims, y)


@forward_rule(np.nanstd)
def nanstd(y, a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    d[y] = nan_weighted_sum(
        d[a],
        a,
        nan_moment_grad(np.ones_like(y), a, axis, ddof, keepdims, y),
        axis,
        keepdims,
    )


@adjoint(np.cumsum, method("cumsum"))
def cumsum(y, a, axis=None, dtype=None, out=None):
    d[a] = cumsum_grad(d[y], a, axis)


linear(np.cumsum, method("cumsum"), args=("a",))


@adjoint(np.nancumsum)
def nancumsum(y, a, axis=None, dtype=None, out=None):
    d[a] = nancumsum_grad(d[y], a, axis)


@forward_rule(np.nancumsum)
def nancumsum(y, a, axis=None, dtype=None, out=None):
    d[y] = np.cumsum(np.where(np.isnan(a), 0.0, d[a]), axis=axis)


@adjoint(np.cumprod, method("cumprod"))
def cumprod(y, a, axis=None, dtype=None, out=None):
    d[a] = cumprod_grad(d[y], y, a, axis)


@forward_rule(np.cumprod, method("cumprod"))
def cumprod(y, a, axis=None, dtype=None, out=None):
    d[y] = cumprod_tangent(d[a], y, a, axis)


@adjoint(np.cumulative_sum)
def cumulative_sum(y, x, axis=None, dtype=None, out=None, include_initial=False):
    d[x] = cumulative_grad(d[y], y, x, axis, include_initial)


linear(np.cumulative_sum, args=("x",))


@adjoint(np.cumulative_prod)
def cumulative_prod(y, x, axis=None, dtype=None, out=None, include_initial=False):
    d[x] = cumulative_grad(d[y], y, x, axis, include_initial, True)


@forward_rule(np.cumulative_prod)
def cumulative_prod(y, x, axis=None, dtype=None, out=None, include_initial=False):
    d[y] = cumulative_prod_tangent(d[x], y, x, axis, include_initial)


@adjoint(np.trace, method("trace"))
def trace(y, a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    d[a] = trace_grad(d[y], a, offset, axis1, axis2)


linear(np.trace, method("trace"), args=("a",))


@adjoint(np.linalg.trace)
def linalg_trace(y, x, offset=0, dtype=None):
    d[x] = trace_grad(d[y], x, offset, -2, -1)


linear(np.linalg.trace, args=("x",))


@adjoint(np.linalg.norm)
def norm(y, x, ord=None, axis=None, keepdims=False):
    d[x] = norm_grad(d[y], y, x, ord, axis, keepdims)


@forward_rule(np.linalg.norm)
def norm(y, x, ord=None, axis=None, keepdims=False):
    d[y] = weighted_sum(
        d[x], norm_grad(np.ones_like(y), y, x, ord, axis, keepdims), axis, keepdims
    )


@adjoint(np.linalg.vector_norm)
def vector_norm(y, x, axis=None, keepdims=False, ord=2):
    d[x] = vector_norm_grad(d[y], y, x, ord, axis, keepdims)


@forward_rule(np.linalg.vector_norm)
def vector_norm(y, x, axis=None, keepdims=False, ord=2):
    d[y] = weighted_sum(
        d[x],
        vector_norm_grad(np.ones_like(y), y, x, ord, axis, keepdims),
        axis,
        keepdims,
    )


@adjoint(np.linalg.matrix_norm)
def matrix_norm(y, x, keepdims=False, ord="fro"):
    d[x] = matrix_norm_grad(d[y], y, x, ord, (-2, -1), keepdims)


@forward_rule(np.linalg.matrix_norm)
def matrix_norm(y, x, keepdims=False, ord="fro"):
    d[y] = weighted_sum(
        d[x],
        matrix_norm_grad(np.ones_like(y), y, x, ord, (-2, -1), keepdims),
        (-2, -1),
        keepdims,
    )


# ----- Products -----


@adjoint(np.matmul, np.linalg.matmul, operator.matmul)
def matmul(y, x1, x2):
    d[x1] = matmul_grad(d[y], x1, x2, 0)
    d[x2] = matmul_grad(d[y], x1, x2, 1)


linear(np.matmul, np.linalg.matmul, operator.matmul, args=("x1", "x2"))


@adjoint(np.dot, method("dot"))
def dot(y, a, b, out=None):
    d[a] = dot_grad(d[y], a, b, 0)
    d[b] = dot_grad(d[y], a, b, 1)


linear(np.dot, method("dot"), args=("a", "b"))


@adjoint(np.vdot)
def vdot(y, a, b):
    d[a] = vdot_grad(d[y], a, b, 0)
    d[b] = vdot_grad(d[y], a, b, 1)


linear(np.vdot, args=("a", "b"))


@adjoint(np.inner)
def inner(y, a, b):
    d[a] = inner_grad(d[y], a, b, 0)
    d[b] = inner_grad(d[y], a, b, 1)


linear(np.inner, args=("a", "b"))


@adjoint(np.outer)
def outer(y, a, b, out=None):
    d[a] = outer_grad(d[y], a, b, 0)
    d[b] = outer_grad(d[y], a, b, 1)


linear(np.outer, args=("a", "b"))


@adjoint(np.linalg.outer)
def linalg_outer(y, x1, x2):
    d[x1] = outer_grad(d[y], x1, x2, 0)
    d[x2] = outer_grad(d[y], x1, x2, 1)


linear(np.linalg.outer, args=("x1", "x2"))


@adjoint(np.vecdot, np.linalg.vecdot)
def vecdot(y, x1, x2, axis=-1):
    d[x1] = vecdot_grad(d[y], x1, x2, axis, 0)
    d[x2] = vecdot_grad(d[y], x1, x2, axis, 1)


linear(np.vecdot, np.linalg.vecdot, args=("x1", "x2"))


@adjoint(np.tensordot)
def tensordot(y, a, b, axes=2):
    d[a] = tensordot_grad(d[y], a, b, axes, 0)
    d[b] = tensordot_grad(d[y], a, b, axes, 1)


linear(np.tensordot, args=("a", "b"))


@adjoint(np.linalg.tensordot)
def linalg_tensordot(y, x1, x2, axes=2):
    d[x1] = tensordot_grad(d[y], x1, x2, axes, 0)
    d[x2] = tensordot_grad(d[y], x1, x2, axes, 1)


linear(np.linalg.tensordot, args=("x1", "x2"))


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


linear(np.einsum, args=("op0", "op1", "op2", "op3", "op4"))


@adjoint(np.kron)
def kron(y, a, b):
    d[a] = kron_grad(d[y], a, b, 0)
    d[b] = kron_grad(d[y], a, b, 1)


linear(np.kron, args=("a", "b"))


@adjoint(np.cross)
def cross(y, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    d[a] = cross_grad(d[y], a, b, axisa, axisb, axisc, axis, 0)
    d[b] = cross_grad(d[y], a, b, axisa, axisb, axisc, axis, 1)


linear(np.cross, args=("a", "b"))


@adjoint(np.linalg.cross)
def linalg_cross(y, x1, x2, axis=-1):
    d[x1] = cross_grad(d[y], x1, x2, axis=axis, k=0)
    d[x2] = cross_grad(d[y], x1, x2, axis=axis, k=1)


linear(np.linalg.cross, args=("x1", "x2"))


@adjoint(np.linalg.multi_dot)
def multi_dot(y, arrays, out=None):
    d[arrays] = multi_dot_grads(d[y], arrays)


@forward_rule(np.linalg.multi_dot)
def multi_dot(y, arrays, out=None):
    d[y] = multi_dot_tangent(d[arrays], arrays)


@adjoint(np.convolve)
def convolve(y, a, v, mode="full"):
    d[a] = convolve_grad(d[y], a, v, mode, 0)
    d[v] = convolve_grad(d[y], a, v, mode, 1)


linear(np.convolve, args=("a", "v"))


@adjoint(np.correlate)
def correlate(y, a, v, mode="valid"):
    d[a] = convolve_grad(d[y], a, v, mode, 0, True)
    d[v] = convolve_grad(d[y], a, v, mode, 1, True)


linear(np.correlate, args=("a", "v"))


# ----- Linear algebra -----


@adjoint(np.linalg.solve)
def solve(y, a, b):
    ga, gb = solve_grads(d[y], y, a, b)
    d[a] = ga
    d[b] = gb


@forward_rule(np.linalg.solve)
def solve(y, a, b):
    d[y] = np.linalg.solve(a, d[b])
    d[y] = -np.linalg.solve(a, d[a] @ y)


@adjoint(np.linalg.inv)
def inv(y, a):
    d[a] = inv_grad(d[y], y)


@forward_rule(np.linalg.inv)
def inv(y, a):
    d[y] = -(y @ d[a] @ y)


@adjoint(np.linalg.det)
def det(y, a):
    d[a] = det_grad(d[y], y, a)


@forward_rule(np.linalg.det)
def det(y, a):
    d[y] = det_tangent(d[a], y, a)


@adjoint(np.linalg.slogdet)
def slogdet(y, a):
    d[a] = slogdet_grad(d[y], a)


@forward_rule(np.linalg.slogdet)
def slogdet(y, a):
    d[y] = slogdet_tangent(d[a], a, y)


@adjoint(np.linalg.cholesky)
def cholesky(y, a, upper=False):
    d[a] = cholesky_grad(d[y], y, upper)


@forward_rule(np.linalg.cholesky)
def cholesky(y, a, upper=False):
    d[y] = cholesky_tangent(d[a], y, upper)


@adjoint(np.linalg.eigh)
def eigh(y, a, UPLO="L"):
    d[a] = eigh_grad(d[y], y, a)


@forward_rule(np.linalg.eigh)
def eigh(y, a, UPLO="L"):
    d[y] = eigh_tangent(d[a], y)


@adjoint(np.linalg.eigvalsh)
def eigvalsh(y, a, UPLO="L"):
    d[a] = eigh_grad(d[y], y, a, True)


@forward_rule(np.linalg.eigvalsh)
def eigvalsh(y, a, UPLO="L"):
    d[y] = eigh_tangent(d[a], np.linalg.eigh(a), True)


@adjoint(np.linalg.svd)
def svd(y, a, full_matrices=True, compute_uv=True, hermitian=False):
    d[a] = svd_grad(d[y], y, a, full_matrices, compute_uv)


@forward_rule(np.linalg.svd)
def svd(y, a, full_matrices=True, compute_uv=True, hermitian=False):
    d[y] = svd_tangent(d[a], a, y, full_matrices, compute_uv)


@adjoint(np.linalg.svdvals)
def svdvals(y, x):
    d[x] = svd_grad(d[y], y, x, False, False)


@forward_rule(np.linalg.svdvals)
def svdvals(y, x):
    d[y] = svdvals_tangent(d[x], x)


@adjoint(np.linalg.qr)
def qr(y, a, mode="reduced"):
    d[a] = qr_grad(d[y], y, a, mode)


@forward_rule(np.linalg.qr)
def qr(y, a, mode="reduced"):
    d[y] = qr_tangent(d[a], a, y, mode)


@adjoint(np.linalg.pinv)
def pinv(y, a, rcond=None, hermitian=False, rtol=None):
    d[a] = pinv_grad(d[y], y, a)


@forward_rule(np.linalg.pinv)
def pinv(y, a, rcond=None, hermitian=False, rtol=None):
    d[y] = pinv_tangent(d[a], a, y)


@adjoint(np.linalg.lstsq)
def lstsq(y, a, b, rcond=None):
    ga, gb = lstsq_grads(d[y], y, a, b)
    d[a] = ga
    d[b] = gb


@forward_rule(np.linalg.lstsq, container=True)
def lstsq(y, a, b, rcond=None):
    d[y] = lstsq_tangent(d[a], None, a, b, y)
    d[y] = lstsq_tangent(None, d[b], a, b, y)


@adjoint(np.linalg.matrix_power)
def matrix_power(y, a, n):
    d[a] = matrix_power_grad(d[y], a, n)


@forward_rule(np.linalg.matrix_power)
def matrix_power(y, a, n):
    d[y] = matrix_power_tangent(d[a], a, n)


# ----- Shapes -----


@adjoint(np.reshape, cheap=True)
def reshape(y, a, shape=None, order="C", newshape=None, copy=None):
    d[a] = np.reshape(d[y], np.shape(a), order=order)


linear(np.reshape, args=("a",))


@adjoint(method("reshape"), cheap=True)
def reshape_method(y, a, *shape, order="C", copy=None):
    d[a] = np.reshape(d[y], np.shape(a), order=order)


linear(method("reshape"), args=("a",))


@adjoint(np.ravel, method("ravel"), method("flatten"), cheap=True)
def ravel(y, a, order="C"):
    d[a] = np.reshape(d[y], np.shape(a), order=order)


linear(np.ravel, method("ravel"), method("flatten"), args=("a",))


@adjoint(np.squeeze, method("squeeze"), cheap=True)
def squeeze(y, a, axis=None):
    d[a] = np.reshape(d[y], np.shape(a))


linear(np.squeeze, method("squeeze"), args=("a",))


@adjoint(np.expand_dims, cheap=True)
def expand_dims(y, a, axis):
    d[a] = np.reshape(d[y], np.shape(a))


linear(np.expand_dims, args=("a",))


@adjoint(np.atleast_1d, np.atleast_2d, np.atleast_3d, cheap=True)
def atleast_nd(y, ary):
    d[ary] = np.reshape(d[y], np.shape(ary))


linear(np.atleast_1d, np.atleast_2d, np.atleast_3d, args=("ary",))


@adjoint(np.broadcast_to, cheap=True)
def broadcast_to(y, array, shape, subok=False):
    d[array] = unbroadcast(d[y], array)


linear(np.broadcast_to, args=("array",))


@adjoint(np.transpose, cheap=True)
def transpose(y, a, axes=None):
    d[a] = np.transpose(d[y], inverse_permutation(axes, np.ndim(a)))


linear(np.transpose, args=("a",))


@adjoint(method("transpose"), cheap=True)
def transpose_method(y, a, *axes):
    d[a] = np.transpose(d[y], inverse_permutation(axes, np.ndim(a)))


linear(method("transpose"), args=("a",))


@adjoint(attribute("T"), cheap=True)
def T(y, a):
    d[a] = np.transpose(d[y])


linear(attribute("T"), args=("a",))


@adjoint(np.matrix_transpose, np.linalg.matrix_transpose, attribute("mT"), cheap=True)
def matrix_transpose(y, x):
    d[x] = mT(d[y])


linear(np.matrix_transpose, np.linalg.matrix_transpose, attribute("mT"), args=("x",))


@adjoint(np.swapaxes, method("swapaxes"), cheap=True)
def swapaxes(y, a, axis1, axis2):
    d[a] = np.swapaxes(d[y], axis1, axis2)


linear(np.swapaxes, method("swapaxes"), args=("a",))


@adjoint(np.moveaxis, cheap=True)
def moveaxis(y, a, source, destination):
    d[a] = np.moveaxis(d[y], destination, source)


linear(np.moveaxis, args=("a",))


@adjoint(np.rollaxis, cheap=True)
def rollaxis(y, a, axis, start=0):
    d[a] = rollaxis_grad(d[y], a, axis, start)


linear(np.rollaxis, args=("a",))


@adjoint(np.flip, cheap=True)
def flip(y, m, axis=None):
    d[m] = np.flip(d[y], axis)


linear(np.flip, args=("m",))


@adjoint(np.fliplr, cheap=True)
def fliplr(y, m):
    d[m] = np.fliplr(d[y])


linear(np.fliplr, args=("m",))


@adjoint(np.flipud, cheap=True)
def flipud(y, m):
    d[m] = np.flipud(d[y])


linear(np.flipud, args=("m",))


@adjoint(np.rot90, cheap=True)
def rot90(y, m, k=1, axes=(0, 1)):
    d[m] = np.rot90(d[y], -k, axes)


linear(np.rot90, args=("m",))


@adjoint(np.roll, cheap=True)
def roll(y, a, shift, axis=None):
    d[a] = unroll(d[y], shift, axis)


linear(np.roll, args=("a",))


@adjoint(np.tile)
def tile(y, A, reps):
    d[A] = untile(d[y], A, reps)


linear(np.tile, args=("A",))


@adjoint(np.repeat, method("repeat"))
def repeat(y, a, repeats, axis=None):
    d[a] = unrepeat(d[y], a, repeats, axis)


linear(np.repeat, method("repeat"), args=("a",))


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


@forward_rule(np.pad)
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
    d[y] = pad_tangent(d[array], pad_width, mode, reflect_type)
    d[y] = pad_value_tangent(d[constant_values], array, pad_width)


# ----- Joining and splitting -----


@adjoint(np.concatenate)
def concatenate(y, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[arrays] = unconcatenate(d[y], arrays, axis)


linear(np.concatenate, args=("arrays",))


@adjoint(np.stack)
def stack(y, arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    d[arrays] = unstack(d[y], arrays, axis)


linear(np.stack, args=("arrays",))


@adjoint(np.vstack)
def vstack(y, tup, dtype=None, casting="same_kind"):
    d[tup] = unconcatenate(d[y], tup, 0, np.atleast_2d)


linear(np.vstack, args=("tup",))


@adjoint(np.hstack)
def hstack(y, tup, dtype=None, casting="same_kind"):
    d[tup] = hstack_grad(d[y], tup)


linear(np.hstack, args=("tup",))


@adjoint(np.dstack)
def dstack(y, tup):
    d[tup] = unconcatenate(d[y], tup, 2, np.atleast_3d)


linear(np.dstack, args=("tup",))


@adjoint(np.column_stack)
def column_stack(y, tup):
    d[tup] = column_stack_grad(d[y], tup)


linear(np.column_stack, args=("tup",))


@adjoint(np.append)
def append(y, arr, values, axis=None):
    garr, gvalues = append_grads(d[y], arr, values, axis)
    d[arr] = garr
    d[values] = gvalues


@forward_rule(np.append)
def append(y, arr, values, axis=None):
    d[y] = np.append(d[arr], np.zeros_like(values, dtype=float), axis=axis)
    d[y] = np.append(np.zeros_like(arr, dtype=float), d[values], axis=axis)


@adjoint(np.insert)
def insert(y, arr, obj, values, axis=None):
    garr, gvalues = insert_grads(d[y], arr, obj, values, axis)
    d[arr] = garr
    d[values] = gvalues


@forward_rule(np.insert)
def insert(y, arr, obj, values, axis=None):
    d[y] = np.insert(d[arr], obj, np.zeros_like(values, dtype=float), axis=axis)
    d[y] = np.insert(np.zeros_like(arr, dtype=float), obj, d[values], axis=axis)


@adjoint(np.delete)
def delete(y, arr, obj, axis=None):
    d[arr] = delete_grad(d[y], arr, obj, axis)


linear(np.delete, args=("arr",))


@adjoint(np.split, np.array_split)
def split(y, ary, indices_or_sections, axis=0):
    d[ary] = unsplit(d[y], y, ary, axis)


linear(np.split, np.array_split, args=("ary",))


@adjoint(np.hsplit)
def hsplit(y, ary, indices_or_sections):
    d[ary] = unsplit(d[y], y, ary, hsplit_axis(ary))


linear(np.hsplit, args=("ary",))


@adjoint(np.vsplit)
def vsplit(y, ary, indices_or_sections):
    d[ary] = unsplit(d[y], y, ary, 0)


linear(np.vsplit, args=("ary",))


@adjoint(np.dsplit)
def dsplit(y, ary, indices_or_sections):
    d[ary] = unsplit(d[y], y, ary, 2)


linear(np.dsplit, args=("ary",))


@adjoint(np.unstack)
def unstack_(y, x, axis=0):
    d[x] = restack(d[y], y, x, axis)


linear(np.unstack, args=("x",))


# ----- Diagonals and triangles -----


@adjoint(np.diag)
def diag(y, v, k=0):
    d[v] = diag_grad(d[y], v, k)


linear(np.diag, args=("v",))


@adjoint(np.diagflat)
def diagflat(y, v, k=0):
    d[v] = np.reshape(np.diagonal(d[y], k), np.shape(v))


linear(np.diagflat, args=("v",))


@adjoint(np.diagonal, method("diagonal"))
def diagonal(y, a, offset=0, axis1=0, axis2=1):
    d[a] = diagonal_grad(d[y], a, offset, axis1, axis2)


linear(np.diagonal, method("diagonal"), args=("a",))


@adjoint(np.linalg.diagonal)
def linalg_diagonal(y, x, offset=0):
    d[x] = diagonal_grad(d[y], x, offset, -2, -1)


linear(np.linalg.diagonal, args=("x",))


@adjoint(np.triu, cheap=True)
def triu(y, m, k=0):
    d[m] = np.triu(d[y], k)


linear(np.triu, args=("m",))


@adjoint(np.tril, cheap=True)
def tril(y, m, k=0):
    d[m] = np.tril(d[y], k)


linear(np.tril, args=("m",))


# ----- Sorting, gathering, differences -----


@adjoint(np.sort)
def sort(y, a, axis=-1, kind=None, order=None, stable=None):
    d[a] = sort_grad(d[y], a, axis)


@forward_rule(np.sort)
def sort(y, a, axis=-1, kind=None, order=None, stable=None):
    d[y] = sort_tangent(d[a], a, axis)


@adjoint(np.partition)
def partition(y, a, kth, axis=-1, kind="introselect", order=None):
    d[a] = partition_grad(d[y], a, kth, axis)


@forward_rule(np.partition)
def partition(y, a, kth, axis=-1, kind="introselect", order=None):
    d[y] = sort_tangent(d[a], a, axis, kth)


@adjoint(np.take_along_axis)
def take_along_axis(y, arr, indices, axis=-1):
    d[arr] = take_along_axis_grad(d[y], arr, indices, axis)


linear(np.take_along_axis, args=("arr",))


@adjoint(np.take, method("take"))
def take(y, a, indices, axis=None, out=None, mode="raise"):
    d[a] = take_grad(d[y], a, indices, axis, mode)


linear(np.take, method("take"), args=("a",))


@adjoint(np.compress)
def compress(y, condition, a, axis=None, out=None):
    d[a] = compress_grad(d[y], condition, a, axis)


linear(np.compress, args=("a",))


@adjoint(method("compress"))
def compress_method(y, a, condition, axis=None, out=None):
    d[a] = compress_grad(d[y], condition, a, axis)


linear(method("compress"), args=("a",))


@adjoint(np.extract)
def extract(y, condition, arr):
    d[arr] = extract_grad(d[y], condition, arr)


linear(np.extract, args=("arr",))


@adjoint(np.diff)
def diff(y, a, n=1, axis=-1, prepend=None, append=None):
    ga, gprepend, gappend = diff_grads(d[y], a, n, axis, prepend, append)
    d[a] = ga
    d[prepend] = gprepend
    d[append] = gappend


@forward_rule(np.diff)
def diff(y, a, n=1, axis=-1, prepend=None, append=None):
    d[y] = diff_tangent(d[a], a, n, axis, prepend, append)
    d[y] = diff_tangent(d[prepend], a, n, axis, prepend, append, "prepend")
    d[y] = diff_tangent(d[append], a, n, axis, prepend, append, "append")


# ----- Construction and conversion -----


@adjoint(np.array)
def array(y, object, dtype=None, copy=True, order="K", subok=False, ndmin=0, like=None):
    d[object] = unarray(d[y], object)


linear(np.array, args=("object",))


@adjoint(np.asarray, np.asanyarray)
def asarray(y, a, dtype=None, order=None, device=None, copy=None, like=None):
    d[a] = unarray(d[y], a)


linear(np.asarray, np.asanyarray, args=("a",))


@adjoint(np.ascontiguousarray, np.asfortranarray, np.asarray_chkfinite)
def ascontiguousarray(y, a, dtype=None, order=None, like=None):
    d[a] = unarray(d[y], a)


linear(np.ascontiguousarray, np.asfortranarray, np.asarray_chkfinite, args=("a",))


@adjoint(np.copy, method("copy"), cheap=True)
def copy(y, a, order="K", subok=False):
    d[a] = d[y]


linear(np.copy, method("copy"), args=("a",))


@adjoint(method("astype"), np.astype, cheap=True)
def astype(
    y, x, dtype, order="K", casting="unsafe", subok=True, copy=True, device=None
):
    d[x] = cast_grad(d[y], x, dtype)


@forward_rule(method("astype"), np.astype)
def astype(
    y, x, dtype, order="K", casting="unsafe", subok=True, copy=True, device=None
):
    d[y] = cast_tangent(d[x], dtype)


@adjoint(method("item"))
def item(y, a, *args):
    d[a] = scalar_item_grad(d[y], a, args)


linear(method("item"), args=("a",))


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


linear(rule_helpers.unreduce, args=("g",))


@adjoint(rule_helpers.mean_grad)
def mean_grad_rule(y, g, x, axis=None, keepdims=False, where=True):
    d[g] = mean_grad_adjoint(d[y], g, x, axis, keepdims, where)


linear(rule_helpers.mean_grad, args=("g",))


@adjoint(rule_helpers.extremum_grad)
def extremum_grad_rule(y, g, y_, x, axis=None, keepdims=False, where=True):
    d[g] = extremum_grad_adjoint(d[y], g, y_, x, axis, keepdims, where)


linear(rule_helpers.extremum_grad, args=("g",))


@adjoint(rule_helpers.cumsum_grad)
def cumsum_grad_rule(y, g, x, axis=None):
    d[g] = cumsum_grad_adjoint(d[y], g, x, axis)


linear(rule_helpers.cumsum_grad, args=("g",))


@adjoint(rule_helpers.pair_extremum_grads)
def pair_extremum_grads_rule(y, g, x1, x2, larger=True, ignore_nan=False):
    d[g] = pair_extremum_grads_adjoint(d[y], g, x1, x2, larger, ignore_nan)


linear(rule_helpers.pair_extremum_grads, args=("g",))


@adjoint(rule_helpers.as_grad, cheap=True)
def as_grad_rule(y, g, x):
    d[g] = unbroadcast(d[y], g)


linear(rule_helpers.as_grad, args=("g",))


@adjoint(rule_helpers.matmul_grad)
def matmul_grad_rule(y, g, a, b, k):
    d[g] = product_grad_adjoint(d[y], g, a, b, k, -1, np.matmul, matmul_grad)
    d[a] = product_grad_adjoint(d[y], g, a, b, k, 0, np.matmul, matmul_grad)
    d[b] = product_grad_adjoint(d[y], g, a, b, k, 1, np.matmul, matmul_grad)


@forward_rule(rule_helpers.matmul_grad)
def matmul_grad_rule(y, g, a, b, k):
    d[y] = matmul_grad(d[g], a, b, k)
    d[y] = unless_same(y, k, 0, matmul_grad(g, d[a], b, k))
    d[y] = unless_same(y, k, 1, matmul_grad(g, a, d[b], k))


@adjoint(rule_helpers.dot_grad)
def dot_grad_rule(y, g, a, b, k):
    d[g] = product_grad_adjoint(d[y], g, a, b, k, -1, np.dot, dot_grad)
    d[a] = product_grad_adjoint(d[y], g, a, b, k, 0, np.dot, dot_grad)
    d[b] = product_grad_adjoint(d[y], g, a, b, k, 1, np.dot, dot_grad)


@forward_rule(rule_helpers.dot_grad)
def dot_grad_rule(y, g, a, b, k):
    d[y] = dot_grad(d[g], a, b, k)
    d[y] = unless_same(y, k, 0, dot_grad(g, d[a], b, k))
    d[y] = unless_same(y, k, 1, dot_grad(g, a, d[b], k))


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


@forward_rule(rule_helpers.einsum_grad)
def einsum_grad_rule(
    y, g, subscripts, k, op0=None, op1=None, op2=None, op3=None, op4=None
):
    d[y] = einsum_grad(d[g], subscripts, k, op0, op1, op2, op3, op4)
    d[y] = unless_same(
        y, k, 0, einsum_grad(g, subscripts, k, d[op0], op1, op2, op3, op4)
    )
    d[y] = unless_same(
        y, k, 1, einsum_grad(g, subscripts, k, op0, d[op1], op2, op3, op4)
    )
    d[y] = unless_same(
        y, k, 2, einsum_grad(g, subscripts, k, op0, op1, d[op2], op3, op4)
    )
    d[y] = unless_same(
        y, k, 3, einsum_grad(g, subscripts, k, op0, op1, op2, d[op3], op4)
    )
    d[y] = unless_same(
        y, k, 4, einsum_grad(g, subscripts, k, op0, op1, op2, op3, d[op4])
    )


# Helpers linear in the adjoint `g` they place, move or mask; their other
# arguments only shape or select (derivative zero almost everywhere).
linear(
    rule_helpers.diagonal_grad,
    rule_helpers.diag_grad,
    rule_helpers.trace_grad,
    rule_helpers.unstack,
    rule_helpers.unconcatenate,
    rule_helpers.hstack_grad,
    rule_helpers.column_stack_grad,
    rule_helpers.unarray,
    rule_helpers.unsplit,
    rule_helpers.restack,
    rule_helpers.untile,
    rule_helpers.unrepeat,
    rule_helpers.unroll,
    rule_helpers.unpad,
    rule_helpers.take_grad,
    rule_helpers.take_along_axis_grad,
    rule_helpers.compress_grad,
    rule_helpers.extract_grad,
    rule_helpers.delete_grad,
    rule_helpers.sort_grad,
    rule_helpers.partition_grad,
    rule_helpers.rollaxis_grad,
    rule_helpers.nancumsum_grad,
    rule_helpers.scalar_item_grad,
    rule_helpers.cast_grad,
    rule_helpers.nan_to_num_grad,
    rule_helpers.clip_grads,
    rule_helpers.ptp_grad,
    rule_helpers.median_grad,
    rule_helpers.nanmean_grad,
    rule_helpers.select_grads,
    rule_helpers.select_default_grad,
    rule_helpers.complex_part_grad,
    rule_helpers.nan_extremum_grad,
    args=("g",),
)


# What the optimizer needs to know to prove a derivative zero by shift
# invariance (`transforms.optimize.zero_derivatives`): how each operation
# treats `x + c` (a shift) and `x * exp(c)` (a positive factor).
RULES.shift_behaviour = {
    np.exp: "exp",
    np.log: "log",
    np.sum: "sum",
    np.mean: "mean",
    np.max: "extremum",
    np.amax: "extremum",
    np.min: "extremum",
    np.amin: "extremum",
}
