"""Unit tests of the public API (`tangent.grad`, `value_and_grad`, `vjp`, ...).

Every gradient computed here is also checked against central finite
differences with `oracle.check_grads`.
"""

import inspect
import itertools
import linecache
import traceback

import fixtures_functions as fx
import numpy as np
import pytest
from oracle import assert_args_unchanged, check_grads, copy_args

import tangent
import tangent.api

RNG = np.random.default_rng(0)
W = RNG.normal(size=3)
B = 0.3
X = RNG.normal(size=(4, 3))


# ----- grad: call and decorator forms, wrt -----


def test_grad_as_a_call():
    df = tangent.grad(fx.poly)
    g = df(1.5)
    assert g == pytest.approx(9.0 * 1.5**2 - 2.0)
    check_grads(fx.poly, (1.5,), (0,), g)


def test_grad_keeps_the_positional_parameters_and_adds_the_seed():
    df = tangent.grad(fx.weighted_loss, wrt=(0, 1))
    params = list(inspect.signature(df).parameters)
    assert params[:3] == ["w", "b", "x"]
    assert params[3:] == ["dresult"]
    assert inspect.signature(df).parameters["dresult"].default == 1.0


def test_seed_scales_the_gradient():
    df = tangent.grad(fx.poly)
    assert df(1.5, 2.0) == pytest.approx(2.0 * df(1.5))


def test_grad_as_a_plain_decorator():
    @tangent.grad
    def dloss(w, b, x):
        pred = np.tanh(x @ w + b)
        return np.sum((pred - 0.5) ** 2)

    g = dloss(W, B, X)
    assert isinstance(g, np.ndarray) and g.shape == W.shape
    check_grads(fx.weighted_loss, (W, B, X), (0,), g)


def test_grad_as_a_decorator_with_wrt():
    @tangent.grad(wrt=(0, 1))
    def dloss(w, b, x):
        pred = np.tanh(x @ w + b)
        return np.sum((pred - 0.5) ** 2)

    grads = dloss(W, B, X)
    assert isinstance(grads, tuple) and len(grads) == 2
    check_grads(fx.weighted_loss, (W, B, X), (0, 1), grads)


@pytest.mark.parametrize("wrt", [(0, 1), ("w", "b"), ("w", 1), [0, "b"]])
def test_wrt_by_index_and_by_name(wrt):
    grads = tangent.grad(fx.weighted_loss, wrt=wrt)(W, B, X)
    check_grads(fx.weighted_loss, (W, B, X), (0, 1), grads)


@pytest.mark.parametrize("wrt", [2, "x", (2,), ("x",)])
def test_one_wrt_gives_one_gradient(wrt):
    g = tangent.grad(fx.weighted_loss, wrt=wrt)(W, B, X)
    assert isinstance(g, np.ndarray) and g.shape == X.shape
    check_grads(fx.weighted_loss, (W, B, X), (2,), g)


def test_wrt_order_is_kept():
    gw, gb = tangent.grad(fx.weighted_loss, wrt=(0, 1))(W, B, X)
    gb2, gw2 = tangent.grad(fx.weighted_loss, wrt=(1, 0))(W, B, X)
    np.testing.assert_allclose(gw, gw2)
    np.testing.assert_allclose(gb, gb2)


def test_preserve_result():
    df = tangent.grad(fx.poly, preserve_result=True)
    g, value = df(1.5)
    assert value == pytest.approx(fx.poly(1.5))
    check_grads(fx.poly, (1.5,), (0,), g)


def test_preserve_result_gives_the_final_value_of_a_loop():
    g, value = tangent.grad(fx.loop_with_break, preserve_result=True)(0.1)
    assert value == fx.loop_with_break(0.1)
    check_grads(fx.loop_with_break, (0.1,), (0,), g)


def test_value_and_grad_runs_the_primal_once_with_its_random_draws():
    np.random.seed(0)
    expected_value = fx.noisy(1.5)
    np.random.seed(0)
    first, second = np.random.normal(), np.random.normal()
    np.random.seed(0)
    value, g = tangent.value_and_grad(fx.noisy)(1.5)
    assert value == pytest.approx(expected_value)
    assert g == pytest.approx(first + second)


def test_value_and_grad():
    value, g = tangent.value_and_grad(fx.poly)(0.7)
    assert value == pytest.approx(fx.poly(0.7))
    check_grads(fx.poly, (0.7,), (0,), g)


