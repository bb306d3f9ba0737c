"""Forward mode: from a normalized function to one computing value and tangent.

Requires: `normalize.normalize` (the normal form), a rule set and a namespace.

Every statement `v = op(a, b)` of the primal is followed by the statement of
its tangent, `dv = ...`, from the operation's forward rule, so the generated
function computes the value and a directional derivative together; loops
stay loops and branches stay branches (no tape: forward mode needs none).
Tangents are named like adjoints (`dx` for `x`).

A tangent that is zero is never materialized: the pass tracks, statement by
statement, which tangents are surely zero (not yet touched by a `wrt`
parameter) and drops every contribution that reads one. Where control flow
joins a path on which a tangent is zero with one on which it is not, the
zero is written out (`dv = zeros_like(v)`, or `0.0` for a number) at the end
of the path that lacks it: before the loop, at the end of a branch, before a
`break`.

Forward rules come from `rules.lookup_forward(key)`: a `Template` whose
`d[y] = ...` statements each add a contribution to the result's tangent, or
a `Linear` (the operation applied to each argument's tangent in turn).
"""

from __future__ import annotations

import copy

import gast

from transforms import anno
from transforms.errors import NoRuleError, TransformError
from transforms.quoting import assign, const, function_def, name
from transforms.reverse import (
    SOURCE_DIFFERENTIABLE,
    ReverseMode,
    _is_list_pop,
    _is_scatter_add,
    _op_text,
)


class Linear:
    """Forward rule of an operation linear in each of `params` separately.

    The tangent is the sum, over the parameters whose argument has a nonzero
    tangent, of the operation applied with that argument replaced by its
    tangent: `np.sum(a, axis=0)` -> `np.sum(da, axis=0)`, `a @ b` ->
    `da @ b + a @ db`. `params` name the parameters of the operation's reverse
    rule (a parameter collecting `*args` stands for each of them).
    """

    def __init__(self, params):
        self.params = tuple(params)

    def __repr__(self):
        return f"<Linear in {', '.join(self.params)}>"


class _Replace(gast.NodeTransformer):
    """A copy of a tree with one node (by identity) replaced."""

    def __init__(self, old, new):
        self.old = old
        self.new = new

    def visit(self, node):
        if node is self.old:
            return copy.deepcopy(self.new)
        return super().visit(node)


def _replaced(tree, old, new):
    copied = _Replace(old, new).visit(_deepcopy_keep(tree, old))
    return copied


def _deepcopy_keep(tree, keep):
    """Deep-copy `tree` except the node `keep`, which stays the same object."""
    return copy.deepcopy(tree, {id(keep): keep})


