"""The NumPy / SciPy rule library, one table row per case.

Every row is a small function built from source (written to a module under
pytest's tmp_path, so `inspect.getsource` works): it applies one operation
and reduces the output to a scalar with fixed random weights
(`np.sum(out * W)`), so every output entry is exercised. Its gradient from
`tangent.grad` is checked against central finite differences in float64
(`oracle.check_grads`) and, where JAX can run the same source (`np` patched
to `jax.numpy`, `special` to `jax.scipy.special`, `sla` to
`jax.scipy.linalg`), against `jax.grad` in float64 (set NOJAX=1 to skip
JAX and run in a third of the time).

Further tests: float32 in gives float32 out; ties split evenly; products
with zeros; every non-differentiable operation gives a zero gradient without
error; every registered NumPy/SciPy rule is used by some row; the registry
holds at least 250 NumPy/SciPy operations; the Markdown listing.
"""

import importlib.util
import os
import re
import sys
import zlib

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.special as special
from oracle import check_close, check_grads, numerical_grad, patched

import tangent
from tangent.rules import NONDIFFERENTIABLE, RULES

# ----- Argument specifications -----


class A:
    """A float64 array argument: its shape, its domain, whether it is differentiated."""

    def __init__(self, shape=(3, 4), kind="normal", diff=True):
        self.shape = tuple(shape)
        self.kind = kind
        self.diff = diff

    def make(self, rng):
        shape, kind = self.shape, self.kind
        n = int(np.prod(shape))
        if kind == "normal":
            return rng.normal(size=shape)
        if kind == "pos":
            return rng.uniform(0.5, 2.0, size=shape)
        if kind == "unit":
            return rng.uniform(-0.9, 0.9, size=shape)
        if kind == "prob":
            return rng.uniform(0.1, 0.9, size=shape)
        if kind == "gt1":
            return rng.uniform(1.2, 3.0, size=shape)
        if kind == "nonzero":
            return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(
                0.3, 2.0, size=shape
            )
        if kind == "distinct":  # well separated entries: no ties in max, sort, median
            return (
                rng.permutation(n) * 0.37 - 0.3 * n + rng.uniform(0, 0.05, n)
            ).reshape(shape)
        if kind == "zero":  # one exact zero
            x = rng.uniform(0.5, 2.0, size=n) * rng.choice([-1.0, 1.0], size=n)
            x[n // 2] = 0.0
            return x.reshape(shape)
        if kind == "zeros":  # two exact zeros in the first row
            x = rng.uniform(0.5, 2.0, size=n)
            x[0] = x[1] = 0.0
            return x.reshape(shape)
        if kind == "spd":  # symmetric positive definite, well conditioned
            m = rng.normal(size=shape)
            return m @ np.swapaxes(m, -1, -2) + shape[-1] * np.eye(shape[-1])
        if kind == "square":  # well conditioned
            return rng.normal(size=shape) + 3.0 * np.eye(shape[-1])
        if kind == "upper":
            return np.triu(rng.normal(size=shape)) + 3.0 * np.eye(shape[-1])
        if kind == "lower":
            return np.tril(rng.normal(size=shape)) + 3.0 * np.eye(shape[-1])
        if kind == "sorted":
            return np.sort(rng.uniform(-2, 2, size=shape)) + np.arange(n) * 0.1
        raise ValueError(kind)


class F:
    """A Python float argument."""

    diff = True

    def __init__(self, value):
        self.value = value

    def make(self, rng):
        return float(self.value)


# ----- Cases -----


class Case:
    def __init__(
        self,
        name,
        expr,
        *,
        pre="",
        reduce="weight",
        jax=True,
        rtol=1e-5,
        atol=1e-6,
        args=None,
    ):
        if (
            "xn" in expr
        ):  # NaNs made inside the function, so finite differences see them
            pre = (
                "xn = np.where(np.arange(x.size).reshape(x.shape) % 7 == 1, np.nan, x)\n"
                + pre
            )
        self.name = name
        self.expr = expr
        self.pre = pre
        self.reduce = reduce  # weight | items | squares | scalar
        self.jax = jax
        self.rtol = rtol
        self.atol = atol
        self.args = args if args is not None else {"x": A()}

    @property
    def ident(self):
        return "case_" + re.sub(r"\W", "_", self.name)

    @property
    def params(self):
        return list(self.args)

    @property
    def wrt(self):
        return tuple(i for i, spec in enumerate(self.args.values()) if spec.diff)

    def make_args(self):
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        return [spec.make(rng) for spec in self.args.values()]


CASES = []


def case(name, expr, **kw):
    args = {k: kw.pop(k) for k in list(kw) if isinstance(kw[k], (A, F))}
    CASES.append(Case(name, expr, args=args or None, **kw))


# ----- Unary elementwise -----

UNARY = {
    "sin": "normal",
    "cos": "normal",
    "tan": "unit",
    "arcsin": "unit",
    "arccos": "unit",
    "arctan": "normal",
    "sinh": "normal",
    "cosh": "normal",
    "tanh": "normal",
    "arcsinh": "normal",
    "arccosh": "gt1",
    "arctanh": "unit",
    "exp": "normal",
    "exp2": "normal",
    "expm1": "normal",
    "log": "pos",
    "log2": "pos",
    "log10": "pos",
    "log1p": "pos",
    "sqrt": "pos",
    "cbrt": "nonzero",
    "square": "normal",
    "reciprocal": "nonzero",
    "abs": "nonzero",
    "absolute": "nonzero",
    "fabs": "nonzero",
    "negative": "normal",
    "positive": "normal",
    "sinc": "normal",
    "deg2rad": "normal",
    "rad2deg": "normal",
    "degrees": "normal",
    "radians": "normal",
    "nan_to_num": "normal",
    "real": "normal",
    "imag": "normal",
    "conj": "normal",
    "conjugate": "normal",
}
for _fn, _kind in UNARY.items():
    case(_fn, f"np.{_fn}(x)", x=A((3, 4), _kind))
case("sin_python_float", "np.sin(x) * np.exp(x)", reduce="scalar", x=F(0.3))
case("exp_0d", "np.exp(x)", x=A(()))
case("method_conj", "x.conj()")
case("method_conjugate", "x.conjugate()")
case("attribute_real", "x.real")
case("attribute_imag", "x.imag + x")
case(
    "nan_to_num_inf", "np.nan_to_num(np.where(x > 0, x, np.nan))", x=A((5,), "nonzero")
)

# ----- Binary elementwise, with broadcasting -----

BINARY = {
    "add": ("normal", "normal"),
    "subtract": ("normal", "normal"),
    "multiply": ("normal", "normal"),
    "divide": ("normal", "nonzero"),
    "true_divide": ("normal", "nonzero"),
    "power": ("pos", "normal"),
    "float_power": ("pos", "normal"),
    "maximum": ("normal", "normal"),
    "minimum": ("normal", "normal"),
    "fmax": ("normal", "normal"),
    "fmin": ("normal", "normal"),
    "logaddexp": ("normal", "normal"),
    "logaddexp2": ("normal", "normal"),
    "hypot": ("nonzero", "nonzero"),
    "arctan2": ("nonzero", "nonzero"),
    "copysign": ("nonzero", "nonzero"),
    "fmod": ("normal", "pos"),
    "remainder": ("normal", "pos"),
    "mod": ("normal", "pos"),
}
SHAPES = {
    "same": ((3, 4), (3, 4)),
    "row": ((3, 4), (4,)),
    "outer": ((3, 1), (1, 4)),
    "scalar": ((3, 4), ()),
    "left": ((), (2, 3)),
}
for _fn, (_k1, _k2) in BINARY.items():
    for _tag, (_s1, _s2) in SHAPES.items():
        case(f"{_fn}_{_tag}", f"np.{_fn}(x, y)", x=A(_s1, _k1), y=A(_s2, _k2))
    case(f"{_fn}_const", f"np.{_fn}(x, 1.5)", x=A((4,), _k1))
case("power_int_exponent", "np.power(x, 3)", x=A((4,), "normal"))
case("ldexp", "np.ldexp(x, np.array([1, -1, 2, 0]))", x=A((3, 4)))

# ----- Selection -----

case("where", "np.where(x > 0, x, y)", x=A((3, 4)), y=A((3, 4)))
case("where_broadcast", "np.where(x > 0, x * 2.0, y)", x=A((3, 4)), y=A((4,)))
case("where_scalar", "np.where(x > 0, x, 0.0)", x=A((3, 4)))
case("clip", "np.clip(x, -0.5, 0.5)")
case("clip_keywords", "np.clip(x, a_min=-0.5, a_max=0.5)")
case("clip_min_only", "np.clip(x, -0.5, None)")
case("clip_new_keywords", "np.clip(x, min=-0.5, max=0.5)")
case(
    "clip_array_bounds",
    "np.clip(x, lo, hi)",
    x=A((3, 4)),
    lo=A((4,), "unit"),
    hi=A((3, 1), "pos"),
)
case("method_clip", "x.clip(-0.5, 0.5)")
case("method_clip_keywords", "x.clip(min=-0.3)")
case(
    "select",
    "np.select([x < -0.5, x > 0.5], [x * 2.0, y], default=z)",
    x=A((3, 4)),
    y=A((3, 4)),
    z=A((4,)),
)
case(
    "interp",
    "np.interp(x, xp, fp)",
    x=A((5,), "unit"),
    xp=A((4,), "sorted"),
    fp=A((4,)),
)
case(
    "interp_outside",
    "np.interp(x * 3.0, xp, fp)",
    x=A((6,), "unit"),
    xp=A((4,), "sorted", diff=False),
    fp=A((4,)),
)

# ----- Reductions -----

AXES = {
    "all": "",
    "axis0": ", axis=0",
    "axis_neg": ", axis=-1",
    "axis_tuple": ", axis=(0, 2)",
    "keepdims": ", axis=1, keepdims=True",
    "all_keepdims": ", keepdims=True",
}
REDUCTIONS = {
    "sum": "normal",
    "mean": "normal",
    "prod": "pos",
    "max": "distinct",
    "min": "distinct",
    "amax": "distinct",
    "amin": "distinct",
    "var": "normal",
    "std": "normal",
    "nansum": "nan",
    "nanmean": "nan",
    "nanmax": "nan",
    "nanmin": "nan",
    "nanprod": "nan",
    "nanvar": "nan",
    "nanstd": "nan",
    "ptp": "distinct",
    "median": "distinct",
}
for _fn, _kind in REDUCTIONS.items():
    for _tag, _kw in AXES.items():
        if _fn == "median" and _tag == "all_keepdims":
            continue
        _arg = "xn" if _kind == "nan" else "x"
        _kind = "distinct" if _kind == "nan" else _kind
        case(f"{_fn}_{_tag}", f"np.{_fn}({_arg}{_kw})", x=A((2, 3, 4), _kind))
case("sum_keyword_a", "np.sum(a=x, axis=0)")
case("sum_where", "np.sum(x, axis=1, where=x > 0)")
case("mean_where", "np.mean(x, axis=0, where=x > -0.5)")
case("max_initial", "np.max(x, axis=0, initial=0.5)", x=A((3, 4), "distinct"))
case("var_ddof", "np.var(x, axis=1, ddof=1)")
case("std_ddof", "np.std(x, ddof=1)")
case("var_correction", "np.var(x, axis=0, correction=1)")
case("nanvar_ddof", "np.nanvar(xn, axis=1, ddof=1)", x=A((3, 4)))
case("nanstd_ddof", "np.nanstd(xn, ddof=1)", x=A((3, 4)))
case("prod_zero", "np.prod(x)", x=A((5,), "zero"))
case("prod_zeros", "np.prod(x, axis=1)", x=A((3, 4), "zeros"))
case("prod_zero_tuple", "np.prod(x, axis=(0, 2))", x=A((2, 3, 2), "zero"))
case("median_even", "np.median(x)", x=A((2, 3), "distinct"))
for _fn in ("cumsum", "cumprod", "nancumsum"):
    _kind = "pos" if _fn == "cumprod" else "normal"
    _arg = "xn" if _fn == "nancumsum" else "x"
    case(f"{_fn}_flat", f"np.{_fn}({_arg})", x=A((3, 4), _kind))
    case(f"{_fn}_axis0", f"np.{_fn}({_arg}, axis=0)", x=A((3, 4), _kind))
    case(f"{_fn}_axis_neg", f"np.{_fn}({_arg}, axis=-1)", x=A((2, 3, 4), _kind))
case("cumprod_zero", "np.cumprod(x)", x=A((5,), "zero"))
case("cumprod_zeros_axis", "np.cumprod(x, axis=1)", x=A((3, 4), "zeros"))
case("cumulative_sum", "np.cumulative_sum(x, axis=1)", x=A((3, 4)))
case("cumulative_sum_initial", "np.cumulative_sum(x, include_initial=True)", x=A((5,)))
case("cumulative_prod", "np.cumulative_prod(x, axis=0)", x=A((3, 4), "pos"))
case(
    "cumulative_prod_initial",
    "np.cumulative_prod(x, include_initial=True)",
    x=A((5,), "zero"),
)
case("average", "np.average(x)")
case("average_axis", "np.average(x, axis=1)")
case(
    "average_weights",
    "np.average(x, axis=0, weights=w)",
    x=A((3, 4)),
    w=A((3, 4), "pos"),
)
case(
    "average_weights_1d",
    "np.average(x, axis=1, weights=w)",
    x=A((3, 4)),
    w=A((4,), "pos"),
)
case("average_weights_all", "np.average(x, weights=w)", x=A((3, 4)), w=A((3, 4), "pos"))
case(
    "average_keepdims",
    "np.average(x, axis=0, weights=w, keepdims=True)",
    x=A((3, 4)),
    w=A((3, 4), "pos"),
)
case("trace", "np.trace(x)", x=A((3, 4)))
case("trace_offset", "np.trace(x, offset=1)", x=A((3, 4)))
case("trace_negative_offset", "np.trace(x, -1)", x=A((3, 4)))
case("trace_axes", "np.trace(x, axis1=1, axis2=2)", x=A((2, 3, 3)))
case("linalg_trace", "np.linalg.trace(x)", x=A((2, 3, 3)))
case("linalg_trace_offset", "np.linalg.trace(x, offset=1)", x=A((2, 3, 4)))

NORMS = {
    "vec": ("", (5,)),
    "vec_1": (", 1", (5,)),
    "vec_2": (", 2", (5,)),
    "vec_inf": (", np.inf", (5,)),
    "vec_ninf": (", -np.inf", (5,)),
    "vec_p3": (", 3", (5,)),
    "vec_p05": (", 0.5", (5,)),
    "vec_0": (", 0", (5,)),
    "flat_3d": ("", (2, 3, 4)),
    "mat_fro": (", 'fro'", (3, 4)),
    "mat_default": ("", (3, 4)),
    "mat_nuc": (", 'nuc'", (3, 4)),
    "mat_2": (", 2", (3, 4)),
    "mat_neg2": (", -2", (4, 3)),
    "mat_1": (", 1", (3, 4)),
    "mat_neg1": (", -1", (3, 4)),
    "mat_inf": (", np.inf", (3, 4)),
    "mat_ninf": (", -np.inf", (3, 4)),
    "axis": (", axis=1", (3, 4)),
    "axis_keepdims": (", 1, axis=0, keepdims=True", (3, 4)),
    "axis_p3": (", 3, -1", (3, 4)),
    "matrix_axes": (", 'fro', (0, 2)", (3, 2, 4)),
    "matrix_axes_nuc": (", 'nuc', (2, 0), True", (3, 2, 4)),
    "all_keepdims": (", keepdims=True", (3, 4)),
}
for _tag, (_kw, _shape) in NORMS.items():
    case(f"norm_{_tag}", f"np.linalg.norm(x{_kw})", x=A(_shape, "nonzero"))
case("vector_norm", "np.linalg.vector_norm(x)", x=A((3, 4)))
case(
    "vector_norm_axis",
    "np.linalg.vector_norm(x, axis=(0, 2), ord=3)",
    x=A((2, 3, 4), "nonzero"),
)
case(
    "vector_norm_keepdims",
    "np.linalg.vector_norm(x, axis=1, keepdims=True, ord=1)",
    x=A((3, 4), "nonzero"),
)
case("matrix_norm", "np.linalg.matrix_norm(x)", x=A((2, 3, 4)))
case("matrix_norm_nuc", "np.linalg.matrix_norm(x, ord='nuc')", x=A((2, 3, 4)))
case(
    "matrix_norm_inf_keepdims",
    "np.linalg.matrix_norm(x, ord=np.inf, keepdims=True)",
    x=A((2, 3, 4), "nonzero"),
)

# ----- Reductions as methods -----

METHODS = {
    "sum": "x.sum()",
    "sum_axis": "x.sum(axis=1)",
    "sum_keepdims": "x.sum(0, keepdims=True)",
    "mean": "x.mean(axis=(0, 1))",
    "prod": "x.prod()",
    "prod_axis": "x.prod(axis=-1)",
    "max": "x.max(axis=0)",
    "min": "x.min(axis=1, keepdims=True)",
    "max_all": "x.max()",
    "var": "x.var()",
    "var_ddof": "x.var(axis=0, ddof=1)",
    "std": "x.std(axis=-1)",
    "cumsum": "x.cumsum()",
    "cumsum_axis": "x.cumsum(axis=1)",
    "cumprod": "x.cumprod(axis=0)",
    "trace": "x.trace()",
    "trace_offset": "x.trace(1)",
}
for _tag, _src in METHODS.items():
    case(f"method_{_tag}", _src, x=A((3, 4), "pos" if "prod" in _tag else "distinct"))

# ----- Products and contractions -----

case("dot_vv", "np.dot(a, b)", a=A((4,)), b=A((4,)))
case("dot_mv", "np.dot(a, b)", a=A((3, 4)), b=A((4,)))
case("dot_vm", "np.dot(a, b)", a=A((3,)), b=A((3, 4)))
case("dot_mm", "np.dot(a, b)", a=A((2, 3)), b=A((3, 4)))
case("dot_nd", "np.dot(a, b)", a=A((2, 2, 3)), b=A((3, 4)))
case("dot_nd_nd", "np.dot(a, b)", a=A((2, 3)), b=A((2, 3, 4)))
case("dot_scalar", "np.dot(a, b)", a=A(()), b=A((3, 4)))
case("method_dot", "a.dot(b)", a=A((2, 3)), b=A((3, 4)))
case("vdot", "np.vdot(a, b)", a=A((3, 4)), b=A((3, 4)))
case("vdot_flat", "np.vdot(a, b)", a=A((2, 3)), b=A((6,)))
case("inner_vv", "np.inner(a, b)", a=A((4,)), b=A((4,)))
case("inner_mm", "np.inner(a, b)", a=A((2, 4)), b=A((3, 4)))
case("inner_nd", "np.inner(a, b)", a=A((2, 3, 4)), b=A((4,)))
case("inner_scalar", "np.inner(a, b)", a=A((3,)), b=A(()))
case("outer", "np.outer(a, b)", a=A((3,)), b=A((4,)))
case("outer_flattens", "np.outer(a, b)", a=A((2, 2)), b=A((3,)))
case("linalg_outer", "np.linalg.outer(a, b)", a=A((3,)), b=A((4,)))
case("matmul", "np.matmul(a, b)", a=A((2, 3)), b=A((3, 4)))
case("matmul_operator", "a @ b", a=A((2, 3)), b=A((3, 4)))
case("matmul_vm", "np.matmul(a, b)", a=A((3,)), b=A((2, 3, 4)))
case("matmul_mv", "np.matmul(a, b)", a=A((2, 3, 4)), b=A((4,)))
case("matmul_vv", "np.matmul(a, b)", a=A((4,)), b=A((4,)))
case("matmul_batched", "np.matmul(a, b)", a=A((2, 3, 4)), b=A((2, 4, 2)))
case("matmul_broadcast", "np.matmul(a, b)", a=A((2, 1, 3, 4)), b=A((3, 4, 2)))
case("linalg_matmul", "np.linalg.matmul(a, b)", a=A((2, 3)), b=A((3, 4)))
case("vecdot", "np.vecdot(a, b)", a=A((3, 4)), b=A((4,)))
case("vecdot_axis", "np.vecdot(a, b, axis=0)", a=A((3, 4)), b=A((3, 4)))
case("linalg_vecdot", "np.linalg.vecdot(a, b)", a=A((2, 3)), b=A((2, 3)))
case("tensordot_2", "np.tensordot(a, b)", a=A((2, 3, 4)), b=A((3, 4, 2)))
case("tensordot_1", "np.tensordot(a, b, 1)", a=A((2, 3)), b=A((3, 4)))
case("tensordot_0", "np.tensordot(a, b, 0)", a=A((2,)), b=A((3,)))
case(
    "tensordot_pairs",
    "np.tensordot(a, b, axes=([1, 0], [0, 2]))",
    a=A((2, 3, 4)),
    b=A((3, 5, 2)),
)
case("tensordot_ints", "np.tensordot(a, b, axes=(1, 0))", a=A((2, 3)), b=A((3, 4)))
case("linalg_tensordot", "np.linalg.tensordot(a, b, axes=1)", a=A((2, 3)), b=A((3, 4)))
EINSUMS = {
    "matmul": ("ij,jk->ik", [(2, 3), (3, 4)]),
    "implicit": ("ij,jk", [(2, 3), (3, 4)]),
    "implicit_transpose": ("ba", [(2, 3)]),
    "trace": ("ii->", [(3, 3)]),
    "trace_implicit": ("ii", [(3, 3)]),
    "diagonal": ("ii->i", [(3, 3)]),
    "sum_axis": ("ij->i", [(3, 4)]),
    "sum_all": ("ij->", [(3, 4)]),
    "outer": ("i,j->ij", [(3,), (4,)]),
    "batched": ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    "ellipsis": ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]),
    "ellipsis_broadcast": ("...i,...i->...", [(2, 1, 3), (4, 3)]),
    "ellipsis_middle": ("i...j,j->i...", [(2, 3, 4), (4,)]),
    "three": ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    "repeated_in_two": ("ii,i->i", [(3, 3), (3,)]),
    "bilinear": ("i,ij,j->", [(3,), (3, 4), (4,)]),
    "repeated_3d": ("iij->j", [(3, 3, 2)]),
    "hadamard": ("ij,ij->ij", [(3, 4), (3, 4)]),
    "broadcast_label": ("ij,kj->ikj", [(2, 4), (3, 4)]),
    "uppercase": ("Ab,bC->AC", [(2, 3), (3, 4)]),
    "four": ("ab,bc,cd,d->a", [(2, 3), (3, 4), (4, 2), (2,)]),
    "five": ("a,a,a,a,a->", [(3,), (3,), (3,), (3,), (3,)]),
}
for _tag, (_spec, _shapes) in EINSUMS.items():
    _names = "abcde"[: len(_shapes)]
    _args = {n: A(s) for n, s in zip(_names, _shapes, strict=True)}
    CASES.append(
        Case(f"einsum_{_tag}", f"np.einsum('{_spec}', {', '.join(_names)})", args=_args)
    )
