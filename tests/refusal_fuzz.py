"""Refusal fuzzing: random programs with an unsupported construct inserted.

``mutant(seed)`` takes a random valid program from the program fuzzer
(``tests/fuzz/generator.py``, imported read-only, unscreened: the program is
never run) and inserts one construct from ``SNIPPETS`` at a random place: as a
statement in any block of the main function or of a helper (also inside
loops, branches and after a ``return``), or as an expression wrapped around a
random sub-expression of a statement. ``check(m)`` differentiates it and
returns what went wrong, if anything:

- a *syntactic* construct (refused by the parser or the fence, whatever the
  data flow) inserted in the main function must raise a ``TangentError`` of
  the expected type that names that function, the module's file, a line of
  the inserted code and the construct, with a hint;
- a *semantic* one (refused only when it touches a differentiated value, or
  only when the helper holding it is differentiated) must raise such an
  error or build a gradient; when it builds, a refused helper must not have
  been differentiated;
- no other exception type (KeyError, AttributeError, AssertionError, ...)
  may escape, and no ``TangentError`` may report an internal error.

``python -m tests.refusal_fuzz [--count N] [--start S]`` runs a long sample and
prints a summary; the test suite runs a fixed-seed sample
(``tests/test_refusal_fuzz.py``).
"""

from __future__ import annotations

import ast
import atexit
import importlib.util
import os
import random
import shutil
import sys
import tempfile
import warnings
from typing import NamedTuple

_TESTS = os.path.dirname(os.path.abspath(__file__))
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from fuzz.generator import build_source  # noqa: E402  (read-only reuse)


class Snippet(NamedTuple):
    name: str
    kind: str  # "stmt": inserted as statements; "expr": wraps an expression
    template: str  # {v}: a parameter; {e}: the wrapped expression; {m}: a fresh name
    construct: str  # words the error's construct must contain ("" for semantic)
    error: str  # "unsupported" (UnsupportedConstructError) or "any" (a TangentError)
    syntactic: bool = True  # refused whatever the data flow


