"""Reverse mode: from a normalized function to its forward and backward sweeps.

Requires: `normalize.normalize` (the normal form), a rule set and a namespace.

The method is *restore semantics*: the backward sweep walks the primal's
statements in reverse; after the adjoint of `v = op(...)` it restores the old
value of `v` from the tape, so that every adjoint sees the values its primal
statement saw. Loops stay loops (`for i in reversed(range(...))`, or a counted
loop for `while` and loops that break) and branches stay branches.

Which values really go on the tape is decided afterwards, not guessed: every
assignment gets a *candidate* push (before it, in the forward sweep) and pop
(after its adjoint); each loop body also gets candidates that save the
values it leaves behind at its end. Liveness on the backward sweep then
removes every pop whose value is never read, with its push. Cheap compiler
temporaries inside loops are recomputed in the backward sweep rather than
saved (`sin_x = np.sin(x)` next to the adjoint that reads it), so a loop
`x = x * 0.99 + np.sin(x) * a` saves only `x`.

Adjoints are named by `Namer.adjoint` (`dx` for `x`); contributions
accumulate (`dx = dx + ...`) and the optimizer turns the first one into an
assignment.
"""

from __future__ import annotations

import collections
import copy
import itertools
import numbers

import gast

from transforms import anno
from transforms.analysis import (
    DefiniteAssignment,
    Liveness,
    SharedMemory,
    activity,
    binding,
    memory,
    reads,
    views,
    written,
)
from transforms.errors import NoRuleError, TransformError, UnsupportedConstructError
from transforms.normalize import AUGMENTED
from transforms.quoting import assign, const, name

TAPE = "_tape"
NONDIFFERENTIABLE = "nondifferentiable"


class Op:
    """What a normal-form value computes, for rule lookup."""

    def __init__(self, kind, key=None, args=(), keywords=None, func=None):
        self.kind = kind  # copy | const | rule | call | nondiff
        self.key = key
        self.args = list(args)
        self.keywords = dict(keywords or {})
        self.func = func
        self.rule = None


def resolve(expr, namespace):
    """The Python object a name or a global attribute chain refers to."""
    if isinstance(expr, gast.Name):
        if expr.id in namespace:
            return namespace[expr.id]
        import builtins

        if hasattr(builtins, expr.id):
            return getattr(builtins, expr.id)
        raise KeyError(expr.id)
    if isinstance(expr, gast.Attribute):
        return getattr(resolve(expr.value, namespace), expr.attr)
    raise KeyError(type(expr).__name__)


def index_value(index):
    """An index as a value: `1:3` becomes `slice(1, 3, None)`."""
    if isinstance(index, gast.Slice):
        parts = [
            p if p is not None else const(None)
            for p in (index.lower, index.upper, index.step)
        ]
        return gast.Call(func=name("slice"), args=parts, keywords=[])
    if isinstance(index, gast.Tuple):
        return gast.Tuple(elts=[index_value(e) for e in index.elts], ctx=gast.Load())
    return index


def tape_push(value_name, tape_id, placeholder=False):
    """`_tape.append(v)` (`_tape.append(None)` for a placeholder), paired by `tape_id`."""
    return tape_push_value(const(None) if placeholder else name(value_name), tape_id)


def tape_push_value(value, tape_id):
    call = gast.Call(
        func=gast.Attribute(value=name(TAPE), attr="append", ctx=gast.Load()),
        args=[value],
        keywords=[],
    )
    stmt = gast.Expr(value=call)
    anno.setanno(stmt, anno.TAPE_ID, tape_id)
    return stmt


def tape_pop(var, tape_id):
    call = gast.Call(
        func=gast.Attribute(value=name(TAPE), attr="pop", ctx=gast.Load()),
        args=[],
        keywords=[],
    )
    stmt = assign(var, call)
    anno.setanno(stmt, anno.TAPE_ID, tape_id)
    return stmt


def comment(text):
    stmt = gast.Expr(value=const(text))
    anno.setanno(stmt, anno.COMMENT, text)
    return stmt


def is_comment(stmt) -> bool:
    return anno.hasanno(stmt, anno.COMMENT)


class _BreakMarker(gast.Break):
    """A `break` whose loop has not yet decided what to save before leaving."""


