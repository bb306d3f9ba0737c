"""The command line: print the derivative tangent generates for a function.

Usage::

    python -m tangent FILE.py:FUNC [--wrt x,y] [--mode reverse|forward]
                                   [--graph OUT.svg] [--export OUT.py] [--verbose]

Contract:

- FILE is imported as a module by path, under a module name derived from its
  stem (``examples/quickstart.py`` -> ``quickstart``; a name already taken in
  ``sys.modules`` gets the prefix ``_tangent_cli_``). The file's directory is
  put first on ``sys.path`` so that its sibling imports work, and the module is
  registered in ``sys.modules`` before it runs so that ``inspect.getsource``
  finds its functions. Importing runs the file's top level, as ``import`` does;
  nothing else of the file runs (the function is read, never called).
- FUNC names a module-level function (a dotted path such as ``Model.loss``
  reaches an attribute of a module-level object).
- ``--wrt`` takes comma-separated parameter names or positional indices, in
  the order the derivatives should come back; it is passed to the generator
  as a tuple. Without it the default applies: the first positional parameter.
- ``--mode reverse`` (the default) generates the gradient,
  ``tangent.grad(func, wrt=...)``; ``--mode forward`` the forward-mode
  derivative, ``tangent.forward(func, wrt=...)``.
- On success the generated source, ``tangent.source(derivative)``, is written
  to stdout and the exit code is 0. Nothing else goes to stdout:
  ``--verbose`` passes ``verbose=1`` to the generator and sends what that
  prints to stderr, together with a traceback of any error.
- ``--graph PATH`` also writes the graph of the generated derivative
  (``tangent.graph(derivative)``): SVG, PNG or PDF by the suffix, DOT text for
  ``.dot``/``.gv``. Without Graphviz's ``dot`` program the DOT text is written
  to PATH, and a note on stderr says so.
- ``--export PATH`` also writes the derivative as a standalone module
  (``tangent.export``) that runs without tangent installed.
- Usage errors (bad ``FILE:FUNC`` syntax, missing file, no such function, a
  ``--wrt`` that does not match the signature, an unwritable output) and every
  exception deriving from ``tangent.TangentError`` are reported on stderr as
  ``tangent: error: ...``, with exit code 2. Any other exception, e.g. one
  raised by the file's own top-level code, propagates with its traceback.

``tangent`` itself is imported only after the arguments are parsed.

>>> from tangent.cli import parse_target, parse_wrt
>>> parse_target("examples/quickstart.py:loss")
('examples/quickstart.py', 'loss')
>>> parse_wrt("w, 1")
('w', 1)
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import inspect
import os
import sys
import traceback
from types import ModuleType

PROG = "tangent"
EXIT_USAGE = 2


class CLIError(Exception):
    """A usage error: reported as ``tangent: error: <message>``, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr, exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(
            EXIT_USAGE,
            f"{self.prog}: error: {message} (see 'python -m tangent --help')\n",
        )


GRAPH_FORMATS = ("svg", "png", "pdf", "dot", "gv")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description=(
            "Generate the derivative of a Python function (its gradient, by "
            "reverse mode, or its forward-mode derivative) and print its source "
            "code."
        ),
        epilog=(
            "examples:\n"
            "  python -m tangent examples/quickstart.py:loss\n"
            "  python -m tangent examples/quickstart.py:loss --wrt w,b\n"
            "  python -m tangent examples/quickstart.py:f --wrt 0,1\n"
            "  python -m tangent examples/quickstart.py:f --mode forward\n"
            "  python -m tangent examples/quickstart.py:loss --graph dloss.svg\n"
            "  python -m tangent examples/quickstart.py:loss --export dloss.py\n"
            "\n"
            "Errors are reported on stderr as 'tangent: error: ...' with exit "
            "code 2."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "target",
        metavar="FILE.py:FUNC",
        help="the Python file to import and the function in it to differentiate",
    )
    parser.add_argument(
        "--wrt",
        metavar="ARGS",
        default=None,
        help=(
            "comma-separated parameter names or positional indices to "
            "differentiate with respect to, e.g. 'w,b' or '0,1' "
            "(default: the first positional parameter)"
        ),
    )
    parser.add_argument(
        "--mode",
        choices=("reverse", "forward"),
        default="reverse",
        help=(
            "reverse: the gradient (tangent.grad, the default); forward: the "
            "forward-mode derivative (tangent.forward)"
        ),
    )
    parser.add_argument(
        "--graph",
        metavar="PATH",
        default=None,
        help=(
            "also write the graph of the generated derivative: SVG, PNG or PDF "
            "by the suffix, Graphviz DOT text for .dot/.gv (DOT text too when "
            "Graphviz's dot program is not installed)"
        ),
    )
    parser.add_argument(
        "--export",
        metavar="PATH",
        default=None,
        help=(
            "also write the derivative as a standalone Python module (PATH ends "
            "in .py) that runs without tangent installed"
        ),
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help=(
            "pass verbose=1 to the generator (its output goes to stderr) and "
            "print a traceback with any error"
        ),
    )
    return parser


def check_outputs(args: argparse.Namespace) -> None:
    """Check the ``--graph`` and ``--export`` paths before any work is done."""
    if args.graph is not None:
        suffix = os.path.splitext(args.graph)[1].lower().lstrip(".")
        if suffix not in GRAPH_FORMATS:
            raise CLIError(
                f"--graph {args.graph}: the file must end in "
                f"{', '.join('.' + f for f in GRAPH_FORMATS)}"
            )
    if args.export is not None and not args.export.endswith(".py"):
        raise CLIError(f"--export {args.export}: the module's file must end in .py")
    for option, path in (("--graph", args.graph), ("--export", args.export)):
        if path is None:
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise CLIError(f"{option} {path}: no such directory: {folder}")


