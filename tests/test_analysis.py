"""Unit tests of `transforms.analysis`: liveness, activity, written, reads.

Every expected set is worked out by hand from the definitions in the module
docstring, on small statement lists parsed with gast.
"""

import textwrap

import gast
import pytest

from transforms.analysis import (
    PARAM,
    Liveness,
    ReachingDefinitions,
    activity,
    assigned_before,
    reads,
    written,
)


def stmts(src):
    return gast.parse(textwrap.dedent(src)).body


def func(src):
    (node,) = stmts(src)
    return node


def expr(src):
    return gast.parse(src).body[0].value


def differentiable(value):
    """Comparisons and constants carry no derivative; everything else does."""
    return not isinstance(value, (gast.Compare, gast.Constant))


# ----- Liveness -----


def test_liveness_straight_line():
    body = stmts(
        """
        a = x + y
        b = a * 2
        c = b + z
        """
    )
    live = Liveness(body, {"c"})
    assert live.live_in == {"x", "y", "z"}
    assert live.live_out(body[0]) == {"a", "z"}
    assert live.live_out(body[1]) == {"b", "z"}
    assert live.live_out(body[2]) == {"c"}


def test_liveness_overwritten_value_is_dead():
    body = stmts(
        """
        a = x
        a = y
        r = a
        """
    )
    live = Liveness(body, {"r"})
    # plain liveness: `a = x` still reads x, even though a is overwritten
    assert live.live_in == {"x", "y"}
    assert live.live_out(body[0]) == {"y"}
    assert live.live_out(body[1]) == {"a"}


def test_liveness_nothing_live_at_exit():
    body = stmts("a = x\nb = a")
    live = Liveness(body)
    assert live.live_in == {"x"}
    assert live.live_out(body[0]) == {"a"}
    assert live.live_out(body[1]) == set()


def test_liveness_if_else_joins_branches():
    body = stmts(
        """
        if c:
            a = x
        else:
            a = y
        r = a + w
        """
    )
    live = Liveness(body, {"r"})
    assert live.live_in == {"c", "x", "y", "w"}
    assert live.live_out(body[0]) == {"a", "w"}
    assert live.live_out(body[0].body[0]) == {"a", "w"}
    assert live.live_out(body[0].orelse[0]) == {"a", "w"}


def test_liveness_if_without_else_keeps_old_value_live():
    body = stmts(
        """
        a = x
        if c:
            a = y
        r = a
        """
    )
    live = Liveness(body, {"r"})
    assert live.live_in == {"x", "c", "y"}
    assert live.live_out(body[0]) == {"a", "c", "y"}


def test_liveness_for_loop_carried_value():
    body = stmts(
        """
        s = 0.0
        for i in range(n):
            t = x[i]
            s = s + t
        r = s
        """
    )
    loop = body[1]
    live = Liveness(body, {"r"})
    assert live.live_in == {"range", "n", "x"}
    assert live.live_out(body[0]) == {"s", "range", "n", "x"}
    assert live.live_out(loop.body[0]) == {"s", "t", "x"}
    # after the body: the next iteration reads s and x; i is rebound by the loop
    assert live.live_out(loop.body[1]) == {"s", "x"}
    assert live.live_out(loop) == {"s"}


def test_liveness_value_read_in_next_iteration():
    body = stmts(
        """
        prev = 0.0
        for i in range(3):
            y = prev * 2
            prev = x
        r = y
        """
    )
    loop = body[1]
    live = Liveness(body, {"r"})
    # `y` is live on entry: the loop may run zero times
    assert live.live_in == {"range", "x", "y"}
    assert live.live_out(loop.body[1]) == {"prev", "x", "y"}
    assert live.live_out(loop.body[0]) == {"x", "y"}


def test_liveness_loop_variable_is_not_live_before_loop():
    body = stmts(
        """
        for i in range(n):
            s = s + i
        r = s
        """
    )
    live = Liveness(body, {"r"})
    assert live.live_in == {"range", "n", "s"}