class ReverseMode:
    def __init__(self, func, info, wrt, rules, namespace, namer, call_gradient):
        self.func = func
        self.info = info
        self.wrt = list(wrt)
        self.rules = rules
        self.namespace = namespace
        self.namer = namer
        self.call_gradient = call_gradient
        self.result = anno.getanno(func, anno.RESULT)
        self.params = [a.id for a in func.args.args]
        self._ids = itertools.count(1)
        self._ops: dict[int, Op] = {}
        self.imports: dict[str, object] = {}
        self._call_functional_versions()
        self._mark_impure_calls()
        self.active = activity(func, self.wrt, self.result, self.differentiable)
        self.scalars: set[str] = set()
        self.scalars = self._scalar_variables()
        self.shared_updates = self._shared_updates()
        self.containers = self._maybe_containers()
        self.sequences = self._sequences()
        self.assigned = DefiniteAssignment.of_function(func)
        self.loops = []  # stack of (loop node, list of break markers)
        self.substitutable: set[str] = set(namer.temps)
        # temporaries made by elementwise operations: their adjoints may keep
        # broadcast dimensions, reduced once where they reach a real variable
        self.elementwise_temps = {
            n.targets[0].id
            for n in gast.walk(func)
            if isinstance(n, gast.Assign)
            and isinstance(n.targets[0], gast.Name)
            and n.targets[0].id in namer.temps
            and self.elementwise(n.value)
        }
        for n in gast.walk(func):  # for the optimizer: shapes of elementwise calls
            if isinstance(n, gast.Call) and self.elementwise(n):
                anno.setanno(n, anno.ELEMENTWISE, True)
        # temporaries whose adjoint may keep broadcast dimensions -> the variable
        # whose adjoint they all derive from (so they share its shape)
        self.broadcast_adjoints: dict[str, str] = {}
        self.unpacked = self._unpacked_values()
        self.element_adjoints: dict[tuple, str] = {}  # (values, k) -> its name
        self.context: list[tuple] = []  # enclosing (block, index) pairs

    def _call_functional_versions(self):
        """A helper that updates its first argument in place names the helper
        that does the same without (`add_into.functional is add_at`): code that
        calls it, a gradient being differentiated again, calls that instead,
        so that no value saved for the backward sweep changes later."""
        for n in gast.walk(self.func):
            if not isinstance(n, gast.Call):
                continue
            try:
                obj = resolve(n.func, self.namespace)
            except (KeyError, AttributeError):
                continue
            functional = getattr(obj, "functional", None)
            if callable(functional) and callable(obj):
                n.func = name(self.import_name(functional.__name__, functional))
                if not isinstance(self.namespace, collections.ChainMap):
                    # the names this pass brings in resolve too (never written
                    # into the user's globals)
                    self.namespace = collections.ChainMap(self.imports, self.namespace)

    def _unpacked_values(self) -> dict:
        """`values` of `a, b = h(x)` (`values = h(x); a = values[0]; ...`) -> its
        length, where `values` is read only so. Its adjoint is the tuple of its
        elements' adjoints, `(da, db)`, built where `values` is defined: never a
        tuple of zeros written into index by index (see `element_adjoint`)."""
        lengths = {}
        for n in gast.walk(self.func):
            if isinstance(n, gast.Assign) and anno.hasanno(n, anno.UNPACKED):
                lengths[n.targets[0].id] = anno.getanno(n, anno.UNPACKED)
        if not lengths:
            return {}
        items = set()
        for n in gast.walk(self.func):
            if (
                isinstance(n, gast.Subscript)
                and isinstance(n.value, gast.Name)
                and isinstance(n.slice, gast.Constant)
                and type(n.slice.value) is int
            ):
                items.add(id(n.value))
        for n in gast.walk(self.func):
            if isinstance(n, gast.Name) and n.id in lengths:
                if isinstance(n.ctx, gast.Load) and id(n) not in items:
                    del lengths[n.id]  # read as a whole somewhere
        return lengths

    def element_adjoint(self, values, k) -> str:
        """The adjoint of `values[k]` for an unpacked `values` (`dvalues_0`)."""
        key = (values, k)
        if key not in self.element_adjoints:
            self.element_adjoints[key] = self.fresh(f"{self.adj(values)}_{k}")
        return self.element_adjoints[key]

    # ----- classification -----

    def error(self, cls, message, node, construct=None, hint=None):
        return self.info.error(cls, message, node, construct, hint)

    def op_of(self, value) -> Op:
        key = id(value)
        if key not in self._ops:
            self._ops[key] = self._classify(value)
        return self._ops[key]

    def _classify(self, value) -> Op:
        if isinstance(value, gast.Name):
            return Op("copy", args=[value])
        if isinstance(value, (gast.Constant, gast.JoinedStr)):
            return Op("const")
        if isinstance(value, gast.Attribute) and anno.getanno(value, anno.GLOBAL_REF):
            return Op("const")
        if isinstance(value, gast.BinOp):
            op = Op(
                "rule", ("BinOp", type(value.op).__name__), [value.left, value.right]
            )
        elif isinstance(value, gast.UnaryOp):
            op = Op("rule", ("UnaryOp", type(value.op).__name__), [value.operand])
        elif isinstance(value, (gast.Compare, gast.BoolOp)):
            return Op("nondiff")
        elif isinstance(value, gast.Subscript):
            op = Op("rule", ("Subscript",), [value.value, index_value(value.slice)])
        elif isinstance(value, gast.Attribute):
            op = Op("rule", ("Attribute", value.attr), [value.value])
        elif isinstance(value, gast.Tuple):
            op = Op("rule", ("Tuple",), value.elts)
        elif isinstance(value, gast.List):
            op = Op("rule", ("List",), value.elts)
        elif isinstance(value, gast.Dict):
            op = Op("rule", ("Dict",), value.values)
            op.keys = list(value.keys)
            op.rule = "pack"
            return op
        elif isinstance(value, gast.Call):
            return self._classify_call(value)
        else:
            return Op("nondiff")
        op.rule = self.rules.lookup(op.key)
        if op.rule is NONDIFFERENTIABLE:
            op.kind = "nondiff"
        return op

    def _classify_call(self, value) -> Op:
        keywords = {k.arg: k.value for k in value.keywords}
        func = value.func
        if isinstance(func, gast.Attribute) and not anno.getanno(func, anno.GLOBAL_REF):
            op = Op("rule", ("Method", func.attr), [func.value, *value.args], keywords)
            op.rule = self.rules.lookup(op.key)
            if op.rule is NONDIFFERENTIABLE:
                op.kind = "nondiff"
            return op
        try:
            obj = resolve(func, self.namespace)
        except (KeyError, AttributeError):
            return Op("unknown", ("Call", None), value.args, keywords)
        op = Op("rule", ("Call", obj), value.args, keywords, func=obj)
        rule = self.rules.lookup(op.key)
        if rule is None and _is_bound_method(obj) and isinstance(func, gast.Attribute):
            # a method of a global object (a constant sparse matrix: A.dot(x))
            # is the same method of a value: its receiver is the first operand
            method = Op(
                "rule", ("Method", func.attr), [func.value, *value.args], keywords
            )
            method.rule = self.rules.lookup(method.key)
            if method.rule is NONDIFFERENTIABLE:
                method.kind = "nondiff"
            if method.rule is not None:
                return method
        if rule is NONDIFFERENTIABLE:
            op.kind = "nondiff"
        elif rule is not None:
            op.rule = rule
        elif callable(getattr(obj, "tangent_backward", None)):
            op.kind = "custom"  # the user gave it a backward (custom_vjp)
        elif callable(obj) and hasattr(obj, "__code__") and not _is_library(obj):
            op.kind = "call"
        else:
            op.kind = "unknown"
        return op

    def is_scalar(self, atom) -> bool:
        """Whether `atom` surely holds a number (Python or NumPy scalar, 0-d)."""
        if isinstance(atom, gast.Constant):
            return isinstance(atom.value, (int, float)) and not isinstance(
                atom.value, bool
            )
        if isinstance(atom, gast.Name):
            if atom.id in self.scalars:
                return True
            if atom.id not in self.locals:
                value = self.namespace.get(atom.id)  # a module-level constant
                return isinstance(value, (int, float)) and not isinstance(value, bool)
        return False

    def _scalar_variables(self) -> set[str]:
        """Variables every assignment of which gives a scalar: numbers, `math`
        results, full reductions (`np.sum(x)`), arithmetic on scalars, and
        parameters annotated `float` or `int`. A fixed point over all assignments."""
        defs: dict[str, list] = {}
        for n in gast.walk(self.func):
            if isinstance(n, gast.Assign):
                t = n.targets[0]
                if isinstance(t, gast.Name):
                    defs.setdefault(t.id, []).append(n.value)
                else:
                    for v in _store_names(t):
                        defs.setdefault(v, []).append(None)
            elif isinstance(n, gast.For):
                for v in _store_names(n.target):
                    defs.setdefault(v, []).append(None)
        self.locals = set(defs) | set(self.params)
        declared = set(anno.getanno(self.func, anno.SCALAR_PARAMS, ()))
        # a parameter passed to a `math` function is a number, or the call fails
        for n in gast.walk(self.func):
            if isinstance(n, gast.Call) and anno.getanno(n.func, anno.GLOBAL_REF):
                try:
                    obj = resolve(n.func, self.namespace)
                except (KeyError, AttributeError):
                    continue
                if getattr(obj, "__module__", None) == "math":
                    declared |= {
                        a.id
                        for a in n.args
                        if isinstance(a, gast.Name)
                        and a.id in self.params
                        and a.id not in defs
                    }
        scalars = declared | {v for v in defs if v not in self.params}
        changed = True
        while changed:
            changed = False
            for v in sorted(scalars):
                if v in self.params and v not in declared:
                    scalars.discard(v)
                    changed = True
                    continue
                if not all(
                    self._scalar_value(value, scalars) for value in defs.get(v, [])
                ):
                    scalars.discard(v)
                    changed = True
        return scalars

    def _scalar_value(self, value, scalars) -> bool:
        def atom_scalar(a):
            if isinstance(a, gast.Name) and a.id in scalars:
                return True
            return (
                self.is_scalar(a)
                if not isinstance(a, gast.Name) or a.id not in self.locals
                else False
            )

        if value is None:
            return False
        if isinstance(value, (gast.Constant, gast.Name)):
            return atom_scalar(value)
        if isinstance(value, gast.BinOp):
            return (
                value.op.__class__.__name__ != "MatMult"
                and atom_scalar(value.left)
                and atom_scalar(value.right)
            )
        if isinstance(value, gast.UnaryOp):
            return atom_scalar(value.operand)
        if isinstance(value, (gast.Compare, gast.BoolOp)):
            return False
        if isinstance(value, gast.Call):
            func = value.func
            if isinstance(func, gast.Attribute) and not anno.getanno(
                func, anno.GLOBAL_REF
            ):
                # x.sum(), x.mean(), x.item(): full reductions of a value
                return (
                    func.attr in _FULL_REDUCTIONS + ("item",)
                    and not value.args
                    and not value.keywords
                )
            try:
                obj = resolve(func, self.namespace)
            except (KeyError, AttributeError):
                return False
            module = getattr(obj, "__module__", None) or ""
            if module == "math" or obj in (float, int, len, round):
                return True
            if obj in (abs, max, min, pow) or type(obj).__name__ == "ufunc":
                return all(atom_scalar(a) for a in value.args) and not value.keywords
            name_ = getattr(obj, "__name__", "")
            if module.startswith("numpy") and name_ in _FULL_REDUCTIONS:
                return len(value.args) == 1 and not any(
                    k.arg == "axis" for k in value.keywords
                )
        return False

    def _shared_updates(self) -> dict:
        """`b op= e` where `b` may share memory with a variable read afterwards.

        For an array (or a list) Python changes `b` in place, so every other
        variable referring to it (`b = a`, a view `b = m[0]`) changes too;
        the normal form rebinds `b`, and derivatives follow names, not
        memory. For a number (or an immutable JAX array) the two agree. So
        where a shared variable is live, the forward sweep checks the value:
        `if hasattr(b, "__imul__"): raise ...` refuses exactly the programs
        whose gradient would be wrong. Returns {id(stmt): the error to raise}.
        """
        marked = [
            n
            for n in gast.walk(self.func)
            if isinstance(n, gast.Assign) and anno.getanno(n, AUGMENTED)
        ]
        marked = [n for n in marked if n.targets[0].id not in self.scalars]
        if not marked:
            return {}
        shared = SharedMemory(self.func)
        live = Liveness(self.func.body)
        assigned = DefiniteAssignment.of_function(self.func)
        ignored = set(self.namer.temps) | {self.result}
        out = {}
        for s in marked:
            var = s.targets[0].id
            others = sorted((shared.sharing(s, var) & live.live_out(s)) - ignored)
            if not others:
                continue
            op = anno.getanno(s, AUGMENTED)
            lineno = getattr(s, "lineno", None)
            text = self.info.line(lineno) or f"{var} {op}= ..."
            # a number never shares memory (`v = z[0]` of a vector is a copy):
            # the check reads the others where they surely hold a value
            bound = assigned.before(s) or frozenset()
            tested = others if all(w in bound for w in others) else []
            out[id(s)] = (text, others[0], lineno, tested)
        return out

    def _shared_update_guard(self, s):
        """`if hasattr(b, "__imul__") and not isinstance(a, Number): raise
        shared_update_error(...)` before `b *= e` (see `_shared_updates`)."""
        text, other, lineno, others = self.shared_updates[id(s)]
        var = s.targets[0].id
        method = _IN_PLACE_METHODS.get(anno.getanno(s, AUGMENTED), "__iadd__")
        test = gast.Call(
            func=name("hasattr"), args=[name(var), const(method)], keywords=[]
        )
        if others:
            number = self.import_name("Number", numbers.Number)
            numbers_only = [
                gast.Call(
                    func=name("isinstance"), args=[name(w), name(number)], keywords=[]
                )
                for w in others
            ]
            if len(numbers_only) > 1:
                numbers_only = [gast.BoolOp(op=gast.And(), values=numbers_only)]
            test = gast.BoolOp(
                op=gast.And(),
                values=[test, gast.UnaryOp(op=gast.Not(), operand=numbers_only[0])],
            )
        error = gast.Call(
            func=name(self.runtime_name("shared_update_error")),
            args=[const(text.strip()), const(other), const(lineno)],
            keywords=[],
        )
        raise_ = gast.Raise(exc=error, cause=None)
        return gast.If(test=test, body=[raise_], orelse=[])

    def _mark_impure_calls(self):
        """Random draws and calls we cannot resolve may have effects: mark them."""
        for n in gast.walk(self.func):
            if not isinstance(n, gast.Call):
                continue
            func = n.func
            if isinstance(func, gast.Attribute) and not anno.getanno(
                func, anno.GLOBAL_REF
            ):
                continue  # a method of a local value (x.sum()): pure unless a list op
            try:
                obj = resolve(func, self.namespace)
            except (KeyError, AttributeError):
                anno.setanno(n, anno.IMPURE, True)
                continue
            if _has_effects(obj):
                anno.setanno(n, anno.IMPURE, True)

    def elementwise(self, value) -> bool:
        op = self.op_of(value)
        if op.kind == "copy":
            return True
        if op.kind != "rule" or op.rule is None or op.rule is NONDIFFERENTIABLE:
            return False
        if op.key[0] in ("BinOp", "UnaryOp"):
            return op.key[1] not in ("MatMult", "FloorDiv")
        return bool(getattr(op.rule, "elementwise", False))

    def differentiable(self, value) -> bool:
        return self.op_of(value).kind not in ("nondiff", "const")

    def _sequences(self) -> set[str]:
        """Variables that surely hold a list or tuple built in the function."""
        out = set()
        changed = True
        while changed:
            changed = False
            for n in gast.walk(self.func):
                if isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Name):
                    t, v = n.targets[0].id, n.value
                    seq = (
                        isinstance(v, (gast.Tuple, gast.List))
                        or (isinstance(v, gast.Name) and v.id in out)
                        or (
                            isinstance(v, gast.BinOp)
                            and isinstance(v.op, gast.Add)
                            and any(
                                isinstance(a, gast.Name) and a.id in out
                                for a in (v.left, v.right)
                            )
                        )
                    )
                    if seq and t not in out:
                        out.add(t)
                        changed = True
        return out

    def _maybe_containers(self) -> set[str]:
        """Variables that may hold a list or tuple: their adjoints need `add_grad`."""
        out = set()
        for n in gast.walk(self.func):
            if isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Name):
                v = n.value
                if isinstance(v, (gast.Tuple, gast.List, gast.Dict)):
                    out.add(n.targets[0].id)
                elif isinstance(v, gast.Call) and self.op_of(v).kind == "call":
                    out.add(n.targets[0].id)
                elif isinstance(v, gast.Name) and v.id in out:
                    out.add(n.targets[0].id)
            if isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name):
                out.add(n.value.id)
            if isinstance(n, gast.Expr) and isinstance(n.value, gast.Call):
                f = n.value.func
                if isinstance(f, gast.Attribute) and f.attr == "append":
                    out.add(f.value.id)
        return out

    # ----- adjoint helpers -----

    def adj(self, var: str) -> str:
        return self.namer.adjoint(var)

    def has_adjoint(self, atom) -> bool:
        return isinstance(atom, gast.Name) and atom.id in self.active

    def accumulate(self, target: str, expr):
        primal = self._primal_of(target)
        if primal in self.containers:
            add_grad = self.runtime_name("add_grad")
            value = gast.Call(
                func=name(add_grad), args=[name(target), expr], keywords=[]
            )
        else:
            value = gast.BinOp(left=name(target), op=gast.Add(), right=expr)
        return assign(target, value)

    def _primal_of(self, adjoint_name):
        for primal, adjoint in self.namer.adjoints.items():
            if adjoint == adjoint_name:
                return primal
        return None

    def fresh(self, base):
        n = self.namer.new(base)
        self.substitutable.add(n)
        return n

    # ----- statements -----

    def run(self):
        fwd, bwd = self.block(self.func.body)
        return fwd, bwd

    def block(self, stmts):
        """Forward and backward sweeps of a block; adjoints are built last statement first."""
        fwd_parts, bwd = [], []
        for k in range(len(stmts) - 1, -1, -1):
            self.context.append((stmts, k))
            try:
                f, b = self.stmt(stmts[k], stmts, k)
            finally:
                self.context.pop()
            fwd_parts.append(f)
            bwd.extend(b)
        fwd = [s for part in reversed(fwd_parts) for s in part]
        return fwd, bwd

    def stmt(self, s, block, index):
        if isinstance(s, gast.Assign):
            target = s.targets[0]
            if isinstance(target, gast.Name):
                return self.assign_stmt(s, block, index)
            return self.index_write(s)
        if isinstance(s, gast.Expr):
            return self.expr_stmt(s)
        if isinstance(s, gast.If):
            fb, bb = self.block(s.body)
            fo, bo = self.block(s.orelse)
            fwd = gast.If(test=s.test, body=fb, orelse=fo)
            bwd = gast.If(test=copy.deepcopy(s.test), body=bb, orelse=bo)
            return [_keep_line(fwd, s)], [bwd]
        if isinstance(s, (gast.For, gast.While)):
            return self.loop(s)
        if isinstance(s, gast.Break):
            marker = _BreakMarker()
            self.loops[-1][1].append(marker)
            return [marker], []
        if isinstance(s, gast.Return):
            return [], []
        if isinstance(s, gast.Raise):
            return [s], []
        raise self.error(
            TransformError, "cannot differentiate statement", s, type(s).__name__
        )

    def assign_stmt(self, s, block, index):
        target = s.targets[0].id
        tape_id = next(self._ids)
        anno.setanno(s, anno.PRIMAL, True)
        fwd = [tape_push(target, tape_id), s]
        if id(s) in self.shared_updates:
            fwd.insert(0, self._shared_update_guard(s))
        pop = tape_pop(target, tape_id)
        if _is_list_pop(s.value, self.namespace):
            return fwd, self.adjoint_of_list_pop(s, pop)
        if target not in self.active:
            return fwd, [pop]
        adjoint = self.adjoint_of_assign(s)
        for st in adjoint:  # all linear in the result's adjoint
            anno.setanno(st, anno.ZERO_IF, self.adj(target))
        if adjoint and target in self.unpacked:
            # `values = h(x)` of `a, b = h(x)`: its adjoint is `(da, db)`
            # (an element that is never read has no adjoint: 0.0)
            elements = [
                self.element_adjoints.get((target, k))
                for k in range(self.unpacked[target])
            ]
            pack = gast.Tuple(
                elts=[name(e) if e else const(0.0) for e in elements], ctx=gast.Load()
            )
            adjoint = [
                assign(self.adj(target), pack),
                *adjoint,
                *(assign(e, const(0.0)) for e in elements if e),
            ]
        # the adjoint of the overwritten value starts at zero; for a parameter
        # we differentiate by, a zero of its own shape (it may be returned)
        zero = const(0.0)
        if target in self.wrt:
            zero = gast.Call(
                func=name(self.runtime_name("zeros_like")),
                args=[name(target)],
                keywords=[],
            )
        reset = assign(self.adj(target), zero)
        if not adjoint:
            return fwd, [reset, pop]
        # Restore the old value first unless the rule reads the result itself
        # (tanh, exp, division): then the adjoint sees the primal's inputs.
        restore_first = target not in set().union(*(reads(a) for a in adjoint))
        text = self.info.line(getattr(s, "lineno", None))
        bwd = [comment(f"Grad of: {text}")] if text else []
        if restore_first:
            recompute = self.recompute(adjoint, s, block, index, include_self=False)
            bwd += [pop, *recompute, *adjoint, reset]
        else:
            recompute = self.recompute(adjoint, s, block, index, include_self=True)
            if self.loops and target in self.namer.temps and self.cheap(s.value):
                # the rule reads the result: recompute it rather than save it
                recompute.append(assign(target, copy.deepcopy(s.value)))
            bwd += [*recompute, *adjoint, reset, pop]
        return fwd, bwd

    def adjoint_of_assign(self, s):
        target = s.targets[0].id
        value = s.value
        op = self.op_of(value)
        dt = self.adj(target)
        if op.kind in ("const", "nondiff"):
            return []
        if (
            isinstance(value, gast.Subscript)
            and isinstance(value.value, gast.Name)
            and value.value.id in self.unpacked
        ):  # `a = values[k]` of `a, b = h(x)`: into the k-th element's adjoint
            k = value.slice.value % self.unpacked[value.value.id]
            element = self.element_adjoint(value.value.id, k)
            g = name(dt)
            if target in self.broadcast_adjoints:
                g = self._unbroadcast(g, value, self.broadcast_adjoints[target])
            if target in self.containers:
                total = gast.Call(
                    func=name(self.runtime_name("add_grad")),
                    args=[name(element), g],
                    keywords=[],
                )
            else:
                total = gast.BinOp(left=name(element), op=gast.Add(), right=g)
            return [assign(element, total)]
        if op.kind == "copy":
            if self.has_adjoint(value):
                g = name(dt)
                if target in self.broadcast_adjoints:
                    root = self.broadcast_adjoints[target]
                    if value.id in self.elementwise_temps:
                        self.broadcast_adjoints[value.id] = root
                    else:
                        g = self._unbroadcast(g, value, root)
                return [self.accumulate(self.adj(value.id), g)]
            return []
        if op.kind == "unknown":
            if not any(self.has_adjoint(a) for a in _atoms(op)):
                return []
            shown = _func_text(value)
            if op.func is not None:
                qualified = _op_text(op, value)
                if qualified != shown:
                    shown = f"{shown} ({qualified})"
            raise self.error(
                NoRuleError,
                "no derivative rule",
                s,
                f"call to {shown}",
                "register one with @tangent.adjoint (or tangent.custom_vjp for your "
                "own function), or wrap the value in tangent.stop_gradient",
            )
        if op.kind == "call":
            return self.adjoint_of_call(s, op)
        if op.kind == "custom":
            return self.adjoint_of_custom(s, op)
        if op.key == ("BinOp", "Add") and any(
            isinstance(a, gast.Name) and a.id in self.sequences for a in op.args
        ):
            concat = Op("rule", ("BinOp", "Add", "sequence"), op.args)
            concat.rule = self.rules.lookup(concat.key)
            op = concat
        if op.key in (("Tuple",), ("List",), ("Dict",)):
            return self.adjoint_of_pack(op, dt)
        if op.rule is None:
            if not any(self.has_adjoint(a) for a in _atoms(op)):
                return []
            raise self.error(
                NoRuleError,
                "no derivative rule",
                s,
                _op_text(op, value),
                "register one with @tangent.adjoint, or wrap the value in "
                "tangent.stop_gradient",
            )
        return self.fill_rule(op, name(target), dt)

    def fill_rule(self, op, result_atom, result_adjoint):
        template = op.rule
        try:
            bound = template.bind(result_atom, op.args, op.keywords)
        except TransformError as exc:
            raise self.error(
                TransformError, exc.message, None, _op_text(op, None)
            ) from None

        def reading_own(param):
            return False

        # A rule that reshapes, transposes or multiplies matrices needs its
        # adjoint with the result's shape, never the scalar zero `0.0` that an
        # adjoint holds on a path where nothing flowed into it: guard it
        # (`shaped(dy, y)`); the optimizer drops the guard where the adjoint
        # surely holds a real value.
        incoming = result_adjoint
        if not self.elementwise_value(op) and op.key[0] != "Subscript":
            incoming = gast.Call(
                func=name(self.runtime_name("shaped")),
                args=[name(result_adjoint), copy.deepcopy(result_atom)],
                keywords=[],
            )
            anno.setanno(incoming, anno.SHAPE_GUARD, True)

        def adjoint(param):
            if param == template.params[0]:
                return result_adjoint if reading_own(param) else incoming
            atom = bound.get(param)
            if self.has_adjoint(atom):
                return self.adj(atom.id)
            return None

        stmts = template.fill(
            bound, adjoint, self.accumulate, self.fresh, rename_global=self.import_name
        )
        if op.key[0] == "BinOp" or getattr(template, "elementwise", False):
            root = self.broadcast_adjoints.get(result_atom.id)
            exact = result_atom.id not in self.broadcast_adjoints or (
                root is not None and root[0] in self.scalars
            )
            all_scalar = exact and all(self.is_scalar(a) for a in op.args)
            if exact:  # a larger (deferred) adjoint must still be reduced
                stmts = [
                    _drop_unbroadcast_for_scalars(s, op, all_scalar) for s in stmts
                ]
        if self.elementwise_value(op):
            stmts = self._defer_unbroadcast(stmts, op, result_atom.id)
        return stmts

    def elementwise_value(self, op):
        if op.kind != "rule" or op.rule is None:
            return False
        if op.key[0] in ("BinOp", "UnaryOp"):
            return op.key[1] not in ("MatMult", "FloorDiv")
        return bool(getattr(op.rule, "elementwise", False))

    def _defer_unbroadcast(self, stmts, op, target):
        """Keep broadcast dimensions in adjoints of elementwise temporaries.

        `d_t = unbroadcast(g, t)` => `d_t = g` when `t` is an elementwise
        temporary; a contribution from an adjoint that may carry broadcast
        dimensions into a real variable is reduced there instead.
        """
        adjoint_of = {}
        for atom in _atoms(op):
            if self.has_adjoint(atom):
                adjoint_of[self.adj(atom.id)] = atom
        unbroadcast = self.runtime_name("unbroadcast")
        broadcast_in = target in self.broadcast_adjoints
        if broadcast_in:
            root = self.broadcast_adjoints[target]
        elif target not in self.elementwise_temps:
            root = (target, next(self._ids))  # one token per primal statement
        else:
            root = None
        for st in _flat_statements(stmts):  # a rule may branch (math.log's base)
            pair = _accumulation_parts(st)
            if pair is None or pair[0] not in adjoint_of:
                continue
            dv, increment = pair
            atom = adjoint_of[dv]
            wrapped = (
                isinstance(increment, gast.Call)
                and isinstance(increment.func, gast.Name)
                and increment.func.id == unbroadcast
            )
            if atom.id in self.elementwise_temps:
                if wrapped or broadcast_in:
                    # its adjoint may now be larger than it: reduce downstream
                    increment = increment.args[0] if wrapped else increment
                    self.broadcast_adjoints[atom.id] = root
            elif broadcast_in and not wrapped:
                increment = self._unbroadcast(increment, atom, root)
            elif wrapped and root is not None:
                anno.setanno(increment, anno.UNBROADCAST_ROOT, root)
            _set_increment(st, increment)
        return stmts

    def _unbroadcast(self, g, atom, root):
        """`unbroadcast(g, atom)`, marked with the adjoint whose shape `g` has (if known)."""
        call = gast.Call(
            func=name(self.runtime_name("unbroadcast")),
            args=[g, copy.deepcopy(atom)],
            keywords=[],
        )
        if root is not None:
            anno.setanno(call, anno.UNBROADCAST_ROOT, root)
        return call

    def runtime_name(self, helper):
        """The name of a runtime helper (`add_grad`, `zeros_like`, ...) in generated code."""
        return self.import_name(helper, self.rules.runtime[helper])

    def import_name(self, ref, obj):
        """The name under which generated code reaches a rule's global `obj`."""
        for alias, known in self.imports.items():
            if known is obj:
                return alias
        alias = ref
        if self.namespace.get(alias, None) is obj:
            pass  # the user's own name for the same object
        elif (
            alias in self.namespace
            or alias in self.imports
            or (alias in self.namer.used and alias not in self.namer.reserved_imports)
        ):
            alias = self.namer.new(ref)
        self.namer.reserve(alias)
        self.imports[alias] = obj
        return alias

    def adjoint_of_list_pop(self, s, pop):
        """`v = xs.pop()`: the list's adjoint gets `dv` back; `xs.append(v)` restores it."""
        target = s.targets[0].id
        lst = s.value.func.value.id
        bwd = []
        text = self.info.line(getattr(s, "lineno", None))
        if text:
            bwd.append(comment(f"Grad of: {text}"))
        if target in self.active and lst in self.active:
            dl = self.adj(lst)
            grown = gast.Call(
                func=name(self.runtime_name("push_grad")),
                args=[name(dl), name(lst), name(self.adj(target))],
                keywords=[],
            )
            bwd.append(assign(dl, grown))
            bwd.append(assign(self.adj(target), const(0.0)))
        restore = gast.Expr(
            value=gast.Call(
                func=gast.Attribute(value=name(lst), attr="append", ctx=gast.Load()),
                args=[name(target)],
                keywords=[],
            )
        )
        anno.setanno(restore, anno.TAPE_ID, ("restore", lst))
        return [*bwd, restore, pop]

    def adjoint_of_pack(self, op, dt):
        """`t = (a, b)`: each item's adjoint gets its entry of `dt`."""
        out = []
        grad_item = None
        keys = getattr(op, "keys", None) or [const(i) for i in range(len(op.args))]
        for key, item in zip(keys, op.args):
            if self.has_adjoint(item):
                grad_item = grad_item or self.runtime_name("grad_item")
                entry = gast.Call(
                    func=name(grad_item),
                    args=[name(dt), copy.deepcopy(key)],
                    keywords=[],
                )
                out.append(self.accumulate(self.adj(item.id), entry))
        return out

    def adjoint_of_custom(self, s, op):
        """A function with a user-given backward (`custom_vjp`): the backward
        sweep runs the user's forward for the residuals and the user's backward
        on them, two ordinary calls that a second differentiation follows:

            residuals = f_fwd(x, n)[1]
            dx_f, dn_f = checked_adjoints(f_bwd(residuals, dy), (x, n), 'f_bwd')
        """
        value = s.value
        if op.keywords:
            raise self.error(
                UnsupportedConstructError,
                "keyword arguments in a call of a custom_vjp function",
                s,
                _func_text(value),
                "pass its arguments positionally",
            )
        custom = op.func
        label = _func_name(value)
        if custom.forward is None or custom.backward is None:
            raise self.error(
                TransformError,
                "custom_vjp function has no backward",
                s,
                f"call to '{label}'",
                f"call {label}.defvjp(fwd, bwd) before differentiating",
            )
        active = [self.has_adjoint(atom) for atom in value.args]
        if not any(active):
            return []
        target = s.targets[0].id
        own = _func_text_of(custom, label)  # a lambda's name: after the function
        forward = self.import_name(
            _func_text_of(custom.forward, f"{own}_fwd"), custom.forward
        )
        backward_label = _func_text_of(custom.backward, f"{own}_bwd")
        backward = self.import_name(backward_label, custom.backward)
        residuals = self.fresh(f"{label}_residuals")
        run_forward = gast.Call(
            func=name(forward), args=copy.deepcopy(value.args), keywords=[]
        )
        run_backward = gast.Call(
            func=name(backward),
            args=[name(residuals), name(self.adj(target))],
            keywords=[],
        )
        for call in (run_forward, run_backward):
            anno.setanno(call, anno.IMPURE, True)
        checked = gast.Call(
            func=name(self.runtime_name("checked_adjoints")),
            args=[
                run_backward,
                gast.Tuple(elts=copy.deepcopy(value.args), ctx=gast.Load()),
                const(backward_label),
            ],
            keywords=[],
        )
        out = [
            assign(
                residuals,
                gast.Subscript(value=run_forward, slice=const(1), ctx=gast.Load()),
            )
        ]
        if all(active):
            names = [self.fresh(f"d{atom.id}_{label}") for atom in value.args]
            targets = gast.Tuple(
                elts=[name(n, store=True) for n in names], ctx=gast.Store()
            )
            out.append(gast.Assign(targets=[targets], value=checked, type_comment=None))
            items = [name(n) for n in names]
        else:
            adjoints = self.fresh(f"adjoints_{label}")
            out.append(assign(adjoints, checked))
            items = [
                gast.Subscript(value=name(adjoints), slice=const(i), ctx=gast.Load())
                for i in range(len(value.args))
            ]
        for atom, is_active, item in zip(value.args, active, items):
            if is_active:
                out.append(self.accumulate(self.adj(atom.id), item))
        return out

    def adjoint_of_call(self, s, op):
        value = s.value
        target = s.targets[0].id
        func = op.func
        import inspect

        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError) as exc:
            raise self.error(
                TransformError, "bad call", s, _func_text(value), str(exc)
            ) from None
        if any(
            p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
            for p in signature.parameters.values()
        ):
            raise self.error(
                UnsupportedConstructError,
                "cannot differentiate through a helper with *args/**kwargs",
                s,
                f"call to '{_func_text(value)}'",
                "give the helper explicit parameters",
            )
        try:
            bound = signature.bind(
                *range(len(value.args)), **{k: k for k in op.keywords}
            )
        except (TypeError, ValueError) as exc:
            raise self.error(
                TransformError, "bad call", s, _func_text(value), str(exc)
            ) from None
        active_params = []
        sources = {}
        for param, marker in bound.arguments.items():
            atom = (
                value.args[marker] if isinstance(marker, int) else op.keywords[marker]
            )
            if self.has_adjoint(atom):
                active_params.append(param)
                sources[param] = atom
        if not active_params:
            return []
        grad_func, seed, preferred = self.call_gradient(func, tuple(active_params), s)
        grad_name = self.import_name(preferred, grad_func)
        results = [
            self.fresh(f"d{sources[p].id}_{_func_name(value)}") for p in active_params
        ]
        call = gast.Call(
            func=name(grad_name),
            args=copy.deepcopy(value.args),
            keywords=copy.deepcopy(value.keywords)
            + [gast.keyword(arg=seed, value=name(self.adj(target)))],
        )
        anno.setanno(call, anno.IMPURE, True)
        if len(results) == 1:
            out = [assign(results[0], call)]
        else:
            targets = gast.Tuple(
                elts=[name(r, store=True) for r in results], ctx=gast.Store()
            )
            out = [gast.Assign(targets=[targets], value=call, type_comment=None)]
        for p, r in zip(active_params, results):
            out.append(self.accumulate(self.adj(sources[p].id), name(r)))
        return out

    def recompute(self, adjoint, s, block, index, include_self):
        """Recompute cheap temporaries of an enclosing loop body that `adjoint` reads.

        The recomputation runs where the backward sweep has restored the state
        before `s` (include_self=False) or after it (include_self=True).
        """
        stop = index + 1 if include_self else index
        if not self.loops:
            return []
        needed = set()
        for st in adjoint:
            needed |= reads(st)
        if isinstance(s.targets[0], gast.Name):
            needed.discard(s.targets[0].id)
        out = []
        done = set()
        # the enclosing blocks within the innermost loop body, innermost first
        frames = []
        for blk, k in reversed(self.context[:-1]):
            frames.append((blk, k))
            if any(blk is loop.body for loop, _ in self.loops[-1:]):
                break

        def find(var, frame_index, limit):
            """The definition of `var` before `limit` in frame `frame_index` or outside it."""
            for f in range(frame_index, len(frames) + 1):
                blk, stop_at = (
                    (block, limit) if f == frame_index == 0 else frames[f - 1]
                )
                if f == frame_index and f > 0:
                    stop_at = limit
                for j in range(stop_at - 1, -1, -1):
                    d = blk[j]
                    if isinstance(d, gast.Assign) and isinstance(
                        d.targets[0], gast.Name
                    ):
                        if d.targets[0].id == var:
                            return f, blk, j, stop_at
            return None

        def visit(var, frame_index, limit):
            if var in done:
                return
            found = find(var, frame_index, limit)
            if found is None:
                return
            f, blk, j, _ = found
            d = blk[j]
            temp = var in self.namer.temps
            if not (temp and self.cheap(d.value)) and not (
                isinstance(d.value, gast.Subscript) and self.cheap(d.value)
            ):
                return
            # nothing between the definition and the point where the
            # recomputation runs may change what the definition reads: the
            # rest of its own block up to (and including) the statement that
            # encloses that point, then every enclosing block's start. This
            # holds for a dependency too: it is recomputed at the same point,
            # not where the definition that reads it stood.
            if f == 0:
                between = list(blk[j + 1 : stop])
            else:
                between = list(blk[j + 1 : frames[f - 1][1] + 1])
                between += list(block[:stop])
                for g in range(1, f):
                    gb, gk = frames[g - 1]
                    between += list(gb[: gk + 1])
            touched = written(between)
            if reads(d.value) & touched or var in touched:
                return
            done.add(var)
            for dep in sorted(reads(d.value)):
                visit(dep, f, j)
            out.append(assign(var, copy.deepcopy(d.value)))

        for var in sorted(needed):
            visit(var, 0, index)
        return out

    def cheap(self, value) -> bool:
        op = self.op_of(value)
        if op.kind in ("copy", "const"):
            return True
        if op.kind != "rule" or op.rule is None:
            return False
        if op.key == ("BinOp", "MatMult"):
            return False
        if op.key[0] in ("BinOp", "UnaryOp", "Subscript", "Attribute", "Tuple", "Dict"):
            return True
        return bool(getattr(op.rule, "cheap", False))

    def index_write(self, s):
        """`x[idx] = v`: the adjoint of `v` reads `dx[idx]`, which is then zeroed.

        The overwritten entries are candidates for the tape, restored in place.
        """
        target = s.targets[0]
        var = target.value.id
        index = index_value(target.slice)
        tape_id = next(self._ids)
        old = gast.Subscript(
            value=name(var), slice=copy.deepcopy(target.slice), ctx=gast.Load()
        )
        saved = gast.Call(
            func=name(self.runtime_name("copy_value")), args=[old], keywords=[]
        )
        fwd = [tape_push_value(saved, tape_id), s]
        restore = gast.Assign(
            targets=[
                gast.Subscript(
                    value=name(var), slice=copy.deepcopy(target.slice), ctx=gast.Store()
                )
            ],
            value=gast.Call(
                func=gast.Attribute(value=name(TAPE), attr="pop", ctx=gast.Load()),
                args=[],
                keywords=[],
            ),
            type_comment=None,
        )
        anno.setanno(restore, anno.TAPE_ID, tape_id)
        if var not in self.active:
            return fwd, [restore]
        text = self.info.line(getattr(s, "lineno", None))
        bwd = [comment(f"Grad of: {text}")] if text else []
        dx = self.adj(var)
        block, position = self.context[-1]
        probe = [
            gast.Expr(value=copy.deepcopy(s.value)),
            gast.Expr(value=copy.deepcopy(index)),
        ]
        bwd += (
            self.recompute(probe, s, block, position, include_self=False)
            if self.loops
            else []
        )
        if self.has_adjoint(s.value):
            entry = gast.Call(
                func=name(self.runtime_name("grad_at")),
                args=[name(dx), copy.deepcopy(index)],
                keywords=[],
            )
            unbroadcast = self.runtime_name("unbroadcast")
            contribution = gast.Call(
                func=name(unbroadcast),
                args=[entry, copy.deepcopy(s.value)],
                keywords=[],
            )
            bwd.append(self.accumulate(self.adj(s.value.id), contribution))
        zeroed = gast.Call(
            func=name(self.runtime_name("zero_at")),
            args=[name(dx), copy.deepcopy(index)],
            keywords=[],
        )
        bwd.append(assign(dx, zeroed))
        bwd.append(restore)
        return fwd, bwd

    def expr_stmt(self, s):
        value = s.value
        func = value.func if isinstance(value, gast.Call) else None
        if (
            isinstance(func, gast.Attribute)
            and func.attr == "append"
            and isinstance(func.value, gast.Name)
            and func.value.id not in self.namespace
        ):
            lst = func.value.id
            item = value.args[0]
            bwd = []
            if lst in self.active and self.has_adjoint(item):
                text = self.info.line(getattr(s, "lineno", None))
                if text:
                    bwd.append(comment(f"Grad of: {text}"))
                dl = self.adj(lst)
                last = self.fresh(f"d{item.id}_item")
                pair = gast.Tuple(
                    elts=[name(dl, store=True), name(last, store=True)],
                    ctx=gast.Store(),
                )
                bwd.append(
                    gast.Assign(
                        targets=[pair],
                        value=gast.Call(
                            func=name(self.runtime_name("pop_grad")),
                            args=[name(dl)],
                            keywords=[],
                        ),
                        type_comment=None,
                    )
                )
                bwd.append(self.accumulate(self.adj(item.id), name(last)))
                for st in bwd:  # linear in the list's adjoint
                    if not is_comment(st):
                        anno.setanno(st, anno.ZERO_IF, dl)
            restore = gast.Expr(
                value=gast.Call(
                    func=gast.Attribute(value=name(lst), attr="pop", ctx=gast.Load()),
                    args=[],
                    keywords=[],
                )
            )
            anno.setanno(restore, anno.TAPE_ID, ("restore", lst))
            bwd.append(restore)
            return [s], bwd
        if isinstance(value, gast.Call) and _is_scatter_add(func, self.namespace):
            return self.scatter_add(s)
        if (
            isinstance(func, gast.Attribute)
            and isinstance(func.value, gast.Name)
            and func.value.id in self.active
        ):
            raise self.error(
                TransformError,
                "cannot differentiate an in-place method call",
                s,
                f".{func.attr}()",
                "assign the result to a new variable instead of mutating in place",
            )
        if isinstance(value, gast.Call) and any(
            self.has_adjoint(a)
            for a in [*value.args, *(k.value for k in value.keywords)]
        ):
            # its result is unused, so it can only matter by changing its
            # arguments in place, which tangent cannot follow
            raise self.error(
                TransformError,
                "cannot differentiate a call whose result is unused",
                s,
                f"call to {_func_text(value)}",
                "if it changes an array in place, compute a new array and assign it",
            )
        return [s], []

    def scatter_add(self, s):
        """`np.add.at(a, idx, v)`: `v`'s adjoint gathers `da[idx]` (repeated indices
        gather again); `a` keeps its adjoint, and its old value is restored."""
        value = s.value
        if len(value.args) != 3 or value.keywords:
            raise self.error(
                TransformError,
                "np.add.at takes (array, indices, values)",
                s,
                _func_text(value),
            )
        array, index, values = value.args
        if not isinstance(array, gast.Name):
            raise self.error(
                TransformError,
                "np.add.at into an expression",
                s,
                _func_text(value),
                "add into a variable",
            )
        var = array.id
        tape_id = next(self._ids)
        saved = gast.Call(
            func=name(self.runtime_name("copy_value")), args=[name(var)], keywords=[]
        )
        fwd = [tape_push_value(saved, tape_id), s]
        restore = tape_pop(var, tape_id)
        bwd = []
        if var in self.active and self.has_adjoint(values):
            text = self.info.line(getattr(s, "lineno", None))
            if text:
                bwd.append(comment(f"Grad of: {text}"))
            gathered = gast.Call(
                func=name(self.runtime_name("grad_at")),
                args=[name(self.adj(var)), copy.deepcopy(index)],
                keywords=[],
            )
            contribution = gast.Call(
                func=name(self.runtime_name("unbroadcast")),
                args=[gathered, copy.deepcopy(values)],
                keywords=[],
            )
            bwd.append(self.accumulate(self.adj(values.id), contribution))
        bwd.append(restore)
        return fwd, bwd

    def loop(self, s):
        self.loops.append((s, []))
        fb, bb = self.block(s.body)
        self.loops.pop()
        counter = anno.getanno(s, anno.ITERATIONS)
        defined = set(self.assigned.before(s) or ())
        # A value the loop body leaves behind is saved at the body's end, for
        # the backward sweep to start the iteration with it. A variable that
        # surely has a value before the loop (on every path that reaches it,
        # not merely somewhere earlier) needs no such save: restoring
        # the old value at each of its assignments (when the sweep reads it)
        # already puts back what the previous iteration left.
        saved = sorted(written(s.body) - {counter} - _loop_targets(s) - defined)
        pushes, pops = [], []
        for v in saved:
            tape_id = next(self._ids)
            pushes.append((v, tape_id))
            pops.insert(0, tape_pop(v, tape_id))
        fb = fb + [tape_push(v, t) for v, t in pushes]
        fb = self._resolve_breaks(fb, pushes, defined)
        # a value saved at the end of the body may be unassigned on the first
        # iteration (assigned in one branch only): start it as None
        surely = defined | _definitely_assigned(s.body)
        before = []
        for v, t in pushes:
            if v not in surely:
                init = assign(v, const(None))
                anno.setanno(init, anno.TAPE_ID, t)
                before.append(init)
        if isinstance(s, gast.For):
            fwd = gast.For(
                target=s.target, iter=s.iter, body=fb, orelse=[], type_comment=None
            )
            rng = copy.deepcopy(s.iter)
            if counter:
                rng = gast.Subscript(
                    value=rng,
                    slice=gast.Slice(lower=None, upper=name(counter), step=None),
                    ctx=gast.Load(),
                )
            back_iter = gast.Call(func=name("reversed"), args=[rng], keywords=[])
            bwd = gast.For(
                target=copy.deepcopy(s.target),
                iter=back_iter,
                body=pops + bb,
                orelse=[],
                type_comment=None,
            )
        else:
            fwd = gast.While(test=s.test, body=fb, orelse=[])
            bwd = gast.For(
                target=name("_", store=True),
                iter=gast.Call(func=name("range"), args=[name(counter)], keywords=[]),
                body=pops + bb,
                orelse=[],
                type_comment=None,
            )
        return [*before, _keep_line(fwd, s)], [bwd]

    def _resolve_breaks(self, stmts, pushes, defined):
        """Replace break markers: save the loop's values, then break."""
        out = []
        for st in stmts:
            if isinstance(st, _BreakMarker):
                # the value itself, even where it may be unassigned so far: an
                # assignment in a branch before the break is read by that
                # branch's adjoint (`bind_saved_values` binds what may be unbound)
                for v, t in pushes:
                    out.append(tape_push(v, t))
                out.append(gast.Break())
                continue
            if isinstance(st, gast.If):
                st.body = self._resolve_breaks_nested(
                    st.body, pushes, defined | _definitely_assigned(out)
                )
                st.orelse = self._resolve_breaks_nested(
                    st.orelse, pushes, defined | _definitely_assigned(out)
                )
            out.append(st)
        return out

    def _resolve_breaks_nested(self, stmts, pushes, defined):
        return self._resolve_breaks(stmts, pushes, defined)


