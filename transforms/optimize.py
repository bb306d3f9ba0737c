"""Optimization of generated code, run to a fixed point.

Every pass takes and returns a list of statements (a function body) and
never changes what the code computes. Calls are taken to be free of effects
unless annotated `anno.IMPURE` (the reverse-mode pass marks random draws and
calls it cannot resolve); identities such as `x * 1.0` are folded only in
statements annotated `anno.GENERATED`. `optimize(body, live_at_exit,
substitutable)` runs them all until nothing changes. `substitutable` names
the variables the compiler invented (temporaries, their adjoints): only those
may be folded away; the user's own variables always stay visible.

While the passes run, `analysis.remember` keeps the names each node reads
and writes, and the last liveness computed: a pass that changes a statement
in place, or removes one, calls `forget(statement)` (before it asks
`reads`/`written` again), which drops that statement's facts, those of every
compound statement and the liveness; the other statements' facts are kept
from pass to pass.

Passes, each as "before => after":

- dead code: `t = e` with `t` never read afterwards => (removed), when `e`
  has no effect (no tape operation, no call marked impure);
- zero adjoints: code linear in an adjoint known to be zero is removed
  (once, on the code as generated);
- shape guards: `shaped(dy, y)` => `dy` where `dy` surely holds a real
  adjoint rather than the scalar zero `0.0`;
- zero propagation: `dx = 0.0; ...; dx = dx + g` => `dx = g` (also
  `add_grad(dx, g)` and `zeros_like(x)`, across branches and loop iterations);
- accumulation merge: `dx = g1; ...; dx = dx + g2` => `dx = g1 + g2` when
  nothing in between reads `dx` or changes what `g1` reads;
- redundant assignment: `v = e; ...; v = e` => `v = e; ...` when nothing in
  between changes `v` or what `e` reads (recomputations for two adjoints);
- copy propagation: `a = b; ...; use(a)` => `use(b)` until `a` or `b` changes;
- forward substitution: `t = e; ...; use(t)` => `use(e)` when `t` is read
  exactly once and nothing in between changes what `e` reads;
- unbroadcast merge: `unbroadcast(a, x) + unbroadcast(b, x)` =>
  `unbroadcast(a + b, x)` when `a` and `b` derive from one adjoint through
  elementwise operations (so they have one shape);
- constant folding: `x + 0.0` => `x`, `x * 1.0` => `x`, `x ** 1` => `x`,
  `2 - 1` => `1` (integers); the identities only in generated statements
  (`anno.GENERATED`): in the user's code `x + 0.0` makes a new array that
  the code may write into, so folding it to `x` would alias; `None is None` => `True`, `if True: A` => `A`,
  `if c: pass` => (nothing), `if c: pass / else: B` => `if not c: B`,
  `for i in range(n): pass` => (nothing).
"""

from __future__ import annotations

import copy

import gast

from transforms import anno
from transforms.analysis import (
    forget,
    liveness,
    nodes,
    read_names,
    remember,
    target_names,
    views,
    written,
)

ZERO_FACTORIES = ("zeros_like",)


# ----- helpers -----


def _is_pure(expr) -> bool:
    for n in nodes(expr):
        if isinstance(n, gast.Call):
            if anno.getanno(n, anno.IMPURE):
                return False
            f = n.func
            if isinstance(f, gast.Attribute) and f.attr in ("pop", "append", "extend"):
                return False
    return True


def _is_zero(expr) -> bool:
    if isinstance(expr, gast.Constant) and not isinstance(expr.value, bool):
        return isinstance(expr.value, (int, float)) and expr.value == 0
    if isinstance(expr, gast.Call) and isinstance(expr.func, gast.Name):
        return expr.func.id in ZERO_FACTORIES
    return False


def _is_const(expr, value) -> bool:
    return (
        isinstance(expr, gast.Constant)
        and not isinstance(expr.value, bool)
        and isinstance(expr.value, (int, float))
        and expr.value == value
    )


def _simple_assign(s):
    """(name, value) for `name = value`, else None."""
    if (
        isinstance(s, gast.Assign)
        and len(s.targets) == 1
        and isinstance(s.targets[0], gast.Name)
    ):
        return s.targets[0].id, s.value
    return None


def _accumulation(s):
    """(name, increment, helper) for `v = v + g`, `v = v - g` (helper "sub") or
    `v = add_grad(v, g)` (helper "add_grad")."""
    pair = _simple_assign(s)
    if pair is None:
        return None
    v, value = pair
    if (
        isinstance(value, gast.BinOp)
        and isinstance(value.op, (gast.Add, gast.Sub))
        and isinstance(value.left, gast.Name)
        and value.left.id == v
        and v not in read_names(value.right)
    ):
        return v, value.right, "sub" if isinstance(value.op, gast.Sub) else None
    if (
        isinstance(value, gast.Call)
        and isinstance(value.func, gast.Name)
        and value.func.id == "add_grad"
        and len(value.args) == 2
        and isinstance(value.args[0], gast.Name)
        and value.args[0].id == v
        and v not in read_names(value.args[1])
    ):
        return v, value.args[1], "add_grad"
    return None


def _blocks(stmts):
    """Every statement list in a body, outermost first."""
    yield stmts
    for s in stmts:
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if inner:
                yield from _blocks(inner)


def _direct_exprs(s):
    """The expressions a statement evaluates itself (not in nested blocks)."""
    if isinstance(s, gast.Assign):
        out = [s.value]
        target = s.targets[0]
        if isinstance(target, gast.Subscript):
            out += [target.value, target.slice]
        return out
    if isinstance(s, gast.Expr):
        return [s.value]
    if isinstance(s, gast.If):
        return [s.test]
    if isinstance(s, gast.For):
        return [s.iter]
    if isinstance(s, gast.Return) and s.value is not None:
        return [s.value]
    return []


