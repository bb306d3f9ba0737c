"""Unit tests of `transforms.optimize`: every pass on hand-written code.

Each test checks the exact "before => after" text documented in the module
docstring, that the pass keeps what the code computes (the statements are
executed before and after on sample values), and that only compiler
variables (`substitutable`) are ever folded away.
"""

import copy
import re
import textwrap

import gast
import numpy as np
import pytest
from oracle import check_grads

import tangent
from tangent import runtime
from transforms import anno
from transforms.optimize import (
    constant_folding,
    copy_propagation,
    dead_code,
    forward_substitution,
    merge_accumulations,
    merge_unbroadcasts,
    optimize,
    redundant_assignments,
    zero_derivatives,
    zero_propagation,
)
from transforms.quoting import to_source


def body_of(src):
    return gast.parse(textwrap.dedent(src).strip() + "\n").body


def text(body):
    return to_source(body)


def dedent(src):
    return textwrap.dedent(src).strip()


def execute(body, env):
    """Run the statements on a copy of `env`; return the final namespace."""
    namespace = {
        "np": np,
        "zeros_like": runtime.zeros_like,
        "add_grad": runtime.add_grad,
        **copy.deepcopy(env),
    }
    tree = gast.gast_to_ast(gast.Module(body=body, type_ignores=[]))
    exec(compile(tree, "<statements>", "exec"), namespace)
    return namespace


def assert_same_results(before, after, env, names):
    a = execute(before, env)
    b = execute(after, env)
    for n in names:
        np.testing.assert_array_equal(a[n], b[n], err_msg=n)
        assert np.shape(a[n]) == np.shape(b[n]), n


def mark(body, key):
    """Annotate every statement (GENERATED) or call (IMPURE) in `body`, as the
    reverse-mode pass does for the code it writes and for random draws."""
    for stmt in body:
        for n in gast.walk(stmt):
            if key == anno.IMPURE and isinstance(n, gast.Call):
                anno.setanno(n, key, True)
            elif key == anno.GENERATED and isinstance(n, gast.stmt):
                anno.setanno(n, key, True)
    return body


def apply(pass_, src, *args, generated=False):
    """(original body, rewritten body, changed) for one pass on `src`."""
    original = body_of(src)
    if generated:
        mark(original, anno.GENERATED)
    body = copy.deepcopy(original)
    changed = pass_(body, *args)
    return original, body, changed


ENV = {
    "x": 1.5,
    "y": -0.5,
    "a": 2.0,
    "b": 3.0,
    "c": True,
    "g": 0.25,
    "h": -4.0,
    "k": 7.0,
    "t": False,
    "s": 0.0,
    "dresult": 2.0,
}


# ----- dead code -----


def test_dead_code_removes_unused_assignment():
    before, after, changed = apply(dead_code, "t = x * 2\nr = x + 1", {"r"})
    assert changed
    assert text(after) == "r = x + 1"
    assert_same_results(before, after, ENV, ["r"])


def test_dead_code_removes_chains_of_unused_assignments():
    _, after, _ = apply(dead_code, "p = x * 2\nq = p + 1\nr = x", {"r"})
    assert text(after) == "r = x"


def test_dead_code_inside_loops():
    src = """
    for i in range(3):
        u = x * i
        s = s + x
    r = s
    """
    before, after, _ = apply(dead_code, src, {"r"})
    assert text(after) == dedent(
        """
        for i in range(3):
            s = s + x
        r = s
        """
    )
    assert_same_results(before, after, ENV, ["r"])


def test_dead_code_keeps_live_values_and_reports_no_change():
    _, after, changed = apply(dead_code, "p = x * 2\nr = p + 1", {"r"})
    assert not changed
    assert text(after) == "p = x * 2\nr = p + 1"


def test_dead_code_keeps_tape_pops_and_impure_calls():
    body = body_of("p = _tape.pop()\nq = f(x)\nu = x * 2\nr = x")
    anno.setanno(body[1].value, "impure", True)
    dead_code(body, {"r"})
    assert text(body) == "p = _tape.pop()\nq = f(x)\nr = x"


