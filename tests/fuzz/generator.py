"""A seeded generator of random, valid, numerically safe Python functions.

``generate(seed)`` returns ``(source, func_name, make_args, wrt)``: the source
of a module (``import numpy as np``, ``import math``, zero to two helper
functions and one top-level function of one to three parameters), the name of
that function, a callable giving its arguments (Python floats and float64
arrays of shapes (3,) and (2, 3)) and the positional indices to differentiate.

The bodies mix the constructs the engine supports (README, "What is
supported"): assignments and augmented assignments, arithmetic (``+ - * / **
@``), data-dependent ``if``/``elif``/``else``, ``for`` over ranges, array rows,
``enumerate``, ``zip`` and ``reversed``, counted and data-dependent ``while``
loops, ``break``/``continue``/``return`` inside branches and loops, calls to
the generated helpers (keyword arguments, defaults, recursion with a depth
argument), tuples, lists built with ``append``, comprehensions, dicts with
constant keys, lambdas, broadcasting, reductions with ``axis``/``keepdims``,
index reads and writes, ``np.where``/``np.maximum``, and ``math`` functions.

Programs are valid by construction:

- every value stays bounded: ``log``/``sqrt`` only of ``1 + t * t``, ``exp``
  only of ``tanh``, divisions only by ``1 + t * t`` or ``1.5 + sin``, loops
  update their accumulators through damped or bounded forms;
- no array is ever modified in place (augmented assignment, index write)
  while another name, list, tuple or view may refer to it, so that Python's
  aliasing semantics never matter (see ``Gen.owned``);
- every program is run at its sample point before it is returned: it must
  give a finite scalar of moderate size without floating-point warnings, and
  central finite differences with steps 1e-6, 1e-5 and 1e-3 must agree. A
  program whose branches, ``while`` exits, ``max``/``where`` kinks sit within
  about 1e-3 of the sample point fails the last comparison and is replaced by
  the next sub-seed. The filter never consults the engine, so it cannot hide
  an engine bug.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import os
import random
import shutil
import sys
import tempfile
import warnings
from typing import NamedTuple

import numpy as np

__all__ = ["generate", "load", "build_source", "Program", "MODULE_DIR"]

SCALAR = ()
V2 = (2,)
V3 = (3,)
M23 = (2, 3)
SHAPES = (SCALAR, V2, V3, M23)
PARAM_SHAPES = (SCALAR, V3, M23)
PARAM_NAMES = ("x", "w", "u")

# generated modules are written here (inspect.getsource needs a real file);
# a folder per process, removed when the process exits
MODULE_DIR = None

MAX_ATTEMPTS = 60

# Sizes of the generated programs. The engine's generation time grows faster
# than linearly with the size of a function, so the default keeps programs
# short (the test sample must run in about a minute); "large" programs take
# seconds each to differentiate.
PROFILES = {
    "small": {
        "expr_depth": 2,
        "main": (2, 5),
        "block": (1, 2),
        "helpers": [(3, 0), (3, 1), (2, 2)],
        "max_chars": 700,
    },
    "large": {
        "expr_depth": 3,
        "main": (3, 7),
        "block": (1, 3),
        "helpers": [(2, 0), (3, 1), (3, 2)],
        "max_chars": 4000,
    },
}


# ----- Expressions -----


class E(NamedTuple):
    """A generated expression.

    ``fresh``: the value is a new object (the result of an operation), never
    an alias or view of a variable. ``refs``: variables it may alias.
    ``atom``: needs no parentheses as an operand.
    """

    text: str
    fresh: bool = True
    refs: frozenset = frozenset()
    atom: bool = False


def par(e: E) -> str:
    return e.text if e.atom else f"({e.text})"


def const(value: float) -> E:
    text = repr(round(value, 3))
    return E(text, atom=value >= 0)


def op(a: E, sym: str, b: E) -> E:
    return E(f"{par(a)} {sym} {par(b)}")


def call(name: str, *args: E | str, **kwargs: E | str) -> E:
    parts = [a.text if isinstance(a, E) else a for a in args]
    parts += [f"{k}={v.text if isinstance(v, E) else v}" for k, v in kwargs.items()]
    return E(f"{name}({', '.join(parts)})", atom=True)


def view(e: E, index: str) -> E:
    """An index or slice of ``e`` that is (or may be) a view."""
    return E(f"{par(e)}[{index}]", fresh=False, refs=e.refs, atom=True)


def item(e: E, index: str) -> E:
    """An index of ``e`` that gives a scalar (a copy)."""
    return E(f"{par(e)}[{index}]", atom=True)


def name(n: str) -> E:
    return E(n, fresh=False, refs=frozenset([n]), atom=True)


def broadcast(a, b):
    """The shape of ``a op b`` when it is one of ours, else None."""
    if a == b:
        return a
    if a == SCALAR:
        return b
    if b == SCALAR:
        return a
    if {a, b} == {M23, V3}:
        return M23
    return None


# ----- Scopes -----


class Helper(NamedTuple):
    name: str
    params: tuple  # shapes of the parameters
    defaults: tuple  # (name, value) of trailing scalar parameters with defaults
    param_names: tuple
    returns: object  # a shape, or a tuple of shapes
    recursive: bool = False


class Scope:
    """The variables visible at a point of the generated code."""

    def __init__(self):
        self.vars: dict[str, tuple] = {}  # name -> shape
        self.ints: dict[str, int | None] = {}  # int name -> exclusive bound
        self.tuples: dict[str, tuple] = {}  # name -> shapes of the items
        self.lists: dict[str, tuple] = {}  # name -> (shape, length)
        self.dicts: dict[str, dict] = {}  # name -> {key: shape}
        self.lambdas: dict[str, tuple] = {}  # name -> (param shape, result shape)
        self.loop = None  # the innermost enclosing loop's context, or None
        self.returns = SCALAR  # what a return statement here must give

    def copy(self) -> Scope:
        s = Scope()
        s.vars = dict(self.vars)
        s.ints = dict(self.ints)
        s.tuples = dict(self.tuples)
        s.lists = dict(self.lists)
        s.dicts = {k: dict(v) for k, v in self.dicts.items()}
        s.lambdas = dict(self.lambdas)
        s.loop = self.loop
        s.returns = self.returns
        return s

    def of_shape(self, shape):
        return sorted(n for n, s in self.vars.items() if s == shape)


class LoopCtx:
    def __init__(self, kind):
        self.kind = kind
        self.has_continue = False


# ----- The generator -----


class Gen:
    def __init__(self, rng: random.Random, profile: dict | None = None):
        self.rng = rng
        self.profile = dict(PROFILES["small"] if profile is None else profile)
        self.counters: dict[str, int] = {}
        self.helpers: list[Helper] = []
        # arrays that no other name, container or view refers to: only these
        # are ever modified in place. Monotone: a name that loses ownership
        # never gets it back.
        self.owned: set[str] = set()
        self.inplace: list[str] = []  # names modified in place, in order
        self.expr_depth = self.profile["expr_depth"]

    # --- small utilities ---

    def new(self, prefix: str) -> str:
        n = self.counters.get(prefix, 0)
        self.counters[prefix] = n + 1
        return f"{prefix}{n}"

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def weighted(self, options):
        """``options``: (weight, value) pairs with weight > 0."""
        options = [(w, v) for w, v in options if w > 0]
        total = sum(w for w, _ in options)
        r = self.rng.random() * total
        for w, v in options:
            r -= w
            if r <= 0:
                return v
        return options[-1][1]

    def number(self, lo=-1.0, hi=1.0) -> float:
        return round(self.rng.uniform(lo, hi), 3)

    def threshold(self) -> str:
        return repr(round(self.rng.uniform(-1.2, 1.2), 3))

    def disown(self, refs):
        self.owned.difference_update(refs)

    def bind(self, scope: Scope, target: str, shape, e: E):
        """Record ``target = e``: a fresh array is owned by its name."""
        self.disown(e.refs)
        scope.vars[target] = shape
        if shape != SCALAR:
            if e.fresh and target not in scope.tuples:
                self.owned.add(target)
            else:
                self.owned.discard(target)

    def rebind(self, scope: Scope, target: str, e: E):
        self.disown(e.refs)
        if not e.fresh:
            self.owned.discard(target)

    # --- expressions ---

    def scalar_fn(self, a: E, use_math: bool) -> E:
        lib = "math" if use_math else "np"
        kind = self.pick(
            ["sin", "cos", "tanh", "exp_tanh", "log1sq", "sqrt1sq", "atan", "sig"]
        )
        if kind == "exp_tanh":
            return call(f"{lib}.exp", call(f"{lib}.tanh", a))
        if kind == "log1sq":
            return call(f"{lib}.log", op(const(1.0), "+", op(a, "*", a)))
        if kind == "sqrt1sq":
            return call(f"{lib}.sqrt", op(op(a, "*", a), "+", const(1.0)))
        if kind == "atan":
            return call(f"{lib}.arctan" if lib == "np" else "math.atan", a)
        if kind == "sig":
            return op(
                const(1.0),
                "/",
                op(const(1.0), "+", call(f"{lib}.exp", E(f"-{par(a)}"))),
            )
        return call(f"{lib}.{kind}", a)

    def array_fn(self, a: E) -> E:
        return self.scalar_fn(a, use_math=False)

    def leaf(self, scope: Scope, shape) -> E:
        names = scope.of_shape(shape)
        if names and self.chance(0.85):
            return name(self.pick(names))
        if shape == SCALAR:
            ints = sorted(scope.ints)
            if ints and self.chance(0.3):
                i = self.pick(ints)
                return op(E(f"({i} + 1)"), "*", const(self.number(0.1, 0.6)))
            if self.chance(0.5):
                for src in (V3, M23, V2):
                    arrays = scope.of_shape(src)
                    if arrays:
                        return self.reduce_to_scalar(scope, name(self.pick(arrays)))
            return const(self.number())
        return self.derive(scope, shape, 0)

    def derive(self, scope: Scope, shape, depth) -> E:
        """An array of ``shape`` made from variables of other shapes."""
        opts = []
        if shape == V2:
            if scope.of_shape(V3):
                v = name(self.pick(scope.of_shape(V3)))
                opts += [
                    (2, lambda v=v: view(v, self.pick(["1:", ":2", "::2", "-2:"]))),
                ]
            if scope.of_shape(M23):
                m = name(self.pick(scope.of_shape(M23)))
                j = self.pick(["0", "1", "2", "-1"])
                opts += [
                    (2, lambda m=m, j=j: view(m, f":, {j}")),
                    (1, lambda m=m: self.axis_reduce(m, 1)),
                ]
                if scope.of_shape(V3):
                    v = name(self.pick(scope.of_shape(V3)))
                    opts += [(2, lambda m=m, v=v: op(m, "@", v))]
            scal = scope.of_shape(SCALAR)
            if scal:
                opts += [
                    (
                        1,
                        lambda: call(
                            "np.array",
                            E(
                                f"[{self.leaf(scope, SCALAR).text}, "
                                f"{self.leaf(scope, SCALAR).text}]"
                            ),
                        ),
                    )
                ]
        elif shape == V3:
            if scope.of_shape(M23):
                m = name(self.pick(scope.of_shape(M23)))
                opts += [
                    (2, lambda m=m: view(m, self.pick(["0", "1", "-1"]))),
                    (1, lambda m=m: self.axis_reduce(m, 0)),
                ]
                if scope.of_shape(V2):
                    v = name(self.pick(scope.of_shape(V2)))
                    opts += [
                        (1, lambda m=m, v=v: op(v, "@", m)),
                        (1, lambda m=m, v=v: op(E(f"{m.text}.T"), "@", v)),
                    ]
            if scope.of_shape(V2):
                v = name(self.pick(scope.of_shape(V2)))
                s = self.leaf(scope, SCALAR)
                opts += [
                    (
                        1,
                        lambda v=v, s=s: call(
                            "np.concatenate",
                            E(f"[{v.text}, np.array([{s.text}])]"),
                        ),
                    )
                ]
            if scope.of_shape(SCALAR):
                opts += [
                    (
                        1,
                        lambda: call(
                            "np.array",
                            E(
                                "["
                                + ", ".join(
                                    self.leaf(scope, SCALAR).text for _ in range(3)
                                )
                                + "]"
                            ),
                        ),
                    )
                ]
        elif shape == M23:
            v3s = scope.of_shape(V3)
            v2s = scope.of_shape(V2)
            if v3s:
                a = name(self.pick(v3s))
                b = name(self.pick(v3s))
                opts += [
                    (2, lambda a=a, b=b: call("np.stack", E(f"[{a.text}, {b.text}]"))),
                    (
                        1,
                        lambda a=a: op(
                            call(
                                "np.array", E(f"[[{self.number()}], [{self.number()}]]")
                            ),
                            "*",
                            a,
                        ),
                    ),
                ]
                if v2s:
                    c = name(self.pick(v2s))
                    opts += [(2, lambda a=a, c=c: call("np.outer", c, a))]
            if v2s:
                c = name(self.pick(v2s))
                opts += [
                    (
                        1,
                        lambda c=c: call(
                            "np.stack",
                            E(f"[{c.text}, np.sin({c.text}), {c.text} ** 2]"),
                            axis=E("1"),
                        ),
                    )
                ]
        if not opts:
            return self.const_array(shape)
        return self.weighted(opts)()

    def const_array(self, shape) -> E:
        if shape == M23:
            rows = [
                "[" + ", ".join(str(self.number()) for _ in range(3)) + "]"
                for _ in range(2)
            ]
            return call("np.array", E("[" + ", ".join(rows) + "]"))
        n = shape[0]
        return call(
            "np.array", E("[" + ", ".join(str(self.number()) for _ in range(n)) + "]")
        )

    def axis_reduce(self, m: E, axis: int) -> E:
        fn = self.weighted(
            [(3, "np.sum"), (2, "np.mean"), (1, "np.max"), (1, "np.min")]
        )
        if self.chance(0.5):
            return call(fn, m, axis=E(str(axis)))
        return call(fn, m, E(str(axis)))

    def reduce_to_scalar(self, scope: Scope, a: E) -> E:
        kind = self.weighted(
            [(4, "np.sum"), (2, "np.mean"), (1, "np.max"), (1, "np.min"), (1, "sumsq")]
        )
        if kind == "sumsq":
            return call("np.sum", op(a, "**", E("2", atom=True)))
        return call(kind, a)

    def expr(self, scope: Scope, shape, depth=None) -> E:
        if depth is None:
            depth = self.expr_depth
        if depth <= 0 or self.chance(0.2):
            return self.leaf(scope, shape)
        d = depth - 1
        if shape == SCALAR:
            return self.scalar_expr(scope, d)
        return self.array_expr(scope, shape, d)

    def scalar_expr(self, scope: Scope, d) -> E:
        arrays = [s for s in (V2, V3, M23) if scope.of_shape(s)]
        opts = [
            (4, "binop"),
            (1, "div"),
            (1, "pow"),
            (1, "neg"),
            (3, "fn"),
            (3 if arrays else 0.3, "reduce"),
            (2 if arrays else 0, "index"),
            (1 if scope.of_shape(V3) or scope.of_shape(V2) else 0, "dot"),
            (0.7, "ternary"),
            (1 if self.helpers else 0, "helper"),
            (1 if scope.tuples else 0, "tuple"),
            (1 if scope.lists else 0, "list"),
            (0.7 if scope.dicts else 0, "dict"),
            (0.5 if scope.lambdas else 0, "lambda"),
            (0.4, "builtin"),
        ]
        kind = self.weighted(opts)
        S = SCALAR
        if kind == "binop":
            return op(self.expr(scope, S, d), self.pick("+-*"), self.expr(scope, S, d))
        if kind == "div":
            b = self.expr(scope, S, d - 1)
            if self.chance(0.5):
                den = op(const(1.0), "+", op(b, "*", b))
            else:
                den = op(const(1.5), "+", call(self.pick(["np.sin", "math.cos"]), b))
            return op(self.expr(scope, S, d), "/", den)
        if kind == "pow":
            return op(self.expr(scope, S, d), "**", E(self.pick(["2", "3"]), atom=True))
        if kind == "neg":
            return E(f"-{par(self.expr(scope, S, d))}")
        if kind == "fn":
            return self.scalar_fn(self.expr(scope, S, d), use_math=self.chance(0.5))
        if kind == "reduce":
            shape = self.pick(arrays) if arrays else self.pick([V3, M23])
            return self.reduce_to_scalar(scope, self.expr(scope, shape, d))
        if kind == "index":
            shape = self.pick(arrays)
            return self.index_scalar(scope, shape, d)
        if kind == "dot":
            shape = self.pick([s for s in (V2, V3) if scope.of_shape(s)])
            a = self.expr(scope, shape, d)
            b = self.expr(scope, shape, d)
            if self.chance(0.5):
                return op(a, "@", b)
            return call("np.dot", a, b)
        if kind == "ternary":
            c = self.cond(scope, d)
            a = self.expr(scope, S, d)
            b = self.expr(scope, S, d)
            return E(f"{par(a)} if {c} else {par(b)}")
        if kind == "helper":
            return self.helper_call(scope, S, d)
        if kind == "tuple":
            t = self.pick(sorted(scope.tuples))
            shapes = scope.tuples[t]
            idx = [i for i, s in enumerate(shapes) if s == S]
            if idx:
                i = self.pick(idx)
                return item(name(t), self.pick([str(i), str(i - len(shapes))]))
            i = self.rng.randrange(len(shapes))
            return self.reduce_to_scalar(scope, view(name(t), str(i)))
        if kind == "list":
            lst = self.pick(sorted(scope.lists))
            shape, n = scope.lists[lst]
            i = self.pick(["0", "-1"] + ([str(n - 1)] if n else []))
            e = item(name(lst), i) if shape == S else view(name(lst), i)
            return e if shape == S else self.reduce_to_scalar(scope, e)
        if kind == "dict":
            dname = self.pick(sorted(scope.dicts))
            key = self.pick(sorted(scope.dicts[dname]))
            e = item(name(dname), repr(key))
            if scope.dicts[dname][key] == S:
                return e
            return self.reduce_to_scalar(scope, view(name(dname), repr(key)))
        if kind == "lambda":
            lam = self.pick(sorted(scope.lambdas))
            pshape, rshape = scope.lambdas[lam]
            e = call(lam, self.expr(scope, pshape, d))
            return e if rshape == S else self.reduce_to_scalar(scope, e)
        # builtins
        b = self.pick(["abs", "max", "min", "pow", "float"])
        a = self.expr(scope, S, d)
        if b == "abs":
            return call("abs", a)
        if b == "pow":
            return call("pow", a, E(self.pick(["2", "3"])))
        if b == "float":
            return call("float", a)
        return call(b, a, self.expr(scope, S, d))

    def index_scalar(self, scope: Scope, shape, d) -> E:
        a = name(self.pick(scope.of_shape(shape))) if self.chance(0.7) else None
        if a is None:
            a = self.expr(scope, shape, d)
        n = shape[0]
        ints = [
            i for i, bound in scope.ints.items() if bound is not None and bound <= n
        ]
        if len(shape) == 1:
            if ints and self.chance(0.5):
                return item(a, self.pick(sorted(ints)))
            return item(a, str(self.rng.randrange(-n, n)))
        i = str(self.rng.randrange(-2, 2))
        if ints and self.chance(0.5):
            i = self.pick(sorted(ints))
        j = str(self.rng.randrange(-3, 3))
        if self.chance(0.25):
            return item(view(a, i), j)
        return item(a, f"{i}, {j}")

    def array_expr(self, scope: Scope, shape, d) -> E:
        opts = [
            (4, "binop"),
            (2, "scalar_op"),
            (1, "div"),
            (1, "pow"),
            (0.5, "neg"),
            (3, "fn"),
            (1, "where"),
            (1, "maxmin"),
            (1.5, "derive"),
            (1 if shape == M23 else 0, "row_bcast"),
            (1 if shape == M23 else 0, "keepdims"),
            (0.7, "slice"),
            (1 if self.helpers else 0, "helper"),
            (0.3, "copy"),
            (0.5 if scope.lambdas else 0, "lambda"),
        ]
        kind = self.weighted(opts)
        if kind == "binop":
            return op(
                self.expr(scope, shape, d), self.pick("+-*"), self.expr(scope, shape, d)
            )
        if kind == "scalar_op":
            a = self.expr(scope, shape, d)
            s = self.expr(scope, SCALAR, d - 1)
            sym = self.pick("+-*")
            return op(a, sym, s) if self.chance(0.5) else op(s, sym, a)
        if kind == "div":
            b = self.expr(scope, self.pick([shape, SCALAR]), d - 1)
            den = op(const(1.0), "+", op(b, "*", b))
            return op(self.expr(scope, shape, d), "/", den)
        if kind == "pow":
            return op(
                self.expr(scope, shape, d), "**", E(self.pick(["2", "3"]), atom=True)
            )
        if kind == "neg":
            return E(f"-{par(self.expr(scope, shape, d))}")
        if kind == "fn":
            return self.array_fn(self.expr(scope, shape, d))
        if kind == "where":
            c = self.expr(scope, shape, d - 1)
            cmp = self.pick([">", "<"])
            a = self.expr(scope, shape, d)
            b = self.expr(scope, self.pick([shape, SCALAR]), d)
            return call("np.where", E(f"{par(c)} {cmp} {self.threshold()}"), a, b)
        if kind == "maxmin":
            fn = self.pick(["np.maximum", "np.minimum"])
            a = self.expr(scope, shape, d)
            b = self.expr(scope, shape, d) if self.chance(0.6) else const(self.number())
            return call(fn, a, b)
        if kind == "derive":
            return self.derive(scope, shape, d)
        if kind == "row_bcast":
            m = self.expr(scope, M23, d)
            v = self.expr(scope, V3, d)
            sym = self.pick("+-*")
            return op(m, sym, v) if self.chance(0.5) else op(v, sym, m)
        if kind == "keepdims":
            m = self.expr(scope, M23, d)
            axis = self.pick(["0", "1", "-1"])
            fn = self.pick(["np.sum", "np.mean", "np.max", "np.min"])
            red = call(fn, m, axis=E(axis), keepdims=E("True"))
            if self.chance(0.5):
                return op(m, "-", red)
            return op(m, "/", op(const(1.0), "+", op(red, "*", red)))
        if kind == "slice":
            if shape == V3:
                return view(self.expr(scope, V3, d), "::-1")
            if shape == M23:
                return view(self.expr(scope, M23, d), self.pick(["::-1", ":, ::-1"]))
            return view(self.expr(scope, V3, d), self.pick(["1:", ":2", "::-2"]))
        if kind == "helper":
            return self.helper_call(scope, shape, d)
        if kind == "copy":
            return E(f"{par(self.expr(scope, shape, d))}.copy()", atom=True)
        if kind == "lambda":
            lam = self.pick(sorted(scope.lambdas))
            pshape, rshape = scope.lambdas[lam]
            if rshape == shape:
                return call(lam, self.expr(scope, pshape, d))
            return self.array_fn(self.expr(scope, shape, d))
        raise AssertionError(kind)

    def call_args(self, scope: Scope, h: Helper, d) -> tuple[str, frozenset]:
        """The argument list of a call of ``h`` and the variables it may alias."""
        args = []
        refs = frozenset()
        for pname, pshape in zip(h.param_names, h.params):
            a = self.expr(scope, pshape, max(d - 1, 0))
            if not a.fresh:
                refs |= a.refs
            args.append((pname, a.text))
        for dname, _ in h.defaults:
            if self.chance(0.6):
                args.append((dname, self.expr(scope, SCALAR, max(d - 1, 0)).text))
        if h.recursive:
            args.append(("n", str(self.rng.randrange(0, 4))))
        # keyword arguments from some position on (usually none)
        kw = self.weighted([(6, len(args)), (2, len(args) - 1), (1, 0)])
        parts = [t if i < kw else f"{n}={t}" for i, (n, t) in enumerate(args)]
        return ", ".join(parts), refs

    def helper_call(self, scope: Scope, shape, d) -> E:
        """A call of a helper, reduced or indexed to ``shape`` when needed."""
        h = self.pick(self.helpers)
        text, refs = self.call_args(scope, h, d)
        e = E(f"{h.name}({text})", fresh=False, refs=refs, atom=True)
        ret = h.returns
        if isinstance(ret, list):
            i = self.rng.randrange(len(ret))
            e = view(e, str(i))
            ret = ret[i]
        if ret == shape:
            return e
        if shape == SCALAR:
            return self.reduce_to_scalar(scope, e)
        # an array of another shape: combine with one of the right shape
        base = self.expr(scope, shape, 0)
        if broadcast(ret, shape) == shape:
            return op(base, self.pick("+*"), e)
        return op(base, "*", self.reduce_to_scalar(scope, e))

    def cond(self, scope: Scope, d=1) -> str:
        r = self.rng.random()
        if scope.ints and r < 0.2:
            i = self.pick(sorted(scope.ints))
            return self.pick([f"{i} == 1", f"{i} % 2 == 0", f"{i} > 1", f"{i} < 2"])
        if r < 0.3:
            a = self.simple_cond(scope, d)
            b = self.simple_cond(scope, d)
            return f"{a} {self.pick(['and', 'or'])} {b}"
        if r < 0.35:
            return f"not {self.simple_cond(scope, d)}"
        return self.simple_cond(scope, d)

    def simple_cond(self, scope: Scope, d=1) -> str:
        e = self.expr(scope, SCALAR, max(d, 1))
        return f"{par(e)} {self.pick(['>', '<', '>=', '<='])} {self.threshold()}"

    # --- statements ---

    def block(self, scope: Scope, depth: int, n: int, ind: int) -> list[str]:
        lines: list[str] = []
        for _ in range(n):
            lines += self.stmt(scope, depth, ind)
        return lines

    def stmt(self, scope: Scope, depth: int, ind: int) -> list[str]:
        in_loop = scope.loop is not None
        compound = depth > 0
        opts = [
            (5, "assign"),
            (3 if scope.vars else 0, "update"),
            (2 if scope.vars else 0, "augassign"),
            (3 if compound else 0, "if"),
            (2.5 if compound else 0, "for"),
            (1.6 if compound else 0, "while"),
            (0.8 if compound else 0, "list"),
            (0.8, "comprehension"),
            (1.5, "tuple"),
            (0.7 if compound else 0, "zeros"),
            (1 if self.helpers else 0, "helper"),
            (0.3, "dict"),
            (0.3, "lambda"),
            (2.5 if in_loop else 0, "jump"),
            (0.6, "return"),
        ]
        kind = self.weighted(opts)
        return getattr(self, f"stmt_{kind}")(scope, depth, ind)

    def pad(self, ind: int, text: str) -> str:
        return "    " * ind + text

    def stmt_assign(self, scope: Scope, depth, ind):
        shape = self.weighted([(3, SCALAR), (1, V2), (3, V3), (2, M23)])
        e = self.expr(scope, shape)
        v = self.new("v")
        self.bind(scope, v, shape, e)
        return [self.pad(ind, f"{v} = {e.text}")]

    def stmt_update(self, scope: Scope, depth, ind):
        v = self.pick(sorted(scope.vars))
        shape = scope.vars[v]
        if scope.loop is not None:
            # damped or bounded updates keep loops from blowing up
            form = self.rng.randrange(4)
            e = self.expr(scope, shape, 2)
            if form == 0:
                a = self.number(0.3, 0.9)
                b = round(1.0 - a, 3)
                e = op(
                    op(const(a), "*", name(v)), "+", op(const(b), "*", self.array_fn(e))
                )
            elif form == 1:
                e = op(
                    name(v),
                    "*",
                    op(const(0.9), "+", op(const(0.1), "*", self.array_fn(e))),
                )
            elif form == 2:
                e = self.array_fn(op(name(v), self.pick("+-*"), e))
            else:
                e = op(name(v), "+", op(const(0.3), "*", self.array_fn(e)))
        else:
            e = self.expr(scope, shape)
            if self.chance(0.5) and shape == SCALAR:
                e = op(name(v), self.pick("+-*"), e)
        self.rebind(scope, v, e)
        return [self.pad(ind, f"{v} = {e.text}")]

    def stmt_augassign(self, scope: Scope, depth, ind):
        cands = [
            v for v in sorted(scope.vars) if scope.vars[v] == SCALAR or v in self.owned
        ]
        if not cands:
            return self.stmt_assign(scope, depth, ind)
        v = self.pick(cands)
        shape = scope.vars[v]
        rshape = shape
        if shape != SCALAR and self.chance(0.35):
            rshape = SCALAR
        elif shape == M23 and self.chance(0.3):
            rshape = V3
        sym = self.pick(["+=", "-=", "*=", "/="])
        e = self.expr(scope, rshape, 2)
        if sym == "*=":
            e = self.array_fn(e) if rshape == SCALAR else call("np.cos", e)
        elif sym == "/=":
            e = op(const(1.0), "+", op(e, "*", e))
        elif scope.loop is not None:
            e = op(const(0.5), "*", self.array_fn(e))
        if shape != SCALAR:
            self.inplace.append(v)
        return [self.pad(ind, f"{v} {sym} {e.text}")]

    def branch_body(self, scope: Scope, depth, ind):
        s = scope.copy()
        lines = self.block(
            s, depth - 1, self.rng.randint(*self.profile["block"]), ind + 1
        )
        return s, lines

    def merge(self, scope: Scope, branches: list[Scope]):
        """Variables defined on every path (with one shape) survive the if."""
        new = set(branches[0].vars) - set(scope.vars)
        for b in branches[1:]:
            new &= set(b.vars)
        for v in sorted(new):
            shapes = {b.vars[v] for b in branches}
            if len(shapes) == 1:
                scope.vars[v] = shapes.pop()

    def stmt_if(self, scope: Scope, depth, ind):
        lines = [self.pad(ind, f"if {self.cond(scope)}:")]
        b, body = self.branch_body(scope, depth, ind)
        lines += body
        branches = [b]
        n_elif = self.weighted([(3, 0), (2, 1), (1, 2)])
        for _ in range(n_elif):
            lines.append(self.pad(ind, f"elif {self.cond(scope)}:"))
            b, body = self.branch_body(scope, depth, ind)
            lines += body
            branches.append(b)
        if self.chance(0.6):
            lines.append(self.pad(ind, "else:"))
            b, body = self.branch_body(scope, depth, ind)
            lines += body
            branches.append(b)
            self.merge(scope, branches)
        return lines

    def loop_body(self, scope: Scope, depth, ind, ctx: LoopCtx, bind=None):
        """Generate a loop body; regenerate it if it modifies in place a name
        that loses ownership later in the same body (the next iteration would
        then modify an alias)."""
        for _ in range(4):
            start = len(self.inplace)
            owned = set(self.owned)
            s = scope.copy()
            s.loop = ctx
            ctx.has_continue = False
            if bind:
                bind(s)
            first = s.copy()
            lines = self.block(
                s, depth - 1, self.rng.randint(*self.profile["block"]), ind + 1
            )
            if self.chance(0.3):
                # an early exit at the start or the end of the body
                start = self.chance(0.5)
                at = first if start else s
                if self.chance(0.8):
                    jump = self.stmt_jump(at, 0, ind + 1)
                else:
                    jump = self.stmt_return(at, 0, ind + 1)
                lines = jump + lines if start else lines + jump
            lost = owned - self.owned
            if not lost & set(self.inplace[start:]):
                return lines
            del self.inplace[start:]
        # give up on in-place updates of those names: plain statements only
        s = scope.copy()
        s.loop = ctx
        ctx.has_continue = False
        if bind:
            bind(s)
        return [self.pad(ind + 1, "pass")]

    def stmt_for(self, scope: Scope, depth, ind):
        ctx = LoopCtx("for")
        arrays = {s: scope.of_shape(s) for s in (V2, V3, M23)}
        opts = [(3, "range"), (0.5, "range_len"), (0.5, "reversed_range")]
        if arrays[V3] or arrays[M23] or arrays[V2]:
            opts += [(2, "array"), (1.5, "enumerate"), (0.4, "reversed_array")]
        pairs = [
            (a, b)
            for a in (V2, V3, M23)
            for b in (V2, V3, M23)
            if arrays[a] and arrays[b] and a[0] == b[0]
        ]
        if pairs:
            opts.append((1.5, "zip"))
        kind = self.weighted(opts)
        elem = {V2: SCALAR, V3: SCALAR, M23: V3}

        def pick_array():
            shape = self.pick([s for s in (V2, V3, M23) if arrays[s]])
            a = self.pick(arrays[shape])
            self.disown([a])  # rows of an array are views of it
            return a, shape

        if kind in ("range", "reversed_range", "range_len"):
            i = self.new("i")
            if kind == "range_len" and (arrays[V3] or arrays[M23]):
                a, shape = pick_array()
                it, bound = f"range(len({a}))", shape[0]
            else:
                k = self.rng.randint(2, 4)
                it, bound = self.pick(
                    [
                        (f"range({k})", k),
                        (f"range(1, {k + 1})", k + 1),
                        (f"range({k}, 0, -1)", k + 1),
                    ]
                )
                if kind == "reversed_range":
                    it, bound = f"reversed(range({k}))", k
            head = f"for {i} in {it}:"

            def bind(s):
                s.ints[i] = bound

        elif kind in ("array", "reversed_array"):
            a, shape = pick_array()
            e = self.new("e")
            it = a if kind == "array" else f"reversed({a})"
            head = f"for {e} in {it}:"

            def bind(s):
                s.vars[e] = elem[shape]

        elif kind == "enumerate":
            a, shape = pick_array()
            i, e = self.new("i"), self.new("e")
            start = self.pick(["", "", ", 1"])
            head = f"for {i}, {e} in enumerate({a}{start}):"

            def bind(s):
                s.vars[e] = elem[shape]
                s.ints[i] = shape[0] if not start else None

        else:
            sa, sb = self.pick(pairs)
            a, b = self.pick(arrays[sa]), self.pick(arrays[sb])
            self.disown([a, b])
            e, f = self.new("e"), self.new("e")
            head = f"for {e}, {f} in zip({a}, {b}):"

            def bind(s):
                s.vars[e] = elem[sa]
                s.vars[f] = elem[sb]

        body = self.loop_body(scope, depth, ind, ctx, bind)
        return [self.pad(ind, head)] + body

    def stmt_while(self, scope: Scope, depth, ind):
        ctx = LoopCtx("while")
        k = self.new("k")
        cap = self.rng.randint(2, 5)
        lines = [self.pad(ind, f"{k} = 0")]
        if self.chance(0.5) or not scope.vars:
            head = f"while {k} < {cap}:"
        else:
            c = self.simple_cond(scope, 1)
            head = self.pick(
                [f"while {c} and {k} < {cap}:", f"while {k} < {cap} and {c}:"]
            )
        lines.append(self.pad(ind, head))

        def bind(s):
            s.ints[k] = None

        body = self.loop_body(scope, depth, ind, ctx, bind)
        inc = self.pad(ind + 1, f"{k} += 1")
        if ctx.has_continue or self.chance(0.4):
            lines += [inc] + body
        else:
            lines += body + [inc]
        return lines

    def stmt_jump(self, scope: Scope, depth, ind):
        word = self.pick(["break", "continue"])
        if word == "continue":
            scope.loop.has_continue = True
        return [self.pad(ind, f"if {self.cond(scope)}:"), self.pad(ind + 1, word)]

    def stmt_return(self, scope: Scope, depth, ind):
        e = self.return_expr(scope, scope.returns)
        return [
            self.pad(ind, f"if {self.cond(scope)}:"),
            self.pad(ind + 1, f"return {e}"),
        ]

    def return_expr(self, scope: Scope, returns) -> str:
        if isinstance(returns, list):
            return ", ".join(self.expr(scope, s, 2).text for s in returns)
        return self.expr(scope, returns, 2).text

    def stmt_list(self, scope: Scope, depth, ind):
        ys = self.new("ys")
        shape = self.weighted([(2, SCALAR), (2, V3), (1, V2)])
        k = self.pick([2, 3]) if shape != V3 else 2
        i = self.new("i")
        lines = [self.pad(ind, f"{ys} = []")]
        lines.append(self.pad(ind, f"for {i} in range({k}):"))
        s = scope.copy()
        s.loop = LoopCtx("for")
        s.ints[i] = k
        for _ in range(self.rng.randint(0, 1)):
            lines += self.stmt_assign(s, 0, ind + 1)
        e = self.expr(s, shape, 2)
        if shape == SCALAR or self.chance(0.5):
            e = op(e, "*", op(E(f"({i} + 1)"), "*", const(self.number(0.2, 0.8))))
        self.disown(e.refs)
        lines.append(self.pad(ind + 1, f"{ys}.append({e.text})"))
        # consume the list
        v = self.new("v")
        if shape == SCALAR and k in (2, 3) and self.chance(0.5):
            res, rshape = f"np.array({ys})", (k,) if k in (2, 3) else None
        elif shape == V3 and self.chance(0.6):
            res, rshape = f"np.stack({ys})", M23
        elif shape == V2 and k == 3 and self.chance(0.5):
            res, rshape = f"np.stack({ys}, axis=1)", M23
        else:
            res = self.pick([f"sum({ys})", f"{ys}[0] * {ys}[-1]", f"{ys}[-1]"])
            rshape = shape
        lines.append(self.pad(ind, f"{v} = {res}"))
        self.bind(scope, v, rshape, E(res, fresh=not res.endswith("[-1]")))
        scope.lists[ys] = (shape, k)
        return lines

    def stmt_comprehension(self, scope: Scope, depth, ind):
        v = self.new("v")
        sources = [s for s in (V2, V3, M23) if scope.of_shape(s)]
        s = scope.copy()
        if sources and self.chance(0.7):
            src_shape = self.pick(sources)
            src = self.pick(scope.of_shape(src_shape))
            self.disown([src])
            t = self.new("t")
            elem = {V2: SCALAR, V3: SCALAR, M23: V3}[src_shape]
            s.vars[t] = elem
            if self.chance(0.3):
                j = self.new("j")
                s.ints[j] = src_shape[0]
                gen = f"for {j}, {t} in enumerate({src})"
            else:
                gen = f"for {t} in {src}"
            n = src_shape[0]
        else:
            t = self.new("j")
            n = self.pick([2, 3])
            s.ints[t] = n
            elem = None
            gen = f"for {t} in range({n})"
        eshape = self.pick([SCALAR, SCALAR, V3])
        e = self.expr(s, eshape, 2)
        self.disown(e.refs)
        filt = ""
        if self.chance(0.2) and elem == SCALAR:
            filt = f" if {t} {self.pick(['>', '<'])} {self.threshold()}"
            # an empty list would make sum() an int and stack() fail
            filt = "" if True else filt
        comp = f"[{e.text} {gen}{filt}]"
        if eshape == SCALAR:
            if n in (2, 3) and self.chance(0.4):
                res, rshape = f"np.array({comp})", (n,)
            else:
                res = self.pick([f"sum({comp})", f"sum({e.text} {gen})"])
                rshape = SCALAR
        else:
            if n == 2 and self.chance(0.6):
                res, rshape = f"np.stack({comp})", M23
            else:
                res, rshape = f"sum({comp})", V3
        self.bind(scope, v, rshape, E(res))
        return [self.pad(ind, f"{v} = {res}")]

    def stmt_tuple(self, scope: Scope, depth, ind):
        r = self.rng.random()
        same = [
            (a, b)
            for a in sorted(scope.vars)
            for b in sorted(scope.vars)
            if a < b and scope.vars[a] == scope.vars[b]
        ]
        if r < 0.35 and same:
            a, b = self.pick(same)
            self.disown([a, b])
            if self.chance(0.5):
                return [self.pad(ind, f"{a}, {b} = {b}, {a}")]
            e = self.expr(scope, scope.vars[a], 2)
            self.disown(e.refs)
            return [self.pad(ind, f"{a}, {b} = {b}, {par(e)}")]
        shapes = [self.weighted([(3, SCALAR), (2, V3), (1, M23)]) for _ in range(2)]
        exprs = [self.expr(scope, sh, 2) for sh in shapes]
        if r < 0.6:
            t = self.new("t")
            for e in exprs:
                self.disown(e.refs)
            scope.tuples[t] = list(shapes)
            lines = [self.pad(ind, f"{t} = ({exprs[0].text}, {exprs[1].text})")]
            if self.chance(0.5):
                a, b = self.new("v"), self.new("v")
                lines.append(self.pad(ind, f"{a}, {b} = {t}"))
                self.bind(scope, a, shapes[0], name(t))
                self.bind(scope, b, shapes[1], name(t))
            return lines
        a, b = self.new("v"), self.new("v")
        self.bind(scope, a, shapes[0], exprs[0])
        self.bind(scope, b, shapes[1], exprs[1])
        return [self.pad(ind, f"{a}, {b} = {exprs[0].text}, {exprs[1].text}")]

    def stmt_zeros(self, scope: Scope, depth, ind):
        shape = self.pick([V3, M23, V2])
        z = self.new("z")
        lines = [
            self.pad(ind, f"{z} = np.zeros({shape[0] if len(shape) == 1 else shape})")
        ]
        n = shape[0]
        for _ in range(self.rng.randint(1, 3)):
            r = self.rng.random()
            aug = self.pick(["=", "=", "=", "+=", "*="])
            if r < 0.25:
                i = self.new("i")
                lines.append(self.pad(ind, f"for {i} in range({n}):"))
                s = scope.copy()
                s.ints[i] = n
                tgt = f"{z}[{i}]"
                vshape = SCALAR if len(shape) == 1 else V3
                e = self.expr(s, vshape, 2)
                lines.append(
                    self.pad(ind + 1, f"{tgt} {aug if aug != '*=' else '+='} {e.text}")
                )
                continue
            if len(shape) == 1:
                if r < 0.45:
                    k = 2 if n == 3 else 1
                    start = self.pick([0, n - k])
                    tgt = f"{z}[{start}:{start + k}]" if k > 1 else f"{z}[{start}:]"
                    if k == 2:
                        vshape = V2
                    else:
                        tgt, vshape = f"{z}[{start}]", SCALAR
                else:
                    tgt, vshape = f"{z}[{self.rng.randrange(-n, n)}]", SCALAR
            else:
                if r < 0.55:
                    tgt, vshape = f"{z}[{self.rng.randrange(-2, 2)}]", V3
                elif r < 0.7:
                    tgt, vshape = f"{z}[:, {self.rng.randrange(-3, 3)}]", V2
                else:
                    tgt = (
                        f"{z}[{self.rng.randrange(-2, 2)}, {self.rng.randrange(-3, 3)}]"
                    )
                    vshape = SCALAR
            e = self.expr(scope, vshape, 2)
            lines.append(self.pad(ind, f"{tgt} {aug} {e.text}"))
        scope.vars[z] = shape
        self.owned.add(z)
        self.inplace.append(z)
        return lines

    def stmt_helper(self, scope: Scope, depth, ind):
        h = self.pick(self.helpers)
        if isinstance(h.returns, list) and self.chance(0.7):
            names = [self.new("v") for _ in h.returns]
            text, refs = self.call_args(scope, h, 2)
            for n, sh in zip(names, h.returns):
                self.bind(scope, n, sh, E("", fresh=False, refs=refs))
            return [self.pad(ind, f"{', '.join(names)} = {h.name}({text})")]
        shape = self.pick(SHAPES)
        e = self.helper_call(scope, shape, 2)
        v = self.new("v")
        self.bind(scope, v, shape, e)
        return [self.pad(ind, f"{v} = {e.text}")]

    def stmt_dict(self, scope: Scope, depth, ind):
        dname = self.new("p")
        keys = self.pick([("a", "b"), ("lo", "hi"), ("w",)])
        shapes = {k: self.pick([SCALAR, SCALAR, V3]) for k in keys}
        parts = []
        for k in keys:
            e = self.expr(scope, shapes[k], 2)
            self.disown(e.refs)
            parts.append(f"{k!r}: {e.text}")
        scope.dicts[dname] = shapes
        return [self.pad(ind, f"{dname} = {{{', '.join(parts)}}}")]

    def stmt_lambda(self, scope: Scope, depth, ind):
        lam = self.new("f")
        pshape = self.pick([SCALAR, V3])
        s = Scope()
        s.vars["t"] = pshape
        # a lambda may read the enclosing function's scalars
        for v, sh in scope.vars.items():
            if sh == SCALAR and v not in s.vars:
                s.vars[v] = sh
        body = self.expr(s, pshape, 2)
        scope.lambdas[lam] = (pshape, pshape)
        if self.chance(0.5):
            return [self.pad(ind, f"{lam} = lambda t: {body.text}")]
        return [
            self.pad(ind, f"def {lam}(t):"),
            self.pad(ind + 1, f"return {body.text}"),
        ]

    # --- functions ---

    def helper(self, index: int) -> list[str]:
        hname = f"h{index}"
        if self.chance(0.12):
            return self.recursive_helper(hname)
        n = self.weighted([(2, 1), (2, 2)])
        shapes = tuple(
            self.weighted([(3, SCALAR), (3, V3), (2, M23), (1, V2)]) for _ in range(n)
        )
        pnames = ("p", "q")[:n]
        defaults = ()
        if self.chance(0.5):
            defaults = (("scale", self.number(0.2, 1.5)),)
        r = self.rng.random()
        if r < 0.2:
            returns = [SCALAR, self.pick([SCALAR, V3, shapes[0]])]
        elif r < 0.6:
            returns = shapes[0]
        else:
            returns = SCALAR
        scope = Scope()
        for pn, sh in zip(pnames, shapes):
            scope.vars[pn] = sh
        for dn, _ in defaults:
            scope.vars[dn] = SCALAR
        scope.returns = returns
        saved_owned = self.owned
        self.owned = set()
        sig = ", ".join(list(pnames) + [f"{dn}={dv!r}" for dn, dv in defaults])
        lines = [f"def {hname}({sig}):"]
        body = self.block(scope, 1, self.rng.randint(*self.profile["block"]), 1)
        lines += body
        lines.append(self.pad(1, f"return {self.return_expr(scope, returns)}"))
        self.owned = saved_owned
        self.helpers.append(Helper(hname, shapes, defaults, pnames, returns))
        return lines

    def recursive_helper(self, hname: str) -> list[str]:
        shape = self.pick([SCALAR, V3])
        scope = Scope()
        scope.vars["p"] = shape
        step = self.expr(scope, shape, 2)
        step = op(
            op(const(0.6), "*", name("p")),
            "+",
            op(const(0.4), "*", self.array_fn(step)),
        )
        lines = [
            f"def {hname}(p, n):",
            "    if n <= 0:",
            "        return p",
            f"    return {hname}({step.text}, n - 1)",
        ]
        self.helpers.append(Helper(hname, (shape,), (), ("p",), shape, recursive=True))
        return lines

    def main(self, fname: str):
        nparams = self.weighted([(3, 1), (4, 2), (3, 3)])
        shapes = [
            self.weighted([(3, SCALAR), (4, V3), (3, M23)]) for _ in range(nparams)
        ]
        pnames = PARAM_NAMES[:nparams]
        scope = Scope()
        for pn, sh in zip(pnames, shapes):
            scope.vars[pn] = sh
        scope.returns = SCALAR
        lines = [f"def {fname}({', '.join(pnames)}):"]
        n = self.rng.randint(*self.profile["main"])
        lines += self.block(scope, 3, n, 1)
        lines.append(self.pad(1, f"return {self.final(scope)}"))
        return lines, shapes, pnames

    def final(self, scope: Scope) -> str:
        """The returned scalar: the latest locals and maybe a few others."""
        order = list(scope.vars)  # definition order
        pick = [v for v in order if v not in PARAM_NAMES][-2:]
        while len(pick) < 3 and self.chance(0.6):
            v = self.pick(order)
            if v not in pick:
                pick.append(v)
        if not pick:
            pick = [self.pick(order)]
        terms = []
        for v in pick:
            e = name(v)
            if scope.vars[v] != SCALAR:
                e = self.reduce_to_scalar(scope, e)
            elif self.chance(0.3):
                e = self.scalar_fn(e, use_math=False)
            terms.append(e.text)
        sep = self.pick([" + ", " + ", " - "])
        out = sep.join(terms)
        if self.chance(0.3):
            out = f"({out}) * {self.expr(scope, SCALAR, 1).text}"
        return out


def build_source(rng: random.Random, fname: str = "f", profile=None):
    """The source of one random module, and its parameter shapes."""
    g = Gen(rng, profile)
    parts = ["import math", "", "import numpy as np", "", ""]
    for index in range(g.weighted(g.profile["helpers"])):
        parts += g.helper(index) + ["", ""]
    main, shapes, pnames = g.main(fname)
    parts += main
    return "\n".join(parts) + "\n", shapes, pnames


# ----- Loading and screening -----

_LOADED: dict[str, object] = {}


def load(source: str, tag: str = "prog"):
    """Write ``source`` to a file of its own and import it as a module.

    Modules are cached by content, so loading the same source twice gives the
    same module (and the same function objects).
    """
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    modname = f"tangent_fuzz_{tag}_{digest}"
    if modname in _LOADED:
        return _LOADED[modname]
    global MODULE_DIR
    if MODULE_DIR is None:
        MODULE_DIR = tempfile.mkdtemp(prefix="tangent_fuzz_")
        atexit.register(shutil.rmtree, MODULE_DIR, ignore_errors=True)
    path = os.path.join(MODULE_DIR, modname + ".py")
    with open(path, "w") as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module
    spec.loader.exec_module(module)
    _LOADED[modname] = module
    return module


def _args_maker(shapes, seed):
    def make_args(rng=None):
        r = rng if rng is not None else np.random.default_rng(seed)
        out = []
        for sh in shapes:
            if sh == SCALAR:
                out.append(float(r.uniform(-1.2, 1.2)))
            else:
                out.append(r.uniform(-1.2, 1.2, size=sh))
        return tuple(out)

    return make_args


class Rejected(Exception):
    pass


def _fd(f, args, index, eps):
    from oracle import numerical_grad

    return np.asarray(numerical_grad(f, args, index, eps=eps), dtype=np.float64)


def screen(f, make_args, wrt):
    """Raise ``Rejected`` unless ``f`` is numerically well behaved at its sample."""
    from oracle import copy_args, scalar_output

    args = make_args()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            try:
                v1 = scalar_output(f(*copy_args(args)))
                v2 = scalar_output(f(*copy_args(args)))
            except (FloatingPointError, RuntimeWarning, OverflowError) as exc:
                raise Rejected(f"floating point: {exc}") from None
            except RecursionError:
                raise Rejected("recursion") from None
            if not np.isfinite(v1) or abs(v1) > 1e4 or v1 != v2:
                raise Rejected(f"value {v1}")
            for index in wrt:
                try:
                    g6 = _fd(f, args, index, 1e-6)
                    g5 = _fd(f, args, index, 1e-5)
                    g3 = _fd(f, args, index, 1e-3)
                except (FloatingPointError, RuntimeWarning, OverflowError) as exc:
                    raise Rejected(f"floating point: {exc}") from None
                if not np.all(np.isfinite(g6)) or np.max(np.abs(g6)) > 1e4:
                    raise Rejected("gradient too large")
                # finite differences precise enough for the check's tolerance
                if not np.allclose(g6, g5, rtol=2e-6, atol=2e-7):
                    raise Rejected("finite differences imprecise")
                # no kink or jump within about 1e-3 of the sample point
                scale = 1.0 + np.max(np.abs(g6))
                if not np.allclose(g6, g3, rtol=1e-3, atol=1e-3 * scale):
                    raise Rejected("kink near the sample point")


class Program(NamedTuple):
    seed: int
    source: str
    func_name: str
    make_args: object
    wrt: tuple
    attempt: int


def generate_program(
    seed: int, profile: str = "small", screened: bool = True
) -> Program:
    """The first sub-seed of ``seed`` whose program passes ``screen``."""
    sizes = PROFILES[profile]
    last = None
    base = seed * 1000 if profile == "small" else seed * 1000 + 10**9
    for attempt in range(MAX_ATTEMPTS):
        rng = random.Random(base + attempt)
        source, shapes, pnames = build_source(rng, profile=sizes)
        k = rng.randint(1, len(shapes))
        wrt = tuple(sorted(rng.sample(range(len(shapes)), k)))
        make_args = _args_maker(shapes, base + attempt)
        if len(source) > sizes["max_chars"]:
            last = Rejected("too long")
            continue
        if not screened:
            return Program(seed, source, "f", make_args, wrt, attempt)
        module = load(source, tag=f"s{seed}")
        try:
            screen(module.f, make_args, wrt)
        except Rejected as exc:
            last = exc
            continue
        return Program(seed, source, "f", make_args, wrt, attempt)
    raise RuntimeError(
        f"seed {seed}: no valid program in {MAX_ATTEMPTS} attempts ({last})"
    )


def generate(seed: int, profile: str = "small"):
    """``(source, func_name, make_args, wrt)`` of the program of ``seed``."""
    p = generate_program(seed, profile)
    return p.source, p.func_name, p.make_args, p.wrt
