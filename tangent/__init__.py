"""tangent: source-transformation automatic differentiation for Python.

`tangent.grad(f)` reads `f`'s source, builds the source of its gradient
(readable Python, loops kept as loops), compiles it and returns it.
"""

from tangent import rules as _rules  # noqa: F401  (registers the built-in rules)
from tangent.api import (
    grad,
    gradient_source,
    graph,
    show,
    source,
    value_and_grad,
    vjp,
)
from tangent.custom import custom_vjp, stop_gradient
from tangent.errors import (
    BadArgumentsError,
    BadWrtError,
    NonScalarOutputError,
    NoRuleError,
    ShapeMismatchError,
    TangentError,
    UnsupportedConstructError,
)
from tangent.export import export
from tangent.forward import forward, forward_source, hvp, jacobian, jvp
from tangent.rules import (
    adjoint,
    attribute,
    d,
    forward_rule,
    linear,
    method,
    nondifferentiable,
)

__version__ = "0.1.0"

__all__ = [
    "grad",
    "value_and_grad",
    "vjp",
    "forward",
    "forward_source",
    "jvp",
    "jacobian",
    "hvp",
    "source",
    "show",
    "gradient_source",
    "graph",
    "export",
    "adjoint",
    "forward_rule",
    "linear",
    "nondifferentiable",
    "custom_vjp",
    "stop_gradient",
    "method",
    "attribute",
    "d",
    "TangentError",
    "UnsupportedConstructError",
    "NoRuleError",
    "NonScalarOutputError",
    "BadWrtError",
    "BadArgumentsError",
    "ShapeMismatchError",
]
