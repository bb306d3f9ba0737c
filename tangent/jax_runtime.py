"""The runtime helpers of `tangent.runtime`, for generated code that runs on JAX.

A gradient generated with `backend="jax"` calls these instead of the NumPy
helpers, under the same names (`unbroadcast`, `zeros_like`, `add_at`, ...).
They never write into an array: an index write is a functional update
(`x.at[i].add(g)`), a saved value needs no copy (JAX arrays are immutable),
and every decision they make reads shapes, never values, so the generated
gradient runs eagerly, under `jax.jit` and under `jax.vmap` alike.

As in `tangent.runtime`, a zero adjoint may be the Python float `0.0`
whatever the shape of its value; every helper accepts it.

The last section holds the helpers that `loops="scan"` code calls: a
counted loop run by `jax.lax.scan` (`forward_loop`, `backward_loop`) and a
branch run by `jax.lax.cond` (`branch`).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from tangent import runtime as _numpy_runtime

__all__ = [
    "unbroadcast",
    "broadcast_back",
    "zeros_like",
    "add_grad",
    "shaped",
    "add_at",
    "pop_grad",
    "grad_item",
    "extremum_grad",
    "sum_grad",
    "minmax_grads",
    "scalar_seed",
    "builtin_extremum_grads",
    "copy_value",
    "grad_at",
    "zero_at",
    "head_grad",
    "push_grad",
    "tail_grad",
    "logical_not",
    "logical_and",
    "logical_or",
    "forward_loop",
    "backward_loop",
    "last_index",
    "branch",
]

ARRAY_TYPES = (jax.Array, np.ndarray, np.generic)


def _is_zero(g) -> bool:
    return isinstance(g, float) and g == 0.0 and not isinstance(g, np.floating)


def _is_array(x) -> bool:
    return isinstance(x, ARRAY_TYPES)


def _float_dtype(*values):
    """The floating dtype of a gradient of `values` (integers give the default float)."""
    dtype = jnp.result_type(*values)
    if not jnp.issubdtype(dtype, jnp.inexact):
        dtype = jnp.result_type(float)
    return dtype


def _is_number(v) -> bool:
    """One number: a Python or NumPy number, or a numeric array of size 1 (traced too)."""
    if v is None or isinstance(v, (str, bytes, list, tuple, dict)):
        return False
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        size, dtype = int(np.prod(v.shape)), np.dtype(v.dtype)
    else:
        a = np.asarray(v)
        size, dtype = a.size, a.dtype
    return size == 1 and (np.issubdtype(dtype, np.number) or dtype == np.bool_)


def scalar_seed(value, seed):
    """The seed for a scalar output; refuses a non-scalar one (`grad` needs a scalar)
    and a seed that is not one number (as `tangent.runtime.scalar_seed`)."""
    if not _is_number(seed):
        from transforms.errors import ShapeMismatchError

        function, filename, line = _numpy_runtime._where()
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

        function, filename, line = _numpy_runtime._where()
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
            hint="use tangent.vjp for non-scalar outputs, or reduce with jnp.sum",
        )
    if _is_array(value) and np.ndim(value) > 0:
        return jnp.full(np.shape(value), seed, dtype=_float_dtype(value))
    return seed


def unbroadcast(g, x):
    """Sum `g` over the axes along which `x` was broadcast, giving `x`'s shape."""
    if isinstance(x, (list, tuple)):
        x = jnp.asarray(x)
    shape = np.shape(x)
    if _is_zero(g) or np.shape(g) == shape:
        return g
    gshape = np.shape(g)
    extra = len(gshape) - len(shape)
    if extra > 0:
        g = jnp.sum(g, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(g)[i] != 1)
    if axes:
        g = jnp.sum(g, axis=axes, keepdims=True)
    if np.shape(g) != shape:
        g = jnp.broadcast_to(g, shape)
    return g


def broadcast_back(g, x, axis=None, keepdims=False):
    """Undo a reduction over `axis`: broadcast `g` back to the shape of `x`."""
    shape = np.shape(x)
    g = jnp.asarray(g)
    if axis is not None and not keepdims:
        axes = axis if isinstance(axis, tuple) else (axis,)
        axes = tuple(sorted(a % len(shape) for a in axes))
        for a in axes:
            g = jnp.expand_dims(g, a)
    return jnp.broadcast_to(g, shape)


