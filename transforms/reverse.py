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

import copy
import itertools

import gast

from transforms import anno
from transforms.analysis import Liveness, activity, assigned_before, reads, written
from transforms.errors import NoRuleError, TransformError
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


def tape_push(value_name, tape_id, placeholder=False):
    value = const(None) if placeholder else name(value_name)
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
        self.active = activity(func, self.wrt, self.result, self.differentiable)
        self.containers = self._maybe_containers()
        self.before_loop = assigned_before(func)
        self.loops = []  # stack of (loop node, list of break markers)
        self.substitutable: set[str] = set(namer.temps)
        self.imports: dict[str, object] = {}

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
            op = Op("rule", ("BinOp", type(value.op).__name__), [value.left, value.right])
        elif isinstance(value, gast.UnaryOp):
            op = Op("rule", ("UnaryOp", type(value.op).__name__), [value.operand])
        elif isinstance(value, (gast.Compare, gast.BoolOp)):
            return Op("nondiff")
        elif isinstance(value, gast.Subscript):
            op = Op("rule", ("Subscript",), [value.value, value.slice])
        elif isinstance(value, gast.Attribute):
            op = Op("rule", ("Attribute", value.attr), [value.value])
        elif isinstance(value, gast.Tuple):
            op = Op("rule", ("Tuple",), value.elts)
        elif isinstance(value, gast.List):
            op = Op("rule", ("List",), value.elts)
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
        if rule is NONDIFFERENTIABLE:
            op.kind = "nondiff"
        elif rule is not None:
            op.rule = rule
        elif callable(obj) and hasattr(obj, "__code__"):
            op.kind = "call"
        else:
            op.kind = "unknown"
        return op

    def differentiable(self, value) -> bool:
        return self.op_of(value).kind not in ("nondiff", "const")

    def _maybe_containers(self) -> set[str]:
        """Variables that may hold a list or tuple: their adjoints need `add_grad`."""
        out = set()
        for n in gast.walk(self.func):
            if isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Name):
                v = n.value
                if isinstance(v, (gast.Tuple, gast.List)):
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
            value = gast.Call(func=name(add_grad), args=[name(target), expr], keywords=[])
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
        fwd, bwd = [], []
        for k, s in enumerate(stmts):
            f, b = self.stmt(s, stmts, k)
            fwd.extend(f)
            bwd[:0] = b
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
        raise self.error(TransformError, "cannot differentiate statement", s, type(s).__name__)

    def assign_stmt(self, s, block, index):
        target = s.targets[0].id
        tape_id = next(self._ids)
        fwd = [tape_push(target, tape_id), s]
        pop = tape_pop(target, tape_id)
        if target not in self.active:
            return fwd, [pop]
        adjoint = self.adjoint_of_assign(s)
        reset = assign(self.adj(target), const(0.0))
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
            bwd += [*recompute, *adjoint, reset, pop]
        return fwd, bwd

    def adjoint_of_assign(self, s):
        target = s.targets[0].id
        value = s.value
        op = self.op_of(value)
        dt = self.adj(target)
        if op.kind in ("const", "nondiff"):
            return []
        if op.kind == "copy":
            if self.has_adjoint(value):
                return [self.accumulate(self.adj(value.id), name(dt))]
            return []
        if op.kind == "unknown":
            if not any(self.has_adjoint(a) for a in _atoms(op)):
                return []
            shown = _func_text(value)
            raise self.error(
                NoRuleError,
                "no derivative rule",
                s,
                f"call to {shown}",
                "register one with @tangent.adjoint, or wrap the value in "
                "tangent.stop_gradient",
            )
        if op.kind == "call":
            return self.adjoint_of_call(s, op)
        if op.key in (("Tuple",), ("List",)):
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

        def adjoint(param):
            if param == template.params[0]:
                return result_adjoint
            atom = bound.get(param)
            if self.has_adjoint(atom):
                return self.adj(atom.id)
            return None

        stmts = template.fill(
            bound, adjoint, self.accumulate, self.fresh, rename_global=self.import_name
        )
        if op.key[0] == "BinOp":
            stmts = [_drop_unbroadcast_for_scalars(s, op) for s in stmts]
        return stmts

    def runtime_name(self, helper):
        """The name of a runtime helper (`add_grad`, `zeros_like`, ...) in generated code."""
        return self.import_name(helper, self.rules.runtime[helper])

    def import_name(self, ref, obj):
        """The name under which generated code reaches a rule's global `obj`."""
        for alias, known in self.imports.items():
            if known is obj:
                return alias
        alias = ref
        if alias in self.namespace and self.namespace[alias] is not obj:
            alias = self.namer.new(ref)
        elif alias in self.imports:
            alias = self.namer.new(ref)
        self.imports[alias] = obj
        return alias

    def adjoint_of_pack(self, op, dt):
        """`t = (a, b)`: each item's adjoint gets its entry of `dt`."""
        out = []
        grad_item = None
        for i, item in enumerate(op.args):
            if self.has_adjoint(item):
                grad_item = grad_item or self.runtime_name("grad_item")
                entry = gast.Call(func=name(grad_item), args=[name(dt), const(i)], keywords=[])
                out.append(self.accumulate(self.adj(item.id), entry))
        return out

    def adjoint_of_call(self, s, op):
        value = s.value
        target = s.targets[0].id
        func = op.func
        import inspect

        try:
            signature = inspect.signature(func)
            bound = signature.bind(*range(len(value.args)), **{k: k for k in op.keywords})
        except (TypeError, ValueError) as exc:
            raise self.error(TransformError, "bad call", s, _func_text(value), str(exc)) from None
        active_params = []
        sources = {}
        for param, marker in bound.arguments.items():
            atom = value.args[marker] if isinstance(marker, int) else op.keywords[marker]
            if self.has_adjoint(atom):
                active_params.append(param)
                sources[param] = atom
        if not active_params:
            return []
        grad_func, seed, preferred = self.call_gradient(func, tuple(active_params), s)
        grad_name = self.import_name(preferred, grad_func)
        results = [self.fresh(f"d{sources[p].id}_{_func_name(value)}") for p in active_params]
        call = gast.Call(
            func=name(grad_name),
            args=copy.deepcopy(value.args),
            keywords=copy.deepcopy(value.keywords)
            + [gast.keyword(arg=seed, value=name(self.adj(target)))],
        )
        anno.setanno(call, "impure", True)
        if len(results) == 1:
            out = [assign(results[0], call)]
        else:
            targets = gast.Tuple(elts=[name(r, store=True) for r in results], ctx=gast.Store())
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
        needed.discard(s.targets[0].id)
        out = []
        done = set()

        def visit(var, limit):
            if var in done or var not in self.namer.temps:
                return
            for j in range(limit - 1, -1, -1):
                d = block[j]
                if isinstance(d, gast.Assign) and isinstance(d.targets[0], gast.Name):
                    if d.targets[0].id == var:
                        break
            else:
                return
            if not self.cheap(d.value):
                return
            if reads(d.value) & written(block[j + 1 : stop]):
                return
            if var in written(block[j + 1 : stop]):
                return
            done.add(var)
            for dep in sorted(reads(d.value)):
                visit(dep, j)
            out.append(assign(var, copy.deepcopy(d.value)))

        for var in sorted(needed):
            visit(var, index)
        return out

    def cheap(self, value) -> bool:
        op = self.op_of(value)
        if op.kind in ("copy", "const"):
            return True
        if op.kind != "rule" or op.rule is None:
            return False
        if op.key == ("BinOp", "MatMult"):
            return False
        if op.key[0] in ("BinOp", "UnaryOp", "Subscript", "Attribute", "Tuple"):
            return True
        return bool(getattr(op.rule, "cheap", False))

    def index_write(self, s):
        target = s.targets[0]
        var = target.value.id
        if var not in self.active and not self.has_adjoint(s.value):
            return [s], []
        raise self.error(
            TransformError,
            "cannot yet differentiate through an index assignment",
            s,
            self.info.line(getattr(s, "lineno", None)),
            "build the array with np.stack or np.concatenate",
        )

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
                    elts=[name(dl, store=True), name(last, store=True)], ctx=gast.Store()
                )
                bwd.append(
                    gast.Assign(
                        targets=[pair],
                        value=gast.Call(
                            func=name(self.runtime_name("pop_grad")), args=[name(dl)], keywords=[]
                        ),
                        type_comment=None,
                    )
                )
                bwd.append(self.accumulate(self.adj(item.id), name(last)))
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
        return [s], []

    def loop(self, s):
        self.loops.append((s, []))
        fb, bb = self.block(s.body)
        _, markers = self.loops.pop()
        counter = anno.getanno(s, anno.ITERATIONS)
        saved = sorted(written(s.body) - {counter} - _loop_targets(s))
        defined = self.before_loop.get(id(s), set())
        pushes, pops = [], []
        for v in saved:
            tape_id = next(self._ids)
            pushes.append((v, tape_id))
            pops.insert(0, tape_pop(v, tape_id))
        fb = fb + [tape_push(v, t) for v, t in pushes]
        fb = self._resolve_breaks(fb, pushes, defined)
        if isinstance(s, gast.For):
            fwd = gast.For(target=s.target, iter=s.iter, body=fb, orelse=[], type_comment=None)
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
        return [_keep_line(fwd, s)], [bwd]

    def _resolve_breaks(self, stmts, pushes, defined):
        """Replace break markers: save the loop's values, then break."""
        out = []
        for st in stmts:
            if isinstance(st, _BreakMarker):
                prefix_defined = defined | _assigned_prefix(out)
                for v, t in pushes:
                    out.append(tape_push(v, t, placeholder=v not in prefix_defined))
                out.append(gast.Break())
                continue
            if isinstance(st, gast.If):
                st.body = self._resolve_breaks_nested(st.body, pushes, defined | _assigned_prefix(out))
                st.orelse = self._resolve_breaks_nested(
                    st.orelse, pushes, defined | _assigned_prefix(out)
                )
            out.append(st)
        return out

    def _resolve_breaks_nested(self, stmts, pushes, defined):
        return self._resolve_breaks(stmts, pushes, defined)


