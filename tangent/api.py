"""The public API: grad, value_and_grad, vjp, source, show.

Every function here drives the compiler in `transforms/` with the rule
registry of `tangent.rules`, compiles the generated source, and caches it per
function and options. A cache entry remembers the helper functions it was
built from and is dropped when any of them has been redefined, so redefining
a function never returns stale code.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import threading

from tangent.rules import RULES
from transforms import codegen
from transforms.errors import BadWrtError, TransformError
from transforms.parsing import parse_function
from transforms.pipeline import gradient_ast
from transforms.quoting import to_source as _to_source

__all__ = [
    "grad",
    "value_and_grad",
    "vjp",
    "source",
    "show",
    "gradient_source",
    "graph",
]

# modules whose functions are used through derivative rules, never their source
LIBRARY_MODULES = {
    "numpy",
    "scipy",
    "jax",
    "jaxlib",
    "autograd",
    "torch",
    "math",
    "tangent",
}

_cache: dict = {}
_lock = threading.RLock()
_in_progress: dict = {}


class _Deferred:
    """Stands for a gradient still being generated (recursive functions)."""

    def __init__(self):
        self.func = None

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)


def _namespace(func):
    """What the names in `func` refer to: its globals, closure and builtins."""
    ns = dict(vars(builtins))
    ns.update(func.__globals__)
    cells = {}
    code = func.__code__
    for var, cell in zip(code.co_freevars, func.__closure__ or ()):
        cells[var] = cell
        try:
            ns[var] = cell.cell_contents
        except ValueError:
            pass
    return ns, cells


def _unwrap(f):
    f = inspect.unwrap(f)
    if isinstance(f, functools.partial):
        raise TransformError(
            "cannot differentiate a functools.partial",
            function=repr(f),
            hint="differentiate the underlying function and pass the arguments",
        )
    if inspect.ismethod(f):
        raise TransformError(
            "cannot differentiate a bound method",
            function=f.__qualname__,
            hint="differentiate a plain function that takes the object's data as arguments",
        )
    module = (getattr(f, "__module__", None) or "").split(".")[0]
    if inspect.isfunction(f) and module in LIBRARY_MODULES:
        raise TransformError(
            "cannot differentiate a library function itself",
            function=f"{f.__module__}.{f.__name__}",
            construct=f"{f.__module__}.{f.__qualname__}",
            hint="differentiate your own function that calls it (its rule is used there)",
        )
    if not inspect.isfunction(f):
        raise TransformError(
            "can only differentiate Python functions defined with def",
            function=getattr(f, "__name__", repr(f)),
            construct=type(f).__name__,
            hint="builtins and C functions have no source; register a rule with @tangent.adjoint",
        )
    return f


def _normalize_wrt(wrt, f=None):
    if isinstance(wrt, (int, str)) and not isinstance(wrt, bool):
        return (wrt,)
    if isinstance(wrt, list):
        wrt = tuple(wrt)
    if not isinstance(wrt, tuple) or any(
        isinstance(w, bool) or not isinstance(w, (int, str)) for w in wrt
    ):
        code = getattr(f, "__code__", None)
        raise BadWrtError(
            "wrt must be an index, a parameter name, or a tuple of them",
            function=getattr(f, "__name__", None),
            filename=code.co_filename if code else None,
            lineno=code.co_firstlineno if code else None,
            construct=f"wrt={wrt!r}",
            hint="e.g. wrt=(0, 1) or wrt=('w', 'b')",
        )
    return wrt


def _register_location(generated, primal, info):
    """Let runtime errors raised inside generated code name the user's function."""
    from tangent import runtime

    runtime.PRIMAL_OF[generated.__code__] = (
        primal.__name__,
        info.filename,
        info.first_line,
    )


def _fresh(entry) -> bool:
    """A cache entry is fresh while every function it was built from is still bound."""
    for ns, name, obj in entry["deps"]:
        if ns.get(name) is not obj:
            return False
    return True


