"""Normalization: desugar a fenced function into one operation per statement.

Requires: `fence.check` has accepted the function.

Guarantees on the output (the *normal form* every later pass relies on):
- every assignment has one target: a variable (`x = op`) or an index write
  (`x[idx] = atom`); `op` is a single operation (binary/unary operator,
  comparison, call, attribute, subscript, tuple/list display, or a copy)
  whose operands are *atoms* (names, constants, or references to globals
  such as `np.pi`); the target is never one of its own operands;
- `if` and `while` test a variable, which an `if`'s branches never reassign;
  `for` loops iterate over `range(...)`
  with atomic bounds that the body does not reassign (loops over arrays,
  `enumerate`, `zip` and lists become index loops);
- `return` appears once, as the last statement (`return result_name`);
- `break` appears only as the last statement of an `if` branch, `continue`
  never: the rest of a loop body is moved into the branch that falls through;
- loops containing `break`, and all `while` loops, count their iterations in
  a variable named in the loop's `ITERATIONS` annotation;
- no-ops for the derivative (docstrings, `pass`, `print`, `assert`,
  annotations) are dropped; `x += e` becomes `x = x + e`; `a if c else b`,
  `and`/`or` and chained comparisons become `if` statements (short-circuit
  semantics kept); list comprehensions become loops that append.
Every new statement keeps the `lineno` of the user's statement it came from.
"""

from __future__ import annotations

import copy

import gast

from transforms import anno
from transforms.errors import UnsupportedConstructError
from transforms.naming import Namer, names_in, sanitize
from transforms.quoting import assign, const, function_def, name

_OP_NAMES = {
    gast.Add: "add",
    gast.Sub: "sub",
    gast.Mult: "mul",
    gast.Div: "div",
    gast.FloorDiv: "floordiv",
    gast.Mod: "mod",
    gast.Pow: "pow",
    gast.MatMult: "matmul",
    gast.USub: "neg",
    gast.UAdd: "pos",
    gast.Not: "not",
    gast.Invert: "invert",
    gast.Lt: "lt",
    gast.LtE: "le",
    gast.Gt: "gt",
    gast.GtE: "ge",
    gast.Eq: "eq",
    gast.NotEq: "ne",
    gast.Is: "is",
    gast.IsNot: "isnot",
    gast.In: "in",
    gast.NotIn: "notin",
    gast.BitAnd: "and",
    gast.BitOr: "or",
    gast.BitXor: "xor",
    gast.LShift: "lshift",
    gast.RShift: "rshift",
}


# On the assignment that ends a normalized `v op= e`: its operator (`"*"`).
# Python changes an array (or list) `v` in place there, where the normal form
# rebinds `v`; the two differ when another variable shares `v`'s memory
# (reverse mode checks).
AUGMENTED = "augmented"

_OP_SYMBOLS = {
    gast.Add: "+",
    gast.Sub: "-",
    gast.Mult: "*",
    gast.Div: "/",
    gast.FloorDiv: "//",
    gast.Mod: "%",
    gast.Pow: "**",
    gast.MatMult: "@",
    gast.BitAnd: "&",
    gast.BitOr: "|",
    gast.BitXor: "^",
    gast.LShift: "<<",
    gast.RShift: ">>",
}


def assigned_names(nodes) -> set[str]:
    """Names bound by assignments, loop targets and parameters in `nodes`."""
    found = set()
    if not isinstance(nodes, list):
        nodes = [nodes]
    for root in nodes:
        for n in gast.walk(root):
            if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param)):
                found.add(n.id)
    return found


def _is_atom(node) -> bool:
    return isinstance(node, (gast.Name, gast.Constant)) or (
        isinstance(node, gast.Attribute) and anno.getanno(node, anno.GLOBAL_REF, False)
    )


def _describe_index(index) -> str:
    """`x[0]` -> `0`, `x[i]` -> `i`, `x[1:]` -> `from_1`, `x[:-1]` -> `to_neg1`, `x[::-1]` -> `rev`."""
    if isinstance(index, gast.Constant) and isinstance(index.value, int):
        return str(index.value).replace("-", "neg")
    if isinstance(index, gast.Name):
        return index.id
    if isinstance(index, gast.UnaryOp) and isinstance(index.op, gast.USub):
        return "neg" + _describe_index(index.operand)
    if isinstance(index, gast.Slice):
        parts = []
        if index.lower is not None:
            parts.append("from_" + _describe_index(index.lower))
        if index.upper is not None:
            parts.append("to_" + _describe_index(index.upper))
        if index.step is not None:
            step = _describe_index(index.step)
            parts.append("rev" if step == "neg1" else "step_" + step)
        return "_".join(parts) or "all"
    if isinstance(index, gast.Tuple):
        return "_".join(_describe_index(e) for e in index.elts)
    return "item"


