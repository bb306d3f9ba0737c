"""The rule API, used from a user's module: templates, custom_vjp, stop_gradient."""

import numpy as np
import pytest
from oracle import check_grads

import tangent
from tangent import d

# ----- A new operation with a reverse rule, registered from user code -----


def softplus(x):
    """A user's own primitive, implemented outside of what tangent reads."""
    return np.logaddexp(0.0, x)


@tangent.adjoint(softplus)
def softplus_rule(y, x):
    d[x] = d[y] / (1.0 + np.exp(-x))


def uses_softplus(x):
    return np.sum(softplus(x) * 2.0)


def test_user_rule_is_used_and_correct():
    x = np.array([-1.0, 0.5, 2.0])
    df = tangent.grad(uses_softplus)
    check_grads(uses_softplus, (x,), (0,), df(x))
    source = tangent.source(df)
    assert "np.exp(-x)" in source  # the template was inlined, not the function's body


# ----- custom_vjp: a numerically delicate function with its own backward -----


@tangent.custom_vjp
def log1pexp(x):
    return np.log1p(np.exp(x))


def log1pexp_fwd(x):
    return log1pexp(x), x


def log1pexp_bwd(x, g):
    return (g * (1.0 / (1.0 + np.exp(-x))),)


log1pexp.defvjp(log1pexp_fwd, log1pexp_bwd)


def uses_custom(x, w):
    return np.sum(log1pexp(x * w))


def test_custom_vjp_backward_is_called():
    x, w = np.array([0.3, -2.0, 5.0]), 1.5
    df = tangent.grad(uses_custom, wrt=(0, 1))
    check_grads(uses_custom, (x, w), (0, 1), df(x, w))
    source = tangent.source(df)
    # the user's forward gives the residuals, the user's backward the adjoints
    assert "log1pexp_residuals = log1pexp_fwd(x_mul_w)[1]" in source
    assert "checked_adjoints(log1pexp_bwd(log1pexp_residuals, " in source


def sum_log1pexp(x):
    return np.sum(log1pexp(x))


def test_custom_vjp_differentiated_twice_through_its_backward():
    # d/dx log(1 + e^x) = sigmoid(x) (the backward), and its derivative
    # sigmoid(x) (1 - sigmoid(x)) comes from differentiating the backward
    x = np.array([0.3, -2.0, 5.0])
    second = tangent.grad(lambda_free_second_derivative)(x)
    s = 1.0 / (1.0 + np.exp(-x))
    np.testing.assert_allclose(second, s * (1.0 - s), rtol=1e-10)
    d_sum = tangent.grad(sum_log1pexp)
    np.testing.assert_allclose(d_sum(x), s, rtol=1e-12)


def lambda_free_second_derivative(x):
    return np.sum(DLOG1PEXP(x))


DLOG1PEXP = tangent.grad(sum_log1pexp)


def test_custom_vjp_second_derivative_matches_jax():
    import jax
    import jax.numpy as jnp

    @jax.custom_vjp
    def jax_log1pexp(x):
        return jnp.log1p(jnp.exp(x))

    def jax_fwd(x):
        return jax_log1pexp(x), x

    def jax_bwd(x, g):
        return (g * (1.0 / (1.0 + jnp.exp(-x))),)

    jax_log1pexp.defvjp(jax_fwd, jax_bwd)
    x = np.array([0.3, -2.0, 5.0])
    with jax.enable_x64(True):
        expected = jax.grad(
            lambda v: jnp.sum(jax.grad(lambda u: jnp.sum(jax_log1pexp(u)))(v) * v)
        )(jnp.asarray(x))
    ours = tangent.grad(weighted_first_derivative)(x)
    np.testing.assert_allclose(ours, np.asarray(expected), rtol=1e-10)


def weighted_first_derivative(x):
    return np.sum(DLOG1PEXP(x) * x)


def test_redefining_the_backward_regenerates_the_gradient():
    @tangent.custom_vjp
    def scale(x):
        return x * 2.0

    global SCALE
    SCALE = scale
    scale.defvjp(lambda x: (scale(x), None), lambda r, g: (g * 2.0,))
    assert tangent.grad(uses_scale)(1.5) == pytest.approx(2.0)
    scale.defvjp(lambda x: (scale(x), None), lambda r, g: (g * 3.0,))
    assert tangent.grad(uses_scale)(1.5) == pytest.approx(3.0)


SCALE = None


def uses_scale(x):
    return SCALE(x)


def test_forward_mode_of_a_custom_vjp_function_is_refused_with_a_hint():
    with pytest.raises(tangent.NoRuleError) as info:
        tangent.jvp(sum_log1pexp, (np.array([0.3]),), (np.array([1.0]),))
    assert "custom_vjp" in str(info.value) and "forward_rule" in info.value.hint


def test_custom_vjp_is_stable_where_the_naive_gradient_overflows():
    x = np.array([800.0])
    with np.errstate(over="ignore", invalid="ignore"):
        g = tangent.grad(uses_custom, wrt=0)(x, 1.0)
    assert np.all(np.isfinite(g)) and g[0] == pytest.approx(1.0)


# ----- stop_gradient and declared non-differentiable functions -----


def stopped(x):
    return np.sum(x * tangent.stop_gradient(x))


def test_stop_gradient_blocks_one_path():
    x = np.array([1.0, 2.0])
    # d/dx sum(x * c) with c = x held constant is c
    assert np.allclose(tangent.grad(stopped)(x), x)


def bucket(x):
    return np.floor(x * 3.0)


tangent.nondifferentiable(bucket)


def uses_bucket(x):
    return np.sum(x * bucket(x))


def test_declared_nondifferentiable_function_gives_zero_through_it():
    x = np.array([0.2, 0.9])
    assert np.allclose(tangent.grad(uses_bucket)(x), np.floor(x * 3.0))


def test_missing_rule_names_the_function_and_how_to_register():
    def f(x):
        return np.sum(np.fft.fft(x).real)

    with pytest.raises(tangent.NoRuleError) as info:
        tangent.grad(f)
    message = str(info.value)
    assert "numpy.fft" in message and "fft" in message
    assert "test_custom_rules.py:" in message
    assert "@tangent.adjoint" in message
