"""Runtime helpers that the NumPy and SciPy rule templates call.

Generated gradients call these by name (a template's globals are imported
into the generated module). Each helper is named after the math it does and
takes the incoming adjoint `g` first. Every adjoint may be the Python float
`0.0` meaning zero; for operations that return a tuple or list (`split`,
`eigh`, `svd`), `g` is a list whose entries may be `0.0` or plain Python
numbers. Results have the shape of the argument they are the adjoint of and,
where reasonable, its floating dtype (float32 in, float32 out).
"""

from __future__ import annotations

import math
import operator

import numpy as np

try:  # SciPy is optional: its helpers are used only by SciPy's rules
    import scipy.linalg as scipy_linalg
    import scipy.special as scipy_special
except ImportError:  # pragma: no cover
    scipy_linalg = scipy_special = None

from tangent.runtime import unbroadcast

# ----- Zeros, dtypes and adjoint entries -----


def is_zero(g) -> bool:
    """True for the Python float `0.0` that stands for a zero adjoint."""
    return type(g) is float and g == 0.0


def grad_dtype(x):
    """The dtype a gradient of `x` should have: `x`'s if it is floating."""
    dtype = np.asarray(x).dtype
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(np.float64)


def as_grad(g, x):
    """`g` as an array, keeping the floating dtype of `x` (float32 stays float32)."""
    return np.asarray(g, dtype=np.result_type(g, grad_dtype(x)))


def cast_like(g, x):
    """`g` with the shape of `x` and `x`'s floating dtype."""
    if is_zero(g):
        return np.zeros(np.shape(x), dtype=grad_dtype(x))
    return np.asarray(g, dtype=grad_dtype(x)).reshape(np.shape(x))


def item_grad(g, i, like):
    """Entry `i` of a list adjoint `g` as an array shaped like `like` (zeros if zero)."""
    if is_zero(g) or is_zero(g[i]):
        return np.zeros(np.shape(like), dtype=grad_dtype(like))
    return as_grad(g[i], like)


def items_grad(g, ys):
    """A list adjoint `g` of the arrays `ys`, with every zero entry made an array."""
    return [item_grad(g, i, y) for i, y in enumerate(ys)]


def reshape_grad(g, x, order="C"):
    """The adjoint of any reshaping: `g` put back into the shape of `x`."""
    return np.reshape(as_grad(g, x), np.shape(x), order=order)


def no_gradient(what):
    """Refuse to differentiate with respect to an argument (gammainc's `a`, ...)."""
    raise NotImplementedError(f"tangent has no derivative {what}")


# ----- Elementwise -----


def sign_agreement(x1, x2):
    """d copysign(x1, x2) / d x1: +1 where the signs agree, -1 where they differ."""
    return np.where(np.signbit(x1) == np.signbit(x2), 1.0, -1.0).astype(grad_dtype(x1))


def sinc_derivative(x):
    """d sinc(x) / dx = (cos(pi x) - sinc(x)) / x, and 0 at x = 0."""
    x = np.asarray(x)
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 0.0, (np.cos(np.pi * safe) - np.sinc(safe)) / safe)


def abs_grad_sign(x):
    """d|x|/dx for real x: -1 below 0, else 1 (1 at 0, as JAX)."""
    return np.where(np.asarray(x) < 0, -1.0, 1.0)


def safe_divide(a, b):
    """`a / b`, with 0 where `b` is 0 (the subgradient at a kink)."""
    b = np.asarray(b)
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))


def pair_extremum_grads(g, x1, x2, larger=True, ignore_nan=False):
    """Adjoints of maximum/minimum (fmax/fmin with `ignore_nan`): ties split evenly."""
    x1 = np.asarray(x1)
    x2 = np.asarray(x2)
    first = (x1 > x2) if larger else (x1 < x2)
    second = (x2 > x1) if larger else (x2 < x1)
    if ignore_nan:
        # JAX's fmax: where((x1 > x2) | isnan(x2), x1, x2): a tie goes to x2
        first = first | np.isnan(x2)
        second = ~first
    tie = ~first & ~second
    g1 = np.where(first, g, 0.0) + np.where(tie, g * 0.5, 0.0)
    g2 = np.where(second, g, 0.0) + np.where(tie, g * 0.5, 0.0)
    return unbroadcast(as_grad(g1, x1), x1), unbroadcast(as_grad(g2, x2), x2)


def clip_grads(g, a, a_min, a_max):
    """Adjoints of clip(a, a_min, a_max): inside the bounds to `a`, outside to the bound."""
    a = np.asarray(a)
    no = np.zeros(a.shape, bool)
    below = no if a_min is None else a < a_min
    above = no if a_max is None else a > a_max
    at_lo = no if a_min is None else a == a_min
    at_hi = no if a_max is None else a == a_max
    if a_min is not None and a_max is not None:
        below = below & ~above  # numpy gives a_max where a_min > a_max
        at_lo = at_lo & ~above
    inside = ~below & ~above & ~at_lo & ~at_hi
    g = as_grad(g, a)
    # a tie with a bound is split evenly, as JAX's minimum(maximum(a, lo), hi)
    share_a = inside + 0.5 * (at_lo | at_hi)
    ga = unbroadcast((g * share_a).astype(g.dtype), a)
    glo = 0.0 if a_min is None else unbroadcast(g * (below + 0.5 * at_lo), a_min)
    ghi = 0.0 if a_max is None else unbroadcast(g * (above + 0.5 * at_hi), a_max)
    return ga, glo, ghi


def clip_bounds(a_min, a_max, min, max):  # noqa: A002  (numpy's parameter names)
    """The bounds of np.clip given either as (a_min, a_max) or as (min=, max=)."""
    return (a_min if a_min is not None else min), (a_max if a_max is not None else max)


def power_base_grad(g, x1, x2):
    """d x1**x2 / d x1 = x2 * x1**(x2 - 1), with 0 where x2 == 0."""
    x2 = np.asarray(x2)
    return unbroadcast(np.where(x2 == 0, 0.0, g * x2 * np.power(x1, x2 - 1)), x1)


def power_exponent_grad(g, y, x1, x2):
    """d x1**x2 / d x2 = x1**x2 * log(x1), with 0 where x1 <= 0."""
    x1 = np.asarray(x1)
    return unbroadcast(g * y * np.log(np.where(x1 > 0, x1, 1.0)), x2)


def logaddexp_grads(g, y, x1, x2, base=None):
    """Adjoints of logaddexp (base e) and logaddexp2 (base 2): softmax weights."""
    if base is None:
        w1, w2 = np.exp(x1 - y), np.exp(x2 - y)
    else:
        w1, w2 = np.exp2(x1 - y), np.exp2(x2 - y)
    return unbroadcast(g * w1, x1), unbroadcast(g * w2, x2)


def complex_part_grad(g, x, part):
    """Adjoints of real(x), imag(x) and conj(x) (autograd's convention for complex x)."""
    if not np.iscomplexobj(x):
        if part == "imag":
            return np.zeros(np.shape(x), dtype=grad_dtype(x))
        return as_grad(g, x)
    if part == "real":
        return np.asarray(g) + 0j
    if part == "imag":
        return -1j * np.asarray(g)
    return np.conj(g)


# ----- Reductions -----


def normalize_axes(axis, ndim):
    """`axis` (None, an int or a tuple, maybe negative) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(sorted(operator.index(a) % ndim for a in axis))
    return (operator.index(axis) % ndim,) if ndim else ()


def unreduce(g, x, axis=None, keepdims=False, where=True):
    """Undo a reduction of `x` over `axis`: `g` broadcast back to `x`'s shape."""
    if axis is None and where is True and _float64_scalar_and_array(g, x):
        # a small array is filled sooner than a view is made
        if x.size <= 4096:
            return np.full(x.shape, g)
        return np.broadcast_to(np.float64(g), x.shape)
    shape = np.shape(x)
    g = as_grad(g, x)
    if not keepdims and axis is not None and g.ndim < len(shape):
        g = np.expand_dims(g, normalize_axes(axis, len(shape)))
    g = np.broadcast_to(g, shape)
    if where is not True:
        g = np.where(where, g, 0.0).astype(g.dtype)
    return g


def kept(y, x, axis=None, keepdims=False):
    """The result `y` of a reduction of `x`, with the reduced axes kept as size 1."""
    y = np.asarray(y)
    if not keepdims and axis is not None:
        y = np.expand_dims(y, normalize_axes(axis, np.ndim(x)))
    elif axis is None and not keepdims:
        y = np.reshape(y, (1,) * np.ndim(x))
    return y


def reduced_count(x, axis=None, where=True):
    """How many entries of `x` each result of a reduction over `axis` combines."""
    if where is not True:
        mask = np.broadcast_to(where, np.shape(x))
        return np.sum(mask, axis=normalize_axes(axis, np.ndim(x)), keepdims=True)
    return math.prod(np.shape(x)[a] for a in normalize_axes(axis, np.ndim(x)))


def _float64_scalar_and_array(g, x) -> bool:
    """Whether `g` is a float64 number and `x` a float64 array: no dtype to reconcile."""
    return (
        type(x) is np.ndarray
        and x.dtype == np.float64
        and (type(g) is float or type(g) is np.float64)
    )


def mean_grad(g, x, axis=None, keepdims=False, where=True):
    """Adjoint of mean: the adjoint of sum divided by the count."""
    if axis is None and where is True and _float64_scalar_and_array(g, x):
        return np.full(x.shape, float(g) / max(x.size, 1))
    n = reduced_count(x, axis, where)
    full = unreduce(g, x, axis, keepdims, where)
    return (full / np.maximum(n, 1)).astype(full.dtype)


