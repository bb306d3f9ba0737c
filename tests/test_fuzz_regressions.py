"""Programs on which fuzzing found engine bugs, shrunk, kept as regression tests.

Each module in tests/fuzz_regressions/ holds the program (`f` and its helpers),
`WRT`, and `ARGS_SOURCE`, the arguments that exposed the bug.
"""

import importlib
import pathlib

import numpy as np
import pytest
from oracle import check_grads

import tangent

HERE = pathlib.Path(__file__).parent / "fuzz_regressions"
NAMES = sorted(p.stem for p in HERE.glob("seed_*.py"))


@pytest.mark.parametrize("name", NAMES)
def test_fuzz_regression(name):
    module = importlib.import_module(f"fuzz_regressions.{name}")
    args = eval(module.ARGS_SOURCE, {"array": np.array})  # numbers written by repr
    grads = tangent.grad(module.f, wrt=module.WRT)(*args)
    check_grads(module.f, args, module.WRT, grads)


def test_there_are_regressions():
    assert len(NAMES) >= 10
