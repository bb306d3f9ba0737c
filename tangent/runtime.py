"""The few helpers that generated code calls.

Generated gradients use plain arithmetic wherever shapes are known to match;
these helpers exist for what cannot be known when the code is generated:
whether an operand was broadcast (`unbroadcast`), what a reduction removed
(`broadcast_back`), and the adjoints of containers (lists and tuples, whose
adjoints are lists). A zero adjoint may be the Python float `0.0`, whatever
the shape of its value: every helper accepts it.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "unbroadcast",
    "broadcast_back",
    "zeros_like",
    "add_grad",
    "shaped",
    "add_at",
    "add_into",
    "pop_grad",
    "grad_item",
    "extremum_grad",
    "sum_grad",
    "minmax_grads",
    "scalar_seed",
    "shared_update_error",
    "checked_adjoints",
    "builtin_extremum_grads",
    "copy_value",
    "grad_at",
    "zero_at",
    "head_grad",
    "push_grad",
    "tail_grad",
    "broadcast_like",
]


# generated function's code object -> (primal name, file, first line)
PRIMAL_OF: dict = {}


def _where():
    """The user's function whose generated gradient is calling a helper."""
    import sys

    frame = sys._getframe(2)
    return PRIMAL_OF.get(
        frame.f_code, (frame.f_code.co_name, frame.f_code.co_filename, None)
    )


def _is_number(v) -> bool:
    """One number: a Python or NumPy number, or a numeric array of size 1."""
    if v is None or isinstance(v, (str, bytes, list, tuple, dict)):
        return False
    a = np.asarray(v)
    return a.size == 1 and (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_)


def shared_update_error(update, other, lineno):
    """The error for the in-place update `update` (its source line: `b *= e`)
    of an array that `other` shares and that is read afterwards. Python
    changes `other` too; the gradient follows names, not memory, so it would
    be wrong: generated code raises this error before the update runs."""
    import re

    from transforms.errors import UnsupportedConstructError

    function, filename, _ = _where()
    parts = re.match(r"\s*([A-Za-z_]\w*)\s*([^\s\w=]+)=", update)
    hint = "make a new array instead of updating this one, or copy it first"
    if parts:
        var, op = parts.groups()
        hint = (
            f"to change '{var}' only, make a new array "
            f"('{var} = {var} {op} ...') or copy it first ('{var} = {var}.copy()')"
        )
    return UnsupportedConstructError(
        "in-place update of an array that another variable shares",
        function=function,
        filename=filename,
        lineno=lineno,
        construct=f"{update} (it also changes '{other}', which is read afterwards)",
        hint=hint,
    )


def scalar_seed(value, seed):
    """The seed for a scalar output; refuses a non-scalar one (`grad` needs a scalar)
    and a seed that is not one number."""
    if not _is_number(seed):
        from transforms.errors import ShapeMismatchError

        function, filename, line = _where()
        raise ShapeMismatchError(
            "the seed dresult must be one number: the output is a scalar",
            function=function,
            filename=filename,
            lineno=line,
            construct=f"dresult={seed!r}"[:80],
            hint="pass dresult=1.0 or another number; for a cotangent use tangent.vjp",
        )
    if not _is_number(value):
        from transforms.errors import NonScalarOutputError

        function, filename, line = _where()
        if value is None:
            raise NonScalarOutputError(
                "the function returned None",
                function=function,
                filename=filename,
                lineno=line,
                hint="return the value to differentiate",
            )
        raise NonScalarOutputError(
            "grad needs a scalar output",
            function=function,
            filename=filename,
            lineno=line,
            construct=f"{type(value).__name__} of shape {np.shape(value)}",
            hint="use tangent.vjp for non-scalar outputs, or reduce with np.sum",
        )
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return np.full(value.shape, seed, dtype=np.result_type(value.dtype, float))
    return seed


def _is_zero(g) -> bool:
    return isinstance(g, float) and g == 0.0 and not isinstance(g, np.floating)