def products_of_others(x, axis=None):
    """For each entry, the product of the other entries reduced with it (zeros exact)."""
    x = np.asarray(x)
    axes = normalize_axes(axis, x.ndim)
    rest = [a for a in range(x.ndim) if a not in axes]
    moved = np.transpose(x, rest + list(axes))
    flat = moved.reshape(moved.shape[: len(rest)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), dtype=flat.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[
        ..., ::-1
    ]
    others = (before * after).reshape(moved.shape)
    return np.transpose(others, np.argsort(rest + list(axes)))


def extremum_grad(g, y, x, axis=None, keepdims=False, where=True):
    """Adjoint of max/min reductions: `g` shared evenly by the entries that attain it."""
    x = np.asarray(x)
    mask = x == kept(y, x, axis, keepdims)
    if where is not True:
        mask = mask & where
    count = np.count_nonzero(mask, axis=normalize_axes(axis, x.ndim), keepdims=True)
    # the share of each extremal entry is computed at the reduced shape, and
    # broadcast once, by `where` (dividing a broadcast view is many times slower)
    g = as_grad(g, x)
    if not keepdims and axis is not None and 0 < g.ndim < x.ndim:
        g = np.expand_dims(g, normalize_axes(axis, x.ndim))
    share = (g / np.maximum(count, 1)).astype(g.dtype, copy=False)
    return np.where(mask, share, np.zeros((), dtype=g.dtype))


def ptp_grad(g, x, axis=None, keepdims=False):
    """Adjoint of ptp = max - min."""
    gk = unreduce_kept(g, x, axis, keepdims)
    top = np.max(x, axis=axis, keepdims=True)
    bottom = np.min(x, axis=axis, keepdims=True)
    return extremum_grad(gk, top, x, axis, True) - extremum_grad(
        gk, bottom, x, axis, True
    )


def unreduce_kept(g, x, axis=None, keepdims=False):
    """`g` of a reduction, with its reduced axes kept as size 1."""
    return kept(as_grad(g, x), x, axis, keepdims)


def moment_grad(g, x, axis=None, ddof=0, keepdims=False, correction=None, root=None):
    """Adjoint of var (and of std, whose value is `root`): 2 (x - mean) / (n - ddof)."""
    x = np.asarray(x)
    if correction is not None:
        ddof = correction
    n = reduced_count(x, axis)
    centered = x - np.mean(x, axis=normalize_axes(axis, x.ndim), keepdims=True)
    full = unreduce(g, x, axis, keepdims)
    if root is None:
        return (full * centered * (2.0 / (n - ddof))).astype(full.dtype)
    s = kept(root, x, axis, keepdims)
    return (full * np.divide(centered, s * (n - ddof))).astype(full.dtype)


def nan_moment_grad(g, x, axis=None, ddof=0, keepdims=False, root=None):
    """Adjoint of nanvar and nanstd: `moment_grad` over the entries that are not NaN."""
    x = np.asarray(x)
    valid = ~np.isnan(x)
    axes = normalize_axes(axis, x.ndim)
    n = np.sum(valid, axis=axes, keepdims=True)
    centered = np.where(valid, x - np.nanmean(x, axis=axes, keepdims=True), 0.0)
    full = unreduce(g, x, axis, keepdims)
    if root is None:
        return (full * centered * 2.0 / (n - ddof)).astype(full.dtype)
    s = kept(root, x, axis, keepdims)
    return (full * safe_divide(centered, s * (n - ddof))).astype(full.dtype)


def reverse_cumsum(g, axis):
    """The adjoint of cumsum along `axis`: sums from the end."""
    return np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis)


def cumsum_grad(g, x, axis=None):
    """Adjoint of cumsum (of the flattened array when `axis` is None)."""
    g = as_grad(g, x)
    if axis is None:
        return reverse_cumsum(np.ravel(g), 0).reshape(np.shape(x))
    return reverse_cumsum(g, axis)


def cumprod_grad(g, y, x, axis=None):
    """Adjoint of cumprod: sum_{k>=i} g_k prod_{j<=k, j!=i} x_j, exact at zeros."""
    x = np.asarray(x)
    g = as_grad(g, x)
    shape = x.shape
    if axis is None:
        x, g, y, axis = np.ravel(x), np.ravel(g), np.ravel(y), 0
    if not np.any(x == 0):
        out = reverse_cumsum(g * y, axis) / x
        return out.reshape(shape)
    xm = np.moveaxis(x, axis, -1)
    gm = np.moveaxis(g, axis, -1)
    n = xm.shape[-1]
    upper = np.triu(np.ones((n, n), dtype=bool), 1)  # [i, k]: k > i
    # partial[..., i, k] = prod_{i < j <= k} x_j for k >= i
    factors = np.where(upper, xm[..., None, :], 1.0)
    partial = np.where(
        np.triu(np.ones((n, n), dtype=bool)), np.cumprod(factors, axis=-1), 0.0
    )
    prefix = np.cumprod(
        np.concatenate([np.ones_like(xm[..., :1]), xm[..., :-1]], -1), -1
    )
    out = prefix * np.einsum("...ik,...k->...i", partial, gm)
    return np.moveaxis(out, -1, axis).reshape(shape).astype(g.dtype)


def cumulative_grad(g, y, x, axis=None, include_initial=False, product=False):
    """Adjoint of np.cumulative_sum / cumulative_prod (the array-API versions)."""
    x = np.asarray(x)
    if axis is None:
        axis = 0
    if include_initial:
        g = as_grad(g, x)
        g = np.take(g, np.arange(1, g.shape[axis]), axis=axis)
        y = np.take(y, np.arange(1, np.shape(y)[axis]), axis=axis)
    if product:
        return cumprod_grad(g, y, x, axis)
    return cumsum_grad(g, x, axis)


def average_grads(g, y, a, axis=None, weights=None, returned=False, keepdims=False):
    """Adjoints of np.average with respect to `a` and `weights`."""
    if returned:
        raise NotImplementedError("np.average with returned=True has no gradient rule")
    a = np.asarray(a)
    if weights is None:
        return mean_grad(g, a, axis, keepdims), 0.0
    w = np.asarray(weights)
    if w.shape != a.shape:  # 1-D weights along one axis
        shape = [1] * a.ndim
        shape[normalize_axes(axis, a.ndim)[0]] = w.size
        w = w.reshape(shape)
    axes = normalize_axes(axis, a.ndim)
    total = np.sum(np.broadcast_to(w, a.shape), axis=axes, keepdims=True)
    full = unreduce(g, a, axis, keepdims)
    ga = full * w / total
    gw = full * (a - kept(y, a, axis, keepdims)) / total
    return ga.astype(full.dtype), np.reshape(unbroadcast(gw, w), np.shape(weights))


def trace_grad(g, a, offset=0, axis1=0, axis2=1):
    """Adjoint of trace: `g` on the chosen diagonal, zeros elsewhere."""
    a = np.asarray(a)
    n = len(
        np.diagonal(np.broadcast_to(np.float32(0), a.shape), offset, axis1, axis2).T
    )
    g = np.asarray(as_grad(g, a))[..., None] * np.ones(n, dtype=grad_dtype(a))
    return diagonal_grad(g, a, offset, axis1, axis2)


def diagonal_grad(g, a, offset=0, axis1=0, axis2=1):
    """Adjoint of diagonal: `g` (diagonal last) placed back on the diagonal."""
    a = np.asarray(a)
    out = np.zeros(a.shape, dtype=np.result_type(g, grad_dtype(a)))
    view = np.moveaxis(out, (axis1, axis2), (-2, -1))
    k = np.shape(g)[-1]
    i = np.arange(k)
    view[..., i + max(-offset, 0), i + max(offset, 0)] = g
    return out


def diag_grad(g, v, k=0):
    """Adjoint of np.diag: extract the diagonal (1-D v) or place it back (2-D v)."""
    if np.ndim(v) == 1:
        return np.diagonal(as_grad(g, v), k).copy()
    return diagonal_grad(g, v, k, 0, 1)


def nan_extremum_grad(g, y, x, axis=None, keepdims=False):
    """Adjoint of nanmax/nanmin: like max, the NaN entries get nothing."""
    return extremum_grad(g, y, x, axis, keepdims)


