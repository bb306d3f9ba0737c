"""The engine against the shared corpus.

For every case: ``tangent.grad(func, wrt=wrt)(*args)`` must match central
finite differences (values, types and shapes), must match autograd or JAX
wherever they can re-execute the function, and must leave the caller's
arguments untouched. A sample of cases also goes through
``tangent.value_and_grad``.
"""

import numpy as np
import pytest
from corpus import ALL_CASES, case_args
from oracle import (
    assert_args_unchanged,
    check_close,
    check_grads,
    copy_args,
    reference_grad,
    resolve_wrt,
    scalar_output,
)

CASE_IDS = [c.name for c in ALL_CASES]

# Exact methods should agree to rounding error; loops of 1000 steps and
# products of many terms accumulate a little of it.
REFERENCE_RTOL = 1e-6
REFERENCE_ATOL = 1e-9

VALUE_AND_GRAD_CASES = ALL_CASES[::4]


@pytest.fixture(scope="module")
def tangent():
    # Imported here so that a missing or broken engine fails each test
    # instead of aborting collection of the whole test suite.
    import tangent

    return tangent


def _as_tuple(grads, n):
    return grads if n > 1 else (grads,)


def _check_against_reference(case, args, grads):
    if not case.references:
        return
    label, ref = reference_grad(case.func, args, case.wrt)
    if ref is None:
        return
    indices = resolve_wrt(case.func, case.wrt)
    for i, g, r in zip(
        indices,
        _as_tuple(grads, len(indices)),
        _as_tuple(ref, len(indices)),
        strict=True,
    ):
        check_close(case.func, i, g, r, REFERENCE_RTOL, REFERENCE_ATOL, label=label)


@pytest.mark.parametrize("case", ALL_CASES, ids=CASE_IDS)
def test_grad(tangent, case):
    args = case_args(case)
    before = copy_args(args)

    df = tangent.grad(case.func, wrt=case.wrt)
    grads = df(*args)

    assert_args_unchanged(before, args, f"the gradient of {case.name}")
    check_grads(case.func, args, case.wrt, grads)
    _check_against_reference(case, args, grads)


@pytest.mark.parametrize(
    "case", VALUE_AND_GRAD_CASES, ids=[c.name for c in VALUE_AND_GRAD_CASES]
)
def test_value_and_grad(tangent, case):
    args = case_args(case)
    before = copy_args(args)

    value, grads = tangent.value_and_grad(case.func, wrt=case.wrt)(*args)

    assert_args_unchanged(before, args, f"value_and_grad of {case.name}")
    expected = case.func(*copy_args(args))
    assert np.shape(value) == np.shape(expected), (
        f"{case.name}: value has shape {np.shape(value)}, the function returns "
        f"shape {np.shape(expected)}"
    )
    assert scalar_output(value) == pytest.approx(
        scalar_output(expected), rel=1e-12, abs=1e-12
    ), f"{case.name}: value {value!r} differs from the function's {expected!r}"
    check_grads(case.func, args, case.wrt, grads)
