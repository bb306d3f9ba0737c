"""The ``Case`` record of the corpus and small helpers to build arguments.

A case is ``Case(name, func, make_args, wrt)``: ``make_args(rng)`` returns
the positional arguments (Python floats, NumPy scalars, float64 arrays of
small shapes, ints and other non-differentiated values), chosen away from
non-differentiable points; ``wrt`` is a tuple of positional indices or
parameter names. ``references=False`` marks a case that the re-execution
oracles (autograd, JAX) would compute differently from NumPy; such a case is
checked against finite differences only.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np


class Case(NamedTuple):
    name: str
    func: Callable
    make_args: Callable[[np.random.Generator], tuple]
    wrt: tuple = (0,)
    references: bool = True


def case(func, make_args, wrt=(0,), references=True, name=None):
    """A ``Case`` named after its function (or ``name``, to test it twice)."""
    return Case(name or func.__name__, func, make_args, tuple(wrt), references)


def uniform(rng, lo, hi, shape=None) -> Any:
    """Uniform values in [lo, hi): a Python float when ``shape`` is None."""
    if shape is None:
        return float(rng.uniform(lo, hi))
    return rng.uniform(lo, hi, size=shape)


def normal(rng, *shape) -> Any:
    """Standard normal values: a Python float when no shape is given."""
    if not shape:
        return float(rng.normal())
    return rng.normal(size=shape)


def signed(rng, lo, hi, shape=None) -> Any:
    """Random sign times a magnitude in [lo, hi): keeps clear of zero."""
    if shape is None:
        return float(rng.choice([-1.0, 1.0]) * rng.uniform(lo, hi))
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(lo, hi, size=shape)


def spread(rng, lo, hi, shape) -> np.ndarray:
    """Shuffled values near an even grid on [lo, hi]: no two are close.

    Entries are at least half a grid step apart, which keeps max, min, sort
    and comparisons between entries clear of ties.
    """
    n = int(np.prod(shape))
    step = (hi - lo) / max(n - 1, 1)
    values = np.linspace(lo, hi, n) + rng.uniform(-0.25, 0.25, size=n) * step
    return rng.permutation(values).reshape(shape)