def median_grad(g, y, x, axis=None, keepdims=False):
    """Adjoint of median: to the middle entry, or half to each of the two middle ones."""
    x = np.asarray(x)
    axes = normalize_axes(axis, x.ndim)
    rest = [i for i in range(x.ndim) if i not in axes]
    moved = np.transpose(x, rest + list(axes))
    flat = moved.reshape(moved.shape[: len(rest)] + (-1,))
    n = flat.shape[-1]
    order = np.argsort(flat, axis=-1, kind="stable")
    weights = np.zeros(flat.shape, dtype=grad_dtype(x))
    middle = [n // 2] if n % 2 else [n // 2 - 1, n // 2]
    for m in middle:
        np.put_along_axis(weights, order[..., m : m + 1], 1.0 / len(middle), axis=-1)
    weights = np.transpose(weights.reshape(moved.shape), np.argsort(rest + list(axes)))
    return unreduce(g, x, axis, keepdims) * weights


# ----- Norms -----


def vector_norm_grad(g, y, x, ord=None, axis=None, keepdims=False):  # noqa: A002
    """Adjoint of a vector p-norm over `axis` (None: every entry)."""
    x = np.asarray(x)
    full = unreduce(g, x, axis, keepdims)
    norm = kept(y, x, axis, keepdims)
    if ord is None or ord == 2:
        out = full * np.divide(x, norm)
    elif ord == 1:
        out = full * abs_grad_sign(x)
    elif ord == np.inf or ord == -np.inf:
        mask = np.abs(x) == norm
        count = np.sum(mask, axis=normalize_axes(axis, x.ndim), keepdims=True)
        out = full * np.sign(x) * mask / np.maximum(count, 1)
    elif ord == 0:
        out = np.zeros_like(full)
    else:
        p = float(ord)
        out = full * abs_grad_sign(x) * np.divide(np.abs(x) ** (p - 1), norm ** (p - 1))
    return out.astype(full.dtype)


def matrix_norm_grad(g, y, x, ord="fro", axis=(-2, -1), keepdims=False):  # noqa: A002
    """Adjoint of a matrix norm over the two axes in `axis`."""
    x = np.asarray(x)
    row, col = (a % x.ndim for a in axis)
    full = unreduce(g, x, (row, col), keepdims)
    norm = kept(y, x, (row, col), keepdims)
    if ord in (None, "fro"):
        return (full * np.divide(x, norm)).astype(full.dtype)
    m = np.moveaxis(x, (row, col), (-2, -1))
    if ord in ("nuc", 2, -2):
        u, s, vh = np.linalg.svd(m, full_matrices=False)
        if ord == "nuc":
            dm = u @ vh
        else:
            k = 0 if ord == 2 else -1
            dm = u[..., :, k, None] * vh[..., k, None, :]
        return (full * np.moveaxis(dm, (-2, -1), (row, col))).astype(full.dtype)
    # 1 / -1: extreme column sums of |x|; inf / -inf: extreme row sums
    along = -2 if ord in (1, -1) else -1
    sums = np.sum(np.abs(m), axis=along, keepdims=True)
    target = np.max(sums, axis=(-2, -1), keepdims=True)
    if ord in (-1, -np.inf):
        target = np.min(sums, axis=(-2, -1), keepdims=True)
    mask = sums == target
    share = mask / np.sum(mask, axis=(-2, -1), keepdims=True)
    dm = np.sign(m) * share
    return (full * np.moveaxis(dm, (-2, -1), (row, col))).astype(full.dtype)


def norm_grad(g, y, x, ord=None, axis=None, keepdims=False):  # noqa: A002
    """Adjoint of np.linalg.norm: a vector norm or a matrix norm, as numpy decides."""
    x = np.asarray(x)
    if axis is None:
        if ord is None or (x.ndim == 1):
            return vector_norm_grad(g, y, x, ord, None, keepdims)
        axis = (0, 1)
    if isinstance(axis, (tuple, list)) and len(axis) == 2:
        return matrix_norm_grad(g, y, x, ord, tuple(axis), keepdims)
    return vector_norm_grad(g, y, x, ord, axis, keepdims)


# ----- Products and contractions -----


def _labels(spec, ndim, ellipsis):
    """Integer labels of one einsum operand; `ellipsis` labels the '...' axes from the right."""
    spec = spec.replace(" ", "")
    if "..." in spec:
        head, tail = spec.split("...")
        n = ndim - len(head) - len(tail)
        middle = ellipsis[len(ellipsis) - n :] if n else []
        return [_letter(c) for c in head] + list(middle) + [_letter(c) for c in tail]
    return [_letter(c) for c in spec]


def _letter(c):
    return ord(c) - ord("A") if c.isupper() else ord(c) - ord("a") + 26


def einsum_labels(subscripts, operands):
    """Parse einsum subscripts into (input label lists, output label list)."""
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    specs = inputs.split(",")
    n_ell = max(
        (
            np.ndim(op) - len(s.replace("...", ""))
            for s, op in zip(specs, operands)
            if "..." in s
        ),
        default=0,
    )
    ellipsis = list(range(52, 52 + n_ell))
    labels = [_labels(s, np.ndim(op), ellipsis) for s, op in zip(specs, operands)]
    if arrow:
        out = _labels(output, len(output.replace("...", "")) + n_ell, ellipsis)
    else:
        counts = {}
        for ls in labels:
            for label in ls:
                counts[label] = counts.get(label, 0) + 1
        out = ellipsis + sorted(c for c, n in counts.items() if n == 1 and c < 52)
    return labels, out


def contraction_grad(g, operands, labels, out, k):
    """Adjoint of operand `k` of a contraction `einsum(operands[labels] -> out)`.

    The output adjoint is contracted with the other operands back to operand
    k's labels. A label repeated in operand k (a diagonal, as in 'ii->') is
    built through an identity matrix; a label summed in operand k alone is
    restored with a vector of ones; axes where operand k was broadcast are
    summed back.
    """
    sizes = {}
    for op, ls in zip(operands, labels):
        for n, label in zip(np.shape(op), ls):
            sizes[label] = max(sizes.get(label, 1), n)
    for n, label in zip(np.shape(g), out):
        sizes[label] = max(sizes.get(label, 1), n)
    mine = labels[k]
    target = np.asarray(operands[k])
    g = as_grad(g, target)
    args = [np.broadcast_to(g, [sizes[label] for label in out]), list(out)]
    for j, (op, ls) in enumerate(zip(operands, labels)):
        if j != k:
            args += [np.broadcast_to(op, [sizes[label] for label in ls]), list(ls)]
    present = set(out).union(*(set(ls) for j, ls in enumerate(labels) if j != k))
    free = 200
    result = []
    seen = set()
    for label in mine:
        if label in seen:  # a repeated label: a diagonal, through an identity
            args += [np.eye(sizes[label], dtype=g.dtype), [label, free]]
            result.append(free)
            free += 1
            continue
        seen.add(label)
        if label not in present:
            args += [np.ones(sizes[label], dtype=g.dtype), [label]]
            present.add(label)
        result.append(label)
    args.append(result)
    grad = np.einsum(*_compact_labels(args), optimize=len(operands) > 2)
    return unbroadcast(grad, target).astype(np.result_type(g, grad_dtype(target)))


def _compact_labels(args):
    """Renumber integer einsum labels into 0..51 (numpy's limit)."""
    used = sorted(
        {label for i in range(1, len(args), 2) for label in args[i]} | set(args[-1])
    )
    table = {label: n for n, label in enumerate(used)}
    out = []
    for i, item in enumerate(args):
        if i % 2 == 1 or i == len(args) - 1:
            out.append([table[label] for label in item])
        else:
            out.append(item)
    return out


def einsum_grad(g, subscripts, k, *operands):
    """Adjoint of operand `k` of `np.einsum(subscripts, *operands)`."""
    operands = [op for op in operands if op is not None]
    if not isinstance(subscripts, str):
        raise NotImplementedError("einsum gradients need string subscripts")
    labels, out = einsum_labels(subscripts, operands)
    return contraction_grad(g, operands, labels, out, k)


def tensordot_grad(g, a, b, axes, k):
    """Adjoint of operand `k` (0 for a, 1 for b) of np.tensordot(a, b, axes)."""
    na, nb = np.ndim(a), np.ndim(b)
    if isinstance(axes, (int, np.integer)):
        axes_a, axes_b = list(range(na - axes, na)), list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    axes_a = [i % na for i in axes_a]
    axes_b = [i % nb for i in axes_b]
    la = list(range(na))
    lb = list(range(na, na + nb))
    for i, j in zip(axes_a, axes_b):
        lb[j] = la[i]
    out = [la[i] for i in range(na) if i not in axes_a] + [
        lb[j] for j in range(nb) if j not in axes_b
    ]
    return contraction_grad(g, [a, b], [la, lb], out, k)


def _is_sparse(x) -> bool:
    """A scipy.sparse matrix or array (without importing SciPy)."""
    return hasattr(x, "tocsr") and hasattr(x, "nnz")


def sparse_product_grad(g, a, b, k):
    """Adjoint of operand `k` of `a @ b` where `a` is a constant sparse matrix."""
    if k == 0:
        raise NotImplementedError(
            "the gradient with respect to a scipy.sparse matrix is not supported; "
            "treat it as a constant"
        )
    return unbroadcast(as_grad(np.asarray(a.T @ g), b), b)


def dot_grad(g, a, b, k):
    """Adjoint of operand `k` of np.dot(a, b) (scalars, vectors, matrices, N-D)."""
    if _is_sparse(a):
        return sparse_product_grad(g, a, b, k)
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(as_grad(g * (b if k == 0 else a), (a, b)[k]), (a, b)[k])
    la = list(range(na))
    if nb == 1:
        lb = [la[-1]]
    else:
        lb = list(range(na, na + nb - 2)) + [la[-1], na + nb]
    out = la[:-1] + [label for label in lb if label != la[-1]]
    return contraction_grad(g, [a, b], [la, lb], out, k)


def inner_grad(g, a, b, k):
    """Adjoint of operand `k` of np.inner(a, b): a sum over the last axes."""
    na, nb = np.ndim(a), np.ndim(b)
    if na == 0 or nb == 0:
        return unbroadcast(as_grad(g * (b if k == 0 else a), (a, b)[k]), (a, b)[k])
    la = list(range(na))
    lb = list(range(na, na + nb - 1)) + [la[-1]]
    out = la[:-1] + lb[:-1]
    return contraction_grad(g, [a, b], [la, lb], out, k)


def outer_grad(g, a, b, k):
    """Adjoint of operand `k` of np.outer(a, b) (both flattened)."""
    g = np.asarray(g)
    if k == 0:
        return reshape_grad(g @ np.ravel(b), a)
    return reshape_grad(np.ravel(a) @ g, b)


def vdot_grad(g, a, b, k):
    """Adjoint of operand `k` of np.vdot(a, b) = sum(conj(a) * b) over flattened arrays."""
    other = b if k == 0 else a
    if k == 0:
        other = np.conj(other)
    return reshape_grad(as_grad(g * np.ravel(other), (a, b)[k]), (a, b)[k])


def vecdot_grad(g, x1, x2, axis, k):
    """Adjoint of operand `k` of np.vecdot(x1, x2, axis): sum(conj(x1) * x2, axis)."""
    g = np.expand_dims(np.asarray(g), axis)
    if k == 0:
        return unbroadcast(as_grad(g * np.conj(x2), x1), x1)
    return unbroadcast(as_grad(g * x1, x2), x2)


def kron_grad(g, a, b, k):
    """Adjoint of operand `k` of np.kron(a, b): blocks a[i] * b, summed back."""
    a, b = np.asarray(a), np.asarray(b)
    n = max(a.ndim, b.ndim)
    sa = (1,) * (n - a.ndim) + a.shape
    sb = (1,) * (n - b.ndim) + b.shape
    blocks = np.reshape(g, [d for pair in zip(sa, sb) for d in pair])
    both = list(range(2 * n))
    la = both[0::2]
    lb = both[1::2]
    if k == 0:
        return reshape_grad(np.einsum(blocks, both, b.reshape(sb), lb, la), a)
    return reshape_grad(np.einsum(blocks, both, a.reshape(sa), la, lb), b)


def cross_grad(g, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None, k=0):
    """Adjoint of operand `k` of np.cross(a, b) of 3-vectors: b x g and g x a."""
    if axis is not None:
        axisa = axisb = axisc = axis
    if k == 0:
        out = np.cross(b, g, axisa=axisb, axisb=axisc, axisc=axisa)
        return unbroadcast(as_grad(out, a), a)
    out = np.cross(g, a, axisa=axisc, axisb=axisa, axisc=axisb)
    return unbroadcast(as_grad(out, b), b)


def convolve_grad(g, a, v, mode="full", k=0, correlate=False):
    """Adjoint of operand `k` of np.convolve / np.correlate (1-D, any mode).

    Both are windows of the full convolution `full[i + j] += a[i] w[j]`
    (w = v reversed for correlate): `g` is placed back in its window and
    correlated with the other operand.
    """
    a1, v1 = np.ravel(a), np.ravel(v)
    n, m = len(a1), len(v1)
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
    gfull = np.zeros(n + m - 1, dtype=np.result_type(g, grad_dtype(target)))
    gfull[start : start + np.size(g)] = g
    if k == 0:
        return reshape_grad(np.correlate(gfull, w, "valid"), a)
    gw = np.correlate(gfull, a1, "valid")
    return reshape_grad(gw[::-1] if correlate else gw, v)


# ----- Linear algebra -----


def mT(x):
    """Transpose of the last two axes (a stack of matrices)."""
    return np.swapaxes(x, -1, -2)


def matmul_grad(g, a, b, k):
    """Adjoint of operand `k` of a @ b (1-D, 2-D and batched, with broadcasting)."""
    if (  # the common case first: two matrices of one floating dtype
        type(g) is np.ndarray
        and type(a) is np.ndarray
        and type(b) is np.ndarray
        and a.ndim == 2
        and b.ndim == 2
        and a.dtype == b.dtype == g.dtype
        and a.dtype.kind == "f"
    ):
        return g @ b.T if k == 0 else a.T @ g
    if _is_sparse(a):
        return sparse_product_grad(g, a, b, k)
    a, b = np.asarray(a), np.asarray(b)
    g = np.asarray(g)
    if a.ndim == 1 and b.ndim == 1:
        return as_grad(g * (b if k == 0 else a), (a, b)[k])
    ga = g[..., None, :] if a.ndim == 1 else g
    ga = ga[..., None] if b.ndim == 1 else ga
    am = a[None, :] if a.ndim == 1 else a
    bm = b[:, None] if b.ndim == 1 else b
    if k == 0:
        out = ga @ mT(bm)
        out = out[..., 0, :] if a.ndim == 1 else out
        return unbroadcast(as_grad(out, a), a)
    out = mT(am) @ ga
    out = out[..., 0] if b.ndim == 1 else out
    return unbroadcast(as_grad(out, b), b)


def solve_grads(g, y, a, b, transposed=False):
    """Adjoints of x = solve(a, b): gb = solve(a^T, g), ga = -gb x^T (transposed: a^T x = b)."""
    a = np.asarray(a)
    vector = np.ndim(b) == 1
    gm = np.asarray(g)[..., None] if vector else np.asarray(g)
    ym = np.asarray(y)[..., None] if vector else np.asarray(y)
    gb = np.linalg.solve(a if transposed else mT(a), gm)
    ga = -ym @ mT(gb) if transposed else -gb @ mT(ym)
    gb = gb[..., 0] if vector else gb
    return unbroadcast(as_grad(ga, a), a), unbroadcast(as_grad(gb, b), b)


def inv_grad(g, y):
    """Adjoint of inv: -Y^T G Y^T."""
    return -mT(y) @ g @ mT(y)


def cofactor_matrix(a):
    """The cofactor matrix of A (det(A) A^{-T} when A is invertible), from the
    SVD A = U S V^T: det(U) det(V) U diag(prod_{j!=i} s_j) V^T, so that a
    singular A has its cofactors too."""
    a = np.asarray(a)
    u, s, vh = np.linalg.svd(a)
    n = s.shape[-1]
    others = np.stack(
        [np.prod(np.delete(s, i, axis=-1), axis=-1) for i in range(n)], axis=-1
    )
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * ((u * others[..., None, :]) @ vh)


def det_grad(g, y, a):
    """Adjoint of det: g times the cofactor matrix of A."""
    return np.asarray(g)[..., None, None] * cofactor_matrix(a)


def det_tangent(t, y, a):
    """Tangent of det: <cofactors of A, t>, which is det(A) trace(A^{-1} t)
    when A is invertible (computed so: one solve) and stays finite when not."""
    if np.all(np.asarray(y) != 0):
        return y * np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)
    return np.sum(cofactor_matrix(a) * t, axis=(-2, -1))