def _describe(node) -> str:
    """A short readable stem for the temporary that will hold `node`."""
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Constant):
        return ""
    if isinstance(node, gast.Attribute):
        return node.attr
    if isinstance(node, gast.Call):
        func = node.func
        fname = (
            func.attr
            if isinstance(func, gast.Attribute)
            else getattr(func, "id", "call")
        )
        first = _describe(node.args[0]) if node.args else ""
        if isinstance(func, gast.Attribute) and not anno.getanno(
            func, anno.GLOBAL_REF, False
        ):
            first = _describe(func.value)
        return f"{fname}_{first}" if first else fname
    if isinstance(node, gast.BinOp):
        left, right = _describe(node.left), _describe(node.right)
        parts = [p for p in (left, _OP_NAMES.get(type(node.op), "op"), right) if p]
        return "_".join(parts)
    if isinstance(node, gast.UnaryOp):
        return f"{_OP_NAMES.get(type(node.op), 'op')}_{_describe(node.operand)}"
    if isinstance(node, gast.Compare):
        parts = [_describe(node.left), _OP_NAMES.get(type(node.ops[0]), "cmp")]
        parts.append(_describe(node.comparators[0]))
        return "_".join(p for p in parts if p)
    if isinstance(node, gast.Subscript):
        return f"{_describe(node.value)}_{_describe_index(node.slice)}"
    if isinstance(node, (gast.Tuple, gast.List)):
        return "items"
    return "t"