def unbroadcast(g, x):
    """Sum `g` over the axes along which `x` was broadcast, giving `x`'s shape.

    The scalar zero `0.0` (an adjoint into which nothing flowed on this path)
    stands for zeros of every shape: it comes back unchanged, as from
    `add_grad`; `shaped` gives it a shape where a rule needs one.
    """
    if isinstance(x, float) and isinstance(g, float):
        return g  # two numbers (NumPy's float64 is a float too): the cheapest case
    if getattr(g, "shape", ()) == getattr(x, "shape", ()) and not isinstance(
        x, (list, tuple)
    ):
        return g  # the common case, kept cheap: same shapes, or two scalars
    if type(g) is np.ndarray and type(x) is np.ndarray:
        if g.ndim == x.ndim + 1 and g.shape[1:] == x.shape:
            return g.sum(axis=0)  # a bias added to a batch: one sum
    if _is_zero(g):
        return g
    shape = np.shape(x)
    gshape = np.shape(g)
    if gshape == shape:
        return g
    g = np.asarray(g)
    extra = len(gshape) - len(shape)
    if extra > 0:  # the array method: less overhead than np.sum
        g = g.sum(axis=0 if extra == 1 else tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if g.shape != shape:
        g = np.broadcast_to(g, shape)
    return g


def broadcast_back(g, x, axis=None, keepdims=False):
    """Undo a reduction over `axis`: broadcast `g` back to the shape of `x`."""
    shape = np.shape(x)
    g = np.asarray(g)
    if axis is not None and not keepdims:
        axes = axis if isinstance(axis, tuple) else (axis,)
        axes = tuple(sorted(a % len(shape) for a in axes))
        for a in axes:
            g = np.expand_dims(g, a)
    return np.broadcast_to(g, shape)


def zeros_like(x):
    """A zero adjoint for `x`: `0.0` for Python numbers, zeros of `x`'s structure."""
    if type(x) is np.ndarray and x.dtype.kind in "fc":
        return np.zeros(x.shape, dtype=x.dtype)  # the common case, kept cheap
    if isinstance(x, (bool, int, float)):
        return 0.0
    if isinstance(x, (list, tuple)):
        return [zeros_like(e) for e in x]
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    if isinstance(x, np.ndarray):
        dtype = x.dtype if np.issubdtype(x.dtype, np.inexact) else float
        return np.zeros(x.shape, dtype=dtype)
    if isinstance(x, np.generic):
        return np.zeros(
            (), dtype=x.dtype if np.issubdtype(x.dtype, np.inexact) else float
        )[()]
    try:
        return x * 0.0
    except TypeError:
        return 0.0


def shaped(g, y):
    """The adjoint `g` of `y`, as zeros of `y`'s shape when it is the scalar zero."""
    if _is_zero(g):
        return zeros_like(y)
    return g


def add_grad(a, b):
    """Add two adjoints that may be zeros, arrays or lists of adjoints."""
    if _is_zero(a):
        return b
    if _is_zero(b):
        return a
    if isinstance(a, dict) or isinstance(b, dict):
        if not isinstance(a, dict):
            return {k: add_grad(a, v) for k, v in b.items()}
        if not isinstance(b, dict):
            return {k: add_grad(v, b) for k, v in a.items()}
        return {k: add_grad(a.get(k, 0.0), b.get(k, 0.0)) for k in {**a, **b}}
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        if not isinstance(a, (list, tuple)):
            a = [a] * len(b)
        if not isinstance(b, (list, tuple)):
            b = [b] * len(a)
        return [add_grad(x, y) for x, y in zip(a, b)]
    return a + b


def _is_basic_index(index) -> bool:
    if isinstance(index, tuple):
        return all(_is_basic_index(i) for i in index)
    return (
        index is None
        or index is Ellipsis
        or isinstance(index, (int, np.integer, slice))
    )


def add_at(dx, x, index, g):
    """The adjoint of `y = x[index]`: add `g` into `dx` at `index` (scatter-add)."""
    if isinstance(x, (list, tuple, dict)):
        if _is_zero(dx):
            new = zeros_like(x)
        else:
            new = dict(dx) if isinstance(dx, dict) else list(dx)
        if isinstance(index, slice):
            new[index] = [add_grad(a, b) for a, b in zip(new[index], g)]
        else:
            new[index] = add_grad(new[index], g)
        return new
    if type(dx) is np.ndarray:
        new = dx.copy()
    elif _is_zero(dx):
        new = np.zeros(
            np.shape(x),
            dtype=np.result_type(np.asarray(x).dtype, np.asarray(g).dtype, np.float16),
        )
    else:
        new = np.array(dx, copy=True)
    if type(index) is int or _is_basic_index(index):
        new[index] += g
    else:
        np.add.at(new, index, g)
    return new


def add_into(dx, x, index, g):
    """`add_at`, adding in place: generated code calls it where `dx` is an
    array the gradient made and nothing else refers to (the compiler proves
    it), so that a loop over the entries of `x` is not quadratic. Anything
    but a writable NumPy array goes to `add_at`."""
    if type(dx) is not np.ndarray or not dx.flags.writeable:
        return add_at(dx, x, index, g)
    if type(index) is int or _is_basic_index(index):
        dx[index] += g
    else:
        np.add.at(dx, index, g)
    return dx


# differentiating code that calls it (a gradient, again) calls `add_at`: the
# tape then never holds an array that a later `add_into` changes
add_into.functional = add_at


def copy_value(v):
    """A snapshot of `v` for the tape (arrays are copied, numbers are immutable)."""
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, list):
        return list(v)
    if isinstance(v, dict):
        return dict(v)
    return v


