"""Independent gradient oracles for the test corpus.

Nothing here imports the engine. Three sources of truth:

- ``numerical_grad``: central finite differences in float64, one element at
  a time (the corpus arrays are small). Always available.
- ``autograd_grad`` and ``jax_grad``: the same source function re-executed
  with its module globals patched so that ``np`` is ``autograd.numpy`` (or
  ``jax.numpy``) and ``math`` is a shim over that library. Every plain
  function defined in the same module is rebound to the patched globals too,
  so helpers, recursion and nested helpers follow. Each returns ``None`` when
  the reference cannot run the function (in-place array writes, ``//`` on
  tracers, unsupported operations).

``check_grads`` compares a computed gradient (or tuple of gradients) with
finite differences and checks its type and shape.
"""

import copy
import inspect
import math
import types
import warnings

import numpy as np

__all__ = [
    "autograd_grad",
    "check_grads",
    "check_close",
    "copy_args",
    "assert_args_unchanged",
    "jax_grad",
    "numerical_grad",
    "patched",
    "reference_grad",
    "resolve_wrt",
    "scalar_output",
]


# ----- Arguments -----


def resolve_wrt(f, wrt):
    """Normalize ``wrt`` (an index, a name, or a tuple of them) to indices."""
    if isinstance(wrt, (int, str)):
        wrt = (wrt,)
    names = [
        p.name
        for p in inspect.signature(f).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    indices = []
    for w in wrt:
        if isinstance(w, str):
            if w not in names:
                raise ValueError(f"{f.__name__} has no positional parameter {w!r}")
            indices.append(names.index(w))
        else:
            if not 0 <= w < len(names):
                raise ValueError(f"{f.__name__} has no positional parameter #{w}")
            indices.append(int(w))
    return tuple(indices)


def _param_name(f, index):
    try:
        return list(inspect.signature(f).parameters)[index]
    except (IndexError, TypeError, ValueError):
        return f"#{index}"


def copy_args(args):
    """A deep copy of an argument tuple (arrays, lists, tuples, dicts)."""
    return copy.deepcopy(tuple(args))


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and np.array_equal(a, b, equal_nan=True)
        )
    if isinstance(a, (list, tuple)):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(_same(a[k], b[k]) for k in a)
        )
    return type(a) is type(b) and (a == b or (a != a and b != b))


def assert_args_unchanged(before, after, what="the function"):
    """Fail if any argument differs from its copy taken before the call."""
    for i, (a, b) in enumerate(zip(before, after, strict=True)):
        assert _same(a, b), f"{what} mutated argument #{i}: before={a!r}, after={b!r}"


