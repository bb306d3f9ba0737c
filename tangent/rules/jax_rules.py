"""Rules for JAX, and the rule set of the JAX backend.

A gradient generated with `backend="jax"` calls `jax.numpy` and the helpers
of `tangent.jax_runtime`, never NumPy. Its rules come from three places:

- Every NumPy, SciPy and `math` rule, *mirrored*: the same template with
  each library reference replaced by its JAX counterpart (`np.cos` ->
  `jnp.cos`, `scipy.special.expit` -> `jax.scipy.special.expit`, the rule
  helpers and runtime helpers by their JAX versions). It is registered for
  the JAX function (`jnp.sin` gets `np.sin`'s rule), and for operators and
  array methods under the same keys. A NumPy rule whose template calls
  something JAX does not have is not mirrored.
- The rule helpers (`tangent.rules.rule_helpers`), run on JAX: the same
  functions, re-bound so that `np` is `jax.numpy` (NumPy for what
  `jax.numpy` lacks: dtype utilities, index arithmetic on static shapes),
  `scipy` imports are JAX's, and `unbroadcast` is the JAX one. Those that
  write into arrays, call `np.add.at` or branch on values are rewritten
  below with functional updates (`out.at[i].add(g)`).
- Rules of their own for `jax.nn` (relu, sigmoid, softplus, gelu, silu,
  softmax, log_softmax, one_hot, ...), registered with `jax_adjoint`.

Rules users register with `tangent.adjoint` are found too (mirrored the
same way), so a user's rule written with NumPy serves both backends.

This module also gives the JAX backend's *view* of a function's names
(`jax_namespace`): `np` resolves to `jax.numpy`, `math.sin` to `jnp.sin`,
so that a NumPy function can be run through the JAX backend, and the
references the generated code must rewrite (`np.sin` -> `jnp.sin`).
"""

# ruff: noqa: F811, A002  (templates are registered, not called; JAX's names)

from __future__ import annotations

import builtins
import copy
import math
import types

import gast
import jax
import jax.nn
import jax.numpy as jnp
import jax.scipy.linalg
import jax.scipy.special
import numpy as np

from tangent import jax_runtime, runtime
from tangent.rules import rule_helpers
from tangent.rules.registry import NONDIFFERENTIABLE, RULES, RuleSet, d, key_of
from transforms.templates import Template

__all__ = [
    "JAX_RULES",
    "HELPERS",
    "jax_adjoint",
    "jax_equivalent",
    "jax_namespace",
    "reference",
    "MISSING",
]

MISSING = object()  # what `jax_equivalent` answers for a NumPy object JAX lacks

# ----- The JAX counterpart of a NumPy, SciPy or math object -----

_MODULES = {
    "numpy": jnp,
    "numpy.linalg": jnp.linalg,
    "numpy.fft": jnp.fft,
    "scipy.special": jax.scipy.special,
    "scipy.linalg": jax.scipy.linalg,
}

# NumPy names whose JAX counterpart has another name
_ALIASES = {
    "asanyarray": "asarray",
    "ascontiguousarray": "asarray",
    "asfortranarray": "asarray",
    "asarray_chkfinite": "asarray",
    "fix": "trunc",
    "row_stack": "vstack",
}

# scipy.special functions JAX has outside jax.scipy.special
_SPECIAL_ELSEWHERE = {"log_expit": jax.nn.log_sigmoid}

_MATH = {
    "sin": jnp.sin,
    "cos": jnp.cos,
    "tan": jnp.tan,
    "asin": jnp.arcsin,
    "acos": jnp.arccos,
    "atan": jnp.arctan,
    "atan2": jnp.arctan2,
    "sinh": jnp.sinh,
    "cosh": jnp.cosh,
    "tanh": jnp.tanh,
    "asinh": jnp.arcsinh,
    "acosh": jnp.arccosh,
    "atanh": jnp.arctanh,
    "exp": jnp.exp,
    "expm1": jnp.expm1,
    "log": jnp.log,
    "log2": jnp.log2,
    "log10": jnp.log10,
    "log1p": jnp.log1p,
    "sqrt": jnp.sqrt,
    "fabs": jnp.abs,
    "hypot": jnp.hypot,
    "pow": jnp.power,
    "erf": jax.scipy.special.erf,
    "erfc": jax.scipy.special.erfc,
    "lgamma": jax.scipy.special.gammaln,
    "gamma": jax.scipy.special.gamma,
    "degrees": jnp.degrees,
    "radians": jnp.radians,
    "floor": jnp.floor,
    "ceil": jnp.ceil,
    "trunc": jnp.trunc,
    "copysign": jnp.copysign,
    "fmod": jnp.fmod,
    "isnan": jnp.isnan,
    "isinf": jnp.isinf,
    "isfinite": jnp.isfinite,
}


def _is_function_like(obj) -> bool:
    return callable(obj) or isinstance(obj, types.ModuleType)


def _build_table():
    """id(NumPy/SciPy/math function or module) -> its JAX counterpart (or MISSING)."""
    table: dict[int, object] = {}
    keep = []  # the objects whose ids the table holds
    for module_name, jax_module in _MODULES.items():
        try:
            module = __import__(module_name, fromlist=["_"])
        except ImportError:
            continue
        table[id(module)] = jax_module
        keep.append(module)
        for name in dir(module):
            if name.startswith("_"):
                continue
            obj = getattr(module, name)
            if not _is_function_like(obj) or isinstance(obj, type(np)):
                continue
            if id(obj) in table:
                continue
            # by the object's own name first: np.permute_dims is np.transpose
            own = getattr(obj, "__name__", name)
            target = getattr(jax_module, _ALIASES.get(own, own), MISSING)
            if target is MISSING:
                target = getattr(jax_module, _ALIASES.get(name, name), MISSING)
            if target is MISSING and module_name == "scipy.special":
                # scipy.special.expm1, log1p, cbrt, exp2: jax.numpy's
                target = _SPECIAL_ELSEWHERE.get(name, getattr(jnp, name, MISSING))
            table[id(obj)] = target
            keep.append(obj)
    for name, target in _MATH.items():
        table[id(getattr(math, name))] = target
        keep.append(getattr(math, name))
    return table, keep


_TABLE, _KEEP = _build_table()
# jax.scipy.special and jax.scipy.linalg reached through `scipy` itself
try:
    import scipy

    _TABLE[id(scipy)] = jax.scipy
    _KEEP.append(scipy)
except ImportError:  # pragma: no cover
    pass


def jax_equivalent(obj):
    """The JAX counterpart of a NumPy, SciPy or `math` object (itself for any other).

    The rule helpers and runtime helpers map to their JAX versions. `MISSING`
    when `obj` belongs to NumPy or SciPy but JAX has no such thing
    (`np.random.rand`).
    """
    helper = _HELPER_OF.get(id(obj))
    if helper is not None:
        return helper
    try:
        found = _TABLE.get(id(obj), None)
    except TypeError:  # pragma: no cover
        found = None
    if found is not None:
        return found
    return obj


# ----- How generated code refers to a JAX object -----