case(
    "einsum_constant_operand", "np.einsum('ij,jk->ik', a, np.ones((3, 2)))", a=A((2, 3))
)
case(
    "einsum_optimize",
    "np.einsum('ij,jk,kl->il', a, b, c, optimize=True)",
    a=A((2, 3)),
    b=A((3, 4)),
    c=A((4, 2)),
)
case("kron_1d", "np.kron(a, b)", a=A((2,)), b=A((3,)))
case("kron_2d", "np.kron(a, b)", a=A((2, 3)), b=A((2, 2)))
case("kron_mixed", "np.kron(a, b)", a=A((2,)), b=A((2, 3)))
case("cross", "np.cross(a, b)", a=A((4, 3)), b=A((4, 3)))
case("cross_broadcast", "np.cross(a, b)", a=A((4, 3)), b=A((3,)))
case("cross_axis", "np.cross(a, b, axis=0)", a=A((3, 4)), b=A((3, 4)))
case("linalg_cross", "np.linalg.cross(a, b)", a=A((2, 3)), b=A((2, 3)))
case(
    "multi_dot", "np.linalg.multi_dot([a, b, c])", a=A((2, 3)), b=A((3, 4)), c=A((4, 2))
)
case(
    "multi_dot_vectors",
    "np.linalg.multi_dot([a, b, c])",
    a=A((3,)),
    b=A((3, 4)),
    c=A((4,)),
)
for _mode in ("full", "same", "valid"):
    for _tag, (_n, _m) in {
        "long": (6, 3),
        "short": (3, 5),
        "even": (4, 4),
        "even2": (5, 2),
    }.items():
        case(
            f"convolve_{_mode}_{_tag}",
            f"np.convolve(a, v, '{_mode}')",
            a=A((_n,)),
            v=A((_m,)),
        )
        case(
            f"correlate_{_mode}_{_tag}",
            f"np.correlate(a, v, mode='{_mode}')",
            a=A((_n,)),
            v=A((_m,)),
        )