def scalar_output(out):
    """The float value of a scalar output (float, NumPy scalar, size-1 array)."""
    a = np.asarray(out)
    if a.size != 1:
        raise ValueError(f"expected a scalar output, got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.number) and a.dtype != np.bool_:
        raise ValueError(f"expected a numeric output, got dtype {a.dtype}")
    return float(a.reshape(()))


# ----- Finite differences -----


def _with_arg(args, argnum, value):
    new = list(copy_args(args))
    new[argnum] = copy.deepcopy(value)
    return new


def numerical_grad(f, args, argnum, eps=1e-6):
    """Central finite-difference gradient of scalar ``f`` w.r.t. ``args[argnum]``.

    Works elementwise for NumPy arrays of any shape (returns a float64 array
    of that shape) and for Python floats and NumPy scalars (returns a float).
    The step is ``eps * max(1, |x|)``; every evaluation gets fresh copies of
    the arguments, so a function that writes into its arguments cannot
    corrupt the differences.
    """
    args = tuple(args)
    if isinstance(argnum, str):
        (argnum,) = resolve_wrt(f, argnum)
    x = args[argnum]

    def value_at(v):
        return scalar_output(f(*_with_arg(args, argnum, v)))

    if isinstance(x, np.ndarray):
        base = np.array(x, dtype=np.float64)
        grad = np.zeros(base.shape, dtype=np.float64)
        for idx in np.ndindex(base.shape):
            h = eps * max(1.0, abs(base[idx]))
            xp = base.copy()
            xm = base.copy()
            xp[idx] += h
            xm[idx] -= h
            step = xp[idx] - xm[idx]
            grad[idx] = (value_at(xp) - value_at(xm)) / step
        return grad
    if not isinstance(x, (float, np.floating)):
        raise TypeError(
            f"cannot differentiate w.r.t. argument #{argnum} of type {type(x).__name__}"
        )
    x = float(x)
    wrap = type(args[argnum]) if isinstance(args[argnum], np.floating) else float
    h = eps * max(1.0, abs(x))
    xp, xm = x + h, x - h
    return (value_at(wrap(xp)) - value_at(wrap(xm))) / (xp - xm)


# ----- Comparing gradients -----


def _check_type_and_shape(f, arg, grad, index):
    where = f"gradient of {f.__name__} w.r.t. {_param_name(f, index)!r} (#{index})"
    if isinstance(arg, np.ndarray):
        ok_type = isinstance(grad, np.ndarray) or (
            arg.shape == () and isinstance(grad, np.generic)
        )
        assert ok_type, (
            f"{where}: argument is an array of shape {arg.shape}, but the gradient "
            f"is a {type(grad).__name__}: {grad!r}"
        )
        assert np.shape(grad) == arg.shape, (
            f"{where}: shape {np.shape(grad)} differs from the argument's "
            f"shape {arg.shape}"
        )
    else:
        ok_type = (
            (isinstance(grad, float) and not isinstance(grad, bool))
            or isinstance(grad, np.floating)
            or (isinstance(grad, np.ndarray) and grad.shape == ())
        )
        assert ok_type, (
            f"{where}: argument is a scalar {type(arg).__name__}, so the gradient "
            f"must be a float, a NumPy floating scalar or a 0-d array, not "
            f"{type(grad).__name__} {np.shape(grad)}: {grad!r}"
        )
    dtype = np.asarray(grad).dtype
    assert np.issubdtype(dtype, np.floating), f"{where}: dtype {dtype} is not floating"
    assert np.all(np.isfinite(grad)), f"{where}: not finite: {grad!r}"


def check_close(f, index, actual, expected, rtol, atol, label="expected"):
    """Assert ``actual`` is close to ``expected`` with a readable message."""
    __tracebackhide__ = True
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        raise AssertionError(
            f"gradient of {f.__name__} w.r.t. {_param_name(f, index)!r}: shape "
            f"{actual.shape} but {label} has shape {expected.shape}"
        )
    if np.allclose(actual, expected, rtol=rtol, atol=atol):
        return
    err = np.abs(actual - expected)
    bad = err > atol + rtol * np.abs(expected)
    with np.printoptions(precision=10, suppress=False, threshold=50):
        raise AssertionError(
            f"gradient of {f.__name__} w.r.t. {_param_name(f, index)!r} (#{index}) "
            f"differs from {label} in {int(bad.sum())} of {bad.size} entries "
            f"(max abs error {err.max():.3e}, rtol={rtol}, atol={atol})\n"
            f"  computed: {actual!r}\n"
            f"  {label + ':':9} {expected!r}"
        )


def check_grads(f, args, wrt, grads, rtol=1e-5, atol=1e-6, eps=1e-6):
    """Check ``grads`` (one gradient, or a tuple for several ``wrt``) by FD.

    ``wrt`` holds positional indices or parameter names. Checks the number of
    gradients, each one's type and shape against its argument, and its values
    against ``numerical_grad``. Raises AssertionError with a helpful message.
    """
    __tracebackhide__ = True
    indices = resolve_wrt(f, wrt)
    if len(indices) == 1:
        grads = (grads,)
    else:
        assert isinstance(grads, tuple) and len(grads) == len(indices), (
            f"{f.__name__}: wrt={wrt!r} asks for {len(indices)} gradients, got "
            f"{type(grads).__name__} {grads!r}"
        )
    for index, grad in zip(indices, grads, strict=True):
        _check_type_and_shape(f, args[index], grad, index)
        expected = numerical_grad(f, args, index, eps=eps)
        check_close(f, index, grad, expected, rtol, atol, label="numerical")


# ----- Reference oracles by re-execution -----

_MATH_TO_NUMPY = {
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "asin": "arcsin",
    "acos": "arccos",
    "atan": "arctan",
    "atan2": "arctan2",
    "sinh": "sinh",
    "cosh": "cosh",
    "tanh": "tanh",
    "exp": "exp",
    "expm1": "expm1",
    "log1p": "log1p",
    "log2": "log2",
    "log10": "log10",
    "sqrt": "sqrt",
    "fabs": "abs",
    "hypot": "hypot",
}


def _math_shim(xnp):
    """A stand-in for the ``math`` module whose functions come from ``xnp``."""
    ns = {k: getattr(math, k) for k in dir(math) if not k.startswith("_")}
    for name, np_name in _MATH_TO_NUMPY.items():
        ns[name] = getattr(xnp, np_name)

    def log(x, base=None):
        return xnp.log(x) if base is None else xnp.log(x) / math.log(base)

    def pow_(x, y):
        return x**y

    ns["log"] = log
    ns["pow"] = pow_
    return types.SimpleNamespace(**ns)


def _clone(func, new_globals):
    clone = types.FunctionType(
        func.__code__, new_globals, func.__name__, func.__defaults__, func.__closure__
    )
    clone.__kwdefaults__ = copy.copy(func.__kwdefaults__)
    clone.__dict__.update(func.__dict__)
    return clone


def patched(f, xnp):
    """``f`` re-bound to module globals where ``np`` is ``xnp``.

    Every plain function of f's module is rebound to the same patched globals
    dict, so calls to helpers (and recursion) run on ``xnp`` too.
    """
    old = f.__globals__
    new = dict(old)
    math_shim = _math_shim(xnp)
    for key, value in old.items():
        if value is np:
            new[key] = xnp
        elif value is math:
            new[key] = math_shim
    for key, value in old.items():
        if isinstance(value, types.FunctionType) and value.__globals__ is old:
            new[key] = _clone(value, new)
    return _clone(f, new)


def _scalarize(xnp, func):
    def scalar_func(*args):
        return xnp.sum(func(*args))

    return scalar_func


def _to_numpy_grad(arg, g):
    g = np.array(g, dtype=np.float64)
    if isinstance(arg, np.ndarray):
        return g.reshape(arg.shape)
    return float(g)


def autograd_grad(f, args, wrt):
    """Gradient by autograd on the re-executed source, or None if it can't run."""
    try:
        import autograd
        import autograd.numpy as anp

        g = _scalarize(anp, patched(f, anp))
        indices = resolve_wrt(f, wrt)
        grads = []
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Output seems independent of input")
            for index in indices:
                raw = autograd.grad(g, index)(*copy_args(args))
                grads.append(_to_numpy_grad(args[index], raw))
    except Exception:
        return None
    if not all(np.all(np.isfinite(gr)) for gr in grads):
        return None
    return grads[0] if len(grads) == 1 else tuple(grads)


def _jaxify(value):
    import jax.numpy as jnp

    if isinstance(value, np.ndarray):
        return jnp.asarray(value)
    if isinstance(value, np.floating):
        return jnp.asarray(value)
    if isinstance(value, list):
        return [_jaxify(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_jaxify(v) for v in value)
    return value


def jax_grad(f, args, wrt):
    """Gradient by JAX (float64) on the re-executed source, or None if it can't run."""
    try:
        import jax
        import jax.numpy as jnp

        with jax.enable_x64(True):
            g = _scalarize(jnp, patched(f, jnp))
            indices = resolve_wrt(f, wrt)
            jargs = [_jaxify(a) for a in copy_args(args)]
            for index in indices:
                jargs[index] = jnp.asarray(args[index], dtype=jnp.float64)
            raw = jax.grad(g, argnums=indices)(*jargs)
            grads = [
                _to_numpy_grad(args[i], r) for i, r in zip(indices, raw, strict=True)
            ]
    except Exception:
        return None
    if not all(np.all(np.isfinite(gr)) for gr in grads):
        return None
    return grads[0] if len(grads) == 1 else tuple(grads)


def reference_grad(f, args, wrt):
    """``(name, gradient)`` from the first reference that runs, or ``(None, None)``."""
    for name, oracle in (("autograd", autograd_grad), ("jax", jax_grad)):
        result = oracle(f, args, wrt)
        if result is not None:
            return name, result
    return None, None