_ROOTS = {"jnp": jnp, "jax": jax}


def _build_references():
    refs: dict[int, tuple] = {id(jnp): ("jnp",), id(jax): ("jax",)}
    places = [
        (jnp, ("jnp",)),
        (jnp.linalg, ("jnp", "linalg")),
        (jnp.fft, ("jnp", "fft")),
        (jax.nn, ("jax", "nn")),
        (jax.scipy.special, ("jax", "scipy", "special")),
        (jax.scipy.linalg, ("jax", "scipy", "linalg")),
        (jax.lax, ("jax", "lax")),
        (jax.scipy, ("jax", "scipy")),
    ]
    for module, path in places:
        refs.setdefault(id(module), path)
    for module, path in places:
        for name in dir(module):
            if name.startswith("_"):
                continue
            try:
                obj = getattr(module, name)
            except Exception:  # pragma: no cover  (deprecated attributes)
                continue
            if _is_function_like(obj):
                refs.setdefault(id(obj), (*path, name))
    return refs


_REFERENCES = _build_references()


def reference(obj):
    """The attribute path (`("jnp", "linalg", "norm")`) that names a JAX object, or None."""
    return _REFERENCES.get(id(obj))


def _reference_node(path):
    node = gast.Name(id=path[0], ctx=gast.Load(), annotation=None, type_comment=None)
    for attr in path[1:]:
        node = gast.Attribute(value=node, attr=attr, ctx=gast.Load())
    return node


# ----- The rule helpers on JAX -----


class _NumpyOnJax:
    """`np` as the rule helpers see it on the JAX backend: `jax.numpy`, and
    NumPy for what `jax.numpy` lacks (dtype utilities, index arithmetic on
    static shapes). `np.ndarray` in an isinstance check means any array."""

    ndarray = (jax.Array, np.ndarray)

    def __init__(self):
        self._cache = {}

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        cache = self.__dict__.setdefault("_cache", {})
        if name not in cache:
            cache[name] = _on_jax(name)
        return cache[name]


def _on_jax(name):
    """`jnp.<name>`; for a function, one that runs NumPy's on static arguments
    that jax.numpy refuses (lists of numbers, as in index arithmetic)."""
    found = getattr(jnp, _ALIASES.get(name, name), MISSING)
    if found is MISSING:
        return getattr(np, name)
    numpy_version = getattr(np, name, None)
    if (
        not isinstance(found, types.FunctionType)
        and type(found).__name__ != "PjitFunction"
    ):
        return found
    if numpy_version is None:
        return found

    def call(*args, **kwargs):
        if "kind" in kwargs and name in ("sort", "argsort"):
            # NumPy's kind="stable" is jax.numpy's stable=True (its default)
            kwargs["stable"] = kwargs.pop("kind") in ("stable", "mergesort")
        if name in ("shape", "ndim", "size") and isinstance(args[0], (list, tuple)):
            return numpy_version(jnp.asarray(args[0]), *args[1:], **kwargs)
        try:
            return found(*args, **kwargs)
        except jax.errors.TracerArrayConversionError:
            # a list holding traced values (np.shape([x, y])): as one array
            args = [jnp.asarray(a) if isinstance(a, (list, tuple)) else a for a in args]
            return found(*args, **kwargs)
        except TypeError:
            leaves = jax.tree_util.tree_leaves((args, kwargs))
            if any(isinstance(v, jax.Array) for v in leaves):
                raise
            return numpy_version(*args, **kwargs)

    call.__name__ = name
    call.__wrapped__ = found
    return call


def _jax_import(name, globals=None, locals=None, fromlist=(), level=0):
    """`from scipy.linalg import expm` inside a helper imports JAX's `expm`."""
    if name in ("scipy.linalg", "scipy.special") and fromlist:
        return _MODULES[name]
    return builtins.__import__(name, globals, locals, fromlist, level)


def _rebind_helpers():
    namespace = dict(vars(rule_helpers))
    namespace["np"] = _NumpyOnJax()
    namespace["unbroadcast"] = jax_runtime.unbroadcast
    namespace["__name__"] = __name__
    namespace["__builtins__"] = dict(vars(builtins), __import__=_jax_import)
    helpers = {}
    for name, obj in vars(rule_helpers).items():
        if (
            isinstance(obj, types.FunctionType)
            and obj.__module__ == rule_helpers.__name__
        ):
            new = types.FunctionType(
                obj.__code__, namespace, obj.__name__, obj.__defaults__, obj.__closure__
            )
            new.__kwdefaults__ = copy.copy(obj.__kwdefaults__)
            new.__doc__ = obj.__doc__
            new.__qualname__ = obj.__qualname__
            # its code is the rule helper's: a helper without a rule of its own
            # is differentiated through that source (higher order), as on NumPy
            new.__module__ = obj.__module__
            namespace[name] = new
            helpers[name] = new
    return namespace, helpers


_HELPER_NAMESPACE, HELPERS = _rebind_helpers()


def _helper(func):
    """Replace the rule helper of the same name by `func` (a JAX-safe version)."""
    func.__module__ = __name__
    _HELPER_NAMESPACE[func.__name__] = func
    HELPERS[func.__name__] = func
    return func


# The helpers below write into arrays, call np.add.at or branch on values in
# their NumPy versions; these are the same math with functional updates.
# Helpers they call come from the JAX helper namespace.


def _h(name):
    return _HELPER_NAMESPACE[name]


@_helper
def cumprod_grad(g, y, x, axis=None):
    """Adjoint of cumprod: sum_{k>=i} g_k prod_{j<=k, j!=i} x_j, exact at zeros."""
    x = jnp.asarray(x)
    g = _h("as_grad")(g, x)
    shape = x.shape
    if axis is None:
        x, g, axis = jnp.ravel(x), jnp.ravel(g), 0
    xm = jnp.moveaxis(x, axis, -1)
    gm = jnp.moveaxis(g, axis, -1)
    n = xm.shape[-1]
    upper = jnp.triu(jnp.ones((n, n), dtype=bool), 1)
    factors = jnp.where(upper, xm[..., None, :], 1.0)
    partial = jnp.where(
        jnp.triu(jnp.ones((n, n), dtype=bool)), jnp.cumprod(factors, axis=-1), 0.0
    )
    prefix = jnp.cumprod(
        jnp.concatenate([jnp.ones_like(xm[..., :1]), xm[..., :-1]], -1), -1
    )
    out = prefix * jnp.einsum("...ik,...k->...i", partial, gm)
    return jnp.moveaxis(out, -1, axis).reshape(shape).astype(g.dtype)


@_helper
def diagonal_grad(g, a, offset=0, axis1=0, axis2=1):
    """Adjoint of diagonal: `g` (diagonal last) placed back on the diagonal."""
    a = jnp.asarray(a)
    out = jnp.zeros(a.shape, dtype=jnp.result_type(g, _h("grad_dtype")(a)))
    view = jnp.moveaxis(out, (axis1, axis2), (-2, -1))
    k = np.shape(g)[-1]
    i = np.arange(k)
    view = view.at[..., i + max(-offset, 0), i + max(offset, 0)].set(g)
    return jnp.moveaxis(view, (-2, -1), (axis1, axis2))


