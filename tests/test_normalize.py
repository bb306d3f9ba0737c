"""Unit tests of `transforms.normalize`: the normal form and its semantics.

Each function of `fixtures_functions` is parsed, fenced and normalized. The
tests check the guarantees of the module docstring by walking the tree, and
execute the normalized function (compiled with the original's globals) to
check that it computes exactly what the original computes.
"""

import copy
import inspect

import fixtures_functions as fx
import gast
import numpy as np
import pytest

from transforms import anno, fence
from transforms.normalize import normalize
from transforms.parsing import parse_function
from transforms.quoting import to_source

# ----- helpers -----


def normal_form(func):
    node, info = parse_function(func)
    fence.check(node, info)
    return normalize(node, info)


def _locals(func_node):
    return {
        n.id
        for n in gast.walk(func_node)
        if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param))
    }


def _with_pass(func_node):
    """A copy whose empty blocks hold `pass`, so that it always unparses."""
    node = copy.deepcopy(func_node)
    for n in gast.walk(node):
        for field in ("body", "orelse"):
            block = getattr(n, field, None)
            if field == "body" and isinstance(block, list) and not block:
                n.body = [gast.Pass()]
    return node


def compiled(func, func_node):
    """The normalized function, compiled with the original function's globals."""
    namespace = dict(func.__globals__)
    exec(compile(to_source(_with_pass(func_node)), "<normalized>", "exec"), namespace)
    return namespace[func.__name__]


