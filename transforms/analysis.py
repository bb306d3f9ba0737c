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
- `SharedMemory(func)`: which variables may refer to one mutable object
  (aliases such as `b = a`, views such as `r = m[0]`), before each statement.
- `assigned_before(func)`: for each loop, the names assigned before it in
  source order (on some path, not necessarily on every one).
- `DefiniteAssignment(stmts, initial)`: for each statement, the names
  assigned on every path that reaches it (a must-analysis: branches
  intersect, loops may run zero times, code after `break`, `return` and
  `raise` is unreachable). A value may be read, or saved on the tape, only
  where it is definitely assigned.
"""

from __future__ import annotations

import gast

_AST = gast.AST
_NAME = gast.Name
_LOAD = gast.Load
_STORE = gast.Store


def nodes(node) -> list:
    """Every node of the tree under `node` (itself included), in no set order.

    What `gast.walk` yields, several times faster: the analyses and the
    optimizer collect names from the same statements over and over.
    """
    out = []
    stack = [node]
    pop, push, add = stack.pop, stack.append, out.append
    while stack:
        n = pop()
        add(n)
        for field in n._fields:
            value = getattr(n, field, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, _AST):
                        push(item)
            elif isinstance(value, _AST):
                push(value)
    return out


# While the optimizer runs passes over code that mostly stays the same, the
# names each node reads and writes are remembered: id(node) -> (node, reads,
# written). `forget()` must follow every change of the code (optimize does).
_memo: dict | None = None
_compound: set[int] = set()  # the remembered if/for/while statements


def remember(on: bool) -> None:
    """Start (True) or stop (False) remembering `reads` and `written` per node
    (and the last liveness computed, see `liveness`)."""
    global _memo, _last_liveness
    _memo = {} if on else None
    _compound.clear()
    _last_liveness = None


_COMPOUND = (gast.If, gast.For, gast.While)


def forget(*changed) -> None:
    """The code changed: what was remembered no longer holds. Given the
    statements changed in place (or removed), only their facts and those of
    the compound statements (which contain statements) are dropped."""
    global _last_liveness
    _last_liveness = None
    if _memo is None:
        return
    if not changed:
        _memo.clear()
        _compound.clear()
        return
    for stmt in changed:
        for n in nodes(stmt):
            _memo.pop(id(n), None)
    for key in _compound:
        _memo.pop(key, None)
    _compound.clear()


def _facts(node):
    entry = _memo.get(id(node))
    if entry is None or entry[0] is not node:
        entry = _memo[id(node)] = (node, None, None)
        if isinstance(node, _COMPOUND):
            _compound.add(id(node))
    return entry


def reads(node) -> set[str]:
    """Names read anywhere in a node (for a compound statement, its nested blocks too)."""
    if _memo is not None:
        entry = _facts(node)
        if entry[1] is None:
            entry = _memo[id(node)] = (node, frozenset(_reads(node)), entry[2])
        return set(entry[1])
    return _reads(node)


def read_names(node) -> frozenset:
    """`reads(node)` as a frozenset, not copied (the callers only look at it)."""
    if _memo is not None:
        entry = _facts(node)
        if entry[1] is None:
            entry = _memo[id(node)] = (node, frozenset(_reads(node)), entry[2])
        return entry[1]
    return frozenset(_reads(node))


def _reads(node) -> set[str]:
    return {
        n.id for n in nodes(node) if n.__class__ is _NAME and n.ctx.__class__ is _LOAD
    }


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
        if _memo is not None:
            entry = _facts(s)
            if entry[2] is None:
                entry = _memo[id(s)] = (s, entry[1], frozenset(_written(s)))
            out |= entry[2]
        else:
            out |= _written(s)
    return out


def _written(s) -> set[str]:
    out = set()
    for n in nodes(s):
        cls = n.__class__
        if cls is _NAME:
            if n.ctx.__class__ is _STORE:
                out.add(n.id)
        elif cls is gast.Call:
            if _mutating_call(n):  # xs.append(v), v = xs.pop(): xs changes
                out.add(n.func.value.id)
        elif cls is gast.Expr:
            if _destination(n.value):
                out.add(_destination(n.value))
        elif cls is gast.Assign and isinstance(n.targets[0], gast.Subscript):
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


def memory(var: str) -> str:
    """The pseudo-variable for the contents of container `var` (read through views)."""
    return f"{var}[]"


def binding(var: str) -> str:
    """The pseudo-variable for which object `var` names, read by a restore in place."""
    return f"{var}@"


# attributes, methods and functions whose result may share memory with their
# (first) operand: NumPy views, or the same object
_VIEW_ATTRIBUTES = ("T", "mT", "real", "imag", "flat")
_VIEW_CALLS = (
    "reshape",
    "ravel",
    "view",
    "transpose",
    "swapaxes",
    "moveaxis",
    "squeeze",
    "expand_dims",
    "diagonal",
    "broadcast_to",
    "asarray",
    "asanyarray",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "flip",
    "fliplr",
    "flipud",
    "rot90",
    "real",
    "imag",
)


def views(stmts) -> dict[str, frozenset]:
    """Variables that may share memory with a container (`v = a[i]`, `v = a`,
    `v = a.T`, `v = a.reshape(...)`, `v = np.transpose(a)`), transitively:
    writing into the container in place may change them."""
    out: dict[str, set[str]] = {}
    for stmt in stmts:
        for n in gast.walk(stmt):
            if isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Name):
                bases = _view_bases(n.value) - {n.targets[0].id}
                if bases:
                    out.setdefault(n.targets[0].id, set()).update(bases)
    changed = True
    while changed:
        changed = False
        for v, bases in out.items():
            more = set().union(*(out.get(b, set()) for b in bases)) - bases - {v}
            if more:
                bases |= more
                changed = True
    return {v: frozenset(bases) for v, bases in out.items()}


def _view_bases(value) -> set[str]:
    """The variables whose memory `value` may share."""
    if isinstance(value, gast.Name):
        return {value.id}
    if isinstance(value, gast.Subscript) and isinstance(value.value, gast.Name):
        return {value.value.id}
    if isinstance(value, gast.Attribute) and isinstance(value.value, gast.Name):
        return {value.value.id} if value.attr in _VIEW_ATTRIBUTES else set()
    if not isinstance(value, gast.Call):
        return set()
    func = value.func
    called = func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", "")
    if called not in _VIEW_CALLS:
        return set()
    out = set()
    if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
        out.add(func.value.id)  # x.reshape(...) (or the module of np.reshape)
    if value.args and isinstance(value.args[0], gast.Name):
        out.add(value.args[0].id)  # np.reshape(x, ...)
    return out


class SharedMemory:
    """Which variables may refer to one mutable object, or to views of it.

    A forward may-analysis over a function in normal form: each value gets
    the *sites* (statements, or a parameter) where the object it refers to
    was made; a copy, an index read, `.T`, `.reshape(...)` (see `views`)
    give the operand's sites, a tuple or list display (and `xs.append(v)`)
    adds its items' sites to its own, any other operation makes a new object.
    """

    def __init__(self, func):
        self._before: dict[int, dict] = {}
        args = func.args
        params = args.args + args.kwonlyargs + list(getattr(args, "posonlyargs", []))
        state = {a.id: frozenset([("param", a.id)]) for a in params}
        self._block(func.body, state)

    def sharing(self, stmt, var) -> set[str]:
        """The other variables that may share `var`'s memory just before `stmt`."""
        state = self._before.get(id(stmt), {})
        mine = state.get(var, frozenset())
        return {w for w, sites in state.items() if w != var and sites & mine}

    def _block(self, stmts, state):
        for s in stmts:
            self._before[id(s)] = state
            state = self._stmt(s, state)
        return state

    def _stmt(self, s, state):
        if isinstance(s, gast.Assign):
            target = s.targets[0]
            if not isinstance(target, gast.Name):
                return state
            value = s.value
            sites = frozenset()
            if isinstance(value, (gast.Tuple, gast.List, gast.Dict)):
                items = value.values if isinstance(value, gast.Dict) else value.elts
                sites = frozenset([id(s)])
                for item in items:
                    if isinstance(item, gast.Name):
                        sites |= state.get(item.id, frozenset())
            else:
                for base in _view_bases(value):
                    sites |= state.get(base, frozenset())
                if not sites:
                    sites = frozenset([id(s)])
            return {**state, target.id: sites}
        if isinstance(s, gast.Expr) and _mutating_call(s.value):
            lst = s.value.func.value.id
            added = frozenset()
            for a in s.value.args:
                if isinstance(a, gast.Name):
                    added |= state.get(a.id, frozenset())
            if added:
                return {**state, lst: state.get(lst, frozenset()) | added}
            return state
        if isinstance(s, gast.If):
            return _union(self._block(s.body, state), self._block(s.orelse, state))
        if isinstance(s, (gast.For, gast.While)):
            head = state
            if isinstance(s, gast.For):
                fresh = {v: frozenset([id(s)]) for v in target_names(s.target)}
                head = {**head, **fresh}
            while True:
                new = _union(head, self._block(s.body, head))
                if new == head:
                    return _union(state, head)
                head = new
        return state