class _Normalizer:
    def __init__(self, func: gast.FunctionDef, info, namer: Namer):
        self.func = func
        self.info = info
        self.namer = namer
        self.locals = assigned_names(func)
        self.lineno = func.lineno
        self.nested = {}
        self.inlining = set()
        self.outside_comprehensions = _names_outside_comprehensions(func)

    # ----- helpers -----

    def error(self, node, construct, hint):
        return self.info.error(
            UnsupportedConstructError, "unsupported construct", node, construct, hint
        )

    def temp(self, expr, base=None) -> str:
        stem = base or sanitize(_describe(expr), 20) or "t"
        return self.namer.temp(stem)

    def emit(self, out, stmt):
        stmt.lineno = self.lineno
        out.append(stmt)
        return stmt

    def is_global_ref(self, node) -> bool:
        """A name or attribute chain rooted at a non-local name (np.sin, SCALE)."""
        root = node
        while isinstance(root, gast.Attribute):
            root = root.value
        return isinstance(root, gast.Name) and root.id not in self.locals

    # ----- expressions -----

    def atom(self, node, out, base=None):
        """Return an atom holding the value of `node`, emitting statements."""
        if isinstance(node, (gast.Name, gast.Constant)):
            return node
        if isinstance(node, gast.Attribute) and self.is_global_ref(node):
            anno.setanno(node, anno.GLOBAL_REF, True)
            return node
        if isinstance(node, gast.JoinedStr):
            return node
        value = self.op(node, out)
        if _is_atom(value):
            return value
        tmp = self.temp(node, base)
        self.emit(out, assign(tmp, value))
        return name(tmp)

    def op(self, node, out):
        """Return a single-operation expression with atomic operands."""
        if isinstance(node, (gast.Name, gast.Constant, gast.JoinedStr)):
            return node
        if isinstance(node, gast.Attribute):
            if self.is_global_ref(node):
                anno.setanno(node, anno.GLOBAL_REF, True)
                return node
            return gast.Attribute(
                value=self.atom(node.value, out), attr=node.attr, ctx=gast.Load()
            )
        if isinstance(node, gast.BinOp):
            left = self.atom(node.left, out)
            right = self.atom(node.right, out)
            return gast.BinOp(left=left, op=node.op, right=right)
        if isinstance(node, gast.UnaryOp):
            operand = self.atom(node.operand, out)
            if isinstance(node.op, gast.UAdd):
                return operand
            if isinstance(node.op, gast.USub) and isinstance(operand, gast.Constant):
                if isinstance(operand.value, (int, float, complex)) and not isinstance(
                    operand.value, bool
                ):
                    return const(-operand.value)
            return gast.UnaryOp(op=node.op, operand=operand)
        if isinstance(node, gast.Compare):
            if len(node.ops) == 1:
                left = self.atom(node.left, out)
                right = self.atom(node.comparators[0], out)
                return gast.Compare(left=left, ops=node.ops, comparators=[right])
            # a < b < c  ->  t = a < b; if t: t = b < c   (b evaluated once)
            operands = [self.atom(node.left, out)]
            result = None
            body = out
            for op, comp in zip(node.ops, node.comparators):
                right = self.atom(comp, body)
                test = gast.Compare(left=operands[-1], ops=[op], comparators=[right])
                if result is None:
                    result = self.temp(test)
                    self.emit(body, assign(result, test))
                else:
                    inner = []
                    self.emit(inner, assign(result, test))
                    branch = gast.If(test=name(result), body=inner, orelse=[])
                    self.emit(body, branch)
                    body = inner
                operands.append(right)
            return name(result)
        if isinstance(node, gast.BoolOp):
            result = self.temp(
                node, "both" if isinstance(node.op, gast.And) else "either"
            )
            first = self.op(node.values[0], out)
            self.emit(out, assign(result, first))
            body = out
            for value in node.values[1:]:
                inner = []
                self.emit(inner, assign(result, self.op(value, inner)))
                test = name(result)
                if isinstance(node.op, gast.Or):
                    test = gast.UnaryOp(op=gast.Not(), operand=name(result))
                    cond = self.temp(test, f"not_{result.lstrip('_')}")
                    self.emit(body, assign(cond, test))
                    test = name(cond)
                self.emit(body, gast.If(test=test, body=inner, orelse=[]))
                body = inner
            return name(result)
        if isinstance(node, gast.IfExp):
            test = self.atom(node.test, out)
            result = self.temp(node, "choice")
            body, orelse = [], []
            self.emit(body, assign(result, self.op(node.body, body)))
            self.emit(orelse, assign(result, self.op(node.orelse, orelse)))
            self.emit(out, gast.If(test=test, body=body, orelse=orelse))
            return name(result)
        if isinstance(node, gast.Call):
            return self.call(node, out)
        if isinstance(node, gast.Subscript):
            value = self.atom(node.value, out)
            return gast.Subscript(
                value=value, slice=self.index(node.slice, out), ctx=gast.Load()
            )
        if isinstance(node, (gast.Tuple, gast.List)):
            elts = [self.atom(e, out) for e in node.elts]
            return type(node)(elts=elts, ctx=gast.Load())
        if isinstance(node, gast.Dict):
            values = [self.atom(v, out) for v in node.values]
            return gast.Dict(keys=list(node.keys), values=values)
        if isinstance(node, (gast.ListComp, gast.GeneratorExp)):
            return name(self.comprehension(node, out))
        raise self.error(
            node, type(node).__name__, "rewrite the expression with simpler operations"
        )

    def index(self, node, out):
        if isinstance(node, gast.Slice):
            parts = [
                None if part is None else self.atom(part, out)
                for part in (node.lower, node.upper, node.step)
            ]
            return gast.Slice(lower=parts[0], upper=parts[1], step=parts[2])
        if isinstance(node, gast.Tuple):
            return gast.Tuple(
                elts=[self.index(e, out) for e in node.elts], ctx=gast.Load()
            )
        return self.atom(node, out)

    def call(self, node, out):
        func = node.func
        if isinstance(func, gast.Name) and func.id in self.nested:
            return self.inline(self.nested[func.id], node, out)
        if (
            isinstance(func, gast.Name)
            and func.id in ("max", "min")
            and func.id not in self.locals
            and len(node.args) > 2
            and not node.keywords
        ):
            # max(a, b, c) -> max(max(a, b), c): one two-operand rule serves
            nested = node.args[0]
            for arg in node.args[1:]:
                nested = gast.Call(
                    func=gast.Name(
                        id=func.id, ctx=gast.Load(), annotation=None, type_comment=None
                    ),
                    args=[nested, arg],
                    keywords=[],
                )
            return self.call(nested, out)
        if isinstance(func, gast.Attribute) and not self.is_global_ref(func):
            # a method of a value: x.sum(axis=0)
            func = gast.Attribute(
                value=self.atom(func.value, out), attr=func.attr, ctx=gast.Load()
            )
        elif isinstance(func, gast.Attribute):
            anno.setanno(func, anno.GLOBAL_REF, True)
        elif not isinstance(func, gast.Name):
            raise self.error(
                node, "call of a computed function", "call a named function"
            )
        args = [self.atom(a, out) for a in node.args]
        keywords = [
            gast.keyword(arg=k.arg, value=self.atom(k.value, out))
            for k in node.keywords
        ]
        return gast.Call(func=func, args=args, keywords=keywords)

    def inline(self, inner, call, out):
        """Inline a call of a nested function: bind its parameters, emit its body."""
        if inner.name in self.inlining:
            raise self.error(
                call, "recursive nested function", "define it at module level"
            )
        self.inlining.add(inner.name)
        try:
            normal = normalize(inner, self.info, self.namer, self.nested)
        finally:
            self.inlining.discard(inner.name)
        args = normal.args
        params = [a.id for a in args.args]
        own = (names_in(inner) & (assigned_names(inner.body) | set(params))) - set(
            self.nested
        )
        renames = {n: self.namer.new(n) for n in sorted(own)}
        for n in gast.walk(normal):
            if isinstance(n, gast.Name) and n.id in renames:
                n.id = renames[n.id]
        defaults = dict(zip(params[len(params) - len(args.defaults) :], args.defaults))
        given = {}
        for p, a in zip(params, call.args):
            given[p] = a
        for k in call.keywords:
            given[k.arg] = k.value
        for p in params:
            value = given.get(p, defaults.get(p))
            if value is None:
                raise self.error(
                    call, f"missing argument '{p}' in a call of {inner.name}", "pass it"
                )
            self.emit(out, assign(renames.get(p, p), self.op(value, out)))
        self.locals |= set(renames.values()) | assigned_names(normal.body)
        *body, ret = normal.body
        out.extend(body)
        return ret.value

    def comprehension(self, node, out, into=None) -> str:
        """A loop appending to a new list (`into`, the assigned name, when given)."""
        gen = node.generators[0]
        result = into or self.namer.new("items")
        # comprehension variables do not leak in Python 3: rename those the
        # function also uses outside comprehensions
        renames = {}
        for target_name in assigned_names(gen.target):
            if target_name in self.outside_comprehensions:
                renames[target_name] = self.namer.new(target_name)
        target = _rename(copy.deepcopy(gen.target), renames)
        elt = _rename(copy.deepcopy(node.elt), renames)
        ifs = [_rename(copy.deepcopy(c), renames) for c in gen.ifs]
        self.locals |= set(renames.values()) | {result}
        self.emit(out, assign(result, gast.List(elts=[], ctx=gast.Load())))
        append = gast.Expr(
            value=gast.Call(
                func=gast.Attribute(value=name(result), attr="append", ctx=gast.Load()),
                args=[elt],
                keywords=[],
            )
        )
        body = [append]
        for cond in reversed(ifs):
            body = [gast.If(test=cond, body=body, orelse=[])]
        loop = gast.For(
            target=target, iter=gen.iter, body=body, orelse=[], type_comment=None
        )
        loop.lineno = self.lineno
        out.extend(self.stmt(loop))
        return result

    # ----- statements -----

    def block(self, stmts):
        out = []
        for s in stmts:
            out.extend(self.stmt(s))
        return out

    def stmt(self, node):
        saved = self.lineno
        self.lineno = getattr(node, "lineno", None) or saved
        try:
            return self._stmt(node)
        finally:
            self.lineno = saved

    def _stmt(self, node):
        out = []
        if isinstance(node, gast.Assign):
            value = node.value
            if len(node.targets) > 1:
                first, *others = node.targets
                out.extend(
                    self.stmt(
                        _at(
                            gast.Assign(
                                targets=[first], value=value, type_comment=None
                            ),
                            node,
                        )
                    )
                )
                source = first
                for target in others:
                    out.extend(
                        self.stmt(
                            _at(
                                gast.Assign(
                                    targets=[target],
                                    value=_load(source),
                                    type_comment=None,
                                ),
                                node,
                            )
                        )
                    )
                return out
            self.assign_to(node.targets[0], value, out)
            return out
        if isinstance(node, gast.AnnAssign):
            if node.value is None:
                return []
            return self.stmt(
                _at(
                    gast.Assign(
                        targets=[node.target], value=node.value, type_comment=None
                    ),
                    node,
                )
            )
        if isinstance(node, gast.AugAssign):
            value = gast.BinOp(left=_load(node.target), op=node.op, right=node.value)
            out = self.stmt(
                _at(
                    gast.Assign(targets=[node.target], value=value, type_comment=None),
                    node,
                )
            )
            last = out[-1] if out else None
            if (
                isinstance(node.target, gast.Name)
                and isinstance(last, gast.Assign)
                and isinstance(last.targets[0], gast.Name)
                and last.targets[0].id == node.target.id
            ):
                # an array is changed in place, a number rebound: see AUGMENTED
                anno.setanno(last, AUGMENTED, _OP_SYMBOLS.get(type(node.op), "op"))
            return out
        if isinstance(node, gast.Expr):
            value = node.value
            if isinstance(value, gast.Constant):
                return []  # docstring or bare constant
            if isinstance(value, gast.Call) and isinstance(value.func, gast.Name):
                if value.func.id == "print" and "print" not in self.locals:
                    return []
            method = self.list_method(value)
            if method == "append":
                arg = self.atom(value.args[0], out)
                call = gast.Call(func=value.func, args=[arg], keywords=[])
                self.emit(out, gast.Expr(value=call))
                return out
            if method == "extend":
                # xs.extend(ys) -> for item in ys: xs.append(item)
                item = self.namer.new("item")
                self.locals.add(item)
                append = gast.Expr(
                    value=gast.Call(
                        func=gast.Attribute(
                            value=value.func.value, attr="append", ctx=gast.Load()
                        ),
                        args=[name(item)],
                        keywords=[],
                    )
                )
                loop = gast.For(
                    target=name(item, store=True),
                    iter=value.args[0],
                    body=[append],
                    orelse=[],
                    type_comment=None,
                )
                return self.stmt(_at(loop, node))
            self.emit(out, gast.Expr(value=self.op(value, out)))
            return out
        if isinstance(node, (gast.Pass, gast.Assert)):
            return []
        if isinstance(node, gast.Raise):
            out.append(node)  # kept as written: it only runs on the error path
            return out
        if isinstance(node, gast.If):
            test = self.atom(node.test, out, "cond")
            if isinstance(test, gast.Name) and test.id in assigned_names(
                node.body + node.orelse
            ):
                # the backward sweep must see the test as the forward one did
                kept = self.namer.temp(f"{test.id}_cond")
                self.emit(out, assign(kept, test))
                test = name(kept)
            branch = gast.If(
                test=test, body=self.block(node.body), orelse=self.block(node.orelse)
            )
            self.emit(out, branch)
            return out
        if isinstance(node, gast.For):
            return self.for_loop(node)
        if isinstance(node, gast.While):
            return self.while_loop(node)
        if isinstance(node, gast.Return):
            value = node.value if node.value is not None else const(None)
            result = self.result_name
            op = self.op(value, out)
            if not (isinstance(op, gast.Name) and op.id == result):
                self.emit(out, assign(result, op))
            return out
        if isinstance(node, gast.Break):
            self.emit(out, gast.Break())
            return out
        if isinstance(node, gast.Continue):
            return []  # the restructuring made every continue a fall-through
        raise self.error(
            node, type(node).__name__, "rewrite it with supported statements"
        )

    def list_method(self, value):
        """`append` or `extend` for `xs.append(v)` / `xs.extend(ys)` on a local list."""
        if (
            isinstance(value, gast.Call)
            and isinstance(value.func, gast.Attribute)
            and value.func.attr in ("append", "extend")
            and isinstance(value.func.value, gast.Name)
            and value.func.value.id in self.locals
            and len(value.args) == 1
            and not value.keywords
        ):
            return value.func.attr
        return None

    def assign_to(self, target, value, out):
        if (
            isinstance(target, gast.Name)
            and isinstance(value, gast.ListComp)
            and target.id not in names_in(value)
        ):
            # squares = [...] builds `squares` itself
            self.comprehension(value, out, into=target.id)
            return
        if isinstance(target, gast.Name):
            op = self.op(value, out)
            if isinstance(op, gast.Name) and op.id == target.id:
                return
            if target.id in names_in(op) and not isinstance(op, gast.Name):
                tmp = self.temp(value)
                self.emit(out, assign(tmp, op))
                op = name(tmp)
            self.emit(out, assign(target.id, op))
        elif isinstance(target, (gast.Tuple, gast.List)) and any(
            isinstance(e, gast.Starred) for e in target.elts
        ):
            self.starred_assign(target, value, out)
        elif isinstance(target, (gast.Tuple, gast.List)):
            if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(
                target.elts
            ):
                targets = assigned_names(target)
                atoms = []
                for elt in value.elts:
                    a = self.atom(elt, out)
                    if isinstance(a, gast.Name) and a.id in targets:
                        tmp = self.namer.temp(a.id)
                        self.emit(out, assign(tmp, a))
                        a = name(tmp)
                    atoms.append(a)
                for t, a in zip(target.elts, atoms):
                    self.assign_to(t, a, out)
            else:
                before = len(out)
                whole = self.atom(value, out, "values")
                if (
                    len(out) > before
                    and isinstance(whole, gast.Name)
                    and whole.id in self.namer.temps
                ):
                    anno.setanno(out[-1], anno.UNPACKED, len(target.elts))
                for i, t in enumerate(target.elts):
                    item = gast.Subscript(value=whole, slice=const(i), ctx=gast.Load())
                    self.assign_to(t, item, out)
        elif isinstance(target, gast.Subscript):
            if not isinstance(target.value, gast.Name):
                raise self.error(
                    target, "nested index assignment", "assign to a variable first"
                )
            index = self.index(target.slice, out)
            rhs = self.atom(value, out)
            store = gast.Subscript(
                value=name(target.value.id), slice=index, ctx=gast.Store()
            )
            self.emit(out, gast.Assign(targets=[store], value=rhs, type_comment=None))
        else:
            raise self.error(target, "assignment target", "assign to a variable")

    def starred_assign(self, target, value, out):
        """`first, *rest = a, b, c` => `first = a; rest = [b, c]`; from a sequence
        value, `rest` is the slice `t[1:]` (a list when `t` is one)."""
        star = next(i for i, e in enumerate(target.elts) if isinstance(e, gast.Starred))
        after = len(target.elts) - star - 1
        if isinstance(value, (gast.Tuple, gast.List)):
            n = len(value.elts)
            middle = gast.List(elts=value.elts[star : n - after], ctx=gast.Load())
            elts = value.elts[:star] + [middle] + value.elts[n - after :]
            plain = [e.value if isinstance(e, gast.Starred) else e for e in target.elts]
            self.assign_to(
                gast.Tuple(elts=plain, ctx=gast.Store()),
                gast.Tuple(elts=elts, ctx=gast.Load()),
                out,
            )
            return
        whole = self.atom(value, out, "values")
        for i, t in enumerate(target.elts):
            if i < star:
                item = gast.Subscript(value=whole, slice=const(i), ctx=gast.Load())
            elif i == star:
                stop = const(-after) if after else None
                item = gast.Subscript(
                    value=whole,
                    slice=gast.Slice(lower=const(star), upper=stop, step=None),
                    ctx=gast.Load(),
                )
                t = t.value
            else:
                item = gast.Subscript(
                    value=whole, slice=const(i - len(target.elts)), ctx=gast.Load()
                )
            self.assign_to(t, item, out)

    def for_loop(self, node):
        """`for` over range stays; any other iterable becomes an index loop.

        `enumerate`, `zip` and `reversed` nest freely
        (`for i, (a, b) in enumerate(zip(xs, ys))`): each gives a count and
        the item at index `i`; the target is assigned that item.
        """
        out = []
        iterable = node.iter
        target = node.target
        pre = []  # statements at the start of each iteration
        if (
            self._builtin_call(iterable) == "range"
            and isinstance(target, gast.Name)
            and not iterable.keywords
        ):
            bounds = [self.atom(a, out) for a in iterable.args]
            loop_var = target.id
        else:
            loop_var = self._index_name(iterable, target)
            # sequences the loop rebinds are evaluated once, as Python does
            protect = assigned_names(node.body) | assigned_names(target)
            count, item = self._iteration(iterable, out, protect)
            bounds = [count]
            pre.extend(_destructure(target, item(name(loop_var))))
        for p in pre:
            p.lineno = node.lineno
        self.locals.add(loop_var)
        body = self.block(pre + node.body)
        changed = assigned_names(body)
        safe = []
        for b in bounds:
            if isinstance(b, gast.Name) and b.id in changed | {loop_var}:
                tmp = self.namer.temp(b.id)
                self.emit(out, assign(tmp, b))
                b = name(tmp)
            safe.append(b)
        rng = gast.Call(func=name("range"), args=safe, keywords=[])
        loop = gast.For(
            target=name(loop_var, store=True),
            iter=rng,
            body=body,
            orelse=[],
            type_comment=None,
        )
        if _has_break(body):
            self.count_iterations(loop, out)
        self.emit(out, loop)
        return out

    def _builtin_call(self, node):
        """`range`, `zip`, `enumerate`, `reversed`, when `node` calls that builtin."""
        if (
            isinstance(node, gast.Call)
            and isinstance(node.func, gast.Name)
            and node.func.id not in self.locals
            and node.func.id in ("range", "zip", "enumerate", "reversed")
        ):
            return node.func.id
        return None

    def _index_name(self, iterable, target):
        """The loop index: `enumerate`'s own index variable when it has one."""
        if (
            self._builtin_call(iterable) == "enumerate"
            and len(iterable.args) == 1
            and not iterable.keywords
            and isinstance(target, (gast.Tuple, gast.List))
            and isinstance(target.elts[0], gast.Name)
        ):
            return target.elts[0].id
        return self.namer.new("i")

    def _iteration(self, iterable, out, protect=frozenset()):
        """(count atom, item(index) -> expression) for iterating over `iterable`."""
        kind = self._builtin_call(iterable)
        args = iterable.args if kind else []
        if kind == "enumerate" and args:
            start = args[1] if len(args) > 1 else None
            for k in iterable.keywords:
                if k.arg == "start":
                    start = k.value
            count, item = self._iteration(args[0], out, protect)
            if start is not None:
                start = self.atom(start, out)

            def enumerated(i):
                index = (
                    i
                    if start is None
                    else gast.BinOp(left=i, op=gast.Add(), right=start)
                )
                return gast.Tuple(elts=[index, item(i)], ctx=gast.Load())

            return count, enumerated
        if kind == "zip" and args and not iterable.keywords:
            parts = [self._iteration(a, out, protect) for a in args]
            count = parts[0][0]
            for other, _ in parts[1:]:
                smaller = self.temp(None, "n_items")
                self.emit(
                    out,
                    assign(
                        smaller,
                        gast.Call(func=name("min"), args=[count, other], keywords=[]),
                    ),
                )
                count = name(smaller)
            return count, lambda i: gast.Tuple(
                elts=[item(i) for _, item in parts], ctx=gast.Load()
            )
        if kind == "reversed" and len(args) == 1:
            count, item = self._iteration(args[0], out, protect)
            last = self.temp(None, "last")
            self.emit(
                out, assign(last, gast.BinOp(left=count, op=gast.Sub(), right=const(1)))
            )
            return count, lambda i: item(
                gast.BinOp(left=name(last), op=gast.Sub(), right=i)
            )
        seq = self.atom(iterable, out, "seq")
        if isinstance(seq, gast.Name) and seq.id in protect:
            kept = self.namer.temp(f"{seq.id}_items")
            self.emit(out, assign(kept, seq))
            seq = name(kept)
        count = self.temp(None, f"len_{_describe(seq)}")
        self.emit(
            out, assign(count, gast.Call(func=name("len"), args=[seq], keywords=[]))
        )
        return name(count), lambda i: gast.Subscript(
            value=copy.deepcopy(seq), slice=i, ctx=gast.Load()
        )

    def while_loop(self, node):
        out = []
        test = self.atom(node.test, out, "cond")
        body = self.block(node.body)
        if not isinstance(node.test, (gast.Name, gast.Constant)):
            # the test reads values the body changes: evaluate it again
            recompute = []
            self.emit_test(node.test, test.id, recompute)
            body = body + recompute
        loop = gast.While(test=test, body=body, orelse=[])
        self.count_iterations(loop, out)
        self.emit(out, loop)
        return out

    def emit_test(self, expr, cond_name, out):
        saved = self.lineno
        value = self.op(copy.deepcopy(expr), out)
        self.emit(out, assign(cond_name, value))
        self.lineno = saved

    def count_iterations(self, loop, out):
        counter = self.namer.new("n_iterations")
        self.locals.add(counter)
        self.emit(out, assign(counter, const(0)))
        bump = assign(
            counter, gast.BinOp(left=name(counter), op=gast.Add(), right=const(1))
        )
        bump.lineno = self.lineno
        loop.body.insert(0, bump)
        anno.setanno(loop, anno.ITERATIONS, counter)