def _assigned_prefix(stmts) -> set[str]:
    out = set()
    for s in stmts:
        if isinstance(s, gast.Assign):
            out |= {n.id for n in gast.walk(s.targets[0]) if isinstance(n, gast.Name)}
    return out


def _loop_targets(s) -> set[str]:
    if isinstance(s, gast.For):
        return {n.id for n in gast.walk(s.target) if isinstance(n, gast.Name)}
    return set()


def _keep_line(new, old):
    new.lineno = getattr(old, "lineno", None)
    return new


def _atoms(op):
    return list(op.args) + list(op.keywords.values())


def _func_text(value):
    from transforms.quoting import to_source

    return to_source(value.func) if isinstance(value, gast.Call) else to_source(value)


def _func_name(value):
    func = value.func
    return func.attr if isinstance(func, gast.Attribute) else getattr(func, "id", "call")


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


def _drop_unbroadcast_for_scalars(stmt, op):
    """`unbroadcast(g, x)` is `g` when every other operand is a number literal."""

    class Strip(gast.NodeTransformer):
        def visit_Call(self, node):
            self.generic_visit(node)
            if (
                isinstance(node.func, gast.Name)
                and node.func.id == "unbroadcast"
                and len(node.args) == 2
            ):
                x = node.args[1]
                others = [a for a in op.args if not _same_atom(a, x)]
                if others and all(
                    isinstance(a, gast.Constant) and isinstance(a.value, (int, float))
                    for a in others
                ):
                    return node.args[0]
            return node

    return Strip().visit(stmt)


def _same_atom(a, b):
    if isinstance(a, gast.Name) and isinstance(b, gast.Name):
        return a.id == b.id
    return a is b


def prune_tape(body, live_at_exit):
    """Remove candidate pops whose value is never read, and their pushes.

    Returns the new body and whether any push remains.
    """
    live = Liveness(body, live_at_exit)
    dead = set()
    keep_restore = set()

    def scan(stmts):
        for s in stmts:
            tape_id = anno.getanno(s, anno.TAPE_ID)
            if tape_id is not None:
                if isinstance(tape_id, tuple):
                    lst = tape_id[1]
                    if lst in live.live_out(s):
                        keep_restore.add(id(s))
                elif isinstance(s, gast.Assign):
                    var = s.targets[0].id
                    if var not in live.live_out(s):
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


def _has_tape(stmts):
    for s in stmts:
        for n in gast.walk(s):
            if anno.getanno(n, anno.TAPE_ID) is not None and isinstance(n, gast.Expr):
                if isinstance(anno.getanno(n, anno.TAPE_ID), int):
                    return True
    return False
