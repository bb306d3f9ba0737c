"""Scatter-adds into adjoints the gradient owns, done in place.

The adjoint of `y = x[i]` is the scatter-add `dx = add_at(dx, x, i, dy)`,
which copies `dx` first: another variable may refer to the same array (an
adjoint handed on by `dz = dx`, a cotangent the caller passed in). In a loop
over the entries of `x` that copy makes the backward sweep quadratic in the
length of `x`. Where the array surely belongs to the gradient alone, the copy
is not needed: `dx = add_into(dx, x, i, dy)` adds in place.

`in_place_scatter_adds(body, names)` decides that by a forward dataflow over
the generated statements (branches join by intersection, loops to a fixed
point). A variable *owns* its value after

- `v = zeros_like(...)` (a new array), `v = add_at(v, ...)` (a copy, or
  `v` itself when it owned it), or an arithmetic expression (NumPy makes a
  new array; a number cannot be changed);

and stops owning it when it is assigned anything else, or when its value may
be kept elsewhere: read bare (not as an operand of arithmetic) as a call's
argument, in a tuple or list, as another variable's value, or through an
index or attribute (a view). `add_into` itself checks at run time that it
got an array and falls back to `add_at` otherwise, so the analysis only has
to be right about sharing.
"""

from __future__ import annotations

import gast

from transforms.analysis import meet, target_names

_ARITHMETIC = (gast.BinOp, gast.UnaryOp, gast.Compare)


def _kept(expr) -> set[str]:
    """Names whose values the value of `expr` may be (or be a view of)."""
    if isinstance(expr, gast.Name):
        return {expr.id}
    if isinstance(expr, (gast.Subscript, gast.Attribute)):
        return _kept(expr.value)  # `v[1:3]`, `v.T`: views
    if isinstance(expr, (*_ARITHMETIC, gast.Constant)):
        return set()  # a new value
    if isinstance(expr, gast.Call):  # a function may return an argument
        args = [*expr.args, *(k.value for k in expr.keywords)]
        if isinstance(expr.func, gast.Attribute):
            args.append(expr.func.value)  # `v.reshape(...)`
        return set().union(*(_kept(a) for a in args))
    # tuples, lists, dicts, `a if c else b`, `a or b`: any part
    out = set()
    for child in gast.iter_child_nodes(expr):
        if isinstance(child, gast.expr):
            out |= _kept(child)
    return out


def _escaping(expr) -> set[str]:
    """Names whose values `expr` may keep: in its value, or by passing them
    to a call (which may store them)."""
    out = _kept(expr)
    for n in gast.walk(expr):
        if isinstance(n, gast.Call):
            out |= _kept(n)
    return out


class _Owned:
    def __init__(self, names):
        self.add_at = names["add_at"]
        self.zeros = names["zeros_like"]
        self.in_place: dict[int, bool] = {}  # id(stmt) -> add in place?

    def is_scatter_add(self, s) -> bool:
        """`v = add_at(v, x, index, g)`."""
        return (
            isinstance(s, gast.Assign)
            and isinstance(s.targets[0], gast.Name)
            and isinstance(s.value, gast.Call)
            and isinstance(s.value.func, gast.Name)
            and s.value.func.id == self.add_at
            and len(s.value.args) == 4
            and isinstance(s.value.args[0], gast.Name)
            and s.value.args[0].id == s.targets[0].id
        )

    def fresh(self, value) -> bool:
        if isinstance(value, _ARITHMETIC):
            return True
        return (
            isinstance(value, gast.Call)
            and isinstance(value.func, gast.Name)
            and value.func.id in (self.zeros, self.add_at)
        )

    def block(self, stmts, owned, breaks):
        """The owned names after `stmts` (None where no path reaches the end)."""
        for s in stmts:
            if owned is None:
                break
            owned = self.stmt(s, owned, breaks)
        return owned

    def stmt(self, s, owned, breaks):
        if isinstance(s, gast.Assign):
            target = s.targets[0]
            if self.is_scatter_add(s):
                self.in_place[id(s)] = target.id in owned
                others = set().union(*(_escaping(a) for a in s.value.args[1:]))
                return (owned - others) | {target.id}
            owned = owned - _escaping(s.value)
            if isinstance(target, gast.Name):
                owned = owned - {target.id}
                if self.fresh(s.value):
                    owned = owned | {target.id}
            elif not isinstance(target, gast.Subscript):  # unpacking: not followed
                owned = owned - target_names(target)
            return owned
        if isinstance(s, gast.Expr):
            return owned - _escaping(s.value)
        if isinstance(s, gast.If):
            owned = owned - _escaping(s.test)
            return meet(
                self.block(s.body, owned, breaks), self.block(s.orelse, owned, breaks)
            )
        if isinstance(s, (gast.For, gast.While)):
            head = owned - _escaping(s.iter if isinstance(s, gast.For) else s.test)
            if isinstance(s, gast.For):
                head = head - target_names(s.target)
            while True:
                inner_breaks = []
                end = self.block(s.body, head, inner_breaks)
                new_head = meet(head, end)
                if new_head == head:
                    break
                head = new_head
            exit_ = head
            for b in inner_breaks:
                exit_ = meet(exit_, b)
            return exit_
        if isinstance(s, gast.Break):
            breaks.append(owned)
            return None
        if isinstance(s, (gast.Return, gast.Raise)):
            return None
        if isinstance(s, gast.Pass):
            return owned
        return set()  # anything else: forget everything, to be safe


def in_place_scatter_adds(body, names, add_into_name) -> int:
    """Rewrite `v = add_at(v, ...)` to `v = add_into(v, ...)` where `v` owns its
    array (see the module docstring). `names` maps "add_at" and "zeros_like"
    to their names in the generated code; `add_into_name()` gives (and
    imports) the in-place helper's name. Returns how many were rewritten."""
    if names.get("add_at") is None:
        return 0
    analysis = _Owned(names)
    analysis.block(body, set(), [])
    count = 0
    for s in (n for stmt in body for n in gast.walk(stmt)):
        if analysis.in_place.get(id(s)):
            s.value.func = gast.Name(
                id=add_into_name(), ctx=gast.Load(), annotation=None, type_comment=None
            )
            count += 1
    return count