def _names_outside_comprehensions(func) -> set[str]:
    """Every name the function reads or binds outside comprehension scopes."""
    out = set()

    def walk(node):
        if isinstance(
            node, (gast.ListComp, gast.GeneratorExp, gast.SetComp, gast.DictComp)
        ):
            for gen in node.generators:
                walk(gen.iter)  # evaluated in the enclosing scope
            return
        if isinstance(node, gast.Name):
            out.add(node.id)
        for child in gast.iter_child_nodes(node):
            walk(child)

    for stmt in func.body:
        walk(stmt)
    return out


def _destructure(target, value):
    """`a, (b, c) = (i, (x[i], y[i]))` as one assignment per name, skipping `i = i`."""
    if isinstance(target, (gast.Tuple, gast.List)) and isinstance(value, gast.Tuple):
        if len(target.elts) == len(value.elts):
            out = []
            for t, v in zip(target.elts, value.elts):
                out.extend(_destructure(t, v))
            return out
    if (
        isinstance(target, gast.Name)
        and isinstance(value, gast.Name)
        and target.id == value.id
    ):
        return []
    return [gast.Assign(targets=[target], value=value, type_comment=None)]


def _at(new, old):
    new.lineno = getattr(old, "lineno", None)
    return new


def _load(target):
    node = copy.deepcopy(target)
    for n in gast.walk(node):
        if hasattr(n, "ctx"):
            n.ctx = gast.Load()
    return node


