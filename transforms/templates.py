"""Derivative-rule templates: real Python functions whose body is filled in.

A reverse rule reads like the math:

    def sin(y, x):
        d[x] = d[y] * np.cos(x)

The first parameter is the result of the primal operation, the others are its
arguments (with their defaults). In the body, `d[v]` is the adjoint of `v`;
`d[x] = e` adds `e` to the adjoint of argument `x` (and is dropped when `x` is
a constant or inactive); when `e` itself reads `d[x]` (as in
`d[x] = add_at(d[x], x, index, d[y])`) the statement replaces the adjoint
instead of adding to it. Every contribution must have the shape of its
argument (`unbroadcast` reduces a broadcast one). Other names assigned in the body are the template's
own temporaries and are renamed so they never clash.

`Template.fill(...)` returns new statements; binding a name the template does
not have, or leaving a parameter without a value or default, raises
`TemplateError` instead of silently doing nothing.
"""

from __future__ import annotations

import copy
import inspect
import textwrap

import gast

from transforms.errors import TemplateError


class Template:
    """A rule template parsed from a Python function."""

    def __init__(self, func, *, name=None, node=None, namespace=None):
        self.func = func
        self.name = name or func.__name__
        if node is None:
            source = textwrap.dedent(inspect.getsource(func))
            node = gast.parse(source).body[0]
        node.decorator_list = []
        self.node = node
        args = node.args
        self.params = [a.id for a in args.args]
        # parameters that positional arguments fill (keyword-only ones never)
        self.positional = list(self.params)
        self.vararg = args.vararg.id if args.vararg is not None else None
        defaults = args.defaults
        self.defaults = dict(
            zip(self.params[len(self.params) - len(defaults) :], defaults)
        )
        for kw, default in zip(args.kwonlyargs, args.kw_defaults):
            self.params.append(kw.id)
            if default is not None:
                self.defaults[kw.id] = default
        self.namespace = namespace if namespace is not None else func.__globals__
        self.body = [s for s in node.body if not _is_docstring(s)]
        self.locals = sorted(
            {
                n.id
                for s in self.body
                for n in gast.walk(s)
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
            }
        )
        self.reads = {
            n.id
            for s in self.body
            for n in gast.walk(s)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
        }

    def __repr__(self):
        return f"<Template {self.name}({', '.join(self.params)})>"

    def d_params(self, store: bool) -> set[str]:
        """The parameters whose `d[p]` the body writes (store) or reads."""
        ctx = gast.Store if store else gast.Load
        return {
            n.slice.id
            for st in self.body
            for n in gast.walk(st)
            if _is_d(n) and isinstance(n.ctx, ctx) and isinstance(n.slice, gast.Name)
        }

    def elementwise_tangent(self):
        """The forward rule of an elementwise operation, read off its reverse rule.

        An elementwise operation has a diagonal Jacobian, so each reverse
        contribution `d[x] = unbroadcast(d[y] * e, x)` is also the forward
        one with the roles swapped: `d[y] = d[x] * e` (the tangent keeps the
        result's broadcast shape, nothing to reduce). None when a statement
        is not of that form (a helper returning several adjoints, a branch).
        """
        result = self.params[0]
        body = []
        broadcasts = False
        for stmt in self.body:
            if not (isinstance(stmt, gast.Assign) and _is_d(stmt.targets[0])):
                return None
            param = _d_param(stmt.targets[0], self.name)
            value = stmt.value
            if (
                isinstance(value, gast.Call)
                and isinstance(value.func, gast.Name)
                and value.func.id == "unbroadcast"
                and len(value.args) == 2
            ):
                value = value.args[0]
                broadcasts = True
            reads_d = [n for n in gast.walk(value) if _is_d(n)]
            if len(reads_d) != 1 or _d_param(reads_d[0], self.name) != result:
                return None
            value = copy.deepcopy(value)
            for n in gast.walk(value):
                if _is_d(n):
                    n.slice = gast.Name(
                        id=param, ctx=gast.Load(), annotation=None, type_comment=None
                    )
            target = gast.Subscript(
                value=gast.Name(
                    id="d", ctx=gast.Load(), annotation=None, type_comment=None
                ),
                slice=gast.Name(
                    id=result, ctx=gast.Load(), annotation=None, type_comment=None
                ),
                ctx=gast.Store(),
            )
            body.append(gast.Assign(targets=[target], value=value, type_comment=None))
        node = copy.deepcopy(self.node)
        node.body = body
        tangent = Template(
            self.func, name=self.name, node=node, namespace=self.namespace
        )
        tangent.elementwise = True
        tangent.broadcasts = broadcasts
        return tangent

    def bind(self, result, args, keywords):
        """Map template parameters to atoms: result first, then the call's arguments."""
        names = self.params
        bound = {names[0]: result}
        positional = self.positional[1:]
        extra = []
        for i, a in enumerate(args):
            if i < len(positional):
                bound[positional[i]] = a
            elif self.vararg is not None:
                extra.append(a)
            else:
                raise TemplateError(
                    f"rule '{self.name}' takes {len(positional)} arguments, got {len(args)}"
                )
        for k, v in keywords.items():
            if k not in names:
                raise TemplateError(f"rule '{self.name}' has no parameter '{k}'")
            bound[k] = v
        for p in names:
            if p not in bound:
                if p not in self.defaults:
                    raise TemplateError(f"rule '{self.name}' needs a value for '{p}'")
                bound[p] = copy.deepcopy(self.defaults[p])
        if self.vararg is not None:
            bound[self.vararg] = gast.Tuple(elts=extra, ctx=gast.Load())
        return bound

    def fill(self, bound, adjoint, accumulate, fresh, rename_global=None):
        """Instantiate the body.

        bound: parameter name -> atom expression (from `bind`).
        adjoint(param) -> adjoint variable name of the bound atom, or None if
            it has none (constant or inactive).
        accumulate(adjoint_name, expr) -> statement adding `expr` to it.
        fresh(name) -> a fresh name for a template temporary.
        """
        renames = {local: fresh(local) for local in self.locals if local not in bound}
        if rename_global is not None:
            for ref in sorted(self.reads - set(bound) - set(renames) - {"d"}):
                if ref in self.namespace:
                    new = rename_global(ref, self.namespace[ref])
                    if new != ref:
                        renames[ref] = new
        out = []
        for stmt in self.body:
            stmt = copy.deepcopy(stmt)
            filled = self._fill_stmt(stmt, bound, renames, adjoint, accumulate)
            if filled is not None:
                out.append(filled)
        return out

    def _fill_stmt(self, stmt, bound, renames, adjoint, accumulate):
        if isinstance(stmt, gast.Assign) and _is_d(stmt.targets[0]):
            param = _d_param(stmt.targets[0], self.name)
            target = adjoint(param)
            if target is None:
                return None
            reads_own = any(
                _is_d(n) and _d_param(n, self.name) == param
                for n in gast.walk(stmt.value)
            )
            value = _Substitute(bound, renames, adjoint, self.name).run(stmt.value)
            if value is None:
                return None
            if reads_own:  # `d[x] = f(d[x], ...)` updates the adjoint itself
                return gast.Assign(
                    targets=[
                        gast.Name(
                            id=target,
                            ctx=gast.Store(),
                            annotation=None,
                            type_comment=None,
                        )
                    ],
                    value=value,
                    type_comment=None,
                )
            return accumulate(target, value)
        if isinstance(stmt, gast.If):
            test = _Substitute(bound, renames, adjoint, self.name).run(stmt.test)
            body = [
                f
                for s in stmt.body
                if (f := self._fill_stmt(s, bound, renames, adjoint, accumulate))
                is not None
            ]
            orelse = [
                f
                for s in stmt.orelse
                if (f := self._fill_stmt(s, bound, renames, adjoint, accumulate))
                is not None
            ]
            if not body:
                body = [gast.Pass()]
            return gast.If(test=test, body=body, orelse=orelse)
        sub = _Substitute(bound, renames, adjoint, self.name)
        return sub.run(stmt)


