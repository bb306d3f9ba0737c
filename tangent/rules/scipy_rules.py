"""Rules for SciPy: `scipy.special` functions and a few of `scipy.linalg`.

Templates as in `numpy_rules`: the result first, then the function's
arguments with SciPy's names and defaults. Importing this module needs
SciPy; `tangent.rules` imports it only when SciPy is installed.
"""

# ruff: noqa: F811, A002  (templates are registered, not called; SciPy's names)

import math

import numpy as np
import scipy.linalg
import scipy.special
from scipy.special import digamma, expit, gamma, i1, polygamma

from tangent.rules.registry import adjoint, d
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
    kl_div_grads,
    log_ndtr_derivative,
    log_softmax_grad,
    logsumexp_grads,
    multigammaln_derivative,
    no_gradient,
    rel_entr_grads,
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


@adjoint(scipy.special.polygamma, cheap=True)
def polygamma_(y, n, x):
    d[x] = d[y] * polygamma(n + 1, x)


@adjoint(scipy.special.multigammaln)
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


@adjoint(scipy.special.gammaincc, cheap=True)
def gammaincc(y, a, x):
    d[x] = unbroadcast(-d[y] * np.exp((a - 1.0) * np.log(x) - x) / gamma(a), x)
    d[a] = no_gradient("of gammaincc with respect to a")


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


@adjoint(scipy.special.xlog1py, cheap=True)
def xlog1py(out, x, y):
    gx, gy = xlog1py_grads(d[out], x, y)
    d[x] = gx
    d[y] = gy


@adjoint(scipy.special.entr, cheap=True)
def entr(y, x):
    d[x] = d[y] * entr_derivative(x)


@adjoint(scipy.special.rel_entr, cheap=True)
def rel_entr(out, x, y):
    gx, gy = rel_entr_grads(d[out], x, y)
    d[x] = gx
    d[y] = gy


@adjoint(scipy.special.kl_div, cheap=True)
def kl_div(out, x, y):
    gx, gy = kl_div_grads(d[out], x, y)
    d[x] = gx
    d[y] = gy


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


@adjoint(scipy.special.log_softmax)
def log_softmax(y, x, axis=None):
    d[x] = log_softmax_grad(d[y], y, axis)


@adjoint(scipy.special.logsumexp)
def logsumexp(y, a, axis=None, b=None, keepdims=False, return_sign=False):
    ga, gb = logsumexp_grads(d[y], y, a, axis, b, keepdims, return_sign)
    d[a] = ga
    d[b] = gb


# ----- scipy.linalg -----


@adjoint(scipy.linalg.expm)
def expm(y, A):
    d[A] = expm_grad(d[y], A)


@adjoint(scipy.linalg.sqrtm)
def sqrtm(y, A, disp=True, blocksize=64):
    d[A] = sqrtm_grad(d[y], y)


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


@adjoint(scipy.linalg.inv)
def inv(y, a, overwrite_a=False, check_finite=True, assume_a=None, lower=False):
    d[a] = inv_grad(d[y], y)


@adjoint(scipy.linalg.det)
def det(y, a, overwrite_a=False, check_finite=True):
    d[a] = det_grad(d[y], y, a)


@adjoint(scipy.linalg.cholesky)
def cholesky(y, a, lower=False, overwrite_a=False, check_finite=True):
    d[a] = cholesky_grad(d[y], y, not lower)


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