class ForwardMode(ReverseMode):
    """Emits the primal statements interleaved with their tangents."""

    def __init__(self, func, info, wrt, rules, namespace, namer, call_forward):
        super().__init__(func, info, wrt, rules, namespace, namer, None)
        self.call_forward = call_forward
        # tangents surely zero here (every active value but the wrt parameters)
        self.zero: set[str] = set(self.active) - set(self.wrt)
        self.defined: set[str] = set(self.params)
        self.reachable = True
        self.breaks: list[list] = []  # per loop: (block, break node, zero, defined)

    def _classify_call(self, value):
        op = super()._classify_call(value)
        if op.kind in ("unknown", "call", "custom") and op.key[1] is not None:
            if self.rules.lookup_forward(op.key) is not None:
                op.kind = "rule"  # a forward rule only (a helper linear in g)
                return op
        if op.kind == "unknown" and getattr(op.func, "__module__", None) in (
            SOURCE_DIFFERENTIABLE
        ):
            op.kind = "call"  # a rule helper without a forward rule: its source
        return op

    # ----- tangents -----

    def tangent(self, atom):
        """The tangent name of `atom`, or None when it is surely zero."""
        if (
            isinstance(atom, gast.Name)
            and atom.id in self.active
            and atom.id not in self.zero
        ):
            return self.adj(atom.id)
        return None

    def zero_of(self, var):
        """An explicit zero tangent for `var`."""
        if var in self.scalars:
            return const(0.0)
        return gast.Call(
            func=name(self.runtime_name("zeros_like")), args=[name(var)], keywords=[]
        )

    def tangent_or_zero(self, atom):
        t = self.tangent(atom)
        if t is not None:
            return name(t)
        if isinstance(atom, gast.Name) and atom.id in self.locals:
            return self.zero_of(atom.id)
        if isinstance(atom, gast.Constant) and isinstance(atom.value, (int, float)):
            return const(0.0)
        return gast.Call(
            func=name(self.runtime_name("zeros_like")),
            args=[copy.deepcopy(atom)],
            keywords=[],
        )

    def materialize(self, variables):
        """Statements writing out the zero tangents of `variables` (where defined)."""
        out = []
        for v in sorted(variables):
            if v in self.defined:
                out.append(assign(self.adj(v), self.zero_of(v)))
        return out

    # ----- statements -----

    def run(self):
        return self.block(self.func.body)

    def block(self, stmts):
        out = []
        for s in stmts:
            if not self.reachable:
                break
            out.extend(self.stmt(s, out))
        return out

    def stmt(self, s, out):
        if isinstance(s, gast.Assign):
            target = s.targets[0]
            if isinstance(target, gast.Name):
                return self.assign_stmt(s)
            if isinstance(target, gast.Subscript):
                return self.index_write(s)
            if isinstance(target, (gast.Tuple, gast.List)):
                return self.unpack(s)
        if isinstance(s, gast.Expr):
            return self.expr_stmt(s)
        if isinstance(s, gast.If):
            return self.if_stmt(s)
        if isinstance(s, (gast.For, gast.While)):
            return self.loop(s)
        if isinstance(s, gast.Break):
            self.breaks[-1].append((out, s, set(self.zero), set(self.defined)))
            self.reachable = False
            return [s]
        if isinstance(s, gast.Return):
            self.reachable = False
            return [self.return_stmt(s)]
        if isinstance(s, gast.Raise):
            self.reachable = False
            return [s]
        if isinstance(s, gast.Pass):
            return [s]
        raise self.error(
            TransformError, "cannot differentiate statement", s, type(s).__name__
        )

    def assign_stmt(self, s):
        if id(s) in self.shared_updates:  # `b *= e` where `b` may share memory
            return [self._shared_update_guard(s), *self._assign_stmt(s)]
        return self._assign_stmt(s)

    def _assign_stmt(self, s):
        target = s.targets[0].id
        value = s.value
        if _is_list_pop(value, self.namespace):
            return self.list_pop(s)
        if target not in self.active:
            self.defined.add(target)
            return [s]
        op = self.op_of(value)
        if op.kind == "call":
            return self.call(s, op)
        reads_target = any(
            isinstance(a, gast.Name) and a.id == target for a in self._operands(op)
        )
        if not reads_target:
            tangent = self.tangent_of(s, op, name(target), self.adj(target))
            self.defined.add(target)
            self._set_zero(target, not tangent)
            return [s, *tangent]
        # `x = op(x)`: the rule may read the old `x`; compute into temporaries
        new = self.namer.temp(f"{target}_new")
        dnew = self.adj(new)
        tangent = self.tangent_of(s, op, name(new), dnew)
        out = [assign(new, value), *tangent, assign(target, name(new))]
        if tangent:
            out.append(assign(self.adj(target), name(dnew)))
        self.defined.add(target)
        self._set_zero(target, not tangent)
        return out

    def _set_zero(self, var, is_zero):
        if is_zero:
            self.zero.add(var)
        else:
            self.zero.discard(var)

    def _operands(self, op):
        atoms = list(op.args) + list(op.keywords.values())
        out = []
        for a in atoms:
            out.extend(a.elts if isinstance(a, (gast.Tuple, gast.List)) else [a])
        return out

    def tangent_of(self, s, op, result, dt):
        """Statements computing `dt`, the tangent of `result = value`; [] if zero."""
        value = s.value
        if op.kind in ("const", "nondiff"):
            return []
        if op.kind == "copy":
            t = self.tangent(value)
            return [assign(dt, name(t))] if t else []
        active = [a for a in self._operands(op) if self.tangent(a) is not None]
        if not active:
            return []
        if op.kind == "custom":
            raise self.error(
                NoRuleError,
                "a custom_vjp function has a backward but no forward derivative "
                "(as in JAX)",
                s,
                _op_text(op, value),
                "register one with @tangent.forward_rule for it, or use reverse "
                "mode (tangent.grad, tangent.vjp)",
            )
        if op.kind == "unknown":
            raise self.error(
                NoRuleError,
                "no forward derivative rule",
                s,
                _op_text(op, value),
                "register one with @tangent.forward_rule (or tangent.linear), or "
                "wrap the value in tangent.stop_gradient",
            )
        if op.key == ("BinOp", "Add") and any(
            isinstance(a, gast.Name) and a.id in self.sequences for a in op.args
        ):  # list concatenation: the tangents concatenate
            return [
                assign(
                    dt,
                    gast.BinOp(
                        left=self.tangent_or_zero(op.args[0]),
                        op=gast.Add(),
                        right=self.tangent_or_zero(op.args[1]),
                    ),
                )
            ]
        if op.key in (("Tuple",), ("List",)):
            elts = [self.tangent_or_zero(e) for e in op.args]
            pack = gast.Tuple if op.key == ("Tuple",) else gast.List
            return [assign(dt, pack(elts=elts, ctx=gast.Load()))]
        if op.key == ("Dict",):
            values = [self.tangent_or_zero(v) for v in op.args]
            return [assign(dt, gast.Dict(keys=copy.deepcopy(op.keys), values=values))]
        rule = self.rules.lookup_forward(op.key)
        if rule is None:
            raise self.error(
                NoRuleError,
                "no forward derivative rule",
                s,
                _op_text(op, value),
                "register one with @tangent.forward_rule (or tangent.linear), or "
                "wrap the value in tangent.stop_gradient",
            )
        self._check_covered(s, op, rule)
        if isinstance(rule, Linear):
            return self.linear(s, op, rule, dt)
        return self.fill_forward(s, op, rule, result, dt)

    def _check_covered(self, s, op, rule):
        """Refuse a forward rule that ignores an argument its reverse rule differentiates.

        Without this, the tangent flowing in through that argument would be
        silently dropped.
        """
        reverse = op.rule
        if not hasattr(reverse, "bind"):
            return
        bound = self._bind(s, reverse, op, name("_"))
        differentiated = reverse.d_params(store=True)
        if isinstance(rule, Linear):
            covered = set(rule.params)
        else:
            covered = rule.d_params(store=False)
        for param in sorted(differentiated - covered):
            atom = bound.get(param)
            atoms = (
                atom.elts
                if isinstance(atom, gast.Tuple) and param == reverse.vararg
                else [atom]
            )
            if any(self.tangent(a) is not None for a in atoms):
                raise self.error(
                    NoRuleError,
                    f"the forward rule has no tangent for argument '{param}'",
                    s,
                    _op_text(op, s.value),
                    "differentiate by the other arguments only, or register a "
                    "complete rule with @tangent.forward_rule",
                )

    def _bind(self, s, template, op, result):
        try:
            return template.bind(result, op.args, op.keywords)
        except TransformError as exc:
            raise self.error(
                TransformError, exc.message, s, _op_text(op, s.value)
            ) from None

    def linear(self, s, op, rule, dt):
        bound, vararg = self._bind_linear(s, op)
        terms = []
        for param in rule.params:
            atom = bound.get(param)
            atoms = (
                atom.elts
                if isinstance(atom, gast.Tuple) and param == vararg
                else [atom]
            )
            for a in atoms:
                t = self.tangent(a)
                if t is not None:
                    terms.append(_replaced(s.value, a, name(t)))
        return self._sum(dt, terms)

    def _bind_linear(self, s, op):
        """Parameter name -> argument atom, by the reverse rule or the function's signature."""
        template = op.rule
        if hasattr(template, "bind"):
            return self._bind(s, template, op, name("_")), template.vararg
        import inspect

        try:
            signature = inspect.signature(op.func)
            bound = signature.bind(*op.args, **op.keywords)
        except (TypeError, ValueError) as exc:
            raise self.error(
                TransformError, "bad call", s, _op_text(op, s.value), str(exc)
            ) from None
        vararg = next(
            (
                p.name
                for p in signature.parameters.values()
                if p.kind is p.VAR_POSITIONAL
            ),
            None,
        )
        out = dict(bound.arguments)
        if vararg in out:
            out[vararg] = gast.Tuple(elts=list(out[vararg]), ctx=gast.Load())
        return out, vararg

    def _sum(self, dt, terms):
        if not terms:
            return []
        out = [assign(dt, terms[0])]
        for term in terms[1:]:
            out.append(assign(dt, _plus(name(dt), term)))
        return out

    def fill_forward(self, s, op, template, result, dt):
        bound = self._bind(s, template, op, result)
        written = []

        def tangent_of_param(param):
            if param == template.params[0]:
                return dt
            return self.tangent(bound.get(param))

        def accumulate(target, expr):
            if target in written and getattr(template, "container", False):
                add_grad = self.runtime_name("add_grad")
                return assign(
                    target,
                    gast.Call(
                        func=name(add_grad), args=[name(target), expr], keywords=[]
                    ),
                )
            if target in written:
                return assign(target, _plus(name(target), expr))
            written.append(target)
            return assign(target, expr)

        stmts = template.fill(
            bound,
            tangent_of_param,
            accumulate,
            self.fresh,
            rename_global=self.import_name,
        )
        if not written or not any(_contributes(st, dt) for st in stmts):
            return []  # only `d[y] = 0.0` starts survived: the tangent is zero
        if self._may_need_broadcast(op, template, stmts, result, dt):
            broadcast = self.runtime_name("broadcast_like")
            stmts.append(
                assign(
                    dt,
                    gast.Call(
                        func=name(broadcast),
                        args=[name(dt), copy.deepcopy(result)],
                        keywords=[],
                    ),
                )
            )
        return stmts

    def _may_need_broadcast(self, op, template, stmts, result, dt):
        """Whether the tangent of an elementwise result may lack its broadcast shape.

        A contribution that reads the result, or every array operand (directly
        or through its tangent), has the result's shape; one that reads only
        some operands (`dy = dx1` for `x1 + x2`) may be smaller.
        """
        elementwise = op.key[0] in ("BinOp", "UnaryOp") or getattr(
            template, "elementwise", False
        )
        if not elementwise:
            return False
        arrays = {
            a.id
            for a in self._operands(op)
            if isinstance(a, gast.Name) and not self.is_scalar(a)
        }
        if not arrays:  # numbers only: every tangent is a number
            return False
        primal_of = {self.adj(v): v for v in arrays}
        seen = set()
        for st in stmts:
            if isinstance(st, gast.Assign) and isinstance(st.targets[0], gast.Name):
                if st.targets[0].id == dt:
                    for n in gast.walk(st.value):
                        if isinstance(n, gast.Name):
                            seen.add(primal_of.get(n.id, n.id))
        covered = arrays <= seen or (
            isinstance(result, gast.Name) and result.id in seen
        )
        return not covered

    def call(self, s, op):
        """`y = helper(a, b)`: `y, dy = jvp_helper(a, b, da=da)` (the helper's forward)."""
        import inspect

        value = s.value
        target = s.targets[0].id
        func = op.func
        try:
            signature = inspect.signature(func)
            bound = signature.bind(
                *range(len(value.args)), **{k: k for k in op.keywords}
            )
        except (TypeError, ValueError) as exc:
            raise self.error(
                TransformError, "bad call", s, _op_text(op, value), str(exc)
            ) from None
        active = []
        for param, marker in bound.arguments.items():
            atom = (
                value.args[marker] if isinstance(marker, int) else op.keywords[marker]
            )
            t = self.tangent(atom)
            if t is not None:
                active.append((param, t))
        self.defined.add(target)
        if not active:
            self.zero.add(target)
            return [s]
        forward_func, tangent_params, preferred = self.call_forward(
            func, tuple(p for p, _ in active), s
        )
        alias = self.import_name(preferred, forward_func)
        call = gast.Call(
            func=name(alias),
            args=copy.deepcopy(value.args),
            keywords=copy.deepcopy(value.keywords)
            + [
                gast.keyword(arg=tp, value=name(t))
                for tp, (_, t) in zip(tangent_params, active)
            ],
        )
        anno.setanno(call, anno.IMPURE, True)
        pair = gast.Tuple(
            elts=[name(target, store=True), name(self.adj(target), store=True)],
            ctx=gast.Store(),
        )
        self.zero.discard(target)
        out = gast.Assign(targets=[pair], value=call, type_comment=None)
        if hasattr(s, "lineno"):
            out.lineno = s.lineno
        return [out]

    def list_pop(self, s):
        """`v = xs.pop()`: the tangent list pops alongside."""
        target = s.targets[0].id
        lst = s.value.func.value.id
        self.defined.add(target)
        dl = self.tangent(name(lst))
        if dl is None:
            self.zero.add(target)
            return [s]
        pop = gast.Call(
            func=gast.Attribute(value=name(dl), attr="pop", ctx=gast.Load()),
            args=[],
            keywords=[],
        )
        if target in self.active:
            self.zero.discard(target)
            return [s, assign(self.adj(target), pop)]
        return [s, gast.Expr(value=pop)]

    def index_write(self, s):
        """`z[i] = v`: `dz[i] = dv` (zeros written out first when `dz` is zero)."""
        target = s.targets[0]
        if not isinstance(target.value, gast.Name):
            raise self.error(
                TransformError, "cannot differentiate this assignment", s, "x.a[i] = v"
            )
        z = target.value.id
        if z not in self.active:
            return [s]
        dv = self.tangent(s.value)
        out = []
        if z in self.zero:
            if dv is None:
                return [s]
            out += self.materialize({z})
            self.zero.discard(z)
        out.append(s)
        write = gast.Subscript(
            value=name(self.adj(z)), slice=copy.deepcopy(target.slice), ctx=gast.Store()
        )
        out.append(
            gast.Assign(
                targets=[write],
                value=name(dv) if dv else const(0.0),
                type_comment=None,
            )
        )
        return out

    def unpack(self, s):
        """`a, b = t`: the tangent unpacks alike."""
        target = s.targets[0]
        names = [e.id for e in target.elts if isinstance(e, gast.Name)]
        if len(names) != len(target.elts):
            raise self.error(
                TransformError,
                "cannot differentiate this assignment",
                s,
                "nested unpacking",
            )
        self.defined |= set(names)
        dt = self.tangent(s.value) if isinstance(s.value, gast.Name) else None
        active = [n for n in names if n in self.active]
        if dt is None or not active:
            self.zero |= set(active)
            return [s]
        tangents = gast.Tuple(
            elts=[
                name(
                    self.adj(n) if n in self.active else self.namer.new("_"), store=True
                )
                for n in names
            ],
            ctx=gast.Store(),
        )
        self.zero -= set(active)
        return [s, gast.Assign(targets=[tangents], value=name(dt), type_comment=None)]

    def expr_stmt(self, s):
        call = s.value
        if not isinstance(call, gast.Call):
            return [s]
        func = call.func
        if _is_scatter_add(func, self.namespace):
            z = call.args[0]
            if not (isinstance(z, gast.Name) and z.id in self.active):
                return [s]
            dv = self.tangent(call.args[2]) if len(call.args) > 2 else None
            if dv is None:
                return [s]
            out = []
            if z.id in self.zero:
                out += self.materialize({z.id})
                self.zero.discard(z.id)
            tangent_call = copy.deepcopy(call)
            tangent_call.args[0] = name(self.adj(z.id))
            tangent_call.args[2] = name(dv)
            return [*out, s, gast.Expr(value=tangent_call)]
        if (
            isinstance(func, gast.Attribute)
            and func.attr in ("append", "extend")
            and isinstance(func.value, gast.Name)
            and func.value.id not in self.namespace
        ):
            lst = func.value.id
            if lst not in self.active:
                return [s]
            item = call.args[0]
            dv = self.tangent(item)
            out = []
            if lst in self.zero:
                if dv is None:
                    return [s]
                out += self.materialize({lst})
                self.zero.discard(lst)
            grow = gast.Call(
                func=gast.Attribute(
                    value=name(self.adj(lst)), attr=func.attr, ctx=gast.Load()
                ),
                args=[self.tangent_or_zero(item)],
                keywords=[],
            )
            return [*out, s, gast.Expr(value=grow)]
        return [s]

    def if_stmt(self, s):
        zero, defined = set(self.zero), set(self.defined)
        body = self.block(s.body)
        after_body = (set(self.zero), set(self.defined), self.reachable)
        self.zero, self.defined, self.reachable = set(zero), set(defined), True
        orelse = self.block(s.orelse)
        after_else = (set(self.zero), set(self.defined), self.reachable)
        paths = [p for p in (after_body, after_else) if p[2]]
        if not paths:
            self.reachable = False
            return [self._if(s, body, orelse)]
        joined = set.intersection(*(p[0] for p in paths))
        for (z, d, reachable), block in ((after_body, body), (after_else, orelse)):
            if reachable and z - joined:
                saved = self.defined
                # the result is bound on every path that reaches a join after
                # its assignment (returns are lowered to `result = ...; break`)
                # (assigned at any depth: in a loop or a nested `if` of a branch)
                assigned_in_a_branch = self.result in (
                    after_body[1] | after_else[1] | _stored_names(s)
                )
                self.defined = d | ({self.result} if assigned_in_a_branch else set())
                block.extend(self.materialize(z - joined))
                self.defined = saved
        self.zero = joined
        self.defined = set.intersection(*(p[1] for p in paths))
        self.reachable = True
        return [self._if(s, body, orelse)]

    def _if(self, s, body, orelse):
        node = gast.If(test=s.test, body=body or [gast.Pass()], orelse=orelse)
        if hasattr(s, "lineno"):
            node.lineno = s.lineno
        return node

    def loop(self, s):
        if (
            isinstance(s, gast.For)
            and (
                {n.id for n in gast.walk(s.iter) if isinstance(n, gast.Name)}
                & (self.active - self.zero)
            )
            and not _counted(s, self.namespace)
        ):
            raise self.error(
                TransformError,
                "cannot differentiate a loop over a differentiated value",
                s,
            )
        before = []
        defined = set(self.defined)
        for _ in range(100):
            entry = set(self.zero)
            self.breaks.append([])
            self.defined = set(defined)
            if isinstance(s, gast.For):
                for v in {
                    n.id for n in gast.walk(s.target) if isinstance(n, gast.Name)
                }:
                    self.defined.add(v)
                    if v in self.active:
                        self.zero.add(v)
            body = self.block(s.body)
            breaks = self.breaks.pop()
            end_reachable, end_defined = self.reachable, set(self.defined)
            end = set(self.zero) if self.reachable else set(entry)
            self.reachable = True
            exit_zero = entry & end
            for _, _, z, _ in breaks:
                exit_zero &= z
            if exit_zero == entry:
                break
            # zero at the top of the loop but not after some iteration: write
            # the zeros out before the loop, and walk the body again
            self.defined = set(defined)
            before += self.materialize(entry - exit_zero)
            self.zero = exit_zero
        if end_reachable and end - exit_zero:
            # written at the top of the loop but surely zero after the body
            # (`x = z` with `z` constant): the next iteration reads it
            saved = self.defined
            self.defined = end_defined
            body.extend(self.materialize(end - exit_zero))
            self.defined = saved
        for block, brk, z, d in breaks:
            extra = z - exit_zero
            if extra:
                saved = self.defined
                self.defined = d
                at = next(i for i, st in enumerate(block) if st is brk)
                block[at:at] = self.materialize(extra)
                self.defined = saved
        self.zero = exit_zero
        self.defined = defined
        if isinstance(s, gast.For):
            node = gast.For(
                target=s.target,
                iter=s.iter,
                body=body or [gast.Pass()],
                orelse=[],
                type_comment=None,
            )
        else:
            node = gast.While(test=s.test, body=body or [gast.Pass()], orelse=[])
        if hasattr(s, "lineno"):
            node.lineno = s.lineno
        return [*before, node]

    def return_stmt(self, s):
        value = s.value
        if value is None:
            return s
        return gast.Return(
            value=gast.Tuple(
                elts=[copy.deepcopy(value), self.tangent_or_zero(value)],
                ctx=gast.Load(),
            )
        )


