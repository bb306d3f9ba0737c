"""The rule registry: where derivative rules are registered and found.

The compiler asks `RuleSet.lookup(key)` for the rule of an operation. Keys:
`("Call", function)` for a call (`np.sin`, `math.exp`, a user function with
a custom rule), `("BinOp", "Add")` and `("UnaryOp", "USub")` for operators,
`("Subscript",)`, `("Attribute", "T")`, `("Method", "sum")`, `("Tuple",)`
and `("List",)` for the rest of the syntax. It answers with a `Template`,
`NONDIFFERENTIABLE`, or None.

Registration, from any module (the package's own rule tables use the same
API users do):

    @tangent.adjoint(np.sin)
    def sin(y, x):
        d[x] = d[y] * np.cos(x)

    @tangent.forward_rule(np.sin)
    def sin(y, x):
        d[y] = d[x] * np.cos(x)

    tangent.linear(np.sum, "a")        # the tangent of np.sum(a) is np.sum(da)
    tangent.nondifferentiable(np.argmax, np.floor)

Forward rules are found by `RuleSet.lookup_forward(key)`: the registered
one, else, for an elementwise operation, the one read off its reverse rule
(`Template.elementwise_tangent`).
"""

from __future__ import annotations

import operator

from transforms.forward import Linear
from transforms.reverse import NONDIFFERENTIABLE
from transforms.templates import Template

__all__ = [
    "d",
    "adjoint",
    "forward_rule",
    "linear",
    "nondifferentiable",
    "method",
    "attribute",
    "RULES",
    "RuleSet",
    "NONDIFFERENTIABLE",
]


class _Adjoints:
    """The `d` in rule templates: `d[x]` is the adjoint of `x`. Never evaluated."""

    def __getitem__(self, key):
        raise RuntimeError("d[...] is only meaningful inside a rule template")

    def __setitem__(self, key, value):
        raise RuntimeError("d[...] is only meaningful inside a rule template")


d = _Adjoints()

_OPERATOR_KEYS = {
    operator.add: ("BinOp", "Add"),
    operator.sub: ("BinOp", "Sub"),
    operator.mul: ("BinOp", "Mult"),
    operator.truediv: ("BinOp", "Div"),
    operator.floordiv: ("BinOp", "FloorDiv"),
    operator.mod: ("BinOp", "Mod"),
    operator.pow: ("BinOp", "Pow"),
    operator.matmul: ("BinOp", "MatMult"),
    operator.neg: ("UnaryOp", "USub"),
    operator.pos: ("UnaryOp", "UAdd"),
    operator.getitem: ("Subscript",),
    operator.not_: ("UnaryOp", "Not"),
    operator.invert: ("UnaryOp", "Invert"),
    operator.and_: ("BinOp", "BitAnd"),
    operator.or_: ("BinOp", "BitOr"),
    operator.xor: ("BinOp", "BitXor"),
    operator.lshift: ("BinOp", "LShift"),
    operator.rshift: ("BinOp", "RShift"),
}


class _SyntaxKey:
    def __init__(self, key):
        self.key = key

    def __repr__(self):
        return f"<syntax {self.key}>"


def method(name: str):
    """Key for an array method, e.g. `method("sum")` for `x.sum(...)`."""
    return _SyntaxKey(("Method", name))


def attribute(name: str):
    """Key for an attribute read, e.g. `attribute("T")` for `x.T`."""
    return _SyntaxKey(("Attribute", name))


TUPLE = _SyntaxKey(("Tuple",))
LIST = _SyntaxKey(("List",))


def key_of(target):
    if isinstance(target, _SyntaxKey):
        return target.key
    if isinstance(target, tuple) and target and isinstance(target[0], str):
        return target
    try:
        if target in _OPERATOR_KEYS:
            return _OPERATOR_KEYS[target]
    except TypeError:
        pass
    return ("Call", target)


_SYMBOLS = {
    "Add": "+",
    "Sub": "-",
    "Mult": "*",
    "Div": "/",
    "FloorDiv": "//",
    "Mod": "%",
    "Pow": "**",
    "MatMult": "@",
    "BitAnd": "&",
    "BitOr": "|",
    "BitXor": "^",
    "LShift": "<<",
    "RShift": ">>",
    "USub": "-",
    "UAdd": "+",
    "Not": "not ",
    "Invert": "~",
}
_SYNTAX_LABELS = {
    **{("BinOp", op): f"x {sym} y" for op, sym in _SYMBOLS.items()},
    **{("UnaryOp", op): f"{_SYMBOLS[op]}x" for op in ("USub", "UAdd", "Not", "Invert")},
    ("BinOp", "Add", "sequence"): "list + list",
    ("Subscript",): "x[index]",
    ("Tuple",): "(a, b, ...)",
    ("List",): "[a, b, ...]",
}