def slogdet_grad(g, a):
    """Adjoint of slogdet: the log-determinant's adjoint times A^{-T}."""
    a = np.asarray(a)
    glog = item_grad(g, 1, np.empty(a.shape[:-2]))
    return as_grad(glog[..., None, None] * mT(np.linalg.inv(a)), a)


def _symmetric_part(x):
    return 0.5 * (x + mT(x))


def cholesky_grad(g, y, upper=False):
    """Adjoint of cholesky (symmetric): L^{-T} Phi(L^T G) L^{-1}, made symmetric."""
    low = mT(y) if upper else np.asarray(y)
    gl = mT(g) if upper else np.asarray(g)
    phi = np.tril(mT(low) @ gl)
    phi = phi - 0.5 * np.eye(low.shape[-1]) * phi
    linv = np.linalg.inv(low)
    return _symmetric_part(mT(linv) @ phi @ linv)


def eigh_grad(g, y, a, values_only=False):
    """Adjoint of eigh (symmetric input): V (diag(gw) + F * (V^T gV)) V^T."""
    if values_only:
        w, v = np.linalg.eigh(a)
        gw, gv = np.asarray(g), 0.0
    else:
        w, v = y
        gw, gv = item_grad(g, 0, w), g[1] if not is_zero(g) else 0.0
    inner = np.asarray(gw)[..., None, :] * np.eye(w.shape[-1], dtype=w.dtype)
    if not is_zero(gv):
        gap = w[..., None, :] - w[..., :, None]
        f = np.where(gap == 0, 0.0, 1.0 / np.where(gap == 0, 1.0, gap))
        inner = inner + f * (mT(v) @ np.asarray(gv))
    return as_grad(_symmetric_part(v @ inner @ mT(v)), a)


def svd_grad(g, y, a, full_matrices=True, compute_uv=True):
    """Adjoint of svd (real input; U and Vh adjoints need distinct singular values)."""
    a = np.asarray(a)
    if not compute_uv:
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return as_grad((u * np.asarray(g)[..., None, :]) @ vh, a)
    u, s, vh = y
    m, n = a.shape[-2:]
    k = min(m, n)
    gu = 0.0 if is_zero(g) or is_zero(g[0]) else np.asarray(g[0])
    gs = item_grad(g, 1, s)
    gvh = 0.0 if is_zero(g) or is_zero(g[2]) else np.asarray(g[2])
    if full_matrices and m != n:
        if not (is_zero(gu) and is_zero(gvh)):
            if (not is_zero(gu) and np.any(gu[..., k:])) or (
                not is_zero(gvh) and np.any(gvh[..., k:, :])
            ):
                raise NotImplementedError(
                    "svd with full_matrices=True: the extra singular vectors have no gradient"
                )
        u, vh = u[..., :k], vh[..., :k, :]
        gu = gu if is_zero(gu) else gu[..., :k]
        gvh = gvh if is_zero(gvh) else gvh[..., :k, :]
    v = mT(vh)
    eye = np.eye(k, dtype=s.dtype)
    middle = gs[..., None, :] * eye
    if not (is_zero(gu) and is_zero(gvh)):
        gap = s[..., None, :] ** 2 - s[..., :, None] ** 2
        f = np.where(eye == 1, 0.0, 1.0 / np.where(eye == 1, 1.0, gap))
        if not is_zero(gu):
            utgu = mT(u) @ gu
            middle = middle + (f * (utgu - mT(utgu))) * s[..., None, :]
        if not is_zero(gvh):
            vtgv = mT(v) @ mT(gvh)
            middle = middle + s[..., :, None] * (f * (vtgv - mT(vtgv)))
    out = u @ middle @ vh
    if m > n and not is_zero(gu):
        out = out + (np.eye(m) - u @ mT(u)) @ (gu / s[..., None, :]) @ vh
    if m < n and not is_zero(gvh):
        out = out + (u / s[..., None, :]) @ gvh @ (np.eye(n) - v @ vh)
    return as_grad(out, a)


def _copyltu(m):
    return np.tril(m) + mT(np.tril(m, -1))


def _square_qr_grad(q, r, gq, gr):
    """QR adjoint for m >= n: (gQ + Q copyltu(M)) R^{-T}, M = R gR^T - gQ^T Q."""
    m = r @ mT(gr) - mT(gq) @ q
    rhs = gq + q @ _copyltu(m)
    return mT(np.linalg.solve(r, mT(rhs)))


def qr_grad(g, y, a, mode="reduced"):
    """Adjoint of qr in 'reduced' mode (and 'complete' for square), any m, n."""
    a = np.asarray(a)
    if mode == "r":
        q, r = np.linalg.qr(a)
        gq, gr = np.zeros_like(q), np.asarray(g)
    else:
        q, r = y
        gq, gr = item_grad(g, 0, q), item_grad(g, 1, r)
    m, n = a.shape[-2:]
    if mode == "complete" and m > n:
        raise NotImplementedError(
            "qr with mode='complete' of a tall matrix has no gradient"
        )
    if m >= n:
        return as_grad(_square_qr_grad(q, r, gq, gr), a)
    x, yy = a[..., :, :m], a[..., :, m:]
    u, gu, gv = r[..., :, :m], gr[..., :, :m], gr[..., :, m:]
    gx = _square_qr_grad(q, u, gq + yy @ mT(gv), gu)
    gy = q @ gv
    del x
    return as_grad(np.concatenate([gx, gy], axis=-1), a)


def pinv_grad(g, y, a):
    """Adjoint of pinv (constant rank): -P^T G P^T + (I - AP) G^T P P^T + P^T P G^T (I - PA)."""
    a, p, g = np.asarray(a), np.asarray(y), np.asarray(g)
    m, n = a.shape[-2:]
    left = np.eye(m) - a @ p
    right = np.eye(n) - p @ a
    out = -mT(p) @ g @ mT(p) + left @ mT(g) @ p @ mT(p) + mT(p) @ p @ mT(g) @ right
    return as_grad(out, a)


def lstsq_grads(g, y, a, b):
    """Adjoints of lstsq (full column rank): the solution x = pinv(a) b and the residuals."""
    a, b = np.asarray(a), np.asarray(b)
    x = y[0]
    gx = item_grad(g, 0, x)
    p = np.linalg.pinv(a)
    vector = b.ndim == 1
    bm = b[:, None] if vector else b
    gxm = gx[:, None] if vector else gx
    gb = mT(p) @ gxm
    ga = pinv_grad(gxm @ mT(bm), p, a)
    if not (is_zero(g) or is_zero(g[1])) and np.size(y[1]):
        gres = np.asarray(g[1])
        xm = x[:, None] if vector else x
        resid = bm - a @ xm
        ga = ga - 2.0 * (resid * gres) @ mT(xm)
        gb = gb + 2.0 * resid * gres
    if not (is_zero(g) or is_zero(g[3])):
        ga = ga + svd_grad(g[3], None, a, False, False)
    gb = gb[:, 0] if vector else gb
    return as_grad(ga, a), as_grad(gb, b)


def matrix_power_grad(g, a, n):
    """Adjoint of matrix_power(a, n): sum_k (A^T)^k G (A^T)^(n-1-k); inverse for n < 0."""
    a = np.asarray(a)
    if n == 0:
        return np.zeros(a.shape, dtype=grad_dtype(a))
    if n < 0:
        inverse = np.linalg.inv(a)
        gi = matrix_power_grad(g, inverse, -n)
        return as_grad(inv_grad(gi, inverse), a)
    at = mT(a)
    powers = [np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)]
    for _ in range(n - 1):
        powers.append(powers[-1] @ at)
    out = sum(powers[i] @ g @ powers[n - 1 - i] for i in range(n))
    return as_grad(out, a)


def multi_dot_grads(g, arrays):
    """Adjoints of np.linalg.multi_dot(arrays): prefix and suffix products."""
    mats = [np.asarray(x) for x in arrays]
    first_vec, last_vec = mats[0].ndim == 1, mats[-1].ndim == 1
    if first_vec:
        mats[0] = mats[0][None, :]
    if last_vec:
        mats[-1] = mats[-1][:, None]
    gm = np.asarray(g)
    if first_vec:
        gm = gm[None, ...] if gm.ndim else gm.reshape(1, 1)
    if last_vec:
        gm = gm[..., None] if (gm.ndim == 1 or first_vec) else gm
    gm = np.reshape(gm, (mats[0].shape[0], mats[-1].shape[1]))
    prefix = [np.eye(mats[0].shape[0])]
    for x in mats[:-1]:
        prefix.append(prefix[-1] @ x)
    suffix = [np.eye(mats[-1].shape[1])]
    for x in mats[:0:-1]:
        suffix.append(x @ suffix[-1])
    suffix = suffix[::-1]
    out = []
    for i, x in enumerate(arrays):
        gx = mT(prefix[i]) @ gm @ mT(suffix[i])
        out.append(as_grad(np.reshape(gx, np.shape(x)), x))
    return out