@_helper
def convolve_grad(g, a, v, mode="full", k=0, correlate=False):
    """Adjoint of operand `k` of convolve / correlate (1-D, any mode)."""
    a1, v1 = jnp.ravel(a), jnp.ravel(v)
    n, m = a1.shape[0], v1.shape[0]
    w = v1[::-1] if correlate else v1
    shorter = min(n, m) - 1
    if mode == "full":
        start = 0
    elif mode == "same":
        start = (shorter + 1) // 2 if (correlate and n < m) else shorter // 2
    elif mode == "valid":
        start = shorter
    else:
        raise ValueError(f"unknown mode {mode!r}")
    target = (a, v)[k]
    gfull = jnp.zeros(n + m - 1, dtype=jnp.result_type(g, _h("grad_dtype")(target)))
    gfull = gfull.at[start : start + np.size(g)].set(jnp.ravel(g))
    if k == 0:
        return _h("reshape_grad")(jnp.correlate(gfull, w, "valid"), a)
    gw = jnp.correlate(gfull, a1, "valid")
    return _h("reshape_grad")(gw[::-1] if correlate else gw, v)


@_helper
def expm_grad(g, a):
    """Adjoint of expm: the top-right block of expm([[A^T, G], [0, A^T]])."""
    a = jnp.asarray(a)
    n = a.shape[-1]
    mT = _h("mT")
    block = jnp.zeros(a.shape[:-2] + (2 * n, 2 * n), dtype=jnp.result_type(a, g))
    block = block.at[..., :n, :n].set(mT(a))
    block = block.at[..., n:, n:].set(mT(a))
    block = block.at[..., :n, n:].set(g)
    return _h("as_grad")(jax.scipy.linalg.expm(block)[..., :n, n:], a)


@_helper
def unrepeat(g, x, repeats, axis=None):
    """Adjoint of repeat: the copies of each entry summed."""
    x = jnp.asarray(x)
    g = _h("as_grad")(g, x)
    if axis is None:
        src, g, axis = jnp.ravel(x), jnp.ravel(g), 0
    else:
        src = x
        axis = axis % x.ndim
    n = src.shape[axis]
    index = np.repeat(np.arange(n), repeats)
    out = jnp.zeros((n, *np.delete(src.shape, axis)), dtype=g.dtype)
    out = out.at[index].add(jnp.moveaxis(g, axis, 0))
    return jnp.moveaxis(out, 0, axis).reshape(x.shape)


@_helper
def sort_grad(g, x, axis=-1):
    """Adjoint of sort: each sorted entry's adjoint goes back where it came from."""
    x = jnp.asarray(x)
    g = _h("as_grad")(g, x)
    if axis is None:
        order = jnp.argsort(jnp.ravel(x), stable=True)
        out = jnp.zeros(x.size, dtype=g.dtype).at[order].set(jnp.ravel(g))
        return out.reshape(x.shape)
    order = jnp.argsort(x, axis=axis, stable=True)
    out = jnp.zeros(x.shape, dtype=g.dtype)
    index = _h("_along_axis_index")(x.shape, order, axis % x.ndim)
    return out.at[index].set(g)


@_helper
def take_along_axis_grad(g, arr, indices, axis=-1):
    """Adjoint of take_along_axis: scatter-add `g` back to where it was taken."""
    x = jnp.asarray(arr)
    g = _h("as_grad")(g, x)
    out = jnp.zeros(x.shape, dtype=g.dtype)
    if axis is None:
        return out.reshape(-1).at[indices].add(g).reshape(x.shape)
    index = _h("_along_axis_index")(x.shape, jnp.asarray(indices), axis % x.ndim)
    shape = jnp.broadcast_shapes(*(jnp.shape(i) for i in index))
    return out.at[index].add(jnp.broadcast_to(g, shape))


@_helper
def take_grad(g, a, indices, axis=None, mode="raise"):
    """Adjoint of take: scatter-add `g` at the taken positions (wrap and clip too)."""
    x = jnp.asarray(a)
    g = _h("as_grad")(g, x)
    src_shape = (x.size,) if axis is None else x.shape
    axis = 0 if axis is None else axis % x.ndim
    n = src_shape[axis]
    index = jnp.take(jnp.arange(n), jnp.asarray(indices), mode=mode or "fill")
    moved_shape = (n, *src_shape[:axis], *src_shape[axis + 1 :])
    out = jnp.zeros(moved_shape, dtype=g.dtype)
    k = np.ndim(index)
    out = out.at[index].add(
        jnp.moveaxis(g, list(range(axis, axis + k)), list(range(k)))
    )
    return jnp.moveaxis(out, 0, axis).reshape(x.shape)


@_helper
def compress_grad(g, condition, a, axis=None):
    """Adjoint of compress: `g` back at the kept positions."""
    x = jnp.asarray(a)
    g = _h("as_grad")(g, x)
    keep = np.nonzero(np.asarray(condition))[0]
    if axis is None:
        out = jnp.zeros(x.size, dtype=g.dtype).at[keep].set(g)
        return out.reshape(x.shape)
    out = jnp.moveaxis(jnp.zeros(x.shape, dtype=g.dtype), axis, 0)
    out = out.at[keep].set(jnp.moveaxis(g, axis, 0))
    return jnp.moveaxis(out, 0, axis)


@_helper
def extract_grad(g, condition, arr):
    """Adjoint of extract: `g` back where the condition held."""
    x = jnp.asarray(arr)
    out = jnp.zeros(x.size, dtype=jnp.result_type(g, _h("grad_dtype")(x)))
    out = out.at[np.nonzero(np.ravel(np.asarray(condition)))[0]].set(g)
    return out.reshape(x.shape)


@_helper
def delete_grad(g, arr, obj, axis=None):
    """Adjoint of delete: zeros at the deleted positions, `g` elsewhere."""
    x = jnp.asarray(arr)
    g = _h("as_grad")(g, x)
    src_shape = (x.size,) if axis is None else x.shape
    axis = 0 if axis is None else axis % x.ndim
    keep = np.delete(np.arange(src_shape[axis]), obj)
    out = jnp.moveaxis(jnp.zeros(src_shape, dtype=g.dtype), axis, 0)
    out = out.at[keep].set(jnp.moveaxis(g, axis, 0))
    return jnp.moveaxis(out, 0, axis).reshape(x.shape)