SNIPPETS = [
    Snippet(
        "try",
        "stmt",
        "try:\n    {m} = {v}\nexcept ValueError:\n    pass",
        "try",
        "unsupported",
    ),
    Snippet("with", "stmt", "with {m}_ctx() as {m}:\n    pass", "with", "unsupported"),
    Snippet("yield", "stmt", "yield {v}", "yield", "unsupported"),
    Snippet("yield from", "stmt", "yield from [{v}]", "yield from", "unsupported"),
    Snippet("global", "stmt", "global {m}", "global", "unsupported"),
    Snippet(
        "nonlocal",
        "stmt",
        "def {m}():\n    nonlocal {v}\n    return {v}",
        "nonlocal",
        "unsupported",
    ),
    Snippet("class", "stmt", "class {m}:\n    pass", "class", "unsupported"),
    Snippet("del", "stmt", "{m} = {v}\ndel {m}", "del", "unsupported"),
    Snippet("import", "stmt", "import os as {m}", "import", "unsupported"),
    Snippet(
        "import from", "stmt", "from math import sin as {m}", "import", "unsupported"
    ),
    Snippet("set", "stmt", "{m} = {{1.0, 2.0}}", "set display", "unsupported"),
    Snippet(
        "set comprehension",
        "stmt",
        "{m} = {{k * 1.0 for k in range(3)}}",
        "set comprehension",
        "unsupported",
    ),
    Snippet(
        "dict comprehension",
        "stmt",
        "{m} = {{k: 1.0 for k in range(3)}}",
        "dict comprehension",
        "unsupported",
    ),
    Snippet("dict unpacking", "stmt", "{m} = {{**{{}}}}", "{**d}", "unsupported"),
    Snippet(
        "computed key", "stmt", "{m} = {{str(1): {v}}}", "computed keys", "unsupported"
    ),
    Snippet("star display", "stmt", "{m} = [*[{v}], 1.0]", "[*xs]", "unsupported"),
    Snippet("star call", "stmt", "print(*[{v}])", "f(*args)", "unsupported"),
    Snippet("kwargs call", "stmt", "print({v}, **{{}})", "**kwargs", "unsupported"),
    Snippet(
        "star nested target",
        "stmt",
        "({m}, *{m}_rest), {m}_b = ([1.0, 2.0], 3.0)",
        "nested target",
        "unsupported",
    ),
    Snippet(
        "for else",
        "stmt",
        "for {m} in range(2):\n    pass\nelse:\n    pass",
        "else",
        "unsupported",
    ),
    Snippet(
        "while else",
        "stmt",
        "while False:\n    pass\nelse:\n    pass",
        "else",
        "unsupported",
    ),
    Snippet(
        "match", "stmt", "match 1:\n    case 1:\n        pass", "match", "unsupported"
    ),
    Snippet("attribute store", "stmt", "{m}.value = {v}", "attribute", "unsupported"),
    Snippet("attribute aug", "stmt", "{m}.value += {v}", "attribute", "unsupported"),
    Snippet("eval", "stmt", "{m} = eval('1.0')", "eval()", "unsupported"),
    Snippet("exec", "stmt", "exec('pass')", "exec()", "unsupported"),
    Snippet("locals", "stmt", "{m} = locals()", "locals()", "unsupported"),
    Snippet(
        "setattr", "stmt", "setattr({m}, 'value', {v})", "setattr()", "unsupported"
    ),
    Snippet(
        "out keyword",
        "stmt",
        "{m} = np.multiply({v}, 2.0, out={v})",
        "out=",
        "unsupported",
    ),
    Snippet("lambda star", "stmt", "{m} = lambda *a: a[0]", "*args", "unsupported"),
    Snippet(
        "nested varargs",
        "stmt",
        "def {m}(*ts):\n    return ts[0]",
        "*args",
        "unsupported",
    ),
    Snippet(
        "recursive nested",
        "stmt",
        "def {m}(t):\n    return {m}(t)",
        "recursive nested function",
        "unsupported",
    ),
    Snippet(
        "mutual recursion",
        "stmt",
        "def {m}_a(t):\n    return {m}_b(t)\n\ndef {m}_b(t):\n    return {m}_a(t)",
        "recursive nested functions",
        "unsupported",
    ),
    Snippet(
        "decorated nested",
        "stmt",
        "@{m}_decorator\ndef {m}(t):\n    return t",
        "decorated nested function",
        "unsupported",
    ),
    Snippet(
        "nested async",
        "stmt",
        "async def {m}(t):\n    return t",
        "async",
        "unsupported",
    ),
    Snippet(
        "two for clauses",
        "stmt",
        "{m} = [a * b for a in range(2) for b in range(2)]",
        "several for clauses",
        "unsupported",
    ),
    # expressions wrapped around a random sub-expression
    Snippet("walrus", "expr", "({m} := {e})", ":=", "unsupported"),
    Snippet("lambda value", "expr", "(lambda t: t)({e})", "lambda", "unsupported"),
    Snippet("star in call", "expr", "np.add(*[{e}, 0.0])", "f(*args)", "unsupported"),
    Snippet(
        "kwargs in call", "expr", "np.add({e}, 0.0, **{{}})", "**kwargs", "unsupported"
    ),
    Snippet("yield expression", "expr", "(yield {e})", "yield", "unsupported"),
    Snippet(
        "eval expression",
        "expr",
        "eval('{m}', {{'{m}': {e}}})",
        "eval()",
        "unsupported",
    ),
    Snippet("set expression", "expr", "{{{e}}}", "set display", "unsupported"),
    Snippet(
        "computed call",
        "expr",
        "(np.sin if {m} else np.cos)({e})",
        "computed",
        "unsupported",
    ),
    # refused only when they touch a differentiated value (or not at all)
    Snippet("sort in place", "stmt", "{m} = {v} * 1.0\n{m}.sort()", "", "any", False),
    Snippet(
        "fill in place", "stmt", "{m} = {v} * 1.0\n{m}.fill(0.0)", "", "any", False
    ),
    Snippet("copyto", "stmt", "{m} = {v} * 0.0\nnp.copyto({m}, {v})", "", "any", False),
    Snippet("list pop", "stmt", "{m} = [{v}, {v}]\n{m}.pop()", "", "any", False),
    Snippet("list insert", "stmt", "{m} = [{v}]\n{m}.insert(0, {v})", "", "any", False),
    Snippet(
        "missing argument",
        "stmt",
        "def {m}(t, k):\n    return t * k\n\n{m}_value = {m}({v})",
        "",
        "any",
        False,
    ),
]

if sys.version_info >= (3, 11):
    SNIPPETS.append(
        Snippet(
            "try star",
            "stmt",
            "try:\n    {m} = {v}\nexcept* ValueError:\n    pass",
            "try/except*",
            "unsupported",
        )
    )

MARK = "_rz"  # every name a snippet introduces starts with it


class Mutant(NamedTuple):
    seed: int
    source: str
    snippet: Snippet
    function: str  # the function the snippet went into
    lines: tuple[int, int]  # first and last line of the inserted code
    wrt: tuple
    base: str  # the program before the insertion


# ----- insertion -----


