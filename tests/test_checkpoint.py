"""Checkpointing (`tangent.grad(f, checkpoint=K)`): the same gradient, less tape.

The checkpointed gradient must equal the plain one (the same operations,
run again) on every corpus function with a loop, and finite differences
(and JAX, where it runs the function) on a sample; its peak memory must grow
like the square root of the number of iterations where the plain gradient's
grows linearly. What it cannot checkpoint it refuses, naming the loop.
"""

import ast
import gc
import inspect
import textwrap
import tracemalloc

import numpy as np
import pytest
from corpus import ALL_CASES, case_args
from oracle import (
    assert_args_unchanged,
    check_close,
    check_grads,
    copy_args,
    reference_grad,
    resolve_wrt,
)

import tangent
import transforms.checkpoint


def _has_loop(func) -> bool:
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    return any(
        isinstance(n, (ast.For, ast.While, ast.comprehension)) for n in ast.walk(tree)
    )


LOOP_CASES = [c for c in ALL_CASES if _has_loop(c.func)]
OPTIONS = (2, 3, True)


def _as_tuple(grads):
    return grads if isinstance(grads, tuple) else (grads,)


def _assert_same(got, expected):
    got, expected = _as_tuple(got), _as_tuple(expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert np.shape(g) == np.shape(e)
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


def _loops_with_tape(source) -> int:
    """How many loops of a generated gradient push on the tape."""
    tree = ast.parse(source)
    return sum(
        1
        for n in ast.walk(tree)
        if isinstance(n, (ast.For, ast.While)) and "_tape.append" in ast.unparse(n)
    )


def _segment_loops(source) -> list[ast.For]:
    """The `for start in ...` loops of a checkpointed gradient."""
    tree = ast.parse(source)
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.For)
        and isinstance(n.target, ast.Name)
        and n.target.id.startswith("start")
    ]


def test_there_are_loop_cases():
    assert len(LOOP_CASES) >= 40


@pytest.mark.parametrize("every", OPTIONS, ids=[f"checkpoint={k}" for k in OPTIONS])
@pytest.mark.parametrize("case", LOOP_CASES, ids=[c.name for c in LOOP_CASES])
def test_corpus_loops_same_gradient(case, every):
    args = case_args(case)
    plain = tangent.grad(case.func, wrt=case.wrt)
    expected = plain(*copy_args(args))
    before = copy_args(args)
    df = tangent.grad(case.func, wrt=case.wrt, checkpoint=every)
    got = df(*args)
    assert_args_unchanged(before, args, f"the checkpointed gradient of {case.name}")
    _assert_same(got, expected)
    # a loop that saves something on the tape is really cut into segments
    plain_source, source = tangent.source(plain), tangent.source(df)
    if _loops_with_tape(plain_source):
        assert _segment_loops(source), source
        assert source != plain_source
    else:
        assert source.replace(df.__name__, plain.__name__) == plain_source


FD_CASES = [
    "thousand_step_recurrence_vector",
    "simple_rnn",
    "rnn_collect_states",
    "while_branch_on_vectors",
    "return_inside_for",
    "return_inside_while",
    "dict_updated_in_loop",
    "nested_while_in_for",
    "for_with_counter_break",
    "for_with_data_dependent_break",
    "power_iteration",
    "euler_pendulum",
    "rk4_integrate_steps",
    "tuple_swap_in_loop",
    "unrolled_gradient_descent",
]


@pytest.mark.parametrize("every", (3, True), ids=["checkpoint=3", "checkpoint=True"])
@pytest.mark.parametrize("name", FD_CASES)
def test_against_finite_differences_and_references(name, every):
    (case,) = [c for c in ALL_CASES if c.name == name]
    args = case_args(case)
    grads = tangent.grad(case.func, wrt=case.wrt, checkpoint=every)(*args)
    check_grads(case.func, args, case.wrt, grads)
    if case.references:
        label, ref = reference_grad(case.func, args, case.wrt)
        if ref is not None:
            indices = resolve_wrt(case.func, case.wrt)
            for i, g, r in zip(indices, _as_tuple(grads), _as_tuple(ref), strict=True):
                check_close(case.func, i, g, r, 1e-6, 1e-9, label=label)