def expm_grad(g, a):
    """Adjoint of expm: the top-right block of expm([[A^T, G], [0, A^T]])."""

    a = np.asarray(a)
    n = a.shape[-1]
    block = np.zeros(a.shape[:-2] + (2 * n, 2 * n), dtype=np.result_type(a, g))
    block[..., :n, :n] = mT(a)
    block[..., n:, n:] = mT(a)
    block[..., :n, n:] = g
    return as_grad(scipy_linalg.expm(block)[..., :n, n:], a)


def solve_triangular_grads(g, y, a, b, trans=0, lower=False, unit_diagonal=False):
    """Adjoints of x = solve_triangular(a, b): gb = solve(op(a)^T, g), ga = -gb x^T masked."""

    a = np.asarray(a)
    transposed = trans in (1, "T", 2, "C")
    vector = np.ndim(b) == 1
    gm = np.asarray(g)[:, None] if vector else np.asarray(g)
    ym = np.asarray(y)[:, None] if vector else np.asarray(y)
    gb = scipy_linalg.solve_triangular(
        a, gm, trans=0 if transposed else 1, lower=lower, unit_diagonal=unit_diagonal
    )
    ga = -(ym @ mT(gb)) if transposed else -(gb @ mT(ym))
    ga = (
        np.tril(ga, -1 if unit_diagonal else 0)
        if lower
        else np.triu(ga, 1 if unit_diagonal else 0)
    )
    gb = gb[:, 0] if vector else gb
    return as_grad(ga, a), as_grad(gb, b)


def sqrtm_grad(g, y):
    """Adjoint of sqrtm: solve X^T Z + Z X^T = G (a Sylvester equation)."""

    x = np.real(np.asarray(y))
    return scipy_linalg.solve_sylvester(mT(x), mT(x), np.asarray(g))


# ----- Shapes -----


def inverse_permutation(axes, ndim):
    """The axes that undo np.transpose(x, axes) (None: reversed)."""
    if axes is None or axes == () or axes == (None,):
        return None
    if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
        axes = axes[0]
    return tuple(np.argsort([a % ndim for a in axes]))


def transpose_grad(g, x, axes=None):
    """Adjoint of np.transpose / x.transpose(*axes)."""
    return np.transpose(as_grad(g, x), inverse_permutation(axes, np.ndim(x)))


def rollaxis_grad(g, x, axis, start=0):
    """Adjoint of np.rollaxis: the inverse permutation."""
    n = np.ndim(x)
    axes = list(range(n))
    axis = axis % n
    if start < 0:
        start += n
    if start > axis:
        start -= 1
    axes.remove(axis)
    axes.insert(start, axis)
    return np.transpose(as_grad(g, x), np.argsort(axes))


def unconcatenate(g, arrays, axis=0, promote=None):
    """Adjoint of concatenate (and the stacks): `g` split back into the arrays' pieces."""
    if axis is None:
        pieces = np.split(np.asarray(g), np.cumsum([np.size(x) for x in arrays])[:-1])
        return [reshape_grad(p, x) for p, x in zip(pieces, arrays)]
    shapes = [
        np.shape(promote(np.broadcast_to(0.0, np.shape(x))) if promote else x)
        for x in arrays
    ]
    sizes = [s[axis] for s in shapes]
    pieces = np.split(np.asarray(g), np.cumsum(sizes)[:-1], axis=axis)
    return [reshape_grad(p, x) for p, x in zip(pieces, arrays)]


def hstack_grad(g, tup):
    """Adjoint of hstack: along axis 0 for 1-D arrays, else axis 1."""
    axis = 0 if all(np.ndim(x) <= 1 for x in tup) else 1
    return unconcatenate(g, tup, axis, np.atleast_1d)


def column_stack_grad(g, tup):
    """Adjoint of column_stack: 1-D arrays became columns."""
    return unconcatenate(g, tup, 1, lambda x: x[:, None] if np.ndim(x) < 2 else x)


def unstack(g, arrays, axis=0):
    """Adjoint of np.stack: slices of `g` along `axis`, one per array."""
    g = np.asarray(g)
    return [reshape_grad(np.take(g, i, axis=axis), x) for i, x in enumerate(arrays)]


def unsplit(g, ys, x, axis=0):
    """Adjoint of split and its relatives: pieces of `g` (zeros for zero entries) joined."""
    return reshape_grad(np.concatenate(items_grad(g, ys), axis=axis), x)


def hsplit_axis(x):
    """The axis np.hsplit splits along."""
    return 0 if np.ndim(x) == 1 else 1


def restack(g, ys, x, axis=0):
    """Adjoint of np.unstack: the slices' adjoints stacked along `axis`."""
    return as_grad(np.stack(items_grad(g, ys), axis=axis), x)


def untile(g, x, reps):
    """Adjoint of np.tile: the tiles of `g` summed."""
    shape = np.shape(x)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    n = max(len(shape), len(reps))
    shape_n = (1,) * (n - len(shape)) + tuple(shape)
    reps = (1,) * (n - len(reps)) + reps
    blocks = np.reshape(g, [d for pair in zip(reps, shape_n) for d in pair])
    return reshape_grad(np.sum(blocks, axis=tuple(range(0, 2 * n, 2))), x)


def unrepeat(g, x, repeats, axis=None):
    """Adjoint of np.repeat: the copies of each entry summed."""
    x = np.asarray(x)
    g = as_grad(g, x)
    if axis is None:
        src, g, axis = np.ravel(x), np.ravel(g), 0
    else:
        src = x
        axis = axis % x.ndim
    n = src.shape[axis]
    index = np.repeat(np.arange(n), repeats)
    out = np.zeros(src.shape, dtype=g.dtype)
    np.add.at(np.moveaxis(out, axis, 0), index, np.moveaxis(g, axis, 0))
    return out.reshape(x.shape)


def unroll(g, shift, axis=None):
    """Adjoint of np.roll: roll back."""
    if isinstance(shift, (tuple, list)):
        shift = tuple(-s for s in shift)
    else:
        shift = -shift
    return np.roll(g, shift, axis)


def rot90_grad(g, k=1, axes=(0, 1)):
    """Adjoint of np.rot90: rotate back."""
    return np.rot90(g, -k, axes)


def unpad(g, array, pad_width, mode="constant", reflect_type="even"):
    """Adjoint of np.pad for the modes that copy entries (constant, edge, reflect, ...)."""
    x = np.asarray(array)
    if mode in ("constant", "empty"):
        width = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
        index = tuple(slice(lo, lo + n) for (lo, _), n in zip(width, x.shape))
        return as_grad(np.asarray(g)[index], x)
    if mode not in ("edge", "reflect", "symmetric", "wrap") or reflect_type != "even":
        raise NotImplementedError(f"np.pad gradient for mode={mode!r}")
    source = np.pad(np.arange(x.size).reshape(x.shape), pad_width, mode=mode)
    out = np.bincount(source.ravel(), weights=np.ravel(g), minlength=x.size)
    return out.reshape(x.shape).astype(np.result_type(g, grad_dtype(x)))


def pad_value_grad(g, array, pad_width, constant_values):
    """Adjoint of np.pad's scalar `constant_values`: the sum of `g` over the padding."""
    if np.ndim(constant_values) != 0:
        raise NotImplementedError("np.pad gradient for per-axis constant_values")
    inner = unpad(g, array, pad_width)
    return np.sum(g) - np.sum(inner)


def sort_grad(g, x, axis=-1):
    """Adjoint of np.sort: each sorted entry's adjoint goes back where it came from."""
    x = np.asarray(x)
    g = as_grad(g, x)
    if axis is None:
        order = np.argsort(np.ravel(x), kind="stable")
        out = np.zeros(x.size, dtype=g.dtype)
        out[order] = g
        return out.reshape(x.shape)
    order = np.argsort(x, axis=axis, kind="stable")
    out = np.zeros(x.shape, dtype=g.dtype)
    np.put_along_axis(out, order, g, axis=axis)
    return out


def partition_grad(g, x, kth, axis=-1):
    """Adjoint of np.partition (the permutation numpy's argpartition gives)."""
    x = np.asarray(x)
    g = as_grad(g, x)
    if axis is None:
        x, axis = np.ravel(x), 0
    order = np.argpartition(x, kth, axis=axis)
    out = np.zeros(x.shape, dtype=g.dtype)
    np.put_along_axis(out, order, g, axis=axis)
    return out


def _along_axis_index(shape, indices, axis):
    """The fancy index that np.take_along_axis(x, indices, axis) uses."""
    out = []
    for dim, n in enumerate(shape):
        if dim == axis:
            out.append(indices)
        else:
            view = [1] * len(shape)
            view[dim] = n
            out.append(np.arange(n).reshape(view))
    return tuple(out)


def take_along_axis_grad(g, arr, indices, axis=-1):
    """Adjoint of np.take_along_axis: scatter-add `g` back to where it was taken."""
    x = np.asarray(arr)
    g = as_grad(g, x)
    out = np.zeros(x.shape, dtype=g.dtype)
    if axis is None:
        np.add.at(out.reshape(-1), indices, g)
        return out
    index = _along_axis_index(x.shape, np.asarray(indices), axis % x.ndim)
    np.add.at(
        out,
        index,
        np.broadcast_to(g, np.broadcast_shapes(*(np.shape(i) for i in index))),
    )
    return out


def take_grad(g, a, indices, axis=None, mode="raise"):
    """Adjoint of np.take: scatter-add `g` at the taken positions (wrap and clip too)."""
    x = np.asarray(a)
    g = as_grad(g, x)
    src = np.ravel(x) if axis is None else x
    axis = 0 if axis is None else axis % x.ndim
    n = src.shape[axis]
    index = np.take(np.arange(n), indices, mode=mode)
    out = np.zeros(src.shape, dtype=g.dtype)
    moved = np.moveaxis(out, axis, 0)
    k = np.ndim(index)
    np.add.at(moved, index, np.moveaxis(g, list(range(axis, axis + k)), list(range(k))))
    return out.reshape(x.shape)


def compress_grad(g, condition, a, axis=None):
    """Adjoint of np.compress: `g` back at the kept positions."""
    x = np.asarray(a)
    g = as_grad(g, x)
    keep = np.nonzero(condition)[0]
    if axis is None:
        out = np.zeros(x.size, dtype=g.dtype)
        out[keep] = g
        return out.reshape(x.shape)
    out = np.zeros(x.shape, dtype=g.dtype)
    np.moveaxis(out, axis, 0)[keep] = np.moveaxis(g, axis, 0)
    return out


def extract_grad(g, condition, arr):
    """Adjoint of np.extract: `g` back where the condition held."""
    x = np.asarray(arr)
    out = np.zeros(x.size, dtype=np.result_type(g, grad_dtype(x)))
    out[np.nonzero(np.ravel(condition))[0]] = g
    return out.reshape(x.shape)