def parse_target(target: str) -> tuple[str, str]:
    """Split ``FILE.py:FUNC`` into the file path and the function's name."""
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name:
        raise CLIError(f"expected FILE.py:FUNC, got {target!r}")
    if not all(part.isidentifier() for part in name.split(".")):
        raise CLIError(f"{name!r} is not a function name (in {target!r})")
    return path, name


def parse_wrt(text: str) -> tuple[int | str, ...]:
    """Parse ``--wrt``: comma-separated parameter names or indices."""
    items: list[int | str] = []
    for raw in text.split(","):
        item = raw.strip()
        if item.isdigit():
            items.append(int(item))
        elif item.isidentifier():
            items.append(item)
        else:
            raise CLIError(
                f"--wrt takes comma-separated parameter names or indices, got {text!r}"
            )
    return tuple(items)


def check_wrt(func, name: str, wrt: tuple[int | str, ...]) -> None:
    """Check that every ``--wrt`` entry is a positional parameter of ``func``."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return  # let tangent.grad judge
    positional = [
        p.name
        for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    for item in wrt:
        if isinstance(item, int) and item >= len(positional):
            raise CLIError(
                f"--wrt {item}: {name}() has {len(positional)} positional "
                f"parameter(s): {', '.join(positional) or 'none'}"
            )
        if isinstance(item, str) and item not in positional:
            raise CLIError(
                f"--wrt {item}: {name}() has no positional parameter {item!r}; "
                f"it has: {', '.join(positional) or 'none'}"
            )


def _module_name(path: str) -> str:
    stem = os.path.splitext(os.path.basename(path))[0] or "module"
    if stem in sys.modules:
        stem = f"_tangent_cli_{stem}"
    return stem


def load_module(path: str) -> ModuleType:
    """Import the file at ``path`` as a module (see the module docstring)."""
    if not os.path.exists(path):
        raise CLIError(f"no such file: {path}")
    if not os.path.isfile(path):
        raise CLIError(f"not a file: {path}")
    path = os.path.abspath(path)
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CLIError(f"cannot import {path} as a Python module")
    directory = os.path.dirname(path)
    if not sys.path or sys.path[0] != directory:
        sys.path.insert(0, directory)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def find_function(module: ModuleType, path: str, name: str):
    """Look up ``name`` (possibly dotted) in ``module``."""
    obj = module
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise CLIError(f"{path} has no function {name!r}") from None
    if not callable(obj):
        raise CLIError(f"{path}:{name} is a {type(obj).__name__}, not a function")
    return obj


def derive(tangent, func, mode: str, kwargs: dict):
    """The generated derivative of ``func``: its gradient or its forward mode."""
    if mode == "forward":
        forward = getattr(tangent, "forward", None)
        if forward is None:
            raise CLIError(
                "--mode forward: this version of tangent has no forward mode "
                "(tangent.forward)"
            )
        return forward(func, **kwargs)
    return tangent.grad(func, **kwargs)


def write_graph(tangent, derivative, path: str) -> None:
    """Write the graph of the generated derivative to ``path`` (see --graph)."""
    from tangent.display import dot_available

    view = tangent.graph(derivative)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".dot", ".gv") and not dot_available():
        print(
            f"{PROG}: note: Graphviz's dot program is not installed; wrote the "
            f"graph to {path} as DOT text (render it with: dot -Tsvg {path})",
            file=sys.stderr,
        )
    try:
        view.save(path)
    except OSError as exc:
        raise CLIError(f"--graph {path}: {exc.strerror or exc}") from None


def run(args: argparse.Namespace) -> int:
    path, name = parse_target(args.target)
    wrt = parse_wrt(args.wrt) if args.wrt is not None else None
    check_outputs(args)

    # Import tangent before the user's file, and before its directory goes on
    # sys.path, so that a sibling file cannot shadow the package.
    import tangent

    module = load_module(path)
    func = find_function(module, path, name)
    if wrt is not None:
        check_wrt(func, name, wrt)

    kwargs = {}
    if wrt is not None:
        kwargs["wrt"] = wrt
    if args.verbose:
        kwargs["verbose"] = 1
    with contextlib.redirect_stdout(sys.stderr):
        derivative = derive(tangent, func, args.mode, kwargs)
        source = tangent.source(derivative)
        if args.graph is not None:
            write_graph(tangent, derivative, args.graph)
        if args.export is not None:
            try:
                tangent.export(derivative, args.export)
            except OSError as exc:
                raise CLIError(
                    f"--export {args.export}: {exc.strerror or exc}"
                ) from None

    sys.stdout.write(source if source.endswith("\n") else source + "\n")
    sys.stdout.flush()
    return 0


def _reported_errors() -> tuple[type[BaseException], ...]:
    """The exception types reported as one line: ours and ``tangent.TangentError``."""
    error = getattr(sys.modules.get("tangent"), "TangentError", None)
    if isinstance(error, type) and issubclass(error, BaseException):
        return (CLIError, error)
    return (CLIError,)


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``).

    Returns the exit code: 0 on success, 2 for a usage error or a
    ``tangent.TangentError``.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error already reported
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)

    try:
        return run(args)
    except Exception as exc:
        if not isinstance(exc, _reported_errors()):
            raise
        if args.verbose:
            traceback.print_exc(file=sys.stderr)
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