def same_value(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        np.testing.assert_array_equal(a, b)
        assert np.shape(a) == np.shape(b)
    else:
        assert a == b, (a, b)
        assert type(a) is type(b), (type(a), type(b))


class NormalFormChecker:
    """Asserts the guarantees listed in the docstring of `transforms.normalize`."""

    def __init__(self, func_node):
        self.func = func_node
        self.locals = _locals(func_node)
        # loop counters (`n = n + 1`) are the one documented self-update
        self.counters = {
            anno.getanno(n, anno.ITERATIONS)
            for n in gast.walk(func_node)
            if isinstance(n, (gast.For, gast.While))
        } - {None}

    def is_global_ref(self, node):
        root = node
        while isinstance(root, gast.Attribute):
            root = root.value
        return (
            isinstance(node, gast.Attribute)
            and isinstance(root, gast.Name)
            and root.id not in self.locals
        )

    def is_atom(self, node):
        if isinstance(node, gast.Name):
            return isinstance(node.ctx, gast.Load)
        return isinstance(node, gast.Constant) or self.is_global_ref(node)

    def is_index(self, node):
        if isinstance(node, gast.Slice):
            parts = (node.lower, node.upper, node.step)
            return all(p is None or self.is_atom(p) for p in parts)
        if isinstance(node, gast.Tuple):
            return all(self.is_index(e) for e in node.elts)
        return self.is_atom(node)

    def is_single_op(self, value):
        atom = self.is_atom
        if atom(value) or isinstance(value, gast.JoinedStr):
            return True
        if isinstance(value, gast.BinOp):
            return atom(value.left) and atom(value.right)
        if isinstance(value, gast.UnaryOp):
            return atom(value.operand)
        if isinstance(value, gast.Compare):
            return (
                len(value.ops) == 1 and atom(value.left) and atom(value.comparators[0])
            )
        if isinstance(value, gast.Call):
            func = value.func
            func_ok = (
                isinstance(func, gast.Name)
                or self.is_global_ref(func)
                or (isinstance(func, gast.Attribute) and atom(func.value))
            )
            return (
                func_ok
                and all(atom(a) for a in value.args)
                and all(k.arg is not None and atom(k.value) for k in value.keywords)
            )
        if isinstance(value, gast.Attribute):
            return atom(value.value)
        if isinstance(value, gast.Subscript):
            return atom(value.value) and self.is_index(value.slice)
        if isinstance(value, (gast.Tuple, gast.List)):
            return all(atom(e) for e in value.elts)
        if isinstance(value, gast.Dict):
            keys_ok = all(isinstance(k, gast.Constant) for k in value.keys)
            return keys_ok and all(atom(v) for v in value.values)
        return False

    def check(self):
        body = self.func.body
        returns = [n for n in gast.walk(self.func) if isinstance(n, gast.Return)]
        assert len(returns) == 1, "return must appear exactly once"
        assert body[-1] is returns[0], "return must be the last statement"
        assert isinstance(returns[0].value, gast.Name)
        assert returns[0].value.id == anno.getanno(self.func, anno.RESULT)
        for n in gast.walk(self.func):
            assert not isinstance(
                n,
                (
                    gast.Continue,
                    gast.AugAssign,
                    gast.AnnAssign,
                    gast.IfExp,
                    gast.BoolOp,
                    gast.ListComp,
                    gast.GeneratorExp,
                    gast.Assert,
                    gast.Pass,
                ),
            ), f"{type(n).__name__} must not survive normalization"
            if isinstance(n, gast.Compare):
                assert len(n.ops) == 1, "chained comparison survived"
        self.block(body, in_if=False)

    def block(self, stmts, in_if):
        for k, s in enumerate(stmts):
            last = k == len(stmts) - 1
            text = to_source(s)
            if isinstance(s, gast.Break):
                assert in_if and last, "break must end an if branch"
            elif isinstance(s, gast.Assign):
                assert len(s.targets) == 1, text
                target = s.targets[0]
                assert self.is_single_op(s.value), f"not one operation: {text}"
                if isinstance(target, gast.Name):
                    operands = {
                        n.id for n in gast.walk(s.value) if isinstance(n, gast.Name)
                    }
                    if target.id in self.counters and target.id in operands:
                        assert text == f"{target.id} = {target.id} + 1", text
                    elif not isinstance(s.value, gast.Name):
                        assert target.id not in operands, f"target is operand: {text}"
                else:
                    assert isinstance(target, gast.Subscript), text
                    assert isinstance(target.value, gast.Name), text
                    assert self.is_index(target.slice), text
                    assert self.is_atom(s.value), text
            elif isinstance(s, gast.Expr):
                value = s.value
                assert isinstance(value, gast.Call), f"no-op kept: {text}"
                assert not (
                    isinstance(value.func, gast.Name) and value.func.id == "print"
                ), text
                assert self.is_single_op(value), text
            elif isinstance(s, gast.If):
                assert isinstance(s.test, gast.Name), f"if tests a non-variable: {text}"
                self.block(s.body, in_if=True)
                self.block(s.orelse, in_if=True)
            elif isinstance(s, gast.While):
                assert isinstance(s.test, gast.Name), text
                assert anno.getanno(s, anno.ITERATIONS), "while loop is not counted"
                self.block(s.body, in_if=False)
            elif isinstance(s, gast.For):
                it = s.iter
                assert isinstance(it, gast.Call), text
                assert isinstance(it.func, gast.Name) and it.func.id == "range", text
                assert all(self.is_atom(a) for a in it.args), text
                assert isinstance(s.target, gast.Name), text
                changed = _locals(gast.Module(body=s.body, type_ignores=[]))
                for a in it.args:
                    if isinstance(a, gast.Name):
                        assert a.id not in changed, f"body reassigns bound {a.id}"
                        assert a.id != s.target.id
                if any(isinstance(n, gast.Break) for n in gast.walk(s)):
                    inner_loops = [
                        n
                        for n in gast.walk(s)
                        if isinstance(n, (gast.For, gast.While)) and n is not s
                    ]
                    own_break = any(
                        isinstance(n, gast.Break)
                        for n in gast.walk(gast.Module(body=s.body, type_ignores=[]))
                        if not any(n in list(gast.walk(loop)) for loop in inner_loops)
                    )
                    if own_break:
                        assert anno.getanno(s, anno.ITERATIONS), "loop not counted"
                self.block(s.body, in_if=False)
            elif isinstance(s, (gast.Return, gast.Raise)):
                pass
            else:
                raise AssertionError(f"unexpected statement in normal form: {text}")


# ----- the functions and their sample inputs -----

A = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.5]])

