"""Derivative rules: the registry and the built-in rule tables.

Importing this package registers the rules for Python operators, builtins,
`math` and NumPy into `RULES`, and the runtime helpers that generated code
may call into `RULES.runtime`.
"""

from tangent import runtime
from tangent.rules import (  # noqa: F401  (importing registers the rules)
    numpy_rules,
    python_rules,
    runtime_rules,
)

try:
    from tangent.rules import scipy_rules  # noqa: F401  (SciPy is optional)
except ImportError:
    pass
from tangent.rules.registry import (
    NONDIFFERENTIABLE,
    RULES,
    adjoint,
    attribute,
    d,
    forward_rule,
    linear,
    method,
    nondifferentiable,
)

RULES.runtime.update({name: getattr(runtime, name) for name in runtime.__all__})
# the built-in rules, before any user registers their own
BUILTIN = frozenset(RULES.reverse)

__all__ = [
    "NONDIFFERENTIABLE",
    "RULES",
    "adjoint",
    "attribute",
    "d",
    "forward_rule",
    "linear",
    "method",
    "nondifferentiable",
]