def _build(f, wrt, options):
    """Generate and compile the gradient of `f` (no caching)."""
    node, info = parse_function(f)
    namespace, cells = _namespace(f)
    deps = []
    call_gradient = _call_gradient_factory(f, deps, options)

    result = gradient_ast(
        node,
        info,
        wrt,
        RULES,
        namespace,
        call_gradient,
        optimized=options["optimized"],
        returns=options["returns"],
        check_scalar=options["check_scalar"],
        reserved=set(RULES.runtime),
    )
    text = codegen.to_source(result.node)
    free = dict(result.imports)
    header = f"# Generated by tangent: the gradient of {f.__name__} ({info.filename}:{info.first_line})"
    func = codegen.compile_function(
        text, result.name, f.__globals__, free=free, cells=cells, header=header
    )
    func.__tangent__ = {
        "primal": f,
        "wrt": wrt,
        "seed": result.seed,
        "source": text,
        "stages": result.stages,
        "imports": free,
        "deps": deps,
    }
    _register_location(func, f, info)
    if options.get("verbose"):
        print(text)
    return func, deps


def _call_gradient_factory(f, deps, options):
    """The callback through which the compiler gets the gradients of `f`'s helpers."""

    def call_gradient(g, active_params, stmt):
        g = _unwrap(g)
        name = getattr(g, "__name__", "g")
        for var, val in f.__globals__.items():
            if val is g:
                deps.append((f.__globals__, var, g))
                break
        params = list(inspect.signature(g).parameters)
        preferred = f"d{name}"
        if list(active_params) != params:
            preferred = f"d{name}_wrt_{'_'.join(active_params)}"
        key = (g, active_params, "joint", options["optimized"])
        if key in _in_progress:
            return _in_progress[key], _seed_name(g), preferred
        helper_options = dict(options, returns="grads", check_scalar=False, verbose=0)
        dg = _gradient(g, active_params, options=helper_options)
        # redefining a helper of the helper must invalidate the caller too
        deps.extend(dg.__tangent__.get("deps", ()))
        return dg, dg.__tangent__["seed"], preferred

    return call_gradient


def _seed_name(g):
    entry = None
    for key, value in _cache.items():
        if key[0] is g:
            entry = value
            break
    if entry is not None:
        return entry["func"].__tangent__["seed"]
    from transforms.pipeline import seed_name

    node, _ = parse_function(g)
    return seed_name(node, set(RULES.runtime))


def _gradient(f, wrt, options):
    f = _unwrap(f)
    wrt = _normalize_wrt(wrt, f)
    key = (f, wrt, options["returns"], options["optimized"], options["check_scalar"])
    with _lock:
        entry = _cache.get(key)
        if entry is not None and _fresh(entry) and entry["code"] is f.__code__:
            if options.get("verbose"):
                print(entry["func"].__tangent__["source"])
            return entry["func"]
        deferred = _Deferred()
        joint_key = (f, wrt, "joint", options["optimized"])
        _in_progress[joint_key] = deferred
        try:
            func, deps = _build(f, wrt, options)
        except TransformError:
            raise
        except Exception as exc:  # a bug of ours: say so, with where it happened
            code = f.__code__
            raise TransformError(
                f"internal error while differentiating: {type(exc).__name__}: {exc}",
                function=f.__name__,
                filename=code.co_filename,
                lineno=code.co_firstlineno,
                hint="please report this with the function's source",
            ) from exc
        finally:
            _in_progress.pop(joint_key, None)
        deferred.func = func
        _cache[key] = {"func": func, "deps": deps, "code": f.__code__}
        return func


