"""Errors raised by the compiler.

Every error the compiler raises derives from `TransformError` and carries the
location of the user's construct (function name, file, line), a short name of
the construct and a one-line hint. `tangent` re-exports `TransformError` as
`TangentError`, so users catch one class.
"""

from __future__ import annotations


class TransformError(Exception):
    """Base class: a problem with the user's code or request."""

    def __init__(
        self,
        message: str,
        *,
        function: str | None = None,
        filename: str | None = None,
        lineno: int | None = None,
        construct: str | None = None,
        hint: str | None = None,
    ):
        self.message = message
        self.function = function
        self.filename = filename
        self.lineno = lineno
        self.construct = construct
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.filename is not None:
            where.append(
                f"{self.filename}:{self.lineno}" if self.lineno else self.filename
            )
        if self.function is not None:
            where.append(f"in function '{self.function}'")
        text = self.message
        if self.construct:
            text = f"{text}: {self.construct}"
        if where:
            text = f"{' '.join(where)}: {text}"
        if self.hint:
            text = f"{text}\n  hint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self._format()


class UnsupportedConstructError(TransformError):
    """The language fence refused a construct."""


class NoRuleError(TransformError):
    """A call has no derivative rule and no Python source to differentiate."""


class NonScalarOutputError(TransformError, ValueError):
    """`grad` was asked for a function whose output is not a scalar."""


class BadWrtError(TransformError, ValueError):
    """`wrt` names no parameter of the function."""


class ShapeMismatchError(TransformError, ValueError):
    """A seed, cotangent or tangent does not match the value it stands for
    (its structure, shape or kind), e.g. a `vjp` pullback's cotangent."""


class BadArgumentsError(TransformError, TypeError):
    """The primals given to `vjp` or `jvp` do not fit the function's parameters."""


class TemplateError(TransformError):
    """A rule template was filled with names that do not match it."""
