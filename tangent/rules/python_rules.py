"""Rules for Python's operators, builtins and the `math` module.

Each rule is a template: the result first, then the operation's arguments;
`d[x] = ...` adds to the adjoint of `x` (see `transforms.templates`). A
forward rule follows its reverse rule: `d[y] = ...` adds to the tangent of
the result. The `math` functions are elementwise (on numbers), so their
forward rules are read off the reverse ones, except where a reverse rule
branches (`math.log` with a base).
"""

# ruff: noqa: F811  (rule templates are registered, not called by name)

import builtins
import math
import operator

import numpy as np

from tangent.rules.registry import (
    LIST,
    TUPLE,
    adjoint,
    d,
    forward_rule,
    linear,
    nondifferentiable,
)
from tangent.runtime import (
    add_at,
    builtin_extremum_grads,
    grad_item,
    head_grad,
    sum_grad,
    tail_grad,
    unbroadcast,
)

# ----- Arithmetic operators -----
# `+ - * / ** % @` and unary `-`/`+` share their rules with NumPy's ufuncs
# (np.add, ...): see numpy_rules.py. Here: what only Python has.


@adjoint(("BinOp", "Add", "sequence"))
def concatenate_sequences(z, x, y):
    d[x] = head_grad(d[z], x)
    d[y] = tail_grad(d[z], y)


nondifferentiable(
    operator.floordiv,
    operator.not_,
    operator.invert,
    operator.and_,
    operator.or_,
    operator.xor,
    operator.lshift,
    operator.rshift,
)

# ----- Indexing and containers -----


@adjoint(operator.getitem, cheap=True)
def getitem(y, x, index):
    d[x] = add_at(d[x], x, index, d[y])


linear(operator.getitem, args=("x",))


@adjoint(TUPLE, LIST, cheap=True)
def pack(y, *items):
    """Handled item by item by the compiler; see ReverseMode.pack."""


# Forward mode packs the items' tangents itself (ForwardMode.tangent_of): a
# tuple or list has no forward rule to look up.


# ----- Builtins -----


def builtin_extremum_tangent(da, db, y, a, b=None, larger=True):
    """Tangent of the builtin max/min from its operands' tangents (`0.0`: zero).

    Of two operands, the tangent of the winner, ties shared evenly; of one
    iterable, the mean of the tangents of the items equal to the result (as
    the reverse rule, `builtin_extremum_grads`, shares the adjoint).
    """
    if b is not None:
        b_wins = b > a if larger else b < a  # a tie goes to `a`, as Python's
        share = np.where(b_wins, 0.0, 1.0)
        return da * share + db * (1.0 - share)
    if isinstance(da, float) and da == 0.0:
        return 0.0
    if isinstance(a, (list, tuple)):
        first = next(i for i, item in enumerate(a) if np.all(item == y))
        return da[first]
    mask = np.asarray(a) == y
    return np.sum(da * mask, axis=0) / np.sum(mask, axis=0)


@adjoint(builtins.abs, elementwise=True)
def abs_(y, x):
    d[x] = d[y] * np.where(x < 0, -1.0, 1.0)


@adjoint(builtins.pow, elementwise=True)
def pow_builtin(z, x, y):
    d[x] = unbroadcast(d[z] * y * x ** (y - 1), x)
    d[y] = unbroadcast(d[z] * z * np.log(np.where(x > 0, x, 1.0)), y)


@adjoint(builtins.max, cheap=True)
def max_(y, a, b=None):
    ga, gb = builtin_extremum_grads(d[y], y, a, b, True)
    d[a] = ga
    d[b] = gb


@forward_rule(builtins.max)
def max_(y, a, b=None):
    d[y] = builtin_extremum_tangent(d[a], 0.0, y, a, b, True)
    d[y] = builtin_extremum_tangent(0.0, d[b], y, a, b, True)


@adjoint(builtins.min, cheap=True)
def min_(y, a, b=None):
    ga, gb = builtin_extremum_grads(d[y], y, a, b, False)
    d[a] = ga
    d[b] = gb


@forward_rule(builtins.min)
def min_(y, a, b=None):
    d[y] = builtin_extremum_tangent(d[a], 0.0, y, a, b, False)
    d[y] = builtin_extremum_tangent(0.0, d[b], y, a, b, False)


@adjoint(builtins.sum)
def sum_(y, xs, start=0):
    d[xs] = sum_grad(d[y], xs)
    d[start] = d[y]


