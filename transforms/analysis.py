"""Dataflow analyses over structured code (normal form or generated code).

Both analyses walk the structured statements directly: `if` joins its
branches, loops iterate to a fixed point, `break` flows to the loop exit.
That is the control-flow graph of structured code, without materializing it.

- `Liveness(stmts, live_at_exit)`: `live_out(stmt)` is the set of variables
  read on some path after `stmt` before being reassigned. Requires nothing;
  understands tape pops (`x = _tape.pop()`) as definitions of `x`.
- `activity(func, wrt, result, differentiable)`: the active variables, those
  that depend on a `wrt` parameter (varied) and reach the result (useful).
  Flow-insensitive, hence conservative: a variable active somewhere is active
  everywhere. `differentiable(value)` tells whether an operation propagates
  derivatives from its operands.
- `ReachingDefinitions(func)`: for each read of a variable, the statements
  whose assignment may have produced the value read (`PARAM` for a
  parameter's incoming value). Index writes and list appends count as
  definitions of the container they change.
- `assigned_before(func)`: for each loop, the names assigned before it.
"""

from __future__ import annotations

import gast


def reads(node) -> set[str]:
    """Names read anywhere in a node (for a compound statement, its nested blocks too)."""
    out = set()
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
            out.add(n.id)
    return out


def target_names(target) -> set[str]:
    if isinstance(target, gast.Name):
        return {target.id}
    if isinstance(target, (gast.Tuple, gast.List)):
        out = set()
        for e in target.elts:
            out |= target_names(e)
        return out
    return set()


def written(stmts) -> set[str]:
    """Names assigned anywhere in `stmts` (including nested blocks and loop targets)."""
    out = set()
    for s in stmts:
        for n in gast.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                out.add(n.id)
            elif _mutating_call(n):  # xs.append(v), v = xs.pop(): xs changes
                out.add(n.func.value.id)
            elif isinstance(n, gast.Expr) and _destination(n.value):
                out.add(_destination(n.value))
            elif isinstance(n, gast.Assign) and isinstance(
                n.targets[0], gast.Subscript
            ):
                root = n.targets[0].value
                if isinstance(root, gast.Name):
                    out.add(root.id)
    return out


def _destination(value):
    """The array a call made for its effect writes into: by the convention of
    in-place APIs (`np.add.at(a, i, v)`, `np.copyto(dst, src)`), its first argument."""
    if (
        isinstance(value, gast.Call)
        and value.args
        and isinstance(value.args[0], gast.Name)
    ):
        if not _mutating_call(value):
            return value.args[0].id
    return None


def _mutating_call(value) -> bool:
    return (
        isinstance(value, gast.Call)
        and isinstance(value.func, gast.Attribute)
        and isinstance(value.func.value, gast.Name)
        and value.func.attr in ("append", "pop", "extend")
    )


class Liveness:
    """Live variables after each statement of a structured block."""

    def __init__(self, stmts, live_at_exit=(), restores=None):
        """`restores(stmt)`, when given, names the container a statement restores
        in place (`xs.pop()`, `a[i] = saved`): such a statement then counts as
        reading its other operands only, so a restore is live exactly when a
        later statement other than a restore reads the container."""
        self._out: dict[int, frozenset] = {}
        self._restores = restores
        self.live_in = self._block(stmts, set(live_at_exit), None)

    def live_out(self, stmt) -> frozenset:
        return self._out.get(id(stmt), frozenset())

    def _block(self, stmts, live, loop_exit):
        for s in reversed(stmts):
            after = loop_exit if isinstance(s, gast.Break) else live
            self._out[id(s)] = frozenset(after or ())
            live = self._stmt(s, live, loop_exit)
        return live

    def _stmt(self, s, live, loop_exit):
        container = self._restores(s) if self._restores else None
        if container is not None:
            return live | (reads(s) - {container})
        if isinstance(s, gast.Assign):
            target = s.targets[0]
            if isinstance(target, gast.Subscript):
                return live | reads(target) | reads(s.value)
            return (live - target_names(target)) | reads(s.value)
        if isinstance(s, gast.AugAssign):
            return live | reads(s.target) | reads(s.value)
        if isinstance(s, gast.Expr):
            return live | reads(s.value)
        if isinstance(s, gast.If):
            return (
                reads(s.test)
                | self._block(s.body, live, loop_exit)
                | self._block(s.orelse, live, loop_exit)
            )
        if isinstance(s, gast.For):
            head = set(live)
            loop_var = target_names(s.target)
            while True:
                body_in = self._block(s.body, head, live)
                new = live | (body_in - loop_var)
                if new == head:
                    break
                head = new
            return head | reads(s.iter)
        if isinstance(s, gast.While):
            head = set(live) | reads(s.test)
            while True:
                body_in = self._block(s.body, head, live)
                new = live | reads(s.test) | body_in
                if new == head:
                    break
                head = new
            return head
        if isinstance(s, gast.Break):
            return set(loop_exit or ())
        if isinstance(s, gast.Continue):
            return set(live)
        if isinstance(s, gast.Return):
            return reads(s.value) if s.value is not None else set()
        if isinstance(s, gast.Raise):
            return set()
        return set(live)


