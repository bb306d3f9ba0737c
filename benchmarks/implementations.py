"""The gradient implementations compared, one class each.

`prepare(name, args)` returns a `Prepared`: a no-argument callable computing
the gradient (what is timed: for JAX it blocks until the result is ready),
a function turning its result into a tuple of NumPy arrays in `wrt` order
(what is checked against the hand-written gradient, outside the timing), and,
for compiled implementations, the seconds the first call took.

An implementation whose library is missing says why in `unavailable()`;
one that fails on a workload raises from `prepare` or from its first call,
and the runner reports "fails: <reason>".
"""

from __future__ import annotations

import importlib.util
import inspect
from dataclasses import dataclass

import numpy as np

from benchmarks import workloads as W
from benchmarks.timing import timed_once


@dataclass
class Prepared:
    call: object  # () -> the implementation's gradient
    to_numpy: object  # result -> tuple of NumPy arrays, in wrt order
    compile_s: float | None = None  # first call (trace + compile), where it applies
    first: object = None  # the first call's result, when `compile_s` was measured


def _as_tuple(grads, n):
    return (grads,) if n == 1 else tuple(grads)


def _numpy_tuple(grads):
    return tuple(np.asarray(g) for g in grads)


def _missing(module):
    if importlib.util.find_spec(module) is None:
        return f"{module} not installed"
    return None


def reason_of(exc):
    """One line saying why a call failed: the exception type and its first real line."""
    for line in str(exc).splitlines():
        line = line.strip()
        if line and set(line) - set("=-"):
            return f"{type(exc).__name__}: {line}"[:200]
    return type(exc).__name__


class Implementation:
    key = ""
    title = ""
    isolated = False  # run in a child process (see benchmarks/isolated.py)

    def unavailable(self):
        return None

    def prepare(self, name, args):
        raise NotImplementedError


class Hand(Implementation):
    key = "hand"
    title = "hand-written"

    def prepare(self, name, args):
        grad = W.WORKLOADS[name]["grad"]
        return Prepared(lambda: grad(*args), _numpy_tuple)


class Ours(Implementation):
    """`tangent.grad(f, wrt)`, built once; the cached function is called."""

    key = "ours"
    title = "ours (tangent.grad)"

    def unavailable(self):
        try:
            import tangent  # noqa: F401
        except Exception as exc:  # the engine is being edited: say so, run the rest
            return f"import tangent failed: {type(exc).__name__}: {exc}"
        return None

    def prepare(self, name, args):
        import tangent

        spec = W.WORKLOADS[name]
        df = tangent.grad(spec["f"], wrt=spec["wrt"])
        n = len(spec["wrt"])
        return Prepared(lambda: df(*args), lambda r: _numpy_tuple(_as_tuple(r, n)))


class Autograd(Implementation):
    key = "autograd"
    title = "autograd"

    def unavailable(self):
        return _missing("autograd")

    def prepare(self, name, args):
        import autograd
        import autograd.numpy as anp

        spec = W.WORKLOADS[name]
        f = W.rebind(anp)[spec["f"].__name__]
        wrt = spec["wrt"]
        g = autograd.grad(f, argnum=wrt if len(wrt) > 1 else wrt[0])
        n = len(wrt)
        return Prepared(lambda: g(*args), lambda r: _numpy_tuple(_as_tuple(r, n)))


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def _jax_args(args):
    import jax.numpy as jnp

    return tuple(jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args)


class JaxEager(Implementation):
    key = "jax"
    title = "JAX eager"

    def unavailable(self):
        return _missing("jax")

    def prepare(self, name, args):
        jax = _jax()
        import jax.numpy as jnp

        spec = W.WORKLOADS[name]
        f = W.rebind(jnp)[spec["f"].__name__]
        g = jax.grad(f, argnums=spec["wrt"])
        jargs = _jax_args(args)
        return Prepared(lambda: jax.block_until_ready(g(*jargs)), _numpy_tuple)


class JaxJit(Implementation):
    """`jax.jit(jax.grad(f))`; the first call (trace and compile) is reported apart."""

    key = "jax_jit"
    title = "JAX jit"
    isolated = True  # a compilation can run for minutes: the parent times it out

    def unavailable(self):
        return _missing("jax")

    def prepare(self, name, args):
        jax = _jax()
        import jax.numpy as jnp

        spec = W.WORKLOADS[name]
        f = W.rebind(jnp)[spec["f"].__name__]
        g = jax.jit(jax.grad(f, argnums=spec["wrt"]), static_argnums=spec["static"])
        jargs = _jax_args(args)

        def call():
            return jax.block_until_ready(g(*jargs))

        first, seconds = timed_once(call)
        return Prepared(call, _numpy_tuple, compile_s=seconds, first=first)


