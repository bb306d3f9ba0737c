"""Rules for SciPy: `scipy.special` functions and a few of `scipy.linalg`.

Templates as in `numpy_rules`: the result first, then the function's
arguments with SciPy's names and defaults. Importing this module needs
SciPy; `tangent.rules` imports it only when SciPy is installed.

Each forward (tangent) rule follows its reverse rule. The elementwise
functions whose reverse rule is `d[x] = d[y] * derivative` get their forward
rule read off it; the others have their own, with the helpers below.
Symmetric-matrix functions (cholesky, eigh) read one triangle of their
argument: like their reverse rules, which give a symmetric gradient, their
forward rules use the symmetric part of the tangent.
"""

# ruff: noqa: F811, A002  (templates are registered, not called; SciPy's names)

import math

import numpy as np
import scipy.linalg
import scipy.special
from scipy.special import digamma, expit, gamma, i1, polygamma

from tangent.rules.registry import adjoint, d, forward_rule
from tangent.rules.rule_helpers import (
    cholesky_grad,
    det_grad,
    eigh_grad,
    entr_derivative,
    expm_grad,
    exprel_derivative,
    i1_over_x_term,
    i1e_derivative,
    inv_grad,
    kept,
    kl_div_grads,
    log_ndtr_derivative,
    log_softmax_grad,
    logsumexp_grads,
    mT,
    multigammaln_derivative,
    no_gradient,
    rel_entr_grads,
    safe_divide,
    softmax_grad,
    solve_grads,
    solve_triangular_grads,
    sqrtm_grad,
    xlog1py_grads,
    xlogy_grads,
)
from tangent.runtime import unbroadcast

SQRT_PI = math.sqrt(math.pi)
SQRT_2PI = math.sqrt(2.0 * math.pi)


# ----- Helpers of the forward rules -----


def _positive_pair(x, y):
    x, y = np.asarray(x), np.asarray(y)
    ok = (x > 0) & (y > 0)
    return x, ok, np.where(ok, y, 1.0)


def xlogy_partials(x, y):
    """Partial derivatives of xlogy(x, y) = x log y: log y and x / y.

    At x == y == 0, where xlogy is 0 but log y is not finite, the first is
    taken as 0.
    """
    x, y = np.asarray(x), np.asarray(y)
    corner = (x == 0) & (y == 0)
    return np.where(corner, 0.0, np.log(np.where(corner, 1.0, y))), safe_divide(x, y)


def xlog1py_partials(x, y):
    """Partial derivatives of xlog1py(x, y) = x log(1 + y) (0 at x == 0, y == -1)."""
    x, y = np.asarray(x), np.asarray(y)
    corner = (x == 0) & (y == -1)
    px = np.where(corner, 0.0, np.log1p(np.where(corner, 0.0, y)))
    return px, safe_divide(x, 1.0 + y)


def rel_entr_partials(x, y):
    """Partial derivatives of rel_entr(x, y) = x log(x / y) (0 off the domain)."""
    x, ok, y = _positive_pair(x, y)
    ratio = np.where(ok, x, 1.0) / y
    return np.where(ok, np.log(ratio) + 1.0, 0.0), np.where(ok, -ratio, 0.0)


def kl_div_partials(x, y):
    """Partial derivatives of kl_div(x, y) = x log(x / y) - x + y."""
    x, ok, y_safe = _positive_pair(x, y)
    ratio = np.where(ok, x, 1.0) / y_safe
    py = np.where(ok, 1.0 - ratio, np.where(x == 0, 1.0, 0.0))
    return np.where(ok, np.log(ratio), 0.0), py


def logsumexp_tangent(t, y, a, axis=None, b=None, keepdims=False, weights=False):
    """Tangent of logsumexp from the tangent of `a` (or of the weights `b`).

    The derivative of log(sum(b exp(a))) is the share b exp(a - y) for `a`
    and exp(a - y) for `b`: the tangent is the reduction of share * t.
    """
    a = np.asarray(a)
    shape = np.broadcast_shapes(a.shape, np.shape(b)) if b is not None else a.shape
    lse = kept(y, np.broadcast_to(a, shape), axis, keepdims)
    share = np.exp(a - lse)
    if b is not None and not weights:
        share = share * b
    return np.sum(share * t, axis=axis, keepdims=keepdims)