def zeros_like(x):
    """A zero adjoint for `x`: `0.0` for Python numbers, zeros of `x`'s structure."""
    if isinstance(x, (bool, int, float)):
        return 0.0
    if isinstance(x, (list, tuple)):
        return [zeros_like(e) for e in x]
    if isinstance(x, dict):
        return {k: zeros_like(v) for k, v in x.items()}
    if _is_array(x):
        return jnp.zeros(np.shape(x), dtype=_float_dtype(x))
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


def jax_index(index):
    """An index as JAX takes it: NumPy's list indices become integer arrays."""
    if isinstance(index, list):
        return jnp.asarray(index)
    if isinstance(index, tuple):
        return tuple(jax_index(i) for i in index)
    return index


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
    if _is_zero(g):
        return dx
    if _is_zero(dx):
        dx = jnp.zeros(np.shape(x), dtype=_float_dtype(x, g))
    return jnp.asarray(dx).at[jax_index(index)].add(g)


def copy_value(v):
    """A snapshot of `v` for the tape: JAX arrays are immutable, containers are copied."""
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
    if isinstance(dx, (list, tuple, dict)):
        return dx[index]
    return dx[jax_index(index)]


def zero_at(dx, index):
    """`dx` with the entries at `index` set to zero (they were overwritten)."""
    if _is_zero(dx):
        return dx
    if isinstance(dx, (list, dict)):
        new = dict(dx) if isinstance(dx, dict) else list(dx)
        new[index] = 0.0
        return new
    return jnp.asarray(dx).at[jax_index(index)].set(0)


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
    mask = jnp.asarray(x) == y_full
    count = jnp.sum(mask, axis=axis, keepdims=True)
    return broadcast_back(g, x, axis, keepdims) * mask / count


def minmax_grads(g, a, b, larger=True):
    """Adjoints of the builtin max/min of two operands: Python returns `a` unless
    `b` is strictly larger (smaller), so a tie goes to `a`."""
    b_wins = (b > a) if larger else (b < a)
    ga = g * jnp.where(b_wins, 0.0, 1.0)
    gb = g * jnp.where(b_wins, 1.0, 0.0)
    return unbroadcast(ga, a), unbroadcast(gb, b)


def builtin_extremum_grads(g, y, a, b=None, larger=True):
    """Adjoints of the builtin max/min: of two operands, or of one iterable."""
    if b is not None:
        return minmax_grads(g, a, b, larger)
    if isinstance(a, (list, tuple)):
        # Python returns the first extremal item: it gets the whole adjoint
        grads, taken = [], False
        for item in a:
            tied = jnp.all(item == y)
            grads.append(jnp.where(tied & ~jnp.asarray(taken), g, 0.0))
            taken = jnp.asarray(taken) | tied
        return grads, 0.0
    return extremum_grad(g, y, a, 0, False), 0.0


def sum_grad(g, xs):
    """Adjoint of the builtin `sum(xs)`: every item gets `g`."""
    if isinstance(xs, (list, tuple)):
        return [unbroadcast(g, item) for item in xs]
    return broadcast_back(g, xs, 0, False)


def logical_not(a):
    """`not a`, also for a traced boolean (under jit)."""
    if isinstance(a, jax.Array):
        return jnp.logical_not(a)
    return not a


def logical_and(*values):
    """`a and b and ...` of evaluated operands, also for traced booleans."""
    return _fold(values, jnp.logical_and, lambda a, b: a and b)


def logical_or(*values):
    """`a or b or ...` of evaluated operands, also for traced booleans."""
    return _fold(values, jnp.logical_or, lambda a, b: a or b)


def _fold(values, traced, plain):
    """`values` combined left to right: with `traced` where one is a JAX array,
    else with `plain` (Python's `and`/`or` on values already evaluated)."""
    combine = traced if any(isinstance(v, jax.Array) for v in values) else plain
    return functools.reduce(combine, values)


_builtin_max, _builtin_min = max, min


def _extremum(builtin, pairwise, reduce, args, kwargs):
    values = args[0] if len(args) == 1 else args
    traced = any(
        isinstance(v, jax.Array)
        for v in (values if isinstance(values, (list, tuple)) else [values])
    )
    if kwargs or not traced:
        return builtin(*args, **kwargs)
    if len(args) == 1:  # of an iterable: a list of numbers or an array
        return reduce(jnp.asarray(values))
    out = args[0]
    for v in args[1:]:
        out = pairwise(out, v)
    return out