def _count_reads(node, var) -> int:
    return sum(
        1
        for n in nodes(node)
        if isinstance(n, gast.Name) and n.id == var and isinstance(n.ctx, gast.Load)
    )


class _Replace(gast.NodeTransformer):
    def __init__(self, var, value):
        self.var = var
        self.value = value

    def visit_Name(self, node):
        if node.id == self.var and isinstance(node.ctx, gast.Load):
            return copy.deepcopy(self.value)
        return node


def _calls(node, func) -> bool:
    """Whether `node` is a call of the plain name `func`."""
    return (
        node.__class__ is gast.Call
        and node.func.__class__ is gast.Name
        and node.func.id == func
    )


def _replace_in(node, var, value):
    return _Replace(var, value).visit(node)


def _replace_direct(s, var, value):
    """Replace reads of `var` in the statement's own expressions."""
    if isinstance(s, gast.Assign):
        s.value = _replace_in(s.value, var, value)
        target = s.targets[0]
        if isinstance(target, gast.Subscript):
            target.value = _replace_in(target.value, var, value)
            target.slice = _replace_in(target.slice, var, value)
    elif isinstance(s, gast.Expr):
        s.value = _replace_in(s.value, var, value)
    elif isinstance(s, gast.If):
        s.test = _replace_in(s.test, var, value)
    elif isinstance(s, gast.For):
        s.iter = _replace_in(s.iter, var, value)
    elif isinstance(s, gast.Return) and s.value is not None:
        s.value = _replace_in(s.value, var, value)


# ----- passes -----


def dead_code(body, live_at_exit):
    changed = False
    while True:
        live = liveness(body, live_at_exit)
        removed = []
        for block in _blocks(body):
            keep = []
            for s in block:
                if isinstance(s, gast.Assign) and not isinstance(
                    s.targets[0], gast.Subscript
                ):
                    names = target_names(s.targets[0])
                    if names and not (names & live.live_out(s)) and _is_pure(s.value):
                        if anno.getanno(s, anno.TAPE_ID) is None:
                            removed.append(s)
                            continue
                keep.append(s)
            block[:] = keep
        if not removed:
            return changed
        forget(*removed)
        changed = True


def zero_propagation(body):
    """Rewrite accumulations into variables known to hold zero.

    A zero of a shape (`zeros_like(x)`) is kept when what is added may be the
    scalar zero `0.0`: the sum must keep `x`'s shape.
    """
    state = {"changed": False}
    facts = scalar_zero_facts(body)
    shaped_zero: set[str] = set()

    def run_block(stmts, zeros, rewrite):
        for s in stmts:
            zeros = run_stmt(s, zeros, rewrite)
        return zeros

    def run_stmt(s, zeros, rewrite):
        acc = _accumulation(s)
        if acc is not None:
            v, increment, helper = acc
            keeps_shape = v in shaped_zero and _maybe_scalar_zero(
                increment, facts.get(id(s), frozenset())
            )
            if v in zeros and rewrite and not keeps_shape:
                if helper == "sub":
                    increment = gast.UnaryOp(op=gast.USub(), operand=increment)
                s.value = increment
                state["changed"] = True
                forget(s)
            return zeros - {v}
        pair = _simple_assign(s)
        if pair is not None:
            v, value = pair
            zeros = zeros - {v}
            if _is_zero(value):
                zeros = zeros | {v}
                if isinstance(value, gast.Call):
                    shaped_zero.add(v)
            return zeros
        if isinstance(s, gast.If):
            a = run_block(s.body, set(zeros), rewrite)
            b = run_block(s.orelse, set(zeros), rewrite)
            return a & b
        if isinstance(s, (gast.For, gast.While)):
            head = set(zeros)
            while True:
                out = run_block(s.body, set(head), False)
                new = head & out
                if new == head:
                    break
                head = new
            run_block(s.body, set(head), rewrite)
            return head
        return zeros - written([s])

    run_block(body, set(), True)
    return state["changed"]


def zero_adjoints(body):
    """Adjoint code fed by an adjoint known to be zero contributes nothing.

    `dy = 0.0; ...; dx = dx + f(dy)` => `dy = 0.0; ...` and
    `g = f(dy)` => `g = 0.0`, for statements the reverse pass marked as
    linear in `dy` (`anno.ZERO_IF`). Run on the code as generated, before
    any other rewrite moves expressions between statements; the marks are
    removed afterwards.
    """
    state = {"changed": False}

    def run_block(stmts, zeros, rewrite=True):
        """The zeros after `stmts`; with `rewrite`, also prune the statements."""
        out = []
        for s in stmts:
            zero_if = anno.getanno(s, anno.ZERO_IF)
            if zero_if is not None and zero_if in zeros and isinstance(s, gast.Assign):
                target = s.targets[0]
                if isinstance(target, gast.Name) and target.id in read_names(s.value):
                    state["changed"] |= rewrite
                    continue  # dx = dx + 0, dx = add_at(dx, x, i, 0): unchanged
                if not rewrite:
                    zeros = zeros | target_names(target)
                    continue
                state["changed"] = True
                for name_ in sorted(target_names(target)):
                    out.append(
                        gast.Assign(
                            targets=[
                                gast.Name(
                                    id=name_,
                                    ctx=gast.Store(),
                                    annotation=None,
                                    type_comment=None,
                                )
                            ],
                            value=gast.Constant(value=0.0, kind=None),
                            type_comment=None,
                        )
                    )
                    zeros = zeros | {name_}
                continue
            zeros = step(s, zeros, rewrite)
            out.append(s)
        if rewrite:
            stmts[:] = out
        return zeros

    def step(s, zeros, rewrite):
        pair = _simple_assign(s)
        if pair is not None:
            v, value = pair
            return (zeros - {v}) | ({v} if _is_zero(value) else set())
        if isinstance(s, gast.If):
            return run_block(s.body, set(zeros), rewrite) & run_block(
                s.orelse, set(zeros), rewrite
            )
        if isinstance(s, (gast.For, gast.While)):
            # zero at the loop head only if zero on entry and after the body;
            # the body is pruned under that (conservative) assumption
            head = set(zeros)
            while True:
                new = head & run_block(s.body, set(head), rewrite=False)
                if new == head:
                    break
                head = new
            if rewrite:
                run_block(s.body, set(head))
            return head
        return zeros - written([s])

    run_block(body, set())
    for s in _blocks(body):
        for st in s:
            anno.delanno(st, anno.ZERO_IF)
    return state["changed"]