case("correlate_default", "np.correlate(a, v)", a=A((6,)), v=A((3,)))
case("convolve_default", "np.convolve(a, v)", a=A((3,)), v=A((4,)))

# ----- Linear algebra -----

SYM = "s = x @ x.T + 4.0 * np.eye(x.shape[0], dtype=x.dtype)"
SYM_BATCH = "s = x @ np.swapaxes(x, -1, -2) + 4.0 * np.eye(x.shape[-1], dtype=x.dtype)"
case("solve_vector", "np.linalg.solve(a, b)", a=A((3, 3), "square"), b=A((3,)))
case("solve_matrix", "np.linalg.solve(a, b)", a=A((3, 3), "square"), b=A((3, 2)))
case("solve_batched", "np.linalg.solve(a, b)", a=A((2, 3, 3), "square"), b=A((2, 3, 2)))
case("inv", "np.linalg.inv(a)", a=A((3, 3), "square"))
case("inv_batched", "np.linalg.inv(a)", a=A((2, 3, 3), "square"))
case("det", "np.linalg.det(a)", a=A((3, 3), "square"))
case("det_batched", "np.linalg.det(a)", a=A((2, 3, 3), "square"))
case("slogdet", "np.linalg.slogdet(a)[1]", a=A((3, 3), "square"))
case(
    "slogdet_unpacked",
    "logdet",
    pre="sign, logdet = np.linalg.slogdet(a)",
    a=A((2, 3, 3), "square"),
)
case("slogdet_negative", "np.linalg.slogdet(-a)[1]", a=A((3, 3), "square"))
case("cholesky", "np.linalg.cholesky(s)", pre=SYM, x=A((3, 3)))
case("cholesky_batched", "np.linalg.cholesky(s)", pre=SYM_BATCH, x=A((2, 3, 3)))
case("cholesky_upper", "np.linalg.cholesky(s, upper=True)", pre=SYM, x=A((3, 3)))
case("eigh", "np.linalg.eigh(s)", pre=SYM, reduce="squares", x=A((3, 3)))
case("eigh_values", "np.linalg.eigh(s)[0]", pre=SYM, x=A((3, 3)))
case(
    "eigh_vectors",
    "v",
    pre=SYM + "\nw, v = np.linalg.eigh(s)",
    reduce="squares",
    x=A((3, 3)),
)
case(
    "eigh_batched", "np.linalg.eigh(s)", pre=SYM_BATCH, reduce="squares", x=A((2, 3, 3))
)
case("eigvalsh", "np.linalg.eigvalsh(s)", pre=SYM, x=A((3, 3)))
case("svd_values", "np.linalg.svd(a, compute_uv=False)", a=A((3, 4)))
case("svd_values_batched", "np.linalg.svd(a, compute_uv=False)", a=A((2, 4, 3)))
case("svdvals", "np.linalg.svdvals(a)", a=A((4, 3)))
case(
    "svd_reduced_wide",
    "np.linalg.svd(a, full_matrices=False)",
    reduce="squares",
    a=A((3, 4)),
)
case(
    "svd_reduced_tall",
    "np.linalg.svd(a, full_matrices=False)",
    reduce="squares",
    a=A((4, 3)),
)
case("svd_square", "np.linalg.svd(a)", reduce="squares", a=A((3, 3)))
case("svd_full_values", "np.linalg.svd(a)[1]", a=A((4, 3)))
case("qr_tall", "np.linalg.qr(a)", reduce="items", a=A((4, 3)))
case("qr_square", "np.linalg.qr(a)", reduce="items", a=A((3, 3)))
case("qr_wide", "np.linalg.qr(a)", reduce="items", a=A((3, 5)))
case("qr_r", "np.linalg.qr(a, mode='r')", a=A((4, 3)))
case("qr_batched", "np.linalg.qr(a)", reduce="items", a=A((2, 4, 3)))
case("pinv_tall", "np.linalg.pinv(a)", a=A((4, 3)))
case("pinv_wide", "np.linalg.pinv(a)", a=A((2, 4)))
case("pinv_square", "np.linalg.pinv(a)", a=A((3, 3), "square"))
case("lstsq", "np.linalg.lstsq(a, b)[0]", a=A((5, 3)), b=A((5,)))
case("lstsq_matrix", "np.linalg.lstsq(a, b)[0]", a=A((5, 3)), b=A((5, 2)))
case("lstsq_residuals", "np.linalg.lstsq(a, b)[1]", a=A((5, 3)), b=A((5, 2)))
case("lstsq_singular_values", "np.linalg.lstsq(a, b)[3]", a=A((5, 3)), b=A((5,)))
case("matrix_power_3", "np.linalg.matrix_power(a, 3)", a=A((3, 3)))
case("matrix_power_1", "np.linalg.matrix_power(a, 1)", a=A((3, 3)))
case("matrix_power_0", "np.linalg.matrix_power(a, 0) + a", a=A((3, 3)))
case("matrix_power_neg", "np.linalg.matrix_power(a, -2)", a=A((3, 3), "square"))

