"""Rules for the runtime helpers that generated code calls.

A generated gradient is itself ordinary Python, so `tangent.grad` can
differentiate it again (`grad(grad(f))`) and `tangent.hvp` can run it in
forward mode (forward over reverse); these rules make the helpers it calls
differentiable. Each forward rule follows its reverse rule.

Most helpers are linear in their adjoint arguments, and treat the other
arguments (the primal values they read shapes, ties or indices from) as
constants: their derivatives there are zero almost everywhere. A helper
linear in two adjoints jointly (`add_grad`, `add_at`, `push_grad`) gets a
template that starts from the zero `0.0` and adds each nonzero tangent in
turn with the helper itself, so that adjoints of lists add entry by entry
instead of concatenating; the optimizer folds the zero away.
"""

# ruff: noqa: F811  (rule templates are registered, not called by name)

import numpy as np

from tangent import runtime
from tangent.rules.registry import adjoint, d, forward_rule, linear, nondifferentiable
from tangent.runtime import (
    add_at,
    add_grad,
    broadcast_back,
    grad_at,
    grad_item,
    push_grad,
    unbroadcast,
    zero_at,
)

nondifferentiable(runtime.zeros_like)
nondifferentiable(runtime.shared_update_error)  # builds an error to raise


def _is_zero(g):
    return type(g) is float and g == 0.0


# ----- Adjoints of the helpers with respect to their adjoint arguments -----


def reduce_back(c, g, x, axis=None, keepdims=False):
    """Adjoint of `broadcast_back(g, x, axis, keepdims)` with respect to `g`.

    `broadcast_back` inserts the reduced axes into `g` and broadcasts it to
    the shape of `x`; its adjoint sums `c` back over what was broadcast.
    """
    if _is_zero(c):
        return 0.0
    shape = np.shape(g)
    if axis is not None and not keepdims:
        axes = axis if isinstance(axis, tuple) else (axis,)
        ndim = np.ndim(x)
        expanded = list(shape)
        for a in sorted(a % ndim for a in axes):
            expanded.insert(a, 1)
        shape_kept = tuple(expanded)
    else:
        shape_kept = shape
    summed = unbroadcast(c, np.broadcast_to(0.0, shape_kept))
    return np.reshape(summed, shape)


def sum_grad_adjoint(c, g, xs):
    """Adjoint of `sum_grad(g, xs)` with respect to `g`: the items' adjoints summed."""
    if _is_zero(c):
        return 0.0
    if isinstance(xs, (list, tuple)):
        total = 0.0
        for ci in c:
            if not _is_zero(ci):
                total = total + ci
        return total if _is_zero(total) else np.broadcast_to(total, np.shape(g))
    return reduce_back(c, g, xs, 0, False)


def extremum_grad_adjoint(c, g, y, x, axis=None, keepdims=False):
    """Adjoint of `extremum_grad(g, y, x, ...)` with respect to `g`."""
    if _is_zero(c):
        return 0.0
    mask = np.asarray(x) == broadcast_back(y, x, axis, keepdims)
    share = mask / np.sum(mask, axis=axis, keepdims=True)
    return reduce_back(c * share, g, x, axis, keepdims)


def _extremum_shares(a, b, larger):
    """The shares of `g` that `minmax_grads` gives to `a` and to `b`."""
    b_wins = (b > a) if larger else (b < a)
    return np.logical_not(b_wins) * 1.0, b_wins * 1.0


def minmax_grads_adjoint(c, g, a, b, larger=True):
    """Adjoint of `minmax_grads(g, a, b, larger)` with respect to `g`."""
    if _is_zero(c):
        return 0.0
    share_a, share_b = _extremum_shares(a, b, larger)
    out = grad_item(c, 0) * share_a + grad_item(c, 1) * share_b
    return unbroadcast(out, g)


def builtin_extremum_grads_adjoint(c, g, y, a, b=None, larger=True):
    """Adjoint of `builtin_extremum_grads(g, y, a, b, larger)` with respect to `g`."""
    if _is_zero(c):
        return 0.0
    if b is not None:
        return minmax_grads_adjoint(c, g, a, b, larger)
    ca = grad_item(c, 0)
    if _is_zero(ca):
        return 0.0
    if isinstance(a, (list, tuple)):
        first = next(i for i, item in enumerate(a) if np.all(item == y))
        return 0.0 if _is_zero(ca[first]) else ca[first]
    return extremum_grad_adjoint(ca, g, y, a, 0, False)


def grad_item_adjoint(c, dt, i):
    """Adjoint of `grad_item(dt, i)` with respect to `dt` (a zero `dt` gets none)."""
    if _is_zero(dt):
        return 0.0
    return add_at(0.0, dt, i, c)


def head_grad_adjoint(c, g, x):
    """Adjoint of `head_grad(g, x)` with respect to `g`."""
    if _is_zero(c) or _is_zero(g):
        return 0.0
    if isinstance(x, (list, tuple)):
        return [*c, *([0.0] * (len(g) - len(x)))]
    return np.broadcast_to(c, np.shape(g))


def tail_grad_adjoint(c, g, y):
    """Adjoint of `tail_grad(g, y)` with respect to `g`."""
    if _is_zero(c) or _is_zero(g):
        return 0.0
    if isinstance(y, (list, tuple)):
        return [*([0.0] * (len(g) - len(y))), *c]
    return np.broadcast_to(c, np.shape(g))


def pop_grad_adjoint(c, dlist):
    """Adjoint of `(rest, last) = pop_grad(dlist)` with respect to `dlist`."""
    if _is_zero(c) or _is_zero(dlist):
        return 0.0
    rest = grad_item(c, 0)
    return push_grad(rest, dlist[:-1], grad_item(c, 1))