@forward_rule(builtins.sum)
def sum_(y, xs, start=0):
    d[y] = sum(d[xs])
    d[y] = d[start]


@adjoint(builtins.float, cheap=True)
def float_(y, x):
    d[x] = d[y]


linear(builtins.float, args=("x",))


nondifferentiable(
    builtins.len,
    builtins.range,
    builtins.int,
    builtins.round,
    builtins.bool,
    builtins.isinstance,
    builtins.print,
    builtins.enumerate,
    builtins.zip,
    builtins.type,
)

# ----- The math module -----


@adjoint(math.sin, elementwise=True)
def math_sin(y, x):
    d[x] = d[y] * math.cos(x)


@adjoint(math.cos, elementwise=True)
def math_cos(y, x):
    d[x] = -d[y] * math.sin(x)


@adjoint(math.tan, elementwise=True)
def math_tan(y, x):
    d[x] = d[y] * (1.0 + y * y)


@adjoint(math.exp, elementwise=True)
def math_exp(y, x):
    d[x] = d[y] * y


@adjoint(math.log, elementwise=True)
def math_log(y, x, base=None):
    if base is None:
        d[x] = d[y] / x
    else:
        d[x] = d[y] / (x * math.log(base))
        d[base] = -d[y] * y / (base * math.log(base))


@forward_rule(math.log)
def math_log(y, x, base=None):
    d[y] = d[x] / x if base is None else d[x] / (x * math.log(base))
    d[y] = -d[base] * y / (base * math.log(base))


@adjoint(math.log2, elementwise=True)
def math_log2(y, x):
    d[x] = d[y] / (x * math.log(2.0))


@adjoint(math.log10, elementwise=True)
def math_log10(y, x):
    d[x] = d[y] / (x * math.log(10.0))


@adjoint(math.log1p, elementwise=True)
def math_log1p(y, x):
    d[x] = d[y] / (1.0 + x)


@adjoint(math.expm1, elementwise=True)
def math_expm1(y, x):
    d[x] = d[y] * (y + 1.0)


@adjoint(math.sqrt, elementwise=True)
def math_sqrt(y, x):
    d[x] = np.divide(d[y], 2.0 * y)


@adjoint(math.tanh, elementwise=True)
def math_tanh(y, x):
    d[x] = d[y] * (1.0 - y * y)


@adjoint(math.sinh, elementwise=True)
def math_sinh(y, x):
    d[x] = d[y] * math.cosh(x)


@adjoint(math.cosh, elementwise=True)
def math_cosh(y, x):
    d[x] = d[y] * math.sinh(x)


@adjoint(math.asin, elementwise=True)
def math_asin(y, x):
    d[x] = np.divide(d[y], np.sqrt(1.0 - x * x))


@adjoint(math.acos, elementwise=True)
def math_acos(y, x):
    d[x] = -np.divide(d[y], np.sqrt(1.0 - x * x))


@adjoint(math.atan, elementwise=True)
def math_atan(y, x):
    d[x] = d[y] / (1.0 + x * x)


@adjoint(math.atan2, elementwise=True)
def math_atan2(z, y, x):
    d[y] = d[z] * x / (x * x + y * y)
    d[x] = -d[z] * y / (x * x + y * y)


@adjoint(math.pow, elementwise=True)
def math_pow(z, x, y):
    d[x] = d[z] * y * math.pow(x, y - 1)
    d[y] = d[z] * z * math.log(x) if x > 0 else 0.0


@adjoint(math.hypot, elementwise=True)
def math_hypot(z, x, y):
    d[x] = d[z] * x / z
    d[y] = d[z] * y / z


@adjoint(math.fabs, elementwise=True)
def math_fabs(y, x):
    d[x] = d[y] * math.copysign(1.0, x)


@adjoint(math.erf, elementwise=True)
def math_erf(y, x):
    d[x] = d[y] * 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


@adjoint(math.erfc, elementwise=True)
def math_erfc(y, x):
    d[x] = -d[y] * 2.0 / math.sqrt(math.pi) * math.exp(-x * x)


@adjoint(math.degrees, elementwise=True)
def math_degrees(y, x):
    d[x] = d[y] * (180.0 / math.pi)


@adjoint(math.radians, elementwise=True)
def math_radians(y, x):
    d[x] = d[y] * (math.pi / 180.0)


nondifferentiable(
    math.floor,
    math.ceil,
    math.trunc,
    math.isnan,
    math.isinf,
    math.isfinite,
    math.copysign,
)

__all__ = ["grad_item"]