# ----- Shapes -----

SHAPE_CASES = {
    "reshape": ("np.reshape(x, (4, 3))", (3, 4)),
    "reshape_minus_one": ("np.reshape(x, (2, -1))", (3, 4)),
    "reshape_keyword": ("np.reshape(x, shape=(12,))", (3, 4)),
    "reshape_order_f": ("np.reshape(x, (4, 3), order='F')", (3, 4)),
    "method_reshape_varargs": ("x.reshape(2, 6)", (3, 4)),
    "method_reshape_tuple": ("x.reshape((6, -1))", (3, 4)),
    "ravel": ("np.ravel(x)", (3, 4)),
    "method_ravel": ("x.ravel()", (3, 4)),
    "method_flatten": ("x.flatten()", (3, 4)),
    "squeeze": ("np.squeeze(x)", (3, 1, 4)),
    "squeeze_axis": ("np.squeeze(x, axis=1)", (3, 1, 4)),
    "method_squeeze": ("x.squeeze()", (1, 4)),
    "expand_dims": ("np.expand_dims(x, 1)", (3, 4)),
    "expand_dims_tuple": ("np.expand_dims(x, axis=(0, -1))", (3, 4)),
    "atleast_1d": ("np.atleast_1d(x)", ()),
    "atleast_2d": ("np.atleast_2d(x)", (4,)),
    "atleast_3d": ("np.atleast_3d(x)", (3, 4)),
    "broadcast_to": ("np.broadcast_to(x, (2, 3, 4))", (3, 1)),
    "transpose": ("np.transpose(x)", (2, 3, 4)),
    "transpose_axes": ("np.transpose(x, (1, 2, 0))", (2, 3, 4)),
    "transpose_negative_axes": ("np.transpose(x, axes=(-1, 0, 1))", (2, 3, 4)),
    "permute_dims": ("np.permute_dims(x, (2, 0, 1))", (2, 3, 4)),
    "method_transpose": ("x.transpose()", (3, 4)),
    "method_transpose_varargs": ("x.transpose(1, 2, 0)", (2, 3, 4)),
    "method_transpose_tuple": ("x.transpose((2, 0, 1))", (2, 3, 4)),
    "attribute_T": ("x.T", (3, 4)),
    "attribute_mT": ("x.mT", (2, 3, 4)),
    "matrix_transpose": ("np.matrix_transpose(x)", (2, 3, 4)),
    "linalg_matrix_transpose": ("np.linalg.matrix_transpose(x)", (3, 4)),
    "swapaxes": ("np.swapaxes(x, 0, 2)", (2, 3, 4)),
    "method_swapaxes": ("x.swapaxes(-1, 0)", (2, 3, 4)),
    "moveaxis": ("np.moveaxis(x, 0, -1)", (2, 3, 4)),
    "moveaxis_multi": ("np.moveaxis(x, [0, 1], [2, 0])", (2, 3, 4)),
    "rollaxis": ("np.rollaxis(x, 2)", (2, 3, 4)),
    "rollaxis_start": ("np.rollaxis(x, 0, 3)", (2, 3, 4)),
    "rollaxis_negative": ("np.rollaxis(x, -1, -2)", (2, 3, 4)),
    "flip": ("np.flip(x)", (3, 4)),
    "flip_axis": ("np.flip(x, 1)", (3, 4)),
    "fliplr": ("np.fliplr(x)", (3, 4)),
    "flipud": ("np.flipud(x)", (3, 4)),
    "rot90": ("np.rot90(x)", (3, 4)),
    "rot90_k": ("np.rot90(x, 3, axes=(1, 2))", (2, 3, 4)),
    "roll": ("np.roll(x, 2)", (3, 4)),
    "roll_axis": ("np.roll(x, -1, axis=1)", (3, 4)),
    "roll_tuple": ("np.roll(x, (1, 2), axis=(0, 1))", (3, 4)),
    "tile": ("np.tile(x, 2)", (3,)),
    "tile_2d": ("np.tile(x, (2, 3))", (2, 2)),
    "tile_more_reps": ("np.tile(x, (2, 1, 2))", (2, 3)),
    "repeat": ("np.repeat(x, 2)", (3, 2)),
    "repeat_axis": ("np.repeat(x, 3, axis=1)", (3, 2)),
    "repeat_array": ("np.repeat(x, np.array([1, 0, 2]), axis=0)", (3, 2)),
    "method_repeat": ("x.repeat(2, axis=-1)", (3, 2)),
    "pad": ("np.pad(x, 1)", (3, 4)),
    "pad_widths": ("np.pad(x, ((1, 0), (2, 1)))", (3, 4)),
    "pad_constant_value": ("np.pad(x, (1, 2), constant_values=3.0)", (3, 4)),
    "pad_edge": ("np.pad(x, 2, mode='edge')", (3, 4)),
    "pad_reflect": ("np.pad(x, ((1, 2), (2, 1)), mode='reflect')", (3, 4)),
    "pad_symmetric": ("np.pad(x, 2, mode='symmetric')", (3, 4)),
    "pad_wrap": ("np.pad(x, (3, 1), 'wrap')", (3, 4)),
    "diag_vector": ("np.diag(x)", (3,)),
    "diag_vector_k": ("np.diag(x, 1)", (3,)),
    "diag_matrix": ("np.diag(x)", (3, 4)),
    "diag_matrix_k": ("np.diag(x, k=-1)", (3, 4)),
    "diagflat": ("np.diagflat(x)", (2, 2)),
    "diagflat_k": ("np.diagflat(x, -1)", (3,)),
    "diagonal": ("np.diagonal(x)", (3, 4)),
    "diagonal_offset": ("np.diagonal(x, 1)", (3, 4)),
    "diagonal_axes": ("np.diagonal(x, offset=-1, axis1=2, axis2=0)", (3, 2, 4)),
    "method_diagonal": ("x.diagonal()", (3, 4)),
    "linalg_diagonal": ("np.linalg.diagonal(x)", (2, 3, 4)),
    "triu": ("np.triu(x)", (3, 4)),
    "triu_k": ("np.triu(x, 1)", (3, 4)),
    "tril": ("np.tril(x)", (3, 4)),
    "tril_k_batched": ("np.tril(x, k=-1)", (2, 3, 3)),
    "sort": ("np.sort(x)", (3, 4)),
    "sort_axis0": ("np.sort(x, axis=0)", (3, 4)),
    "sort_flat": ("np.sort(x, axis=None)", (3, 4)),
    "take_along_axis": ("np.take_along_axis(x, np.argsort(x, axis=1), axis=1)", (3, 4)),
    "take_along_axis_repeat": (
        "np.take_along_axis(x, np.array([[0, 0], [3, 1], [2, 2]]), 1)",
        (3, 4),
    ),
    "take_along_axis_none": (
        "np.take_along_axis(x, np.array([0, 5, 5]), None)",
        (3, 4),
    ),
    "take": ("np.take(x, np.array([0, 5, 5, 11]))", (3, 4)),
    "take_axis": ("np.take(x, np.array([3, 0, 0]), axis=1)", (3, 4)),
    "take_2d_indices": ("np.take(x, np.array([[0, 1], [2, 2]]), axis=0)", (3, 4)),
    "take_wrap": ("np.take(x, np.array([4, -1]), axis=1, mode='wrap')", (3, 4)),
    "take_clip": ("np.take(x, np.array([7, 0]), mode='clip')", (3, 4)),
    "method_take": ("x.take(np.array([1, 1, 2]), axis=0)", (3, 4)),
    "compress": ("np.compress(np.array([True, False, True]), x, axis=0)", (3, 4)),
    "compress_flat": ("np.compress(np.array([False, True, True]), x)", (3, 4)),
    "method_compress": (
        "x.compress(np.array([False, True, True, True]), axis=1)",
        (3, 4),
    ),
    "extract": ("np.extract(x > 0, x)", (3, 4)),
    "delete": ("np.delete(x, 1, axis=1)", (3, 4)),
    "delete_flat": ("np.delete(x, np.array([0, 3]))", (3, 4)),
    "diff": ("np.diff(x)", (3, 4)),
    "diff_axis0": ("np.diff(x, axis=0)", (3, 4)),
    "diff_n2": ("np.diff(x, n=2)", (3, 5)),
    "unstack_sum": ("np.unstack(x)[0] * 2.0 + np.unstack(x)[2]", (3, 4)),
}
for _tag, (_src, _shape) in SHAPE_CASES.items():
    case(_tag, _src, x=A(_shape, "distinct"))