def grad_at(dx, index):
    """`dx[index]`, where `dx` may be a zero."""
    if _is_zero(dx):
        return 0.0
    return dx[index]


def zero_at(dx, index):
    """A copy of `dx` with the entries at `index` set to zero (they were overwritten)."""
    if _is_zero(dx):
        return dx
    if isinstance(dx, (list, dict)):
        new = dict(dx) if isinstance(dx, dict) else list(dx)
        new[index] = 0.0
        return new
    new = np.array(dx, copy=True)
    new[index] = 0
    return new


def head_grad(g, x):
    """Adjoint of `x` in `x + y`: the first len(x) entries for sequences."""
    if isinstance(x, (list, tuple)):
        return 0.0 if _is_zero(g) else list(g[: len(x)])
    return unbroadcast(g, x)


def tail_grad(g, y):
    """Adjoint of `y` in `x + y`: the last len(y) entries for sequences."""
    if isinstance(y, (list, tuple)):
        return 0.0 if _is_zero(g) else list(g[len(g) - len(y) :])
    return unbroadcast(g, y)


def push_grad(dlist, items, g):
    """Adjoint of `v = items.pop()`: the list's adjoint gets `g` back at its end."""
    rest = zeros_like(items) if _is_zero(dlist) else list(dlist)
    return [*rest, g]


def pop_grad(dlist):
    """Split a list adjoint into (rest, last); a zero gives zeros."""
    if _is_zero(dlist):
        return 0.0, 0.0
    return list(dlist[:-1]), dlist[-1]


def grad_item(dt, i):
    """The adjoint of item `i` of a container whose adjoint is `dt` (maybe zero)."""
    if _is_zero(dt):
        return 0.0
    if isinstance(dt, dict):
        return dt.get(i, 0.0)
    return dt[i]


def extremum_grad(g, y, x, axis=None, keepdims=False):
    """Adjoint of max/min reductions: `g` split evenly among the tied extremal entries."""
    y_full = broadcast_back(y, x, axis, keepdims)
    mask = np.asarray(x) == y_full
    count = np.sum(mask, axis=axis, keepdims=True)
    return broadcast_back(g, x, axis, keepdims) * mask / count


def minmax_grads(g, a, b, larger=True):
    """Adjoints of the builtin max/min of two operands: Python returns `a` unless
    `b` is strictly larger (smaller), so a tie goes to `a`."""
    b_wins = (b > a) if larger else (b < a)
    ga = g * np.logical_not(b_wins)
    gb = g * b_wins
    return unbroadcast(ga, a), unbroadcast(gb, b)


def builtin_extremum_grads(g, y, a, b=None, larger=True):
    """Adjoints of the builtin max/min: of two operands, or of one iterable."""
    if b is not None:
        return minmax_grads(g, a, b, larger)
    if isinstance(a, (list, tuple)):
        # Python returns the first extremal item: it gets the whole adjoint
        first = next(i for i, item in enumerate(a) if np.all(item == y))
        return [g if i == first else 0.0 for i in range(len(a))], 0.0
    return extremum_grad(g, y, a, 0, False), 0.0


def sum_grad(g, xs):
    """Adjoint of the builtin `sum(xs)`: every item gets `g`."""
    if isinstance(xs, (list, tuple)):
        return [unbroadcast(g, item) for item in xs]
    return broadcast_back(g, xs, 0, False)


def broadcast_like(t, y):
    """The tangent `t` of an elementwise result `y`, with `y`'s broadcast shape."""
    if np.shape(t) == np.shape(y):
        return t
    return np.broadcast_to(t, np.shape(y)).copy()


def checked_adjoints(adjoints, primals, backward):
    """`adjoints`, the value a custom_vjp backward named `backward` returned
    for the arguments `primals`, once checked: one adjoint per argument, each
    of its argument's shape (or None). Called by generated code."""
    from transforms.errors import ShapeMismatchError, TransformError

    function, filename, line = _where()
    if not isinstance(adjoints, tuple) or len(adjoints) != len(primals):
        raise TransformError(
            f"the backward of a custom_vjp function must return a tuple of "
            f"{len(primals)} adjoints, one per argument",
            function=function,
            filename=filename,
            lineno=line,
            construct=f"{backward} returned {type(adjoints).__name__}",
            hint="return (adjoint_of_x,) for one argument, a tuple for several",
        )
    for i, (g, a) in enumerate(zip(adjoints, primals, strict=True)):
        if g is not None and np.shape(g) != np.shape(a):
            raise ShapeMismatchError(
                f"the backward of a custom_vjp function returned an adjoint of "
                f"shape {np.shape(g)} for argument {i}, of shape {np.shape(a)}",
                function=function,
                filename=filename,
                lineno=line,
                construct=f"{backward} returned it",
                hint="each adjoint has the shape of its argument",
            )
    return adjoints