def _union(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, frozenset()) | v
    return out


# the last `liveness` computed while remembering: (stmts, live_at_exit, Liveness)
_last_liveness = None


def liveness(stmts, live_at_exit=()) -> Liveness:
    """`Liveness(stmts, live_at_exit)`, computed again only after the code changed.

    While `remember` is on, every change of the code calls `forget`, which
    drops the remembered result; passes that find nothing to change in turn
    (dead code, then forward substitution) share one computation.
    """
    global _last_liveness
    if _memo is None:
        return Liveness(stmts, live_at_exit)
    exit_ = frozenset(live_at_exit)
    last = _last_liveness
    if last is not None and last[0] is stmts and last[1] == exit_:
        return last[2]
    live = Liveness(stmts, exit_)
    _last_liveness = (stmts, exit_, live)
    return live


class Liveness:
    """Live variables after each statement of a structured block."""

    def __init__(self, stmts, live_at_exit=(), restores=None, aliases=None):
        """`restores(stmt)`, when given, names the container a statement restores
        in place (`xs.pop()`, `a[i] = saved`): such a statement then counts as
        reading its other operands only, so a restore is live exactly when a
        later statement other than a restore reads the container; a live
        restore reads `binding(container)`, which only assignments of the
        container define.

        `aliases` (from `views`), when given, maps a variable to the containers
        whose memory it may share: reading it also reads `memory(c)` of each,
        so an in-place restore of `c` is live while a view of `c` is read."""
        self._out: dict[int, frozenset] = {}
        self._restores = restores
        self._aliases = aliases or {}
        self._read_sets: dict[int, frozenset] = {}  # loops visit nodes repeatedly
        self.live_in = self._block(stmts, set(live_at_exit), None)

    def _reads(self, node) -> frozenset:
        found = self._read_sets.get(id(node))
        if found is None:
            names = reads(node)
            for v in list(names):
                names |= {memory(c) for c in self._aliases.get(v, ())}
            found = self._read_sets[id(node)] = frozenset(names)
        return found

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
            # a restore that stays writes into the object `container` names
            # then: that binding must be restored before it (in a loop whose
            # body rebinds the container, from the previous iteration)
            kept = container in live or memory(container) in live
            used = {binding(container)} if kept else set()
            return live | (self._reads(s) - {container}) | used
        if isinstance(s, gast.Assign):
            target = s.targets[0]
            if isinstance(target, gast.Subscript):
                return live | self._reads(target) | self._reads(s.value)
            names = target_names(target)
            dead = names | {binding(v) for v in names} if self._restores else names
            return (live - dead) | self._reads(s.value)
        if isinstance(s, gast.AugAssign):
            return live | self._reads(s.target) | self._reads(s.value)
        if isinstance(s, gast.Expr):
            return live | self._reads(s.value)
        if isinstance(s, gast.If):
            return (
                self._reads(s.test)
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
            return head | self._reads(s.iter)
        if isinstance(s, gast.While):
            head = set(live) | self._reads(s.test)
            while True:
                body_in = self._block(s.body, head, live)
                new = live | self._reads(s.test) | body_in
                if new == head:
                    break
                head = new
            return head
        if isinstance(s, gast.Break):
            return set(loop_exit or ())
        if isinstance(s, gast.Continue):
            return set(live)
        if isinstance(s, gast.Return):
            return self._reads(s.value) if s.value is not None else set()
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


class DefiniteAssignment:
    """Names surely bound when each statement of a structured block starts."""

    def __init__(self, stmts, initial=()):
        self._in: dict[int, frozenset | None] = {}
        self.at_exit = self._block(stmts, frozenset(initial), None)

    @classmethod
    def of_function(cls, func):
        """The analysis of a function's body, its parameters bound on entry."""
        args = func.args
        params = args.args + args.kwonlyargs + list(getattr(args, "posonlyargs", []))
        return cls(func.body, {a.id for a in params})

    def before(self, stmt) -> frozenset | None:
        """The names bound on every path to `stmt`; None where no path reaches it."""
        return self._in.get(id(stmt))

    def _block(self, stmts, state, breaks):
        for s in stmts:
            self._in[id(s)] = state
            if state is not None:
                state = self._stmt(s, state, breaks)
            else:
                self._unreachable(s)
        return state

    def _unreachable(self, s):
        for field in ("body", "orelse"):
            self._block(getattr(s, field, None) or [], None, None)

    def _stmt(self, s, state, breaks):
        if isinstance(s, gast.Assign):
            return state | target_names(s.targets[0])
        if isinstance(s, gast.If):
            return meet(
                self._block(s.body, state, breaks), self._block(s.orelse, state, breaks)
            )
        if isinstance(s, (gast.For, gast.While)):
            # the body starts from the entry state on the first iteration, and
            # later iterations only add names: one pass over it suffices
            entry = state | target_names(s.target) if isinstance(s, gast.For) else state
            self._block(s.body, entry, [])
            self._block(s.orelse, state, breaks)
            return state  # the loop may run zero times, or break at once
        if isinstance(s, gast.Break):
            if breaks is not None:
                breaks.append(state)
            return None
        if isinstance(s, (gast.Return, gast.Raise)):
            return None
        return state


def meet(a, b):
    """Intersection, where None (no path) is the identity."""
    if a is None:
        return b
    if b is None:
        return a
    return a & b


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