def delete_grad(g, arr, obj, axis=None):
    """Adjoint of np.delete: zeros at the deleted positions, `g` elsewhere."""
    x = np.asarray(arr)
    g = as_grad(g, x)
    src = np.ravel(x) if axis is None else x
    axis = 0 if axis is None else axis % x.ndim
    keep = np.delete(np.arange(src.shape[axis]), obj)
    out = np.zeros(src.shape, dtype=g.dtype)
    np.moveaxis(out, axis, 0)[keep] = np.moveaxis(g, axis, 0)
    return out.reshape(x.shape)


def insert_grads(g, arr, obj, values, axis=None):
    """Adjoints of np.insert: `g` minus the inserted positions, and those to `values`."""
    x = np.asarray(arr)
    g = as_grad(g, x)
    src_n = x.size if axis is None else x.shape[axis]
    axis_ = 0 if axis is None else axis % x.ndim
    marker = np.insert(np.arange(src_n), obj, -1)
    moved = np.moveaxis(np.ravel(g) if axis is None else g, axis_, 0)
    garr = np.moveaxis(moved[marker >= 0], 0, axis_)
    gval = np.moveaxis(moved[marker < 0], 0, axis_)
    if np.ndim(obj) == 0 and np.ndim(values) < (1 if axis is None else x.ndim):
        gval = np.take(gval, 0, axis=axis_) if np.shape(gval)[axis_] == 1 else gval
    return reshape_grad(garr, x), unbroadcast(gval, values) if np.ndim(
        values
    ) else np.sum(gval)


def append_grads(g, arr, values, axis=None):
    """Adjoints of np.append: the two parts of `g`."""
    if axis is None:
        g = np.ravel(g)
        n = np.size(arr)
        return reshape_grad(g[:n], arr), reshape_grad(g[n:], values)
    n = np.shape(arr)[axis]
    ga, gv = np.split(np.asarray(g), [n], axis=axis)
    return reshape_grad(ga, arr), reshape_grad(gv, values)


def select_grads(g, condlist, choicelist):
    """Adjoints of np.select: each choice gets `g` where its condition is the first true."""
    taken = False
    out = []
    for cond, choice in zip(condlist, choicelist):
        mask = np.asarray(cond) & ~np.asarray(taken)
        out.append(unbroadcast(as_grad(np.where(mask, g, 0.0), choice), choice))
        taken = taken | np.asarray(cond)
    return out


def select_default_grad(g, condlist, default):
    """Adjoint of np.select's `default`: `g` where no condition holds."""
    taken = np.any(np.broadcast_arrays(*condlist), axis=0)
    return unbroadcast(as_grad(np.where(taken, 0.0, g), default), default)


def diff_grads(g, a, n=1, axis=-1, prepend=None, append=None):
    """Adjoints of np.diff: (a, prepend, append); the transposed difference n times."""
    a = np.asarray(a)
    axis = axis % a.ndim
    parts = [a]
    if prepend is not None:
        shape = list(a.shape)
        shape[axis] = 1
        parts.insert(
            0, np.broadcast_to(prepend, shape) if np.ndim(prepend) == 0 else prepend
        )
    if append is not None:
        shape = list(a.shape)
        shape[axis] = 1
        parts.append(np.broadcast_to(append, shape) if np.ndim(append) == 0 else append)
    out = as_grad(g, a)
    for _ in range(n):
        width = [(0, 0)] * out.ndim
        width[axis] = (1, 0)
        before = np.pad(out, width)
        width[axis] = (0, 1)
        after = np.pad(out, width)
        out = before - after
    sizes = [np.shape(p)[axis] for p in parts]
    pieces = np.split(out, np.cumsum(sizes)[:-1], axis=axis)
    ga = pieces[1 if prepend is not None else 0]
    gpre = unbroadcast(pieces[0], prepend) if prepend is not None else 0.0
    gapp = unbroadcast(pieces[-1], append) if append is not None else 0.0
    return ga, gpre, gapp


def interp_grads(g, x, xp, fp, left=None, right=None, period=None):
    """Adjoints of np.interp: slope to x; hat weights to fp; the knots' shift to xp."""
    if period is not None:
        raise NotImplementedError("np.interp with period has no gradient rule")
    x, xp, fp = np.asarray(x), np.asarray(xp), np.asarray(fp)
    g = np.asarray(g)
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    h = xp[j + 1] - xp[j]
    t = (x - xp[j]) / h
    slope = (fp[j + 1] - fp[j]) / h
    inside = (x >= xp[0]) & (x <= xp[-1])
    gx = np.where(inside, g * slope, 0.0)
    gfp = np.zeros(fp.shape, dtype=np.result_type(g, grad_dtype(fp)))
    gin = np.where(inside, g, 0.0)
    np.add.at(gfp, j, gin * (1 - t))
    np.add.at(gfp, j + 1, gin * t)
    if left is None:
        np.add.at(gfp, 0, np.sum(np.where(x < xp[0], g, 0.0)))
    if right is None:
        np.add.at(gfp, -1, np.sum(np.where(x > xp[-1], g, 0.0)))
    gxp = np.zeros(xp.shape, dtype=gfp.dtype)
    np.add.at(gxp, j, -gin * slope * (1 - t))
    np.add.at(gxp, j + 1, -gin * slope * t)
    gleft = np.sum(np.where(x < xp[0], g, 0.0)) if left is not None else 0.0
    gright = np.sum(np.where(x > xp[-1], g, 0.0)) if right is not None else 0.0
    return as_grad(gx, x), gxp, gfp, gleft, gright


def unarray(g, obj):
    """Adjoint of np.array / np.asarray of an array or of a (nested) list of values."""
    if is_zero(g):
        return 0.0
    if (  # the common case first: a flat list of numbers
        type(obj) is list
        and type(g) is np.ndarray
        and g.shape == (len(obj),)
        and not any(isinstance(item, (list, tuple, np.ndarray)) for item in obj)
    ):
        return [
            g[i] for i in range(len(obj))
        ]  # differentiable again, as list(g) is not
    g = np.reshape(g, np.shape(obj))
    if isinstance(obj, (list, tuple)):
        return [
            g[i] if isinstance(item, np.ndarray) else g[i][()]
            for i, item in enumerate(obj)
        ]
    return cast_like(g, obj) if isinstance(obj, np.ndarray) else g[()]


def atleast_grad(g, ary):
    """Adjoint of atleast_1d/2d/3d of one array: reshape back."""
    return reshape_grad(g, ary)


def broadcast_arrays_grad(g, i, x):
    """Adjoint of item `i` of np.broadcast_arrays for the input `x`."""
    return unbroadcast(
        item_grad(
            g,
            i,
            np.broadcast_to(
                0.0,
                np.shape(g[i]) if not is_zero(g) and not is_zero(g[i]) else np.shape(x),
            ),
        ),
        x,
    )


def cast_grad(g, x, dtype):
    """Adjoint of x.astype(dtype): zero for integer or boolean casts, else `g` in x's dtype."""
    if not np.issubdtype(np.dtype(dtype), np.inexact):
        return np.zeros(np.shape(x), dtype=grad_dtype(x))
    return cast_like(g, x)


def scalar_item_grad(g, a, args):
    """Adjoint of x.item(*args): `g` at the one entry taken."""
    x = np.asarray(a)
    out = np.zeros(x.shape, dtype=np.result_type(g, grad_dtype(x)))
    if not args:
        out.reshape(-1)[0] = g
    elif len(args) == 1:
        index = args[0]
        if isinstance(index, tuple):
            out[index] = g
        else:
            out.reshape(-1)[index] = g
    else:
        out[tuple(args)] = g
    return out


def nan_to_num_grad(g, x):
    """Adjoint of nan_to_num: `g` where x is finite, 0 where it was replaced."""
    return as_grad(np.where(np.isfinite(x), g, 0.0), x)


def nan_mask_grad(g, x, full):
    """`full` with zeros at x's NaN entries (nansum, nanmean, nanprod)."""
    return np.where(np.isnan(x), 0.0, full).astype(np.asarray(full).dtype)


def nanmean_grad(g, x, axis=None, keepdims=False):
    """Adjoint of nanmean: `g` shared by the entries that are not NaN."""
    return mean_grad(g, x, axis, keepdims, ~np.isnan(x))


def nanprod_grad(g, x, axis=None, keepdims=False):
    """Adjoint of nanprod: NaNs count as ones and get nothing."""
    x = np.asarray(x)
    filled = np.where(np.isnan(x), 1.0, x).astype(x.dtype)
    full = unreduce(g, x, axis, keepdims) * products_of_others(filled, axis)
    return nan_mask_grad(g, x, full)


def nancumsum_grad(g, x, axis=None):
    """Adjoint of nancumsum: cumsum's, zero at the NaNs."""
    return nan_mask_grad(g, x, cumsum_grad(g, x, axis))


# ----- scipy.special -----


def softmax_grad(g, y, axis=None):
    """Adjoint of softmax: y * (g - sum(g * y))."""
    g = as_grad(g, y)
    return y * (g - np.sum(g * y, axis=axis, keepdims=True))


def log_softmax_grad(g, y, axis=None):
    """Adjoint of log_softmax: g - softmax * sum(g)."""
    g = as_grad(g, y)
    return g - np.exp(y) * np.sum(g, axis=axis, keepdims=True)


def logsumexp_grads(g, y, a, axis=None, b=None, keepdims=False, return_sign=False):
    """Adjoints of logsumexp with respect to `a` and the weights `b`."""
    if return_sign:
        raise NotImplementedError(
            "logsumexp with return_sign=True has no gradient rule"
        )
    a = np.asarray(a)
    shape = np.broadcast_shapes(a.shape, np.shape(b)) if b is not None else a.shape
    full = unreduce(g, np.broadcast_to(a, shape), axis, keepdims)
    lse = kept(y, np.broadcast_to(a, shape), axis, keepdims)
    share = np.exp(a - lse)
    ga = full * share if b is None else full * share * b
    gb = 0.0 if b is None else unbroadcast(full * share, b)
    return unbroadcast(as_grad(ga, a), a), gb


def xlogy_grads(g, x, y):
    """Adjoints of xlogy(x, y) = x log y: log y (0 where x == y == 0, as JAX) and x / y."""
    x, y = np.asarray(x), np.asarray(y)
    both = (x == 0) & (y == 0)
    gx = np.where(both, 0.0, g * np.log(np.where(both, 1.0, y)))
    gy = g * safe_divide(x, y)
    return unbroadcast(as_grad(gx, x), x), unbroadcast(as_grad(gy, y), y)


def xlog1py_grads(g, x, y):
    """Adjoints of xlog1py(x, y) = x log(1 + y): log1p(y) (0 where x == 0, y == -1) and x / (1 + y)."""
    x, y = np.asarray(x), np.asarray(y)
    both = (x == 0) & (y == -1)
    gx = np.where(both, 0.0, g * np.log1p(np.where(both, 0.0, y)))
    gy = g * safe_divide(x, 1.0 + y)
    return unbroadcast(as_grad(gx, x), x), unbroadcast(as_grad(gy, y), y)