def max(*args, **kwargs):  # noqa: A001  (stands for the builtin in generated code)
    """The builtin `max`, by jax.numpy's comparisons for traced values."""
    return _extremum(_builtin_max, jnp.maximum, jnp.max, args, kwargs)


def min(*args, **kwargs):  # noqa: A001
    """The builtin `min`, by jax.numpy's comparisons for traced values."""
    return _extremum(_builtin_min, jnp.minimum, jnp.min, args, kwargs)


# ----- Loops and branches run by jax.lax (loops="scan") -----
#
# The generated code keeps every statement of a loop body in a nested
# function and hands it to these helpers:
#
#     def loop_body(i, x):                    # the body, with the values it
#         x_saved = x                         # carries as parameters; what the
#         x = x * 0.99 + jnp.sin(x) * a       # tape saved is returned
#         return (x,), (x_saved,)
#
#     (x,), saved = forward_loop(loop_body, (x,), range(1000))
#
# `forward_loop` runs it with `jax.lax.scan`, which stacks the saved values
# into one array per value (the tape holds the stack as one entry); the
# backward sweep's `backward_loop` scans the same range in reverse, feeding
# the body the saved values of each iteration. Compile time no longer grows
# with the number of steps. When a body cannot be traced with an abstract
# loop index (it indexes a Python list with it, or uses it as a loop bound),
# the helpers run the loop in Python instead, with the same results.


class _Unrolled:
    """What a loop run in Python saved: one tuple of values per iteration."""

    def __init__(self, items):
        self.items = items


_TRACING_ERRORS = (
    jax.errors.ConcretizationTypeError,
    jax.errors.TracerIntegerConversionError,
    jax.errors.TracerBoolConversionError,
    jax.errors.TracerArrayConversionError,
    IndexError,
    TypeError,
)


class _Unfit(TypeError):
    """A carry whose structure changes from one step to the next (a list that
    grows): the loop runs in Python."""


def _fit(v, t):
    """The carried value `v` as a value of type `t` (what the body returns for
    it: a pytree of shapes and dtypes, or arrays): arrays broadcast and cast,
    a zero adjoint (`0.0`) or an unassigned value (`None`) as zeros of `t`'s
    structure, a list, tuple or dict item by item into `t`'s container type
    (`lax.scan` needs the carry to keep one structure)."""
    if t is None:
        if v is None or _is_zero(v):
            return None
        raise _Unfit("a carried value the body leaves unassigned")
    if isinstance(t, (list, tuple, dict)):
        if v is None or _is_zero(v):
            return jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), t)
        if isinstance(t, dict):
            if not isinstance(v, dict) or set(v) != set(t):
                raise _Unfit("a carried dict whose keys change")
            return {k: _fit(v[k], t[k]) for k in t}
        if not isinstance(v, (list, tuple)) or len(v) != len(t):
            raise _Unfit("a carried list whose length changes")
        items = [_fit(a, b) for a, b in zip(v, t)]
        return type(t)(*items) if hasattr(t, "_fields") else type(t)(items)
    if isinstance(v, (list, tuple, dict)):
        raise _Unfit("a carried value that stops being a container")
    v = jnp.asarray(0.0 if v is None else v)
    if v.shape != t.shape:
        v = jnp.broadcast_to(v, t.shape)
    return v.astype(t.dtype)


def _leaves(v):
    """A value the body returns, as arrays (None stays None)."""
    return jax.tree_util.tree_map(jnp.asarray, v)


def _same_type(a, b) -> bool:
    if jax.tree_util.tree_structure(a) != jax.tree_util.tree_structure(b):
        return False
    return all(
        x.shape == y.shape and x.dtype == y.dtype
        for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b))
    )


