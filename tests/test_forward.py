"""Forward mode, jvp, jacobian, hvp and higher order, against independent oracles.

Every corpus function and every rule-table case: `tangent.jvp` with a random
tangent must equal the central finite difference of the function along that
tangent (float64), and, for the corpus, JAX's or autograd's gradient dotted
with the tangent. Higher order (`hvp`, `grad(grad(f))`, third derivatives,
Jacobians in both modes) is checked against JAX.
"""

import zlib

import numpy as np
import pytest
from corpus import ALL_CASES
from oracle import _jaxify, _scalarize, patched, reference_grad, resolve_wrt
from test_rules import CASE_BY_NAME, CASES, built  # noqa: F401  (the fixture)

import tangent

jax = pytest.importorskip("jax")
jnp = jax.numpy


def _direction(arg, rng):
    if isinstance(arg, float):
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(arg))


def _fd_directional(f, args, idx, tangents, eps=1e-6):
    plus, minus = list(args), list(args)
    for i in idx:
        plus[i] = args[i] + eps * tangents[i]
        minus[i] = args[i] - eps * tangents[i]
    return (np.asarray(f(*plus), float) - np.asarray(f(*minus), float)) / (2 * eps)


def _check_jvp(f, args, idx, rng, rtol=1e-5, atol=1e-6, eps=1e-6):
    tangents = [None] * len(args)
    for i in idx:
        tangents[i] = _direction(args[i], rng)
    out, dout = tangent.jvp(f, tuple(args), tuple(tangents))
    np.testing.assert_allclose(
        np.asarray(out, float), np.asarray(f(*args), float), rtol=1e-12, atol=1e-12
    )
    expected = _fd_directional(f, args, idx, tangents, eps)
    assert np.shape(dout) == np.shape(expected)
    np.testing.assert_allclose(np.asarray(dout, float), expected, rtol=rtol, atol=atol)
    return tangents, dout


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_corpus_jvp(case):
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    args = case.make_args(rng)
    idx = resolve_wrt(case.func, case.wrt)
    tangents, dout = _check_jvp(case.func, args, idx, rng, rtol=1e-4, atol=1e-5)
    if not case.references:
        return
    label, ref = reference_grad(case.func, args, case.wrt)
    if ref is None:
        return
    ref = ref if len(idx) > 1 else (ref,)
    expected = sum(np.sum(np.asarray(r) * tangents[i]) for i, r in zip(idx, ref))
    np.testing.assert_allclose(np.ravel(dout)[0], expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_rule_jvp(built, name):  # noqa: F811
    c = CASE_BY_NAME[name]
    f, args = built[name]
    rng = np.random.default_rng(zlib.crc32(("jvp" + name).encode()))
    # a function of float32 values: steps larger than float32's rounding
    eps = 1e-2 if "float32" in c.expr else 1e-6
    _check_jvp(
        f, args, c.wrt, rng, rtol=max(c.rtol, 1e-5), atol=max(c.atol, 1e-6), eps=eps
    )


def _float_args(args):
    return all(
        isinstance(a, float) or (isinstance(a, np.ndarray) and a.dtype.kind == "f")
        for a in args
    )


HVP_CASES = [c for c in ALL_CASES if _float_args(c.make_args(np.random.default_rng(0)))]


def _jax_hvp(f, args, tangents):
    """JAX's forward-over-reverse on the re-executed source, or None where it can't run."""
    try:
        with jax.enable_x64(True):
            g = _scalarize(jnp, patched(f, jnp))
            argnums = tuple(range(len(args)))
            jargs = [jnp.asarray(a, dtype=jnp.float64) for a in args]
            jtans = [jnp.asarray(t, dtype=jnp.float64) for t in tangents]
            _, hv = jax.jvp(jax.grad(g, argnums=argnums), jargs, jtans)
            out = [np.asarray(h, dtype=np.float64) for h in hv]
    except Exception:
        return None
    return out if all(np.all(np.isfinite(h)) for h in out) else None


@pytest.mark.parametrize("case", HVP_CASES, ids=[c.name for c in HVP_CASES])
def test_corpus_hvp(case):
    """Forward over reverse on every corpus function whose arguments are all floats."""
    rng = np.random.default_rng(zlib.crc32(("hvp" + case.name).encode()))
    args = case.make_args(rng)
    tangents = [_direction(a, rng) for a in args]
    _, hv = tangent.hvp(case.func, tuple(args), tuple(tangents))
    hv = hv if len(args) > 1 else (hv,)
    expected = _jax_hvp(case.func, [_jaxify(a) for a in args], tangents)
    if expected is None:  # the gradient (itself checked against FD) differenced
        df = tangent.grad(case.func, wrt=tuple(range(len(args))))
        eps = 1e-5
        plus = df(*[a + eps * t for a, t in zip(args, tangents)])
        minus = df(*[a - eps * t for a, t in zip(args, tangents)])
        plus, minus = (plus, minus) if len(args) > 1 else ((plus,), (minus,))
        expected = [
            (np.asarray(p) - np.asarray(m)) / (2 * eps) for p, m in zip(plus, minus)
        ]
        rtol, atol = 1e-4, 1e-5
    else:
        rtol, atol = 1e-6, 1e-8
    for h, e in zip(hv, expected, strict=True):
        assert np.shape(h) == np.shape(e)
        np.testing.assert_allclose(np.asarray(h, float), e, rtol=rtol, atol=atol)


def _scalar_wrt(case):
    args = case.make_args(np.random.default_rng(0))
    return isinstance(args[resolve_wrt(case.func, case.wrt)[0]], float)


SECOND_ORDER_CASES = [c for c in ALL_CASES if _scalar_wrt(c)]


def _jax_second(f, args, i):
    try:
        with jax.enable_x64(True):
            g = _scalarize(jnp, patched(f, jnp))
            jargs = [_jaxify(a) for a in args]
            value = jax.grad(jax.grad(g, argnums=i), argnums=i)(*jargs)
            value = float(np.asarray(value, dtype=np.float64))
    except Exception:
        return None
    return value if np.isfinite(value) else None


@pytest.mark.parametrize(
    "case", SECOND_ORDER_CASES, ids=[c.name for c in SECOND_ORDER_CASES]
)
def test_corpus_grad_of_grad(case):
    """Reverse over reverse: the generated gradient differentiated again."""
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    args = case.make_args(rng)
    i = resolve_wrt(case.func, case.wrt)[0]
    d1 = tangent.grad(case.func, wrt=i)
    value = tangent.grad(d1, wrt=i)(*args)
    expected = _jax_second(case.func, args, i)
    if expected is None:  # the gradient (itself checked against FD) differenced
        eps = 1e-5
        plus, minus = list(args), list(args)
        plus[i] += eps
        minus[i] -= eps
        expected = (d1(*plus) - d1(*minus)) / (2 * eps)
        np.testing.assert_allclose(value, expected, rtol=1e-4, atol=1e-5)
    else:
        np.testing.assert_allclose(value, expected, rtol=1e-6, atol=1e-8)


# ----- The generated code -----


def scalar_loop(x, a):
    for i in range(10):  # noqa: B007  (as users write it)
        x = x * 0.99 + np.sin(x) * a
    return x


def test_forward_source_keeps_the_loop_and_reads_like_the_math():
    assert tangent.forward_source(scalar_loop, wrt=(0, 1)) == (
        "def jvp_scalar_loop(x, a, dx, da):\n"
        "    for i in range(10):\n"
        "        sin_x = np.sin(x)\n"
        "        dsin_x_mul_a = dx * np.cos(x) * a + da * sin_x\n"
        "        x = x * 0.99 + sin_x * a\n"
        "        dx = dx * 0.99 + dsin_x_mul_a\n"
        "    return x, dx\n"
    )


def branchy(x, n):
    total = 0.0
    i = 0
    while i < n:
        if np.sum(x) > 0.0:
            x = x * 0.5 - 0.1
        else:
            x = np.tanh(x) + 0.2
            if i > 3:
                break
        total = total + np.sum(x * x)
        i += 1
    return total


def test_forward_through_while_if_break():
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal(4)
        out, dout = tangent.jvp(branchy, (x, 8), (np.ones(4), None))
        assert np.isclose(dout, _fd_directional(branchy, [x, 8], [0], [np.ones(4)]))


def helper(u, k):
    return np.tanh(u) * k


def with_helper(x, w):
    z = np.zeros(3)
    for i in range(3):  # noqa: B007  (as users write it)
        z[i] = helper(x[i] * w, 2.0)
    return np.sum(z**2)


def test_forward_through_helper_and_index_writes():
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(3), 0.7
    _check_jvp(with_helper, [x, w], [0, 1], rng)
    assert "jvp_helper_wrt_u(" in tangent.forward_source(with_helper, wrt=(0, 1))


def test_jvp_checks_tangent_shapes():
    with pytest.raises(ValueError, match=r"tangent of argument 0 has shape \(2,\)"):
        tangent.jvp(with_helper, (np.ones(3), 1.0), (np.ones(2), 1.0))
    with pytest.raises(ValueError, match="2 primals but 1 tangents"):
        tangent.jvp(with_helper, (np.ones(3), 1.0), (np.ones(3),))


# ----- Higher order against JAX -----

jax.config.update("jax_enable_x64", True)


def poly_loop(x, a):
    y = x
    for i in range(4):  # noqa: B007  (as users write it)
        y = y * a + np.sin(y)
    return np.sum(y * y)


def poly_loop_jax(x, a):
    y = x
    for i in range(4):  # noqa: B007  (as users write it)
        y = y * a + jnp.sin(y)
    return jnp.sum(y * y)


def test_hvp_matches_jax():
    rng = np.random.default_rng(2)
    x, a, v = rng.standard_normal(3), 0.8, rng.standard_normal(3)
    g, hv = tangent.hvp(poly_loop, (x, a), (v, 0.0))
    jg = jax.grad(poly_loop_jax, argnums=(0, 1))(x, a)
    jh = jax.jvp(
        lambda x, a: jax.grad(poly_loop_jax, argnums=(0, 1))(x, a), (x, a), (v, 0.0)
    )[1]
    np.testing.assert_allclose(g[0], jg[0], rtol=1e-10)
    np.testing.assert_allclose(g[1], jg[1], rtol=1e-10)
    np.testing.assert_allclose(hv[0], jh[0], rtol=1e-8)
    np.testing.assert_allclose(hv[1], jh[1], rtol=1e-8)


def softplus_net(w, x):
    h = np.log1p(np.exp(x @ w))
    return np.sum(h * h) / 2.0


def test_hvp_of_matrix_code_matches_jax():
    rng = np.random.default_rng(3)
    w, x, v = (
        rng.standard_normal((3, 2)),
        rng.standard_normal((4, 3)),
        rng.standard_normal((3, 2)),
    )
    g, hv = tangent.hvp(softplus_net, (w, x), (v, np.zeros_like(x)))

    def jf(w):
        return jnp.sum(jnp.log1p(jnp.exp(x @ w)) ** 2) / 2.0

    jh = jax.jvp(jax.grad(jf), (w,), (v,))[1]
    np.testing.assert_allclose(g[0], jax.grad(jf)(w), rtol=1e-10)
    np.testing.assert_allclose(hv[0], jh, rtol=1e-8)


def cubic(x):
    return x * x * x + np.sin(x) * x


def cubic_jax(x):
    return x * x * x + jnp.sin(x) * x


@pytest.mark.parametrize("x", [0.3, -1.2])
def test_second_and_third_derivatives_match_jax(x):
    d2 = tangent.grad(tangent.grad(cubic))
    d3 = tangent.grad(tangent.grad(tangent.grad(cubic)))
    assert np.isclose(d2(x), jax.grad(jax.grad(cubic_jax))(x), rtol=1e-10)
    assert np.isclose(d3(x), jax.grad(jax.grad(jax.grad(cubic_jax)))(x), rtol=1e-10)


def looped(x, a):
    for i in range(5):  # noqa: B007  (as users write it)
        x = x * a + np.cos(x)
    return x


def looped_jax(x, a):
    for i in range(5):  # noqa: B007  (as users write it)
        x = x * a + jnp.cos(x)
    return x


def test_second_derivative_through_a_loop_matches_jax():
    d2 = tangent.grad(tangent.grad(looped))
    assert np.isclose(d2(0.4, 0.9), jax.grad(jax.grad(looped_jax))(0.4, 0.9), rtol=1e-9)
    mixed = tangent.grad(tangent.grad(looped), wrt=1)
    assert np.isclose(
        mixed(0.4, 0.9), jax.grad(jax.grad(looped_jax), argnums=1)(0.4, 0.9), rtol=1e-9
    )


def vector_field(x):
    return np.array([x[0] * x[1], np.sin(x[0]) + x[2] ** 2, np.exp(x[1])])


def vector_field_jax(x):
    return jnp.array([x[0] * x[1], jnp.sin(x[0]) + x[2] ** 2, jnp.exp(x[1])])


@pytest.mark.parametrize("mode", ["forward", "reverse", None])
def test_jacobian_matches_jax(mode):
    x = np.array([0.3, -0.5, 1.1])
    J = tangent.jacobian(vector_field, mode=mode)(x)
    np.testing.assert_allclose(J, jax.jacfwd(vector_field_jax)(x), rtol=1e-12)


def test_jacobian_of_several_arguments_and_shapes():
    def f(w, b):
        return np.tanh(w @ np.array([1.0, 2.0]) + b)

    w, b = np.array([[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]]), np.array([0.1, 0.0, -0.1])
    Jw, Jb = tangent.jacobian(f, wrt=(0, 1))(w, b)
    jw, jb = jax.jacfwd(
        lambda w, b: jnp.tanh(w @ jnp.array([1.0, 2.0]) + b), argnums=(0, 1)
    )(w, b)
    assert Jw.shape == (3, 3, 2) and Jb.shape == (3, 3)
    np.testing.assert_allclose(Jw, jw, rtol=1e-12)
    np.testing.assert_allclose(Jb, jb, rtol=1e-12)


def shared_update(a, x):
    b = a
    b *= x
    return np.sum(a * b)


def test_in_place_update_of_a_shared_array_is_refused():
    with pytest.raises(tangent.UnsupportedConstructError, match="in-place update"):
        tangent.jvp(shared_update, (np.ones(3), 2.0), (np.ones(3), 0.0))
    # numbers share nothing: the same code differentiates
    out, dout = tangent.jvp(shared_update, (1.5, 2.0), (1.0, 0.0))
    assert np.isclose(out, 1.5 * 3.0) and np.isclose(dout, 2 * 1.5 * 2.0)


def number_minus_array(x, w):
    v = np.sum(x**2) - w  # a number's tangent broadcast to the array result
    return np.sum(v)


def test_tangent_of_a_number_broadcast_into_an_array_result():
    # found by fuzzing (seed 47): the tangent kept the number's shape
    x, w = np.array([0.3, -1.2, 0.5]), np.array([1.0, 2.0, 3.0])
    rng = np.random.default_rng(47)
    _check_jvp(number_minus_array, [x, w], [0, 1], rng)


def early_return_in_while(p, q):
    k = 0
    while k < 5:
        q = q * 0.9
        if q + q <= 0.606:
            return -(k + 1) * 0.5
        k += 1
    return np.mean(p) - p[1]


@pytest.mark.parametrize("q", [10.0, 0.1])
def test_return_inside_a_loop_then_after_it(q):
    # found by checking forward against reverse mode on the fuzz sample (seed 161)
    p = np.array([0.3, -1.2, 0.5])
    rng = np.random.default_rng(161)
    _check_jvp(early_return_in_while, [p, q], [0], rng)


def overwritten_by_a_constant_in_a_loop(x, w):
    for _ in range(2):
        z = np.zeros(3)
        z[0] = 2.0
        x, z = z, w
    return np.sum(w) - np.mean(x)


def test_tangent_overwritten_by_a_constant_inside_a_loop():
    # found by checking forward against reverse mode (fuzz seed 21299): the
    # tangent of `x` stayed the caller's after `x` was set to a constant
    x, w = np.array([0.3, -1.2, 0.5]), np.array([1.0, 2.0, 3.0])
    rng = np.random.default_rng(21299)
    _check_jvp(overwritten_by_a_constant_in_a_loop, [x, w], [0], rng)
    _, dy = tangent.jvp(overwritten_by_a_constant_in_a_loop, (x, w), (np.ones(3), None))
    assert dy == 0.0


def return_in_a_branch_loop_then_in_a_while(x, w, u):
    v = np.exp(np.tanh(u)) * x
    if -np.min(w) < -1.068:
        pass
    else:
        for _ in range(4):
            return np.sin(x[0])
    k = 0
    while k < 3:
        k += 1
        if np.sum(v) > 100.0:
            return np.sum(v)
    return np.sum(v**2)


@pytest.mark.parametrize("w0", [-0.5, 2.0])
def test_a_result_assigned_in_a_nested_branch_gets_its_zero_tangent(w0):
    # found by fuzzing forward against reverse (seed 41008): the path that had
    # returned inside the loop left the result's tangent unbound, because the
    # later assignments of the result sit inside a while loop and an `if`
    x = np.array([-0.51, -0.05, -0.71])
    w = np.array([w0, -0.1, 0.07])
    u = np.array([0.66, -0.93, 0.6])
    rng = np.random.default_rng(41008)
    _check_jvp(return_in_a_branch_loop_then_in_a_while, [x, w, u], [2], rng)
