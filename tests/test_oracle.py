"""The oracle checked on its own, without the engine.

For every corpus case: the function runs at its sample point, returns a
finite scalar and leaves its arguments alone; the finite-difference gradient
does not depend on the step (no kink or branch switch near the point); and
wherever autograd or JAX can re-execute the function, they agree with
finite differences. Together this shows each corpus entry is well-posed and
differentiable where it is sampled.

Run ``python tests/test_oracle.py`` for a report of reference coverage.
"""

import functools
import math

import numpy as np
import pytest
from corpus import ALL_CASES, CASES_BY_MODULE, case_args
from oracle import (
    assert_args_unchanged,
    autograd_grad,
    check_close,
    check_grads,
    copy_args,
    jax_grad,
    numerical_grad,
    patched,
    resolve_wrt,
    scalar_output,
)

CASE_IDS = [c.name for c in ALL_CASES]

# ----- numerical_grad on known derivatives -----


@pytest.mark.parametrize("x", [-2.0, -0.3, 0.0, 0.7, 3.0])
def test_numerical_grad_of_sin_is_cos(x):
    g = numerical_grad(np.sin, (x,), 0)
    assert isinstance(g, float)
    assert g == pytest.approx(math.cos(x), rel=1e-8, abs=1e-9)


def test_numerical_grad_of_math_exp_and_log():
    assert numerical_grad(math.exp, (1.3,), 0) == pytest.approx(math.exp(1.3), 1e-8)
    assert numerical_grad(math.log, (0.4,), 0) == pytest.approx(1 / 0.4, 1e-8)


def test_numerical_grad_vector():
    x = np.array([0.5, -1.0, 2.0])
    g = numerical_grad(lambda v: np.sum(v**3), (x,), 0)
    assert g.shape == x.shape and g.dtype == np.float64
    np.testing.assert_allclose(g, 3 * x**2, rtol=1e-8)


def test_numerical_grad_matrix_bilinear_form():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(3, 4))
    x, y = rng.normal(size=3), rng.normal(size=4)
    f = lambda x, A, y: x @ A @ y  # noqa: E731
    np.testing.assert_allclose(numerical_grad(f, (x, A, y), 1), np.outer(x, y), 1e-7)
    np.testing.assert_allclose(numerical_grad(f, (x, A, y), 0), A @ y, 1e-7)
    np.testing.assert_allclose(numerical_grad(f, (x, A, y), 2), x @ A, 1e-7)


def test_numerical_grad_three_dim_and_size_one_output():
    T = np.random.default_rng(1).normal(size=(2, 3, 2))
    g = numerical_grad(lambda t: np.sum(np.sin(t), keepdims=True), (T,), 0)
    np.testing.assert_allclose(g, np.cos(T), rtol=1e-7, atol=1e-9)


def test_numerical_grad_numpy_scalar_and_name():
    def f(a, b):
        return a * b**2

    g = numerical_grad(f, (np.float64(1.5), 2.0), "b")
    assert g == pytest.approx(6.0, rel=1e-8)
    assert numerical_grad(f, (np.float64(1.5), 2.0), 0) == pytest.approx(4.0, 1e-8)


def test_numerical_grad_does_not_see_mutation():
    def f(x):
        x *= 2.0
        return np.sum(x**2)

    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(numerical_grad(f, (x,), 0), 8.0 * x, rtol=1e-7)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numerical_grad_rejects_int_and_nonscalar_output():
    with pytest.raises(TypeError):
        numerical_grad(lambda n: n * 2.0, (3,), 0)
    with pytest.raises(ValueError):
        numerical_grad(lambda x: x * 2.0, (np.ones(2),), 0)


# ----- check_grads -----


def _f_two(x, w):
    return np.sum(np.sin(x) * w)


def test_check_grads_accepts_correct_gradients():
    x, w = np.array([0.1, 0.2]), np.array([1.0, -1.0])
    check_grads(_f_two, (x, w), (0,), np.cos(x) * w)
    check_grads(_f_two, (x, w), ("x", "w"), (np.cos(x) * w, np.sin(x)))
    check_grads(_f_two, (x, w), (1, 0), (np.sin(x), np.cos(x) * w))


def test_check_grads_reports_wrong_values():
    x, w = np.array([0.1, 0.2]), np.array([1.0, -1.0])
    with pytest.raises(AssertionError, match="differs from numerical"):
        check_grads(_f_two, (x, w), (0,), np.sin(x) * w)


def test_check_grads_reports_wrong_shape_and_count():
    x, w = np.array([0.1, 0.2]), np.array([1.0, -1.0])
    with pytest.raises(AssertionError, match="shape"):
        check_grads(_f_two, (x, w), (0,), (np.cos(x) * w)[None])
    with pytest.raises(AssertionError, match="2 gradients"):
        check_grads(_f_two, (x, w), (0, 1), np.cos(x) * w)
    with pytest.raises(AssertionError, match="array of shape"):
        check_grads(_f_two, (x, w), (0,), list(np.cos(x) * w))


def test_check_grads_scalar_argument_types():
    f = lambda x: x**2  # noqa: E731
    check_grads(f, (1.5,), (0,), 3.0)
    check_grads(f, (1.5,), (0,), np.float64(3.0))
    check_grads(f, (1.5,), (0,), np.array(3.0))
    with pytest.raises(AssertionError, match="float"):
        check_grads(f, (1.5,), (0,), np.array([3.0]))
    with pytest.raises(AssertionError, match="float"):
        check_grads(f, (1.5,), (0,), 3)