def _definitely_assigned(stmts) -> set[str]:
    """Names assigned on every path through `stmts` (loops may run zero times)."""
    out = set()
    for s in stmts:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
            out.add(s.targets[0].id)
        elif isinstance(s, gast.If):
            out |= _definitely_assigned(s.body) & _definitely_assigned(s.orelse)
    return out


def _loop_targets(s) -> set[str]:
    if isinstance(s, gast.For):
        return {n.id for n in gast.walk(s.target) if isinstance(n, gast.Name)}
    return set()


def _keep_line(new, old):
    new.lineno = getattr(old, "lineno", None)
    return new


# the method through which Python applies `v op= e` in place, by operator
_IN_PLACE_METHODS = {
    "+": "__iadd__",
    "-": "__isub__",
    "*": "__imul__",
    "/": "__itruediv__",
    "//": "__ifloordiv__",
    "%": "__imod__",
    "**": "__ipow__",
    "@": "__imatmul__",
    "&": "__iand__",
    "|": "__ior__",
    "^": "__ixor__",
    "<<": "__ilshift__",
    ">>": "__irshift__",
}

_LIBRARIES = ("numpy", "scipy", "jax", "jaxlib", "autograd", "torch", "tangent")


def _is_bound_method(obj) -> bool:
    owner = getattr(obj, "__self__", None)
    return owner is not None and not isinstance(owner, type(copy))  # not a module


