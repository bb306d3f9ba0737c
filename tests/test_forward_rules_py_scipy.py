"""Forward (tangent) rules of Python's builtins and `math`, of SciPy, and of
the runtime helpers that generated gradients call.

Every `tangent.jvp` is checked against central finite differences in
float64 along a random tangent, and against `jax.jvp` where JAX has the
function (x64 enabled). The helpers' rules are checked on direct calls, and
through `tangent.hvp` (forward over reverse) of functions whose gradients
call them, against `jax.hessian` contracted with the tangent. The helpers'
new reverse rules (for `grad(grad(f))`) are checked against finite
differences too.
"""

# ruff: noqa: E731  (small lambdas as JAX references)

import math

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import jax.scipy.special as jss
import numpy as np
import pytest
import scipy.linalg
import scipy.special
from oracle import numerical_grad

import tangent
from tangent import runtime
from tangent.rules import NONDIFFERENTIABLE, RULES
from tangent.rules.registry import key_of
from tangent.runtime import (
    add_at,
    add_grad,
    broadcast_back,
    broadcast_like,
    builtin_extremum_grads,
    copy_value,
    extremum_grad,
    grad_at,
    grad_item,
    head_grad,
    minmax_grads,
    pop_grad,
    push_grad,
    scalar_seed,
    shaped,
    sum_grad,
    tail_grad,
    unbroadcast,
    zero_at,
)

jax.config.update("jax_enable_x64", True)

EPS = 1e-6


# ----- Oracles -----


def _shift(p, t, s):
    if t is None:
        return p
    if isinstance(p, (list, tuple)):
        return type(p)(_shift(pi, ti, s) for pi, ti in zip(p, t))
    return p + s * t


def _diff(a, b, scale):
    if isinstance(a, (list, tuple)):
        return type(a)(_diff(ai, bi, scale) for ai, bi in zip(a, b))
    return (np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) / scale


def fd_jvp(f, primals, tangents, eps=EPS):
    """Central finite difference of `f` along `tangents` (None: held fixed)."""
    plus = f(*[_shift(p, t, eps) for p, t in zip(primals, tangents)])
    minus = f(*[_shift(p, t, -eps) for p, t in zip(primals, tangents)])
    return _diff(plus, minus, 2 * eps)


def jax_jvp(fj, primals, tangents):
    """`jax.jvp` of `fj` along the arguments that have a tangent."""
    active = [i for i, t in enumerate(tangents) if t is not None]

    def restricted(*xs):
        args = list(primals)
        for i, x in zip(active, xs):
            args[i] = x
        return fj(*args)

    _, out = jax.jvp(
        restricted,
        tuple(jnp.asarray(primals[i], dtype=float) for i in active),
        tuple(jnp.asarray(tangents[i], dtype=float) for i in active),
    )
    return jax.tree_util.tree_map(np.asarray, out)


def assert_close(actual, expected, rtol, atol, what=""):
    """Equal values and equal shapes (a tangent has its primal's shape)."""
    if isinstance(expected, (list, tuple)):
        assert isinstance(actual, (list, tuple)), (what, actual)
        assert len(actual) == len(expected), what
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_close(a, e, rtol, atol, f"{what}[{i}]")
        return
    assert np.shape(actual) == np.shape(expected), (
        what,
        np.shape(actual),
        np.shape(expected),
    )
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float),
        np.asarray(expected, dtype=float),
        rtol=rtol,
        atol=atol,
        err_msg=what,
    )


def _containers(values):
    return any(isinstance(v, (list, tuple)) for v in values)


def tangent_jvp(f, primals, tangents):
    """`tangent.jvp`, or the generated forward function for list arguments."""
    if not _containers(primals):
        return tangent.jvp(f, primals, tangents)
    wrt = tuple(i for i, t in enumerate(tangents) if t is not None)
    fwd = tangent.forward(f, wrt)
    return fwd(*primals, *[tangents[i] for i in wrt])


def check_jvp(f, primals, tangents, fj=None, rtol=1e-6, atol=1e-8, fd_f=None):
    """tangent's jvp of `f` against finite differences (of `fd_f`, if given,
    a function equal to `f` near the primals) and `jax.jvp` of `fj`."""
    value, tangent_out = tangent_jvp(f, primals, tangents)
    assert_close(value, f(*primals), 1e-12, 1e-12, "value")
    expected = fd_jvp(fd_f or f, primals, tangents)
    assert_close(tangent_out, expected, rtol, atol, "vs FD")
    if fj is not None:
        assert_close(tangent_out, jax_jvp(fj, primals, tangents), 1e-9, 1e-10, "vs JAX")
    return tangent_out


def rng_for(name):
    return np.random.default_rng(sum(map(ord, name)))


# ----- math and the builtins -----


def m_sin(x):
    return math.sin(x)


def m_cos(x):
    return math.cos(x)


def m_tan(x):
    return math.tan(x)


def m_exp(x):
    return math.exp(x)


def m_log(x):
    return math.log(x)


def m_log_base(x):
    return math.log(x, 3.0)


def m_log_active_base(x, b):
    return math.log(x, b)


def m_log2(x):
    return math.log2(x)


def m_log10(x):
    return math.log10(x)


def m_log1p(x):
    return math.log1p(x)


def m_expm1(x):
    return math.expm1(x)


def m_sqrt(x):
    return math.sqrt(x)


def m_tanh(x):
    return math.tanh(x)


def m_sinh(x):
    return math.sinh(x)


def m_cosh(x):
    return math.cosh(x)


def m_asin(x):
    return math.asin(x)


def m_acos(x):
    return math.acos(x)


def m_atan(x):
    return math.atan(x)


def m_atan2(y, x):
    return math.atan2(y, x)


def m_pow(x, y):
    return math.pow(x, y)


def m_hypot(x, y):
    return math.hypot(x, y)


def m_fabs(x):
    return math.fabs(x)


def m_erf(x):
    return math.erf(x)


def m_erfc(x):
    return math.erfc(x)


def m_degrees(x):
    return math.degrees(x)


def m_radians(x):
    return math.radians(x)