@_helper
def interp_grads(g, x, xp, fp, left=None, right=None, period=None):
    """Adjoints of interp: slope to x; hat weights to fp; the knots' shift to xp."""
    if period is not None:
        raise NotImplementedError("interp with period has no gradient rule")
    x, xp, fp = jnp.asarray(x), jnp.asarray(xp), jnp.asarray(fp)
    g = jnp.asarray(g)
    j = jnp.clip(jnp.searchsorted(xp, x, side="right") - 1, 0, xp.shape[0] - 2)
    h = xp[j + 1] - xp[j]
    t = (x - xp[j]) / h
    slope = (fp[j + 1] - fp[j]) / h
    inside = (x >= xp[0]) & (x <= xp[-1])
    gx = jnp.where(inside, g * slope, 0.0)
    gfp = jnp.zeros(fp.shape, dtype=jnp.result_type(g, _h("grad_dtype")(fp)))
    gin = jnp.where(inside, g, 0.0)
    gfp = gfp.at[j].add(gin * (1 - t)).at[j + 1].add(gin * t)
    if left is None:
        gfp = gfp.at[0].add(jnp.sum(jnp.where(x < xp[0], g, 0.0)))
    if right is None:
        gfp = gfp.at[-1].add(jnp.sum(jnp.where(x > xp[-1], g, 0.0)))
    gxp = jnp.zeros(xp.shape, dtype=gfp.dtype)
    gxp = gxp.at[j].add(-gin * slope * (1 - t)).at[j + 1].add(-gin * slope * t)
    gleft = jnp.sum(jnp.where(x < xp[0], g, 0.0)) if left is not None else 0.0
    gright = jnp.sum(jnp.where(x > xp[-1], g, 0.0)) if right is not None else 0.0
    return _h("as_grad")(gx, x), gxp, gfp, gleft, gright


@_helper
def unpad(g, array, pad_width, mode="constant", reflect_type="even"):
    """Adjoint of pad. The widths are static (NumPy index arithmetic, so the
    slice bounds stay Python integers under jit); the modes that copy entries
    (edge, reflect, symmetric, wrap) scatter-add `g` back to the entries each
    padded position copies."""
    x = jnp.asarray(array)
    if mode in ("constant", "empty"):
        width = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
        index = tuple(slice(int(lo), int(lo) + n) for (lo, _), n in zip(width, x.shape))
        return _h("as_grad")(jnp.asarray(g)[index], x)
    if mode not in ("edge", "reflect", "symmetric", "wrap") or reflect_type != "even":
        raise NotImplementedError(f"np.pad gradient for mode={mode!r}")
    source = np.pad(np.arange(x.size).reshape(x.shape), pad_width, mode=mode)
    dtype = jnp.result_type(g, _h("grad_dtype")(x))
    out = jnp.zeros(x.size, dtype=dtype).at[source.ravel()].add(jnp.ravel(g))
    return out.reshape(x.shape)


@_helper
def cumprod_tangent(t, y, x, axis=None):
    """Tangent of cumprod: sum over j <= i of t_j times the product of x_k,
    k <= i, k != j (exact at zeros)."""
    x = jnp.asarray(x, dtype=jnp.result_type(x, float))
    if axis is None:
        t, x, axis = jnp.ravel(t), jnp.ravel(x), 0
    shape = x.shape
    x = jnp.moveaxis(x, axis, -1)
    t = jnp.moveaxis(jnp.broadcast_to(t, shape), axis, -1)
    n = x.shape[-1]
    position = np.arange(n)
    out = jnp.zeros(x.shape, dtype=jnp.result_type(x, t))
    for j in range(n):
        partial = jnp.cumprod(x.at[..., j].set(1.0), axis=-1) * t[..., j : j + 1]
        out = out + jnp.where(position >= j, partial, 0.0)
    return jnp.moveaxis(out, -1, axis)


@_helper
def scalar_item_grad(g, a, args):
    """Adjoint of x.item(*args): `g` at the one entry taken."""
    x = jnp.asarray(a)
    out = jnp.zeros(x.shape, dtype=jnp.result_type(g, _h("grad_dtype")(x)))
    if not args:
        return out.reshape(-1).at[0].set(g).reshape(x.shape)
    if len(args) == 1:
        index = args[0]
        if isinstance(index, tuple):
            return out.at[index].set(g)
        return out.reshape(-1).at[index].set(g).reshape(x.shape)
    return out.at[tuple(args)].set(g)


_HELPER_OF = {id(getattr(rule_helpers, name)): f for name, f in HELPERS.items()}


def _runtime_on_jax():
    """The runtime helpers generated code calls, on JAX: those of
    `tangent.jax_runtime`, and any other helper of `tangent.runtime` re-bound
    to `jax.numpy` as the rule helpers are."""
    namespace = dict(vars(runtime))
    namespace["np"] = _NumpyOnJax()
    namespace["__name__"] = jax_runtime.__name__
    out = {}
    for name in runtime.__all__:
        if hasattr(jax_runtime, name):
            out[name] = getattr(jax_runtime, name)
        else:
            obj = getattr(runtime, name)
            out[name] = types.FunctionType(
                obj.__code__, namespace, obj.__name__, obj.__defaults__, obj.__closure__
            )
        namespace[name] = out[name]
    return out


RUNTIME = _runtime_on_jax()
for _name, _func in RUNTIME.items():
    _HELPER_OF[id(getattr(runtime, _name))] = _func


# ----- Mirroring a NumPy template -----


class _NoCounterpart(Exception):
    """A template calls something JAX does not have."""


def _chain(node):
    """`np.linalg.norm` -> ("np", ["linalg", "norm"]); None if not a name chain."""
    attrs = []
    while isinstance(node, gast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if isinstance(node, gast.Name):
        return node.id, list(reversed(attrs))
    return None


class _Mirror(gast.NodeTransformer):
    """Replace a template's library references by their JAX counterparts."""

    def __init__(self, namespace, own):
        self.source = namespace
        self.own = own  # parameters, temporaries and `d`
        self.namespace: dict = {}

    def _global(self, name):
        return name not in self.own and name in self.source

    def visit_Attribute(self, node):
        chain = _chain(node)
        if chain is None or not self._global(chain[0]):
            return self.generic_visit(node)
        root, attrs = chain
        try:
            obj = self.source[root]
            for a in attrs:
                obj = getattr(obj, a)
        except AttributeError:
            return self.generic_visit(node)
        target = jax_equivalent(obj)
        if target is MISSING:
            raise _NoCounterpart(".".join([root, *attrs]))
        if target is obj:
            base = jax_equivalent(self.source[root])
            if base is MISSING or base is self.source[root]:
                self.namespace[root] = self.source[root]
                return node
            # a constant of a library (np.pi, np.inf): read it from the JAX module
            path = reference(base)
            if path is None or getattr(base, attrs[0], MISSING) is MISSING:
                self.namespace[root] = self.source[root]
                return node
            self.namespace[path[0]] = _ROOTS[path[0]]
            return _reference_node((*path, *attrs))
        path = reference(target)
        if path is None:
            raise _NoCounterpart(".".join([root, *attrs]))
        self.namespace[path[0]] = _ROOTS[path[0]]
        return _reference_node(path)

    def visit_Name(self, node):
        if not isinstance(node.ctx, gast.Load) or not self._global(node.id):
            return node
        obj = self.source[node.id]
        target = jax_equivalent(obj)
        if target is MISSING:
            raise _NoCounterpart(node.id)
        if target is obj or not isinstance(target, types.ModuleType):
            self.namespace[node.id] = target  # same name, JAX object
            return node
        path = reference(target)
        if path is None:
            raise _NoCounterpart(node.id)
        self.namespace[path[0]] = _ROOTS[path[0]]
        return _reference_node(path)


def mirror(template):
    """The JAX version of a NumPy rule template, or None if JAX lacks what it calls."""
    if not isinstance(template, Template):
        return template  # NONDIFFERENTIABLE, "pack", a forward `Linear`
    own = set(template.params) | set(template.locals) | {"d"}
    if template.vararg:
        own.add(template.vararg)
    mirror_ = _Mirror(template.namespace, own)
    try:
        body = [mirror_.visit(copy.deepcopy(s)) for s in template.body]
        defaults = {
            k: mirror_.visit(copy.deepcopy(v)) for k, v in template.defaults.items()
        }
    except _NoCounterpart:
        return None
    new = copy.copy(template)
    new.body = body
    new.defaults = defaults
    new.node = copy.copy(template.node)
    new.node.body = body
    new.namespace = mirror_.namespace
    new.reads = {
        n.id
        for s in body
        for n in gast.walk(s)
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)
    }
    new.mirrored_from = template
    return new