def test_dead_code_keeps_statements_with_a_tape_id():
    body = body_of("p = x * 2\nr = x")
    anno.setanno(body[0], anno.TAPE_ID, 7)
    dead_code(body, {"r"})
    assert text(body) == "p = x * 2\nr = x"


def test_dead_code_keeps_index_writes():
    _, after, _ = apply(dead_code, "z[0] = x\nr = x", {"r"})
    assert text(after) == "z[0] = x\nr = x"


# ----- zero propagation -----


def test_zero_propagation_float_zero():
    before, after, changed = apply(zero_propagation, "dx = 0.0\ndx = dx + g")
    assert changed
    assert text(after) == "dx = 0.0\ndx = g"
    assert_same_results(before, after, ENV, ["dx"])


def test_zero_propagation_zeros_like_and_add_grad():
    src = "dx = zeros_like(v)\ndx = add_grad(dx, w)"
    before, after, _ = apply(zero_propagation, src)
    assert text(after) == "dx = zeros_like(v)\ndx = w"
    env = {"v": np.ones(3), "w": np.array([1.0, 2.0, 3.0])}
    assert_same_results(before, after, env, ["dx"])


def test_zero_propagation_with_dead_code_gives_plain_assignment():
    body = body_of("dx = 0.0\ndx = dx + g")
    zero_propagation(body)
    dead_code(body, {"dx"})
    assert text(body) == "dx = g"


def test_zero_propagation_across_branches():
    src = """
    dx = 0.0
    if c:
        dx = dx + g
    else:
        dx = dx + h
    dx = dx + k
    """
    before, after, _ = apply(zero_propagation, src)
    assert text(after) == dedent(
        """
        dx = 0.0
        if c:
            dx = g
        else:
            dx = h
        dx = dx + k
        """
    )
    for c in (True, False):
        assert_same_results(before, after, dict(ENV, c=c), ["dx"])


def test_zero_propagation_not_after_one_branch_only():
    src = """
    dx = 0.0
    if c:
        dx = dx + g
    dx = dx + k
    """
    _, after, _ = apply(zero_propagation, src)
    assert text(after) == dedent(
        """
        dx = 0.0
        if c:
            dx = g
        dx = dx + k
        """
    )


def test_zero_propagation_not_inside_a_loop_that_accumulates():
    src = """
    dx = 0.0
    for i in range(3):
        dx = dx + g
    """
    before, after, changed = apply(zero_propagation, src)
    assert not changed
    assert text(after) == text(before)
    assert execute(after, ENV)["dx"] == 0.75


def test_zero_propagation_inside_a_loop_that_resets():
    src = """
    for i in range(3):
        dx = 0.0
        dx = dx + g
    """
    _, after, _ = apply(zero_propagation, src)
    assert text(after) == dedent(
        """
        for i in range(3):
            dx = 0.0
            dx = g
        """
    )


def test_zero_propagation_across_a_loop_that_leaves_it_alone():
    src = """
    dx = 0.0
    for i in range(3):
        u = i
    dx = dx + g
    """
    _, after, _ = apply(zero_propagation, src)
    assert text(after).endswith("dx = g")


def test_zero_propagation_stops_at_index_write():
    src = """
    dx = zeros_like(v)
    dx[0] = 1.0
    dx = dx + w
    """
    before, after, changed = apply(zero_propagation, src)
    assert not changed
    env = {"v": np.ones(2), "w": np.array([1.0, 2.0])}
    assert_same_results(before, after, env, ["dx"])


def test_zero_propagation_stops_at_other_assignment():
    _, after, changed = apply(zero_propagation, "dx = 0.0\ndx = g * 2\ndx = dx + h")
    assert not changed
    assert text(after) == "dx = 0.0\ndx = g * 2\ndx = dx + h"


# ----- accumulation merge -----


def test_merge_accumulations():
    src = "dx = a * 2\nu = 3\ndx = dx + g"
    before, after, changed = apply(merge_accumulations, src)
    assert changed
    assert text(after) == "u = 3\ndx = a * 2 + g"
    assert_same_results(before, after, ENV, ["dx", "u"])


def test_merge_accumulations_add_grad():
    _, after, _ = apply(merge_accumulations, "dx = g\ndx = add_grad(dx, h)")
    assert text(after) == "dx = add_grad(g, h)"


