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
    gast.Starred: ("star-unpacking (*args)", "pass arguments explicitly"),
    gast.Match: ("match statement", "use if/elif/else"),
}
for _extra in ("TryStar",):
    if hasattr(gast, _extra):
        _REFUSED[getattr(gast, _extra)] = ("try/except*", "move error handling outside")


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
    for node in gast.walk(func):
        if node is func:
            continue
        if isinstance(node, gast.Starred) and id(node) in starred_targets:
            continue  # `first, *rest = ...` unpacks; only star-arguments are refused
        if isinstance(node, gast.Lambda) and id(node) not in allowed_lambdas:
            _refuse(
                info, node, "lambda used as a value", "assign it to a name, or use def"
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
            if any(
                isinstance(n, gast.Name) and n.id == node.name for n in gast.walk(node)
            ):
                _refuse(
                    info, node, "recursive nested function", "define it at module level"
                )
        if isinstance(node, gast.Dict):
            if any(k is None or not isinstance(k, gast.Constant) for k in node.keys):
                _refuse(info, node, "dict with computed keys", "use constant keys")
        refused = _REFUSED.get(type(node))
        if refused is not None:
            _refuse(info, node, *refused)
        if isinstance(node, gast.keyword) and node.arg is None:
            _refuse(
                info, node, "**kwargs in a call", "pass keyword arguments explicitly"
            )
        if isinstance(node, (gast.For, gast.While)) and node.orelse:
            _refuse(info, node, "else clause on a loop", "use a flag variable instead")
        if isinstance(node, gast.Assign):
            for target in node.targets:
                for sub in gast.walk(target):
                    if isinstance(sub, gast.Attribute) and isinstance(
                        sub.ctx, gast.Store
                    ):
                        _refuse(
                            info,
                            node,
                            "assignment to an attribute",
                            "keep values in local variables",
                        )
        if isinstance(node, gast.AugAssign) and isinstance(node.target, gast.Attribute):
            _refuse(info, node, "assignment to an attribute", "use local variables")
        if isinstance(node, (gast.ListComp, gast.GeneratorExp)):
            if len(node.generators) != 1:
                _refuse(
                    info,
                    node,
                    "comprehension with several for clauses",
                    "use nested loops",
                )