def test_value_and_grad_several_wrt():
    value, grads = tangent.value_and_grad(fx.weighted_loss, wrt=(0, 1))(W, B, X)
    assert value == pytest.approx(fx.weighted_loss(W, B, X))
    check_grads(fx.weighted_loss, (W, B, X), (0, 1), grads)


def test_value_and_grad_as_decorator():
    value, g = tangent.value_and_grad(wrt=1)(fx.two_args)(2.0, 3.0)
    assert value == 6.0
    assert g == pytest.approx(2.0)


def test_verbose_prints_the_generated_source(capsys):
    df = tangent.grad(fx.sum_elementwise, verbose=1, optimized=True)
    out = capsys.readouterr().out
    assert out.strip() == tangent.source(df).strip()


def test_unoptimized_gradient_is_also_right():
    x = np.array([0.2, -0.4, 1.1])
    g = tangent.grad(fx.sum_elementwise, optimized=False)(x)
    check_grads(fx.sum_elementwise, (x,), (0,), g)


# ----- vjp -----


def test_vjp_of_a_non_scalar_output():
    x = np.array([0.3, -1.2, 2.0])
    out, pullback = tangent.vjp(fx.elementwise, x)
    np.testing.assert_allclose(out, fx.elementwise(x))
    ct = np.array([1.0, -2.0, 0.5])
    (g,) = pullback(ct)
    expected = ct * (np.cos(x) * x + np.sin(x) - np.exp(-x))
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_vjp_with_several_primals():
    x = np.array([1.0, 2.0])
    y = np.array([-3.0, 0.5])
    out, pullback = tangent.vjp(fx.two_args, x, y)
    np.testing.assert_allclose(out, x * y)
    gx, gy = pullback(np.array([2.0, 1.0]))
    np.testing.assert_allclose(gx, [2.0 * -3.0, 0.5])
    np.testing.assert_allclose(gy, [2.0, 2.0])


def test_vjp_checks_the_cotangent_shape():
    _, pullback = tangent.vjp(fx.elementwise, np.ones(3))
    with pytest.raises(ValueError, match="shape"):
        pullback(np.ones(4))


def test_vjp_scalar_output_agrees_with_grad():
    _, pullback = tangent.vjp(fx.poly, 1.5)
    (g,) = pullback(1.0)
    assert g == pytest.approx(tangent.grad(fx.poly)(1.5))


# ----- generated code is real code -----


def test_getsource_equals_tangent_source():
    df = tangent.grad(fx.weighted_loss, wrt=(0, 1))
    text = tangent.source(df)
    assert inspect.getsource(df) == text
    assert text.startswith("def dweighted_loss(")
    compile(text, "<check>", "exec")


def test_show_prints_the_source(capsys):
    df = tangent.grad(fx.poly)
    tangent.show(df)
    assert capsys.readouterr().out == tangent.source(df)


def test_traceback_shows_generated_lines():
    df = tangent.grad(fx.poly)
    generated = {line.strip() for line in tangent.source(df).splitlines()}
    with pytest.raises(TypeError) as info:
        df("not a number")
    text = "".join(traceback.format_exception(info.value))
    assert "tangent-generated" in text
    shown = {line.strip() for line in text.splitlines()}
    assert generated & shown - {""}, text


def test_traceback_line_numbers_match_source():
    df = tangent.grad(fx.poly)
    with pytest.raises(TypeError) as info:
        df("not a number")
    frame = info.traceback[-1]
    line = linecache.getline(str(frame.path), frame.lineno + 1).strip()
    assert line and line in tangent.source(df)


# ----- determinism and caching -----


OPTIONS = {"optimized": True, "returns": "grads", "check_scalar": True}


def test_two_generations_give_identical_source():
    first, _ = tangent.api._build(fx.weighted_loss, (0, 1), dict(OPTIONS))
    second, _ = tangent.api._build(fx.weighted_loss, (0, 1), dict(OPTIONS))
    assert first is not second
    assert first.__tangent__["source"] == second.__tangent__["source"]


def test_clearing_the_cache_gives_identical_source():
    before = tangent.source(tangent.grad(fx.long_loop))
    tangent.api._cache.clear()
    assert tangent.source(tangent.grad(fx.long_loop)) == before


