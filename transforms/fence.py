"""The language fence: refuse what the compiler does not support, early.

`check(node, info)` walks a parsed function and raises
`UnsupportedConstructError` naming the construct, the user's file and line,
and a one-line hint for the first construct outside the supported subset.
Running the fence first means later passes may assume the subset.
"""

from __future__ import annotations

import gast

from transforms.errors import UnsupportedConstructError

# construct class -> (name shown to the user, hint)
_REFUSED = {
    gast.Try: ("try/except", "move error handling outside the differentiated function"),
    gast.With: ("with statement", "open resources outside the differentiated function"),
    gast.AsyncWith: ("async with", "differentiate synchronous code"),
    gast.AsyncFor: ("async for", "differentiate synchronous code"),
    gast.Await: ("await", "differentiate synchronous code"),
    gast.Yield: ("yield", "return a value instead of yielding"),
    gast.YieldFrom: ("yield from", "return a value instead of yielding"),
    gast.Global: ("global statement", "pass the value as an argument"),
    gast.Nonlocal: ("nonlocal statement", "pass the value as an argument"),
    gast.AsyncFunctionDef: ("nested async function", "define helpers at module level"),
    gast.ClassDef: ("class definition", "define classes outside the function"),
    gast.Delete: ("del statement", "rebind the name instead of deleting it"),
    gast.Import: ("import statement", "import at module level"),
    gast.ImportFrom: ("import statement", "import at module level"),
    gast.NamedExpr: ("assignment expression (:=)", "assign on a separate line"),
    gast.DictComp: ("dict comprehension", "use a list comprehension"),
    gast.Set: ("set display", "use a tuple or a list"),
    gast.SetComp: ("set comprehension", "use a list comprehension"),
    gast.Match: ("match statement", "use if/elif/else"),
}
for _extra in ("TryStar",):
    if hasattr(gast, _extra):
        _REFUSED[getattr(gast, _extra)] = ("try/except*", "move error handling outside")


# calls that run code tangent cannot see, or read and write variables by name
_DYNAMIC = {
    "eval": "write the expression in the function itself",
    "exec": "write the statements in the function itself",
    "compile": "write the code in the function itself",
    "__import__": "import at module level",
    "globals": "refer to the variables by name",
    "locals": "refer to the variables by name",
    "vars": "refer to the variables by name",
    "setattr": "keep values in local variables",
    "delattr": "keep values in local variables",
}


_FAR = 1 << 30


def _refuse(info, node, construct, hint):
    raise info.error(
        UnsupportedConstructError, "unsupported construct", node, construct, hint
    )


def check(func: gast.FunctionDef, info) -> None:
    args = func.args
    if args.vararg is not None or args.kwarg is not None:
        _refuse(
            info, func, "*args/**kwargs parameters", "list the parameters explicitly"
        )
    if args.kwonlyargs or getattr(args, "posonlyargs", None):
        # keyword-only and positional-only parameters work like plain ones
        pass
    allowed_lambdas = {
        id(s.value)
        for s in gast.walk(func)
        if isinstance(s, gast.Assign)
        and isinstance(s.value, gast.Lambda)
        and len(s.targets) == 1
        and isinstance(s.targets[0], gast.Name)
    }
    starred_targets = {
        id(elt)
        for s in gast.walk(func)
        if isinstance(s, (gast.Assign, gast.For))
        for t in (s.targets if isinstance(s, gast.Assign) else [s.target])
        if isinstance(t, (gast.Tuple, gast.List))
        for elt in t.elts
        if isinstance(elt, gast.Starred)
    }
    recursion = _recursion(func)
    # the construct reported is the first one in the source
    nodes = sorted(
        gast.walk(func),
        key=lambda n: (
            getattr(n, "lineno", None) or _FAR,
            getattr(n, "col_offset", None) or 0,
        ),
    )
    for node in nodes:
        if node is func:
            continue
        if recursion is not None and node is recursion[0]:
            _refuse(info, node, recursion[1], "define it at module level")
        if isinstance(node, gast.Starred) and id(node) not in starred_targets:
            _refuse_starred(func, node, info)
        if isinstance(node, gast.Lambda):
            if id(node) not in allowed_lambdas:
                _refuse(
                    info,
                    node,
                    "lambda used as a value",
                    "assign it to a name, or use def",
                )
            if node.args.vararg or node.args.kwarg:
                _refuse(
                    info,
                    node,
                    "*args/**kwargs parameters of a lambda",
                    "list the parameters explicitly",
                )
        if isinstance(node, gast.FunctionDef):
            if node.decorator_list:
                _refuse(
                    info, node, "decorated nested function", "define it at module level"
                )
            if node.args.vararg or node.args.kwarg:
                _refuse(
                    info,
                    node,
                    "*args/**kwargs parameters",
                    "list the parameters explicitly",
                )
        if isinstance(node, gast.Dict):
            if any(k is None for k in node.keys):
                _refuse(
                    info,
                    node,
                    "dict unpacking ({**d})",
                    "build the dict with constant keys",
                )
            if any(not isinstance(k, gast.Constant) for k in node.keys):
                _refuse(info, node, "dict with computed keys", "use constant keys")
        if isinstance(node, gast.Call):
            _check_call(node, info)
        if isinstance(node, gast.Attribute) and isinstance(node.ctx, gast.Store):
            _refuse(
                info,
                _statement_of(func, node),
                "assignment to an attribute",
                "keep values in local variables",
            )
        refused = _REFUSED.get(type(node))
        if refused is not None:
            _refuse(info, node, *refused)
        if isinstance(node, gast.keyword) and node.arg is None:
            _refuse(
                info, node, "**kwargs in a call", "pass keyword arguments explicitly"
            )
        if isinstance(node, (gast.For, gast.While)) and node.orelse:
            _refuse(info, node, "else clause on a loop", "use a flag variable instead")
        if isinstance(node, (gast.ListComp, gast.GeneratorExp)):
            if len(node.generators) != 1:
                _refuse(
                    info,
                    node,
                    "comprehension with several for clauses",
                    "use nested loops",
                )