def _rename(node, renames):
    for n in gast.walk(node):
        if isinstance(n, gast.Name) and n.id in renames:
            n.id = renames[n.id]
    return node


def _has_break(body) -> bool:
    for s in body:
        if isinstance(s, gast.Break):
            return True
        if isinstance(s, gast.If) and (_has_break(s.body) or _has_break(s.orelse)):
            return True
    return False


# ----- control-flow restructuring (before normalization) -----

_JUMPS = (gast.Return, gast.Break, gast.Continue)


def _may_jump(stmt, loop_level=True) -> bool:
    """Whether `stmt` may leave its block by return/break/continue."""
    if isinstance(stmt, _JUMPS):
        return True
    if isinstance(stmt, gast.If):
        return any(_may_jump(s) for s in stmt.body + stmt.orelse)
    if isinstance(stmt, (gast.For, gast.While)):
        return any(isinstance(n, gast.Return) for n in gast.walk(stmt))
    return False


def _always_jumps(block) -> bool:
    for s in block:
        if isinstance(s, _JUMPS):
            return True
        if isinstance(s, gast.If) and _always_jumps(s.body) and _always_jumps(s.orelse):
            return True
    return False


def _lower(stmts):
    """Move the statements after a jumping `if` into its falling-through branches."""
    out = []
    for k, s in enumerate(stmts):
        if isinstance(s, _JUMPS):
            out.append(s)
            return out
        if isinstance(s, gast.If) and _may_jump(s):
            rest = stmts[k + 1 :]
            body = s.body + ([] if _always_jumps(s.body) else copy.deepcopy(rest))
            orelse = s.orelse + ([] if _always_jumps(s.orelse) else copy.deepcopy(rest))
            s.body, s.orelse = _lower(body), _lower(orelse)
            out.append(s)
            return out
        if isinstance(s, gast.If):
            s.body, s.orelse = _lower(s.body), _lower(s.orelse)
        elif isinstance(s, (gast.For, gast.While)):
            s.body = _lower(s.body)
        out.append(s)
    return out