def test_liveness_while_loop():
    body = stmts(
        """
        while c:
            x = x * 2
            c = x < 10
        r = x
        """
    )
    loop = body[0]
    live = Liveness(body, {"r"})
    assert live.live_in == {"c", "x"}
    assert live.live_out(loop.body[0]) == {"x"}
    assert live.live_out(loop.body[1]) == {"c", "x"}
    assert live.live_out(loop) == {"x"}


def test_liveness_break_flows_to_loop_exit():
    body = stmts(
        """
        for i in range(n):
            t = x[i]
            if t:
                break
            y = t
        r = y
        """
    )
    loop = body[0]
    live = Liveness(body, {"r"})
    assert live.live_in == {"range", "n", "x", "y"}
    assert live.live_out(loop.body[2]) == {"x", "y"}
    assert live.live_out(loop.body[1]) == {"t", "x"}
    # the break path reads the y of an earlier iteration (or from before)
    assert live.live_out(loop.body[0]) == {"t", "x", "y"}


def test_liveness_live_out_of_break_is_the_loop_exit():
    body = stmts(
        """
        for i in range(n):
            t = x[i]
            if t:
                break
            y = t
        r = y
        """
    )
    brk = body[0].body[1].body[0]
    assert isinstance(brk, gast.Break)
    # after `break` control goes to `r = y`: only y is read on that path
    assert Liveness(body, {"r"}).live_out(brk) == {"y"}


def test_liveness_nested_loops():
    body = stmts(
        """
        for i in range(n):
            for j in range(m):
                s = s + a
            b = s
        r = b
        """
    )
    live = Liveness(body, {"r"})
    assert live.live_in == {"range", "n", "m", "s", "a", "b"}
    inner = body[0].body[0]
    # the inner loop starts again on the next outer iteration: its bound is live
    assert live.live_out(inner.body[0]) == {"s", "a", "range", "m"}
    assert live.live_out(inner) == {"s", "a", "range", "m"}
    assert live.live_out(body[0].body[1]) == {"b", "s", "a", "range", "m"}


def test_liveness_tape_pop_defines_its_target():
    body = stmts(
        """
        x = _tape.pop()
        r = x * y
        """
    )
    live = Liveness(body, {"r"})
    assert live.live_in == {"_tape", "y"}


def test_liveness_index_write_does_not_kill_the_array():
    body = stmts(
        """
        x[i] = y
        r = x
        """
    )
    live = Liveness(body, {"r"})
    assert live.live_in == {"x", "i", "y"}


def test_liveness_expression_statement_reads_its_operands():
    body = stmts(
        """
        items.append(v)
        r = items
        """
    )
    live = Liveness(body, {"r"})
    assert live.live_in == {"items", "v"}


def test_liveness_return_ends_the_block():
    body = stmts(
        """
        def f(x, b):
            a = x
            return a + b
        """
    )[0].body
    live = Liveness(body, {"unrelated"})
    assert live.live_in == {"x", "b"}
    assert live.live_out(body[0]) == {"a", "b"}


# ----- activity -----

ACTIVITY_SOURCE = """
def f(x, y):
    a = x * 2.0
    b = y * 3.0
    c = a + b
    u = x * 5.0
    r = c
    return r
"""


@pytest.mark.parametrize(
    "wrt, expected",
    [
        (["x"], {"x", "a", "c", "r"}),
        (["y"], {"y", "b", "c", "r"}),
        (["x", "y"], {"x", "y", "a", "b", "c", "r"}),
    ],
)
def test_activity_varied_and_useful(wrt, expected):
    # u is varied but useless; b is useful but (for wrt x) not varied
    assert activity(func(ACTIVITY_SOURCE), wrt, "r", differentiable) == expected


def test_activity_stops_at_nondifferentiable_operations():
    node = func(
        """
        def f(x):
            c = x > 0.0
            k = c * 2.0
            r = k * x
            return r
        """
    )
    assert activity(node, ["x"], "r", differentiable) == {"x", "r"}