# ----- the shape of the generated code -----


def f(x, a):
    for i in range(1000):  # noqa: B007 - as in the docstring
        x = x * 0.99 + np.sin(x) * a
    return x


def test_docstring_example_is_what_is_generated():
    doc = transforms.checkpoint.__doc__
    block = doc.split("generates:\n\n", 1)[1].split("\n\n", 1)[0]
    expected = textwrap.dedent(block)
    df = tangent.grad(f, wrt=(0, 1), checkpoint=True)
    assert tangent.source(df).strip() == expected.strip()


def test_first_sweep_saves_state_not_tape():
    source = tangent.source(tangent.grad(rnn, wrt=(0, 1, 2), checkpoint=True))
    forward, backward = _segment_loops(source)
    assert "_tape" not in ast.unparse(forward)
    assert "_checkpoints.append(h)" in ast.unparse(forward)
    assert "h = _checkpoints.pop()" in ast.unparse(backward)
    assert ast.unparse(backward).count("_tape.append") == 3


def test_deterministic():
    first = tangent.source(tangent.grad(rnn, wrt=(0, 1, 2), checkpoint=True))
    second = tangent.source(tangent.grad(rnn_again, wrt=(0, 1, 2), checkpoint=True))
    assert second == first.replace("def drnn(", "def drnn_again(")


def test_names_do_not_clash():
    rng = np.random.default_rng(3)
    args = (rng.normal(size=3), 0.7)
    plain = tangent.grad(uses_our_names, wrt=(0, 1))(*args)
    df = tangent.grad(uses_our_names, wrt=(0, 1), checkpoint=2)
    _assert_same(df(*args), plain)
    check_grads(uses_our_names, args, (0, 1), df(*args))
    source = tangent.source(df)
    assert "_checkpoints_2" in source and "start_2" in source


def uses_our_names(x, every):
    start = 0.5
    _checkpoints = 2.0
    for _ in range(5):
        x = np.sin(x) * every + start * x / _checkpoints
    return np.sum(x)


# ----- every count of iterations against every segment length -----


def counted(x, n):
    for i in range(n):
        x = np.sin(x) * 1.1 + 0.1 * i
    return np.sum(x**2)


def counted_with_start(x, n):
    total = 0.0
    for k in range(2, n + 2):
        total = total + np.sum(np.cos(x * k))
        x = x * 0.9
    return total


def counted_while(x, n):
    k = 0
    while k < n:
        x = np.tanh(x) + 0.3 * x
        k = k + 1
    return np.sum(x)


def breaks_early(x, n):
    for i in range(20):
        x = x * 1.2 + np.sin(x)
        if i >= n:
            break
    return np.sum(x)


@pytest.mark.parametrize("every", (1, 2, 3, 10, True))
@pytest.mark.parametrize("n", (0, 1, 2, 5, 7))
@pytest.mark.parametrize(
    "func", [counted, counted_with_start, counted_while, breaks_early]
)
def test_iteration_counts(func, n, every):
    x = np.array([0.3, -0.2, 0.5])
    expected = tangent.grad(func)(x, n)
    got = tangent.grad(func, checkpoint=every)(x, n)
    _assert_same(got, expected)
    check_grads(func, (x, n), (0,), got)


def test_value_and_grad_and_decorator():
    x = np.array([0.3, -0.2, 0.5])
    value, grad = tangent.value_and_grad(counted, checkpoint=2)(x, 6)
    assert value == pytest.approx(counted(x, 6), rel=1e-15)
    _assert_same(grad, tangent.grad(counted)(x, 6))

    @tangent.grad(wrt=(0,), checkpoint=3)
    def g(x, n):
        for i in range(n):
            x = np.sin(x) * 1.1 + 0.1 * i
        return np.sum(x**2)

    _assert_same(g(x, 6), tangent.grad(counted)(x, 6))
    assert _segment_loops(tangent.source(g))