# jax.numpy.partition orders the partitions differently: a different function
case("partition", "np.partition(x, 2)", jax=False, x=A((3, 5), "distinct"))
case("partition_axis", "np.partition(x, 1, axis=0)", jax=False, x=A((3, 5), "distinct"))
case(
    "pad_constant_values_grad",
    "np.pad(x, (1, 2), constant_values=c)",
    x=A((3, 4)),
    c=A(()),
)
case(
    "diff_prepend_append",
    "np.diff(x, prepend=p, append=q)",
    x=A((3, 4)),
    p=A((3, 1)),
    q=A(()),
)
case("diff_prepend_scalar", "np.diff(x, axis=0, prepend=p)", x=A((3, 4)), p=A(()))
case("insert", "np.insert(x, 1, v, axis=1)", x=A((3, 4)), v=A((3,)))
case("insert_flat", "np.insert(x, np.array([0, 2]), v)", x=A((3, 4)), v=A((2,)))
case("insert_scalar", "np.insert(x, 2, v, axis=0)", x=A((3, 4)), v=A(()))
case("append", "np.append(x, v)", x=A((3, 4)), v=A((2,)))
case("append_axis", "np.append(x, v, axis=0)", x=A((3, 4)), v=A((2, 4)))

# joining: lists of arrays
JOINS = {
    "concatenate": ("np.concatenate([a, b])", (2, 3), (4, 3)),
    "concatenate_axis1": ("np.concatenate((a, b), axis=1)", (2, 3), (2, 1)),
    "concatenate_none": ("np.concatenate([a, b], axis=None)", (2, 3), (4,)),
    "concat": ("np.concat([a, b, a], axis=-1)", (2, 3), (2, 2)),
    "stack": ("np.stack([a, b])", (2, 3), (2, 3)),
    "stack_axis": ("np.stack((a, b, a), axis=-1)", (2, 3), (2, 3)),
    "vstack": ("np.vstack([a, b])", (3,), (2, 3)),
    "hstack": ("np.hstack([a, b])", (3,), (2,)),
    "hstack_2d": ("np.hstack((a, b))", (2, 3), (2, 1)),
    "dstack": ("np.dstack([a, b])", (2, 3), (2, 3, 2)),
    "dstack_1d": ("np.dstack([a, b])", (3,), (3,)),
    "column_stack": ("np.column_stack([a, b])", (3,), (3, 2)),
}
for _tag, (_src, _s1, _s2) in JOINS.items():
    case(_tag, _src, a=A(_s1), b=A(_s2))
case("concatenate_constant", "np.concatenate([a, np.zeros((1, 3))])", a=A((2, 3)))
SPLITS = {
    "split": ("np.split(x, 2)", (4, 3)),
    "split_indices": ("np.split(x, [1, 3], axis=1)", (2, 5)),
    "array_split": ("np.array_split(x, 3)", (5, 2)),
    "hsplit": ("np.hsplit(x, 2)", (3, 4)),
    "hsplit_1d": ("np.hsplit(x, 2)", (4,)),
    "vsplit": ("np.vsplit(x, [1])", (3, 4)),
    "dsplit": ("np.dsplit(x, 2)", (2, 1, 4)),
    "unstack": ("np.unstack(x, axis=1)", (3, 4)),
}
for _tag, (_src, _shape) in SPLITS.items():
    case(_tag, _src, reduce="items", x=A(_shape))
case("split_unpacked_one_used", "p * 2.0", pre="p, q, r = np.split(x, 3)", x=A((6,)))
case("split_unused_piece", "np.split(x, 3)[1]", x=A((6, 2)))

# ----- Construction and conversion -----

case(
    "array_of_scalars",
    "np.array([a, b * 2.0, a * b])",
    reduce="weight",
    a=F(0.7),
    b=F(-1.3),
)
case("array_of_arrays", "np.array([a, 2.0 * a, b])", a=A((3,)), b=A((3,)))
case("array_nested", "np.array([[a, b], [b, a]])", a=A(()), b=A(()))
case("array_copy", "np.array(x)")
case("array_ndmin", "np.array(x, ndmin=3)")
case("asarray", "np.asarray(x)")
case("asarray_list", "np.asarray([x, np.sin(x)])")
case("asanyarray", "np.asanyarray(x)")
case("ascontiguousarray", "np.ascontiguousarray(x.T)")
case("asfortranarray", "np.asfortranarray(x)")
case("asarray_chkfinite", "np.asarray_chkfinite(x)")
case("copy", "np.copy(x)")
case("method_copy", "x.copy()")
case("method_astype", "x.astype(np.float32).astype(np.float64)", rtol=0.05, atol=1e-3)
case("method_reshape_order", "x.reshape(4, 3, order='F')")
case("method_astype_int", "x.astype(int) * x")
case("astype", "np.astype(x, np.float64)")
# JAX treats .item() as the end of differentiation
case("method_item", "x.item(1) * x", jax=False, x=A((3,)))
case("method_item_scalar", "x.item()", reduce="scalar", jax=False, x=A((1,)))
case("method_item_tuple", "x.item((1, 2)) + 0.0 * x", jax=False, x=A((3, 4)))
case(
    "zeros_like_mixed", "np.zeros_like(x) + np.ones_like(x) * x + np.full_like(x, 2.0)"
)

# ----- scipy.special -----

SPECIAL_UNARY = {
    "expit": "normal",
    "logit": "prob",
    "log_expit": "normal",
    "erf": "normal",
    "erfc": "normal",
    "erfcx": "pos",
    "erfinv": "unit",
    "erfcinv": "pos",
    "ndtr": "normal",
    "log_ndtr": "normal",
    "ndtri": "prob",
    "gammaln": "pos",
    "loggamma": "pos",
    "gamma": "pos",
    "digamma": "pos",
    "psi": "pos",
    "i0": "normal",
    "i0e": "nonzero",
    "i1": "normal",
    "i1e": "nonzero",
    "entr": "pos",
    "exprel": "normal",
    "expm1": "normal",
    "log1p": "pos",
    "exp2": "normal",
    "exp10": "unit",
    "cbrt": "pos",
    "cosm1": "normal",
    "sindg": "normal",
    "cosdg": "normal",
}
for _fn, _kind in SPECIAL_UNARY.items():
    case(f"special_{_fn}", f"special.{_fn}(x)", x=A((3, 4), _kind))
case("special_exprel_small", "special.exprel(x * 1e-6)", x=A((4,)), atol=1e-5)
case("special_polygamma", "special.polygamma(1, x)", x=A((3, 4), "pos"))
case("special_polygamma_0", "special.polygamma(0, x)", x=A((3, 4), "pos"))
case("special_multigammaln", "special.multigammaln(x, 3)", x=A((4,), "gt1"))
SPECIAL_BINARY = {
    "xlogy": ("normal", "pos"),
    "xlog1py": ("normal", "pos"),
    "rel_entr": ("pos", "pos"),
    "kl_div": ("pos", "pos"),
    "beta": ("pos", "pos"),
    "betaln": ("pos", "pos"),
}
for _fn, (_k1, _k2) in SPECIAL_BINARY.items():
    case(f"special_{_fn}", f"special.{_fn}(x, y)", x=A((3, 4), _k1), y=A((3, 4), _k2))
    case(
        f"special_{_fn}_broadcast",
        f"special.{_fn}(x, y)",
        x=A((3, 1), _k1),
        y=A((4,), _k2),
    )