def grad(f=None, wrt=(0,), *, optimized=True, preserve_result=False, verbose=0):
    """Return a function computing the gradient of `f`'s scalar output.

    Usable as `tangent.grad(f, wrt=(0, 1))`, `@tangent.grad` or
    `@tangent.grad(wrt=(0, 1))`. `wrt` holds positional indices or parameter
    names: one gives one gradient, several a tuple in `wrt` order. The result
    is an ordinary generated Python function with the same positional
    parameters as `f` (plus the seed `dresult=1.0`).

    >>> import numpy as np, tangent
    >>> def f(x):
    ...     return np.sum(x ** 2)
    >>> df = tangent.grad(f)  # doctest: +SKIP
    """
    if f is None or isinstance(f, (int, str, tuple, list)):
        if f is not None:
            wrt = f

        def decorate(func):
            return grad(
                func,
                wrt,
                optimized=optimized,
                preserve_result=preserve_result,
                verbose=verbose,
            )

        return decorate
    options = {
        "optimized": optimized,
        "returns": "grads_value" if preserve_result else "grads",
        "check_scalar": True,
        "verbose": verbose,
    }
    return _gradient(f, wrt, options)


def value_and_grad(f=None, wrt=(0,), *, optimized=True, verbose=0):
    """Return a function giving `(f(*args), gradient)`."""
    if f is None:
        return functools.partial(
            value_and_grad, wrt=wrt, optimized=optimized, verbose=verbose
        )
    options = {
        "optimized": optimized,
        "returns": "value_grads",
        "check_scalar": True,
        "verbose": verbose,
    }
    return _gradient(f, wrt, options)


def _split_functions(f, n):
    """The forward and pullback functions of `f` w.r.t. its first `n` arguments (cached)."""
    key = (f, tuple(range(n)), "split")
    with _lock:
        entry = _cache.get(key)
        if entry is not None and _fresh(entry) and entry["code"] is f.__code__:
            return entry["func"]
        node, info = parse_function(f)
        namespace, cells = _namespace(f)
        deps = []
        result = gradient_ast(
            node,
            info,
            tuple(range(n)),
            RULES,
            namespace,
            _call_gradient_factory(f, deps, {"optimized": True}),
            returns="value_grads",
            check_scalar=False,
            reserved=set(RULES.runtime),
            split=True,
        )
        where = f"({info.filename}:{info.first_line})"
        pair = []
        for node_, name_, what in (
            (result.forward, result.forward_name, "forward sweep"),
            (result.pullback, result.pullback_name, "pullback"),
        ):
            text = codegen.to_source(node_)
            func = codegen.compile_function(
                text,
                name_,
                f.__globals__,
                free=dict(result.imports),
                cells=cells,
                header=f"# Generated by tangent: the {what} of {f.__name__} {where}",
            )
            func.__tangent__ = {
                "primal": f,
                "source": text,
                "imports": dict(result.imports),
            }
            pair.append(func)
        _cache[key] = {"func": tuple(pair), "deps": deps, "code": f.__code__}
        return tuple(pair)


def vjp(f, *primals):
    """Return `(out, pullback)`; `pullback(cotangent)` gives one gradient per primal.

    Split motion: a generated forward function runs `f` and saves what the
    backward sweep needs; the generated pullback reads only that.
    """
    import numpy as np

    f = _unwrap(f)
    n = len(primals)
    forward, backward = _split_functions(f, n)
    out, saved = forward(*primals)

    def pullback(cotangent):
        if np.shape(cotangent) != np.shape(out):
            raise ValueError(
                f"vjp: the cotangent has shape {np.shape(cotangent)}, but the output has "
                f"shape {np.shape(out)}"
            )
        grads = backward(saved, cotangent)
        return grads if n > 1 else (grads,)

    pullback.forward = forward
    pullback.backward = backward
    return out, pullback


def source(df) -> str:
    """The generated source of a gradient returned by `grad` (as `inspect.getsource`).

    >>> import tangent
    >>> def f(x):
    ...     return 3.0 * x
    >>> df = tangent.grad(f)
    >>> print(tangent.source(df).splitlines()[0])
    def df(x, dresult=1.0):
    >>> df(2.0)
    3.0
    """
    meta = getattr(df, "__tangent__", None)
    if meta is not None:
        return meta["source"]
    return inspect.getsource(df)