def m_chain(x: float, y: float):
    s = 0.0
    for _i in range(3):
        s = s + math.sin(x * y) * math.exp(-s) + math.hypot(x, s)
        x = math.sqrt(x * x + 1.0)
    return s


def j_chain(x, y):
    s = 0.0
    for _i in range(3):
        s = s + jnp.sin(x * y) * jnp.exp(-s) + jnp.hypot(x, s)
        x = jnp.sqrt(x * x + 1.0)
    return s


MATH_CASES = [
    (m_sin, jnp.sin, (0.7,)),
    (m_cos, jnp.cos, (0.7,)),
    (m_tan, jnp.tan, (0.7,)),
    (m_exp, jnp.exp, (0.7,)),
    (m_log, jnp.log, (1.7,)),
    (m_log_base, lambda x: jnp.log(x) / jnp.log(3.0), (1.7,)),
    (m_log_active_base, lambda x, b: jnp.log(x) / jnp.log(b), (1.7, 2.5)),
    (m_log2, jnp.log2, (1.7,)),
    (m_log10, jnp.log10, (1.7,)),
    (m_log1p, jnp.log1p, (0.7,)),
    (m_expm1, jnp.expm1, (0.7,)),
    (m_sqrt, jnp.sqrt, (1.7,)),
    (m_tanh, jnp.tanh, (0.7,)),
    (m_sinh, jnp.sinh, (0.7,)),
    (m_cosh, jnp.cosh, (0.7,)),
    (m_asin, jnp.arcsin, (0.3,)),
    (m_acos, jnp.arccos, (0.3,)),
    (m_atan, jnp.arctan, (0.7,)),
    (m_atan2, jnp.arctan2, (0.7, -1.3)),
    (m_pow, jnp.power, (1.7, 2.3)),
    (m_hypot, jnp.hypot, (0.7, -1.3)),
    (m_fabs, jnp.abs, (-0.7,)),
    (m_erf, jss.erf, (0.7,)),
    (m_erfc, jss.erfc, (0.7,)),
    (m_degrees, jnp.degrees, (0.7,)),
    (m_radians, jnp.radians, (0.7,)),
    (m_chain, j_chain, (0.7, 1.3)),
]


@pytest.mark.parametrize(
    "f, fj, primals", MATH_CASES, ids=lambda c: getattr(c, "__name__", "")
)
def test_math(f, fj, primals):
    rng = rng_for(f.__name__)
    tangents = tuple(float(rng.normal()) for _ in primals)
    check_jvp(f, primals, tangents, fj)
    for i in range(len(primals)):  # each argument alone
        alone = tuple(t if j == i else None for j, t in enumerate(tangents))
        check_jvp(f, primals, alone, fj)


def b_abs(x):
    return abs(x) * x


def b_pow(x, y):
    return pow(x, y)


def b_max2(x, y):
    return max(x * y, y)


def b_min2(x, y):
    return min(x, y * 2.0)


def b_max_list(x, y, z):
    return max([x * y, y, z * 2.0])


def b_min_list(x, y, z):
    return min([x * y, y, z * 2.0])


def b_max_array(x):
    return max(x) * 2.0


def b_min_array(x):
    return min(x * x)


def b_sum_list(x, y):
    return sum([x, y * x, np.sin(y)], x)


def b_sum_array(x):
    return sum(x)


def b_float(x):
    return float(x * 3.0)


def b_getitem(x):
    return x[1] * x[2]


def b_slice(x):
    return x[1:3] * x[0]


def b_fancy(x):
    return x[np.array([0, 2, 0])] * x[1]


def b_column(x):
    return x[:, 1] * x[0, :2]


def b_list_item(x, y):
    xs = [x, y * x]
    return xs[1] * xs[0]


def b_tuple_pack(x, y):
    t = (x, np.sin(y))
    return t[0] * t[1]


BUILTIN_CASES = [
    (b_abs, lambda x: jnp.abs(x) * x, (np.array([0.5, -1.5, 2.0]),)),
    (b_pow, jnp.power, (np.array([0.5, 1.5, 2.0]), np.array([1.5, 0.5, 2.5]))),
    (b_max2, lambda x, y: jnp.maximum(x * y, y), (1.5, 0.7)),
    (b_max2, lambda x, y: jnp.maximum(x * y, y), (0.2, 0.7)),
    (b_min2, lambda x, y: jnp.minimum(x, y * 2.0), (1.5, 0.7)),
    (b_min2, lambda x, y: jnp.minimum(x, y * 2.0), (1.0, 0.7)),
    (
        b_max_list,
        lambda x, y, z: jnp.max(jnp.stack([x * y, y, z * 2.0])),
        (1.5, 0.7, 0.2),
    ),
    (
        b_max_list,
        lambda x, y, z: jnp.max(jnp.stack([x * y, y, z * 2.0])),
        (0.5, 0.7, 0.2),
    ),
    (
        b_min_list,
        lambda x, y, z: jnp.min(jnp.stack([x * y, y, z * 2.0])),
        (1.5, 0.7, 0.2),
    ),
    (b_max_array, lambda x: jnp.max(x) * 2.0, (np.array([0.5, 2.5, -1.0]),)),
    (b_min_array, lambda x: jnp.min(x * x), (np.array([0.5, 2.5, -1.0]),)),
    (b_sum_list, lambda x, y: x + x + y * x + jnp.sin(y), (1.5, 0.7)),
    (b_sum_array, lambda x: jnp.sum(x, axis=0), (np.arange(6.0).reshape(3, 2),)),
    (b_float, lambda x: x * 3.0, (np.array(0.7),)),
    (b_getitem, lambda x: x[1] * x[2], (np.array([0.5, 1.5, 2.5, 3.0]),)),
    (b_slice, lambda x: x[1:3] * x[0], (np.array([0.5, 1.5, 2.5, 3.0]),)),
    (b_fancy, lambda x: x[jnp.array([0, 2, 0])] * x[1], (np.array([0.5, 1.5, 2.5]),)),
    (b_column, lambda x: x[:, 1] * x[0, :2], (np.arange(6.0).reshape(2, 3),)),
    (b_list_item, lambda x, y: y * x * x, (1.5, 0.7)),
    (b_tuple_pack, lambda x, y: x * jnp.sin(y), (np.array([1.5, 2.0]), 0.7)),
]