def _maybe_scalar_zero(expr, maybe) -> bool:
    """Whether `expr` may evaluate to the scalar zero `0.0`, given the variables
    that may hold it: a sum only if both terms may, a product if a factor may."""
    if isinstance(expr, gast.Constant):
        return _is_zero(expr)
    if isinstance(expr, gast.Name):
        return expr.id in maybe
    if isinstance(expr, gast.BinOp):
        left = _maybe_scalar_zero(expr.left, maybe)
        right = _maybe_scalar_zero(expr.right, maybe)
        if isinstance(expr.op, (gast.Add, gast.Sub)):
            return left and right
        return left or right
    if isinstance(expr, gast.UnaryOp):
        return _maybe_scalar_zero(expr.operand, maybe)
    if isinstance(expr, gast.Call):
        func = expr.func.id if isinstance(expr.func, gast.Name) else None
        if anno.getanno(expr, anno.SHAPE_GUARD) or func in ZERO_FACTORIES:
            return False
        if func == "add_grad":
            return all(_maybe_scalar_zero(a, maybe) for a in expr.args)
        # helpers take the adjoint first (`add_at(dx, ...)`, `unbroadcast(g, x)`)
        return bool(expr.args) and _maybe_scalar_zero(expr.args[0], maybe)
    return bool(read_names(expr) & maybe)


def scalar_zero_facts(body) -> dict:
    """For each statement (by id), the variables that may hold the scalar zero
    `0.0` just before it: assigned `0.0` on some path, or computed from such a
    variable (a forward dataflow; loops to a fixed point)."""
    facts: dict[int, frozenset] = {}

    def run_block(stmts, maybe):
        for s in stmts:
            facts[id(s)] = frozenset(maybe)
            maybe = run_stmt(s, maybe)
        return maybe

    def run_stmt(s, maybe):
        if isinstance(s, gast.Assign):
            names = target_names(s.targets[0])
            if not names:
                return maybe
            if _maybe_scalar_zero(s.value, maybe):
                return maybe | names
            return maybe - names
        if isinstance(s, gast.If):
            return run_block(s.body, set(maybe)) | run_block(s.orelse, set(maybe))
        if isinstance(s, (gast.For, gast.While)):
            head = set(maybe)
            while True:
                new = head | run_block(s.body, set(head))
                if new == head:
                    return head
                head = new
        return maybe  # calls for their effect change containers, not zeros

    run_block(body, set())
    return facts


def shape_guards(body):
    """`shaped(dy, y)` => `dy` where `dy` surely holds a real adjoint, not 0.0."""
    facts = scalar_zero_facts(body)
    changed = False

    class Drop(gast.NodeTransformer):
        def __init__(self, maybe):
            self.maybe = maybe
            self.dropped = False

        def visit_Call(self, node):
            self.generic_visit(node)
            if anno.getanno(node, anno.SHAPE_GUARD):
                if not _maybe_scalar_zero(node.args[0], self.maybe):
                    self.dropped = True
                    return node.args[0]
            return node

    for block in _blocks(body):
        for s in block:
            if not isinstance(s, (gast.Assign, gast.Expr)):
                continue
            drop = Drop(facts.get(id(s), frozenset()))
            s.value = drop.visit(s.value)
            if drop.dropped:
                forget(s)
                changed = True
    return changed


def merge_accumulations(body):
    """`v = g1; ...; v = v + g2` => `v = g1 + g2` within one block."""
    changed = False
    for block in _blocks(body):
        facts = None  # (reads, writes) of each statement, until a merge
        i = 0
        while i < len(block):
            pair = _simple_assign(block[i])
            if pair is None or anno.getanno(block[i], anno.TAPE_ID) is not None:
                i += 1
                continue
            v, first = pair
            if not _is_pure(first):
                i += 1
                continue
            needs = read_names(first) | {v}
            merged = False
            if facts is None:
                facts = [(read_names(st), written([st])) for st in block]
            for j in range(i + 1, len(block)):
                s = block[j]
                acc = _accumulation(s)
                if acc is not None and acc[0] == v:
                    _, increment, helper = acc
                    if helper == "add_grad":
                        s.value = gast.Call(
                            func=gast.Name(
                                id="add_grad",
                                ctx=gast.Load(),
                                annotation=None,
                                type_comment=None,
                            ),
                            args=[first, increment],
                            keywords=[],
                        )
                    else:
                        op = gast.Sub() if helper == "sub" else gast.Add()
                        s.value = gast.BinOp(left=first, op=op, right=increment)
                    del block[i]
                    merged = changed = True
                    break
                if v in facts[j][0] or (facts[j][1] & needs):
                    break
            if not merged:
                i += 1
            else:  # block[i] was merged into block[j], now block[j - 1]
                forget(block[j - 1])
                del facts[i]
                facts[j - 1] = (read_names(block[j - 1]), written([block[j - 1]]))
    return changed