def test_same_function_twice_is_cached():
    assert tangent.grad(fx.poly) is tangent.grad(fx.poly)
    assert tangent.grad(fx.poly, wrt=0) is tangent.grad(fx.poly, wrt=(0,))


def test_options_are_part_of_the_cache_key():
    plain = tangent.grad(fx.poly)
    assert tangent.grad(fx.poly, preserve_result=True) is not plain
    assert tangent.grad(fx.poly, optimized=False) is not plain
    assert isinstance(tangent.grad(fx.poly, preserve_result=True)(1.0), tuple)


# ----- redefinition and live globals -----

_cell_numbers = itertools.count(1)


def run_cell(source, namespace):
    """Execute source the way a notebook does: a registered pseudo-file per cell."""
    filename = f"<test-cell-{next(_cell_numbers)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)


def new_module():
    return {"np": np, "__name__": "cells"}


def test_redefined_function_gets_a_new_gradient():
    ns = new_module()
    run_cell("def g(x):\n    return x * x\n", ns)
    assert tangent.grad(ns["g"])(3.0) == pytest.approx(6.0)
    run_cell("def g(x):\n    return x * x * x\n", ns)
    assert tangent.grad(ns["g"])(3.0) == pytest.approx(27.0)


def test_replaced_code_object_gets_a_new_gradient():
    ns = new_module()
    run_cell("def g(x):\n    return x * x\n", ns)
    g = ns["g"]
    assert tangent.grad(g)(3.0) == pytest.approx(6.0)
    run_cell("def other(x):\n    return x * x * x\n", ns)
    g.__code__ = ns["other"].__code__
    assert tangent.grad(g)(3.0) == pytest.approx(27.0)


def test_redefined_helper_changes_the_callers_gradient():
    ns = new_module()
    run_cell("def helper(x):\n    return x * x\n", ns)
    run_cell("def caller(x):\n    return helper(x) * 2.0\n", ns)
    assert tangent.grad(ns["caller"])(3.0) == pytest.approx(12.0)
    run_cell("def helper(x):\n    return x * x * x\n", ns)
    assert tangent.grad(ns["caller"])(3.0) == pytest.approx(54.0)


def test_redefined_helper_of_a_helper_changes_the_callers_gradient():
    ns = new_module()
    run_cell("def helper(x):\n    return x * x\n", ns)
    run_cell("def middle(x):\n    return helper(x) + 1.0\n", ns)
    run_cell("def caller(x):\n    return middle(x) * 2.0\n", ns)
    assert tangent.grad(ns["caller"])(3.0) == pytest.approx(12.0)
    run_cell("def helper(x):\n    return x * x * x\n", ns)
    assert tangent.grad(ns["caller"])(3.0) == pytest.approx(54.0)


def test_module_globals_are_read_at_call_time(monkeypatch):
    df = tangent.grad(fx.scaled)
    assert df(1.5) == pytest.approx(2.0 * 2.0 * 1.5)
    monkeypatch.setattr(fx, "SCALE", 5.0)
    assert df(1.5) == pytest.approx(2.0 * 5.0 * 1.5)
    check_grads(fx.scaled, (1.5,), (0,), df(1.5))


def test_cell_globals_are_read_at_call_time():
    ns = new_module()
    run_cell("K = 2.0\ndef g(x):\n    return K * np.sin(x)\n", ns)
    dg = tangent.grad(ns["g"])
    assert dg(0.0) == pytest.approx(2.0)
    ns["K"] = -3.0
    assert dg(0.0) == pytest.approx(-3.0)


# ----- arguments, loops, gradients -----


@pytest.mark.parametrize(
    "func, args, wrt",
    [
        (fx.weighted_loss, (W, B, X), (0, 1, 2)),
        (fx.index_update, (np.array([1.0, 2.0, 3.0]),), (0,)),
        (fx.sum_elementwise, (np.array([0.5, -1.0]),), (0,)),
        (fx.rescale_copy, (np.array([1.0, 2.0, 3.0]),), (0,)),
        (fx.scale_copy, (np.array([1.0, 2.0, 3.0]),), (0,)),
        (fx.divided_copy, (np.array([1.0, 2.0, 3.0]),), (0,)),
        (fx.list_comprehension, (np.array([1.0, -2.0, 3.0]),), (0,)),
    ],
    ids=[
        "weighted_loss",
        "index_update",
        "sum_elementwise",
        "rescale_copy",
        "scale_copy",
        "divided_copy",
        "list_comprehension",
    ],
)
def test_arguments_are_never_mutated(func, args, wrt):
    before = copy_args(args)
    grads = tangent.grad(func, wrt=wrt)(*args)
    assert_args_unchanged(before, args, f"the gradient of {func.__name__}")
    check_grads(func, before, wrt, grads)