def _is_docstring(stmt):
    return isinstance(stmt, gast.Expr) and isinstance(stmt.value, gast.Constant)


def _is_d(node):
    return (
        isinstance(node, gast.Subscript)
        and isinstance(node.value, gast.Name)
        and node.value.id == "d"
    )


def _d_param(node, rule):
    if not isinstance(node.slice, gast.Name):
        raise TemplateError(f"rule '{rule}': d[...] must name a parameter")
    return node.slice.id


class _ZeroAdjoint(Exception):
    """Raised while substituting when an expression reads a missing adjoint."""


class _Substitute(gast.NodeTransformer):
    def __init__(self, bound, renames, adjoint, rule):
        self.bound = bound
        self.renames = renames
        self.adjoint = adjoint
        self.rule = rule

    def run(self, node):
        """The substituted node, or None if it reads an adjoint that is zero."""
        try:
            return self.visit(node)
        except _ZeroAdjoint:
            return None

    def visit_Subscript(self, node):
        if _is_d(node):
            param = _d_param(node, self.rule)
            target = self.adjoint(param)
            if target is None:
                raise _ZeroAdjoint(param)
            if not isinstance(target, str):  # an expression standing for the adjoint
                return copy.deepcopy(target)
            return gast.Name(
                id=target, ctx=gast.Load(), annotation=None, type_comment=None
            )
        return self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in self.bound:
            value = copy.deepcopy(self.bound[node.id])
            return value
        if node.id in self.renames:
            return gast.Name(
                id=self.renames[node.id],
                ctx=node.ctx,
                annotation=None,
                type_comment=None,
            )
        return node