@pytest.mark.parametrize(
    "f, fj, primals", BUILTIN_CASES, ids=lambda c: getattr(c, "__name__", "")
)
def test_builtins(f, fj, primals):
    rng = rng_for(f.__name__)
    tangents = tuple(
        float(rng.normal())
        if np.ndim(p) == 0 and not isinstance(p, np.ndarray)
        else rng.normal(size=np.shape(p))
        for p in primals
    )
    check_jvp(f, primals, tangents, fj)
    if len(primals) > 1:
        alone = (tangents[0],) + (None,) * (len(primals) - 1)
        check_jvp(f, primals, alone, fj)


def test_builtin_max_ties_follow_the_first_operand():
    # a tie: Python's max returns its first operand, and the derivative (as
    # JAX's of the same code) is that operand's, in both modes
    _, t = tangent.jvp(b_max2, (1.0, 1.0), (1.0, 0.0))
    assert t == pytest.approx(1.0)  # d/dx (x*y) = y = 1.0
    g = tangent.grad(b_max2, wrt=(0, 1))(1.0, 1.0)
    _, t2 = tangent.jvp(b_max2, (1.0, 1.0), (0.3, -0.4))
    assert t2 == pytest.approx(g[0] * 0.3 + g[1] * -0.4)


def test_pack_is_handled_by_the_compiler():
    # tuples and lists are built item by item: no forward rule is looked up
    from tangent.rules.registry import LIST, TUPLE

    assert RULES.lookup_forward(key_of(TUPLE)) is None
    assert RULES.lookup_forward(key_of(LIST)) is None
    check_jvp(b_tuple_pack, (1.5, 0.7), (0.3, -1.1))


def test_math_log_base_reverse_rule():
    # the reverse rule of math.log now also differentiates an active base
    g = tangent.grad(m_log_active_base, wrt=(0, 1))(1.7, 2.5)
    expected = (
        numerical_grad(m_log_active_base, (1.7, 2.5), 0),
        numerical_grad(m_log_active_base, (1.7, 2.5), 1),
    )
    assert_close(tuple(map(float, g)), tuple(map(float, expected)), 1e-6, 1e-9)


# ----- scipy.special -----

sp = scipy.special


def s_expit(x):
    return sp.expit(x)


def s_logit(x):
    return sp.logit(x)


def s_log_expit(x):
    return sp.log_expit(x)


def s_erf(x):
    return sp.erf(x)


def s_erfc(x):
    return sp.erfc(x)


def s_erfcx(x):
    return sp.erfcx(x)


def s_erfinv(x):
    return sp.erfinv(x)


def s_erfcinv(x):
    return sp.erfcinv(x)


def s_ndtr(x):
    return sp.ndtr(x)


def s_log_ndtr(x):
    return sp.log_ndtr(x)


def s_ndtri(x):
    return sp.ndtri(x)


def s_gammaln(x):
    return sp.gammaln(x)


def s_loggamma(x):
    return sp.loggamma(x)


def s_gamma(x):
    return sp.gamma(x)


def s_digamma(x):
    return sp.digamma(x)


def s_polygamma(x):
    return sp.polygamma(1, x)


def s_multigammaln(x):
    return sp.multigammaln(x, 3)


def s_beta(a, b):
    return sp.beta(a, b)


def s_betaln(a, b):
    return sp.betaln(a, b)


def s_gammainc(x):
    return sp.gammainc(1.5, x)


def s_gammaincc(x):
    return sp.gammaincc(1.5, x)


def s_i0(x):
    return sp.i0(x)


def s_i0e(x):
    return sp.i0e(x)


def s_i1(x):
    return sp.i1(x)


def s_i1e(x):
    return sp.i1e(x)


def s_xlogy(x, y):
    return sp.xlogy(x, y)


def s_xlog1py(x, y):
    return sp.xlog1py(x, y)


def s_entr(x):
    return sp.entr(x)


def s_rel_entr(x, y):
    return sp.rel_entr(x, y)


def s_kl_div(x, y):
    return sp.kl_div(x, y)


def s_pseudo_huber(r):
    return sp.pseudo_huber(0.8, r)


def s_exprel(x):
    return sp.exprel(x)


def s_expm1(x):
    return sp.expm1(x)


def s_log1p(x):
    return sp.log1p(x)


def s_exp2(x):
    return sp.exp2(x)


def s_exp10(x):
    return sp.exp10(x)


def s_cbrt(x):
    return sp.cbrt(x)


def s_cosm1(x):
    return sp.cosm1(x)


def s_sindg(x):
    return sp.sindg(x)


def s_cosdg(x):
    return sp.cosdg(x)


def _pseudo_huber(r):
    return 0.8**2 * (jnp.sqrt(1.0 + (r / 0.8) ** 2) - 1.0)


R = np.array([-1.3, 0.4, 1.1])
POS = np.array([0.6, 1.4, 2.7])
UNIT = np.array([0.15, 0.5, 0.8])
COL = np.array([[0.6], [1.4], [0.0]])  # broadcast against a row; one x == 0
ROW = np.array([0.3, 1.2, 2.5, 0.8])