def test_a_long_loop_stays_a_loop():
    df = tangent.grad(fx.long_loop)
    text = tangent.source(df)
    assert len(text.splitlines()) < 100
    assert text.count("for ") >= 2  # the forward loop and the backward loop
    assert "range(1000)" in text
    check_grads(fx.long_loop, (0.7,), (0,), df(0.7))


def test_grad_of_grad():
    ddf = tangent.grad(tangent.grad(fx.poly))
    assert ddf(2.0) == pytest.approx(18.0 * 2.0)


SCALAR_CASES = [
    (fx.straight_line, (0.3, 1.2), (0, 1)),
    (fx.aug_assign, (0.5, 1.5), (0, 1)),
    (fx.if_expression, (2.0, 1.0), (0, 1)),
    (fx.if_expression, (1.0, 2.0), (0, 1)),
    (fx.bool_ops, (0.5, 1.0), (0, 1)),
    (fx.short_circuit, (3.0, 2.0), (0,)),
    (fx.chained_compare, (1.0, 2.0), (0, 1)),
    (fx.loop_with_break, (0.1,), (0,)),
    (fx.loop_with_continue, (1.5,), (0,)),
    (fx.return_in_loop, (0.3,), (0,)),
    (fx.while_loop, (0.5,), (0,)),
    (fx.while_break_continue, (0.5,), (0,)),
    (fx.many_returns, (2.0,), (0,)),
    (fx.many_returns, (-2.0,), (0,)),
    (fx.many_returns, (0.5,), (0,)),
    (fx.noops, (1.5,), (0,)),
    (fx.tuple_swap, (1.0, 2.0), (0, 1)),
    (fx.nested_loops_break, (1.0,), (0,)),
    (fx.min_max_calls, (0.5, 2.0), (0, 1)),
    (fx.list_building, (1.5,), (0,)),
    (fx.loop_bound_changes, (1.5, 4), (0,)),
    (fx.poly, (-0.4,), (0,)),
    (fx.scaled, (0.9,), (0,)),
    (fx.nested_helpers, (1.5, 0.5), (0, 1)),
]

ARRAY_CASES = [
    (fx.nested_expressions, (np.array([0.1, 0.2, 0.3]),), (0,)),
    (fx.list_comprehension, (np.array([0.5, -0.5, 2.0]),), (0,)),
    (fx.enumerate_zip_loops, (np.array([0.5, 1.5]), np.array([2.0, 3.0])), (0, 1)),
    (fx.loop_over_array, (np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.5]]),), (0,)),
    (fx.weighted_loss, (W, B, X), (0, 1, 2)),
    (fx.sum_elementwise, (np.array([0.3, -0.7]),), (0,)),
    (fx.index_update, (np.array([1.0, -2.0, 0.5]),), (0,)),
    (fx.star_unpack, (np.array([1.0, -2.0, 0.5]),), (0,)),
]


@pytest.mark.parametrize(
    "func, args, wrt",
    SCALAR_CASES + ARRAY_CASES,
    ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(SCALAR_CASES + ARRAY_CASES)],
)
def test_gradient_matches_finite_differences(func, args, wrt, capsys):
    grads = tangent.grad(func, wrt=wrt)(*copy_args(args))
    check_grads(func, args, wrt, grads)


def test_vjp_pullback_of_the_jax_backend_runs_under_jit():
    import jax
    import jax.numpy as jnp

    def sin_times(x):
        return jnp.sin(x) * x

    with jax.enable_x64(True):
        x = jnp.array([0.3, 1.2, -0.7])
        cotangent = jnp.array([1.0, -2.0, 0.5])
        _, pullback = tangent.vjp(sin_times, x, backend="jax")
        (ours,) = jax.jit(pullback)(cotangent)
        (expected,) = jax.vjp(sin_times, x)[1](cotangent)
        np.testing.assert_allclose(np.asarray(ours), np.asarray(expected), rtol=1e-12)
        with pytest.raises(tangent.ShapeMismatchError, match=r"shape \(2,\)"):
            jax.jit(pullback)(jnp.ones(2))