def show(df, primal=False) -> None:
    """Show the generated source of `df` (or a source string).

    In a terminal it is printed; in a Jupyter notebook it is displayed
    highlighted (Pygments). `primal=True` shows the source of the function `df`
    was generated from beside it.

    >>> import tangent
    >>> def f(x):
    ...     return x * x
    >>> tangent.show(tangent.grad(f))  # doctest: +ELLIPSIS
    def df(x, dresult=1.0):
        ...
        # Grad of: return x * x
        ...
        return dx
    """
    from tangent.display import show_source

    text = df if isinstance(df, str) else source(df)
    if not primal:
        show_source(text)
        return
    original = getattr(df, "__tangent__", {}).get("primal")
    if original is None:
        raise ValueError(
            "show(..., primal=True) needs a function generated by tangent "
            "(it remembers the function it was generated from)"
        )
    import textwrap

    show_source(
        text,
        primal=textwrap.dedent(inspect.getsource(original)),
        titles=(original.__name__, getattr(df, "__name__", "generated")),
    )


GRADIENT_STAGES = ("normalized", "unoptimized", "optimized")


def gradient_source(f, wrt=(0,), stage="optimized") -> str:
    """The source of one stage of the pipeline, for reading what each step does.

    `stage` is one of `GRADIENT_STAGES`: "normalized" (the primal in normal
    form: one operation per statement), "unoptimized" (the gradient as reverse
    mode writes it, before the optimizations) or "optimized" (what `grad`
    returns).

    >>> import tangent
    >>> def f(x):
    ...     y = x * x
    ...     return y
    >>> print(tangent.gradient_source(f, stage="normalized"), end="")  # doctest: +ELLIPSIS
    def f(x):
        y = x * x
        ...
    """
    if stage not in GRADIENT_STAGES:
        raise ValueError(
            f"unknown stage {stage!r}: choose one of {', '.join(GRADIENT_STAGES)}"
        )
    from tangent.display import markers_to_comments

    f = _unwrap(f)
    node, info = parse_function(f)
    namespace, _ = _namespace(f)
    if stage == "optimized":
        return source(grad(f, wrt))
    result = gradient_ast(
        node,
        info,
        _normalize_wrt(wrt),
        RULES,
        namespace,
        lambda g, p, s: (grad(g, p), "dresult", f"d{g.__name__}"),
        optimized=False,
        returns="grads",
        check_scalar=True,
        reserved=set(RULES.runtime),
        keep_stages=True,
    )
    text = result.stages.get(stage) or _to_source(result.node)
    return markers_to_comments(text if text.endswith("\n") else text + "\n")


def graph(f):
    """The forward graph of `f` (or of a generated gradient): text, DOT, SVG in Jupyter.

    Nodes are the operations of the normalized function, edges the values
    flowing between them, and loops and branches are nested regions. In the
    graph of a generated gradient (`tangent.graph(tangent.grad(f))`) the nodes
    of the backward sweep are shaded and name the line they differentiate.
    `.save("f.svg")` writes the picture (`.dot` for the Graphviz text).

    >>> import tangent
    >>> def f(x):
    ...     return x * x
    >>> print(tangent.graph(f), end="")  # doctest: +ELLIPSIS
    graph f(x):
      %1 ... = mul(x, x)  # line 2
      ...
    >>> tangent.graph(f).to_dot().startswith('digraph "f"')
    True
    """
    from tangent.display import GraphView
    from transforms import fence
    from transforms.graph import build_graph
    from transforms.normalize import normalize
    from transforms.reverse import resolve

    f = _unwrap(f)
    node, info = parse_function(f)
    fence.check(node, info)
    namespace, _ = _namespace(f)
    if getattr(f, "__tangent__", None) is not None:
        namespace.update(f.__tangent__.get("imports", {}))

    def resolver(expr):
        try:
            return resolve(expr, namespace)
        except (KeyError, AttributeError):
            return None

    meta = getattr(f, "__tangent__", None) or {}
    return GraphView(
        build_graph(normalize(node, info), info, resolver),
        info=info,
        seed=meta.get("seed"),
    )