def copy_propagation(body, substitutable):
    changed = False
    for block in _blocks(body):
        writes = None  # what each statement writes: replacing reads keeps it
        for i, s in enumerate(block):
            pair = _simple_assign(s)
            if pair is None or not isinstance(pair[1], gast.Name):
                continue
            a, b = pair[0], pair[1].id
            if a not in substitutable or a == b:
                continue
            if anno.getanno(s, anno.TAPE_ID) is not None:
                continue
            for k in range(i + 1, len(block)):
                later = block[k]
                if writes is None:
                    writes = [written([st]) for st in block]
                w = writes[k]
                if a in w or b in w:
                    if isinstance(later, gast.Assign) and _count_reads(later.value, a):
                        forget(later)
                        _replace_direct(
                            later,
                            a,
                            gast.Name(
                                id=b,
                                ctx=gast.Load(),
                                annotation=None,
                                type_comment=None,
                            ),
                        )
                        changed = True
                    break
                if _count_reads(later, a):
                    forget(later)
                    _Replace(
                        a,
                        gast.Name(
                            id=b, ctx=gast.Load(), annotation=None, type_comment=None
                        ),
                    ).visit(later)
                    changed = True
    return changed


def forward_substitution(body, substitutable, live_at_exit):
    changed = False
    while True:
        live = liveness(body, live_at_exit)
        aliases = _Lazy(lambda: views(body))
        if not _substitute_pass(body, substitutable, live, aliases):
            return changed
        changed = True


def _read_counts(stmt) -> dict:
    counts: dict[str, int] = {}
    for n in nodes(stmt):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
            counts[n.id] = counts.get(n.id, 0) + 1
    return counts


def _substitute_pass(body, substitutable, live, aliases) -> bool:
    """One sweep of substitutions; a substitution never invalidates the
    liveness facts the later ones rely on (a value only moves later, into the
    one statement that read it), so one liveness computation serves the sweep."""
    changed = False
    for block in _blocks(body):
        writes = [written([s]) for s in block]
        counts = [None] * len(block)  # each statement's read counts, when needed
        i = 0
        while i < len(block):
            if _substitute_at(block, i, writes, counts, substitutable, live, aliases):
                del block[i], writes[i], counts[i]
                changed = True
            else:
                i += 1
    return changed


def _substitute_at(block, i, writes, counts, substitutable, live, aliases) -> bool:
    pair = _simple_assign(block[i])
    if pair is None:
        return False
    t, value = pair
    if t not in substitutable:
        return False
    if anno.getanno(block[i], anno.TAPE_ID) is not None or t in read_names(value):
        return False
    total = 0
    use = None
    for j in range(i + 1, len(block)):
        n = 0
        if t in read_names(block[j]):
            if counts[j] is None:
                counts[j] = _read_counts(block[j])
            n = counts[j].get(t, 0)
        if n:
            total += n
            if use is None:
                use = j
        if t in writes[j]:
            break
    if total != 1 or use is None:
        return False
    target = block[use]
    if not _is_pure(value) and (
        # a call with effects (a helper's gradient) moves only into the next
        # statement, and only where nothing else there has effects: the order
        # of effects stays the same (`dx_h = dh(x); dx = dx_h` => `dx = dh(x)`);
        # list operations (`_tape.pop()`) stay statements of their own
        any(
            isinstance(n, gast.Call)
            and isinstance(n.func, gast.Attribute)
            and not _is_pure(n)
            for n in nodes(value)
        )
        or use != i + 1
        or isinstance(target, gast.While)
        or not all(_is_pure(e) for e in _direct_exprs(target))
    ):
        return False
    if isinstance(target, gast.For) or t in live.live_out(target):
        return False
    if sum(_count_reads(e, t) for e in _direct_exprs(target)) != 1:
        return False
    deps = read_names(value) | {t}
    if any(writes[k] & deps for k in range(i + 1, use)):
        return False
    # an index write into `y` changes what a view of it (`v = y[1:3]`) holds
    if any(_writes_into(block[k]) for k in range(i + 1, use)):
        views_of = aliases.get()
        deps = {c for r in deps for c in views_of.get(r, ())}
        if any(writes[k] & deps for k in range(i + 1, use)):
            return False
    forget(target)
    _replace_direct(target, t, value)
    counts[use] = None
    return True


def _writes_into(stmt) -> bool:
    """Whether `stmt` may write into a container in place (`y[i] = v`, a call;
    not a tape push, as nothing else refers to the tape)."""
    if isinstance(stmt, gast.Assign):
        return isinstance(stmt.targets[0], gast.Subscript)
    return isinstance(stmt, gast.Expr) and anno.getanno(stmt, anno.TAPE_ID) is None


class _Lazy:
    """A value computed on first use."""

    def __init__(self, make):
        self._make = make
        self._value = None

    def get(self):
        if self._value is None:
            self._value = self._make()
        return self._value


def _is_number(expr) -> bool:
    return (
        isinstance(expr, gast.Constant)
        and isinstance(expr.value, (int, float))
        and not isinstance(expr.value, bool)
    )


def _fold_numbers(a, op, b):
    """`2 - 1` => `1`: exact integer arithmetic only, so no rounding is introduced."""
    if not (isinstance(a, int) and isinstance(b, int)):
        return None
    if isinstance(op, gast.Add):
        return a + b
    if isinstance(op, gast.Sub):
        return a - b
    if isinstance(op, gast.Mult):
        return a * b
    return None


def _foldable(node) -> bool:
    """Whether an expression holds something `constant_folding` may fold: an
    operation with a number operand, or a comparison of constants."""
    for n in nodes(node):
        cls = n.__class__
        if cls is gast.BinOp:
            if n.left.__class__ is gast.Constant or n.right.__class__ is gast.Constant:
                return True
        elif cls is gast.Compare and n.left.__class__ is gast.Constant:
            return True
    return False