SPECIAL_CASES = [
    (s_expit, jss.expit, (R,)),
    (s_logit, jss.logit, (UNIT,)),
    (s_log_expit, lambda x: -jnp.logaddexp(0.0, -x), (R,)),
    (s_erf, jss.erf, (R,)),
    (s_erfc, jss.erfc, (R,)),
    (s_erfcx, jss.erfcx, (R,)),
    (s_erfinv, jss.erfinv, (UNIT - 0.4,)),
    (s_erfcinv, lambda x: jss.erfinv(1.0 - x), (UNIT + 0.3,)),
    (s_ndtr, jss.ndtr, (R,)),
    (s_log_ndtr, jss.log_ndtr, (R,)),
    (s_ndtri, jss.ndtri, (UNIT,)),
    (s_gammaln, jss.gammaln, (POS,)),
    (s_loggamma, jss.gammaln, (POS,)),
    (s_gamma, jss.gamma, (POS,)),
    (s_digamma, jss.digamma, (POS,)),
    (s_polygamma, lambda x: jss.polygamma(1, x), (POS,)),
    (s_multigammaln, lambda x: jss.multigammaln(x, 3), (np.array(2.7),)),
    (s_beta, jss.beta, (COL + 0.5, ROW)),
    (s_betaln, jss.betaln, (COL + 0.5, ROW)),
    (s_gammainc, lambda x: jss.gammainc(1.5, x), (POS,)),
    (s_gammaincc, lambda x: jss.gammaincc(1.5, x), (POS,)),
    (s_i0, jss.i0, (R,)),
    (s_i0e, jss.i0e, (R,)),
    (s_i1, jss.i1, (R,)),
    (s_i1e, jss.i1e, (R,)),
    (s_xlogy, jss.xlogy, (COL, ROW)),
    (s_xlog1py, jss.xlog1py, (COL, ROW)),
    (s_entr, jss.entr, (POS,)),
    (s_rel_entr, jss.rel_entr, (COL + 0.1, ROW)),
    (s_kl_div, jss.kl_div, (COL + 0.1, ROW)),
    (s_pseudo_huber, _pseudo_huber, (R,)),
    (s_exprel, lambda x: jnp.expm1(x) / x, (R,)),
    (s_expm1, jnp.expm1, (R,)),
    (s_log1p, jnp.log1p, (POS,)),
    (s_exp2, jnp.exp2, (R,)),
    (s_exp10, lambda x: 10.0**x, (R,)),
    (s_cbrt, jnp.cbrt, (R,)),
    (s_cosm1, lambda x: jnp.cos(x) - 1.0, (R,)),
    (s_sindg, lambda x: jnp.sin(jnp.deg2rad(x)), (R * 50.0,)),
    (s_cosdg, lambda x: jnp.cos(jnp.deg2rad(x)), (R * 50.0,)),
]


def _random_tangents(rng, primals):
    return tuple(rng.normal(size=np.shape(p)) for p in primals)


@pytest.mark.parametrize(
    "f, fj, primals", SPECIAL_CASES, ids=lambda c: getattr(c, "__name__", "")
)
def test_scipy_special_elementwise(f, fj, primals):
    rng = rng_for(f.__name__)
    tangents = _random_tangents(rng, primals)
    check_jvp(f, primals, tangents, fj)
    if len(primals) == 2:  # each argument alone: the tangent keeps the broadcast shape
        check_jvp(f, primals, (tangents[0], None), fj)
        check_jvp(f, primals, (None, tangents[1]), fj)


def s_gammainc_a(a, x):
    return sp.gammainc(a, x)


def test_gammainc_refuses_the_tangent_of_a():
    with pytest.raises(NotImplementedError, match="gammainc with respect to a"):
        tangent.jvp(s_gammainc_a, (1.5, 0.7), (1.0, 0.0))
    # with respect to x alone it has one
    check_jvp(s_gammainc_a, (1.5, 0.7), (None, 0.8), jss.gammainc)


def s_softmax(x):
    return sp.softmax(x)


def s_softmax_axis(x):
    return sp.softmax(x, axis=1)


def s_log_softmax(x):
    return sp.log_softmax(x, axis=0)


def s_log_softmax_all(x):
    return sp.log_softmax(x)


def s_logsumexp(a):
    return sp.logsumexp(a)


def s_logsumexp_axis(a):
    return sp.logsumexp(a, axis=1, keepdims=True)


def s_logsumexp_weights(a, b):
    return sp.logsumexp(a, axis=0, b=b)


M = np.array([[0.3, -1.2, 2.0, 0.5], [1.1, 0.4, -0.7, 0.2], [0.0, 0.9, 1.5, -2.2]])

SOFTMAX_CASES = [
    (s_softmax, lambda x: jax.nn.softmax(x.ravel()).reshape(x.shape), (M,)),
    (s_softmax_axis, lambda x: jax.nn.softmax(x, axis=1), (M,)),
    (s_log_softmax, lambda x: jax.nn.log_softmax(x, axis=0), (M,)),
    (
        s_log_softmax_all,
        lambda x: jax.nn.log_softmax(x.ravel()).reshape(x.shape),
        (M,),
    ),
    (s_logsumexp, jss.logsumexp, (M,)),
    (s_logsumexp_axis, lambda a: jss.logsumexp(a, axis=1, keepdims=True), (M,)),
    (
        s_logsumexp_weights,
        lambda a, b: jss.logsumexp(a, axis=0, b=b),
        (M, np.abs(M) + 0.5),
    ),
]


@pytest.mark.parametrize(
    "f, fj, primals", SOFTMAX_CASES, ids=lambda c: getattr(c, "__name__", "")
)
def test_softmax_and_logsumexp(f, fj, primals):
    rng = rng_for(f.__name__)
    tangents = _random_tangents(rng, primals)
    check_jvp(f, primals, tangents, fj)
    if len(primals) == 2:
        check_jvp(f, primals, (None, tangents[1]), fj)


# ----- scipy.linalg -----


def _spd(rng, n):
    a = rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def _sym(rng, n):
    a = rng.normal(size=(n, n))
    return a + a.T


def l_expm(a):
    return scipy.linalg.expm(a)


def l_sqrtm(a):
    return scipy.linalg.sqrtm(a)


def l_inv(a):
    return scipy.linalg.inv(a)


def l_det(a):
    return scipy.linalg.det(a)


def l_solve(a, b):
    return scipy.linalg.solve(a, b)


def l_solve_transposed(a, b):
    return scipy.linalg.solve(a, b, transposed=True)


def l_solve_tri_lower(a, b):
    return scipy.linalg.solve_triangular(a, b, lower=True)


def l_solve_tri_upper_trans(a, b):
    return scipy.linalg.solve_triangular(a, b, trans=1)


def l_solve_tri_unit(a, b):
    return scipy.linalg.solve_triangular(a, b, lower=True, unit_diagonal=True)


