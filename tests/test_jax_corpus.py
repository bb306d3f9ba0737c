"""The JAX backend against the shared corpus (tests/corpus).

Each corpus function is written once, with NumPy. It runs on JAX from the
same definition: `oracle.patched(func, jax.numpy)` is a copy of it whose
globals bind `np` to `jax.numpy` (and `math` to a shim over it), exactly as
the JAX reference oracle re-executes it. Its gradient by
`tangent.grad(..., backend="jax")` must equal `jax.grad` of that copy in
float64 (relative 1e-6, as the NumPy corpus test asks of its references);
where `jax.grad` cannot run the function, central finite differences on
the NumPy function are the reference.

- eagerly, with Python loops;
- under `jax.jit` with `loops="scan"` (counted loops as `lax.scan`,
  data-dependent branches as `lax.cond`), the arguments that are Python
  integers or hold no floats static;
- the NumPy function itself, through `backend="jax"` (its `np.*` calls
  rewritten to `jnp.*` in the generated code), eagerly.

Cases that cannot work on JAX are listed below with the reason, and the
test checks that they fail the way the reason says.

CI runs a sample (eagerly every 3rd case, under jit every 5th and the
unsupported ones, the NumPy functions every 16th); `TANGENT_JAX_CORPUS=full`
runs every case in every mode.
"""

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from corpus import ALL_CASES, case_args
from oracle import copy_args, jax_grad, numerical_grad, patched, resolve_wrt

import tangent

FULL = os.environ.get("TANGENT_JAX_CORPUS", "") == "full"

EAGER_CASES = ALL_CASES if FULL else ALL_CASES[::3]
JIT_CASES = ALL_CASES if FULL else ALL_CASES[1::5]
NUMPY_CASES = ALL_CASES if FULL else ALL_CASES[2::16]

REFERENCE_RTOL = 1e-6
REFERENCE_ATOL = 1e-9
FD_RTOL = 1e-5
FD_ATOL = 1e-6

# Cases that cannot run under jax.jit, and why (checked: they raise JAX's
# ConcretizationTypeError). Their number of iterations depends on the values:
# neither jax.jit nor a tape of fixed length can follow that.
_TRIP_COUNT = "a loop whose number of iterations depends on traced values"
JIT_UNSUPPORTED: dict[str, str] = {
    "while_data_dependent_scalar": f"{_TRIP_COUNT} (while on a traced test)",
    "while_data_dependent_norm": f"{_TRIP_COUNT} (while on a traced test)",
    "while_halving": f"{_TRIP_COUNT} (while on a traced test)",
    "for_with_data_dependent_break": f"{_TRIP_COUNT} (break on a traced test)",
    "return_inside_for": f"{_TRIP_COUNT} (return on a traced test)",
    "return_inside_while": f"{_TRIP_COUNT} (return on a traced test)",
}


JIT_CASES = JIT_CASES + [
    c for c in ALL_CASES if c.name in JIT_UNSUPPORTED and c not in JIT_CASES
]


@pytest.fixture(autouse=True, scope="module")
def float64():
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", old)


def _to_jax(value):
    if isinstance(value, (np.ndarray, np.floating)):
        return jnp.asarray(value)
    if isinstance(value, list):
        return [_to_jax(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_to_jax(v) for v in value)
    if isinstance(value, dict):
        return {k: _to_jax(v) for k, v in value.items()}
    return value


def _has_float(value) -> bool:
    if isinstance(value, (float, np.floating, np.ndarray)):
        return not isinstance(value, np.ndarray) or np.issubdtype(
            value.dtype, np.inexact
        )
    if isinstance(value, (list, tuple)):
        return any(_has_float(v) for v in value)
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    return False


def _reference(case, args):
    """`("jax", grads)` by jax.grad, else `("numerical", grads)`."""
    ref = jax_grad(case.func, args, case.wrt)
    if ref is not None:
        return "jax", ref
    indices = resolve_wrt(case.func, case.wrt)
    grads = tuple(numerical_grad(case.func, args, i) for i in indices)
    return "numerical", grads[0] if len(indices) == 1 else grads


def _check(case, args, grads, label, ref):
    indices = resolve_wrt(case.func, case.wrt)
    if len(indices) == 1:
        grads, ref = (grads,), (ref,)
    assert isinstance(grads, tuple) and len(grads) == len(indices), grads
    rtol, atol = (
        (REFERENCE_RTOL, REFERENCE_ATOL) if label == "jax" else (FD_RTOL, FD_ATOL)
    )
    for i, g, r in zip(indices, grads, ref, strict=True):
        assert np.shape(g) == np.shape(args[i]), (
            f"{case.name}: gradient #{i} has shape {np.shape(g)}, the argument "
            f"{np.shape(args[i])}"
        )
        np.testing.assert_allclose(
            np.asarray(g, np.float64),
            np.asarray(r, np.float64),
            rtol=rtol,
            atol=atol,
            err_msg=f"{case.name}: gradient #{i} differs from {label}",
        )


def _jax_args(case, args):
    jargs = [_to_jax(a) for a in copy_args(args)]
    for i in resolve_wrt(case.func, case.wrt):
        jargs[i] = jnp.asarray(args[i], dtype=jnp.float64)
    return jargs


@pytest.mark.parametrize("case", EAGER_CASES, ids=[c.name for c in EAGER_CASES])
def test_eager(case):
    args = case_args(case)
    label, ref = _reference(case, args)
    df = tangent.grad(patched(case.func, jnp), wrt=case.wrt, backend="jax")
    _check(case, args, df(*_jax_args(case, args)), label, ref)


@pytest.mark.parametrize("case", JIT_CASES, ids=[c.name for c in JIT_CASES])
def test_jit_with_scan(case):
    args = case_args(case)
    df = tangent.grad(
        patched(case.func, jnp), wrt=case.wrt, backend="jax", loops="scan"
    )
    jargs = _jax_args(case, args)
    wrt = set(resolve_wrt(case.func, case.wrt))
    static = tuple(i for i, a in enumerate(args) if i not in wrt and not _has_float(a))
    compiled = jax.jit(df, static_argnums=static)
    if case.name in JIT_UNSUPPORTED:
        with pytest.raises(jax.errors.ConcretizationTypeError):
            compiled(*jargs)
        return
    label, ref = _reference(case, args)
    _check(case, args, compiled(*jargs), label, ref)


@pytest.mark.parametrize("case", NUMPY_CASES, ids=[c.name for c in NUMPY_CASES])
def test_numpy_function_on_jax(case):
    args = case_args(case)
    label, ref = _reference(case, args)
    df = tangent.grad(case.func, wrt=case.wrt, backend="jax")
    _check(case, args, df(*_jax_args(case, args)), label, ref)