def test_resolve_wrt():
    assert resolve_wrt(_f_two, ("w", 0)) == (1, 0)
    assert resolve_wrt(_f_two, 1) == (1,)
    with pytest.raises(ValueError):
        resolve_wrt(_f_two, ("nope",))


# ----- Reference oracles -----


def test_patched_rebinds_helpers_and_recursion():
    import autograd.numpy as anp
    from corpus import calls

    f = patched(calls.call_recursion_with_depth, anp)
    assert f.__globals__["np"] is anp
    assert f.__globals__["recursive_sin"].__globals__ is f.__globals__
    assert calls.call_recursion_with_depth.__globals__["np"] is np


def test_references_on_simple_function():
    from corpus import calls

    args = (np.array([0.3, -0.2, 0.5]),)
    expected = numerical_grad(calls.call_nested_helpers, args + (np.ones(3), 0.5), 0)
    for oracle in (autograd_grad, jax_grad):
        g = oracle(calls.call_nested_helpers, args + (np.ones(3), 0.5), (0,))
        np.testing.assert_allclose(g, expected, rtol=1e-6)


def test_references_return_none_when_they_cannot_run():
    def writes_in_place(x):
        y = np.zeros(2)
        y[0] = x[0] ** 2
        return np.sum(y)

    args = (np.array([1.0, 2.0]),)
    assert autograd_grad(writes_in_place, args, (0,)) is None
    assert jax_grad(writes_in_place, args, (0,)) is None


# ----- Every corpus case is well-posed -----


@functools.cache
def _case_report(name):
    """(args, FD gradients, autograd gradients or None, jax gradients or None)."""
    case = next(c for c in ALL_CASES if c.name == name)
    args = case_args(case)
    indices = resolve_wrt(case.func, case.wrt)
    fd = tuple(numerical_grad(case.func, args, i) for i in indices)
    ag = jx = None
    if case.references:
        ag = autograd_grad(case.func, args, case.wrt)
        jx = jax_grad(case.func, args, case.wrt)
    as_tuple = lambda g: None if g is None else (g if len(indices) > 1 else (g,))  # noqa: E731
    return args, indices, fd, as_tuple(ag), as_tuple(jx)


def test_corpus_is_large_and_names_are_unique():
    assert len(ALL_CASES) >= 170
    assert len(set(CASE_IDS)) == len(CASE_IDS)
    assert all(len(cases) >= 5 for cases in CASES_BY_MODULE.values())


@pytest.mark.parametrize("case", ALL_CASES, ids=CASE_IDS)
def test_case_is_well_posed(case):
    f = case.func
    args = case_args(case)
    before = copy_args(args)
    value = scalar_output(f(*args))
    assert math.isfinite(value)
    assert_args_unchanged(before, args, f.__name__)
    indices = resolve_wrt(f, case.wrt)
    for i in indices:
        assert isinstance(args[i], (float, np.floating, np.ndarray)), (
            f"{case.name}: wrt argument #{i} must be a float or an array"
        )
        assert np.asarray(args[i]).dtype == np.float64

    # A kink or a branch switch within 1e-4 of the point would make the
    # finite differences depend on the step.
    _, _, fd, ag, jx = _case_report(case.name)
    for i, g in zip(indices, fd, strict=True):
        assert np.all(np.isfinite(g))
        coarse = numerical_grad(f, args, i, eps=1e-4)
        check_close(f, i, g, coarse, rtol=1e-3, atol=1e-4, label="coarse FD")

    for label, ref in (("autograd", ag), ("jax", jx)):
        if ref is None:
            continue
        for i, g, r in zip(indices, fd, ref, strict=True):
            check_close(f, i, r, g, rtol=1e-5, atol=1e-6, label=f"FD (vs {label})")
    if ag is not None and jx is not None:
        for i, a, j in zip(indices, ag, jx, strict=True):
            check_close(f, i, a, j, rtol=1e-7, atol=1e-9, label="jax (vs autograd)")


def reference_coverage():
    """Counts of cases with each reference oracle, per module and in total."""
    rows = {}
    for module, cases in CASES_BY_MODULE.items():
        n_ag = n_jx = n_any = 0
        for c in cases:
            _, _, _, ag, jx = _case_report(c.name)
            n_ag += ag is not None
            n_jx += jx is not None
            n_any += ag is not None or jx is not None
        rows[module] = (len(cases), n_ag, n_jx, n_any)
    return rows


def format_coverage(rows):
    lines = [f"{'module':14} {'cases':>5} {'autograd':>8} {'jax':>5} {'either':>6}"]
    for module, (n, a, j, e) in rows.items():
        lines.append(f"{module:14} {n:5d} {a:8d} {j:5d} {e:6d}")
    tot = [sum(r[k] for r in rows.values()) for k in range(4)]
    lines.append(f"{'total':14} {tot[0]:5d} {tot[1]:8d} {tot[2]:5d} {tot[3]:6d}")
    return "\n".join(lines)


def test_reference_coverage():
    rows = reference_coverage()
    print("\n" + format_coverage(rows))
    total = sum(r[0] for r in rows.values())
    covered = sum(r[3] for r in rows.values())
    assert covered >= 0.8 * total, f"only {covered}/{total} cases have a reference"


if __name__ == "__main__":
    print(format_coverage(reference_coverage()))
    missing = [c.name for c in ALL_CASES if _case_report(c.name)[3:] == (None, None)]
    print(f"\nFD only ({len(missing)}): " + ", ".join(missing))