def constant_folding(body):
    changed = False
    folded = 0  # folds so far: a statement whose visit adds one is forgotten

    class Fold(gast.NodeTransformer):
        def visit_Compare(self, node):
            nonlocal folded
            self.generic_visit(node)
            if (
                len(node.ops) == 1
                and isinstance(node.ops[0], (gast.Is, gast.IsNot))
                and isinstance(node.left, gast.Constant)
                and isinstance(node.comparators[0], gast.Constant)
            ):
                same = node.left.value is node.comparators[0].value
                folded += 1
                value = same if isinstance(node.ops[0], gast.Is) else not same
                return gast.Constant(value=value, kind=None)
            return node

        def visit_BinOp(self, node):
            nonlocal folded
            self.generic_visit(node)
            op = node.op
            if _is_number(node.left) and _is_number(node.right):
                number = _fold_numbers(node.left.value, op, node.right.value)
                if number is not None:
                    folded += 1
                    return gast.Constant(value=number, kind=None)
            if not self.identities:
                return node
            if isinstance(op, gast.Pow) and _is_const(node.right, 1):
                folded += 1
                return node.left
            if isinstance(op, gast.Add):
                if _is_const(node.right, 0) and not _is_const(node.left, 0):
                    folded += 1
                    return node.left
                if _is_const(node.left, 0):
                    folded += 1
                    return node.right
            if isinstance(op, gast.Mult):
                if _is_const(node.right, 1):
                    folded += 1
                    return node.left
                if _is_const(node.left, 1):
                    folded += 1
                    return node.right
            if isinstance(op, gast.Sub) and _is_const(node.right, 0):
                folded += 1
                return node.left
            if isinstance(op, gast.Div) and _is_const(node.right, 1):
                folded += 1
                return node.left
            return node

    folder = Fold()
    for block in _blocks(body):
        new = []
        for s in block:
            # `x + 0.0` is a new array in the user's code: folding it to `x`
            # would alias a value the code may later write into
            folder.identities = anno.getanno(s, anno.GENERATED, False)
            before = folded
            # the statement's own expressions (nested blocks are blocks of their own)
            for field in s._fields:
                if field in ("body", "orelse"):
                    continue
                value = getattr(s, field, None)
                if isinstance(value, gast.expr) and _foldable(value):
                    setattr(s, field, folder.visit(value))
                elif isinstance(value, list):
                    value[:] = [
                        folder.visit(v)
                        if isinstance(v, gast.expr) and _foldable(v)
                        else v
                        for v in value
                    ]
            if folded != before:
                forget(s)
                changed = True
            if isinstance(s, gast.If) and isinstance(s.test, gast.Constant):
                new.extend(s.body if s.test.value else s.orelse)
                forget(s)
                changed = True
                continue
            if isinstance(s, gast.For) and _empty(s.body) and _is_pure(s.iter):
                forget(s)
                changed = True
                continue  # for i in reversed(range(n)): pass  =>  (nothing)
            if isinstance(s, gast.If) and _empty(s.body) and _is_pure(s.test):
                forget(s)
                if _empty(s.orelse):
                    changed = True
                    continue  # if c: pass  =>  (nothing)
                # if c: pass / else: B  =>  if not c: B
                s.test = gast.UnaryOp(op=gast.Not(), operand=s.test)
                s.body, s.orelse = s.orelse, []
                changed = True
            new.append(s)
        block[:] = new
    return changed


def _empty(block) -> bool:
    return all(isinstance(s, gast.Pass) or anno.hasanno(s, anno.COMMENT) for s in block)


def redundant_assignments(body):
    """`v = e; ...; v = e` => `v = e; ...` when nothing in between changes `v` or what `e` reads."""
    changed = False
    for block in _blocks(body):
        writes = None  # the names each statement writes, once per block
        i = 0
        while i < len(block):
            pair = _simple_assign(block[i])
            if (
                pair is None
                or not _is_pure(pair[1])
                or anno.getanno(block[i], anno.TAPE_ID) is not None
            ):
                i += 1
                continue
            v, value = pair
            if isinstance(value, gast.Name) and value.id == v:  # `v = v`
                forget(block[i])
                del block[i]
                writes = None
                changed = True
                continue
            if v in read_names(value):  # `y = y @ M` twice is two steps
                i += 1
                continue
            text = None
            guard = read_names(value) | {v}
            if writes is None:
                writes = [written([s]) for s in block]
            j = i + 1
            while j < len(block):
                later = block[j]
                again = _simple_assign(later)
                if (
                    again is not None
                    and again[0] == v
                    and anno.getanno(later, anno.TAPE_ID) is None
                ):
                    if text is None:
                        text = gast.dump(value)
                    if gast.dump(again[1]) == text:
                        forget(later)
                        del block[j], writes[j]
                        changed = True
                        continue
                if writes[j] & guard:
                    break
                j += 1
            i += 1
    return changed


def merge_unbroadcasts(body):
    """`unbroadcast(a, x) + unbroadcast(b, x)` => `unbroadcast(a + b, x)`, and
    `unbroadcast(-g, x)` => `-unbroadcast(g, x)` (one negation of the smaller value).

    Only when both calls carry the same `UNBROADCAST_ROOT`: then `a` and `b`
    have one shape, and reducing their sum equals summing their reductions.
    """
    changed = False

    def key(term):
        if isinstance(term, gast.Call) and anno.hasanno(term, anno.UNBROADCAST_ROOT):
            x = term.args[1]
            if isinstance(x, gast.Name):
                return (anno.getanno(term, anno.UNBROADCAST_ROOT), x.id)
        return None

    class Merge(gast.NodeTransformer):
        def visit_Call(self, node):
            # `unbroadcast(-g, x)` => `-unbroadcast(g, x)`: negate the reduced value
            self.generic_visit(node)
            if (
                isinstance(node.func, gast.Name)
                and node.func.id == "unbroadcast"
                and len(node.args) == 2
                and isinstance(node.args[0], gast.UnaryOp)
                and isinstance(node.args[0].op, gast.USub)
            ):
                node.args[0] = node.args[0].operand
                self.changed = True
                return gast.UnaryOp(op=gast.USub(), operand=node)
            return node

        def visit_BinOp(self, node):
            self.generic_visit(node)
            if not isinstance(node.op, gast.Add):
                return node
            terms = []

            def flatten(n):
                if isinstance(n, gast.BinOp) and isinstance(n.op, gast.Add):
                    flatten(n.left)
                    flatten(n.right)
                else:
                    terms.append(n)

            flatten(node)
            merged, seen = [], {}
            for t in terms:
                k = key(t)
                if k is not None and k in seen:
                    first = seen[k]
                    first.args[0] = gast.BinOp(
                        left=first.args[0], op=gast.Add(), right=t.args[0]
                    )
                    self.changed = True
                    continue
                if k is not None:
                    seen[k] = t
                merged.append(t)
            if len(merged) == len(terms):
                return node
            out = merged[0]
            for t in merged[1:]:
                out = gast.BinOp(left=out, op=gast.Add(), right=t)
            return out

    merger = Merge()
    for s in body:
        if not any(_calls(n, "unbroadcast") for n in nodes(s)):
            continue
        merger.changed = False
        merger.visit(s)
        if merger.changed:
            forget(s)
            changed = True
    return changed


