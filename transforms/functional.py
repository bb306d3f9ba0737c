"""Index writes into functional updates, for generated code that runs on JAX.

JAX arrays are immutable: `x[i] = v` raises. This pass rewrites the
generated function (forward sweep, backward sweep and tape restores alike)
so that every write into an array makes a new array:

    x[i] = v              ->  x = x.at[i].set(v)
    x[i] += v             ->  x = x.at[i].add(v)       (also -=, *=, /=)
    x[i][j] = v           ->  x = x.at[i, j].set(v)    (basic indices)
    np.add.at(x, i, v)    ->  x = x.at[i].add(v)       (when `is_scatter_add`)

Python lists and dicts stay as they are: a variable is a container when the
function builds it as one (a list, tuple or dict display or comprehension,
`list(...)`, `dict(...)`, `[...] * n`), appends to or pops from it, or copies
another container. Everything else written by index is taken for an array.

What this changes: NumPy's aliasing. After `y = x; y[0] = 1.0`, NumPy's `x`
sees the write; with functional updates only `y` does (as if `y = x.copy()`
had been written). The gradient tangent generates never relies on it.
"""

from __future__ import annotations

import gast

__all__ = ["functional_updates", "containers_of"]

_AUG = {
    gast.Add: "add",
    gast.Sub: "subtract",
    gast.Mult: "multiply",
    gast.Div: "divide",
    gast.Pow: "power",
}


def _name(id_, store=False):
    return gast.Name(
        id=id_,
        ctx=gast.Store() if store else gast.Load(),
        annotation=None,
        type_comment=None,
    )


def _is_container_value(value, containers) -> bool:
    if isinstance(
        value, (gast.List, gast.Tuple, gast.Dict, gast.ListComp, gast.DictComp)
    ):
        return True
    if isinstance(value, gast.Name):
        return value.id in containers
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Name):
        return value.func.id in ("list", "dict", "tuple")
    if isinstance(value, gast.BinOp) and isinstance(value.op, (gast.Mult, gast.Add)):
        return _is_container_value(value.left, containers) or _is_container_value(
            value.right, containers
        )
    return False


def containers_of(func) -> set[str]:
    """The variables of `func` that hold Python lists, tuples or dicts."""
    out: set[str] = set()
    changed = True
    while changed:
        changed = False
        for n in gast.walk(func):
            found = set()
            if isinstance(n, gast.Assign) and isinstance(n.targets[0], gast.Name):
                if _is_container_value(n.value, out):
                    found.add(n.targets[0].id)
            elif (
                isinstance(n, gast.Call)
                and isinstance(n.func, gast.Attribute)
                and isinstance(n.func.value, gast.Name)
                and n.func.attr in ("append", "extend", "pop", "insert")
            ):
                found.add(n.func.value.id)
            new = found - out
            if new:
                out |= new
                changed = True
    return out


def _root_and_index(target):
    """`x[i][j]` -> (x, index node for `[i, j]`); None if not a name's subscripts."""
    indices = []
    node = target
    while isinstance(node, gast.Subscript):
        indices.append(node.slice)
        node = node.value
    if not isinstance(node, gast.Name):
        return None
    indices.reverse()
    if len(indices) == 1:
        return node.id, indices[0]
    parts = []
    for index in indices:
        if isinstance(index, gast.Tuple):
            parts.extend(index.elts)
        else:
            parts.append(index)
    return node.id, gast.Tuple(elts=parts, ctx=gast.Load())


def _update(var, index, method, value, like, updated=None):
    """`var = var.at[index].method(value)`, at the position of `like`."""
    if updated is not None:
        updated.add(var)
    at = gast.Subscript(
        value=gast.Attribute(value=_name(var), attr="at", ctx=gast.Load()),
        slice=index,
        ctx=gast.Load(),
    )
    call = gast.Call(
        func=gast.Attribute(value=at, attr=method, ctx=gast.Load()),
        args=[value],
        keywords=[],
    )
    new = gast.Assign(targets=[_name(var, store=True)], value=call, type_comment=None)
    gast.copy_location(new, like)
    if hasattr(like, "_anno"):
        new._anno = dict(like._anno)
    return new


def functional_updates(func, is_scatter_add=None, containers=()):
    """Rewrite the index writes of `func` (a gast FunctionDef) in place.

    is_scatter_add(call) -> whether a call statement is `np.add.at(x, i, v)`.
    containers: names known to hold Python containers (besides those found).
    Returns the names of the arrays now updated functionally.
    """
    known = containers_of(func) | set(containers)
    updated: set[str] = set()

    def block(stmts):
        out = []
        for s in stmts:
            out.append(statement(s))
        return out

    def statement(s):
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner:
                setattr(s, field, block(inner))
        if isinstance(s, gast.Assign) and len(s.targets) == 1:
            target = s.targets[0]
            if isinstance(target, gast.Subscript):
                found = _root_and_index(target)
                if found is not None and found[0] not in known:
                    var, index = found
                    return _update(var, index, "set", s.value, s, updated)
        if isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Subscript):
            found = _root_and_index(s.target)
            method = _AUG.get(type(s.op))
            if found is not None and found[0] not in known and method is not None:
                var, index = found
                if method == "add":
                    return _update(var, index, "add", s.value, s, updated)
                if method == "subtract":
                    negated = gast.UnaryOp(op=gast.USub(), operand=s.value)
                    return _update(var, index, "add", negated, s, updated)
                return _update(var, index, method, s.value, s, updated)
        if (
            is_scatter_add is not None
            and isinstance(s, gast.Expr)
            and isinstance(s.value, gast.Call)
            and len(s.value.args) == 3
            and isinstance(s.value.args[0], gast.Name)
            and is_scatter_add(s.value)
        ):
            var, index, value = s.value.args
            return _update(var.id, index, "add", value, s, updated)
        return s

    func.body = block(func.body)
    return updated