def l_cholesky(a):
    return scipy.linalg.cholesky(a)


def l_cholesky_lower(a):
    return scipy.linalg.cholesky(a, lower=True)


def l_eigvalsh(a):
    return scipy.linalg.eigh(a, eigvals_only=True)


def l_eigh(a):
    w, v = scipy.linalg.eigh(a)
    return w, v


def l_chain(a, b):
    c = scipy.linalg.cholesky(a, lower=True)
    x = scipy.linalg.solve_triangular(c, b, lower=True)
    return np.sum(x * x) + np.log(scipy.linalg.det(a))


def j_chain_linalg(a, b):
    c = jsl.cholesky(a, lower=True)
    x = jsl.solve_triangular(c, b, lower=True)
    return jnp.sum(x * x) + jnp.log(jsl.det(a))


def _signs_aligned(f, primals):
    """`f` returning (w, v), each column of v's sign matched to its value at `primals`.

    Equal to `f` at `primals`, and smooth around them where LAPACK may flip
    an eigenvector's sign: a function finite differences can follow.
    """
    _, v0 = f(*primals)

    def aligned(*args):
        w, v = f(*args)
        return w, v * np.sign(np.sum(v * v0, axis=0))

    return aligned


def _eigh_aligned_with_scipy(a0):
    """JAX's eigh, each eigenvector's sign matched to SciPy's at `a0`."""
    _, v0 = scipy.linalg.eigh(a0)

    def eigh(a):
        w, v = jnp.linalg.eigh(a)
        return w, v * jnp.sign(jnp.sum(v * v0, axis=0))

    return eigh


def _linalg_cases():
    rng = np.random.default_rng(7)
    a = rng.normal(size=(4, 4)) * 0.5
    spd = _spd(rng, 4)
    b = rng.normal(size=(4,))
    bm = rng.normal(size=(4, 2))
    low = np.tril(rng.normal(size=(4, 4))) + 3.0 * np.eye(4)
    up = np.triu(rng.normal(size=(4, 4))) + 3.0 * np.eye(4)
    return [
        (l_expm, jsl.expm, (a,), False),
        (l_sqrtm, None, (spd,), True),  # JAX has no derivative of sqrtm
        (l_inv, jsl.inv, (a + 2.0 * np.eye(4),), False),
        (l_det, jsl.det, (a + 2.0 * np.eye(4),), False),
        (l_solve, jsl.solve, (a + 2.0 * np.eye(4), b), False),
        (l_solve, jsl.solve, (a + 2.0 * np.eye(4), bm), False),
        (
            l_solve_transposed,
            lambda a, b: jsl.solve(a.T, b),
            (a + 2.0 * np.eye(4), bm),
            False,
        ),
        (
            l_solve_tri_lower,
            lambda a, b: jsl.solve_triangular(a, b, lower=True),
            (low, bm),
            False,
        ),
        (
            l_solve_tri_upper_trans,
            lambda a, b: jsl.solve_triangular(a, b, trans=1),
            (up, b),
            False,
        ),
        (
            l_solve_tri_unit,
            lambda a, b: jsl.solve_triangular(a, b, lower=True, unit_diagonal=True),
            (low, bm),
            False,
        ),
        (l_cholesky, jsl.cholesky, (spd,), True),
        (l_cholesky_lower, lambda a: jsl.cholesky(a, lower=True), (spd,), True),
        (l_eigvalsh, lambda a: jsl.eigh(a, eigvals_only=True), (spd,), True),
        (l_eigh, _eigh_aligned_with_scipy(spd), (spd,), True),
        (l_chain, j_chain_linalg, (spd, bm), True),
    ]


@pytest.mark.parametrize(
    "f, fj, primals, symmetric",
    _linalg_cases(),
    ids=lambda c: getattr(c, "__name__", ""),
)
def test_scipy_linalg(f, fj, primals, symmetric):
    rng = rng_for(f.__name__)
    tangents = list(_random_tangents(rng, primals))
    if symmetric:  # a symmetric argument moves symmetrically
        tangents[0] = tangents[0] + tangents[0].T
    tangents = tuple(tangents)
    fd_f = _signs_aligned(f, primals) if f is l_eigh else None
    out = check_jvp(f, primals, tangents, fj, rtol=1e-5, atol=1e-7, fd_f=fd_f)
    if f is l_eigh:  # eigenvectors stay unit vectors
        _, v = f(*primals)
        dv = out[1]
        assert_close(np.sum(v * dv, axis=0), np.zeros(4), 0, 1e-10)
    if f is l_sqrtm:  # the tangent solves Y dY + dY Y = dA
        y = f(*primals)
        assert_close(y @ out + out @ y, tangents[0], 1e-9, 1e-9)
    if len(primals) == 2:
        check_jvp(f, primals, (tangents[0], None), fj, rtol=1e-5, atol=1e-7)
        check_jvp(f, primals, (None, tangents[1]), fj, rtol=1e-5, atol=1e-7)


def l_cholesky_sum(a, w):
    return np.sum(scipy.linalg.cholesky(a) * w)


def l_eigh_sum(a, w):
    vals, vecs = scipy.linalg.eigh(a)
    return np.sum(vals * w) + np.sum(vecs[:, 0] ** 2 * w)


@pytest.mark.parametrize("f", [l_cholesky_sum, l_eigh_sum])
def test_symmetric_functions_agree_with_their_reverse_rules(f):
    # for a tangent that is not symmetric, forward mode uses its symmetric
    # part, the transpose of the reverse rules' symmetric gradient
    rng = np.random.default_rng(3)
    a = _spd(rng, 4)
    w = rng.normal(size=4) if f is l_eigh_sum else rng.normal(size=(4, 4))
    v = rng.normal(size=(4, 4))
    _, t = tangent.jvp(f, (a, w), (v, None))
    g = tangent.grad(f)(a, w)
    assert float(t) == pytest.approx(float(np.sum(g * v)), rel=1e-8)
    # and, along the symmetric part, with finite differences
    vs = 0.5 * (v + v.T)
    assert float(t) == pytest.approx(float(fd_jvp(f, (a, w), (vs, None))), rel=1e-6)