def test_loops_in_branches_and_in_sequence():
    x = np.array([0.3, 0.2])
    for flag in (1.0, -1.0):
        args = (x, 7, flag)
        df = tangent.grad(several_loops, checkpoint=2)
        _assert_same(df(*args), tangent.grad(several_loops)(*args))
        check_grads(several_loops, args, (0,), df(*args))
    # the two `for` loops are cut into segments in both sweeps; the `while`
    # loop keeps its shape in the forward sweep
    assert len(_segment_loops(tangent.source(df))) == 5


def several_loops(x, n, flag):
    for _ in range(n):
        x = np.sin(x) + 0.5 * x
    if flag > 0:
        for _ in range(3):
            x = np.cos(x) * x
    k = 0
    while k < n:
        x = x * 0.9 + np.tanh(x)
        k += 1
    return np.sum(x)


def test_value_rebound_after_the_loop_is_saved():
    # the loop reads `c`, rebound after it: running a segment again must see
    # the old `c`
    df = tangent.grad(rebinds_after, wrt=(0, 1), checkpoint=2)
    _assert_same(df(0.3, 0.2), tangent.grad(rebinds_after, wrt=(0, 1))(0.3, 0.2))
    check_grads(rebinds_after, (0.3, 0.2), (0, 1), df(0.3, 0.2))
    assert "_checkpoints.append((c, x))" in tangent.source(df)


def rebinds_after(x, c):
    for _ in range(6):
        x = x + c
        x = np.sin(x)
    c = 3.0
    return x * c


def test_array_written_in_place_is_copied():
    df = tangent.grad(fills_rows, checkpoint=2)
    x = np.array([0.4, 0.7])
    _assert_same(df(x), tangent.grad(fills_rows)(x))
    check_grads(fills_rows, (x,), (0,), df(x))
    assert "_checkpoints.append(out.copy())" in tangent.source(df)


def fills_rows(x):
    out = np.zeros((6, 2))
    for i in range(1, 6):
        out[i] = np.sin(x * out[i - 1] + i)
    return np.sum(out**2)


def helper_with_loop(x):
    for _ in range(8):
        x = np.sin(x) + 0.2 * x
    return x


def calls_helper_with_loop(x):
    for _ in range(4):
        x = helper_with_loop(x) * 0.9
    return np.sum(x)


def test_helpers_are_not_checkpointed():
    x = np.array([0.3, 0.6])
    df = tangent.grad(calls_helper_with_loop, checkpoint=2)
    _assert_same(df(x), tangent.grad(calls_helper_with_loop)(x))
    check_grads(calls_helper_with_loop, (x,), (0,), df(x))
    assert _segment_loops(tangent.source(df))
    helpers = [
        v
        for v in df.__tangent__["imports"].values()
        if getattr(v, "__tangent__", {}).get("primal") is helper_with_loop
    ]
    assert helpers
    for dg in helpers:
        assert not _segment_loops(tangent.source(dg))


# ----- options, caching, refusals -----


def test_options_are_cached_apart():
    plain = tangent.grad(counted)
    two = tangent.grad(counted, checkpoint=2)
    one = tangent.grad(counted, checkpoint=1)
    sqrt = tangent.grad(counted, checkpoint=True)
    assert len({id(plain), id(two), id(one), id(sqrt)}) == 4
    assert tangent.grad(counted, checkpoint=2) is two
    assert tangent.grad(counted, checkpoint=False) is plain
    assert tangent.grad(counted, checkpoint=None) is plain
    assert "every = max(1, round(" in tangent.source(sqrt)
    assert "range(0, n, 1)" in tangent.source(one)


@pytest.mark.parametrize("bad", (0, -3, 1.5, "yes", [2]))
def test_bad_option(bad):
    with pytest.raises(ValueError, match="checkpoint must be"):
        tangent.grad(counted, checkpoint=bad)
    with pytest.raises(ValueError, match="checkpoint must be"):
        tangent.value_and_grad(counted, checkpoint=bad)


