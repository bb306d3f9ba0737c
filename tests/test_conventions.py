"""Numerical conventions at the edges of the domain, checked against JAX (x64).

At a point where a derivative is infinite, undefined or taken at a kink, a
rule must give what ``jax.grad`` gives (docs/conventions.md): ``inf`` for
``log``/``sqrt`` at 0, the IEEE result of the chain rule (``0 * inf = nan``)
in the untaken branch of ``np.where``, ties of ``max``/``min`` split as JAX
splits them, overflow-free ``logsumexp``/``softmax``. Each case pairs the
NumPy function with its JAX transcription; the gradients must agree entry by
entry, ``nan`` and the sign of ``inf`` included.

A case marked xfail(strict=True) is a rule that disagrees with JAX today; the
reason names the rule, and the case passes (and must be unmarked) once the
rule is fixed.
"""

import math
import warnings

import jax
import jax.numpy as jnp
import jax.scipy.special as jss
import numpy as np
import pytest
import scipy.special as sps

import tangent

# ----- the NumPy functions (module level: tangent reads their source) -----


def log_sum(x):
    return np.sum(np.log(x))


def sqrt_sum(x):
    return np.sum(np.sqrt(x))


def reciprocal_sum(x):
    return np.sum(1.0 / x)


def quotient_sum(x, y):
    return np.sum(x / y)


def power_sum(x, y):
    return np.sum(x**y)


def two_norm(x):
    return np.linalg.norm(x)


def one_norm(x):
    return np.linalg.norm(x, 1)


def inf_norm(x):
    return np.linalg.norm(x, np.inf)


def largest(x):
    return np.max(x)


def smallest(x):
    return np.min(x)


def row_maxima(x):
    return np.sum(np.max(x, axis=1))


def pairwise_maximum(x, y):
    return np.sum(np.maximum(x, y))


def pairwise_minimum(x, y):
    return np.sum(np.minimum(x, y))


def relu(x):
    return np.sum(np.maximum(x, 0.0))


def nan_maximum(x, y):
    return np.sum(np.fmax(x, y))


def clipped(x):
    return np.sum(np.clip(x, -1.0, 1.0))


def log_sum_exp(x):
    return sps.logsumexp(x)


def weighted_softmax(x):
    return np.sum(sps.softmax(x) * np.arange(1.0, 1.0 + x.shape[0]))


def weighted_log_softmax(x):
    return np.sum(sps.log_softmax(x) * np.arange(1.0, 1.0 + x.shape[0]))


def log_add_exp(x, y):
    return np.sum(np.logaddexp(x, y))


def softplus(x):
    return np.sum(np.logaddexp(0.0, x))


def sigmoid_sum(x):
    return np.sum(sps.expit(x))


def absolute_sum(x):
    return np.sum(np.abs(x))


def where_sqrt(x):
    return np.sum(np.where(x > 0.0, np.sqrt(x), 0.0))


def where_log(x):
    return np.sum(np.where(x > 0.0, np.log(x), 0.0))


def where_reciprocal(x):
    return np.sum(np.where(x != 0.0, 1.0 / x, 0.0))


def standard_deviation(x):
    return np.std(x)


def determinant(a):
    return np.linalg.det(a)


def product(x):
    return np.prod(x)


def builtin_max(x, y):
    return max(x, y)


def builtin_min(x, y):
    return min(x, y)


def builtin_abs(x):
    return abs(x)


def math_sqrt(x):
    return math.sqrt(x)


def math_asin(x):
    return math.asin(x)


def math_acos(x):
    return math.acos(x)


def float_square_root(x):
    return x**0.5


def float_power(x, y):
    return x**y


# ----- the cases -----

V = np.array


def _case(id_, f, jf, args, wrt=(0,), fix=None, differs=None):
    # `fix`: how the rule was changed to agree with JAX (kept as documentation);
    # `differs`: a documented difference from JAX, kept as a strict xfail
    marks = [pytest.mark.xfail(strict=True, reason=differs)] if differs else []
    return pytest.param(f, jf, args, wrt, id=id_, marks=marks)