def tangent_names(func_node, wrt, reserved=()):
    """The tangent parameter names `forward_ast` gives `func_node`, without running it."""
    from transforms.pipeline import _namer

    namer = _namer(func_node, reserved)
    return [namer.adjoint(w) for w in wrt]


def _stored_names(stmt) -> set:
    """The names `stmt` assigns anywhere inside it."""
    return {
        n.id
        for n in gast.walk(stmt)
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
    }


def _contributes(stmt, dt) -> bool:
    """Whether a filled statement adds something: not `dt = 0.0`, nor reads `dt` only."""
    if not isinstance(stmt, gast.Assign):
        return True
    value = stmt.value
    if isinstance(value, gast.Constant) and value.value == 0:
        return False
    used = {n.id for n in gast.walk(value) if isinstance(n, gast.Name)}
    return not used <= {dt} or isinstance(value, gast.Call)


def _plus(left, right):
    """`left + right`, written `left - x` when `right` is `-x`."""
    if isinstance(right, gast.UnaryOp) and isinstance(right.op, gast.USub):
        return gast.BinOp(left=left, op=gast.Sub(), right=right.operand)
    return gast.BinOp(left=left, op=gast.Add(), right=right)


def _counted(loop, namespace) -> bool:
    """Whether a for loop counts integers: `range(...)` or `reversed(range(...))`."""
    it = loop.iter
    if (
        isinstance(it, gast.Call)
        and isinstance(it.func, gast.Name)
        and namespace.get(it.func.id) is reversed
        and it.args
    ):
        it = it.args[0]
    return (
        isinstance(it, gast.Call)
        and isinstance(it.func, gast.Name)
        and namespace.get(it.func.id) is range
    )