CASES = [
    (fx.straight_line, [(0.3, 1.2), (-1.0, 2.0), (np.float64(0.7), 2.0)]),
    (fx.aug_assign, [(0.5, 1.5), (-2.0, 0.25), (np.float64(1.5), 0.5)]),
    (fx.if_expression, [(2.0, 1.0), (1.0, 2.0)]),
    (fx.bool_ops, [(1.0, 1.0), (-6.0, 1.0), (1.0, -1.0), (2.0, 1.0), (-1.0, 1.0)]),
    (fx.short_circuit, [(3.0, 0.0), (3.0, 1.0), (3.0, 2.0), (30.0, 2.0)]),
    (fx.chained_compare, [(1.0, 2.0), (2.0, 1.0), (-1.0, 2.0), (1.0, 20.0)]),
    (fx.list_comprehension, [([1.0, -2.0, 3.0],), (np.array([0.5, -0.5]),), ([],)]),
    (
        fx.enumerate_zip_loops,
        [([1.0, 2.0, 3.0], [4.0, 5.0]), (np.array([0.5, 1.5]), np.array([2.0, 3.0]))],
    ),
    (fx.loop_over_array, [(A,)]),
    (fx.loop_with_break, [(0.1,), (10.0,), (-3.0,)]),
    (fx.loop_with_continue, [(1.5,), (np.array([1.0, -1.0]),)]),
    (fx.return_in_loop, [(0.3,), (-1.0,), (20.0,)]),
    (fx.while_loop, [(0.5,), (20.0,)]),
    (fx.while_break_continue, [(0.5,), (3.9,), (0.01,)]),
    (fx.many_returns, [(2.0,), (-2.0,), (0.5,)]),
    (fx.noops, [(1.5,)]),
    (fx.tuple_swap, [(1.0, 2.0), (-0.5, 3.0)]),
    (fx.nested_loops_break, [(1.0,), (-2.5,)]),
    (fx.min_max_calls, [(0.5, 2.0), (-3.0, -2.0), (2.0, 0.5)]),
    (fx.list_building, [(1.5,)]),
    (fx.nested_expressions, [(np.array([0.1, 0.2, 0.3]),)]),
    (fx.loop_bound_changes, [(1.5, 4), (2.0, 0)]),
    (fx.nested_helpers, [(1.5, 0.5), (-2.0, 3.0)]),
    (fx.star_unpack, [(np.array([1.0, 2.0, 3.0]),), ([4.0, 5.0],)]),
]

FUNCS = [c[0] for c in CASES]
IDS = [f.__name__ for f in FUNCS]


# ----- the normal form -----


@pytest.mark.parametrize("func", FUNCS, ids=IDS)
def test_normal_form_invariants(func):
    NormalFormChecker(normal_form(func)).check()


@pytest.mark.parametrize("func, inputs", CASES, ids=IDS)
def test_normalized_function_computes_the_same(func, inputs, capsys):
    normalized = compiled(func, normal_form(func))
    for args in inputs:
        expected = func(*copy.deepcopy(args))
        call_args = copy.deepcopy(args)
        got = normalized(*call_args)
        same_value(got, expected)
        for before, after in zip(args, call_args, strict=True):
            np.testing.assert_array_equal(np.asarray(before), np.asarray(after))


@pytest.mark.parametrize("func", FUNCS, ids=IDS)
def test_normalized_source_is_valid_python(func):
    # the pipeline promises every stage can be printed with quoting.to_source
    text = to_source(normal_form(func))
    compile(text, "<normalized>", "exec")


@pytest.mark.parametrize("func", FUNCS, ids=IDS)
def test_statements_keep_user_line_numbers(func):
    lines, first = inspect.getsourcelines(func)
    last = first + len(lines) - 1
    node = normal_form(func)
    for n in gast.walk(node):
        if isinstance(n, gast.stmt) and n is not node:
            assert first <= n.lineno <= last, to_source(n)


def test_one_line_expands_on_its_own_line_number():
    node = normal_form(fx.straight_line)
    lines, first = inspect.getsourcelines(fx.straight_line)
    z_line = first + 1
    assigns = [s for s in node.body if isinstance(s, gast.Assign)]
    assert len(assigns) >= 8  # z = x * y + sin(x) / (1 + y ** 2) - exp(-x * y)
    for s in assigns[:-1]:
        assert s.lineno == z_line, to_source(s)


def test_normalize_is_deterministic_and_leaves_its_input_alone():
    node, info = parse_function(fx.loop_with_break)
    fence.check(node, info)
    before = to_source(node)
    first = to_source(normalize(node, info))
    second = to_source(normalize(node, info))
    assert first == second
    assert to_source(node) == before


# ----- individual rewrites -----


def _all(node, cls):
    return [n for n in gast.walk(node) if isinstance(n, cls)]