def solve_tangent(t, y, a, lower=False, assume_a=None, transposed=False):
    """Tangent of x = solve(a, b) from the tangent of `a`: -solve(a, da x)."""
    product = (mT(t) if transposed else t) @ y
    return -scipy.linalg.solve(
        a, product, lower=lower, assume_a=assume_a, transposed=transposed
    )


def solve_triangular_tangent(t, y, a, trans=0, lower=False, unit_diagonal=False):
    """Tangent of x = solve_triangular(a, b) from the tangent of `a`.

    Only the triangle that solve_triangular reads (without its diagonal
    when `unit_diagonal`) moves the result.
    """
    if lower:
        t = np.tril(t, -1 if unit_diagonal else 0)
    else:
        t = np.triu(t, 1 if unit_diagonal else 0)
    if trans in (1, "T"):
        t = mT(t)
    elif trans in (2, "C"):
        t = np.conj(mT(t))
    return -scipy.linalg.solve_triangular(
        a, t @ y, trans=trans, lower=lower, unit_diagonal=unit_diagonal
    )


def cholesky_tangent(t, y, lower=False):
    """Tangent of the Cholesky factor: dL = L Phi(L^-1 sym(dA) L^-T).

    Phi keeps the lower triangle and halves the diagonal; the upper factor
    (`lower=False`) is the transpose of the lower one.
    """
    low = np.asarray(y) if lower else mT(y)
    t = 0.5 * (t + mT(t))
    inner = np.linalg.solve(low, mT(np.linalg.solve(low, t)))
    phi = np.tril(inner, -1) + 0.5 * np.tril(np.triu(inner))
    dl = low @ phi
    return dl if lower else mT(dl)


def eigh_tangent(t, y, a, eigvals_only=False):
    """Tangent of eigh: dw = diag(V^T dA V), dV = V (F * (V^T dA V)).

    F[i, j] = 1 / (w[j] - w[i]) off the diagonal (0 on it and between equal
    eigenvalues, where the eigenvectors are not unique); dA is symmetrized.
    """
    if eigvals_only:
        w, v = np.linalg.eigh(a)
    else:
        w, v = y
    t = 0.5 * (t + mT(t))
    inner = mT(v) @ t @ v
    dw = np.diagonal(inner, axis1=-2, axis2=-1)
    if eigvals_only:
        return dw
    gap = w[..., None, :] - w[..., :, None]
    f = np.where(gap == 0, 0.0, 1.0 / np.where(gap == 0, 1.0, gap))
    return dw, v @ (f * inner)


# ----- Logistic and error functions -----


@adjoint(scipy.special.expit, cheap=True)
def expit_(y, x):
    d[x] = d[y] * y * (1.0 - y)


@adjoint(scipy.special.logit, cheap=True)
def logit(y, x):
    d[x] = d[y] / (x * (1.0 - x))


@adjoint(scipy.special.log_expit, cheap=True)
def log_expit(y, x):
    d[x] = d[y] * expit(-x)


@adjoint(scipy.special.erf, cheap=True)
def erf(y, z):
    d[z] = d[y] * (2.0 / SQRT_PI) * np.exp(-z * z)


@adjoint(scipy.special.erfc, cheap=True)
def erfc(y, x):
    d[x] = -d[y] * (2.0 / SQRT_PI) * np.exp(-x * x)


@adjoint(scipy.special.erfcx, cheap=True)
def erfcx(y, x):
    d[x] = d[y] * (2.0 * x * y - 2.0 / SQRT_PI)


@adjoint(scipy.special.erfinv, cheap=True)
def erfinv(y, y_):
    d[y_] = d[y] * (SQRT_PI / 2.0) * np.exp(y * y)


@adjoint(scipy.special.erfcinv, cheap=True)
def erfcinv(y, y_):
    d[y_] = -d[y] * (SQRT_PI / 2.0) * np.exp(y * y)


@adjoint(scipy.special.ndtr, cheap=True)
def ndtr(y, x):
    d[x] = d[y] * np.exp(-0.5 * x * x) / SQRT_2PI