POWER_KEPT_READABLE = (
    "the rule of x ** y reads d[y] * y * x ** (y - 1), which folds to 2 * x for "
    "x ** 2; for a Python float x == 0.0 with y < 1 Python raises "
    "ZeroDivisionError where JAX gives inf (NumPy values give inf too)"
)


NORM_AT_ZERO = (
    "vector_norm_grad divides with safe_divide (0 at a zero norm); JAX gives "
    "x / norm = nan there"
)
ABS_AT_ZERO = "the abs rules use np.sign (0 at 0); JAX's derivative of |x| at 0 is 1"
STD_AT_CONSTANT = (
    "moment_grad divides with safe_divide (0 where std is 0); JAX gives nan"
)
CLIP_AT_BOUNDS = (
    "clip_grads gives the whole adjoint to `a` at a bound; JAX (minimum of "
    "maximum) splits the tie: 0.5"
)
FMAX_TIE = "pair_extremum_grads splits fmax/fmin ties; JAX gives a tie to x2"
BUILTIN_TIE = (
    "builtin_extremum_grads splits ties of max/min; Python returns the first "
    "extremal operand and JAX differentiates that: all to the first"
)
DET_SINGULAR = "det_grad inverts the matrix: LinAlgError for a singular one"
PY_FLOAT_DIVISION = (
    "the rule divides Python floats: ZeroDivisionError where JAX gives inf"
)
PY_FLOAT_POWER = (
    "the rule raises 0.0 to a negative power on Python floats: ZeroDivisionError"
)