def test_merge_accumulations_blocked_by_a_read():
    src = "dx = a * 2\nu = dx\ndx = dx + g"
    _, after, changed = apply(merge_accumulations, src)
    assert not changed
    assert text(after) == src


def test_merge_accumulations_blocked_by_a_changed_operand():
    src = "dx = a * 2\na = 5.0\ndx = dx + g"
    before, after, changed = apply(merge_accumulations, src)
    assert not changed
    assert text(after) == src
    assert_same_results(before, after, ENV, ["dx"])


# ----- copy propagation -----


def test_copy_propagation():
    before, after, changed = apply(copy_propagation, "p = b\nq = p + 1", {"p"})
    assert changed
    assert text(after) == "p = b\nq = b + 1"
    assert_same_results(before, after, ENV, ["q"])


def test_copy_propagation_never_touches_user_variables():
    _, after, changed = apply(copy_propagation, "p = b\nq = p + 1", set())
    assert not changed
    assert text(after) == "p = b\nq = p + 1"


def test_copy_propagation_stops_when_source_changes():
    src = "p = b\nb = 2.0\nq = p + 1"
    before, after, changed = apply(copy_propagation, src, {"p"})
    assert not changed
    assert text(after) == src
    assert_same_results(before, after, ENV, ["q"])


def test_copy_propagation_into_the_statement_that_changes_the_source():
    src = "p = b\nb = p + 1\nq = p"
    before, after, _ = apply(copy_propagation, src, {"p"})
    assert text(after) == "p = b\nb = b + 1\nq = p"
    assert_same_results(before, after, ENV, ["b", "q"])


def test_copy_propagation_stops_when_copy_changes():
    src = "p = b\nq = p\np = 5.0\nr = p"
    before, after, _ = apply(copy_propagation, src, {"p"})
    assert text(after) == "p = b\nq = b\np = 5.0\nr = p"
    assert_same_results(before, after, ENV, ["q", "r"])


def test_copy_propagation_into_nested_blocks():
    src = """
    p = b
    if c:
        q = p * 2
    """
    _, after, _ = apply(copy_propagation, src, {"p"})
    assert text(after) == dedent(
        """
        p = b
        if c:
            q = b * 2
        """
    )


def test_copy_propagation_not_past_a_loop_that_changes_the_source():
    src = """
    p = b
    for i in range(3):
        s = s + p
        b = b * 2
    """
    before, after, changed = apply(copy_propagation, src, {"p"})
    assert not changed
    assert_same_results(before, after, ENV, ["s"])


# ----- forward substitution -----


def test_forward_substitution():
    before, after, changed = apply(
        forward_substitution, "u = x * 2\nr = u + 1", {"u"}, {"r"}
    )
    assert changed
    assert text(after) == "r = x * 2 + 1"
    assert_same_results(before, after, ENV, ["r"])


def test_forward_substitution_keeps_precedence():
    before, after, _ = apply(forward_substitution, "u = x + 1\nr = u * 2", {"u"}, {"r"})
    assert text(after) == "r = (x + 1) * 2"
    assert_same_results(before, after, ENV, ["r"])


def test_forward_substitution_never_touches_user_variables():
    src = "u = x * 2\nr = u + 1"
    _, after, changed = apply(forward_substitution, src, set(), {"r"})
    assert not changed
    assert text(after) == src


def test_forward_substitution_needs_a_single_read():
    src = "u = x * 2\nr = u + u"
    _, after, changed = apply(forward_substitution, src, {"u"}, {"r"})
    assert not changed
    assert text(after) == src


def test_forward_substitution_blocked_by_a_changed_operand():
    src = "u = x * 2\nx = 5.0\nr = u + 1"
    before, after, changed = apply(forward_substitution, src, {"u"}, {"r"})
    assert not changed
    assert_same_results(before, after, ENV, ["r"])


def test_forward_substitution_blocked_by_an_index_write():
    src = "u = z[0]\nz[0] = 5.0\nr = u + 1"
    before, after, changed = apply(forward_substitution, src, {"u"}, {"r"})
    assert not changed
    assert_same_results(before, after, {"z": np.array([1.0, 2.0])}, ["r"])