@adjoint(scipy.special.log_ndtr, cheap=True)
def log_ndtr(y, x):
    d[x] = d[y] * log_ndtr_derivative(x, y)


@adjoint(scipy.special.ndtri, cheap=True)
def ndtri(y, y_):
    d[y_] = d[y] * SQRT_2PI * np.exp(0.5 * y * y)


# ----- Gamma and related functions -----


@adjoint(scipy.special.gammaln, cheap=True)
def gammaln(y, x):
    d[x] = d[y] * digamma(x)


@adjoint(scipy.special.loggamma, cheap=True)
def loggamma(y, z):
    d[z] = d[y] * digamma(z)


@adjoint(scipy.special.gamma, cheap=True)
def gamma_(y, z):
    d[z] = d[y] * y * digamma(z)


@adjoint(scipy.special.digamma, cheap=True)
def digamma_(y, z):
    d[z] = d[y] * polygamma(1, z)


@adjoint(scipy.special.polygamma, elementwise=True)
def polygamma_(y, n, x):
    d[x] = d[y] * polygamma(n + 1, x)


@adjoint(scipy.special.multigammaln, elementwise=True)
def multigammaln(y, a, d_):
    d[a] = d[y] * multigammaln_derivative(a, d_)


@adjoint(scipy.special.beta, cheap=True)
def beta(y, a, b):
    d[a] = unbroadcast(d[y] * y * (digamma(a) - digamma(a + b)), a)
    d[b] = unbroadcast(d[y] * y * (digamma(b) - digamma(a + b)), b)


@adjoint(scipy.special.betaln, cheap=True)
def betaln(y, a, b):
    d[a] = unbroadcast(d[y] * (digamma(a) - digamma(a + b)), a)
    d[b] = unbroadcast(d[y] * (digamma(b) - digamma(a + b)), b)


@adjoint(scipy.special.gammainc, cheap=True)
def gammainc(y, a, x):
    d[x] = unbroadcast(d[y] * np.exp((a - 1.0) * np.log(x) - x) / gamma(a), x)
    d[a] = no_gradient("of gammainc with respect to a")


@forward_rule(scipy.special.gammainc)
def gammainc(y, a, x):
    d[y] = d[x] * np.exp((a - 1.0) * np.log(x) - x) / gamma(a)
    d[y] = d[a] * no_gradient("of gammainc with respect to a")


@adjoint(scipy.special.gammaincc, cheap=True)
def gammaincc(y, a, x):
    d[x] = unbroadcast(-d[y] * np.exp((a - 1.0) * np.log(x) - x) / gamma(a), x)
    d[a] = no_gradient("of gammaincc with respect to a")


@forward_rule(scipy.special.gammaincc)
def gammaincc(y, a, x):
    d[y] = -d[x] * np.exp((a - 1.0) * np.log(x) - x) / gamma(a)
    d[y] = d[a] * no_gradient("of gammaincc with respect to a")


# ----- Bessel functions -----


@adjoint(scipy.special.i0, cheap=True)
def i0_(y, x):
    d[x] = d[y] * i1(x)


@adjoint(scipy.special.i0e, cheap=True)
def i0e_(y, x):
    d[x] = d[y] * (scipy.special.i1e(x) - np.sign(x) * y)


@adjoint(scipy.special.i1, cheap=True)
def i1_(y, x):
    d[x] = d[y] * i1_over_x_term(x)


@adjoint(scipy.special.i1e, cheap=True)
def i1e(y, x):
    d[x] = d[y] * i1e_derivative(x, y)


# ----- Entropies and x log y -----


@adjoint(scipy.special.xlogy, cheap=True)
def xlogy(out, x, y):
    gx, gy = xlogy_grads(d[out], x, y)
    d[x] = gx
    d[y] = gy


@forward_rule(scipy.special.xlogy)
def xlogy(out, x, y):
    px, py = xlogy_partials(x, y)
    d[out] = d[x] * px
    d[out] = d[y] * py


@adjoint(scipy.special.xlog1py, cheap=True)
def xlog1py(out, x, y):
    gx, gy = xlog1py_grads(d[out], x, y)
    d[x] = gx
    d[y] = gy


