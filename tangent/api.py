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
import keyword
import operator
import sys
import threading
import types

import gast

from tangent.custom import custom_vjp
from tangent.rules import RULES
from transforms import codegen
from transforms.errors import (
    BadArgumentsError,
    BadWrtError,
    ShapeMismatchError,
    TransformError,
)
from transforms.naming import sanitize
from transforms.parsing import parse_function
from transforms.pipeline import gradient_ast
from transforms.quoting import to_source as _to_source
from transforms.reverse import SOURCE_DIFFERENTIABLE

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
    for var, value in list(ns.items()):
        # a generated gradient of a recursive function calls itself through a
        # stand-in: differentiating it again sees the finished function
        if isinstance(value, _Deferred) and value.func is not None:
            ns[var] = value.func
    return ns, cells


def _unwrap(f):
    from tangent.custom import custom_vjp

    if isinstance(f, custom_vjp):
        if f.forward is None or f.backward is None:
            raise TransformError(
                "custom_vjp function has no backward",
                function=f.func.__name__,
                construct=f"custom_vjp {f.func.__name__}",
                hint="call f.defvjp(f_fwd, f_bwd) before differentiating",
            )
        raise TransformError(
            "cannot differentiate a custom_vjp function itself",
            function=f.func.__name__,
            construct=f"custom_vjp {f.func.__name__}",
            hint="differentiate a function that calls it (its backward is used "
            "there), or call its backward directly",
        )
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
    if (
        inspect.isfunction(f)
        and module in LIBRARY_MODULES
        and f.__module__ not in SOURCE_DIFFERENTIABLE
    ):
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
    """`wrt` as a tuple of positional indices and parameter names, checked against
    `f`'s signature when `f` is given."""
    if _is_index(wrt) or isinstance(wrt, str):
        wrt = (wrt,)
    if isinstance(wrt, list):
        wrt = tuple(wrt)
    if not isinstance(wrt, tuple) or not all(
        _is_index(w) or isinstance(w, str) for w in wrt
    ):
        raise _bad_wrt(
            f,
            "wrt must be an index, a parameter name, or a tuple of them",
            f"wrt={wrt!r}",
            "e.g. wrt=(0, 1) or wrt=('w', 'b')",
        )
    wrt = tuple(w if isinstance(w, str) else operator.index(w) for w in wrt)
    if inspect.isfunction(f):
        # reading the signature is most of a cache hit's cost: once per code
        key = (f, f.__code__, wrt)
        if key not in _checked_wrt:
            _check_wrt(f, wrt)
            _checked_wrt[key] = True
    return wrt


_checked_wrt: dict = {}  # (function, its code, wrt) already checked by _check_wrt


def _is_index(w) -> bool:
    return not isinstance(w, bool) and hasattr(type(w), "__index__")


def _bad_wrt(f, message, construct=None, hint=None):
    code = getattr(f, "__code__", None)
    return BadWrtError(
        message,
        function=getattr(f, "__name__", None),
        filename=code.co_filename if code else None,
        lineno=code.co_firstlineno if code else None,
        construct=construct,
        hint=hint,
    )