def activity(func, wrt, result, differentiable):
    """The set of active variable names (varied from `wrt` and useful for `result`)."""
    edges = []  # (target, operand) pairs through which derivatives flow

    def collect(stmts):
        for s in stmts:
            if isinstance(s, gast.Assign):
                target = s.targets[0]
                if isinstance(target, gast.Subscript):
                    name = target.value.id
                    for r in reads(s.value):
                        edges.append((name, r))
                elif isinstance(target, gast.Name) and differentiable(s.value):
                    for r in _value_operands(s.value):
                        edges.append((target.id, r))
            elif isinstance(s, gast.Expr) and _mutating_call(s.value):
                for r in reads(s.value):
                    edges.append((s.value.func.value.id, r))
            elif isinstance(s, gast.Expr) and _destination(s.value):
                for r in reads(s.value):
                    edges.append((_destination(s.value), r))
            elif isinstance(s, (gast.If, gast.For, gast.While)):
                collect(s.body)
                collect(s.orelse)

    collect(func.body)
    varied = set(wrt)
    changed = True
    while changed:
        changed = False
        for target, operand in edges:
            if operand in varied and target not in varied:
                varied.add(target)
                changed = True
    useful = {result}
    changed = True
    while changed:
        changed = False
        for target, operand in edges:
            if target in useful and operand not in useful:
                useful.add(operand)
                changed = True
    return varied & useful


def _value_operands(value) -> set[str]:
    """Variables whose derivative can flow into the value of an operation."""
    if isinstance(value, gast.Subscript):
        return reads(value.value)
    if isinstance(value, gast.Call):
        out = set()
        func = value.func
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
            out |= {func.value.id}
        for a in value.args:
            out |= reads(a)
        for k in value.keywords:
            out |= reads(k.value)
        return out
    return reads(value)


def assigned_before(func) -> dict[int, set[str]]:
    """For each loop (by id), the names assigned earlier in source order, or parameters."""
    seen = {a.id for a in func.args.args + func.args.kwonlyargs}
    out = {}

    def walk(stmts):
        for s in stmts:
            if isinstance(s, (gast.For, gast.While)):
                out[id(s)] = set(seen)
            if isinstance(s, gast.Assign):
                seen.update(target_names(s.targets[0]))
            if isinstance(s, gast.For):
                seen.update(target_names(s.target))
            if isinstance(s, (gast.If, gast.For, gast.While)):
                walk(s.body)
                walk(s.orelse)

    walk(func.body)
    return out


PARAM = "param"


class ReachingDefinitions:
    """Which assignments reach each read, by a forward walk to a fixed point."""

    def __init__(self, func):
        self._reach: dict[tuple[int, str], frozenset] = {}
        state = {
            a.id: frozenset([PARAM]) for a in func.args.args + func.args.kwonlyargs
        }
        self._block(func.body, state, None)

    def definitions(self, stmt, var) -> frozenset:
        """The definitions of `var` that reach `stmt`'s own expressions."""
        return self._reach.get((id(stmt), var), frozenset())

    def _use(self, stmt, exprs, state):
        for e in exprs:
            for v in reads(e):
                if v in state:
                    self._reach[(id(stmt), v)] = state[v]

    def _block(self, stmts, state, exits):
        for s in stmts:
            state = self._stmt(s, state, exits)
            if state is None:
                return None
        return state

    def _stmt(self, s, state, exits):
        state = dict(state)
        if isinstance(s, gast.Assign):
            target = s.targets[0]
            self._use(
                s,
                [s.value, target] if isinstance(target, gast.Subscript) else [s.value],
                state,
            )
            if isinstance(target, gast.Subscript) and isinstance(
                target.value, gast.Name
            ):
                state[target.value.id] = frozenset([id(s)])
            for v in target_names(target):
                state[v] = frozenset([id(s)])
            return state
        if isinstance(s, gast.Expr):
            self._use(s, [s.value], state)
            if _mutating_call(s.value):
                state[s.value.func.value.id] = frozenset([id(s)])
            return state
        if isinstance(s, gast.If):
            self._use(s, [s.test], state)
            a = self._block(s.body, state, exits)
            b = self._block(s.orelse, state, exits)
            return _merge(a, b)
        if isinstance(s, (gast.For, gast.While)):
            self._use(s, [s.iter if isinstance(s, gast.For) else s.test], state)
            head = state
            while True:
                breaks = []
                entry = dict(head)
                if isinstance(s, gast.For):
                    for v in target_names(s.target):
                        entry[v] = frozenset([id(s)])
                end = self._block(s.body, entry, breaks)
                new = _merge(head, end)
                if isinstance(s, gast.While):
                    self._use(s, [s.test], new)
                if new == head:
                    break
                head = new
            out = head
            for b in breaks:
                out = _merge(out, b)
            return out
        if isinstance(s, gast.Break):
            if exits is not None:
                exits.append(state)
            return None
        if isinstance(s, gast.Return):
            if s.value is not None:
                self._use(s, [s.value], state)
            return None
        if isinstance(s, gast.Raise):
            return None
        return state


def _merge(a, b):
    if a is None:
        return b
    if b is None:
        return a
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, frozenset()) | v
    return out
