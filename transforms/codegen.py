"""From a generated gast function to a live Python function with source.

`to_source(func)` prints the tree with `ast.unparse`, turning comment
markers (statements annotated with `anno.COMMENT`) into `# ...` lines and
filling empty blocks with `pass`. `compile_function(source, name, namespace)`
compiles it under a stable pseudo-filename registered in `linecache`, so
`inspect.getsource`, tracebacks and `pdb` show the generated lines.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import re
import types

import gast

from transforms import anno
from transforms.quoting import signed_constants

# a comment travels through `ast.unparse` as a call statement (a bare string
# would print as a docstring where it is the first statement of a body)
_MARK = "__tangent_comment__"
_MARK_LINE = re.compile(r"^(\s*)" + re.escape(_MARK) + r"\((.*)\)$")


def _prepare(stmts):
    """Comment markers become string statements; empty blocks get `pass`."""
    out = []
    last_comment = None
    for i, s in enumerate(stmts):
        if anno.hasanno(s, anno.COMMENT):
            following = stmts[i + 1] if i + 1 < len(stmts) else None
            if following is None or anno.hasanno(following, anno.COMMENT):
                continue  # a comment over nothing
            if anno.getanno(s, anno.COMMENT) == last_comment:
                continue  # the same line's adjoint, continued
            last_comment = anno.getanno(s, anno.COMMENT)
            text = gast.Constant(value=anno.getanno(s, anno.COMMENT), kind=None)
            call = gast.Call(
                func=gast.Name(_MARK, gast.Load(), None, None), args=[text], keywords=[]
            )
            out.append(gast.Expr(value=call))
            continue
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list):
                new = _prepare(inner)
                if field == "body" and not new:
                    new = [gast.Pass()]
                setattr(s, field, new)
        out.append(s)
    return out


def _bare_tuple_returns(tree):
    """`return (dx, da)` prints as `return dx, da`, as a person writes it."""
    for n in ast.walk(tree):
        if (
            isinstance(n, ast.Return)
            and isinstance(n.value, ast.Tuple)
            and n.value.elts
        ):
            text = ", ".join(ast.unparse(e) for e in n.value.elts)
            if len(n.value.elts) == 1:
                text += ","
            n.value = ast.Name(id=text, ctx=ast.Load())


def _is_default(arg, param) -> bool:
    default = param.default
    return (
        isinstance(arg, gast.Constant)
        and default is not inspect.Parameter.empty
        and type(arg.value) is type(default)
        and arg.value == default
    )


def _is_flag(arg) -> bool:
    return isinstance(arg, gast.Constant) and (
        arg.value is None or isinstance(arg.value, bool)
    )


def plain_arguments(tree, names: dict) -> None:
    """Calls of the Python functions in `names` (the helpers generated code
    reaches by name) written as a person would: arguments that repeat the
    parameter's default are left out, and a flag (`True`, `False`, `None`)
    is passed by keyword, with the arguments after it:
    `unreduce(g, x, None, True, True)` becomes `unreduce(g, x, keepdims=True)`.
    Rule templates pass every parameter on; this makes the call read as
    written. The meaning is unchanged: only defaults are dropped and only
    positional-or-keyword parameters named."""
    for call in gast.walk(tree):
        if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Name)):
            continue
        func = names.get(call.func.id)
        if not inspect.isfunction(func):
            continue
        params = list(inspect.signature(func).parameters.values())
        args = call.args
        if (
            len(args) > len(params)
            or any(isinstance(a, gast.Starred) for a in args)
            or any(p.kind is not p.POSITIONAL_OR_KEYWORD for p in params[: len(args)])
        ):
            continue
        n = len(args)
        while n and _is_default(args[n - 1], params[n - 1]):
            n -= 1
        first_flag = next((i for i in range(1, n) if _is_flag(args[i])), n)
        keywords = [
            gast.keyword(arg=params[i].name, value=args[i])
            for i in range(first_flag, n)
            if not _is_default(args[i], params[i])
        ]
        call.args = args[:first_flag]
        call.keywords = keywords + call.keywords


def to_source(func, names: dict | None = None) -> str:
    """The source of `func`; `names` (what its free names refer to) lets calls
    of helpers leave out their default arguments (`plain_arguments`)."""
    if names:
        plain_arguments(func, names)
    func.body = _prepare(func.body) or [gast.Pass()]
    tree = gast.gast_to_ast(gast.fix_missing_locations(func))
    signed_constants(tree)
    _bare_tuple_returns(tree)
    text = ast.unparse(ast.fix_missing_locations(tree))
    lines = []
    for line in text.splitlines():
        m = _MARK_LINE.match(line)
        if m:
            comment = ast.literal_eval(m.group(2))
            lines.append(f"{m.group(1)}# {comment}")
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


_counter = {"n": 0}


def compile_function(
    source: str,
    name: str,
    globals_: dict,
    free: dict | None = None,
    cells: dict | None = None,
    header: str = "",
):
    """Compile `source` (one `def name`) into a function with live globals.

    The function's globals are `globals_` itself (never modified), so it sees
    later changes to the user's module. Names in `free` (helpers, rules'
    modules, other generated functions) reach it through closure cells, as do
    the user's own closure `cells`. The text `header + source` is registered
    in `linecache` under a stable pseudo-filename, with line numbers matching
    the compiled code, so `inspect.getsource`, tracebacks and `pdb` show it.
    """
    free = dict(free or {})
    cells = dict(cells or {})
    _counter["n"] += 1
    filename = f"<tangent-generated {name} #{_counter['n']}>"
    header = header.rstrip("\n")
    display = f"{header}\n{source}" if header else source
    params = sorted(set(free) | set(cells))
    body = "".join(
        "  " + line if line.strip() else line for line in source.splitlines(True)
    )
    # one header line keeps the def on the same line number in both texts
    wrapper = f"def _tangent_scope({', '.join(params)}):\n{body}  return {name}\n"
    if not header:
        display = "\n" + source
    linecache.cache[filename] = (len(display), None, display.splitlines(True), filename)
    scope: dict = {}
    exec(compile(wrapper, filename, "exec"), globals_, scope)
    made = scope["_tangent_scope"](*[free.get(p) for p in params])
    if cells:
        # the user's own closure cells, shared so that later changes are seen
        closure = tuple(
            cells[v] if v in cells else made.__closure__[i]
            for i, v in enumerate(made.__code__.co_freevars)
        )
        kwdefaults = made.__kwdefaults__
        made = types.FunctionType(
            made.__code__, globals_, name, made.__defaults__, closure
        )
        made.__kwdefaults__ = kwdefaults
    made.__qualname__ = name
    return made