def draws_in_loop(x):
    for _ in range(5):
        x = np.sin(x) + np.random.normal() * 0.0
    return x


def scatters_in_loop(x, index):
    acc = np.zeros(3)
    for _ in range(4):
        np.add.at(acc, index, np.sin(x))
        x = np.sin(x) * acc[0]
    return np.sum(x)


def test_refuses_loops_it_cannot_run_again():
    with pytest.raises(tangent.TangentError, match="cannot checkpoint this loop") as e:
        tangent.grad(draws_in_loop, checkpoint=2)
    message = str(e.value)
    assert "np.random.normal()" in message and "would repeat" in message
    line = inspect.getsourcelines(draws_in_loop)[1] + 1
    assert f":{line} " in message  # the loop's line
    with pytest.raises(tangent.TangentError, match="for its effect on an argument"):
        tangent.grad(scatters_in_loop, checkpoint=2)
    # without the option both differentiate
    tangent.grad(scatters_in_loop)


# ----- memory -----


def rnn(Wh, Wx, b, xs):
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(h @ Wh + xs[t] @ Wx + b)
    return np.sum(h * h)


def rnn_again(Wh, Wx, b, xs):
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(h @ Wh + xs[t] @ Wx + b)
    return np.sum(h * h)


def oscillator(k, y, n):
    t = 0
    while t < n:
        y = y + 0.01 * np.array([y[1], -k * y[0] - 0.1 * y[1]])
        t = t + 1
    return y[0] ** 2


def _peak(fn) -> int:
    fn()  # warm: first calls allocate caches of their own
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


STEPS = (100, 1000, 10000)


def _growth(peaks):
    return peaks[1] / peaks[0], peaks[2] / peaks[1]


def test_rnn_peak_memory_grows_like_sqrt():
    rng = np.random.default_rng(0)
    Wh = rng.normal(size=(16, 16)) * 0.3
    Wx = rng.normal(size=(8, 16)) * 0.3
    b = rng.normal(size=16)
    plain = tangent.grad(rnn, wrt=(0, 1, 2))
    checkpointed = tangent.grad(rnn, wrt=(0, 1, 2), checkpoint=True)
    peaks = {"plain": [], "checkpoint": []}
    for n in STEPS:
        xs = rng.normal(size=(n, 4, 8))
        args = (Wh, Wx, b, xs)
        if n == STEPS[1]:
            _assert_same(checkpointed(*args), plain(*args))
        peaks["plain"].append(_peak(lambda args=args: plain(*args)))
        peaks["checkpoint"].append(_peak(lambda args=args: checkpointed(*args)))
    # ten times the steps: the plain tape ten times larger, the checkpointed
    # peak about sqrt(10) = 3.2 times
    for g in _growth(peaks["plain"]):
        assert g > 7, peaks
    for g in _growth(peaks["checkpoint"]):
        assert g < 4.5, peaks
    assert peaks["checkpoint"][-1] * 20 < peaks["plain"][-1], peaks


def test_while_loop_peak_memory_grows_like_sqrt():
    y0 = np.array([1.0, 0.0])
    plain = tangent.grad(oscillator)
    checkpointed = tangent.grad(oscillator, checkpoint=True)
    peaks = {"plain": [], "checkpoint": []}
    for n in STEPS:
        if n == STEPS[1]:
            _assert_same(checkpointed(0.7, y0, n), plain(0.7, y0, n))
        peaks["plain"].append(_peak(lambda n=n: plain(0.7, y0, n)))
        peaks["checkpoint"].append(_peak(lambda n=n: checkpointed(0.7, y0, n)))
    for g in _growth(peaks["plain"]):
        assert g > 7, peaks
    for g in _growth(peaks["checkpoint"]):
        assert g < 4.5, peaks
    assert peaks["checkpoint"][-1] * 10 < peaks["plain"][-1], peaks
    check_grads(oscillator, (0.7, y0, 50), (0,), checkpointed(0.7, y0, 50))