# ----- The rule set of the JAX backend -----


class JaxRuleSet(RuleSet):
    """The rules of the JAX backend: its own (`jax.nn`), and every rule of
    `tangent.RULES` mirrored to JAX, looked up under the JAX function's key.

    Mirrors are made on first use and remade when the NumPy rule they come
    from is replaced (a user's `@tangent.adjoint`)."""

    def __init__(self):
        super().__init__()
        self.runtime = RUNTIME
        self._mirrors: dict = {}
        self._numpy_key: dict = {}
        self._indexed = -1

    def _index(self):
        """JAX function key -> the NumPy key it mirrors (rebuilt as rules are added)."""
        size = len(RULES.reverse) + len(getattr(RULES, "forward", {}))
        if size == self._indexed:
            return
        for table in (RULES.reverse, getattr(RULES, "forward", {})):
            for key in list(table):
                if key[0] != "Call":
                    continue
                target = jax_equivalent(key[1])
                if target is MISSING or target is key[1]:
                    continue
                try:
                    self._numpy_key.setdefault(("Call", target), key)
                except TypeError:  # pragma: no cover  (unhashable)
                    continue
        self._indexed = size

    def _source_key(self, key):
        self._index()
        try:
            return self._numpy_key.get(key, key)
        except TypeError:
            return key

    def _mirrored(self, rule):
        if not isinstance(rule, Template):
            return rule
        cached = self._mirrors.get(id(rule))
        if cached is None or cached[0] is not rule:
            cached = (rule, mirror(rule))
            self._mirrors[id(rule)] = cached
        return cached[1]

    def lookup(self, key):
        try:
            own = self.reverse.get(key)
        except TypeError:
            return None
        if own is not None:
            return own
        source = self._source_key(key)
        rule = RULES.lookup(source)
        if rule is None and source is not key:
            rule = RULES.lookup(key)
        if (
            isinstance(rule, Template)
            and key[0] == "Call"
            and jax_equivalent(key[1]) is MISSING
        ):
            return None  # a NumPy/SciPy function JAX lacks: it cannot run on JAX
        return self._mirrored(rule)

    def lookup_forward(self, key):
        try:
            own = self.forward.get(key)
        except TypeError:
            return None
        if own is not None:
            return own
        if not hasattr(RULES, "lookup_forward"):
            return None
        rule = RULES.lookup_forward(self._source_key(key))
        return self._mirrored(rule)

    def names(self, keys=None):
        self._index()
        out = set(super().names(keys))
        mirrored = RuleSet()
        for jax_key in self._numpy_key:
            rule = self.lookup(jax_key)
            if rule is not None:
                mirrored.reverse[jax_key] = rule
        out |= set(mirrored.names(keys))
        return sorted(out)


JAX_RULES = JaxRuleSet()


def jax_adjoint(*targets, cheap=False, elementwise=False):
    """Register the decorated template as the reverse rule of each target, for
    the JAX backend only (as `tangent.adjoint` does for both)."""

    def register(func):
        template = Template(func)
        template.elementwise = elementwise
        template.cheap = cheap or elementwise
        for target in targets:
            JAX_RULES.reverse[key_of(target)] = template
        return func

    return register


def jax_nondifferentiable(*targets):
    for target in targets:
        JAX_RULES.reverse[key_of(target)] = NONDIFFERENTIABLE


# ----- jax.nn -----

softmax_grad = HELPERS["softmax_grad"]
log_softmax_grad = HELPERS["log_softmax_grad"]
unbroadcast = jax_runtime.unbroadcast
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
SQRT_2PI = math.sqrt(2.0 * math.pi)


@jax_adjoint(jax.nn.relu, elementwise=True)
def relu(y, x):
    d[x] = jnp.where(x > 0, d[y], 0.0)


@jax_adjoint(jax.nn.relu6, elementwise=True)
def relu6(y, x):
    d[x] = jnp.where((x > 0) & (x < 6), d[y], 0.0)


@jax_adjoint(jax.nn.sigmoid, elementwise=True)
def sigmoid(y, x):
    d[x] = d[y] * y * (1.0 - y)


@jax_adjoint(jax.nn.log_sigmoid, elementwise=True)
def log_sigmoid(y, x):
    d[x] = d[y] * jax.nn.sigmoid(-x)


@jax_adjoint(jax.nn.softplus, elementwise=True)
def softplus(y, x):
    d[x] = d[y] * jax.nn.sigmoid(x)


@jax_adjoint(jax.nn.silu, jax.nn.swish, elementwise=True)
def silu(y, x):
    d[x] = d[y] * jax.nn.sigmoid(x) * (1.0 + x * (1.0 - jax.nn.sigmoid(x)))


@jax_adjoint(jax.nn.gelu, elementwise=True)
def gelu(y, x, approximate=True):
    if approximate:
        d[x] = d[y] * (
            0.5 * (1.0 + jnp.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3)))
            + 0.5
            * x
            * (1.0 - jnp.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3)) ** 2)
            * SQRT_2_OVER_PI
            * (1.0 + 3.0 * 0.044715 * x**2)
        )
    else:
        d[x] = d[y] * (jax.scipy.special.ndtr(x) + x * jnp.exp(-0.5 * x * x) / SQRT_2PI)


@jax_adjoint(jax.nn.elu, elementwise=True)
def elu(y, x, alpha=1.0):
    d[x] = jnp.where(x > 0, d[y], d[y] * alpha * jnp.exp(x))


@jax_adjoint(jax.nn.celu, elementwise=True)
def celu(y, x, alpha=1.0):
    d[x] = jnp.where(x > 0, d[y], d[y] * jnp.exp(x / alpha))


@jax_adjoint(jax.nn.selu, elementwise=True)
def selu(y, x):
    d[x] = jnp.where(
        x > 0,
        d[y] * 1.0507009873554804934193349852946,
        d[y]
        * 1.0507009873554804934193349852946
        * 1.6732632423543772848170429916717
        * jnp.exp(x),
    )


@jax_adjoint(jax.nn.leaky_relu, elementwise=True)
def leaky_relu(y, x, negative_slope=0.01):
    d[x] = jnp.where(x >= 0, d[y], d[y] * negative_slope)


