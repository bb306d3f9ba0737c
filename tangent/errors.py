"""Errors raised by tangent: one base class, `TangentError`.

Every error about the user's code names the function, the file and line, the
construct, and gives a one-line hint.
"""

from transforms.errors import (
    BadArgumentsError,
    BadWrtError,
    NonScalarOutputError,
    NoRuleError,
    ShapeMismatchError,
    TemplateError,
    UnsupportedConstructError,
)
from transforms.errors import TransformError as TangentError

__all__ = [
    "TangentError",
    "UnsupportedConstructError",
    "NoRuleError",
    "NonScalarOutputError",
    "BadWrtError",
    "TemplateError",
    "ShapeMismatchError",
    "BadArgumentsError",
]
