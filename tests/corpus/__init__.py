"""The shared corpus: small numerical functions checked against oracles.

Each theme module defines plain functions, written as a user would, and a
``CASES`` list of ``Case(name, func, make_args, wrt)``. ``ALL_CASES``
collects them; ``case_args`` builds a case's arguments from a seed derived
from its name, so every test sees the same point.
"""

import zlib

import numpy as np

from . import (
    arrays,
    calls,
    containers,
    control_flow,
    loops,
    methods,
    misc,
    ml,
    scalars,
)
from .case import Case

__all__ = ["ALL_CASES", "CASES_BY_MODULE", "Case", "case_args", "case_seed"]

MODULES = (scalars, arrays, control_flow, loops, calls, containers, methods, misc, ml)

CASES_BY_MODULE = {m.__name__.rsplit(".", 1)[-1]: list(m.CASES) for m in MODULES}

ALL_CASES = [c for cases in CASES_BY_MODULE.values() for c in cases]


def case_seed(case):
    """A stable seed for a case, derived from its name."""
    return zlib.crc32(case.name.encode("utf-8"))


def case_args(case):
    """The arguments of ``case`` at its fixed sample point."""
    return tuple(case.make_args(np.random.default_rng(case_seed(case))))


def _check_unique_names():
    seen = set()
    for c in ALL_CASES:
        if c.name in seen:
            raise ValueError(f"duplicate corpus case name {c.name!r}")
        seen.add(c.name)


_check_unique_names()