def l_eigh_b(a, b):
    return scipy.linalg.eigh(a, b, eigvals_only=True)


def test_eigh_refuses_the_tangent_of_b():
    rng = np.random.default_rng(5)
    a, b = _spd(rng, 3), _spd(rng, 3)
    with pytest.raises(NotImplementedError, match="eigh with respect to b"):
        tangent.jvp(l_eigh_b, (a, b), (None, np.eye(3)))


# ----- Runtime helpers, called directly -----
# Their arguments that are primal values (shapes, ties, indices) carry no
# tangent: the helpers are piecewise constant in them.

XS = [np.array([1.0, 2.0]), 3.0]


def r_scalar_seed(value, seed):
    return scalar_seed(value, seed)


def r_unbroadcast(g, x):
    return unbroadcast(g, x)


def r_broadcast_back(g, x):
    return broadcast_back(g, x, 1, False)


def r_broadcast_back_none(g, x):
    return broadcast_back(g, x)


def r_broadcast_like(t, y):
    return broadcast_like(t, y)


def r_shaped(g, y):
    return shaped(g, y)


def r_add_grad(a, b):
    return add_grad(a, b)


def r_copy_value(v):
    return copy_value(v)


def r_add_at(dx, x, g):
    return add_at(dx, x, np.array([1, 3, 1]), g)


def r_add_at_list(dx, x, g):
    return add_at(dx, x, 0, g)


def r_grad_at(dx):
    return grad_at(dx, np.array([2, 0, 2]))


def r_zero_at(dx):
    return zero_at(dx, slice(1, 3))


def r_grad_item(dt):
    return grad_item(dt, 1)


def r_head_grad(g, x):
    return head_grad(g, x)


def r_tail_grad(g, y):
    return tail_grad(g, y)


def r_push_grad(dlist, items, g):
    return push_grad(dlist, items, g)


def r_pop_grad(dlist):
    return pop_grad(dlist)


def r_sum_grad(g, xs):
    return sum_grad(g, xs)


def r_extremum_grad(g, y, x):
    return extremum_grad(g, y, x, 0, False)


def r_minmax_grads(g, a, b):
    return minmax_grads(g, a, b, True)


def r_builtin_extremum_grads(g, y, a):
    return builtin_extremum_grads(g, y, a, None, False)


def r_builtin_extremum_grads_pair(g, y, a, b):
    return builtin_extremum_grads(g, y, a, b, True)


def _helper_cases():
    rng = np.random.default_rng(11)
    x34 = rng.normal(size=(3, 4))
    xm = np.array([[1.0, 5.0, 2.0], [4.0, 5.0, 0.0]])
    ym = np.max(xm, axis=0)
    a = np.array([1.0, 3.0, 2.0])
    b = np.array([2.0, 3.0, 0.5])
    items = [np.array([1.0, 2.0]), 3.0, 2.0]
    n = rng.normal
    return [
        # (function, primals, tangents)
        (r_scalar_seed, (np.ones((1, 1)), 2.0), (None, 0.7)),
        (r_scalar_seed, (3.0, 2.0), (None, 0.7)),
        (r_unbroadcast, (x34, np.ones(4)), (n(size=(3, 4)), None)),
        (r_unbroadcast, (x34, np.ones((3, 1))), (n(size=(3, 4)), None)),
        (r_broadcast_back, (n(size=3), x34), (n(size=3), None)),
        (r_broadcast_back_none, (1.5, x34), (0.4, None)),
        (r_broadcast_like, (n(size=4), x34), (n(size=4), None)),
        (r_shaped, (n(size=(3, 4)), x34), (n(size=(3, 4)), None)),
        (r_add_grad, (n(size=3), n(size=3)), (n(size=3), n(size=3))),
        (r_add_grad, (n(size=3), n(size=3)), (None, n(size=3))),
        (r_add_grad, (list(XS), list(XS)), ([n(size=2), 0.5], [n(size=2), -0.3])),
        (r_copy_value, (n(size=3),), (n(size=3),)),
        (r_add_at, (n(size=5), n(size=5), n(size=3)), (n(size=5), None, n(size=3))),
        (r_add_at, (n(size=5), n(size=5), n(size=3)), (None, None, n(size=3))),
        (r_add_at, (n(size=5), n(size=5), n(size=3)), (n(size=5), None, None)),
        (
            r_add_at_list,
            (list(XS), list(XS), np.array([0.5, 1.0])),
            ([n(size=2), 0.5], None, n(size=2)),
        ),
        (r_grad_at, (n(size=4),), (n(size=4),)),
        (r_zero_at, (n(size=4),), (n(size=4),)),
        (r_grad_item, (list(XS),), ([n(size=2), 0.9],)),
        (r_head_grad, ([1.0, 2.0, 3.0], [5.0, 6.0]), ([0.3, -0.2, 0.8], None)),
        (r_head_grad, (x34, np.ones(4)), (n(size=(3, 4)), None)),
        (r_tail_grad, ([1.0, 2.0, 3.0], [5.0, 6.0]), ([0.3, -0.2, 0.8], None)),
        (r_tail_grad, (x34, np.ones((3, 1))), (n(size=(3, 4)), None)),
        (r_push_grad, ([1.0, 2.0], [0.0, 0.0], 4.0), ([0.3, 0.2], None, -0.6)),
        (r_push_grad, ([1.0, 2.0], [0.0, 0.0], 4.0), (None, None, -0.6)),
        (r_pop_grad, ([1.0, 2.0, 3.0],), ([0.3, -0.2, 0.8],)),
        (r_sum_grad, (1.5, items), (0.4, None)),
        (r_sum_grad, (n(size=4), x34), (n(size=4), None)),
        (r_extremum_grad, (n(size=3), ym, xm), (n(size=3), None, None)),
        (r_minmax_grads, (n(size=3), a, b), (n(size=3), None, None)),
        (r_builtin_extremum_grads, (1.5, 1.0, [1.0, 3.0, 1.0]), (0.3, None, None)),
        (r_builtin_extremum_grads, (1.5, 1.0, np.array([1.0, 3.0])), (0.3, None, None)),
        (r_builtin_extremum_grads_pair, (1.5, 3.0, 3.0, 1.0), (0.3, None, None, None)),
    ]