class Torch(Implementation):
    """PyTorch eager autograd on float64 CPU tensors (`benchmarks/torch_workloads.py`)."""

    key = "torch"
    title = "PyTorch eager"

    def unavailable(self):
        return _missing("torch")

    def prepare(self, name, args):
        import os

        import torch

        from benchmarks.torch_workloads import FUNCTIONS

        threads = int(os.environ.get("OMP_NUM_THREADS", "0"))
        if threads > 0:
            torch.set_num_threads(threads)

        f = FUNCTIONS[name]
        wrt = W.WORKLOADS[name]["wrt"]
        targs = []
        for i, a in enumerate(args):
            if isinstance(a, np.ndarray):
                t = torch.from_numpy(a)
            elif i in wrt:
                t = torch.tensor(a, dtype=torch.float64)
            else:
                t = a
            if i in wrt:
                t = t.detach().requires_grad_(True)
            targs.append(t)
        inputs = [targs[i] for i in wrt]

        def call():
            return torch.autograd.grad(f(*targs), inputs)

        return Prepared(call, lambda r: tuple(t.detach().numpy() for t in r))


def _accepts(function, option):
    try:
        return option in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


class OursJaxBackend(Implementation):
    """`jax.jit(tangent.grad(f, backend="jax"))`, where that option exists.

    With `loops="scan"` (a second column), the generated loops run as
    `jax.lax` loops, where `tangent.grad` accepts that option.
    """

    isolated = True  # a compilation can run for minutes: the parent times it out

    def __init__(self, loops=None):
        self.loops = loops
        self.key = "ours_jax" if loops is None else f"ours_jax_{loops}"
        self.title = "ours, JAX backend, jit" + (f", loops={loops}" if loops else "")

    def options(self):
        return (
            {"backend": "jax"}
            if self.loops is None
            else {"backend": "jax", "loops": self.loops}
        )

    def unavailable(self):
        reason = Ours().unavailable() or _missing("jax")
        if reason:
            return reason
        import tangent

        if not all(_accepts(tangent.grad, option) for option in self.options()):
            return "n/a"
        return None

    def prepare(self, name, args):
        import tangent

        jax = _jax()
        spec = W.WORKLOADS[name]
        df = tangent.grad(spec["f"], wrt=spec["wrt"], **self.options())
        g = jax.jit(df, static_argnums=spec["static"])
        jargs = _jax_args(args)
        n = len(spec["wrt"])

        def call():
            return jax.block_until_ready(g(*jargs))

        first, seconds = timed_once(call)
        return Prepared(
            call,
            lambda r: _numpy_tuple(_as_tuple(r, n)),
            compile_s=seconds,
            first=first,
        )


class TangentAD(Implementation):
    """The published tangent-ad package, in its own virtual environment.

    Only ever prepared in that environment's child process, where `import
    tangent` finds tangent-ad (benchmarks/isolated.py).
    """

    key = "tangent_ad"
    title = "tangent-ad"
    isolated = True

    def unavailable(self):
        import pathlib

        spec = importlib.util.find_spec("tangent")
        if spec is None:
            return "tangent-ad not installed"
        ours = pathlib.Path(__file__).resolve().parent.parent / "tangent"
        if pathlib.Path(spec.origin).resolve().is_relative_to(ours):
            return "this environment's tangent is this project's, not tangent-ad"
        return None

    def prepare(self, name, args):
        import tangent

        spec = W.WORKLOADS[name]
        df = tangent.grad(spec["f"], wrt=spec["wrt"])
        n = len(spec["wrt"])
        return Prepared(lambda: df(*args), lambda r: _numpy_tuple(_as_tuple(r, n)))


# the columns of the main table, in order
IMPLEMENTATIONS = [
    Ours(),
    Autograd(),
    JaxEager(),
    JaxJit(),
    Torch(),
    TangentAD(),
    OursJaxBackend(),
    OursJaxBackend(loops="scan"),
]
BY_KEY = {impl.key: impl for impl in IMPLEMENTATIONS}