def test_forward_substitution_not_of_impure_values():
    src = "u = _tape.pop()\nr = u + 1"
    _, after, changed = apply(forward_substitution, src, {"u"}, {"r"})
    assert not changed
    assert text(after) == src


def test_forward_substitution_not_into_a_loop():
    src = """
    u = x * 2
    for i in range(3):
        s = s + u
    """
    _, after, changed = apply(forward_substitution, src, {"u"}, {"s"})
    assert not changed


def test_forward_substitution_not_when_still_live_after_the_use():
    src = "u = x * 2\nr = u + 1"
    _, after, changed = apply(forward_substitution, src, {"u"}, {"r", "u"})
    assert not changed


def test_forward_substitution_not_past_a_pop_of_the_list_it_reads():
    # `len(_tape)` must be taken before the pop, not after it
    src = "u = len(_tape)\nv = _tape.pop()\nr = u + 1"
    before, after, _ = apply(forward_substitution, src, {"u"}, {"r", "v"})
    env = {"_tape": [1.0, 2.0, 3.0]}
    assert_same_results(before, after, env, ["r", "v"])


# ----- constant folding -----


@pytest.mark.parametrize(
    "src",
    [
        "r = x + 0.0",
        "r = 0.0 + x",
        "r = x * 1.0",
        "r = 1.0 * x",
        "r = x - 0.0",
        "r = x / 1.0",
        "r = x + 0",
        "r = (x + 0.0) * 1.0",
    ],
)
def test_constant_folding_identities(src):
    before, after, changed = apply(constant_folding, src, generated=True)
    assert changed
    assert text(after) == "r = x"
    assert_same_results(before, after, ENV, ["r"])
    # in the user's own statements `x + 0.0` is a new array: never folded
    _, kept, changed = apply(constant_folding, src)
    assert not changed and text(kept) == src


@pytest.mark.parametrize(
    "src",
    ["r = x + 1.0", "r = 0.0 - x", "r = 1.0 / x", "r = x * 0.0", "r = x * 2.0"],
)
def test_constant_folding_leaves_other_operations(src):
    _, after, changed = apply(constant_folding, src)
    assert not changed
    assert text(after) == src


def test_constant_folding_if_true_and_if_false():
    src = """
    if True:
        r = a
    else:
        r = b
    if False:
        q = a
    else:
        q = b
    """
    before, after, _ = apply(constant_folding, src)
    assert text(after) == "r = a\nq = b"
    assert_same_results(before, after, ENV, ["r", "q"])


def test_constant_folding_inside_nested_blocks():
    src = """
    for i in range(2):
        if c:
            r = x * 1.0
    """
    _, after, _ = apply(constant_folding, src, generated=True)
    assert "r = x\n" in text(after) + "\n"


@pytest.mark.parametrize(
    "src, folded",
    [
        ("r = x ** 1", "r = x"),
        ("r = 2 - 1", "r = 1"),
        ("r = 3 * 4 + 1", "r = 13"),
        ("r = x[2 - 1]", "r = x[1]"),
        ("r = None is None", "r = True"),
        ("r = None is not None", "r = False"),
    ],
)
def test_constant_folding_more_identities(src, folded):
    before, after, changed = apply(constant_folding, src, generated=True)
    assert changed
    assert text(after) == folded
    assert_same_results(before, after, {"x": np.array([1.0, 2.0, 3.0])}, ["r"])


@pytest.mark.parametrize(
    "src", ["r = 0.1 + 0.2", "r = 2.0 * 3.0", "r = 7 // 2", "r = x ** 2"]
)
def test_constant_folding_never_rounds_or_changes_floats(src):
    _, after, changed = apply(constant_folding, src)
    assert not changed
    assert text(after) == src


def test_constant_folding_empty_branches():
    src = """
    if c:
        pass
    if t:
        pass
    else:
        r = a
    """
    before, after, _ = apply(constant_folding, src)
    assert text(after) == "if not t:\n    r = a"
    for t in (True, False):
        env = dict(ENV, t=t, r=0.0)
        assert_same_results(before, after, env, ["r"])


def test_constant_folding_keeps_an_impure_test():
    body = body_of("if f(x):\n    pass")
    anno.setanno(body[0].test, "impure", True)
    constant_folding(body)
    assert text(body) == "if f(x):\n    pass"