def _ufunc_module(ufunc) -> str:
    """Ufuncs do not know their module: NumPy's are attributes of `numpy`."""
    import numpy

    if getattr(numpy, ufunc.__name__, None) is ufunc:
        return "numpy"
    return "scipy.special"


class RuleSet:
    """Reverse rules and non-differentiable operations, keyed by operation."""

    def __init__(self):
        self.reverse: dict = {}
        self.forward: dict = {}
        self.runtime: dict = {}
        self._derived: dict = {}  # reverse template -> forward read off it

    def lookup(self, key):
        try:
            return self.reverse.get(key)
        except TypeError:  # an unhashable callable
            return None

    def lookup_forward(self, key):
        """The forward rule of an operation: a `Template`, a `Linear`, or None."""
        try:
            rule = self.forward.get(key)
        except TypeError:
            return None
        if rule is not None:
            return rule
        reverse = self.lookup(key)
        elementwise = key[0] in ("BinOp", "UnaryOp") and key[1] not in (
            "MatMult",
            "FloorDiv",
        )
        if not isinstance(reverse, Template) or not (
            elementwise or getattr(reverse, "elementwise", False)
        ):
            return None
        if reverse not in self._derived:
            self._derived[reverse] = reverse.elementwise_tangent()
        return self._derived[reverse]

    def register(self, target, rule):
        self.reverse[key_of(target)] = rule

    def names(self, keys=None):
        """Readable names of the registered operations (all, or `keys`), sorted."""
        out = []
        for key, rule in self.reverse.items():
            if keys is not None and key not in keys:
                continue
            kind = key[0]
            if kind == "Call":
                obj = key[1]
                module = getattr(obj, "__module__", None) or ""
                if type(obj).__name__ == "ufunc":
                    module = _ufunc_module(obj)
                label = f"{module}.{getattr(obj, '__name__', repr(obj))}".lstrip(".")
            elif kind == "Method":
                label = f"ndarray.{key[1]}()"
            elif kind == "Attribute":
                label = f"ndarray.{key[1]}"
            else:
                label = _SYNTAX_LABELS.get(key, " ".join(key))
            out.append(
                (label, "nondifferentiable" if rule is NONDIFFERENTIABLE else "rule")
            )
        return sorted(set(out))


RULES = RuleSet()


def adjoint(*targets, cheap=False, elementwise=False):
    """Register the decorated template as the reverse rule of each target.

    cheap: the operation may be recomputed in the backward sweep rather than
        saved on the tape.
    elementwise: the operation maps its (broadcast) arguments elementwise, so
        an adjoint flowing through it may keep broadcast dimensions.
    """

    def register(func):
        template = Template(func)
        template.cheap = cheap or elementwise
        # ufuncs map their broadcast arguments elementwise by definition
        # (generalized ufuncs such as np.matmul have a core signature: not)
        template.elementwise = elementwise or any(_is_scalar_ufunc(t) for t in targets)
        template.cheap = template.cheap or template.elementwise
        for target in targets:
            RULES.register(target, template)
        return func

    return register


def _is_scalar_ufunc(target) -> bool:
    return (
        type(target).__name__ == "ufunc" and getattr(target, "signature", None) is None
    )


def forward_rule(*targets, container=False):
    """Register the decorated template as the forward (tangent) rule of each target.

    The template has the reverse rule's parameters (the result first); each
    `d[y] = ...` adds a contribution to the result's tangent `d[y]` and is
    dropped when the tangent it reads is zero:

        @forward_rule(np.multiply)
        def multiply(y, x1, x2):
            d[y] = d[x1] * x2
            d[y] = d[x2] * x1

    container: the result is a tuple (or list): contributions add item by item.
    """

    def register(func):
        template = Template(func)
        template.elementwise = any(_is_scalar_ufunc(t) for t in targets)
        template.container = container
        for target in targets:
            RULES.forward[key_of(target)] = template
        return func

    return register


def linear(*targets, args=("a",)):
    """Declare operations linear in each argument named in `args`.

    The tangent is the operation itself applied to each argument's tangent in
    turn, the other arguments kept (`np.sum(a, axis=0)` -> `np.sum(da,
    axis=0)`; `a @ b` -> `da @ b + a @ db`). `args` are the parameter names
    of the operation's reverse rule.
    """
    rule = Linear(args)
    for target in targets:
        RULES.forward[key_of(target)] = rule
    return targets[0] if len(targets) == 1 else None


def nondifferentiable(*targets):
    """Declare operations whose outputs carry no derivative (argmax, floor, ...)."""
    for target in targets:
        RULES.register(target, NONDIFFERENTIABLE)
    return targets[0] if len(targets) == 1 else None