class _Carry:
    """How a loop's values are carried by `lax.scan`.

    `static`: the positions of values that are the zero adjoint `0.0` when
    the loop starts and that the body leaves as `0.0` (an adjoint reset at
    the end of each step): they stay the Python `0.0` the helpers recognize,
    outside the scan. The others start as `init`, fitted to the type the body
    returns (a `0.0` that becomes an array or a list of arrays starts as
    zeros of that type), found by running the body abstractly.
    """

    def __init__(self, call, carry):
        self.call = call  # carry -> new carry (the body at one step)
        self.size = len(carry)
        self.static = {k for k, v in enumerate(carry) if _is_zero(v)}
        values = list(carry)
        for _ in range(6):
            out, grew = self._out_types(values)
            # a static value the body makes nonzero is carried from now on,
            # starting as zeros of what the body made of it
            self.static -= grew
            fitted = [
                0.0 if k in self.static else _fit(values[k], out[k])
                for k in range(self.size)
            ]
            stable = not grew and all(
                k in self.static or _same_type(fitted[k], out[k])
                for k in range(self.size)
            )
            values = fitted
            if stable:
                self.init = self.dynamic(values)
                return
        raise _Unfit("the carried values do not settle on one type")

    def _out_types(self, values):
        """The type of each value the body returns, and the static positions
        whose value the body makes nonzero."""
        zero = {}

        def run(dynamic):
            new = list(self.call(self.merge(dynamic)))
            for k in self.static:
                zero[k] = _is_zero(new[k])
            return tuple(_leaves(v) for v in new)

        out = jax.eval_shape(run, self.dynamic(values))
        return out, {k for k in self.static if not zero[k]}

    def dynamic(self, values):
        return tuple(v for k, v in enumerate(values) if k not in self.static)

    def merge(self, dynamic):
        it = iter(dynamic)
        return tuple(0.0 if k in self.static else next(it) for k in range(self.size))

    def fit_new(self, new, current):
        """The body's new values (all of them) as the next dynamic carry."""
        new = self.dynamic(list(new))
        return tuple(_fit(_leaves(v), c) for v, c in zip(new, current))


def _static_range(steps):
    if not isinstance(steps, range):
        raise TypeError(f"a loop over {type(steps).__name__}, not a range")
    return steps


def forward_loop(body, carry, steps):
    """Run `body(i, *carry) -> (carry, saved)` for `i` in `steps` (a range) by
    `jax.lax.scan`. Returns the final carry and the saved values, stacked.

    The carried values may be arrays, numbers, the zero adjoint `0.0`, or
    lists, tuples and dicts of those that keep their length; a loop whose
    body cannot be traced with an abstract index runs in Python."""
    steps = _static_range(steps)
    carry = tuple(carry)
    if len(steps) == 0:
        return carry, _Unrolled([])
    try:
        first = jnp.asarray(steps[0])
        plan = _Carry(lambda c: body(first, *c)[0], carry)

        def scan_step(c, i):
            new, saved = body(i, *plan.merge(c))
            return plan.fit_new(new, c), saved

        indices = jnp.arange(steps.start, steps.stop, steps.step)
        final, stacked = lax.scan(scan_step, plan.init, indices)
        return plan.merge(final), stacked
    except _TRACING_ERRORS:
        return _forward_python(body, carry, steps)


def _forward_python(body, carry, steps):
    items = []
    for i in steps:
        carry, saved = body(i, *carry)
        items.append(saved)
    return tuple(carry), _Unrolled(items)


def backward_loop(body, carry, steps, saved=None):
    """Run `body(i, *carry, *saved_i) -> carry` for `i` in `reversed(steps)`,
    where `saved_i` are the values `forward_loop` saved at step `i`."""
    steps = _static_range(steps)
    carry = tuple(carry)
    if len(steps) == 0:
        return carry
    if isinstance(saved, _Unrolled):
        return _backward_python(body, carry, steps, saved)
    stacked = () if saved is None else saved
    try:
        last = jnp.asarray(steps[-1])
        last_saved = jax.tree_util.tree_map(lambda a: a[-1], stacked)
        plan = _Carry(lambda c: body(last, *c, *last_saved), carry)

        def scan_step(c, xs):
            i, s = xs
            return plan.fit_new(body(i, *plan.merge(c), *s), c), None

        indices = jnp.arange(steps.start, steps.stop, steps.step)
        final, _ = lax.scan(scan_step, plan.init, (indices, stacked), reverse=True)
        return plan.merge(final)
    except _TRACING_ERRORS:
        return _backward_python(body, carry, steps, saved)


def _backward_python(body, carry, steps, saved):
    n = len(steps)
    for k in reversed(range(n)):
        if saved is None:
            s = ()
        elif isinstance(saved, _Unrolled):
            s = saved.items[k]
        else:
            s = jax.tree_util.tree_map(lambda a, k=k: a[k], saved)
        carry = body(steps[k], *carry, *s)
    return tuple(carry)