# helpers that read an argument only for its shape (and floating dtype)
_SHAPE_ONLY = {"unbroadcast": 1, "mean_grad": 1, "unreduce": 1, "shaped": 1}


def plus_minus(body):
    """`a + -b` => `a - b`; `--a` => `a`."""
    changed = False

    class DoubleNegation(gast.NodeTransformer):
        def visit_UnaryOp(self, node):
            self.generic_visit(node)
            inner = node.operand
            if (
                isinstance(node.op, gast.USub)
                and isinstance(inner, gast.UnaryOp)
                and isinstance(inner.op, gast.USub)
            ):
                self.changed = True
                return inner.operand
            return node

    negation = DoubleNegation()
    for s in body:
        if not any(n.__class__ is gast.USub for n in nodes(s)):
            continue
        negation.changed = False
        negation.visit(s)
        for n in nodes(s):
            if (
                isinstance(n, gast.BinOp)
                and isinstance(n.op, gast.Add)
                and isinstance(n.right, gast.UnaryOp)
                and isinstance(n.right.op, gast.USub)
            ):
                n.op = gast.Sub()
                n.right = n.right.operand
                negation.changed = True
        if negation.changed:
            forget(s)
            changed = True
    return changed


def _leftmost_factor(expr):
    """`g` of a product `g * a * b` (`(g * a) * b`), with the other factors."""
    factors = []
    while isinstance(expr, gast.BinOp) and isinstance(expr.op, gast.Mult):
        factors.append(expr.right)
        expr = expr.left
    if not factors or not isinstance(expr, gast.Name):
        return None, None
    rest = factors.pop()
    while factors:
        rest = gast.BinOp(left=rest, op=gast.Mult(), right=factors.pop())
    return expr, rest


def common_factors(body):
    """`g * a + g * b` => `g * (a + b)` (also with `-`): one product fewer;
    `v + v` => `2 * v`.

    In generated statements only (the primal's own arithmetic stays as
    written); `g` is a variable, the first factor of both products (the
    adjoint that two contributions to one adjoint share). Products here are
    elementwise, so the two sides have one value and one broadcast shape.
    """
    changed = False

    class Factor(gast.NodeTransformer):
        def visit_BinOp(self, node):
            self.generic_visit(node)
            if not isinstance(node.op, (gast.Add, gast.Sub)):
                return node
            if (  # `v + v` => `2 * v`
                isinstance(node.op, gast.Add)
                and isinstance(node.left, gast.Name)
                and isinstance(node.right, gast.Name)
                and node.left.id == node.right.id
            ):
                self.changed = True
                two = gast.Constant(value=2, kind=None)
                return gast.BinOp(left=two, op=gast.Mult(), right=node.left)
            g, a = _leftmost_factor(node.left)
            h, b = _leftmost_factor(node.right)
            if g is None or h is None or g.id != h.id:
                return node
            self.changed = True
            total = gast.BinOp(left=a, op=node.op, right=b)
            return gast.BinOp(left=g, op=gast.Mult(), right=total)

    factor = Factor()
    for block in _blocks(body):
        for s in block:
            if not (
                isinstance(s, gast.Assign) and anno.getanno(s, anno.GENERATED, False)
            ):
                continue
            factor.changed = False
            s.value = factor.visit(s.value)
            if factor.changed:
                forget(s)
                changed = True
    return changed


def shape_only_arguments(body):
    """`mean_grad(g, x ** 2, ...)` => `mean_grad(g, x, ...)`.

    An argument read only for its shape need not be computed: an elementwise
    operation of one variable and a number has that variable's shape.
    """
    changed = False

    def same_shape(arg):
        if isinstance(arg, gast.UnaryOp) and isinstance(arg.operand, gast.Name):
            return arg.operand
        if isinstance(arg, gast.Call) and anno.getanno(arg, anno.ELEMENTWISE):
            names = [a for a in arg.args if not _is_number(a)]
            if len(names) == 1 and isinstance(names[0], gast.Name) and not arg.keywords:
                return names[0]
        if (
            isinstance(arg, gast.BinOp)
            and isinstance(arg.left, gast.Name)
            and isinstance(arg.right, gast.Name)
            and arg.left.id == arg.right.id
            and not isinstance(arg.op, gast.MatMult)
        ):
            return arg.left
        if isinstance(arg, gast.BinOp) and isinstance(
            arg.op, (gast.Add, gast.Sub, gast.Mult, gast.Div, gast.Pow)
        ):
            if isinstance(arg.left, gast.Name) and _is_number(arg.right):
                return arg.left
            if isinstance(arg.right, gast.Name) and _is_number(arg.left):
                return arg.right
        return None

    for s in body:
        simplified = False
        for n in nodes(s):
            if (
                isinstance(n, gast.Call)
                and isinstance(n.func, gast.Name)
                and n.func.id in _SHAPE_ONLY
                and len(n.args) > _SHAPE_ONLY[n.func.id]
            ):
                k = _SHAPE_ONLY[n.func.id]
                simpler = same_shape(n.args[k])
                if simpler is not None:
                    n.args[k] = gast.Name(
                        id=simpler.id,
                        ctx=gast.Load(),
                        annotation=None,
                        type_comment=None,
                    )
                    simplified = True
        if simplified:
            forget(s)
            changed = True
    return changed