@pytest.mark.parametrize("src", ["y = x + 0.0", "y = x * 1.0", "y = x / 1.0"])
def test_constant_folding_never_aliases_an_array(src):
    # `x + 0.0` is a new array: writing into y must not change x
    code = f"{src}\ny[0] = 5.0\nr = x[0]"
    before, after, _ = apply(constant_folding, code)
    env = {"x": np.array([1.0, 2.0])}
    assert_same_results(before, after, env, ["r", "x", "y"])


# ----- redundant assignments -----


def test_redundant_assignment_removed():
    src = "v = a * 2\nu = v + 1\nv = a * 2\nw = v * u"
    before, after, changed = apply(redundant_assignments, src)
    assert changed
    assert text(after) == "v = a * 2\nu = v + 1\nw = v * u"
    assert_same_results(before, after, ENV, ["u", "w"])


def test_redundant_assignment_kept_when_an_operand_changes():
    src = "v = a * 2\na = 5.0\nv = a * 2"
    before, after, changed = apply(redundant_assignments, src)
    assert not changed
    assert_same_results(before, after, ENV, ["v"])


def test_redundant_assignment_kept_when_the_target_changes():
    src = "v = a * 2\nv = v + 1\nv = a * 2"
    _, after, changed = apply(redundant_assignments, src)
    assert not changed


def test_redundant_assignment_kept_for_a_self_update():
    src = "v = v * 2\nu = v\nv = v * 2"
    _, after, changed = apply(redundant_assignments, src)
    assert not changed


def test_redundant_assignment_only_for_the_same_expression():
    src = "v = a * 2\nv = a * 3"
    _, after, changed = apply(redundant_assignments, src)
    assert not changed


def test_redundant_assignment_keeps_a_second_random_draw():
    # two calls of np.random.normal() are two different values
    src = "v = np.random.normal()\nw = v\nv = np.random.normal()\nr = v + w"
    before = mark(body_of(src), anno.IMPURE)
    after = copy.deepcopy(before)
    redundant_assignments(after)
    np.random.seed(0)
    expected = execute(before, {})["r"]
    np.random.seed(0)
    got = execute(after, {})["r"]
    assert got == expected


# ----- unbroadcast merge -----


def _unbroadcast_body(src, roots):
    body = body_of(src)
    calls = [
        n
        for n in gast.walk(body[0])
        if isinstance(n, gast.Call) and getattr(n.func, "id", None) == "unbroadcast"
    ]
    for call, root in zip(calls, roots, strict=True):
        if root is not None:
            anno.setanno(call, anno.UNBROADCAST_ROOT, root)
    return body


UNBROADCAST_ENV = {
    "unbroadcast": runtime.unbroadcast,
    "p": np.array([[1.0, 2.0], [3.0, 4.0]]),
    "q": np.array([[0.5, -1.0], [2.0, 0.0]]),
    "v": np.array([1.0, 1.0]),
}


def test_merge_unbroadcasts_with_one_root():
    before = _unbroadcast_body(
        "r = unbroadcast(p, v) + unbroadcast(q, v)", ["dy", "dy"]
    )
    after = copy.deepcopy(before)
    assert merge_unbroadcasts(after)
    assert text(after) == "r = unbroadcast(p + q, v)"
    assert_same_results(before, after, UNBROADCAST_ENV, ["r"])


def test_merge_unbroadcasts_among_other_terms():
    before = _unbroadcast_body(
        "r = unbroadcast(p, v) + q[0] + unbroadcast(q, v)", ["dy", "dy"]
    )
    after = copy.deepcopy(before)
    merge_unbroadcasts(after)
    assert text(after) == "r = unbroadcast(p + q, v) + q[0]"
    assert_same_results(before, after, UNBROADCAST_ENV, ["r"])