CASES = [
    # log, sqrt, division at 0: the derivative is infinite
    _case("log-at-0", log_sum, lambda x: jnp.sum(jnp.log(x)), (V([0.0, 1.0]),)),
    _case("sqrt-at-0", sqrt_sum, lambda x: jnp.sum(jnp.sqrt(x)), (V([0.0, 4.0]),)),
    _case(
        "reciprocal-at-0",
        reciprocal_sum,
        lambda x: jnp.sum(1.0 / x),
        (V([0.0, 2.0]),),
    ),
    _case(
        "quotient-by-0",
        quotient_sum,
        lambda x, y: jnp.sum(x / y),
        (V([1.0, 0.0]), V([0.0, 0.0])),
        (0, 1),
    ),
    _case(
        "power-at-0",
        power_sum,
        lambda x, y: jnp.sum(x**y),
        (V([0.0, 2.0, 0.0]), V([2.0, 3.0, 0.5])),
        (0, 1),
    ),
    # norms at zero and at ties
    _case(
        "norm-at-0",
        two_norm,
        lambda x: jnp.linalg.norm(x),
        (np.zeros(3),),
        fix=NORM_AT_ZERO,
    ),
    _case(
        "norm-away-from-0", two_norm, lambda x: jnp.linalg.norm(x), (V([3.0, -4.0]),)
    ),
    _case(
        "one-norm-with-a-0",
        one_norm,
        lambda x: jnp.linalg.norm(x, 1),
        (V([0.0, 1.0, -2.0]),),
        fix=ABS_AT_ZERO,
    ),
    _case(
        "inf-norm-tie",
        inf_norm,
        lambda x: jnp.linalg.norm(x, jnp.inf),
        (V([2.0, 1.0, -2.0]),),
    ),
    # max and min with ties
    _case("max-tie", largest, jnp.max, (V([1.0, 3.0, 3.0]),)),
    _case("max-all-equal", largest, jnp.max, (V([2.0, 2.0, 2.0]),)),
    _case("min-tie", smallest, jnp.min, (V([1.0, 1.0, 3.0]),)),
    _case(
        "max-axis-tie",
        row_maxima,
        lambda x: jnp.sum(jnp.max(x, axis=1)),
        (V([[1.0, 1.0], [2.0, 0.0]]),),
    ),
    _case(
        "maximum-tie",
        pairwise_maximum,
        lambda x, y: jnp.sum(jnp.maximum(x, y)),
        (V([1.0, 2.0]), V([1.0, 0.0])),
        (0, 1),
    ),
    _case(
        "minimum-tie",
        pairwise_minimum,
        lambda x, y: jnp.sum(jnp.minimum(x, y)),
        (V([1.0, 2.0]), V([1.0, 0.0])),
        (0, 1),
    ),
    _case(
        "relu-at-0",
        relu,
        lambda x: jnp.sum(jnp.maximum(x, 0.0)),
        (V([0.0, 1.0, -1.0]),),
    ),
    _case(
        "fmax-tie",
        nan_maximum,
        lambda x, y: jnp.sum(jnp.fmax(x, y)),
        (V([1.0, np.nan]), V([1.0, 2.0])),
        (0, 1),
        fix=FMAX_TIE,
    ),
    _case(
        "clip-at-bounds",
        clipped,
        lambda x: jnp.sum(jnp.clip(x, -1.0, 1.0)),
        (V([-1.0, 1.0, 0.5, 2.0]),),
        fix=CLIP_AT_BOUNDS,
    ),
    _case("builtin-max-tie", builtin_max, max, (1.0, 1.0), (0, 1), fix=BUILTIN_TIE),
    _case("builtin-min-tie", builtin_min, min, (1.0, 1.0), (0, 1), fix=BUILTIN_TIE),
    # large inputs: no overflow
    _case(
        "logsumexp-large", log_sum_exp, jss.logsumexp, (V([1000.0, 1000.0, -1000.0]),)
    ),
    _case(
        "softmax-large",
        weighted_softmax,
        lambda x: jnp.sum(jax.nn.softmax(x) * jnp.arange(1.0, 1.0 + x.shape[0])),
        (V([1000.0, 999.0, -1000.0]),),
    ),
    _case(
        "log-softmax-large",
        weighted_log_softmax,
        lambda x: jnp.sum(jax.nn.log_softmax(x) * jnp.arange(1.0, 1.0 + x.shape[0])),
        (V([1000.0, 999.0, -1000.0]),),
    ),
    _case(
        "logaddexp-large",
        log_add_exp,
        lambda x, y: jnp.sum(jnp.logaddexp(x, y)),
        (V([1000.0, -1000.0]), V([1000.0, 0.0])),
        (0, 1),
    ),
    _case(
        "softplus-large",
        softplus,
        lambda x: jnp.sum(jnp.logaddexp(0.0, x)),
        (V([1000.0, -1000.0]),),
    ),
    _case(
        "sigmoid-large",
        sigmoid_sum,
        lambda x: jnp.sum(jss.expit(x)),
        (V([1000.0, -1000.0]),),
    ),
    # abs at 0
    _case(
        "abs-at-0",
        absolute_sum,
        lambda x: jnp.sum(jnp.abs(x)),
        (V([0.0, -2.0, 3.0]),),
        fix=ABS_AT_ZERO,
    ),
    _case("builtin-abs-at-0", builtin_abs, abs, (0.0,), fix=ABS_AT_ZERO),
    # np.where: the untaken branch's nan or inf reaches the gradient (0 * inf)
    _case(
        "where-sqrt-negative",
        where_sqrt,
        lambda x: jnp.sum(jnp.where(x > 0.0, jnp.sqrt(x), 0.0)),
        (V([-1.0, 4.0, 0.0]),),
    ),
    _case(
        "where-log-zero",
        where_log,
        lambda x: jnp.sum(jnp.where(x > 0.0, jnp.log(x), 0.0)),
        (V([-1.0, 4.0, 0.0]),),
    ),
    _case(
        "where-reciprocal-zero",
        where_reciprocal,
        lambda x: jnp.sum(jnp.where(x != 0.0, 1.0 / x, 0.0)),
        (V([0.0, 2.0]),),
    ),
    # square roots of zero inside other rules
    _case(
        "std-of-constant",
        standard_deviation,
        jnp.std,
        (V([2.0, 2.0, 2.0]),),
        fix=STD_AT_CONSTANT,
    ),
    _case("prod-with-a-0", product, jnp.prod, (V([0.0, 2.0, 3.0]),)),
    _case(
        "det-singular",
        determinant,
        jnp.linalg.det,
        (V([[1.0, 2.0], [2.0, 4.0]]),),
        fix=DET_SINGULAR,
    ),
    # Python floats: the same values as arrays, never a ZeroDivisionError
    _case("math-sqrt-at-0", math_sqrt, jnp.sqrt, (0.0,), fix=PY_FLOAT_DIVISION),
    _case("math-asin-at-1", math_asin, jnp.arcsin, (1.0,), fix=PY_FLOAT_DIVISION),
    _case("math-acos-at-1", math_acos, jnp.arccos, (1.0,), fix=PY_FLOAT_DIVISION),
    _case(
        "float-sqrt-power-at-0",
        float_square_root,
        lambda x: x**0.5,
        (0.0,),
        differs=POWER_KEPT_READABLE,
    ),
    _case(
        "float-power-0-0",
        float_power,
        lambda x, y: x**y,
        (0.0, 0.0),
        (0, 1),
        differs=POWER_KEPT_READABLE,
    ),
    _case("float-power-at-0", float_power, lambda x, y: x**y, (0.0, 2.0), (0, 1)),
]