@pytest.mark.parametrize(
    "f, primals, tangents", _helper_cases(), ids=lambda c: getattr(c, "__name__", "")
)
def test_runtime_helper_forward_rules(f, primals, tangents):
    check_jvp(f, primals, tangents)


def _scalarize(out, weights):
    """A scalar from a helper's output: its entries weighted (lists entry by entry)."""
    if isinstance(out, (list, tuple)):
        return sum(_scalarize(o, w) for o, w in zip(out, weights))
    return np.sum(np.asarray(out) * weights)


# Each reverse case differentiates `helper(g, ...)` with respect to its adjoint
# argument `g`, through a scalar `sum(output * W)`.

W34 = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
W3 = np.array([0.7, -1.1, 0.4])
W5 = np.array([0.7, -1.1, 0.4, 0.9, -0.3])
XM = np.array([[1.0, 5.0, 2.0], [4.0, 5.0, 0.0]])


def rev_broadcast_back(g):
    return np.sum(broadcast_back(g, W34, 1, False) * W34)


def rev_broadcast_back_keepdims(g):
    return np.sum(broadcast_back(g, W34, 0, True) * W34)


def rev_broadcast_like(t):
    return np.sum(broadcast_like(t, W34) * W34)


def rev_shaped(g):
    return np.sum(shaped(g, W3) * W3)


def rev_sum_grad_list(g):
    out = sum_grad(g, [W3, 2.0])
    return np.sum(out[0] * W3) + out[1] * 0.5


def rev_sum_grad_array(g):
    return np.sum(sum_grad(g, W34) * W34)


def rev_extremum_grad(g):
    return np.sum(extremum_grad(g, np.max(XM, axis=0), XM, 0, False) * XM)


def rev_minmax_grads(g):
    ga, gb = minmax_grads(g, np.array([1.0, 3.0, 2.0]), np.array([2.0, 3.0, 0.5]), True)
    return np.sum(ga * W3) + np.sum(gb * W3 * W3)


def rev_builtin_extremum_grads_list(g):
    ga, gb = builtin_extremum_grads(g, 1.0, [1.0, 3.0, 1.0], None, False)
    return ga[0] * 0.5 + ga[1] * 2.0 + ga[2] * -1.5


def rev_builtin_extremum_grads_array(g):
    ga, gb = builtin_extremum_grads(g, 3.0, np.array([1.0, 3.0, 3.0]), None, True)
    return np.sum(ga * W3)


def rev_grad_item(g):
    t = [g * 2.0, g * g]
    return grad_item(t, 1) * 3.0 + grad_item(t, 0)


def rev_head_grad(g):
    h = head_grad([g, g * 2.0, 3.0 * g], [1.0, 2.0])
    return h[0] * 0.5 + h[1] * 1.5


def rev_tail_grad(g):
    h = tail_grad([g, g * 2.0, 3.0 * g], [1.0, 2.0])
    return h[0] * 0.5 + h[1] * 1.5


def rev_push_grad(g):
    out = push_grad([g, 2.0 * g], [0.0, 0.0], g * g)
    return out[0] * 0.5 + out[1] * 1.5 + out[2] * -2.0


def rev_pop_grad(g):
    rest, last = pop_grad([g, 2.0 * g, g * g])
    return rest[0] * 0.5 + rest[1] * 1.5 + last * -2.0


REVERSE_CASES = [
    (rev_broadcast_back, np.array([0.3, -0.5, 1.2])),
    (rev_broadcast_back_keepdims, np.array([[0.3, -0.5, 1.2, 0.1]])),
    (rev_broadcast_like, np.array([0.3, -0.5, 1.2, 0.1])),
    (rev_shaped, np.array([0.3, -0.5, 1.2])),
    (rev_sum_grad_list, np.array([0.3, -0.5, 1.2])),
    (rev_sum_grad_array, np.array([0.3, -0.5, 1.2, 0.1])),
    (rev_extremum_grad, np.array([0.3, -0.5, 1.2])),
    (rev_minmax_grads, np.array([0.3, -0.5, 1.2])),
    (rev_builtin_extremum_grads_list, 0.7),
    (rev_builtin_extremum_grads_array, 0.7),
    (rev_grad_item, 0.7),
    (rev_head_grad, 0.7),
    (rev_tail_grad, 0.7),
    (rev_push_grad, 0.7),
    (rev_pop_grad, 0.7),
]


@pytest.mark.parametrize(
    "f, g", REVERSE_CASES, ids=lambda c: getattr(c, "__name__", "")
)
def test_runtime_helper_reverse_rules(f, g):
    grad = tangent.grad(f)(g)
    expected = numerical_grad(f, (g,), 0)
    assert_close(
        grad, np.asarray(expected) if np.ndim(g) else float(expected), 1e-6, 1e-8
    )


def test_every_runtime_helper_has_rules():
    for helper in runtime.__all__:
        key = ("Call", getattr(runtime, helper))
        rule = RULES.lookup(key)
        assert rule is not None, helper
        if rule is not NONDIFFERENTIABLE:
            assert RULES.lookup_forward(key) is not None, helper


# ----- Forward over reverse: hvp through the helpers in generated gradients -----


def h_broadcast(x, a):
    return np.sum(x * a)


def j_broadcast(x, a):
    return jnp.sum(x * a)


def h_broadcast_sin(x, a):
    return np.sum(np.sin(x * a) * x)


def j_broadcast_sin(x, a):
    return jnp.sum(jnp.sin(x * a) * x)


def h_tape(x, a):
    for _i in range(3):
        x = np.sin(x) * a + x * x
    return np.sum(x * x)


def j_tape(x, a):
    for _i in range(3):
        x = jnp.sin(x) * a + x * x
    return jnp.sum(x * x)


def h_index_writes(x):
    y = np.zeros(3)
    y[0] = x[0] * x[1]
    y[1] = np.sin(x[2]) * y[0]
    y[2] = y[1] * x[0]
    y[0] = x[2] * x[2]
    return np.sum(y * y)