def _check_wrt(f, wrt):
    """Every entry of `wrt` names a positional parameter of `f`."""
    params = inspect.signature(f).parameters.values()
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return  # refused as a construct by the fence, which says more
    positional = [
        p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    listed = ", ".join(positional) or "none"
    if not wrt:
        raise _bad_wrt(
            f, "wrt is empty", None, f"list at least one parameter of: {listed}"
        )
    for w in wrt:
        if isinstance(w, int) and not -len(positional) <= w < len(positional):
            raise _bad_wrt(
                f,
                f"wrt index {w} is out of range",
                f"the function has {len(positional)} positional parameters: {listed}",
                "count positional parameters from 0",
            )
        if isinstance(w, str) and w not in positional:
            kinds = {p.name: p.kind for p in params}
            if kinds.get(w) == inspect.Parameter.KEYWORD_ONLY:
                message = f"wrt names the keyword-only parameter '{w}'"
            elif kinds.get(w) in (
                inspect.Parameter.VAR_POSITIONAL,
                inspect.Parameter.VAR_KEYWORD,
            ):
                message = f"wrt names the star parameter '{w}'"
            else:
                message = f"wrt names no parameter '{w}'"
            raise _bad_wrt(
                f,
                message,
                f"positional parameters: {listed}",
                "wrt lists positional parameters, by index or by name",
            )


def _register_location(generated, primal, info):
    """Let runtime errors raised inside generated code name the user's function."""
    from tangent import runtime

    runtime.PRIMAL_OF[generated.__code__] = (
        primal.__name__,
        info.filename,
        info.first_line,
    )


_MISSING = object()


def _fingerprint(value):
    """What the compiler may have read from a global's value when it generated code.

    Rules are chosen by the identity of functions and modules, and scalar
    inference reads the kind of a constant (number, array shape and dtype);
    the values of numbers and arrays are read live by the generated code.
    """
    import numpy as np

    if value is _MISSING:
        return ("missing",)
    if isinstance(value, (bool, int, float, complex, np.generic)):
        return ("number", type(value))
    if isinstance(value, np.ndarray):
        return ("array", value.shape, value.dtype.str)
    if isinstance(value, (str, bytes)) or value is None:
        return ("constant", type(value), value)
    if isinstance(value, custom_vjp):  # generated code calls its fwd and bwd
        return ("custom_vjp", value, value.forward, value.backward)
    return ("object", value)  # held, so that its identity cannot be reused


def _same_fingerprint(a, b) -> bool:
    if a[0] in ("object", "custom_vjp") or b[0] in ("object", "custom_vjp"):
        return a[0] == b[0] and all(x is y for x, y in zip(a[1:], b[1:], strict=True))
    return a == b


def _lookup(holder, path):
    """The current value of a dependency: a global (or builtin) name, a closure cell or
    a function's code, followed by attributes (read statically: no property or `__getattr__` runs)."""
    if isinstance(holder, dict):
        value = holder.get(path[0], _MISSING)
        if value is _MISSING:
            value = vars(builtins).get(path[0], _MISSING)
    elif inspect.isfunction(holder):
        value = holder.__code__
    else:
        try:
            value = holder.cell_contents
        except ValueError:
            return _MISSING
    for attr in path[1:]:
        if value is _MISSING:
            return _MISSING
        if type(value) is types.ModuleType and attr in value.__dict__:
            value = value.__dict__[attr]  # what getattr_static finds, sooner
            continue
        try:
            value = inspect.getattr_static(value, attr)
        except AttributeError:
            return _MISSING
    return value


def _global_names(code) -> set:
    """The names `code` (and the functions and comprehensions nested in it) may
    read as globals or attributes: its `co_names`. Local variables are not among
    them, so they are never looked up in the module."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _dependencies(f, node):
    """What the gradient of `f` is generated from, besides `f.__code__`: every global
    name `node` reads and every attribute chain on it (`np.tanh`, `cfg.act`), `f`'s
    closure cells and its code, each with its fingerprint at generation time."""
    paths = set()
    for n in gast.walk(node):
        chain = []
        while isinstance(n, gast.Attribute):
            chain.append(n.attr)
            n = n.value
        if isinstance(n, gast.Name):
            for k in range(min(len(chain), 3) + 1):
                paths.add((n.id, *reversed(chain[len(chain) - k :])))
    # the globals the function reads, and those its annotations name (`x: float`)
    read = _global_names(f.__code__)
    for arg in gast.walk(node.args):
        for n in gast.walk(getattr(arg, "annotation", None) or gast.Pass()):
            if isinstance(n, gast.Name):
                read.add(n.id)
    paths = {p for p in paths if p[0] in read}
    deps = []
    for path in sorted(paths):
        deps.append((f.__globals__, path, _fingerprint(_lookup(f.__globals__, path))))
    for cell in f.__closure__ or ():
        deps.append((cell, ("",), _fingerprint(_lookup(cell, ("",)))))
    deps.append((f, ("__code__",), _fingerprint(f.__code__)))
    return deps


def _fresh(entry) -> bool:
    """A cache entry is fresh while everything it was generated from is unchanged:
    the code of every function, the bindings of the names they read (a function
    or module by identity, a constant by its kind), and their closure cells."""
    for holder, path, fingerprint in entry["deps"]:
        if not _same_fingerprint(_fingerprint(_lookup(holder, path)), fingerprint):
            return False
    return True


def _one_line(text: str) -> str:
    """A header comment stays one line whatever a function's name or file holds."""
    return " ".join(text.split())


BACKENDS = ("numpy", "jax")
LOOPS = ("python", "scan")


def _backend_options(f, backend, loops):
    """The backend a gradient of `f` is generated for: as asked, else "jax" when
    `f` (or a helper it calls) uses JAX, else "numpy"; and how its loops run."""
    if backend not in (None, *BACKENDS):
        raise ValueError(f"backend must be one of {BACKENDS}, not {backend!r}")
    if loops not in LOOPS:
        raise ValueError(f"loops must be one of {LOOPS}, not {loops!r}")
    if backend is None:
        backend = "numpy"
        if "jax" in sys.modules and inspect.isfunction(f):
            from tangent.rules import jax_rules

            if jax_rules.refers_to_jax(inspect.unwrap(f)):
                backend = "jax"
    if loops == "scan" and backend != "jax":
        raise ValueError("loops='scan' runs loops with jax.lax: it needs backend='jax'")
    return {"backend": backend, "loops": loops}


class _NumpyBackend:
    """The default backend: NumPy's rules, the names as they are, no post-pass."""

    rules = RULES

    def __init__(self, namespace):
        self.view = namespace

    def prepare(self, node):
        return node

    def finish(self, node, imports):
        return dict(imports)

    def finish_pair(self, forward, pullback, imports):
        return dict(imports), dict(imports)


def _backend(options, namespace):
    """The rules, the view of the names and the passes of the chosen backend."""
    if options.get("backend", "numpy") == "numpy":
        return _NumpyBackend(namespace)
    from tangent.rules import jax_rules

    return jax_rules.Backend(namespace, options.get("loops", "python"))


def _build(f, wrt, options):
    """Generate and compile the gradient of `f` (no caching)."""
    node, info = parse_function(f)
    namespace, cells = _namespace(f)
    deps = _dependencies(f, node)
    call_gradient = _call_gradient_factory(f, deps, options)
    backend = _backend(options, namespace)

    result = gradient_ast(
        backend.prepare(node),
        info,
        wrt,
        backend.rules,
        backend.view,
        call_gradient,
        optimized=options["optimized"],
        returns=options["returns"],
        check_scalar=options["check_scalar"],
        reserved=set(RULES.runtime),
        checkpoint=options.get("checkpoint"),
    )
    free = backend.finish(result.node, result.imports)
    text = codegen.to_source(result.node, free)
    header = _one_line(
        f"# Generated by tangent: the gradient of {f.__name__} "
        f"({info.filename}:{info.first_line})"
    )
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


def _identifier(text) -> str:
    """`text` if it is a plain identifier, else a sanitized one: a function's
    `__name__` can be set to anything and must never reach generated code as is."""
    if isinstance(text, str) and text.isidentifier() and not keyword.iskeyword(text):
        return text
    return sanitize(text if isinstance(text, str) else "g")


def _call_gradient_factory(f, deps, options):
    """The callback through which the compiler gets the gradients of `f`'s helpers."""

    def call_gradient(g, active_params, stmt):
        g = _unwrap(g)
        name = _identifier(getattr(g, "__name__", None))
        # the name `f` calls `g` by is one of `f`'s dependencies already
        params = list(inspect.signature(g).parameters)
        preferred = f"d{name}"
        if list(active_params) != params:
            preferred = f"d{name}_wrt_{'_'.join(active_params)}"
        key = (g, active_params, "joint", options["optimized"], _backend_key(options))
        if key in _in_progress:
            return _in_progress[key], _seed_name(g), preferred
        helper_options = dict(
            options, returns="grads", check_scalar=False, verbose=0, checkpoint=None
        )
        dg = _gradient(g, active_params, options=helper_options)
        # redefining a helper of the helper must invalidate the caller too
        deps.extend(dg.__tangent__.get("deps", ()))
        return dg, dg.__tangent__["seed"], preferred

    return call_gradient


def _seed_name(g):
    """The seed parameter's name in `g`'s gradient (from a cached reverse-mode
    gradient of `g` if there is one: forward-mode and split entries have none)."""
    for key, value in list(_cache.items()):
        if key[0] is g:
            meta = getattr(value["func"], "__tangent__", None)
            if isinstance(meta, dict) and "seed" in meta:
                return meta["seed"]
    from transforms.pipeline import seed_name

    node, _ = parse_function(g)
    return seed_name(node, set(RULES.runtime))


def _backend_key(options):
    return (options.get("backend", "numpy"), options.get("loops", "python"))


def _internal_error(f, exc):
    code = f.__code__
    return TransformError(
        f"internal error while differentiating: {type(exc).__name__}: {exc}",
        function=f.__name__,
        filename=code.co_filename,
        lineno=code.co_firstlineno,
        hint="please report this with the function's source",
    )


def _gradient(f, wrt, options):
    f = _unwrap(f)
    wrt = _normalize_wrt(wrt, f)
    key = (f, wrt, options["returns"], options["optimized"], options["check_scalar"])
    key += _backend_key(options)
    if options.get("checkpoint") is not None:  # True and 1 are different options
        key += (
            "checkpoint",
            "sqrt" if options["checkpoint"] is True else options["checkpoint"],
        )
    with _lock:
        entry = _cache.get(key)
        if entry is not None and _fresh(entry) and entry["code"] is f.__code__:
            if options.get("verbose"):
                print(entry["func"].__tangent__["source"])
            return entry["func"]
        deferred = _Deferred()
        joint_key = (f, wrt, "joint", options["optimized"], _backend_key(options))
        _in_progress[joint_key] = deferred
        try:
            func, deps = _build(f, wrt, options)
        except TransformError:
            raise
        except Exception as exc:  # a bug of ours: say so, with where it happened
            raise _internal_error(f, exc) from exc
        finally:
            _in_progress.pop(joint_key, None)
        deferred.func = func
        _cache[key] = {"func": func, "deps": deps, "code": f.__code__}
        return func


def _checkpoint_option(checkpoint, loops):
    """The `checkpoint=` option, checked: None, True or an int K >= 1."""
    from transforms.checkpoint import check_option

    checkpoint = check_option(checkpoint)
    if checkpoint is not None and loops != "python":
        raise ValueError(
            "checkpoint= cuts Python loops into segments: it needs loops='python'"
        )
    return checkpoint


def grad(
    f=None,
    wrt=(0,),
    *,
    optimized=True,
    preserve_result=False,
    verbose=0,
    backend=None,
    loops="python",
    checkpoint=None,
):
    """Return a function computing the gradient of `f`'s scalar output.

    Usable as `tangent.grad(f, wrt=(0, 1))`, `@tangent.grad` or
    `@tangent.grad(wrt=(0, 1))`. `wrt` holds positional indices or parameter
    names: one gives one gradient, several a tuple in `wrt` order. The result
    is an ordinary generated Python function with the same positional
    parameters as `f` (plus the seed `dresult=1.0`).

    `checkpoint=K` (an int) or `checkpoint=True` (K about the square root of
    the number of iterations) saves the state of each outermost loop every K
    iterations instead of a tape entry per iteration, and recomputes the
    iterations during the backward sweep: peak memory grows like sqrt(n)
    instead of n (see `transforms.checkpoint`).

    `backend="jax"` generates code that calls `jax.numpy` and runs under
    `jax.jit` and `jax.vmap` (the default, None, picks it when `f` uses JAX);
    `loops="scan"` then runs counted loops with `jax.lax.scan` and
    data-dependent branches with `jax.lax.cond` (see docs/jax.md).

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
                backend=backend,
                loops=loops,
                checkpoint=checkpoint,
            )

        return decorate
    options = {
        "optimized": optimized,
        "returns": "grads_value" if preserve_result else "grads",
        "check_scalar": True,
        "verbose": verbose,
        **_backend_options(f, backend, loops),
        "checkpoint": _checkpoint_option(checkpoint, loops),
    }
    return _gradient(f, wrt, options)


def value_and_grad(
    f=None,
    wrt=(0,),
    *,
    optimized=True,
    verbose=0,
    backend=None,
    loops="python",
    checkpoint=None,
):
    """Return a function giving `(f(*args), gradient)` (options as for `grad`)."""
    if f is None:
        return functools.partial(
            value_and_grad,
            wrt=wrt,
            optimized=optimized,
            verbose=verbose,
            backend=backend,
            loops=loops,
            checkpoint=checkpoint,
        )
    options = {
        "optimized": optimized,
        "returns": "value_grads",
        "check_scalar": True,
        "verbose": verbose,
        **_backend_options(f, backend, loops),
        "checkpoint": _checkpoint_option(checkpoint, loops),
    }
    return _gradient(f, wrt, options)


def _split_functions(f, n, options=None):
    """The forward and pullback functions of `f` w.r.t. its first `n` arguments (cached)."""
    options = dict(options or {"backend": "numpy", "loops": "python"}, optimized=True)
    key = (f, tuple(range(n)), "split", *_backend_key(options))
    with _lock:
        entry = _cache.get(key)
        if entry is not None and _fresh(entry) and entry["code"] is f.__code__:
            return entry["func"]
        node, info = parse_function(f)
        namespace, cells = _namespace(f)
        deps = _dependencies(f, node)
        backend = _backend(options, namespace)
        try:
            result = gradient_ast(
                backend.prepare(node),
                info,
                tuple(range(n)),
                backend.rules,
                backend.view,
                _call_gradient_factory(f, deps, options),
                returns="value_grads",
                check_scalar=False,
                reserved=set(RULES.runtime),
                split=True,
            )
        except TransformError:
            raise
        except Exception as exc:
            raise _internal_error(f, exc) from exc
        where = f"({info.filename}:{info.first_line})"
        pair = []
        frees = backend.finish_pair(result.forward, result.pullback, result.imports)
        for node_, name_, what, free in (
            (result.forward, result.forward_name, "forward sweep", frees[0]),
            (result.pullback, result.pullback_name, "pullback", frees[1]),
        ):
            text = codegen.to_source(node_, free)
            func = codegen.compile_function(
                text,
                name_,
                f.__globals__,
                free=free,
                cells=cells,
                header=_one_line(
                    f"# Generated by tangent: the {what} of {f.__name__} {where}"
                ),
            )
            func.__tangent__ = {
                "primal": f,
                "source": text,
                "imports": free,
            }
            pair.append(func)
        _cache[key] = {"func": tuple(pair), "deps": deps, "code": f.__code__}
        return tuple(pair)


def _where(f) -> dict:
    """The location keywords of an error about `f`'s arguments."""
    code = getattr(f, "__code__", None)
    return {
        "function": getattr(f, "__name__", repr(f)),
        "filename": code.co_filename if code else None,
        "lineno": code.co_firstlineno if code else None,
    }


def _check_primals(f, primals, what):
    """The primals of `vjp`/`jvp` are `f`'s first positional arguments: at least
    one, no more than its positional parameters, and one for each without a default."""
    params = [
        p
        for p in inspect.signature(f).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    names = ", ".join(p.name for p in params)
    if not primals:
        raise BadArgumentsError(
            f"{what} needs at least one primal",
            **_where(f),
            hint=f"pass the values of the parameters to differentiate ({names})",
        )
    if len(primals) > len(params):
        raise BadArgumentsError(
            f"{what} got {len(primals)} primals, but the function has "
            f"{len(params)} positional parameters ({names})",
            **_where(f),
            hint="pass one primal per positional parameter",
        )
    missing = [
        p.name for p in params[len(primals) :] if p.default is inspect.Parameter.empty
    ]
    if missing:
        raise BadArgumentsError(
            f"{what} got no primal for the parameter(s) {', '.join(missing)}",
            **_where(f),
            hint="the primals are the function's first positional arguments; "
            "close over the other values or give them defaults",
        )


def _check_like(f, value, given, what, of, path=""):
    """`given` (a cotangent or tangent) has the structure and shape of `value`."""
    import numpy as np

    here = f"{what}{path}"
    if isinstance(value, (tuple, list)):
        if not isinstance(given, (tuple, list)) or len(given) != len(value):
            raise ShapeMismatchError(
                f"the {here} must be a tuple of {len(value)} values, like {of}{path}",
                **_where(f),
                construct=f"got {_describe_value(given)}",
                hint=f"give one {what} per element of {of}",
            )
        for i, (v, g) in enumerate(zip(value, given, strict=True)):
            _check_like(f, v, g, what, of, f"{path}[{i}]")
        return
    if isinstance(value, dict):
        if not isinstance(given, dict) or set(given) != set(value):
            raise ShapeMismatchError(
                f"the {here} must be a dict with the keys of {of}{path} "
                f"({', '.join(map(repr, value))})",
                **_where(f),
                construct=f"got {_describe_value(given)}",
                hint=f"give one {what} per key of {of}",
            )
        for k in value:
            _check_like(f, value[k], given[k], what, of, f"{path}[{k!r}]")
        return
    # an array of another library (a JAX array, or a tracer under jax.jit) is
    # read through its shape and dtype: never converted to NumPy
    array = given if hasattr(given, "shape") and hasattr(given, "dtype") else None
    if array is None and given is not None:
        try:
            array = np.asarray(given)
        except Exception:
            array = None
    if (
        given is None
        or array is None
        or not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_)
    ):
        raise ShapeMismatchError(
            f"the {here} must be a number or a numeric array",
            **_where(f),
            construct=f"got {_describe_value(given)}",
            hint=f"give an array of the shape of {of}{path}: {np.shape(value)}",
        )
    if tuple(array.shape) != np.shape(value):
        raise ShapeMismatchError(
            f"the {here} has shape {tuple(array.shape)}, but {of}{path} has shape "
            f"{np.shape(value)}",
            **_where(f),
            hint=f"give an array of shape {np.shape(value)}",
        )


def _describe_value(value) -> str:
    import numpy as np

    if isinstance(value, (tuple, list, dict)):
        return f"a {type(value).__name__} of {len(value)}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def vjp(f, *primals, backend=None, loops="python"):
    """Return `(out, pullback)`; `pullback(cotangent)` gives one gradient per primal.

    Split motion: a generated forward function runs `f` and saves what the
    backward sweep needs; the generated pullback reads only that.
    `backend` and `loops` are those of `grad`.
    """
    f = _unwrap(f)
    n = len(primals)
    _check_primals(f, primals, "vjp")
    forward, backward = _split_functions(f, n, _backend_options(f, backend, loops))
    out, saved = forward(*primals)

    def pullback(cotangent):
        _check_like(f, out, cotangent, "cotangent", "the output")
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