def _jumps(stmt) -> bool:
    """Whether `stmt` may leave its block other than at its end."""
    return any(
        isinstance(n, (gast.Break, gast.Continue, gast.Return, gast.Raise))
        for n in gast.walk(stmt)
    )


def sink_resets(body):
    """`dv = 0.0` moves down its block past the compiler's assignments that
    neither read nor write `dv`, so that a copy taken just above it
    (`dt = dv; dv = 0.0; f(dt)`) can be propagated: `f(dv); dv = 0.0`.
    Resets keep their order among themselves; the function's own block, where
    the adjoints start at zero, is left as it is."""
    changed = False
    for block in list(_blocks(body))[1:]:
        i = 0
        while i < len(block):
            s = block[i]
            if not _is_reset(s):
                i += 1
                continue
            v = _simple_assign(s)[0]
            k = i + 1
            while k < len(block):
                later = block[k]
                if anno.hasanno(later, anno.COMMENT):
                    k += 1
                    continue
                if (
                    _is_reset(later)
                    or not isinstance(later, gast.Assign)
                    or not anno.getanno(later, anno.GENERATED)
                    or v in read_names(later)
                    or v in written([later])
                    or _jumps(later)
                ):
                    break
                k += 1
            while k > i + 1 and anno.hasanno(block[k - 1], anno.COMMENT):
                k -= 1  # not below a comment that heads what follows
            if k > i + 1:
                forget(s)
                block.insert(k, s)
                del block[i]
                changed = True
                continue  # the statement now at i has not been looked at
            i += 1
    return changed


def _is_reset(s) -> bool:
    pair = _simple_assign(s)
    return (
        pair is not None
        and _is_const(pair[1], 0.0)
        and anno.getanno(s, anno.GENERATED)
        and anno.getanno(s, anno.TAPE_ID) is None
    )


def optimize(body, live_at_exit, substitutable, max_rounds=20):
    """Run every pass until none changes the code."""
    zero_adjoints(body)
    remember(True)
    try:
        return _fixed_point(body, live_at_exit, substitutable, max_rounds)
    finally:
        remember(False)


def _fixed_point(body, live_at_exit, substitutable, max_rounds):
    passes = [
        lambda: constant_folding(body),
        lambda: zero_propagation(body),
        lambda: dead_code(body, live_at_exit),
        lambda: merge_accumulations(body),
        lambda: copy_propagation(body, substitutable),
        lambda: dead_code(body, live_at_exit),
        lambda: forward_substitution(body, substitutable, live_at_exit),
        lambda: merge_unbroadcasts(body),
        lambda: shape_only_arguments(body),
        lambda: plus_minus(body),
        lambda: common_factors(body),
        lambda: redundant_assignments(body),
        lambda: sink_resets(body),
        lambda: shape_guards(body),
    ]
    # A pass that found nothing to do finds nothing again until another pass
    # changes the code: it is skipped until then (the same result, sooner).
    changes = 0
    idle_since = {}  # pass -> the number of changes when it last found nothing
    for _ in range(max_rounds):
        changed = False
        for k, run in enumerate(passes):
            if idle_since.get(k) == changes:
                continue
            if run():
                # each pass has forgotten what it changed (`forget(statement)`)
                changes += 1
                changed = True
            else:
                idle_since[k] = changes
        if not changed:
            break
    return body


# ----- derivatives that are zero by shift invariance -----

# How a value changes when the variable `m` under study changes by `delta`:
_INV = ("inv", 0)  # not at all (`inv`), by `k * delta` (`shift`), or by the
# factor `exp(k * delta)` (`scale`); None: in some other way (unknown)


def _shift(k):
    return _INV if k == 0 else ("shift", k)


def _scale(k):
    return _INV if k == 0 else ("scale", k)


def _literal_axes(expr):
    """The axes of an `axis=` argument written as integer literals, else None."""
    if isinstance(expr, gast.Constant) and type(expr.value) is int:
        return frozenset([expr.value])
    if isinstance(expr, gast.Tuple) and all(
        isinstance(e, gast.Constant) and type(e.value) is int for e in expr.elts
    ):
        return frozenset(e.value for e in expr.elts)
    return None


def _reduction_options(call):
    """(axis expression or None, keepdims literal or None) of a reduction call
    `f(x, axis=..., keepdims=...)`; `False` when other arguments are given."""
    if len(call.args) != 1:
        return False
    axis, keepdims = None, False
    for kw in call.keywords:
        if kw.arg == "axis":
            axis = kw.value
        elif kw.arg == "keepdims":
            if not isinstance(kw.value, gast.Constant):
                return False
            keepdims = kw.value.value is True
        else:
            return False
    return axis, keepdims


