"""Turn a live Python function into a gast tree that knows where it came from.

`parse_function(func)` reads the source with `inspect.getsource` (module
files, Jupyter cells and nested functions all work, since IPython registers
cells with `linecache`), dedents it, strips decorators and shifts line numbers
so that every node's `lineno` is the line in the user's file.
"""

from __future__ import annotations

import inspect
import textwrap
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
    node.decorator_list = []
    return node, info