@forward_rule(scipy.special.xlog1py)
def xlog1py(out, x, y):
    px, py = xlog1py_partials(x, y)
    d[out] = d[x] * px
    d[out] = d[y] * py


@adjoint(scipy.special.entr, cheap=True)
def entr(y, x):
    d[x] = d[y] * entr_derivative(x)


@adjoint(scipy.special.rel_entr, cheap=True)
def rel_entr(out, x, y):
    gx, gy = rel_entr_grads(d[out], x, y)
    d[x] = gx
    d[y] = gy


@forward_rule(scipy.special.rel_entr)
def rel_entr(out, x, y):
    px, py = rel_entr_partials(x, y)
    d[out] = d[x] * px
    d[out] = d[y] * py


@adjoint(scipy.special.kl_div, cheap=True)
def kl_div(out, x, y):
    gx, gy = kl_div_grads(d[out], x, y)
    d[x] = gx
    d[y] = gy


@forward_rule(scipy.special.kl_div)
def kl_div(out, x, y):
    px, py = kl_div_partials(x, y)
    d[out] = d[x] * px
    d[out] = d[y] * py


@adjoint(scipy.special.pseudo_huber, cheap=True)
def pseudo_huber(y, delta, r):
    d[r] = unbroadcast(d[y] * r / np.sqrt(1.0 + (r / delta) ** 2), r)


# ----- Other elementwise functions -----


@adjoint(scipy.special.exprel, cheap=True)
def exprel(y, x):
    d[x] = d[y] * exprel_derivative(x)


@adjoint(scipy.special.expm1, cheap=True)
def expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@adjoint(scipy.special.log1p, cheap=True)
def log1p(y, x):
    d[x] = d[y] / (1.0 + x)


@adjoint(scipy.special.exp2, cheap=True)
def exp2(y, x):
    d[x] = d[y] * y * math.log(2.0)


@adjoint(scipy.special.exp10, cheap=True)
def exp10(y, x):
    d[x] = d[y] * y * math.log(10.0)


@adjoint(scipy.special.cbrt, cheap=True)
def cbrt(y, x):
    d[x] = d[y] / (3.0 * y * y)


@adjoint(scipy.special.cosm1, cheap=True)
def cosm1(y, x):
    d[x] = -d[y] * np.sin(x)


@adjoint(scipy.special.sindg, cheap=True)
def sindg(y, x):
    d[x] = d[y] * (np.pi / 180.0) * scipy.special.cosdg(x)


@adjoint(scipy.special.cosdg, cheap=True)
def cosdg(y, x):
    d[x] = -d[y] * (np.pi / 180.0) * scipy.special.sindg(x)


# ----- Softmax and log-sum-exp -----


@adjoint(scipy.special.softmax)
def softmax(y, x, axis=None):
    d[x] = softmax_grad(d[y], y, axis)


@forward_rule(scipy.special.softmax)
def softmax(y, x, axis=None):
    d[y] = y * (d[x] - np.sum(d[x] * y, axis=axis, keepdims=True))


@adjoint(scipy.special.log_softmax)
def log_softmax(y, x, axis=None):
    d[x] = log_softmax_grad(d[y], y, axis)


@forward_rule(scipy.special.log_softmax)
def log_softmax(y, x, axis=None):
    d[y] = d[x] - np.sum(np.exp(y) * d[x], axis=axis, keepdims=True)


@adjoint(scipy.special.logsumexp)
def logsumexp(y, a, axis=None, b=None, keepdims=False, return_sign=False):
    ga, gb = logsumexp_grads(d[y], y, a, axis, b, keepdims, return_sign)
    d[a] = ga
    d[b] = gb


@forward_rule(scipy.special.logsumexp)
def logsumexp(y, a, axis=None, b=None, keepdims=False, return_sign=False):
    d[y] = logsumexp_tangent(d[a], y, a, axis, b, keepdims)
    d[y] = logsumexp_tangent(d[b], y, a, axis, b, keepdims, weights=True)


# ----- scipy.linalg -----


@adjoint(scipy.linalg.expm)
def expm(y, A):
    d[A] = expm_grad(d[y], A)


@forward_rule(scipy.linalg.expm)
def expm(y, A):
    d[y] = scipy.linalg.expm_frechet(A, d[A], compute_expm=False)


