"""Turn a live Python function into a gast tree that knows where it came from.

`parse_function(func)` reads the source with `inspect.getsource` (module
files, Jupyter cells and nested functions all work, since IPython registers
cells with `linecache`), dedents it, strips decorators and shifts line numbers
so that every node's `lineno` is the line in the user's file.
"""

from __future__ import annotations
import __future__

import inspect
import textwrap
import types
from dataclasses import dataclass

import gast

from transforms.errors import TransformError, UnsupportedConstructError


@dataclass(frozen=True)
class SourceInfo:
    """Where a parsed function lives, for error messages and comments."""

    function: str
    filename: str
    first_line: int
    lines: tuple[str, ...]

    def line(self, lineno: int | None) -> str:
        """The stripped text of an absolute line number of the user's file."""
        if lineno is None:
            return ""
        index = lineno - self.first_line
        if 0 <= index < len(self.lines):
            return self.lines[index].strip()
        return ""

    def error(self, cls, message, node=None, construct=None, hint=None):
        lineno = getattr(node, "lineno", None) if node is not None else None
        return cls(
            message,
            function=self.function,
            filename=self.filename,
            lineno=lineno or self.first_line,
            construct=construct,
            hint=hint,
        )


def parse_function(func) -> tuple[gast.FunctionDef, SourceInfo]:
    """Return the function's definition as a gast tree, and its `SourceInfo`."""
    name = getattr(func, "__name__", repr(func))
    code = getattr(func, "__code__", None)
    if code is None:
        raise TransformError(
            "cannot differentiate an object without Python source",
            function=name,
            construct=type(func).__name__,
            hint="pass a function defined with `def` in a file or notebook cell",
        )
    filename = code.co_filename
    try:
        lines, first_line = inspect.getsourcelines(func)
    except (OSError, TypeError) as exc:
        raise TransformError(
            "the source of this function is not available",
            function=name,
            filename=filename,
            construct=str(exc),
            hint="define the function in a file or a notebook cell, not at a REPL",
        ) from None
    source = textwrap.dedent("".join(lines))
    info = SourceInfo(name, filename, first_line, tuple(source.splitlines()))
    if name == "<lambda>":
        raise info.error(
            UnsupportedConstructError,
            "cannot differentiate a lambda",
            construct="lambda",
            hint="define the function with `def`",
        )
    try:
        module = gast.parse(source)
    except SyntaxError as exc:
        raise info.error(
            TransformError, "cannot parse the source", construct=str(exc)
        ) from None
    gast.increment_lineno(module, first_line - 1)
    node = module.body[0]
    if isinstance(node, gast.AsyncFunctionDef):
        raise info.error(
            UnsupportedConstructError,
            "unsupported construct",
            node,
            "async def",
            "only plain functions can be differentiated",
        )
    if not isinstance(node, gast.FunctionDef):
        raise info.error(TransformError, "expected a function definition", node)
    _check_same_code(func, source, info)
    node.decorator_list = []
    _positional_only_as_plain(node)
    return node, info


def _positional_only_as_plain(node) -> None:
    """`def f(x, y, /)`: positional-only parameters are plain positional ones for
    the compiler (the generated gradient takes them positionally)."""
    for n in gast.walk(node):
        args = getattr(n, "args", None)
        if isinstance(args, gast.arguments) and getattr(args, "posonlyargs", None):
            args.args = list(args.posonlyargs) + list(args.args)
            args.posonlyargs = []


# the `from __future__` flags that change how a function's body compiles
_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag


def _check_same_code(func, source: str, info: SourceInfo) -> None:
    """Refuse a source that is not the running function's: a file edited after it
    was imported, or a pseudo-file whose text was replaced, would otherwise give the
    gradient of other code. The source is compiled again and its code object
    compared with the function's: parameters, constants and the names it uses."""
    code = func.__code__
    try:
        compiled = compile(
            source,
            info.filename,
            "exec",
            flags=code.co_flags & _FUTURE_FLAGS,
            dont_inherit=True,
        )
    except (SyntaxError, ValueError):
        return  # the parser reports it
    candidates = [
        c
        for c in compiled.co_consts
        if isinstance(c, types.CodeType) and c.co_name == code.co_name
    ]
    if candidates and any(_same_code(code, c, func) for c in candidates):
        return
    raise info.error(
        TransformError,
        "the source found for this function is not the code that runs",
        None,
        f"{info.filename}:{info.first_line} was changed after the function was defined",
        "reload the module (importlib.reload) or run the cell again, then "
        "differentiate the new function",
    )


def _same_code(running, compiled, func) -> bool:
    """Same parameters and constants at every level of nesting, same names used."""
    return _same_shape(running, compiled, func) and _names(running, func) == _names(
        compiled, func
    )


def _same_shape(running, compiled, func) -> bool:
    def consts(c):
        return [_const_key(k) for k in c.co_consts if not isinstance(k, types.CodeType)]

    def nested(c):
        return [k for k in c.co_consts if isinstance(k, types.CodeType)]

    if (
        running.co_argcount != compiled.co_argcount
        or running.co_posonlyargcount != compiled.co_posonlyargcount
        or running.co_kwonlyargcount != compiled.co_kwonlyargcount
        or [_demangle(n, func) for n in running.co_varnames]
        != [_demangle(n, func) for n in compiled.co_varnames]
        or consts(running) != consts(compiled)
    ):
        return False
    inner_running, inner_compiled = nested(running), nested(compiled)
    return len(inner_running) == len(inner_compiled) and all(
        _same_shape(a, b, func)
        for a, b in zip(inner_running, inner_compiled, strict=True)
    )


def _names(code, func) -> set:
    """Globals, attributes and free variables used anywhere in `code` (a free
    variable of the running function is a global of the source compiled alone)."""
    found = {_demangle(n, func) for n in (*code.co_names, *code.co_freevars)}
    for k in code.co_consts:
        if isinstance(k, types.CodeType):
            found |= _names(k, func)
    return found - set(code.co_cellvars)


def _const_key(value):
    if isinstance(value, float) and value != value:
        return ("nan",)
    if isinstance(value, tuple):
        return tuple(_const_key(v) for v in value)
    return (type(value), value)


def _demangle(name: str, func) -> str:
    """`_Cls__x` -> `__x` for a function defined in class `Cls` (name mangling)."""
    parts = getattr(func, "__qualname__", "").split(".")
    if len(parts) > 1 and parts[-2] != "<locals>":
        prefix = "_" + parts[-2].lstrip("_") + "__"
        if name.startswith(prefix):
            return "__" + name[len(prefix) :]
    return name