def _blocks(func: ast.FunctionDef):
    """Every statement list of `func`: its body, branches, loop bodies (not nested defs)."""
    out = [func.body]
    for node in ast.walk(func):
        if node is func or isinstance(node, (ast.FunctionDef, ast.Lambda)):
            continue
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                out.append(block)
    return out


def _expressions(func: ast.FunctionDef):
    """(statement, parent, field, index) for every expression that can be wrapped."""
    out = []
    for stmt in ast.walk(func):
        if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr)):
            continue
        for parent in ast.walk(stmt):
            for field, value in ast.iter_fields(parent):
                items = value if isinstance(value, list) else [value]
                for i, item in enumerate(items):
                    if isinstance(item, ast.expr) and isinstance(
                        getattr(item, "ctx", ast.Load()), ast.Load
                    ):
                        if isinstance(parent, ast.Call) and field == "func":
                            continue
                        if isinstance(parent, (ast.Attribute, ast.JoinedStr)):
                            continue
                        if any(
                            isinstance(n, (ast.Slice, ast.Starred, ast.FormattedValue))
                            for n in ast.walk(item)
                        ):
                            continue
                        out.append(
                            (
                                stmt,
                                parent,
                                field,
                                i if isinstance(value, list) else None,
                            )
                        )
    return out


def _fill(template: str, func: ast.FunctionDef, k: int, expr: str = "") -> str:
    params = [a.arg for a in func.args.args]
    return template.format(v=params[0], m=f"{MARK}{k}", e=expr)


def _statements(func: ast.FunctionDef):
    return [n for n in ast.walk(func) if isinstance(n, ast.stmt) and n is not func]


def _insert(tree: ast.Module, rng: random.Random, snippet: Snippet, helper_rate):
    """Insert `snippet` into a random function of `tree`.

    Returns the function's name and where the inserted code is: ("block", block
    number, position, count) or ("stmt", statement number), numbers that survive
    printing and parsing the module again."""
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    main = funcs[-1]
    helpers = funcs[:-1]
    func = rng.choice(helpers) if helpers and rng.random() < helper_rate else main
    sites = _expressions(func) if snippet.kind == "expr" else []
    if not sites:  # a statement (an expression snippet with nothing to wrap: 1.0)
        blocks = _blocks(func)
        b = rng.randrange(len(blocks))
        position = rng.randrange(len(blocks[b]) + 1)
        new = ast.parse(_fill(snippet.template, func, 0, expr="1.0")).body
        blocks[b][position:position] = new
        return func.name, ("block", b, position, len(new))
    stmt, parent, field, index = rng.choice(sites)
    old = getattr(parent, field) if index is None else getattr(parent, field)[index]
    wrapped = ast.parse(
        _fill(snippet.template, func, 0, expr=ast.unparse(old)), mode="eval"
    ).body
    if index is None:
        setattr(parent, field, wrapped)
    else:
        getattr(parent, field)[index] = wrapped
    return func.name, ("stmt", _statements(func).index(stmt))


def _lines(source: str, function: str, where) -> tuple[int, int]:
    """The first and last line of the inserted code in the printed module."""
    tree = ast.parse(source)
    func = next(
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function
    )
    if where[0] == "block":
        _, b, position, count = where
        block = _blocks(func)[b]
        return block[position].lineno, block[position + count - 1].end_lineno
    stmt = _statements(func)[where[1]]
    return stmt.lineno, stmt.end_lineno


# How often a mutant holds a semantic snippet, and how often the snippet goes
# into a helper rather than the main function. Both make tangent generate most
# of a gradient before it refuses (about a second), where a syntactic refusal in
# the main function takes milliseconds: the "fast" mix keeps the test sample short.
MIXES = {"full": (0.15, 0.3), "fast": (0.03, 0.04)}


def mutant(seed: int, mix: str = "full") -> Mutant:
    """The program of `seed` with one unsupported construct inserted."""
    rng = random.Random(seed)
    semantic_rate, helper_rate = MIXES[mix]
    semantic = rng.random() < semantic_rate
    pool = [sn for sn in SNIPPETS if sn.syntactic != semantic]
    snippet = pool[rng.randrange(len(pool))]
    base, shapes, _ = build_source(random.Random(10**6 + seed))
    for _attempt in range(50):
        tree = ast.parse(base)
        function, where = _insert(tree, rng, snippet, helper_rate)
        source = ast.unparse(tree) + "\n"
        try:  # `yield` or `:=` inside a comprehension does not compile: elsewhere
            compile(source, "<mutant>", "exec")
        except SyntaxError:
            continue
        break
    else:
        raise RuntimeError(f"seed {seed}: no place for {snippet.name}")
    k = rng.randint(1, len(shapes))
    wrt = tuple(sorted(rng.sample(range(len(shapes)), k)))
    lines = _lines(source, function, where)
    return Mutant(seed, source, snippet, function, lines, wrt, base)


