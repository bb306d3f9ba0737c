"""Conversions between source text and gast trees.

`to_source` unparses with the standard library's `ast.unparse` (astor is
unmaintained and cannot print newer syntax); `quote` parses a statement or an
expression from text. Both are pure: they never modify their input.
"""

from __future__ import annotations

import ast

import gast


def to_source(node) -> str:
    """Return the source text of a gast node (module, statement or expression).

    Empty blocks (a branch whose statements were all moved away) print as `pass`.
    """
    if isinstance(node, list):
        return "\n".join(to_source(n) for n in node)
    tree = gast.gast_to_ast(gast.fix_missing_locations(node))
    signed_constants(tree)
    for n in ast.walk(tree):
        for field in ("body", "orelse"):
            if (
                field == "body"
                and getattr(n, field, None) == []
                and not isinstance(n, ast.Module)
            ):
                setattr(n, field, [ast.Pass()])
    return ast.unparse(tree)


class _Signed(ast.NodeTransformer):
    def visit_Constant(self, node):
        value = node.value
        if (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and (value < 0 or (value == 0 and str(value).startswith("-")))
        ):
            return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-value))
        return node


def signed_constants(tree):
    """Negative numbers become `-(number)` so `ast.unparse` keeps `(-2.0) ** 2` right.

    Python's parser never makes a negative constant; folding can, and
    `ast.unparse` prints one without the parentheses that `**` needs.
    """
    return _Signed().visit(tree)


def quote(src: str):
    """Parse `src` into a gast statement (or a list of them) or an expression.

    A single expression statement is returned as its expression.
    """
    body = gast.parse(src).body
    if len(body) == 1:
        stmt = body[0]
        if isinstance(stmt, gast.Expr):
            return stmt.value
        return stmt
    return body


def name(id_: str, store: bool = False) -> gast.Name:
    ctx = gast.Store() if store else gast.Load()
    return gast.Name(id=id_, ctx=ctx, annotation=None, type_comment=None)


def const(value) -> gast.Constant:
    return gast.Constant(value=value, kind=None)


def assign(target: str, value) -> gast.Assign:
    return gast.Assign(
        targets=[name(target, store=True)], value=value, type_comment=None
    )


def parameters(names) -> gast.arguments:
    """Plain positional parameters, no defaults: `(a, b)`."""
    return gast.arguments(
        args=[
            gast.Name(id=n, ctx=gast.Param(), annotation=None, type_comment=None)
            for n in names
        ],
        posonlyargs=[],
        vararg=None,
        kwonlyargs=[],
        kw_defaults=[],
        kwarg=None,
        defaults=[],
    )


def function_def(name_: str, args: gast.arguments, body) -> gast.FunctionDef:
    """`def name_(args): body`, undecorated and unannotated."""
    return gast.FunctionDef(
        name=name_,
        args=args,
        body=body,
        decorator_list=[],
        returns=None,
        type_comment=None,
        type_params=[],
    )