def test_activity_through_loops():
    node = func(
        """
        def f(x, n):
            s = 0.0
            for i in range(n):
                s = s + x
            r = s
            return r
        """
    )
    assert activity(node, ["x"], "r", differentiable) == {"x", "s", "r"}


def test_activity_through_loop_back_edge():
    node = func(
        """
        def f(x):
            a = 1.0
            for i in range(3):
                b = a * 2.0
                a = x
            r = b
            return r
        """
    )
    assert activity(node, ["x"], "r", differentiable) == {"x", "a", "b", "r"}


def test_activity_inside_branches():
    node = func(
        """
        def f(x, y):
            if y:
                t = x * 2.0
            else:
                t = y
            r = t
            return r
        """
    )
    assert activity(node, ["x"], "r", differentiable) == {"x", "t", "r"}


def test_activity_index_write_makes_array_active():
    node = func(
        """
        def f(x, z):
            z[0] = x
            r = z[1]
            return r
        """
    )
    assert activity(node, ["x"], "r", differentiable) == {"x", "z", "r"}


def test_activity_an_index_carries_no_derivative():
    node = func(
        """
        def f(x, z):
            k = x * 0.0
            r = z[k]
            return r
        """
    )
    assert activity(node, ["x"], "r", differentiable) == set()


def test_activity_append_and_method_calls():
    node = func(
        """
        def f(x):
            items = []
            items.append(x)
            first = items[0]
            r = first.sum()
            return r
        """
    )
    assert activity(node, ["x"], "r", differentiable) == {"x", "items", "first", "r"}


def test_activity_output_independent_of_wrt():
    node = func(
        """
        def f(x, y):
            r = y * 2.0
            return r
        """
    )
    assert activity(node, ["x"], "r", differentiable) == set()


def test_activity_uses_the_differentiable_callback():
    node = func(
        """
        def f(x):
            n = len(x)
            r = n * x
            return r
        """
    )

    def no_len(value):
        is_len = (
            isinstance(value, gast.Call)
            and isinstance(value.func, gast.Name)
            and value.func.id == "len"
        )
        return differentiable(value) and not is_len

    assert activity(node, ["x"], "r", differentiable) == {"x", "n", "r"}
    assert activity(node, ["x"], "r", no_len) == {"x", "r"}


# ----- reaching definitions -----


def test_reaching_definitions_straight_line():
    node = func(
        """
        def f(x):
            a = x
            a = a * 2
            r = a
            return r
        """
    )
    b = node.body
    rd = ReachingDefinitions(node)
    assert rd.definitions(b[0], "x") == {PARAM}
    assert rd.definitions(b[1], "a") == {id(b[0])}
    assert rd.definitions(b[2], "a") == {id(b[1])}
    assert rd.definitions(b[3], "r") == {id(b[2])}


def test_reaching_definitions_join_after_if():
    node = func(
        """
        def f(x, c):
            a = x
            if c:
                a = 2.0
            r = a
            return r
        """
    )
    b = node.body
    rd = ReachingDefinitions(node)
    assert rd.definitions(b[1], "c") == {PARAM}
    assert rd.definitions(b[2], "a") == {id(b[0]), id(b[1].body[0])}


def test_reaching_definitions_if_else_both_assign():
    node = func(
        """
        def f(x, c):
            a = x
            if c:
                a = 2.0
            else:
                a = 3.0
            r = a
            return r
        """
    )
    b = node.body
    rd = ReachingDefinitions(node)
    assert rd.definitions(b[2], "a") == {id(b[1].body[0]), id(b[1].orelse[0])}


def test_reaching_definitions_around_a_loop():
    node = func(
        """
        def f(x, n):
            s = 0.0
            for i in range(n):
                t = i
                s = s + x
            r = s
            return r
        """
    )
    b = node.body
    loop = b[1]
    rd = ReachingDefinitions(node)
    assert rd.definitions(loop, "n") == {PARAM}
    assert rd.definitions(loop.body[0], "i") == {id(loop)}
    assert rd.definitions(loop.body[1], "s") == {id(b[0]), id(loop.body[1])}
    assert rd.definitions(loop.body[1], "x") == {PARAM}
    assert rd.definitions(b[2], "s") == {id(b[0]), id(loop.body[1])}