def zero_derivatives(func, wrt, kind_of):
    """Variables whose value provably does not change the function's result:
    the derivative of the result with respect to each is zero.

    A variable `m` qualifies when the result is invariant under `m -> m + delta`,
    derived statement by statement from algebraic rules, whatever `m` is
    used for: `x - m` shifts by `-delta`, `exp` turns a shift into a positive
    factor and `log` a factor back into a shift, sums and means along axes
    where `delta` is constant keep a factor, means and extrema keep a shift,
    a difference of equal shifts and a ratio of equal factors are invariant,
    and anything computed from invariant values only is invariant. The
    classic instance: the maximum subtracted before a log-sum-exp
    (`z = x - max(x)`, `z - log(sum(exp(z)))`) does not change its value, so
    no gradient flows through the maximum.

    `m` must be assigned once, at the top level, by a reduction with literal
    `axis` and `keepdims=True` (its `delta` is then constant along those axes,
    and values derived from it keep its number of dimensions) or by a full
    reduction (a number); the code after it must be straight-line where it
    reads values that change with `m`. `kind_of(call.func)` names what a call
    computes ("exp", "log", "sum", "mean", "extremum"), or None.
    """
    body = func.body
    params = {a.id for a in func.args.args}
    stores: dict[str, int] = {}
    for n in nodes(func):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
            stores[n.id] = stores.get(n.id, 0) + 1
    zero = set()
    for i, s in enumerate(body):
        pair = _simple_assign(s)
        if pair is None or not isinstance(pair[1], gast.Call):
            continue
        m, call = pair
        if m in params or m in wrt or stores.get(m) != 1:
            continue
        if kind_of(call.func) not in ("sum", "mean", "extremum"):
            continue
        options = _reduction_options(call)
        if options is False or not isinstance(call.args[0], gast.Name):
            continue
        axis, keepdims = options
        if axis is None and not keepdims:
            axes = None  # a number: delta is the same everywhere
        elif keepdims and _literal_axes(axis) is not None:
            axes = _literal_axes(axis)
        else:
            continue
        if _invariant_after(body[i + 1 :], m, call.args[0].id, axes, kind_of):
            zero.add(m)
    return zero


def _invariant_after(stmts, m, source, axes, kind_of) -> bool:
    """Whether the value returned by `stmts` is invariant under `m -> m + delta`.

    `axes`: where `delta` is constant (None: everywhere, `m` is a number).
    With axes, values that change with `m` are combined only with numbers,
    with `source` (the array `m` was reduced from, of `m`'s dimensions) and
    with each other, so that all have `m`'s dimensions and its axes.
    """
    state = {m: ("shift", 1)}

    def value(e):
        if isinstance(e, gast.Name):
            return state.get(e.id, _INV)
        if isinstance(e, gast.Constant):
            return _INV
        if isinstance(e, gast.UnaryOp):
            v = value(e.operand)
            if v == _INV or isinstance(e.op, gast.UAdd):
                return v
            if isinstance(e.op, gast.USub) and v and v[0] == "shift":
                return _shift(-v[1])
            return None
        if isinstance(e, gast.BinOp):
            a, b = value(e.left), value(e.right)
            if a is None or b is None:
                return None
            if a == _INV and b == _INV:
                return _INV
            if axes is not None:
                # an unchanged operand must not add dimensions
                for side, v in ((e.left, a), (e.right, b)):
                    if v == _INV and not (
                        _is_number(side)
                        or (isinstance(side, gast.Name) and side.id == source)
                    ):
                        return None
            return _combine(e.op, a, b)
        # anything else (a method's receiver, a comprehension's iterable, an
        # index) is unchanged only when every name it reads is
        if all(state.get(v, _INV) == _INV for v in read_names(e)):
            return _INV
        if isinstance(e, gast.Call) and _global_path(e.func):
            operands = list(e.args) + [kw.value for kw in e.keywords]
            return _call_value(e, [value(a) for a in operands], axes, kind_of)
        return None

    for s in stmts:
        if isinstance(s, gast.Return):
            return s.value is not None and value(s.value) == _INV
        if source in written([s]):
            source = None  # no longer the array `m` was reduced from
        pair = _simple_assign(s)
        if pair is not None:
            state[pair[0]] = value(pair[1])
            continue
        if any(state.get(v, _INV) != _INV for v in read_names(s)):
            return False  # control flow or an effect on a value that changes
        for v in written([s]):
            state[v] = _INV  # computed from unchanged values only
    return False


def _global_path(func) -> bool:
    """Whether `func` is a name or a chain of attributes of one (`np.exp`)."""
    while isinstance(func, gast.Attribute):
        func = func.value
    return isinstance(func, gast.Name)


def _combine(op, a, b):
    """How `a op b` changes, given how `a` and `b` do (neither unknown)."""
    if isinstance(op, (gast.Add, gast.Sub)):
        sign = 1 if isinstance(op, gast.Add) else -1
        if a[0] != "scale" and b[0] != "scale":
            return _shift(a[1] + sign * b[1])
        if a == b:  # x e^{k delta} + y e^{k delta} = (x + y) e^{k delta}
            return a
        return None
    if isinstance(op, (gast.Mult, gast.Div)):
        sign = 1 if isinstance(op, gast.Mult) else -1
        if a[0] != "shift" and b[0] != "shift":
            return _scale(a[1] + sign * b[1])
    return None


def _call_value(call, values, axes, kind_of):
    kind = kind_of(call.func)
    if kind is None or len(call.args) != 1 or values[0] is None:
        return None
    if any(v != _INV for v in values[1:]):
        return None
    v = values[0]
    if kind == "exp" and not call.keywords:
        return ("scale", v[1]) if v[0] == "shift" else None
    if kind == "log" and not call.keywords:
        return ("shift", v[1]) if v[0] == "scale" else None
    if kind not in ("sum", "mean", "extremum"):
        return None
    options = _reduction_options(call)
    if options is False:
        return None
    axis, keepdims = options
    if axes is not None and not (
        keepdims and _literal_axes(axis) is not None and _literal_axes(axis) <= axes
    ):
        return None  # delta varies along the reduced axes, or dimensions go
    if v[0] == "scale":
        return v  # a sum, mean or extremum of x e^{k delta}, e^{k delta} > 0
    if kind in ("mean", "extremum"):
        return v  # of x + k delta
    return None