def test_straight_line_has_one_operation_per_assignment():
    node = normal_form(fx.straight_line)
    text = to_source(node)
    # 7 operations: x*y, sin(x), y**2, 1+., ./., -x (folded is fine), x*y, exp, ...
    assert text.count("np.sin(x)") == 1
    assert "math.exp(" in text
    for s in _all(node, gast.Assign):
        ops = [
            n
            for n in gast.walk(s.value)
            if isinstance(n, (gast.BinOp, gast.Call, gast.UnaryOp))
        ]
        assert len(ops) <= 1, to_source(s)


def test_augmented_assignment_becomes_plain():
    node = normal_form(fx.aug_assign)
    text = to_source(node)
    assert not _all(node, gast.AugAssign)
    for op in ("+=", "-=", "*=", "/=", "**="):
        assert op not in text
    binops = {type(b.op) for b in _all(node, gast.BinOp)}
    assert {gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow} <= binops


def test_if_expression_becomes_if_statement():
    node = normal_form(fx.if_expression)
    assert not _all(node, gast.IfExp)
    ifs = _all(node, gast.If)
    assert len(ifs) == 1 and ifs[0].body and ifs[0].orelse


def test_and_or_become_nested_ifs():
    node = normal_form(fx.bool_ops)
    assert not _all(node, gast.BoolOp)
    assert len(_all(node, gast.If)) >= 4  # one per extra operand of and/or


def test_short_circuit_is_kept():
    # y == 0: `x / y` must never be evaluated (ZeroDivisionError otherwise)
    normalized = compiled(fx.short_circuit, normal_form(fx.short_circuit))
    assert normalized(3.0, 0.0) == fx.short_circuit(3.0, 0.0) == 9.0


def test_chained_comparison_becomes_ifs():
    node = normal_form(fx.chained_compare)
    compares = _all(node, gast.Compare)
    assert len(compares) == 3
    assert all(len(c.ops) == 1 for c in compares)
    # the middle operand is compared twice, from the same atom
    lefts = [to_source(c.left) for c in compares] + [
        to_source(c.comparators[0]) for c in compares
    ]
    assert lefts.count("y") == 2


def test_list_comprehension_becomes_loop_with_append():
    node = normal_form(fx.list_comprehension)
    assert not _all(node, gast.ListComp)
    loops = _all(node, gast.For)
    assert len(loops) == 1
    appends = [
        c
        for c in _all(loops[0], gast.Call)
        if isinstance(c.func, gast.Attribute) and c.func.attr == "append"
    ]
    assert len(appends) == 1
    assert any(isinstance(s, gast.If) for s in gast.walk(loops[0]))  # the `if v > 0`


def test_comprehension_variable_does_not_leak():
    # Python 3 comprehension variables are local to the comprehension: one
    # that the function also uses outside is renamed, a private one is kept
    shadowing = normal_form(fx.comprehension_shadows_a_variable)
    assert any(n.startswith("v_") for n in _locals(shadowing))
    xs = np.array([1.0, 2.0])
    got = compiled(fx.comprehension_shadows_a_variable, shadowing)(xs)
    assert got == fx.comprehension_shadows_a_variable(xs) == 15.0
    private = normal_form(fx.list_comprehension)
    assert "v" in _locals(private)


def test_checker_rejects_nested_operations():
    node = normal_form(fx.straight_line)
    first = node.body[0]
    first.value = gast.BinOp(left=first.value, op=gast.Add(), right=first.value)
    with pytest.raises(AssertionError, match="not one operation"):
        NormalFormChecker(node).check()


def test_enumerate_zip_and_arrays_become_index_loops():
    for func in (fx.enumerate_zip_loops, fx.loop_over_array):
        node = normal_form(func)
        loops = _all(node, gast.For)
        assert loops
        for loop in loops:
            assert to_source(loop.iter).startswith("range(")
        text = to_source(node)
        assert "enumerate(" not in text and "zip(" not in text
        assert "reversed(" not in text


def test_nested_functions_and_lambdas_are_inlined():
    node = normal_form(fx.nested_helpers)
    assert _all(node, gast.FunctionDef) == [node]
    assert not _all(node, gast.Lambda)
    called = {c.func.id for c in _all(node, gast.Call) if isinstance(c.func, gast.Name)}
    assert not called & {"scale", "square"}