# our own helpers that generated gradients call: a helper without a rule is
# differentiated through its source (grad of a generated gradient)
SOURCE_DIFFERENTIABLE = ("tangent.rules.rule_helpers", "tangent.runtime")


def _is_library(obj) -> bool:
    """Library code is differentiated through rules only, never through its source."""
    if getattr(obj, "__module__", None) in SOURCE_DIFFERENTIABLE:
        return False
    module = (getattr(obj, "__module__", None) or "").split(".")[0]
    return module in _LIBRARIES


_EFFECT_MODULES = ("numpy.random", "random", "secrets", "time", "os", "sys", "io")


def _has_effects(obj) -> bool:
    """Whether calling `obj` may draw random numbers or do I/O."""
    if obj is print or obj is input:
        return True
    owner = getattr(obj, "__self__", None)
    if owner is not None and type(owner).__name__ in ("Generator", "RandomState"):
        return True
    module = getattr(obj, "__module__", None) or ""
    return any(module == m or module.startswith(m + ".") for m in _EFFECT_MODULES)


def _is_scatter_add(func, namespace) -> bool:
    """Whether `func` is NumPy's unbuffered scatter-add, `np.add.at`."""
    if not (isinstance(func, gast.Attribute) and anno.getanno(func, anno.GLOBAL_REF)):
        return False
    try:
        obj = resolve(func, namespace)
    except (KeyError, AttributeError):
        return False
    owner = getattr(obj, "__self__", None)
    return (
        getattr(obj, "__name__", None) == "at"
        and type(owner).__name__ == "ufunc"
        and getattr(owner, "__name__", None) == "add"
    )