@pytest.mark.parametrize(
    "src, roots",
    [
        ("r = unbroadcast(p, v) + unbroadcast(q, v)", ["dy", "dz"]),
        ("r = unbroadcast(p, v) + unbroadcast(q, v)", [None, None]),
        ("r = unbroadcast(p, v) + unbroadcast(q, w)", ["dy", "dy"]),
        ("r = unbroadcast(p, v) - unbroadcast(q, v)", ["dy", "dy"]),
    ],
)
def test_merge_unbroadcasts_needs_one_root_one_target_and_a_sum(src, roots):
    body = _unbroadcast_body(src, roots)
    assert not merge_unbroadcasts(body)
    assert text(body) == src


# ----- optimize: all passes to a fixed point -----

GENERATED = """
dx = zeros_like(x)
dy = 0.0
t = x * y
dt = dresult
dt2 = dt * 1.0
dx = dx + dt2 * y
dy = dy + dt2 * x
dz = dt + 0.0
r = dx
"""


def test_optimize_generated_code():
    before = mark(body_of(GENERATED), anno.GENERATED)
    body = copy.deepcopy(before)
    optimize(body, {"dx", "dy"}, {"t", "dt", "dt2", "dz"})
    assert text(body) == "dx = dresult * y\ndy = dresult * x"
    env = dict(ENV, x=np.array([1.0, 2.0]), y=np.array([3.0, -1.0]))
    assert_same_results(before, body, env, ["dx", "dy"])


def test_optimize_reaches_a_fixed_point():
    body = mark(body_of(GENERATED), anno.GENERATED)
    optimize(body, {"dx", "dy"}, {"t", "dt", "dt2", "dz"})
    once = text(body)
    optimize(body, {"dx", "dy"}, {"t", "dt", "dt2", "dz"})
    assert text(body) == once


def test_optimize_fixed_point_with_loops_and_branches():
    src = """
    dx = 0.0
    ds = dresult
    for i in range(3):
        u = x * 1.0
        if c:
            dx = dx + ds * u
        else:
            dx = dx + ds
        ds = ds * 0.5
    """
    before = body_of(src)
    body = copy.deepcopy(before)
    optimize(body, {"dx"}, {"u", "ds"})
    once = text(body)
    optimize(body, {"dx"}, {"u", "ds"})
    assert text(body) == once
    for c in (True, False):
        assert_same_results(before, body, dict(ENV, c=c), ["dx"])


def test_optimize_keeps_user_variables():
    src = "a2 = x * 2\nb2 = a2\nr = b2 + 1"
    body = body_of(src)
    optimize(body, {"r"}, set())
    assert text(body) == src
    optimize(body, {"r"}, {"b2"})
    assert text(body) == "a2 = x * 2\nr = a2 + 1"


# ----- zero derivatives by shift invariance -----

_KINDS = {
    "exp": "exp",
    "log": "log",
    "sum": "sum",
    "mean": "mean",
    "max": "extremum",
    "min": "extremum",
}


def _kind_of(func):
    if (
        isinstance(func, gast.Attribute)
        and isinstance(func.value, gast.Name)
        and func.value.id == "np"
    ):
        return _KINDS.get(func.attr)
    return None


def _zero(src, wrt=("x",)):
    func = gast.parse(textwrap.dedent(src).strip() + "\n").body[0]
    return zero_derivatives(func, set(wrt), _kind_of)


def test_zero_derivatives_the_max_before_a_log_sum_exp():
    src = """
    def f(x, y):
        m = np.max(x, axis=1, keepdims=True)
        z = x - m
        e = np.exp(z)
        s = np.sum(e, axis=1, keepdims=True)
        lse = np.log(s)
        t = y * (z - lse)
        u = np.sum(t, axis=1)
        r = -np.mean(u)
        return r
    """
    assert _zero(src) == {"m"}


def test_zero_derivatives_a_scalar_max_and_its_way_back():
    # log(sum(exp(x - m))) + m == log(sum(exp(x))) for any number m
    src = """
    def f(x):
        m = np.max(x)
        e = np.exp(x - m)
        s = np.sum(e)
        r = np.log(s) + m
        return r
    """
    assert _zero(src) == {"m"}