class Forward:
    """A generated forward-mode function and what the caller needs to know."""

    def __init__(self, node, name, tangents, imports, stages):
        self.node = node
        self.name = name
        self.tangents = tangents  # tangent parameter names, in wrt order
        self.imports = imports
        self.stages = stages


def forward_ast(
    func_node,
    info,
    wrt,
    rules,
    namespace,
    call_forward,
    *,
    optimized=True,
    reserved=(),
    keep_stages=False,
):
    """The forward-mode derivative of `func_node` as a gast FunctionDef.

    The function takes `func_node`'s parameters, then one tangent per `wrt`
    parameter (keyword-only when the primal has defaults), and returns
    `(value, tangent of the value)`.
    """
    from transforms import fence
    from transforms.normalize import normalize
    from transforms.optimize import optimize
    from transforms.pipeline import _namer, resolve_wrt
    from transforms.quoting import to_source

    stages = {}
    fence.check(func_node, info)
    wrt_names = resolve_wrt(func_node, info, wrt)
    namer = _namer(func_node, reserved)
    tangents = [namer.adjoint(w) for w in wrt_names]
    normal = normalize(func_node, info, namer)
    if keep_stages:
        stages["normalized"] = to_source(normal)
    mode = ForwardMode(normal, info, wrt_names, rules, namespace, namer, call_forward)
    body = mode.run()
    for stmt in body:
        for n in gast.walk(stmt):
            if isinstance(n, gast.stmt):
                anno.setanno(n, anno.GENERATED, True)
    fn_name = namer.new(f"jvp_{func_node.name}")
    args = copy.deepcopy(normal.args)
    tangent_args = [
        gast.Name(id=t, ctx=gast.Param(), annotation=None, type_comment=None)
        for t in tangents
    ]
    if args.defaults or args.kwonlyargs:
        args.kwonlyargs = list(args.kwonlyargs) + tangent_args
        args.kw_defaults = list(args.kw_defaults) + [None] * len(tangent_args)
    else:
        args.args = list(args.args) + tangent_args
    node = function_def(fn_name, args, body)
    if keep_stages:
        stages["unoptimized"] = to_source(node)
    if optimized:
        ret = body[-1] if body and isinstance(body[-1], gast.Return) else None
        live_at_exit = (
            {n.id for n in gast.walk(ret) if isinstance(n, gast.Name)} if ret else set()
        )
        result = anno.getanno(normal, anno.RESULT)
        substitutable = set(namer.temps) | set(mode.substitutable) | {result}
        substitutable |= {namer.adjoint(t) for t in [*namer.temps, result]}
        optimize(body, live_at_exit, substitutable)
    return Forward(node, fn_name, tangents, mode.imports, stages)