case("special_xlogy_zero", "special.xlogy(x * (x > 0), y)", x=A((4,)), y=A((4,), "pos"))
case("special_gammainc", "special.gammainc(2.5, x)", x=A((4,), "pos"))
case(
    "special_gammaincc",
    "special.gammaincc(a, x)",
    x=A((3, 4), "pos"),
    a=A((4,), "gt1", diff=False),
)
case("special_pseudo_huber", "special.pseudo_huber(1.5, x)", x=A((3, 4)))
case("special_softmax", "special.softmax(x)")
case("special_softmax_axis", "special.softmax(x, axis=1)")
case("special_softmax_tuple", "special.softmax(x, axis=(0, 2))", x=A((2, 3, 4)))
case("special_log_softmax", "special.log_softmax(x)")
case("special_log_softmax_axis", "special.log_softmax(x, axis=-1)")
case("special_logsumexp", "special.logsumexp(x)")
case("special_logsumexp_axis", "special.logsumexp(x, axis=0)")
case("special_logsumexp_neg_keepdims", "special.logsumexp(x, axis=-1, keepdims=True)")
case("special_logsumexp_tuple", "special.logsumexp(x, axis=(0, 2))", x=A((2, 3, 4)))
case(
    "special_logsumexp_b",
    "special.logsumexp(x, axis=1, b=w)",
    x=A((3, 4)),
    w=A((3, 4), "pos"),
)
case(
    "special_logsumexp_b_broadcast",
    "special.logsumexp(x, b=w)",
    x=A((3, 4)),
    w=A((4,), "pos"),
)

# ----- scipy.linalg -----

case("sla_expm", "sla.expm(a)", a=A((3, 3)))
case("sla_sqrtm", "sla.sqrtm(s)", pre=SYM, x=A((3, 3)), atol=1e-5)
case(
    "sla_solve_triangular",
    "sla.solve_triangular(a, b)",
    a=A((3, 3), "upper"),
    b=A((3, 2)),
)
case(
    "sla_solve_triangular_lower",
    "sla.solve_triangular(a, b, lower=True)",
    a=A((3, 3), "lower"),
    b=A((3,)),
)
case(
    "sla_solve_triangular_trans",
    "sla.solve_triangular(a, b, trans=1, lower=True)",
    a=A((3, 3), "lower"),
    b=A((3, 2)),
)
case(
    "sla_solve_triangular_unit",
    "sla.solve_triangular(a, b, unit_diagonal=True)",
    a=A((3, 3), "upper"),
    b=A((3,)),
)
case("sla_solve", "sla.solve(a, b)", a=A((3, 3), "square"), b=A((3, 2)))
case(
    "sla_solve_transposed",
    "sla.solve(a, b, transposed=True)",
    a=A((3, 3), "square"),
    b=A((3,)),
)
case("sla_inv", "sla.inv(a)", a=A((3, 3), "square"))
case("sla_det", "sla.det(a)", a=A((3, 3), "square"))
case("sla_cholesky", "sla.cholesky(s)", pre=SYM, x=A((3, 3)))
case("sla_cholesky_lower", "sla.cholesky(s, lower=True)", pre=SYM, x=A((3, 3)))
case("sla_eigh", "sla.eigh(s)", pre=SYM, reduce="squares", x=A((3, 3)))
case("sla_eigh_values", "sla.eigh(s, eigvals_only=True)", pre=SYM, x=A((3, 3)))

# ----- Compositions -----

case(
    "softmax_cross_entropy",
    "-np.sum(t * np.log(np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)))",
    reduce="scalar",
    x=A((3, 4)),
    t=A((3, 4), "prob", diff=False),
)
case(
    "mlp_layer",
    "np.tanh(np.dot(x, w) + b)",
    x=A((3, 4), diff=False),
    w=A((4, 2)),
    b=A((2,)),
)
case("standardize", "(x - np.mean(x, axis=0)) / np.std(x, axis=0)", x=A((5, 3)))
case(
    "gaussian_logdet",
    "0.5 * np.linalg.slogdet(s)[1] + 0.5 * v @ np.linalg.solve(s, v)",
    pre=SYM,
    reduce="scalar",
    x=A((3, 3)),
    v=A((3,)),
)

CASE_BY_NAME = {c.name: c for c in CASES}
assert len(CASE_BY_NAME) == len(CASES), "duplicate case names"

# Cases that fail because of the engine, not the rule: kept, reported, xfail.
ENGINE_BUGS: dict[str, str] = {}


# ----- Building the functions under test -----

HEADER = "import numpy as np\nimport scipy.linalg as sla\nimport scipy.special as special\n\n"


def _indent(code):
    return "".join(f"    {line}\n" for line in code.splitlines() if line.strip())


def _probe_source(c):
    params = ", ".join(c.params)
    return f"def probe_{c.ident}({params}):\n{_indent(c.pre)}    return {c.expr}\n"


def _is_float_output(value):
    return np.issubdtype(np.asarray(value).dtype, np.floating)


def _case_source(c, out):
    body = _indent(c.pre)
    if c.reduce == "scalar":
        return f"def {c.ident}({', '.join(c.params)}):\n{body}    return {c.expr}\n"
    params = ", ".join(c.params + ["W"])
    if isinstance(out, (list, tuple)):
        terms = []
        for i, item in enumerate(out):
            if not _is_float_output(item):
                continue
            term = f"out[{i}] * W[{i}]"
            terms.append(
                f"np.sum(({term}) ** 2)" if c.reduce == "squares" else f"np.sum({term})"
            )
        return f"def {c.ident}({params}):\n{body}    out = {c.expr}\n    return {' + '.join(terms)}\n"
    term = f"({c.expr}) * W"
    total = f"np.sum(({term}) ** 2)" if c.reduce == "squares" else f"np.sum({term})"
    return f"def {c.ident}({params}):\n{body}    return {total}\n"


def _weights(c, out):
    rng = np.random.default_rng(zlib.crc32(("W" + c.name).encode()))
    if c.reduce == "scalar":
        return None
    if isinstance(out, (list, tuple)):
        return [
            rng.normal(size=np.shape(item)) if _is_float_output(item) else None
            for item in out
        ]
    return rng.normal(size=np.shape(out))


def _load(path, name, source):
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Every case's function and arguments, from one generated module."""
    folder = tmp_path_factory.mktemp("rule_cases")
    probes = _load(
        folder / "rule_probes.py",
        "rule_probes",
        HEADER + "\n\n".join(_probe_source(c) for c in CASES),
    )
    sources, inputs = [], {}
    for c in CASES:
        args = c.make_args()
        out = getattr(probes, f"probe_{c.ident}")(*args)
        weights = _weights(c, out)
        inputs[c.name] = args if weights is None else [*args, weights]
        sources.append(_case_source(c, out))
    module = _load(
        folder / "rule_cases.py", "rule_cases", HEADER + "\n\n".join(sources)
    )
    return {c.name: (getattr(module, c.ident), inputs[c.name]) for c in CASES}


# ----- JAX reference -----