def j_index_writes(x):
    y = jnp.zeros(3)
    y = y.at[0].set(x[0] * x[1])
    y = y.at[1].set(jnp.sin(x[2]) * y[0])
    y = y.at[2].set(y[1] * x[0])
    y = y.at[0].set(x[2] * x[2])
    return jnp.sum(y * y)


def h_lists(x, y):
    xs = [x * y, np.sin(x)]
    ys = xs + [y * y]
    top = ys.pop()
    return sum(ys) * top + max(x * y, y) * min([x, y * 2.0])


def j_lists(x, y):
    xs = [x * y, jnp.sin(x)]
    ys = xs + [y * y]
    top = ys.pop()
    return sum(ys) * top + jnp.maximum(x * y, y) * jnp.minimum(x, y * 2.0)


def h_math(x: float, y: float):
    s = 0.0
    for _i in range(4):
        s = s + math.sin(x * s + y) * math.exp(-x) + math.log(y * y + s * s + 1.0, 2.0)
    return s * math.sqrt(x)


def j_math(x, y):
    s = 0.0
    for _i in range(4):
        s = (
            s
            + jnp.sin(x * s + y) * jnp.exp(-x)
            + jnp.log(y * y + s * s + 1.0) / jnp.log(2.0)
        )
    return s * jnp.sqrt(x)


def h_extrema(x):
    return np.sum(np.max(x, axis=0) * x[0]) + max(x[1]) * np.sum(x)


def j_extrema(x):
    return jnp.sum(jnp.max(x, axis=0) * x[0]) + jnp.max(x[1]) * jnp.sum(x)


def h_special(x, a):
    return scipy.special.logsumexp(x * a) + np.sum(scipy.special.xlogy(a, x * x))


def j_special(x, a):
    return jss.logsumexp(x * a) + jnp.sum(jss.xlogy(a, x * x))


def h_linalg(a, b):
    a = (a + a.T) / 2.0  # a function of symmetric matrices: its gradient is unique
    c = scipy.linalg.cholesky(a, lower=True)
    z = scipy.linalg.solve_triangular(c, b, lower=True)
    return np.sum(z * z) + np.log(scipy.linalg.det(a))


def j_linalg(a, b):
    a = (a + a.T) / 2.0
    c = jsl.cholesky(a, lower=True)
    z = jsl.solve_triangular(c, b, lower=True)
    return jnp.sum(z * z) + jnp.log(jsl.det(a))


def _spd(rng, n):
    m = rng.normal(size=(n, n))
    return m @ m.T + n * np.eye(n)


def _hvp_cases():
    rng = np.random.default_rng(13)
    return [
        (h_broadcast, j_broadcast, (rng.normal(size=(3, 4)), rng.normal(size=(3, 1)))),
        (
            h_broadcast_sin,
            j_broadcast_sin,
            (rng.normal(size=(3, 4)), rng.normal(size=(3, 1))),
        ),
        (h_tape, j_tape, (rng.normal(size=(4,)) * 0.5, rng.normal(size=(4,)))),
        (h_index_writes, j_index_writes, (rng.normal(size=(3,)),)),
        (h_lists, j_lists, (1.3, 0.6)),
        (h_math, j_math, (1.3, 0.6)),
        (h_extrema, j_extrema, (rng.normal(size=(3, 4)),)),
        (
            h_special,
            j_special,
            (rng.uniform(0.5, 2.0, size=(4,)), rng.uniform(0.5, 2.0, size=(4,))),
        ),
        (h_linalg, j_linalg, (_spd(rng, 3), rng.normal(size=(3,)))),
    ]


def jax_hvp(fj, primals, tangents):
    """jax.hessian contracted with the tangents: one block row per primal."""
    n = len(primals)
    args = tuple(jnp.asarray(p, dtype=float) for p in primals)
    hessian = jax.hessian(fj, argnums=tuple(range(n)))(*args)
    grads = jax.grad(fj, argnums=tuple(range(n)))(*args)
    out = []
    for i in range(n):
        total = 0.0
        for j in range(n):
            v = np.asarray(tangents[j], dtype=float)
            total = total + np.tensordot(np.asarray(hessian[i][j]), v, axes=v.ndim)
        out.append(np.reshape(total, np.shape(primals[i])))
    return tuple(np.asarray(g) for g in grads), tuple(out)


@pytest.mark.parametrize(
    "f, fj, primals", _hvp_cases(), ids=lambda c: getattr(c, "__name__", "")
)
def test_hvp(f, fj, primals):
    rng = rng_for(f.__name__)
    tangents = tuple(
        rng.normal(size=np.shape(p))
        if isinstance(p, np.ndarray)
        else float(rng.normal())
        for p in primals
    )
    if f is h_linalg:
        tangents = (tangents[0] + tangents[0].T, tangents[1])
    grad, hv = tangent.hvp(f, primals, tangents)
    expected_grad, expected_hv = jax_hvp(fj, primals, tangents)
    if len(primals) == 1:
        grad, hv = (grad,), (hv,)
    for i in range(len(primals)):
        assert_close(
            grad[i],
            np.reshape(expected_grad[i], np.shape(primals[i])),
            1e-9,
            1e-10,
            f"grad {i}",
        )
        assert_close(hv[i], expected_hv[i], 1e-8, 1e-9, f"hvp {i}")


@pytest.mark.parametrize("f, fj", [(h_lists, j_lists), (h_math, j_math)])
@pytest.mark.parametrize("i", [0, 1])
def test_grad_of_grad_through_the_helpers(f, fj, i):
    # the second gradient differentiates the helpers the first one calls
    # (push_grad, head_grad, builtin_extremum_grads, sum_grad, ...)
    args = (1.3, 0.6)
    second = tangent.grad(tangent.grad(f, wrt=(i,)), wrt=(i,))(*args)
    expected = jax.grad(jax.grad(fj, argnums=i), argnums=i)(*args)
    assert float(second) == pytest.approx(float(expected), rel=1e-9)