def _returns_in_loops(stmts, flag, result, depth, namer_state):
    """Replace `return v` inside loops by `result = v; flag = True; break`."""
    out = []
    for s in stmts:
        if isinstance(s, gast.Return) and depth > 0:
            namer_state["used"] = True
            value = s.value if s.value is not None else const(None)
            out.append(
                _at(
                    gast.Assign(
                        targets=[name(result, True)], value=value, type_comment=None
                    ),
                    s,
                )
            )
            out.append(_at(assign(flag, const(True)), s))
            out.append(_at(gast.Break(), s))
            continue
        if isinstance(s, gast.If):
            s.body = _returns_in_loops(s.body, flag, result, depth, namer_state)
            s.orelse = _returns_in_loops(s.orelse, flag, result, depth, namer_state)
        elif isinstance(s, (gast.For, gast.While)):
            inner = {"used": False}
            s.body = _returns_in_loops(s.body, flag, result, depth + 1, inner)
            if inner["used"]:
                namer_state["used"] = True
                out.append(s)
                leave = gast.Break() if depth > 0 else gast.Return(value=name(result))
                out.append(
                    _at(gast.If(test=name(flag), body=[_at(leave, s)], orelse=[]), s)
                )
                continue
        out.append(s)
    return out


def _collect_nested(body, nested):
    """Remove nested `def`s and `name = lambda ...` from a body into `nested`."""
    out = []
    for s in body:
        if isinstance(s, gast.FunctionDef):
            nested[s.name] = s
            continue
        if isinstance(s, gast.Assign) and isinstance(s.value, gast.Lambda):
            lam = s.value
            ret = gast.Return(value=lam.body)
            ret.lineno = getattr(s, "lineno", None)
            fn = function_def(s.targets[0].id, lam.args, [ret])
            fn.lineno = getattr(s, "lineno", None)
            nested[fn.name] = fn
            continue
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner:
                setattr(s, field, _collect_nested(inner, nested))
        out.append(s)
    return out