def test_docstring_print_assert_pass_and_annotations_are_dropped():
    node = normal_form(fx.noops)
    text = to_source(node)
    assert "A docstring" not in text
    assert "print" not in text
    assert "assert" not in text
    assert "pass" not in text
    assert ": float" not in text
    assert not _all(node, gast.Expr)
    assert [type(s) for s in node.body] == [gast.Assign, gast.Assign, gast.Return]


def test_continue_never_appears_and_rest_moves_into_branch():
    node = normal_form(fx.loop_with_continue)
    assert not _all(node, gast.Continue)
    (loop,) = _all(node, gast.For)
    branch = [s for s in loop.body if isinstance(s, gast.If)]
    assert len(branch) == 1
    # the statements after `continue` now live only in the falling-through branch
    assert "total" in to_source(branch[0].orelse)
    assert "total" not in to_source(branch[0].body)


def test_while_with_continue_has_no_continue():
    node = normal_form(fx.while_break_continue)
    assert not _all(node, gast.Continue)
    assert len(_all(node, gast.Break)) == 1


def test_return_in_loop_becomes_flag_and_break():
    node = normal_form(fx.return_in_loop)
    returns = _all(node, gast.Return)
    assert len(returns) == 1 and node.body[-1] is returns[0]
    assert _all(node, gast.Break)
    (loop,) = _all(node, gast.For)
    assert anno.getanno(loop, anno.ITERATIONS)


def test_many_returns_become_one():
    node = normal_form(fx.many_returns)
    assert len(_all(node, gast.Return)) == 1
    result = anno.getanno(node, anno.RESULT)
    stores = [
        s
        for s in _all(node, gast.Assign)
        if isinstance(s.targets[0], gast.Name) and s.targets[0].id == result
    ]
    assert len(stores) == 3


def test_while_test_is_recomputed_at_end_of_body():
    node = normal_form(fx.while_loop)
    (loop,) = _all(node, gast.While)
    cond = loop.test.id
    last = loop.body[-1]
    assert isinstance(last, gast.Assign) and last.targets[0].id == cond
    counter = anno.getanno(loop, anno.ITERATIONS)
    first = loop.body[0]
    assert to_source(first) == f"{counter} = {counter} + 1"


def test_loop_counter_counts_iterations_of_loop_with_break():
    node = normal_form(fx.loop_with_break)
    (loop,) = _all(node, gast.For)
    counter = anno.getanno(loop, anno.ITERATIONS)
    assert counter
    # run the normalized code and read the counter back
    func = copy.deepcopy(node)
    func.body[-1] = gast.Return(value=gast.Name(counter, gast.Load(), None, None))
    counted = compiled(fx.loop_with_break, func)
    assert counted(0.1) == 7  # 0.26, 0.5, 0.86, 1.4, 2.21, 3.425, then 5.24 > 5
    assert counted(10.0) == 1


def test_swap_uses_temporaries():
    node = normal_form(fx.tuple_swap)
    normalized = compiled(fx.tuple_swap, node)
    assert normalized(1.0, 2.0) == fx.tuple_swap(1.0, 2.0)
    assert not any(
        isinstance(s.targets[0], gast.Tuple) for s in _all(node, gast.Assign)
    )


def test_max_of_three_becomes_two_calls():
    node = normal_form(fx.min_max_calls)
    calls = [
        c
        for c in _all(node, gast.Call)
        if isinstance(c.func, gast.Name) and c.func.id in ("max", "min")
    ]
    assert len(calls) == 4
    assert all(len(c.args) == 2 for c in calls)


def test_extend_becomes_append_loop():
    node = normal_form(fx.list_building)
    text = to_source(node)
    assert ".extend(" not in text
    assert text.count(".append(") == 2


def test_loop_bound_reassigned_in_body_is_copied_first():
    node = normal_form(fx.loop_bound_changes)
    (loop,) = _all(node, gast.For)
    (bound,) = loop.iter.args
    assert isinstance(bound, gast.Name) and bound.id != "n"


def test_normalized_loops_keep_globals_as_references():
    node = normal_form(fx.nested_expressions)
    attrs = [
        a
        for a in _all(node, gast.Attribute)
        if isinstance(a.value, gast.Name) and a.value.id == "np"
    ]
    assert attrs and all(anno.getanno(a, anno.GLOBAL_REF) for a in attrs)