@pytest.mark.parametrize(
    "lines",
    [
        # the shift does not cancel
        ["z = x - m", "r = np.sum(z * z)"],
        # a sum of shifted values shifts by n * delta
        ["z = x - m", "r = np.sum(z)"],
        # delta varies along axis 1, over which the sum runs
        [
            "z = x - m0",
            "s = np.sum(np.exp(z), axis=1, keepdims=True)",
            "r = np.sum(z - np.log(s))",
        ],
        # w may have more dimensions than m: its axis 1 may be another axis
        [
            "z = w - m",
            "s = np.sum(np.exp(z), axis=1, keepdims=True)",
            "r = np.sum(z - np.log(s))",
        ],
        # read inside a loop
        ["z = x - m", "r = 0.0", "for i in range(3):", "    r = r + z[i]"],
        # without keepdims, the axes of what follows are not m's
        ["z = x - m", "s = np.sum(np.exp(z), axis=1)", "r = np.sum(s)"],
    ],
)
def test_zero_derivatives_refuses_what_changes(lines):
    head = [
        "def f(x, w):",
        "    m = np.max(x, axis=1, keepdims=True)",
        "    m0 = np.max(x, axis=0, keepdims=True)",
    ]
    src = "\n".join(head + ["    " + line for line in lines] + ["    return r"])
    shifted = "m0" if "x - m0" in lines[0] else "m"
    assert shifted not in _zero(src)
    # an unused variable changes nothing: the derivation holds for it
    assert ({"m", "m0"} - {shifted}) <= _zero(src)


def _log_softmax_xent(logits, labels):
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(labels * (z - lse), axis=1))


def _logsumexp_scalar_max(x):
    m = np.max(x)
    return np.log(np.sum(np.exp(x - m))) + m


def _shift_that_stays(x):
    m = np.max(x, axis=1, keepdims=True)
    z = x - m
    return np.sum(np.exp(z) * z)


def _shift_over_other_axis(x):
    m = np.max(x, axis=0, keepdims=True)
    z = x - m
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return np.sum(z - lse)


@pytest.mark.parametrize(
    "f, dropped",
    [
        (_log_softmax_xent, True),
        (_logsumexp_scalar_max, True),
        (_shift_that_stays, False),
        (_shift_over_other_axis, False),
    ],
)
def test_zero_derivatives_gradients_against_finite_differences(f, dropped):
    import tangent
    from tests.oracle import check_grads

    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 5)) * 2.0
    labels = np.eye(5)[rng.integers(0, 5, 4)]
    args = (x, labels) if f is _log_softmax_xent else (x,)
    df = tangent.grad(f)
    check_grads(f, args, (0,), df(*args))
    source = tangent.source(df)
    assert ("extremum_grad" not in source) == dropped, source


def test_zero_derivatives_sees_through_method_calls():
    # fuzz seed 99: `(w * m).copy()` changes with m, although its call has no
    # arguments
    src = """
    def f(x, w):
        m = np.sum(x)
        v = (w * m).copy()
        u = [e for e in v]
        r = np.sum(v) + u[0]
        return r
    """
    assert _zero(src) == set()


# ----- scatter-adds into adjoints the gradient owns: in place -----


def _scatter_adds(src):
    from transforms.in_place import in_place_scatter_adds

    body = gast.parse(textwrap.dedent(src)).body
    names = {"add_at": "add_at", "zeros_like": "zeros_like"}
    in_place_scatter_adds(body, names, lambda: "add_into")
    return re.findall(r"\b(add_at|add_into)\(", text(body))  # in source order


