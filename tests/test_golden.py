"""Golden files: the generated source of representative functions, checked in.

Any change to generated code shows up here as a diff to review. Regenerate
with `TANGENT_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`, then
read the diff. Each golden gradient is also checked against finite
differences, so a golden file never records a wrong gradient.
"""

import os
import pathlib
import zlib

import numpy as np
import pytest
from golden_functions import GOLDEN
from oracle import check_grads

import tangent

GOLDEN_DIR = pathlib.Path(__file__).parent / "golden"
UPDATE = os.environ.get("TANGENT_UPDATE_GOLDEN") == "1"

ARGS = {
    "scalar_loop": lambda r: (0.5, 0.1),
    "while_branch": lambda r: (r.normal(size=4) * 0.3, r.normal(size=4)),
    "mlp_broadcast": lambda r: (
        r.normal(size=(3, 4)),
        r.normal(size=4),
        r.normal(size=(5, 3)),
    ),
    "straight_line": lambda r: (0.3, 1.7),
    "if_else": lambda r: (0.8,),
    "for_over_rows": lambda r: (r.normal(size=(4, 3)), r.normal(size=3)),
    "enumerate_zip": lambda r: (r.normal(size=4), r.normal(size=4)),
    "break_early": lambda r: (0.7,),
    "continue_negative": lambda r: (np.array([0.5, -1.0, 2.0, 3.0]),),
    "return_in_loop": lambda r: (0.3,),
    "list_append_stack": lambda r: (r.normal(size=3),),
    "tuple_swap": lambda r: (0.4, 0.9),
    "calls_helper": lambda r: (0.3, 1.1),
    "recursive": lambda r: (0.6, 4),
    "math_module": lambda r: (0.7,),
    "index_write": lambda r: (r.normal(size=3),),
    "slicing": lambda r: (r.normal(size=5),),
    "reductions_axis": lambda r: (r.normal(size=(3, 4)),),
    "comprehension": lambda r: (r.normal(size=3),),
    "softmax_xent": lambda r: (r.normal(size=(4, 5)), np.eye(5)[[0, 2, 1, 4]]),
}


@pytest.mark.parametrize("name, func, wrt", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_golden(name, func, wrt):
    df = tangent.grad(func, wrt=wrt)
    text = tangent.source(df)
    path = GOLDEN_DIR / f"{name}.py"
    if UPDATE:
        path.write_text(text)
    assert path.exists(), f"no golden file {path}; run with TANGENT_UPDATE_GOLDEN=1"
    assert text == path.read_text(), f"generated source of {name} changed; see {path}"
    args = ARGS[name](np.random.default_rng(zlib.crc32(name.encode())))
    check_grads(func, args, wrt, df(*args))


def test_every_golden_function_has_arguments():
    assert {g[0] for g in GOLDEN} == set(ARGS)
    assert len(GOLDEN) >= 20


def annotated_scalar_loop(x: float, a: float):
    for i in range(1000):  # noqa: B007
        x = x * 0.99 + np.sin(x) * a
    return x


def test_parameters_annotated_as_numbers_give_plain_arithmetic():
    """With `x: float`, shapes are known to match: no helper in the loop."""
    text = tangent.source(tangent.grad(annotated_scalar_loop, wrt=(0, 1)))
    backward_loop = text[text.index("reversed(") :]
    assert "unbroadcast" not in backward_loop
    assert "da = da + dx * np.sin(x)" in backward_loop
    assert "dx = dx * (a * np.cos(x) + 0.99)" in backward_loop
    assert text.count("_tape.append(") == 1  # only x is saved
    df = tangent.grad(annotated_scalar_loop, wrt=(0, 1))
    check_grads(annotated_scalar_loop, (0.5, 0.1), (0, 1), df(0.5, 0.1))