def jax_reference(f, args, wrt):
    """jax.grad of the same source in float64, or None where JAX cannot run it."""
    try:
        import jax
        import jax.numpy as jnp
        import jax.scipy.linalg as jsla
        import jax.scipy.special as jspecial

        with jax.enable_x64(True):
            g = patched(f, jnp)
            g.__globals__["special"] = jspecial
            g.__globals__["sla"] = jsla
            jargs = [jnp.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
            jargs = [
                [None if w is None else jnp.asarray(w) for w in a]
                if isinstance(a, list)
                else a
                for a in jargs
            ]
            try:  # compiled: much faster than op-by-op
                raw = jax.jit(jax.grad(g, argnums=wrt))(*jargs)
            except Exception:  # data-dependent shapes (np.extract, ...) run eagerly
                raw = jax.grad(g, argnums=wrt)(*jargs)
            grads = [np.asarray(r, dtype=np.float64) for r in raw]
    except Exception:
        return None
    if not all(np.all(np.isfinite(r)) for r in grads):
        return None
    return grads


JAX_SKIPPED = []


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_rule(built, name):
    c = CASE_BY_NAME[name]
    if name in ENGINE_BUGS:
        pytest.xfail(f"engine bug: {ENGINE_BUGS[name]}")
    f, args = built[name]
    grads = tangent.grad(f, wrt=c.wrt)(*args)
    check_grads(f, args, c.wrt, grads, rtol=c.rtol, atol=c.atol)
    if not c.jax or os.environ.get("NOJAX"):
        return
    reference = jax_reference(f, args, c.wrt)
    if reference is None:
        JAX_SKIPPED.append(name)
        return
    grads = grads if len(c.wrt) > 1 else (grads,)
    for i, g, r in zip(c.wrt, grads, reference, strict=True):
        check_close(f, i, g, r, 1e-6, 1e-8, label="jax")


# ----- Exact values: ties, zeros -----


def ties_maximum(x, y):
    return np.sum(np.maximum(x, y) * 2.0)


def ties_fmin(x, y):
    return np.sum(np.fmin(x, y))


def ties_max(x):
    return np.max(x)


def ties_min_axis(x):
    return np.sum(np.min(x, axis=1) * np.array([1.0, 2.0]))


def ties_amax_method(x):
    return x.max()


def ties_norm_inf(x):
    return np.linalg.norm(x, np.inf)


def prod_with_zero(x):
    return np.prod(x)


def prod_with_two_zeros(x):
    return np.prod(x)


EXACT = [
    (
        ties_maximum,
        (np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])),
        (0, 1),
        (np.array([1.0, 2.0, 1.0]), np.array([1.0, 0.0, 1.0])),
    ),
    (
        ties_fmin,
        (np.array([1.0, 2.0]), np.array([1.0, 1.0])),
        (0, 1),
        # as JAX: at a tie, fmin/fmax give the whole derivative to the second operand
        (np.array([0.0, 0.0]), np.array([1.0, 1.0])),
    ),
    (
        ties_max,
        (np.array([1.0, 3.0, 3.0, 2.0]),),
        (0,),
        (np.array([0.0, 0.5, 0.5, 0.0]),),
    ),
    (
        ties_min_axis,
        (np.array([[1.0, 1.0, 2.0], [0.0, 5.0, 0.0]]),),
        (0,),
        (np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 1.0]]),),
    ),
    (
        ties_amax_method,
        (np.array([[4.0, 1.0], [4.0, 4.0]]),),
        (0,),
        (np.array([[1 / 3, 0.0], [1 / 3, 1 / 3]]),),
    ),
    (ties_norm_inf, (np.array([-2.0, 1.0, 2.0]),), (0,), (np.array([-0.5, 0.0, 0.5]),)),
    (prod_with_zero, (np.array([2.0, 0.0, 3.0]),), (0,), (np.array([0.0, 6.0, 0.0]),)),
    (prod_with_two_zeros, (np.array([2.0, 0.0, 0.0]),), (0,), (np.zeros(3),)),
]


@pytest.mark.parametrize(
    "f, args, wrt, expected", EXACT, ids=[e[0].__name__ for e in EXACT]
)
def test_exact_values(f, args, wrt, expected):
    grads = tangent.grad(f, wrt=wrt)(*args)
    grads = grads if len(wrt) > 1 else (grads,)
    for i, g, e in zip(wrt, grads, expected, strict=True):
        check_close(f, i, g, e, 1e-12, 1e-12, label="exact")


# ----- Second order: the helpers the rules call are differentiable too -----

C = np.array([[0.3, -1.2, 0.7], [1.1, 0.4, -0.5]])
B = np.array([[0.5, 1.0], [-0.3, 0.2], [0.9, -1.4]])


def second_sum(x):
    return np.sum(np.sin(x * C) ** 2)


def second_mean_max(x):
    return (
        np.mean(np.exp(x * C), axis=0).sum()
        + np.max(x * C, axis=1, keepdims=True).sum()
    )


def second_matmul(x):
    return np.sum(np.tanh(np.matmul(x * C, B)))


def second_dot(x):
    return np.sum(np.dot(x * C, np.sin(B * x)) ** 2)


def second_einsum(x):
    return np.einsum("ij,jk->", x * C, np.exp(B * x))


def second_maximum_cumsum(x):
    return np.sum(np.maximum(x * C, 0.1) ** 2) + np.sum(np.cumsum(x * C, axis=1) ** 2)


SECOND_ORDER = [
    second_sum,
    second_mean_max,
    second_matmul,
    second_dot,
    second_einsum,
    second_maximum_cumsum,
]


@pytest.mark.parametrize("f", SECOND_ORDER, ids=[f.__name__ for f in SECOND_ORDER])
def test_grad_of_grad(f):
    df = tangent.grad(f)
    ddf = tangent.grad(df)
    check_close(df, 0, ddf(0.7), numerical_grad(df, (0.7,), 0), 1e-5, 1e-6, "numerical")


# ----- float32 stays float32 -----

FLOAT32 = [
    "sin",
    "exp2",
    "log10",
    "deg2rad",
    "multiply_row",
    "maximum_outer",
    "logaddexp_same",
    "hypot_same",
    "where",
    "clip",
    "sum_axis_tuple",
    "mean_keepdims",
    "prod_axis0",
    "max_axis_neg",
    "var_axis0",
    "std_all",
    "cumsum_axis0",
    "cumprod_flat",
    "median_axis0",
    "norm_vec",
    "norm_mat_nuc",
    "dot_mm",
    "matmul_batched",
    "einsum_trace",
    "einsum_three",
    "tensordot_pairs",
    "kron_2d",
    "inv",
    "solve_matrix",
    "det",
    "concatenate",
    "stack",
    "split",
    "pad_reflect",
    "sort",
    "take",
    "repeat_array",
    "tile_2d",
    "trace",
    "average_weights",
    "special_expit",
    "special_softmax_axis",
    "special_logsumexp_axis",
    "special_xlogy",
    "convolve_same_long",
    "method_reshape_varargs",
    "roll_tuple",
    "diag_matrix",
    "eigh_values",
    "svd_values",
]


def _as32(value):
    if isinstance(value, np.ndarray):
        return value.astype(np.float32)
    if isinstance(value, list):
        return [_as32(v) for v in value]
    return value


@pytest.mark.parametrize("name", FLOAT32)
def test_float32_in_float32_out(built, name):
    c = CASE_BY_NAME[name]
    f, args = built[name]
    grads = tangent.grad(f, wrt=c.wrt)(*[_as32(a) for a in args])
    grads = grads if len(c.wrt) > 1 else (grads,)
    exact = tangent.grad(f, wrt=c.wrt)(*args)
    exact = exact if len(c.wrt) > 1 else (exact,)
    for i, g, e in zip(c.wrt, grads, exact, strict=True):
        assert np.asarray(g).dtype == np.float32, (
            f"{name}: gradient #{i} is {np.asarray(g).dtype}"
        )
        check_close(f, i, g, e, 2e-3, 2e-3, label="float64")


# ----- Non-differentiable operations -----