def rel_entr_grads(g, x, y):
    """Adjoints of rel_entr(x, y) = x log(x / y): log(x / y) + 1 and -x / y."""
    x, y = np.asarray(x), np.asarray(y)
    ok = (x > 0) & (y > 0)
    gx = np.where(
        ok, g * (np.log(np.where(ok, x / np.where(ok, y, 1.0), 1.0)) + 1.0), 0.0
    )
    gy = np.where(ok, -g * x / np.where(ok, y, 1.0), 0.0)
    return unbroadcast(as_grad(gx, x), x), unbroadcast(as_grad(gy, y), y)


def kl_div_grads(g, x, y):
    """Adjoints of kl_div(x, y) = x log(x / y) - x + y: log(x / y) and 1 - x / y."""
    x, y = np.asarray(x), np.asarray(y)
    ok = (x > 0) & (y > 0)
    gx = np.where(ok, g * np.log(np.where(ok, x / np.where(ok, y, 1.0), 1.0)), 0.0)
    gy = np.where(ok, g * (1.0 - x / np.where(ok, y, 1.0)), g * (x == 0))
    return unbroadcast(as_grad(gx, x), x), unbroadcast(as_grad(gy, y), y)


def entr_derivative(x):
    """d (-x log x) / dx = -log x - 1 (for x > 0)."""
    x = np.asarray(x)
    return np.where(x > 0, -np.log(np.where(x > 0, x, 1.0)) - 1.0, 0.0)


def exprel_derivative(x):
    """d exprel(x) / dx = (x e^x - e^x + 1) / x^2, and 1/2 at 0."""
    x = np.asarray(x)
    small = np.abs(x) < 1e-4
    safe = np.where(small, 1.0, x)
    exact = (safe * np.exp(safe) - np.expm1(safe)) / (safe * safe)
    return np.where(small, 0.5 + x / 3.0, exact)


def i1_over_x_term(x):
    """d i1(x) / dx = i0(x) - i1(x) / x, and 1/2 at 0."""

    x = np.asarray(x)
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 0.5, scipy_special.i0(x) - scipy_special.i1(safe) / safe)


def i1e_derivative(x, y):
    """d i1e(x) / dx = i0e(x) - i1e(x) (sign(x) + 1 / x), and 1/2 at 0."""

    x = np.asarray(x)
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 0.5, scipy_special.i0e(x) - y * (np.sign(x) + 1.0 / safe))


def log_ndtr_derivative(x, y):
    """d log(ndtr(x)) / dx = pdf(x) / ndtr(x) = exp(-x^2/2 - log sqrt(2 pi) - log_ndtr(x))."""
    return np.exp(-0.5 * np.square(x) - 0.5 * math.log(2.0 * math.pi) - y)


def multigammaln_derivative(a, dim):
    """d multigammaln(a, d) / da = sum_j digamma(a - j / 2)."""

    return sum(scipy_special.digamma(a - 0.5 * j) for j in range(dim))


# ----- Adjoints of the helpers themselves (second order) -----
#
# A generated gradient calls the helpers above, and `grad(grad(f))`
# differentiates it again. The common helpers are linear in the adjoint `g`
# they receive; their own adjoints with respect to `g` are below.


def unreduce_adjoint(c, g, x, axis=None, keepdims=False, where=True):
    """Adjoint of `unreduce(g, ...)` with respect to `g`: the sum it broadcast."""
    if where is not True:
        c = np.where(where, c, 0.0)
    ge = np.asarray(g)
    if not keepdims and axis is not None and ge.ndim < np.ndim(x):
        ge = np.expand_dims(ge, normalize_axes(axis, np.ndim(x)))
    return np.reshape(unbroadcast(np.asarray(c), ge), np.shape(g))


def mean_grad_adjoint(c, g, x, axis=None, keepdims=False, where=True):
    """Adjoint of `mean_grad(g, ...)` with respect to `g`."""
    n = np.maximum(reduced_count(x, axis, where), 1)
    return unreduce_adjoint(np.asarray(c) / n, g, x, axis, keepdims, where)


def extremum_grad_adjoint(c, g, y, x, axis=None, keepdims=False, where=True):
    """Adjoint of `extremum_grad(g, ...)` with respect to `g` (the mask is constant)."""
    x = np.asarray(x)
    mask = x == kept(y, x, axis, keepdims)
    if where is not True:
        mask = mask & where
    count = np.maximum(
        np.sum(mask, axis=normalize_axes(axis, x.ndim), keepdims=True), 1
    )
    return unreduce_adjoint(
        np.where(mask, np.asarray(c) / count, 0.0), g, x, axis, keepdims
    )


def cumsum_grad_adjoint(c, g, x, axis=None):
    """Adjoint of `cumsum_grad(g, ...)` with respect to `g`: a forward cumsum."""
    if axis is None:
        return np.reshape(np.cumsum(np.ravel(c)), np.shape(g))
    return np.reshape(np.cumsum(c, axis=axis), np.shape(g))


def pair_extremum_grads_adjoint(c, g, x1, x2, larger=True, ignore_nan=False):
    """Adjoint of `pair_extremum_grads(g, ...)` with respect to `g` (masks are constant)."""
    shape = np.broadcast_shapes(np.shape(g), np.shape(x1), np.shape(x2))
    ones = np.ones(shape)
    w1, w2 = pair_extremum_grads(
        ones, np.broadcast_to(x1, shape), np.broadcast_to(x2, shape), larger, ignore_nan
    )
    c1 = (
        np.zeros(shape) if is_zero(c) or is_zero(c[0]) else np.broadcast_to(c[0], shape)
    )
    c2 = (
        np.zeros(shape) if is_zero(c) or is_zero(c[1]) else np.broadcast_to(c[1], shape)
    )
    return unbroadcast(c1 * w1 + c2 * w2, g)


def product_grad_adjoint(c, g, a, b, k, j, product, vjp):
    """Adjoints of the vjp `vjp(g, a, b, k)` of a bilinear `product(a, b)`.

    The vjp is linear in `g` and in the operand other than `k`; `j` picks
    which adjoint: -1 for `g` (the product with operand k replaced by `c`),
    else the other operand's (the vjp with operand k replaced by `c`).
    """
    ops = [a, b]
    if j == k:  # the vjp for operand k does not read operand k
        return np.zeros(np.shape(ops[k]), dtype=grad_dtype(ops[k]))
    ops[k] = c
    if j == -1:
        return unbroadcast(as_grad(product(*ops), g), g)
    return vjp(g, ops[0], ops[1], j)


def einsum_grad_adjoint(c, g, subscripts, k, j, *operands):
    """Adjoints of `einsum_grad(g, subscripts, k, *operands)`: as `product_grad_adjoint`."""
    ops = [op for op in operands if op is not None]
    if j == k:  # the vjp for operand k does not read operand k
        return np.zeros(np.shape(ops[k]), dtype=grad_dtype(ops[k]))
    ops[k] = c
    if j == -1:
        return unbroadcast(as_grad(np.einsum(subscripts, *ops), g), g)
    return einsum_grad(g, subscripts, j, *ops)


# ----- Forward (tangent) helpers -----
# Helpers of forward rules: each takes the tangent of one argument and gives
# its contribution to the tangent of the result (the result's shape).


def weighted_sum(t, weights, axis=None, keepdims=False):
    """Tangent of a reduction whose reverse rule spreads `g` as `g * weights`.

    For max, var, norm, median, ... the gradient of each reduced entry is a
    weight on the input entries; the tangent is their weighted sum.
    """
    return np.sum(t * weights, axis=axis, keepdims=keepdims)


def nan_weighted_sum(t, x, weights, axis=None, keepdims=False):
    """`weighted_sum` over the entries of `x` that are not NaN."""
    keep = ~np.isnan(x)
    return np.sum(
        np.where(keep, t * np.where(keep, weights, 0.0), 0.0),
        axis=axis,
        keepdims=keepdims,
    )


def extremum_share(t, x, other, larger=True):
    """Tangent of maximum(x, other) from `x`'s tangent: all of it where `x` wins, half on ties."""
    x = np.asarray(x)
    other = np.asarray(other)
    wins = x > other if larger else x < other
    ties = x == other
    share = np.where(wins, 1.0, np.where(ties, 0.5, 0.0))
    return t * share


def nan_extremum_share(t, x1, x2, larger=True, of_first=True):
    """Tangent of fmax(x1, x2) (fmin: `larger=False`) from the tangent `t` of
    `x1` (`of_first`) or of `x2`: where that operand is taken. As JAX's
    where((x1 > x2) | isnan(x2), x1, x2), a tie goes to `x2`; so does the
    reverse rule (`pair_extremum_grads`)."""
    x1 = np.asarray(x1)
    x2 = np.asarray(x2)
    first = ((x1 > x2) if larger else (x1 < x2)) | np.isnan(x2)
    return np.where(first if of_first else ~first, t, 0.0)


def clip_bound_tangent(t, a, lo, hi, upper):
    """Tangent of clip(a, lo, hi) from the tangent of a bound: where the bound is taken."""
    a = np.asarray(a)
    below = np.zeros(a.shape, bool) if lo is None else a < lo
    above = np.zeros(a.shape, bool) if hi is None else a > hi
    if lo is not None and hi is not None:
        below = below & ~above
    return np.where(above if upper else below, t, 0.0)


def sort_tangent(t, x, axis=-1, kth=None):
    """Tangent of sort (or partition at `kth`): the tangent, permuted alike."""
    if axis is None:
        t, x, axis = np.ravel(t), np.ravel(x), -1
    order = (
        np.argsort(x, axis=axis, kind="stable")
        if kth is None
        else np.argpartition(x, kth, axis=axis)
    )
    return np.take_along_axis(np.broadcast_to(t, np.shape(x)), order, axis=axis)


def cumprod_tangent(t, y, x, axis=None):
    """Tangent of cumprod: sum over j <= i of y_i / x_j * t_j (products skipping x_j)."""
    x = np.asarray(x, dtype=float)
    if axis is None:
        t, x, y, axis = np.ravel(t), np.ravel(x), np.ravel(y), 0
    x = np.moveaxis(x, axis, -1)
    t = np.moveaxis(np.broadcast_to(t, np.shape(np.moveaxis(x, -1, axis))), axis, -1)
    n = x.shape[-1]
    out = np.zeros(x.shape)
    for j in range(n):
        others = x.copy()
        others[..., j] = 1.0
        partial = np.cumprod(others, axis=-1) * t[..., j : j + 1]
        partial[..., :j] = 0.0
        out = out + partial
    return np.moveaxis(out, -1, axis)


def multi_dot_tangent(ts, arrays):
    """Tangent of multi_dot(arrays): each factor's tangent in turn (product rule)."""
    out = 0.0
    for i, t in enumerate(ts):
        if isinstance(t, float) and t == 0.0:
            continue
        factors = list(arrays)
        factors[i] = t
        out = out + np.linalg.multi_dot(factors)
    return out