def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a  # Python floats stay floats


def _jax_grad(jf, args, wrt):
    with jax.enable_x64(True):
        jargs = [
            a if isinstance(a, float) else jnp.asarray(a, dtype=jnp.float64)
            for a in args
        ]
        argnums = wrt if len(wrt) > 1 else wrt[0]
        out = jax.grad(jf, argnums=argnums)(*jargs)
    out = out if isinstance(out, tuple) else (out,)
    return [np.asarray(g, dtype=np.float64) for g in out]


@pytest.mark.parametrize("f, jf, args, wrt", CASES)
def test_edge_gradient_matches_jax(f, jf, args, wrt):
    expected = _jax_grad(jf, args, wrt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # log(0), 0 * inf, ...
        ours = tangent.grad(f, wrt=wrt)(*[_copy(a) for a in args])
    ours = ours if isinstance(ours, tuple) else (ours,)
    assert len(ours) == len(expected)
    for got, want in zip(ours, expected, strict=True):
        got = np.asarray(got, dtype=np.float64)
        assert got.shape == want.shape
        # same nan pattern, same infinities (with their signs), close elsewhere
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_array_equal(np.isposinf(got), np.isposinf(want))
        np.testing.assert_array_equal(np.isneginf(got), np.isneginf(want))
        finite = np.isfinite(want)
        np.testing.assert_allclose(got[finite], want[finite], rtol=1e-9, atol=1e-12)


def _jax_jvp(jf, args, tangents):
    with jax.enable_x64(True):
        jargs, jtans = [], []
        for a, t in zip(args, tangents, strict=True):
            as_jax = (lambda v: v) if isinstance(a, float) else jnp.asarray
            jargs.append(as_jax(a))
            jtans.append(as_jax(np.zeros_like(a) if t is None else t))
        _, out = jax.jvp(jf, tuple(jargs), tuple(jtans))
    return np.asarray(out, dtype=np.float64)


@pytest.mark.parametrize("f, jf, args, wrt", CASES)
def test_edge_tangent_matches_jax(f, jf, args, wrt):
    """Forward mode follows the same conventions as reverse mode and JAX."""
    rng = np.random.default_rng(0)
    tangents = [None] * len(args)
    for i in wrt:
        shape = np.shape(args[i])
        tangents[i] = (
            rng.standard_normal(shape) if shape else float(rng.standard_normal())
        )
    expected = _jax_jvp(jf, args, tangents)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _, ours = tangent.jvp(f, tuple(_copy(a) for a in args), tuple(tangents))
    ours = np.asarray(ours, dtype=np.float64)
    assert ours.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(expected))
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(ours[~finite], expected[~finite])
    np.testing.assert_allclose(ours[finite], expected[finite], rtol=1e-9, atol=1e-12)