NONDIFF = {
    np.shape: "np.shape(x)[0]",
    np.size: "np.size(x)",
    np.ndim: "np.ndim(x)",
    np.broadcast_shapes: "len(np.broadcast_shapes((2, 1), (1, 3)))",
    np.iscomplexobj: "np.iscomplexobj(x)",
    np.isrealobj: "np.isrealobj(x)",
    np.shares_memory: "np.shares_memory(x, x)",
    np.may_share_memory: "np.may_share_memory(x, x)",
    np.result_type: "np.result_type(x) == np.float64",
    ("Attribute", "shape"): "x.shape[0]",
    ("Attribute", "ndim"): "x.ndim",
    ("Attribute", "size"): "x.size",
    ("Attribute", "dtype"): "x.dtype == np.float64",
    ("Attribute", "itemsize"): "x.itemsize",
    ("Attribute", "nbytes"): "x.nbytes",
    ("Attribute", "strides"): "x.strides[0]",
    np.zeros: "np.zeros(3)",
    np.ones: "np.ones((2, 3))",
    np.empty: "np.empty(3).shape[0]",
    np.full: "np.full((2,), 3.0)",
    np.zeros_like: "np.zeros_like(x)",
    np.ones_like: "np.ones_like(x)",
    np.empty_like: "np.empty_like(x).shape[0]",
    np.full_like: "np.full_like(x, 2.0)",
    np.arange: "np.arange(4.0)",
    np.linspace: "np.linspace(0.0, 1.0, 5)",
    np.logspace: "np.logspace(0.0, 1.0, 3)",
    np.geomspace: "np.geomspace(1.0, 10.0, 3)",
    np.eye: "np.eye(3)",
    np.identity: "np.identity(2)",
    np.tri: "np.tri(3)",
    np.indices: "np.indices((2, 3))",
    np.tril_indices: "np.tril_indices(3)[0]",
    np.triu_indices: "np.triu_indices(3)[1]",
    np.diag_indices: "np.diag_indices(3)[0]",
    np.tril_indices_from: "np.tril_indices_from(x)[0]",
    np.triu_indices_from: "np.triu_indices_from(x)[1]",
    np.diag_indices_from: "np.diag_indices_from(np.eye(3))[0]",
    np.argmax: "np.argmax(x)",
    np.argmin: "np.argmin(x, axis=0)",
    np.nanargmax: "np.nanargmax(x)",
    np.nanargmin: "np.nanargmin(x)",
    np.argsort: "np.argsort(x)",
    np.argpartition: "np.argpartition(x, 1)",
    np.lexsort: "np.lexsort((x[0], x[1]))",
    np.argwhere: "np.argwhere(x > 0)",
    np.nonzero: "np.nonzero(x > 0)[0]",
    np.flatnonzero: "np.flatnonzero(x > 0)",
    np.searchsorted: "np.searchsorted(np.array([0.0, 1.0]), x)",
    np.digitize: "np.digitize(x, np.array([0.0]))",
    np.bincount: "np.bincount(np.array([0, 1, 1]))",
    np.unique: "np.unique(x)",
    np.unique_values: "np.unique_values(x)",
    np.unique_counts: "np.unique_counts(x)[1]",
    np.unique_inverse: "np.unique_inverse(x)[1]",
    np.unique_all: "np.unique_all(x)[0]",
    np.count_nonzero: "np.count_nonzero(x > 0)",
    np.histogram: "np.histogram(x)[0]",
    np.histogram_bin_edges: "np.histogram_bin_edges(x, 3)",
    np.ravel_multi_index: "np.ravel_multi_index((np.array([0, 1]), np.array([1, 2])), (3, 4))",
    np.unravel_index: "np.unravel_index(5, (3, 4))[0]",
    np.isin: "np.isin(x, np.array([1.0]))",
    ("Method", "argmax"): "x.argmax()",
    ("Method", "argmin"): "x.argmin(axis=1)",
    ("Method", "argsort"): "x.argsort()",
    ("Method", "argpartition"): "x.argpartition(1)",
    ("Method", "nonzero"): "x.nonzero()[0]",
    ("Method", "searchsorted"): "np.sort(np.ravel(x)).searchsorted(0.0)",
    np.sign: "np.sign(x)",
    np.signbit: "np.signbit(x)",
    np.heaviside: "np.heaviside(x, 0.5)",
    np.floor: "np.floor(x)",
    np.ceil: "np.ceil(x)",
    np.round: "np.round(x, 1)",
    np.around: "np.around(x)",
    np.rint: "np.rint(x)",
    np.trunc: "np.trunc(x)",
    np.fix: "np.fix(x)",
    np.floor_divide: "np.floor_divide(x, 0.3)",
    np.spacing: "np.spacing(x)",
    np.gcd: "np.gcd(np.array([4, 6]), 4)",
    np.lcm: "np.lcm(np.array([4, 6]), 4)",
    np.bitwise_and: "np.bitwise_and(np.arange(4), 3)",
    np.bitwise_or: "np.bitwise_or(np.arange(4), 3)",
    np.bitwise_xor: "np.bitwise_xor(np.arange(4), 3)",
    np.invert: "np.invert(x > 0)",
    np.left_shift: "np.left_shift(np.arange(4), 1)",
    np.right_shift: "np.right_shift(np.arange(4), 1)",
    ("Method", "round"): "x.round(2)",
    np.greater: "np.greater(x, 0.0)",
    np.greater_equal: "np.greater_equal(x, 0.0)",
    np.less: "np.less(x, 0.0)",
    np.less_equal: "np.less_equal(x, 0.0)",
    np.equal: "np.equal(x, x)",
    np.not_equal: "np.not_equal(x, 0.0)",
    np.logical_and: "np.logical_and(x > 0, x < 1)",
    np.logical_or: "np.logical_or(x > 0, x < -1)",
    np.logical_not: "np.logical_not(x > 0)",
    np.logical_xor: "np.logical_xor(x > 0, x < 1)",
    np.all: "np.all(x > -10)",
    np.any: "np.any(x > 0, axis=0)",
    ("Method", "all"): "x.all()",
    ("Method", "any"): "(x > 0).any(axis=1)",
    np.isnan: "np.isnan(x)",
    np.isinf: "np.isinf(x)",
    np.isfinite: "np.isfinite(x)",
    np.isposinf: "np.isposinf(x)",
    np.isneginf: "np.isneginf(x)",
    np.isreal: "np.isreal(x)",
    np.iscomplex: "np.iscomplex(x)",
    np.isclose: "np.isclose(x, 0.0)",
    np.allclose: "np.allclose(x, x)",
    np.array_equal: "np.array_equal(x, x)",
    np.array_equiv: "np.array_equiv(x, x)",
    np.random.rand: "np.random.rand(3)",
    np.random.randn: "np.random.randn(2, 3)",
    np.random.normal: "np.random.normal(size=3)",
    np.random.uniform: "np.random.uniform(-1.0, 1.0, size=3)",
    np.random.randint: "np.random.randint(0, 5, 3)",
    np.random.choice: "np.random.choice(5, 3)",
    np.random.permutation: "np.random.permutation(5)",
    np.random.random: "np.random.random(3)",
    np.random.random_sample: "np.random.random_sample(3)",
    np.random.standard_normal: "np.random.standard_normal(3)",
    np.random.binomial: "np.random.binomial(5, 0.5, 3)",
    np.random.poisson: "np.random.poisson(2.0, 3)",
    np.random.exponential: "np.random.exponential(1.0, 3)",
    np.random.beta: "np.random.beta(2.0, 2.0, 3)",
    np.random.gamma: "np.random.gamma(2.0, 1.0, 3)",
    np.random.laplace: "np.random.laplace(size=3)",
    np.random.lognormal: "np.random.lognormal(size=3)",
    np.random.multivariate_normal: "np.random.multivariate_normal(np.zeros(2), np.eye(2))",
    np.random.seed: "np.random.seed(0) is None",
    np.random.default_rng: "np.random.default_rng(0).random(3)",
}


def _key(target):
    if isinstance(target, tuple):
        return target
    return ("Call", target)


def _is_ours(key):
    """Keys of the NumPy / SciPy rule tables (not Python operators, builtins or math)."""
    if key[0] in ("Method", "Attribute"):
        return True
    if key[0] != "Call":
        return False
    obj = key[1]
    if type(obj).__name__ == "ufunc":
        return True
    module = getattr(obj, "__module__", None) or ""
    if not module and hasattr(obj, "__self__"):  # np.random.rand and friends
        module = type(obj.__self__).__module__
    return module.startswith(("numpy", "scipy"))


@pytest.fixture(scope="module")
def nondiff_module(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rule_nondiff")
    sources = []
    for i, snippet in enumerate(NONDIFF.values()):
        sources.append(
            f"def nondiff_{i}(x):\n    v = {snippet}\n    return np.sum(x * 0.5) + np.sum(v * 1.0)\n"
        )
    return _load(
        folder / "rule_nondiff.py", "rule_nondiff", HEADER + "\n\n".join(sources)
    )


@pytest.mark.parametrize(
    "index", range(len(NONDIFF)), ids=[str(v) for v in NONDIFF.values()]
)
def test_nondifferentiable_gives_zero(nondiff_module, index):
    target = list(NONDIFF)[index]
    assert RULES.lookup(_key(target)) is NONDIFFERENTIABLE, f"{target} is not declared"
    f = getattr(nondiff_module, f"nondiff_{index}")
    x = np.random.default_rng(index).normal(size=(3, 4))
    grad = tangent.grad(f)(x)
    assert np.shape(grad) == x.shape
    np.testing.assert_array_equal(grad, np.full(x.shape, 0.5))


def test_every_nondifferentiable_entry_is_exercised():
    declared = {
        k
        for k, rule in RULES.reverse.items()
        if rule is NONDIFFERENTIABLE and _is_ours(k)
    }
    tested = {_key(t) for t in NONDIFF}
    missing = sorted(str(k) for k in declared - tested)
    assert not missing, f"non-differentiable operations without a test: {missing}"


# ----- Coverage and size of the registry -----

_MODULES = {"np": np, "special": special, "sla": sla}


def _keys_used(source):
    """The rule keys a case's source calls: `np.x.y(`, `special.x(`, `.method(`, `.attr`."""
    keys = set()
    for match in re.finditer(r"\b(np|special|sla)((?:\.\w+)+)", source):
        obj = _MODULES[match.group(1)]
        for part in match.group(2).split(".")[1:]:
            obj = getattr(obj, part, None)
        if obj is not None:
            keys.add(("Call", obj))
    for match in re.finditer(
        r"(?<![\w.])(?!np\.|special\.|sla\.)\w+((?:\.\w+)+)(\()?", source
    ):
        parts = match.group(1).split(".")[1:]
        for j, part in enumerate(parts):
            last = j == len(parts) - 1
            keys.add(
                ("Method", part) if last and match.group(2) else ("Attribute", part)
            )
    if "@" in source:
        keys.add(("Call", np.matmul))
    return keys


def test_every_rule_is_tested():
    used = set()
    for c in CASES:
        used |= _keys_used(c.pre + "\n" + c.expr)
    rules = {
        k
        for k, rule in RULES.reverse.items()
        if rule is not NONDIFFERENTIABLE and _is_ours(k)
    }
    missing = sorted(str(k) for k in rules if k not in used)
    assert not missing, f"rules without a test case: {missing}"


def numpy_scipy_keys():
    return [k for k in RULES.reverse if _is_ours(k)]


def test_registry_has_at_least_250_numpy_scipy_operations():
    assert len(numpy_scipy_keys()) >= 250
    assert len(RULES.reverse) >= 250


def test_listing_markdown():
    from tangent.rules.listing import supported_operations_markdown

    text = supported_operations_markdown()
    rows = [
        line
        for line in text.splitlines()
        if line.startswith("| ") and "---" not in line
    ]
    assert len(rows) - 1 >= 250  # minus the header row
    assert "| `numpy.sin` |" in text
    assert "nondifferentiable" in text