def push_grad_adjoints(c, dlist, items):
    """Adjoints of `push_grad(dlist, items, g)` with respect to `dlist` and `g`."""
    if _is_zero(c):
        return 0.0, 0.0
    rest = 0.0 if _is_zero(dlist) else list(c[:-1])
    return rest, c[-1]


# ----- Seeds and reductions of broadcast adjoints -----


@adjoint(runtime.scalar_seed)
def scalar_seed(y, value, seed):
    d[seed] = unbroadcast(d[y], seed)


linear(runtime.scalar_seed, args=("seed",))


@adjoint(runtime.unbroadcast)
def unbroadcast_(y, g, x):
    d[g] = np.broadcast_to(d[y], np.shape(g))


linear(runtime.unbroadcast, args=("g",))


@adjoint(runtime.broadcast_back)
def broadcast_back_(y, g, x, axis=None, keepdims=False):
    d[g] = reduce_back(d[y], g, x, axis, keepdims)


linear(runtime.broadcast_back, args=("g",))


@adjoint(runtime.broadcast_like)
def broadcast_like(y, t, like):
    d[t] = unbroadcast(d[y], t)


linear(runtime.broadcast_like, args=("t",))


@adjoint(runtime.shaped)
def shaped(y, g, like):
    d[g] = unbroadcast(d[y], g)


linear(runtime.shaped, args=("g",))


@adjoint(runtime.add_grad)
def add_grad_(y, a, b):
    d[a] = unbroadcast(d[y], a)
    d[b] = unbroadcast(d[y], b)


@forward_rule(runtime.add_grad)
def add_grad_(y, a, b):
    d[y] = 0.0
    d[y] = add_grad(d[y], d[a])
    d[y] = add_grad(d[y], d[b])


@adjoint(runtime.copy_value)
def copy_value(y, v):
    d[v] = d[y]


linear(runtime.copy_value, args=("v",))


@adjoint(runtime.sum_grad)
def sum_grad(y, g, xs):
    d[g] = sum_grad_adjoint(d[y], g, xs)


linear(runtime.sum_grad, args=("g",))


@adjoint(runtime.extremum_grad)
def extremum_grad(y, g, y_, x, axis=None, keepdims=False):
    d[g] = extremum_grad_adjoint(d[y], g, y_, x, axis, keepdims)


linear(runtime.extremum_grad, args=("g",))


@adjoint(runtime.minmax_grads)
def minmax_grads(y, g, a, b, larger=True):
    d[g] = minmax_grads_adjoint(d[y], g, a, b, larger)


linear(runtime.minmax_grads, args=("g",))


@adjoint(runtime.builtin_extremum_grads)
def builtin_extremum_grads(y, g, y_, a, b=None, larger=True):
    d[g] = builtin_extremum_grads_adjoint(d[y], g, y_, a, b, larger)


linear(runtime.builtin_extremum_grads, args=("g",))


# ----- Indexing of adjoints -----


# add_into is add_at done in place (code being differentiated calls add_at
# instead; these rules are for a caller who calls it by hand)
@adjoint(runtime.add_at, runtime.add_into)
def add_at_(y, dx, x, index, g):
    d[dx] = d[y]
    d[g] = unbroadcast(grad_at(d[y], index), g)


@forward_rule(runtime.add_at, runtime.add_into)
def add_at_(y, dx, x, index, g):
    d[y] = 0.0
    d[y] = add_grad(d[y], d[dx])
    d[y] = add_at(d[y], x, index, d[g])


@adjoint(runtime.grad_at)
def grad_at_(y, dx, index):
    d[dx] = add_at(d[dx], dx, index, d[y])


linear(runtime.grad_at, args=("dx",))


@adjoint(runtime.zero_at)
def zero_at_(y, dx, index):
    d[dx] = zero_at(d[y], index)


linear(runtime.zero_at, args=("dx",))


@adjoint(runtime.grad_item)
def grad_item_(y, dt, i):
    d[dt] = add_grad(d[dt], grad_item_adjoint(d[y], dt, i))


linear(runtime.grad_item, args=("dt",))


# ----- Adjoints of lists -----


@adjoint(runtime.head_grad)
def head_grad(y, g, x):
    d[g] = add_grad(d[g], head_grad_adjoint(d[y], g, x))


linear(runtime.head_grad, args=("g",))


@adjoint(runtime.tail_grad)
def tail_grad(y, g, y_):
    d[g] = add_grad(d[g], tail_grad_adjoint(d[y], g, y_))


linear(runtime.tail_grad, args=("g",))


@adjoint(runtime.push_grad)
def push_grad_(y, dlist, items, g):
    c_rest, c_last = push_grad_adjoints(d[y], dlist, items)
    d[dlist] = add_grad(d[dlist], c_rest)
    d[g] = c_last


@forward_rule(runtime.push_grad)
def push_grad_(y, dlist, items, g):
    d[y] = 0.0
    d[y] = add_grad(d[y], push_grad(d[dlist], items, 0.0))
    d[y] = add_grad(d[y], push_grad(0.0, items, d[g]))


@adjoint(runtime.pop_grad)
def pop_grad(y, dlist):
    d[dlist] = add_grad(d[dlist], pop_grad_adjoint(d[y], dlist))


linear(runtime.pop_grad, args=("dlist",))


@adjoint(runtime.checked_adjoints)
def checked_adjoints(y, adjoints, primals, backward):
    d[adjoints] = d[y]


linear(runtime.checked_adjoints, args=("adjoints",))