@pytest.mark.parametrize(
    "src, expected",
    [
        # made by the gradient: in place, also in a loop
        ("dx = zeros_like(x)\ndx = add_at(dx, x, 0, g)", ["add_into"]),
        (
            "dx = zeros_like(x)\nfor i in r:\n    dx = add_at(dx, x, i, g * x[i])",
            ["add_into"],
        ),
        # an arithmetic result is a new array; a read inside arithmetic keeps none
        ("dx = g * 2.0\nv = dx[0] * 3.0\ndx = add_at(dx, x, 0, v)", ["add_into"]),
        # the caller's seed, another variable's value: copy first
        ("dx = dresult\ndx = add_at(dx, x, 0, g)", ["add_at"]),
        ("dx = zeros_like(x)\ndz = dx\ndx = add_at(dx, x, 0, g)", ["add_at"]),
        ("dx = zeros_like(x)\nh(dx)\ndx = add_at(dx, x, 0, g)", ["add_at"]),
        ("dx = zeros_like(x)\nv = dx[0:2]\ndx = add_at(dx, x, 0, g)", ["add_at"]),
        ("dx = zeros_like(x)\nt = (dx, 1)\ndx = add_at(dx, x, 0, g)", ["add_at"]),
        # after its copy the array is the gradient's own
        (
            "dx = dresult\ndx = add_at(dx, x, 0, g)\ndx = add_at(dx, x, 1, g)",
            ["add_at", "add_into"],
        ),
        # shared on one path, or at the end of a previous iteration
        (
            "dx = zeros_like(x)\nif c:\n    dx = g\ndx = add_at(dx, x, 0, g)",
            ["add_at"],
        ),
        (
            "dx = zeros_like(x)\n"
            "for i in r:\n"
            "    dx = add_at(dx, x, i, g)\n"
            "    keep.append(dx)",
            ["add_at"],
        ),
        (
            "dx = zeros_like(x)\n"
            "while c:\n"
            "    dx = add_at(dx, x, 0, g)\n"
            "    if d:\n"
            "        dy = dx\n"
            "        break\n"
            "dx = add_at(dx, x, 1, g)",
            ["add_into", "add_at"],
        ),
    ],
)
def test_scatter_adds_in_place_only_into_arrays_the_gradient_owns(src, expected):
    assert _scatter_adds(src) == expected


def test_add_into_adds_in_place_and_falls_back_to_add_at():
    dx = np.zeros(3)
    assert runtime.add_into(dx, np.ones(3), 1, 2.0) is dx
    np.testing.assert_array_equal(dx, [0.0, 2.0, 0.0])
    runtime.add_into(dx, np.ones(3), np.array([0, 0]), 1.5)  # repeated indices add
    np.testing.assert_array_equal(dx, [3.0, 2.0, 0.0])
    # the zero adjoint and lists are not arrays: a new value, as add_at gives
    new = runtime.add_into(0.0, np.ones(2), 0, 1.0)
    np.testing.assert_array_equal(new, [1.0, 0.0])
    lst = [0.0, 0.0]
    assert runtime.add_into(lst, [1.0, 2.0], 1, 3.0) == [0.0, 3.0] and lst == [0.0, 0.0]


def _sum_of_squares_by_index(x):
    total = 0.0
    for i in range(len(x)):
        total = total + x[i] * x[i]
    return total


def _weighted_gradient(x):
    return np.sum(D_SUM_OF_SQUARES(x) * x)


D_SUM_OF_SQUARES = tangent.grad(_sum_of_squares_by_index)


def test_a_loop_over_entries_scatters_in_place_and_is_right():
    df = tangent.grad(_sum_of_squares_by_index)
    assert "add_into(dx, x, i, " in tangent.source(df)
    x = np.array([0.3, -1.2, 0.5, 2.0])
    check_grads(_sum_of_squares_by_index, (x,), (0,), df(x))
    # differentiated again, the gradient calls add_at (no saved array changes)
    np.testing.assert_allclose(tangent.grad(_weighted_gradient)(x), 4.0 * x)


def test_sink_resets_lets_a_copy_be_propagated():
    from transforms.optimize import sink_resets

    src = """
    for i in r:
        dv0 = da
        da = 0.0
        dx = dx + dh(x, dresult=(dv0, db))
        db = 0.0
        dy = da * 2.0
    """
    _, body, changed = apply(sink_resets, src, generated=True)
    assert changed
    # each reset goes down to the statement that reads its variable
    assert text(body) == textwrap.dedent(
        """\
        for i in r:
            dv0 = da
            dx = dx + dh(x, dresult=(dv0, db))
            da = 0.0
            dy = da * 2.0
            db = 0.0"""
    )


def test_sink_resets_stops_at_a_read_a_jump_and_the_function_block():
    from transforms.optimize import sink_resets

    for src in (
        "for i in r:\n    da = 0.0\n    dy = da + 1.0",
        "for i in r:\n    da = 0.0\n    if c:\n        break\n    dy = 2.0",
        "da = 0.0\ndy = 2.0",
    ):
        _, body, changed = apply(sink_resets, src, generated=True)
        assert not changed, src