def test_reaching_definitions_through_break():
    node = func(
        """
        def f(x, y, c, n):
            a = 0.0
            for i in range(n):
                a = x
                if c:
                    break
                a = y
            r = a
            return r
        """
    )
    b = node.body
    loop = b[1]
    rd = ReachingDefinitions(node)
    # zero iterations, the break, or the end of an iteration
    assert rd.definitions(b[2], "a") == {id(b[0]), id(loop.body[0]), id(loop.body[2])}


def test_reaching_definitions_while_test():
    node = func(
        """
        def f(c):
            while c:
                c = c - 1
            return c
        """
    )
    loop = node.body[0]
    rd = ReachingDefinitions(node)
    assert rd.definitions(loop, "c") == {PARAM, id(loop.body[0])}
    assert rd.definitions(loop.body[0], "c") == {PARAM, id(loop.body[0])}
    assert rd.definitions(node.body[1], "c") == {PARAM, id(loop.body[0])}


def test_reaching_definitions_index_writes_and_appends_define_the_container():
    node = func(
        """
        def f(x, z):
            z[0] = x
            r = z
            items = []
            items.append(x)
            s = items
            return r
        """
    )
    b = node.body
    rd = ReachingDefinitions(node)
    assert rd.definitions(b[0], "z") == {PARAM}
    assert rd.definitions(b[1], "z") == {id(b[0])}
    assert rd.definitions(b[3], "items") == {id(b[2])}
    assert rd.definitions(b[4], "items") == {id(b[3])}


def test_reaching_definitions_of_unread_variable_is_empty():
    node = func(
        """
        def f(x):
            a = x
            return a
        """
    )
    rd = ReachingDefinitions(node)
    assert rd.definitions(node.body[0], "a") == frozenset()


# ----- written, reads, assigned_before -----


def test_written_names():
    body = stmts(
        """
        a = 1
        b, c = d
        for i in range(3):
            e = i
        x[0] = v
        items.append(w)
        if t:
            f = 2
        """
    )
    assert written(body) == {"a", "b", "c", "i", "e", "x", "items", "f"}


def test_written_includes_pop_and_extend_receivers():
    assert written(stmts("stack.pop()")) == {"stack"}
    assert written(stmts("xs.extend(ys)")) == {"xs"}


def test_written_includes_a_list_popped_into_a_variable():
    # `x = _tape.pop()` changes `_tape` as much as `_tape.pop()` alone does
    assert written(stmts("x = _tape.pop()")) == {"x", "_tape"}


def test_written_excludes_reads():
    assert written(stmts("r = np.sin(x) + y[2]")) == {"r"}


def test_reads_of_expressions():
    assert reads(expr("a + b * f(c, k=d)")) == {"a", "b", "f", "c", "d"}
    assert reads(expr("np.sin(x)")) == {"np", "x"}
    assert reads(expr("y[i:j, 0]")) == {"y", "i", "j"}
    assert reads(expr("3.0")) == set()


def test_reads_of_statements():
    (assign,) = stmts("a = b + c")
    assert reads(assign) == {"b", "c"}
    (index_write,) = stmts("x[i] = y")
    assert reads(index_write) == {"x", "i", "y"}
    (loop,) = stmts("for i in range(n):\n    pass")
    assert reads(loop.iter) == {"range", "n"}


def test_assigned_before_loops():
    node = func(
        """
        def f(x, n):
            a = x
            for i in range(n):
                b = a
            c = b
            while c:
                c = c - 1
            return c
        """
    )
    found = assigned_before(node)
    loops = [s for s in node.body if isinstance(s, (gast.For, gast.While))]
    assert found[id(loops[0])] == {"x", "n", "a"}
    assert found[id(loops[1])] == {"x", "n", "a", "i", "b", "c"}