@adjoint(scipy.linalg.sqrtm)
def sqrtm(y, A, disp=True, blocksize=64):
    d[A] = sqrtm_grad(d[y], y)


@forward_rule(scipy.linalg.sqrtm)
def sqrtm(y, A, disp=True, blocksize=64):
    d[y] = scipy.linalg.solve_sylvester(y, y, d[A])


@adjoint(scipy.linalg.solve_triangular)
def solve_triangular(
    y,
    a,
    b,
    trans=0,
    lower=False,
    unit_diagonal=False,
    overwrite_b=False,
    check_finite=True,
):
    ga, gb = solve_triangular_grads(d[y], y, a, b, trans, lower, unit_diagonal)
    d[a] = ga
    d[b] = gb


@forward_rule(scipy.linalg.solve_triangular)
def solve_triangular(
    y,
    a,
    b,
    trans=0,
    lower=False,
    unit_diagonal=False,
    overwrite_b=False,
    check_finite=True,
):
    d[y] = scipy.linalg.solve_triangular(
        a, d[b], trans=trans, lower=lower, unit_diagonal=unit_diagonal
    )
    d[y] = solve_triangular_tangent(d[a], y, a, trans, lower, unit_diagonal)


@adjoint(scipy.linalg.solve)
def solve(
    y,
    a,
    b,
    lower=False,
    overwrite_a=False,
    overwrite_b=False,
    check_finite=True,
    assume_a=None,
    transposed=False,
):
    ga, gb = solve_grads(d[y], y, a, b, transposed)
    d[a] = ga
    d[b] = gb


@forward_rule(scipy.linalg.solve)
def solve(
    y,
    a,
    b,
    lower=False,
    overwrite_a=False,
    overwrite_b=False,
    check_finite=True,
    assume_a=None,
    transposed=False,
):
    d[y] = scipy.linalg.solve(
        a, d[b], lower=lower, assume_a=assume_a, transposed=transposed
    )
    d[y] = solve_tangent(d[a], y, a, lower, assume_a, transposed)


@adjoint(scipy.linalg.inv)
def inv(y, a, overwrite_a=False, check_finite=True, assume_a=None, lower=False):
    d[a] = inv_grad(d[y], y)


@forward_rule(scipy.linalg.inv)
def inv(y, a, overwrite_a=False, check_finite=True, assume_a=None, lower=False):
    d[y] = -(y @ d[a] @ y)


@adjoint(scipy.linalg.det)
def det(y, a, overwrite_a=False, check_finite=True):
    d[a] = det_grad(d[y], y, a)


@forward_rule(scipy.linalg.det)
def det(y, a, overwrite_a=False, check_finite=True):
    d[y] = y * np.trace(np.linalg.solve(a, d[a]), axis1=-2, axis2=-1)


@adjoint(scipy.linalg.cholesky)
def cholesky(y, a, lower=False, overwrite_a=False, check_finite=True):
    d[a] = cholesky_grad(d[y], y, not lower)


@forward_rule(scipy.linalg.cholesky)
def cholesky(y, a, lower=False, overwrite_a=False, check_finite=True):
    d[y] = cholesky_tangent(d[a], y, lower)


@adjoint(scipy.linalg.eigh)
def eigh(
    y,
    a,
    b=None,
    lower=True,
    eigvals_only=False,
    overwrite_a=False,
    overwrite_b=False,
    type=1,
    check_finite=True,
    subset_by_index=None,
    subset_by_value=None,
    driver=None,
):
    d[a] = eigh_grad(d[y], y, a, eigvals_only)
    d[b] = no_gradient("of scipy.linalg.eigh with respect to b")


@forward_rule(scipy.linalg.eigh)
def eigh(
    y,
    a,
    b=None,
    lower=True,
    eigvals_only=False,
    overwrite_a=False,
    overwrite_b=False,
    type=1,
    check_finite=True,
    subset_by_index=None,
    subset_by_value=None,
    driver=None,
):
    d[y] = eigh_tangent(d[a], y, a, eigvals_only)
    d[y] = d[b] * no_gradient("of scipy.linalg.eigh with respect to b")