def cholesky_tangent(t, L, upper=False):
    """Tangent of the Cholesky factor: L Phi(L^-1 dA L^-T), Phi the lower half."""
    if upper:
        L = np.swapaxes(L, -1, -2)
    t = (t + np.swapaxes(t, -1, -2)) / 2.0  # only the symmetric part moves a
    inner = np.linalg.solve(L, np.swapaxes(np.linalg.solve(L, t), -1, -2))
    phi = np.tril(inner, -1) + 0.5 * np.tril(np.triu(inner))
    dL = L @ phi
    return np.swapaxes(dL, -1, -2) if upper else dL


def eigh_tangent(t, w_v, eigenvalues_only=False):
    """Tangent of eigh: dw = diag(V^T dA V); dV = V (F * (V^T dA V)), F_ij = 1/(w_j - w_i)."""
    w, v = w_v
    vt = np.swapaxes(v, -1, -2)
    inner = vt @ ((t + np.swapaxes(t, -1, -2)) / 2.0) @ v
    dw = np.diagonal(inner, axis1=-2, axis2=-1)
    if eigenvalues_only:
        return dw
    gap = w[..., None, :] - w[..., :, None]
    n = w.shape[-1]
    off = ~np.eye(n, dtype=bool)
    f = np.where(off, 1.0 / np.where(off, gap, 1.0), 0.0)
    return dw, v @ (f * inner)


def svdvals_tangent(t, x):
    """Tangent of the singular values: diag(U^T dA V)."""
    u, _, vh = np.linalg.svd(x, full_matrices=False)
    return np.diagonal(
        np.swapaxes(u, -1, -2) @ t @ np.swapaxes(vh, -1, -2), axis1=-2, axis2=-1
    )


def matrix_power_tangent(t, a, n):
    """Tangent of a**n (matrix power): sum of a^k dA a^(n-1-k); through inv for n < 0."""
    if n < 0:
        inv = np.linalg.inv(a)
        return (
            -matrix_power_tangent(inv @ t @ inv, inv, -n) if n != -1 else -inv @ t @ inv
        )
    out = np.zeros(np.shape(a))
    for k in range(n):
        out = out + np.linalg.matrix_power(a, k) @ t @ np.linalg.matrix_power(
            a, n - 1 - k
        )
    return out


def pad_tangent(t, pad_width, mode="constant", reflect_type="even"):
    """Tangent of pad for the padded array: the same padding of its tangent, zeros for constants."""
    if mode == "constant" or mode == "empty":
        return np.pad(t, pad_width, mode="constant")
    if mode in ("reflect", "symmetric"):
        return np.pad(t, pad_width, mode=mode, reflect_type=reflect_type)
    return np.pad(t, pad_width, mode=mode)


def diff_tangent(t, a, n=1, axis=-1, prepend=None, append=None, part="a"):
    """Tangent of diff(a, n, axis, prepend, append) from the tangent `t` of one part.

    The other parts count as zeros: diff is linear in a, prepend and append
    together.
    """
    parts = {
        "a": np.zeros(np.shape(a)),
        "prepend": None if prepend is None else np.zeros(np.shape(prepend)),
        "append": None if append is None else np.zeros(np.shape(append)),
    }
    parts[part] = t
    extra = {k: parts[k] for k in ("prepend", "append") if parts[k] is not None}
    return np.diff(parts["a"], n, axis=axis, **extra)


def average_weights_tangent(t, y, a, axis=None, weights=None, keepdims=False):
    """Tangent of average(a, weights=w) from w's tangent: (sum(dw a) - y sum(dw)) / sum(w)."""
    a = np.asarray(a, dtype=float)
    w = np.broadcast_to(weights, a.shape) if np.ndim(weights) == a.ndim else weights
    t = np.broadcast_to(t, np.shape(w))
    if axis is not None and np.ndim(weights) == 1 and a.ndim > 1:
        shape = [1] * a.ndim
        shape[axis] = -1
        w, t = np.reshape(w, shape), np.reshape(t, shape)
    total = np.sum(w * np.ones(a.shape), axis=axis, keepdims=True)
    y_kept = np.sum(a * w, axis=axis, keepdims=True) / total
    out = np.sum((a - y_kept) * t * np.ones(a.shape), axis=axis, keepdims=keepdims) / (
        total if keepdims else np.squeeze(total, axis=axis)
    )
    return out


def unless_same(y, k, which, value):
    """`value`, or zeros of `y`'s shape when the gradient for argument `k` reads only its shape.

    The gradient of a product with respect to one factor does not depend on
    that factor's values, so its tangent in that factor is zero.
    """
    return np.zeros(np.shape(y)) if k == which else value


def cast_tangent(t, dtype):
    """Tangent of x.astype(dtype): zero for integer or boolean casts."""
    if not np.issubdtype(np.dtype(dtype), np.inexact):
        return np.zeros(np.shape(t))
    return np.asarray(t).astype(dtype)


def interp_xp_tangent(t, x, xp, fp):
    """Tangent of interp(x, xp, fp) from the knots' tangent: the knots' shift."""
    x, xp, fp = np.asarray(x), np.asarray(xp), np.asarray(fp)
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    h = xp[j + 1] - xp[j]
    w = (x - xp[j]) / h
    slope = (fp[j + 1] - fp[j]) / h
    inside = (x >= xp[0]) & (x <= xp[-1])
    return np.where(inside, -slope * ((1 - w) * t[j] + w * t[j + 1]), 0.0)


def interp_fp_tangent(t, x, xp, left=None, right=None):
    """Tangent of interp(x, xp, fp) from the values' tangent (given edges are constants)."""
    return np.interp(
        x,
        xp,
        t,
        left=None if left is None else 0.0,
        right=None if right is None else 0.0,
    )


def pad_value_tangent(t, array, pad_width):
    """Tangent of pad(array, ..., constant_values=c) from the tangent of `c`."""
    return np.pad(np.zeros(np.shape(array)), pad_width, constant_values=t)


def slogdet_tangent(t, a, y):
    """Tangent of slogdet: the sign does not move; log|det| moves by tr(a^-1 da)."""
    dlog = np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)
    return type(y)(np.zeros(np.shape(y[0])), dlog)


def cumulative_prod_tangent(t, y, x, axis=None, include_initial=False):
    """Tangent of np.cumulative_prod (cumprod, optionally after a leading 1)."""
    axis = 0 if axis is None else axis
    inner = cumprod_tangent(t, np.cumprod(x, axis=axis), x, axis)
    if include_initial:
        pad = [(0, 0)] * np.ndim(x)
        pad[axis] = (1, 0)
        inner = np.pad(inner, pad)
    return inner


def svd_tangent(t, a, y, full_matrices=True, compute_uv=True):
    """Tangent of the SVD a = U S Vh (reduced; full for square matrices)."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    v = np.swapaxes(vh, -1, -2)
    ut = np.swapaxes(u, -1, -2)
    dp = ut @ t @ v
    ds = np.diagonal(dp, axis1=-2, axis2=-1)
    if not compute_uv:
        return ds
    m, n = np.shape(a)[-2:]
    s2 = s[..., None, :] ** 2 - s[..., :, None] ** 2
    k = s.shape[-1]
    off = ~np.eye(k, dtype=bool)
    f = np.where(off, 1.0 / np.where(off, s2, 1.0), 0.0)
    S = s[..., None, :] * np.eye(k)
    dpt = np.swapaxes(dp, -1, -2)
    du = u @ (f * (dp @ S + S @ dpt))
    dv = v @ (f * (S @ dp + dpt @ S))
    sinv = (1.0 / s)[..., None, :]
    if m > k:
        du = du + (t @ v - u @ (ut @ t @ v)) * sinv
    if n > k:
        tt = np.swapaxes(t, -1, -2)
        dv = dv + (tt @ u - v @ (np.swapaxes(v, -1, -2) @ tt @ u)) * sinv
    if full_matrices and m != n:
        # the completing columns move so as to stay orthogonal to the others
        uf, _, vhf = y
        if m > k:
            extra = uf[..., :, k:]
            du = np.concatenate([du, -u @ (np.swapaxes(du, -1, -2) @ extra)], axis=-1)
        if n > k:
            extra = np.swapaxes(vhf, -1, -2)[..., :, k:]
            dv = np.concatenate([dv, -v @ (np.swapaxes(dv, -1, -2) @ extra)], axis=-1)
    return type(y)(du, ds, np.swapaxes(dv, -1, -2))


def qr_tangent(t, a, y, mode="reduced"):
    """Tangent of a = QR (reduced, m >= n): X = Q^T dA R^-1, dR = (X - rho) R."""
    q, r = np.linalg.qr(a)
    m, n = np.shape(a)[-2:]
    if m < n:  # a = Q [R1 R2]: the square part, then R2 = Q^T A2
        dq, dr1 = qr_tangent(t[..., :m], a[..., :m], y, "reduced")
        qt = np.swapaxes(q, -1, -2)
        dr2 = np.swapaxes(dq, -1, -2) @ a[..., m:] + qt @ t[..., m:]
        dr = np.concatenate([dr1, dr2], axis=-1)
        return dr if mode == "r" else type(y)(dq, dr)
    qt = np.swapaxes(q, -1, -2)
    rinv_t = np.swapaxes(np.linalg.inv(r), -1, -2)
    x = qt @ t @ np.swapaxes(rinv_t, -1, -2)
    low = np.tril(x, -1)
    rho = low - np.swapaxes(low, -1, -2)
    dr = (x - rho) @ r
    if mode == "r":
        return dr
    dq = q @ rho + (t - q @ (qt @ t)) @ np.swapaxes(rinv_t, -1, -2)
    return type(y)(dq, dr)


def pinv_tangent(t, a, y):
    """Tangent of the pseudo-inverse (of a matrix of full rank)."""
    p = y
    pt = np.swapaxes(p, -1, -2)
    tt = np.swapaxes(t, -1, -2)
    m, n = np.shape(a)[-2:]
    out = -p @ t @ p
    out = out + p @ pt @ tt @ (np.eye(m) - a @ p)
    out = out + (np.eye(n) - p @ a) @ tt @ pt @ p
    return out


def lstsq_tangent(ta, tb, a, b, y):
    """Tangent of lstsq(a, b): of the solution, the residuals and the singular values."""
    x, residuals, rank, s = y
    p = np.linalg.pinv(a)
    dx = 0.0
    if tb is not None:
        dx = dx + p @ tb
    if ta is not None:
        dx = dx + pinv_tangent(ta, a, p) @ b
    r = b - a @ x
    dr = -(a @ dx)
    if tb is not None:
        dr = dr + tb
    if ta is not None:
        dr = dr - ta @ x
    dres = (
        2.0 * np.sum(r * dr, axis=0)
        if np.size(residuals)
        else np.zeros(np.shape(residuals))
    )
    ds = svdvals_tangent(ta, a) if ta is not None else np.zeros(np.shape(s))
    return (dx, dres, 0, ds)