def _is_list_pop(value, namespace) -> bool:
    return (
        isinstance(value, gast.Call)
        and isinstance(value.func, gast.Attribute)
        and value.func.attr == "pop"
        and isinstance(value.func.value, gast.Name)
        and value.func.value.id not in namespace
        and not value.args
        and not value.keywords
    )


def _accumulation_parts(st):
    """(adjoint name, increment) of `dv = dv + increment` or `dv = add_grad(dv, increment)`."""
    if not (isinstance(st, gast.Assign) and isinstance(st.targets[0], gast.Name)):
        return None
    target, value = st.targets[0].id, st.value
    if (
        isinstance(value, gast.BinOp)
        and isinstance(value.op, gast.Add)
        and isinstance(value.left, gast.Name)
        and value.left.id == target
    ):
        return target, value.right
    if (
        isinstance(value, gast.Call)
        and isinstance(value.func, gast.Name)
        and value.func.id.startswith("add_grad")
        and len(value.args) == 2
        and isinstance(value.args[0], gast.Name)
        and value.args[0].id == target
    ):
        return target, value.args[1]
    return None


def _set_increment(st, increment):
    if isinstance(st.value, gast.BinOp):
        st.value.right = increment
    else:
        st.value.args[1] = increment


def _atoms(op):
    return list(op.args) + list(op.keywords.values())