def _statement_of(func, node):
    """The innermost statement holding `node` (for its line number)."""
    for stmt in gast.walk(func):
        if isinstance(stmt, gast.stmt) and stmt is not func:
            for child in gast.iter_child_nodes(stmt):
                if child is node or any(n is node for n in gast.walk(child)):
                    if not isinstance(child, gast.stmt):
                        return stmt
    return node


def _refuse_starred(func, node, info):
    """A star outside `a, *rest = ...`: in a call, a display, or a nested target."""
    for parent in gast.walk(func):
        if isinstance(parent, gast.Call) and any(a is node for a in parent.args):
            _refuse(
                info,
                node,
                "star-arguments in a call (f(*args))",
                "pass the arguments explicitly",
            )
        if isinstance(parent, (gast.Tuple, gast.List)) and any(
            e is node for e in parent.elts
        ):
            if isinstance(parent.ctx, gast.Store):
                _refuse(
                    info,
                    node,
                    "star-unpacking in a nested target",
                    "unpack the outer tuple first, then the inner one",
                )
            _refuse(
                info,
                node,
                "star-unpacking in a tuple or list display ([*xs])",
                "build the list with + or extend",
            )
    _refuse(info, node, "star-unpacking (*)", "pass the values explicitly")


def _check_call(call, info):
    for kw in call.keywords:
        if kw.arg is None:
            _refuse(
                info, call, "**kwargs in a call", "pass keyword arguments explicitly"
            )
        if kw.arg == "out":
            _refuse(
                info,
                call,
                "in-place output argument (out=)",
                "drop out= and assign the result to a new variable: y = np.sin(x)",
            )
    if not isinstance(call.func, (gast.Name, gast.Attribute, gast.Lambda)):
        # also in a nested function never called, which is never inlined
        _refuse(info, call, "call of a computed function", "call a named function")
    if isinstance(call.func, gast.Name) and call.func.id in _DYNAMIC:
        _refuse(
            info,
            call,
            f"call to {call.func.id}() (code or variables tangent cannot see)",
            _DYNAMIC[call.func.id],
        )


def _callables(func):
    """Nested functions and lambdas assigned to names: name -> (node, names read)."""
    found = {}
    for node in gast.walk(func):
        if node is func:
            continue
        if isinstance(node, gast.FunctionDef):
            body = node
            name_ = node.name
        elif (
            isinstance(node, gast.Assign)
            and isinstance(node.value, gast.Lambda)
            and len(node.targets) == 1
            and isinstance(node.targets[0], gast.Name)
        ):
            body = node.value
            name_ = node.targets[0].id
        else:
            continue
        reads = {
            n.id
            for n in gast.walk(body)
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
        }
        found.setdefault(name_, []).append((node, reads))
    return found


def _recursion(func):
    """Nested functions and named lambdas are inlined: none may reach itself.

    Returns the definition of the first one that does and the refused
    construct's text, or None."""
    callables = _callables(func)
    edges = {
        name_: sorted({r for _, reads in defs for r in reads if r in callables})
        for name_, defs in callables.items()
    }
    for start in sorted(callables, key=lambda n: callables[n][0][0].lineno):
        # depth-first search for a path from `start` back to itself
        stack = [(start, [start])]
        seen = set()
        while stack:
            current, path = stack.pop()
            for nxt in edges[current]:
                if nxt == start:
                    cycle = " -> ".join([*path, start])
                    construct = (
                        "recursive nested function"
                        if len(path) == 1
                        else f"recursive nested functions ({cycle})"
                    )
                    return callables[start][0][0], construct
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    return None