@jax_adjoint(jax.nn.hard_tanh, elementwise=True)
def hard_tanh(y, x):
    d[x] = jnp.where((x > -1.0) & (x < 1.0), d[y], 0.0)


@jax_adjoint(jax.nn.soft_sign, elementwise=True)
def soft_sign(y, x):
    d[x] = d[y] / (1.0 + jnp.abs(x)) ** 2


@jax_adjoint(jax.nn.softmax)
def nn_softmax(y, x, axis=-1, where=None):
    d[x] = softmax_grad(d[y], y, axis)


@jax_adjoint(jax.nn.log_softmax)
def nn_log_softmax(y, x, axis=-1, where=None):
    d[x] = log_softmax_grad(d[y], y, axis)


@jax_adjoint(jax.nn.standardize)
def standardize(y, x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None):
    d[x] = standardize_grad(d[y], y, x, axis, epsilon)


def standardize_grad(g, y, x, axis=-1, epsilon=1e-5):
    """Adjoint of jax.nn.standardize, (x - mean) / sqrt(var + eps), over `axis`."""
    x = jnp.asarray(x)
    var = jnp.var(x, axis=axis, keepdims=True)
    g = jnp.asarray(g)
    gm = g - jnp.mean(g, axis=axis, keepdims=True)
    proj = jnp.mean(g * y, axis=axis, keepdims=True)
    return (gm - y * proj) / jnp.sqrt(var + epsilon)


jax_nondifferentiable(
    jax.nn.one_hot,
    jnp.argmax,
    jnp.argmin,
    jnp.argsort,
    jnp.sign,
    jnp.floor,
    jnp.ceil,
    jnp.round,
    jnp.zeros_like,
    jnp.ones_like,
    jax.lax.stop_gradient,
)


# ----- The JAX backend's view of a function's names -----


class _ModuleView:
    """A NumPy or SciPy module as the JAX backend resolves it: each attribute
    is its JAX counterpart (the NumPy one where JAX has none)."""

    def __init__(self, module):
        self._module = module
        self.__name__ = module.__name__

    def __getattr__(self, name):
        value = getattr(self._module, name)
        if isinstance(value, types.ModuleType):
            return _ModuleView(value)
        target = jax_equivalent(value)
        return value if target is MISSING else target

    def __repr__(self):
        return f"<{self.__name__} as seen by the JAX backend>"


def jax_namespace(namespace):
    """`namespace` as the JAX backend resolves it: NumPy, SciPy and `math`
    objects are replaced by their JAX counterparts (kept when JAX lacks one)."""
    out = {}
    for name, value in namespace.items():
        if isinstance(value, _NumpyOnJax):  # the rule helpers' `np`
            out[name] = jnp
            continue
        if value is math or getattr(value, "__module__", None) == "math":
            # kept: scalar inference knows math's results are numbers; the
            # rules of math.sin are mirrored under its own key
            out[name] = value
            continue
        if isinstance(value, types.ModuleType) and value.__name__.split(".")[0] in (
            "numpy",
            "scipy",
        ):
            out[name] = _ModuleView(value)
            continue
        target = jax_equivalent(value)
        out[name] = value if target is MISSING else target
    return out


# ----- The backend: from a generated gradient to code that runs on JAX -----


def _resolve_chain(node, scopes):
    """The object an attribute chain of names refers to in the first scope that has it."""
    chain = _chain(node)
    if chain is None:
        return MISSING
    root, attrs = chain
    for scope in scopes:
        if root in scope:
            obj = scope[root]
            break
    else:
        return MISSING
    for a in attrs:
        obj = getattr(obj, a, MISSING)
        if obj is MISSING:
            return MISSING
    return obj


class _References(gast.NodeTransformer):
    """`np.sin` -> `jnp.sin`, `math.exp` -> `jnp.exp`, `scipy.special.erf` ->
    `jax.scipy.special.erf`; a user's NumPy helper -> its JAX version."""

    def __init__(self, scopes, local, helper):
        self.scopes = scopes
        self.local = local  # names the function assigns (never rewritten)
        self.helper = helper  # user function -> its JAX version (or itself)
        self.free: dict = {}

    def _rewrite(self, node):
        chain = _chain(node)
        if chain is None or chain[0] in self.local:
            return None
        obj = _resolve_chain(node, self.scopes)
        if obj is MISSING:
            return None
        target = jax_equivalent(obj)
        if target is MISSING or target is obj:
            if isinstance(node, gast.Name) and isinstance(obj, types.FunctionType):
                jax_fn = self.helper(obj)
                if jax_fn is not obj:
                    self.free[node.id] = jax_fn
            return None
        path = reference(target)
        if path is None:
            if isinstance(node, gast.Name):
                self.free[node.id] = target  # same name, JAX object
            return None
        self.free[path[0]] = _ROOTS[path[0]]
        return gast.copy_location(_reference_node(path), node)

    def visit_Attribute(self, node):
        new = self._rewrite(node)
        if new is not None:
            return new
        return self.generic_visit(node)

    def visit_Call(self, node):
        # the builtins max and min compare with Python's `>`: for traced
        # values, jax.numpy's (the name stays; it is bound to jax_runtime's)
        if (
            isinstance(node.func, gast.Name)
            and node.func.id not in self.local
            and _resolve_chain(node.func, self.scopes) in (builtins.max, builtins.min)
        ):
            largest = _resolve_chain(node.func, self.scopes) is builtins.max
            self.free[node.func.id] = jax_runtime.max if largest else jax_runtime.min
            return self.generic_visit(node)
        # math.log(x, base): jnp.log takes no base
        if (
            len(node.args) == 2
            and not node.keywords
            and _chain(node.func) is not None
            and _chain(node.func)[0] not in self.local
            and _resolve_chain(node.func, self.scopes) is math.log
        ):
            self.free["jnp"] = jnp
            log = _reference_node(("jnp", "log"))
            x, base = (self.visit(a) for a in node.args)
            return gast.BinOp(
                left=gast.Call(func=log, args=[x], keywords=[]),
                op=gast.Div(),
                right=gast.Call(func=copy.deepcopy(log), args=[base], keywords=[]),
            )
        return self.generic_visit(node)

    def visit_Name(self, node):
        if not isinstance(node.ctx, gast.Load):
            return node
        new = self._rewrite(node)
        return node if new is None else new


def _assigned(func):
    names = {a.id for a in func.args.args}
    for n in gast.walk(func):
        if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param)):
            names.add(n.id)
    return names


def _is_scatter_add_call(scopes):
    def check(call):
        obj = _resolve_chain(call.func, scopes)
        owner = getattr(obj, "__self__", None)
        return (
            getattr(obj, "__name__", None) == "at"
            and type(owner).__name__ == "ufunc"
            and getattr(owner, "__name__", None) == "add"
        )

    return check


_JAX_VERSIONS: dict = {}


class _Later:
    """Stands for a function's JAX version while it is being made (recursion)."""

    def __init__(self):
        self.func = None

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)