# ----- running -----

_DIR = None


def load(m: Mutant):
    """Write the mutant to a private temporary folder and import it."""
    global _DIR
    if _DIR is None:
        _DIR = tempfile.mkdtemp(prefix="tangent_refusal_")
        atexit.register(shutil.rmtree, _DIR, ignore_errors=True)
    name = f"tangent_refusal_{m.seed}"
    path = os.path.join(_DIR, name + ".py")
    with open(path, "w") as fh:
        fh.write(m.source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # `{x}[0]`: never run
        spec.loader.exec_module(module)
    return module, path


def check(m: Mutant) -> list[str]:
    """What is wrong with how tangent treats the mutant (empty: all is well)."""
    import tangent
    from tangent import TangentError, UnsupportedConstructError

    module, path = load(m)
    try:
        f = module.f
        try:
            tangent.grad(f, wrt=m.wrt)
        except TangentError as exc:
            problems = _check_error(m, exc, path, UnsupportedConstructError)
            if problems and "internal error" not in str(exc):
                if _base_refused_alike(m, exc):
                    return []  # the program was refused before the insertion
            return problems
        except Exception as exc:  # an internal exception escaped
            return [f"{type(exc).__name__} escaped: {exc}"]
        if m.snippet.syntactic and m.function == "f":
            return ["the gradient was built: the construct was not refused"]
        if m.function != "f":
            helper = getattr(module, m.function)
            if m.snippet.syntactic and any(
                key[0] is helper for key in tangent.api._cache
            ):
                return [
                    f"the helper {m.function} was differentiated with the construct"
                ]
        return []
    finally:
        sys.modules.pop(module.__name__, None)


def _base_refused_alike(m, exc) -> bool:
    """Whether the program without the insertion is refused with the same error (a
    generated program may hold a construct the engine refuses on its own)."""
    import tangent

    base = m._replace(seed=f"{m.seed}_base", source=m.base)
    module, _ = load(base)
    try:
        tangent.grad(module.f, wrt=m.wrt)
    except tangent.TangentError as base_exc:
        return (base_exc.message, base_exc.construct) == (exc.message, exc.construct)
    finally:
        sys.modules.pop(module.__name__, None)
    return False


def _check_error(m, exc, path, unsupported) -> list[str]:
    text = str(exc)
    problems = []
    if "internal error" in text:
        return [f"internal error: {text.splitlines()[0]}"]
    # a refusal names the function where the construct is; a semantic snippet in
    # a helper may also be reported from the caller
    expected_function = m.function if m.snippet.syntactic else None
    if expected_function and exc.function != expected_function:
        problems.append(f"names function {exc.function!r}, not {expected_function!r}")
    if exc.filename != path:
        problems.append(f"names file {exc.filename!r}, not the module's")
    if not exc.hint or "hint:" not in text:
        problems.append("gives no hint")
    if m.snippet.error == "unsupported":
        if type(exc) is not unsupported:
            problems.append(
                f"raises {type(exc).__name__}, not UnsupportedConstructError"
            )
        if m.snippet.construct not in (exc.construct or ""):
            problems.append(
                f"construct {exc.construct!r} does not name {m.snippet.construct!r}"
            )
        first, last = m.lines
        if exc.function == m.function and not (
            exc.lineno is not None and first <= exc.lineno <= last
        ):
            problems.append(
                f"line {exc.lineno} is not in the inserted lines {first}-{last}"
            )
    elif exc.lineno is None:
        problems.append("names no line")
    return problems


def run(seeds, mix="full", verbose=False):
    """Check every seed; return {seed: problems} for the failing ones."""
    failures = {}
    for seed in seeds:
        m = mutant(seed, mix)
        problems = check(m)
        if problems:
            failures[seed] = problems
            if verbose:
                print(f"seed {seed} ({m.snippet.name} in {m.function}): {problems}")
    return failures


def main(argv=None):
    import argparse
    import collections
    import time

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--mix", choices=sorted(MIXES), default="full")
    args = parser.parse_args(argv)
    began = time.time()
    seeds = range(args.start, args.start + args.count)
    failures = run(seeds, args.mix, verbose=True)
    kinds = collections.Counter(mutant(s, args.mix).snippet.name for s in failures)
    print(
        f"{len(seeds)} programs in {time.time() - began:.0f} s: "
        f"{len(failures)} with problems {dict(kinds)}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