def _func_text(value):
    from transforms.quoting import to_source

    return to_source(value.func) if isinstance(value, gast.Call) else to_source(value)


def _func_text_of(func, default) -> str:
    """A user function's name, for generated code (`default` for a lambda)."""
    text = getattr(func, "__name__", None)
    return text if isinstance(text, str) and text.isidentifier() else default


def _func_name(value):
    func = value.func
    return (
        func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", "call")
    )


def _op_text(op, value):
    kind = op.key[0] if op.key else "operation"
    if kind == "Call":
        obj = op.key[1]
        module = getattr(obj, "__module__", None) or ""
        qual = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", repr(obj))
        return f"{module}.{qual}" if module else qual
    if kind == "Method":
        return f"method .{op.key[1]}()"
    if kind == "Attribute":
        return f"attribute .{op.key[1]}"
    return f"operator {op.key[-1]}"


def _flat_statements(stmts):
    """`stmts` and the statements nested in their branches, in order."""
    for st in stmts:
        yield st
        if isinstance(st, gast.If):
            yield from _flat_statements(st.body)
            yield from _flat_statements(st.orelse)


def _drop_unbroadcast_for_scalars(stmt, op, all_scalar=False):
    """`unbroadcast(g, x)` is `g` when every other operand is `x` or a number
    literal, or when every operand is a scalar and `g` derives exactly from the
    (then scalar) result's adjoint (`all_scalar`)."""

    class Strip(gast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if (
                isinstance(node.func, gast.Name)
                and node.func.id == "unbroadcast"
                and len(node.args) == 2
            ):
                x = node.args[1]
                if all_scalar:
                    return node.args[0]
                others = [a for a in op.args if not _same_atom(a, x)]
                if all(
                    isinstance(a, gast.Constant) and isinstance(a.value, (int, float))
                    for a in others
                ):
                    return node.args[0]  # x op 2.0, x * x: the result has x's shape
            return node

    return Strip().visit(stmt)


_FULL_REDUCTIONS = (
    "sum",
    "mean",
    "max",
    "min",
    "prod",
    "amax",
    "amin",
    "std",
    "var",
    "ptp",
)


def _store_names(target) -> set[str]:
    return {n.id for n in gast.walk(target) if isinstance(n, gast.Name)}


def _same_atom(a, b):
    if isinstance(a, gast.Name) and isinstance(b, gast.Name):
        return a.id == b.id
    return a is b


def _restored_container(stmt):
    """The container an in-place restore of the backward sweep writes, or None."""
    tape_id = anno.getanno(stmt, anno.TAPE_ID)
    if isinstance(tape_id, tuple):  # xs.pop() / xs.append(v) undoing a list op
        return tape_id[1]
    if tape_id is not None and isinstance(stmt, gast.Assign):
        target = stmt.targets[0]
        if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
            return target.value.id  # a[i] = _tape.pop()
    return None


def prune_tape(body, live_at_exit):
    """Remove candidate pops whose value is never read, and their pushes.

    Returns the new body and whether any push remains.
    """
    # a restore in place also puts back what views of the container read
    # (`z_0 = z[0]` before `z[0] = ...`): it is live while one of them is
    live = Liveness(
        body, live_at_exit, restores=_restored_container, aliases=views(body)
    )
    dead = set()
    keep_restore = set()

    def scan(stmts):
        for s in stmts:
            tape_id = anno.getanno(s, anno.TAPE_ID)
            if tape_id is not None:
                if isinstance(tape_id, tuple):
                    lst = tape_id[1]
                    if {lst, memory(lst)} & live.live_out(s):
                        keep_restore.add(id(s))
                elif isinstance(s, gast.Assign) and not isinstance(
                    s.value, gast.Constant
                ):
                    target = s.targets[0]
                    if isinstance(target, gast.Subscript):
                        var = target.value.id
                        needed = {var, memory(var)}
                    else:
                        needed = {target.id, binding(target.id)}
                    if not needed & live.live_out(s):
                        dead.add(tape_id)
            for field in ("body", "orelse"):
                scan(getattr(s, field, []) or [])

    scan(body)

    def drop(stmts):
        out = []
        for s in stmts:
            tape_id = anno.getanno(s, anno.TAPE_ID)
            if tape_id is not None:
                if isinstance(tape_id, tuple):
                    if id(s) not in keep_restore:
                        continue
                elif tape_id in dead:
                    continue
            for field in ("body", "orelse"):
                if getattr(s, field, None):
                    setattr(s, field, drop(getattr(s, field)))
            out.append(s)
        return out

    body = drop(body)
    return body, _has_tape(body)


def bind_saved_values(body, params):
    """`v = None` at the start for each value saved where it may be unbound.

    A candidate save `_tape.append(v)` sits before each assignment of `v`;
    on a path where `v` was never assigned (it is set in one branch only,
    or later in a loop body), the save would read an unbound name. The
    backward sweep then restores the placeholder, which nothing reads on
    that path. Decided by definite assignment over the final forward sweep.
    """
    assigned = DefiniteAssignment(body, params)
    unbound = set()
    for stmt in body:
        for s in gast.walk(stmt):
            value = _saved_name(s)
            if value is None:
                continue
            bound = assigned.before(s)
            if bound is not None and value not in bound:
                unbound.add(value)
    if not unbound:
        return body
    inits = [assign(v, const(None)) for v in sorted(unbound)]
    at = 1 if body and _is_tape_init(body[0]) else 0
    return [*body[:at], *inits, *body[at:]]


def _saved_name(stmt):
    """`v` in `_tape.append(v)`, or None."""
    if not (isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Call)):
        return None
    call = stmt.value
    func = call.func
    if (
        isinstance(func, gast.Attribute)
        and func.attr == "append"
        and isinstance(func.value, gast.Name)
        and func.value.id == TAPE
        and len(call.args) == 1
        and isinstance(call.args[0], gast.Name)
    ):
        return call.args[0].id
    return None


def _is_tape_init(stmt):
    return (
        isinstance(stmt, gast.Assign)
        and isinstance(stmt.targets[0], gast.Name)
        and stmt.targets[0].id == TAPE
    )


def _has_tape(stmts):
    for s in stmts:
        for n in gast.walk(s):
            if anno.getanno(n, anno.TAPE_ID) is not None and isinstance(n, gast.Expr):
                if isinstance(anno.getanno(n, anno.TAPE_ID), int):
                    return True
    return False