def jax_version(fn, loops="python"):
    """A user's function, as code that runs on JAX: in normal form (one
    return, at the end), NumPy calls rewritten to jax.numpy, index writes to
    functional updates, and with `loops="scan"` its counted loops and
    data-dependent branches run by `jax.lax`. The generated forward sweep
    calls it where the primal calls `fn`. Itself when it cannot be read (no
    source) or is a generated or library function."""
    from tangent.api import LIBRARY_MODULES
    from transforms import codegen
    from transforms.normalize import normalize
    from transforms.parsing import parse_function

    module = (getattr(fn, "__module__", None) or "").split(".")[0]
    if (
        module in LIBRARY_MODULES
        or getattr(fn, "__tangent__", None) is not None
        or callable(getattr(fn, "tangent_backward", None))
    ):
        return fn
    cached = _JAX_VERSIONS.get((fn, loops))
    if cached is not None and cached[0] is fn.__code__:
        return cached[1]
    try:
        node, info = parse_function(fn)
    except Exception:
        return fn
    try:
        node = normalize(node, info)
    except Exception:
        pass  # a construct normal form refuses: the function as written
    later = _Later()
    _JAX_VERSIONS[(fn, loops)] = (fn.__code__, later)  # for recursive calls
    scopes = [
        dict(zip(fn.__code__.co_freevars, _cells(fn))),
        fn.__globals__,
        vars(builtins),
    ]
    try:
        free = to_jax(node, scopes, loops)
        if loops == "scan":
            from transforms.lax_control import lax_control

            for helper, alias in lax_control(node).items():
                free[alias] = getattr(jax_runtime, helper)
        cells = {
            var: cell
            for var, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ())
            if var not in free
        }
        new = codegen.compile_function(
            codegen.to_source(node),
            node.name,
            fn.__globals__,
            free=free,
            cells=cells,
            header=f"# {fn.__name__} on JAX, generated by tangent",
        )
    except Exception:  # keep the original
        _JAX_VERSIONS.pop((fn, loops), None)
        later.func = fn
        return fn
    new.__defaults__ = fn.__defaults__
    new.__kwdefaults__ = fn.__kwdefaults__
    later.func = new
    _JAX_VERSIONS[(fn, loops)] = (fn.__code__, new)
    return new


def _cells(fn):
    out = []
    for cell in fn.__closure__ or ():
        try:
            out.append(cell.cell_contents)
        except ValueError:
            out.append(None)
    return out


class _Logic(gast.NodeTransformer):
    """`not a`, `a and b`, `a or b` on atoms -> `logical_not(a)`, ...: Python's
    operators for Python values, jax.numpy's for traced ones (`not` on a
    traced boolean cannot be evaluated under jit)."""

    def __init__(self, names):
        self.names = names
        self.used: dict = {}

    def _helper(self, helper):
        if helper not in self.used:
            name, k = helper, 2
            while name in self.names:
                name, k = f"{helper}_{k}", k + 1
            self.names.add(name)
            self.used[helper] = name
        return gast.Name(
            id=self.used[helper], ctx=gast.Load(), annotation=None, type_comment=None
        )

    def visit_UnaryOp(self, node):
        node = self.generic_visit(node)
        if isinstance(node.op, gast.Not):
            return gast.Call(
                func=self._helper("logical_not"), args=[node.operand], keywords=[]
            )
        return node

    def visit_BoolOp(self, node):
        node = self.generic_visit(node)
        if not all(isinstance(v, (gast.Name, gast.Constant)) for v in node.values):
            return node  # may short-circuit around a computation: left as is
        helper = "logical_and" if isinstance(node.op, gast.And) else "logical_or"
        return gast.Call(func=self._helper(helper), args=list(node.values), keywords=[])


def to_jax(func, scopes, loops="python"):
    """Rewrite a generated (or parsed) function to run on JAX, in place.

    scopes: dicts in which its free names are looked up, first first. Index
    writes become functional updates and library references JAX's. Returns
    the objects the rewritten code needs under new names (`jnp`, `jax`,
    the JAX versions of the user's helpers)."""
    from transforms.functional import functional_updates

    updated = functional_updates(func, is_scatter_add=_is_scatter_add_call(scopes))
    # a parameter updated by index may come in as a NumPy array: make it JAX's
    params = [a.id for a in func.args.args if a.id in updated]
    converts = [
        gast.Assign(
            targets=[
                gast.Name(id=p, ctx=gast.Store(), annotation=None, type_comment=None)
            ],
            value=gast.Call(
                func=_reference_node(("jnp", "asarray")),
                args=[
                    gast.Name(id=p, ctx=gast.Load(), annotation=None, type_comment=None)
                ],
                keywords=[],
            ),
            type_comment=None,
        )
        for p in params
    ]
    func.body = converts + func.body
    rewriter = _References(scopes, _assigned(func), lambda fn: jax_version(fn, loops))
    func.body = [rewriter.visit(s) for s in func.body]
    names = {n.id for n in gast.walk(func) if isinstance(n, gast.Name)}
    logic = _Logic(names | set(rewriter.free))
    func.body = [logic.visit(s) for s in func.body]
    free = dict(rewriter.free)
    if converts:
        free["jnp"] = jnp
    for helper, alias in logic.used.items():
        free[alias] = getattr(jax_runtime, helper)
    return free


def finish(func, imports, namespace, loops="python"):
    """The JAX backend's passes over a generated function (a gast FunctionDef,
    rewritten in place): functional updates, JAX references, and with
    `loops="scan"` counted loops and data-dependent branches run by `jax.lax`.
    Returns the objects the generated code reaches through closure cells."""
    free = dict(imports)
    free.update(to_jax(func, [imports, namespace], loops))
    if loops == "scan":
        from transforms.lax_control import lax_control

        for helper, alias in lax_control(func).items():
            free[alias] = getattr(jax_runtime, helper)
    return free


def refers_to_jax(func) -> bool:
    """Whether the code of `func` reads a global bound to JAX (`jnp`, `jax.nn.relu`)."""
    import sys

    if "jax" not in sys.modules:
        return False
    seen = set()

    def visit(fn):
        if fn in seen or not isinstance(fn, types.FunctionType):
            return False
        seen.add(fn)
        globals_ = fn.__globals__
        free = dict(zip(fn.__code__.co_freevars, _cells(fn)))

        def scan(code):
            for name in code.co_names + code.co_freevars:
                value = free.get(name, globals_.get(name, None))
                if value is None:
                    continue
                if isinstance(value, types.ModuleType):
                    module = value.__name__
                else:
                    module = getattr(value, "__module__", None)
                if not isinstance(module, str):
                    continue
                root = module.split(".")[0]
                if root in ("jax", "jaxlib"):
                    return True
                # the user's own helpers, called by the function
                if (
                    isinstance(value, types.FunctionType)
                    and root
                    not in (
                        "numpy",
                        "scipy",
                        "tangent",
                        "math",
                        "builtins",
                    )
                    and visit(value)
                ):
                    return True
            return any(scan(c) for c in code.co_consts if isinstance(c, types.CodeType))

        return scan(fn.__code__)

    return visit(func)