def normalize(func: gast.FunctionDef, info, namer: Namer | None = None, nested=None):
    """Return a new FunctionDef in normal form (see the module docstring).

    Nested functions and lambdas assigned to names are inlined where they are
    called (`nested` carries those of enclosing functions).
    """
    func = copy.deepcopy(func)
    namer = namer or Namer(names_in(func))
    namer.used |= names_in(func)
    nested = dict(nested or {})
    func.body = _collect_nested(func.body, nested)
    args = func.args
    scalar_params = set()
    for a in args.args + args.kwonlyargs + list(getattr(args, "posonlyargs", []) or []):
        if isinstance(a.annotation, gast.Name) and a.annotation.id in ("float", "int"):
            scalar_params.add(a.id)
        a.annotation = None
    func.returns = None
    flag = namer.new("returned")
    result = namer.new("result")
    state = {"used": False}
    body = _returns_in_loops(func.body, flag, result, 0, state)
    if state["used"]:
        body.insert(0, _at(assign(flag, const(False)), func))
    body = _lower(body)
    if not _always_jumps(body) or _falls_through(body):
        if not any(isinstance(n, gast.Return) for n in gast.walk(func)):
            raise info.error(
                UnsupportedConstructError,
                "the function returns None",
                func,
                "no return statement",
                "return the value to differentiate",
            )
        raise info.error(
            UnsupportedConstructError,
            "some paths through the function return no value",
            func,
            "missing return",
            "make every branch return a value",
        )
    normalizer = _Normalizer(func, info, namer)
    normalizer.nested = nested
    normalizer.locals -= set(nested)
    normalizer.result_name = result
    normalizer.locals |= {flag, result}
    new_body = normalizer.block(body)
    ret = gast.Return(value=name(result))
    ret.lineno = getattr(_last_return(func), "lineno", func.lineno)
    new_body.append(ret)
    func.body = new_body
    anno.setanno(func, anno.RESULT, result)
    anno.setanno(func, anno.SCALAR_PARAMS, frozenset(scalar_params))
    return func


def _falls_through(block) -> bool:
    """True if some path through `block` reaches its end."""
    if not block:
        return True
    last = block[-1]
    if isinstance(last, gast.Return):
        return False
    if isinstance(last, gast.If):
        return _falls_through(last.body) or _falls_through(last.orelse)
    return True


def _last_return(func):
    last = None
    for n in gast.walk(func):
        if isinstance(n, gast.Return):
            if last is None or (getattr(n, "lineno", 0) or 0) > (
                getattr(last, "lineno", 0) or 0
            ):
                last = n
    return last