def last_index(steps, *before):
    """The loop index after `for i in steps:` as Python leaves it: the last
    item (a Python integer), or `before[0]` (the value before the loop) when
    `steps` is empty. A loop run by `forward_loop` or `backward_loop` reads
    its index inside the scan only; the code after it reads this one."""
    if isinstance(steps, range):
        if len(steps):
            return steps[-1]
    else:
        missing = object()
        last = missing
        for last in steps:  # noqa: B007
            pass
        if last is not missing:
            return last
    if before:
        return before[0]
    raise UnboundLocalError("the loop index: the loop ran no iteration")


def _is_traced(value) -> bool:
    return isinstance(value, jax.core.Tracer)


def branch(test, if_true, if_false, values):
    """`if test:` run by `jax.lax.cond` when `test` is traced (under `jit` or
    `vmap`), by Python otherwise. Each branch takes `values` (the variables
    it may leave unchanged) and returns them first, changed or not, then the
    other values it assigns, then those it saved for the backward sweep
    (None for those the other branch saves: zeros of their shape stand in)."""
    values = tuple(values)
    if not _is_traced(test):
        return tuple(if_true(*values) if bool(test) else if_false(*values))
    values = tuple(0.0 if v is None else v for v in values)
    true_type = jax.eval_shape(lambda v: tuple(if_true(*v)), values)
    false_type = jax.eval_shape(lambda v: tuple(if_false(*v)), values)
    # a value that is the zero adjoint `0.0` and that one branch leaves as it
    # is while the other makes it an array: zeros of that array's shape
    upgraded = list(values)
    for k, v in enumerate(values):
        a, b = true_type[k], false_type[k]
        if _is_zero(v) and a is not None and b is not None and a.shape != b.shape:
            if a.shape == ():
                upgraded[k] = jnp.zeros(b.shape, b.dtype)
            elif b.shape == ():
                upgraded[k] = jnp.zeros(a.shape, a.dtype)
    if any(u is not v for u, v in zip(upgraded, values)):
        values = tuple(upgraded)
        true_type = jax.eval_shape(lambda v: tuple(if_true(*v)), values)
        false_type = jax.eval_shape(lambda v: tuple(if_false(*v)), values)
    fill = []
    mismatched = []
    for k, (a, b) in enumerate(zip(true_type, false_type)):
        if a is None or b is None:
            fill.append(b if a is None else a)
            continue
        fill.append(None)
        if jax.tree_util.tree_structure(a) != jax.tree_util.tree_structure(b) or any(
            x.shape != y.shape
            for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b))
        ):
            mismatched.append(k)
    if mismatched:
        raise BranchShapeError(
            mismatched, true_type, false_type, _output_names(if_true)
        )

    def run(fn, other_type):
        def go(v):
            out = list(fn(*v))
            for k, f in enumerate(fill):
                if out[k] is None and f is not None:
                    out[k] = jax.tree_util.tree_map(
                        lambda s: jnp.zeros(s.shape, s.dtype), f
                    )
            return jax.tree_util.tree_map(
                lambda a, s: jnp.asarray(a, dtype=jnp.result_type(a, s.dtype)),
                tuple(out),
                tuple(
                    f if o is None else o for o, f in zip(other_type, fill, strict=True)
                ),
            )

        return go

    return lax.cond(
        jnp.asarray(test).reshape(()),
        run(if_true, false_type),
        run(if_false, true_type),
        values,
    )


def _output_names(branch_function):
    """The names a generated branch function returns (read from its source)."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(branch_function)))
        value = tree.body[0].body[-1].value
        elts = value.elts if isinstance(value, ast.Tuple) else [value]
        return [e.id if isinstance(e, ast.Name) else None for e in elts]
    except Exception:
        return []


class BranchShapeError(ValueError):
    """A data-dependent `if` whose branches give values of different shapes."""

    def __init__(self, positions, true_type, false_type, names=()):
        self.positions = positions
        names = list(names)

        def label(k):
            if k < len(names) and names[k]:
                return f"'{names[k]}'"
            return f"value #{k}"

        lines = [
            f"{label(k)} has shape {getattr(true_type[k], 'shape', true_type[k])} "
            f"if true, {getattr(false_type[k], 'shape', false_type[k])} if false"
            for k in positions
        ]
        super().__init__(
            "a data-dependent if under jax.jit needs both branches to give values "
            "of the same shapes (jax.lax.cond): " + "; ".join(lines)
        )