# ----- JAX's functional updates in the user's code -----

_AT_METHODS = {
    "set": None,
    "add": "add",
    "subtract": "subtract",
    "multiply": "multiply",
    "mul": "multiply",
    "divide": "divide",
    "power": "power",
    "min": "minimum",
    "max": "maximum",
}


def _at_update(value):
    """`x.at[i].set(v)` -> (x, i, "set", v); `x.at[i].get()` -> (x, i, "get", None)."""
    if not (
        isinstance(value, gast.Call)
        and isinstance(value.func, gast.Attribute)
        and isinstance(value.func.value, gast.Subscript)
        and isinstance(value.func.value.value, gast.Attribute)
        and value.func.value.value.attr == "at"
        and isinstance(value.func.value.value.value, gast.Name)
    ):
        return None
    method = value.func.attr
    base = value.func.value.value.value
    index = value.func.value.slice
    if method == "get" and not value.args:
        return base, index, "get", None
    if method in _AT_METHODS and len(value.args) == 1 and not value.keywords:
        return base, index, method, value.args[0]
    return None


def _located(node, like):
    for n in gast.walk(node):
        gast.copy_location(n, like)
    return node


def index_writes_from_at(func, jnp_name="jnp"):
    """Rewrite JAX's functional updates in a user's function (gast, in place)
    into the index writes tangent differentiates:

        y = x.at[i].set(v)    ->  y = x.copy(); y[i] = v
        y = x.at[i].add(v)    ->  y = x.copy(); jnp.add.at(y, i, v)
        y = x.at[i].max(v)    ->  y = x.copy(); y[i] = jnp.maximum(y[i], v)
        x.at[i].get()         ->  x[i]

    An update inside a larger expression is computed first, into a new
    variable (`x_at`). The JAX backend turns the writes back into
    `.at[...]` updates in the generated code."""
    used = {n.id for n in gast.walk(func) if isinstance(n, gast.Name)}

    def fresh(base):
        name, k = base, 2
        while name in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        return name

    def load(id_):
        return gast.Name(id=id_, ctx=gast.Load(), annotation=None, type_comment=None)

    def store(id_):
        return gast.Name(id=id_, ctx=gast.Store(), annotation=None, type_comment=None)

    def writes(target, found, like):
        """The statements computing `target = <the update found>`."""
        base, index, method, value = found
        out = []
        if target != base.id:
            copy_ = gast.Call(
                func=gast.Attribute(value=load(base.id), attr="copy", ctx=gast.Load()),
                args=[],
                keywords=[],
            )
            out.append(
                gast.Assign(targets=[store(target)], value=copy_, type_comment=None)
            )
        if method == "add":
            scatter = gast.Call(
                func=gast.Attribute(
                    value=gast.Attribute(
                        value=load(jnp_name), attr="add", ctx=gast.Load()
                    ),
                    attr="at",
                    ctx=gast.Load(),
                ),
                args=[load(target), copy.deepcopy(index), value],
                keywords=[],
            )
            out.append(gast.Expr(value=scatter))
        else:
            if method == "set":
                new_value = value
            else:
                old = gast.Subscript(
                    value=load(target), slice=copy.deepcopy(index), ctx=gast.Load()
                )
                func_ = gast.Attribute(
                    value=load(jnp_name), attr=_AT_METHODS[method], ctx=gast.Load()
                )
                new_value = gast.Call(func=func_, args=[old, value], keywords=[])
            out.append(
                gast.Assign(
                    targets=[
                        gast.Subscript(
                            value=load(target),
                            slice=copy.deepcopy(index),
                            ctx=gast.Store(),
                        )
                    ],
                    value=new_value,
                    type_comment=None,
                )
            )
        return [_located(s, like) for s in out]

    class Hoist(gast.NodeTransformer):
        def __init__(self, like):
            self.like = like
            self.before = []

        def visit_Lambda(self, node):
            return node

        def visit_Call(self, node):
            node = self.generic_visit(node)
            found = _at_update(node)
            if found is None:
                return node
            base, index, method, value = found
            if method == "get":
                return gast.Subscript(value=load(base.id), slice=index, ctx=gast.Load())
            temp = fresh(f"{base.id}_at")
            self.before += writes(temp, found, self.like)
            return load(temp)

    def block(stmts):
        out = []
        for s in stmts:
            for field in ("body", "orelse"):
                inner = getattr(s, field, None)
                if (
                    isinstance(inner, list)
                    and inner
                    and not isinstance(s, gast.FunctionDef)
                ):
                    setattr(s, field, block(inner))
            if (
                isinstance(s, gast.Assign)
                and len(s.targets) == 1
                and isinstance(s.targets[0], gast.Name)
            ):
                found = _at_update(s.value)
                if found is not None and found[2] != "get":
                    hoist = Hoist(s)
                    base, index, method, value = found
                    index = hoist.visit(index)
                    value = hoist.visit(value) if value is not None else None
                    out += hoist.before
                    out += writes(s.targets[0].id, (base, index, method, value), s)
                    continue
            if isinstance(s, (gast.Assign, gast.AugAssign, gast.Return, gast.Expr)):
                if s.value is not None:
                    hoist = Hoist(s)
                    s.value = hoist.visit(s.value)
                    out += hoist.before
            out.append(s)
        return out

    func.body = block(func.body)
    return func


class Backend:
    """What `tangent.api` needs from the JAX backend for one function."""

    rules = None  # set below

    def __init__(self, namespace, loops="python"):
        self.namespace = dict(namespace)
        self.loops = loops
        # a name under which the rewritten `.at[...]` updates reach jax.numpy
        self.jnp_name = "jnp"
        if self.namespace.get("jnp", jnp) is not jnp:
            self.jnp_name = "_jnp"
        self.namespace.setdefault(self.jnp_name, jnp)
        self.view = jax_namespace(self.namespace)

    def prepare(self, node):
        return index_writes_from_at(node, self.jnp_name)

    def finish(self, node, imports):
        return self._with_jnp(node, finish(node, imports, self.namespace, self.loops))

    def _with_jnp(self, node, free):
        """jax.numpy for the `.at` updates rewritten in `prepare`, when the
        user's module has no name for it."""
        if any(
            isinstance(n, gast.Name) and n.id == self.jnp_name for n in gast.walk(node)
        ):
            free.setdefault(self.jnp_name, jnp)
        return free

    def finish_pair(self, forward, pullback, imports):
        """`finish` for the two functions of a split gradient (`vjp`), whose
        loops are paired across them (the forward's tape is the pullback's)."""
        frees = []
        for node in (forward, pullback):
            free = dict(imports)
            free.update(to_jax(node, [imports, self.namespace], self.loops))
            frees.append(free)
        if self.loops == "scan":
            from transforms.lax_control import lax_control

            for helper, alias in lax_control(forward, pullback).items():
                for free in frees:
                    free[alias] = getattr(jax_runtime, helper)
        return [self._with_jnp(n, f) for n, f in zip((forward, pullback), frees)]


Backend.rules = JAX_RULES
