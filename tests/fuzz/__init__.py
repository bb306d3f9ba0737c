"""Differential fuzzing of the engine with random numerical programs.

``generate(seed)`` (in ``generator.py``) builds a random, valid, numerically
safe function; ``check_program(seed)`` differentiates it and returns the list
of findings (empty when everything holds):

1. ``tangent.grad(f, wrt)`` succeeds (any ``TangentError`` is a finding: the
   generator only writes constructs the README lists as supported);
2. the gradient has the arguments' types and shapes and matches central
   finite differences (``oracle.check_grads``);
3. generation is deterministic: after clearing the cache, the generated
   source of ``f`` and of every helper gradient is byte-for-byte the same,
   and each one parses with ``ast.parse``;
4. the gradient leaves the caller's arguments untouched;
5. the seed ``dresult`` scales the gradient linearly;
6. forward mode agrees with reverse mode: ``tangent.jvp`` with a random
   tangent equals the gradient's inner product with that tangent.

Needs ``tests/`` on ``sys.path`` (for ``oracle``), as ``tests/conftest.py``
and ``tests/fuzz/run.py`` arrange.
"""

from __future__ import annotations

import ast
import multiprocessing
import os
import re
import signal
import traceback
from typing import NamedTuple

import numpy as np

from .generator import Program, generate, generate_program, load

__all__ = [
    "Finding",
    "Program",
    "Outcome",
    "check",
    "check_program",
    "check_seeds",
    "outcome",
    "generate",
    "generate_program",
    "load",
    "signature",
]


class Finding(NamedTuple):
    kind: str  # TangentError, crash, wrong gradient, nondeterministic, ...
    message: str  # the first line of the error
    detail: str = ""  # the full message or traceback

    def __str__(self):
        return f"{self.kind}: {self.message}"


def signature(finding: Finding) -> str:
    """A grouping key: the kind and the message with names and numbers blurred."""
    msg = finding.message
    msg = re.sub(r"tangent_fuzz_\w+", "<module>", msg)
    msg = re.sub(r"/\S+\.py:\d+", "<file>", msg)
    msg = re.sub(r"'[^']*'", "'…'", msg)
    msg = re.sub(r"\b(v|e|i|k|z|t|ys|p|h|j|f)\d+\b", r"\1#", msg)
    msg = re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "N", msg)
    return f"{finding.kind}: {msg[:160]}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _gradient_sources(tangent, module_name: str) -> dict:
    """Generated sources of every cached gradient of the module's functions."""
    out = {}
    for key, entry in list(tangent.api._cache.items()):
        func = key[0]
        if getattr(func, "__module__", None) != module_name:
            continue
        label = repr((func.__name__,) + tuple(key[1:]))
        meta = getattr(entry["func"], "__tangent__", None)
        if meta is None:
            # split-motion entries hold a pair of functions
            parts = entry["func"] if isinstance(entry["func"], tuple) else ()
            text = "\n".join(p.__tangent__["source"] for p in parts)
        else:
            text = meta["source"]
        out[label] = text
    return out


def _clear_cache(tangent, module_name: str):
    for key in list(tangent.api._cache):
        if getattr(key[0], "__module__", None) == module_name:
            del tangent.api._cache[key]


def _compare_values(f, args, wrt, grads, rtol, atol) -> list[Finding]:
    from oracle import check_close, numerical_grad

    out = []
    one = grads if len(wrt) > 1 and isinstance(grads, tuple) else (grads,)
    if len(one) != len(wrt):
        return out
    for index, grad in zip(wrt, one):
        try:
            expected = numerical_grad(f, args, index)
            actual = np.broadcast_to(
                np.asarray(grad, dtype=np.float64), np.shape(expected)
            )
            check_close(f, index, actual, expected, rtol, atol, label="numerical")
        except (AssertionError, ValueError, TypeError) as exc:
            out.append(Finding("wrong gradient values", _first_line(exc), str(exc)))
    return out


def check(program: Program, rtol=1e-5, atol=1e-6) -> list[Finding]:
    """Differentiate one program and return what went wrong (nothing: [])."""
    import tangent

    module = load(program.source, tag=f"s{program.seed}")
    try:
        return _check(tangent, module, program, rtol, atol)
    finally:
        _clear_cache(tangent, module.__name__)


def _check(tangent, module, program, rtol, atol):
    from oracle import assert_args_unchanged, check_grads, copy_args

    findings: list[Finding] = []
    f = getattr(module, program.func_name)
    wrt = program.wrt
    _clear_cache(tangent, module.__name__)

    # (1) the gradient can be generated
    try:
        df = tangent.grad(f, wrt=wrt)
    except tangent.TangentError as exc:
        cause = exc.__cause__
        detail = str(exc)
        if cause is not None:
            detail += "\n" + "".join(traceback.format_exception(cause))
        return [Finding("TangentError", _first_line(exc), detail)]
    except Exception as exc:
        return [Finding("crash in grad", _first_line(exc), traceback.format_exc())]

    first = _gradient_sources(tangent, module.__name__)

    # (3) the generated code parses and is deterministic
    for label, text in sorted(first.items()):
        try:
            ast.parse(text)
        except SyntaxError as exc:
            findings.append(
                Finding("unparseable", f"{label}: {_first_line(exc)}", text)
            )
    _clear_cache(tangent, module.__name__)
    try:
        tangent.grad(f, wrt=wrt)
        second = _gradient_sources(tangent, module.__name__)
    except Exception as exc:
        second = {}
        findings.append(
            Finding("nondeterministic", f"second generation: {_first_line(exc)}")
        )
    if second and second != first:
        labels = sorted(set(first) ^ set(second)) or sorted(
            k for k in first if first[k] != second.get(k)
        )
        diff = "\n".join(
            f"--- {k} (first)\n{first.get(k)}\n--- {k} (second)\n{second.get(k)}"
            for k in labels
        )
        findings.append(
            Finding("nondeterministic", f"generated source differs: {labels}", diff)
        )

    # (2) values, (4) arguments untouched
    args = program.make_args()
    before = copy_args(args)
    try:
        grads = df(*args)
    except Exception as exc:
        findings.append(
            Finding("crash in gradient", _first_line(exc), traceback.format_exc())
        )
        return findings
    try:
        assert_args_unchanged(before, args, "the gradient")
    except AssertionError as exc:
        findings.append(Finding("mutated arguments", _first_line(exc), str(exc)))
        args = before
    try:
        check_grads(f, copy_args(args), wrt, grads, rtol=rtol, atol=atol)
    except AssertionError as exc:
        findings.append(Finding("wrong gradient", _first_line(exc), str(exc)))
        # a gradient of the wrong type or shape may still have wrong values:
        # compare them too, so that one finding does not hide another
        if "differs from numerical" not in str(exc):
            findings += _compare_values(f, args, wrt, grads, rtol, atol)
        return findings

    # (5) the output seed scales the gradient
    try:
        scaled = df(*copy_args(args), dresult=2.0)
        one = grads if len(wrt) > 1 else (grads,)
        two = scaled if len(wrt) > 1 else (scaled,)
        for g1, g2 in zip(one, two):
            if not np.allclose(2.0 * np.asarray(g1), np.asarray(g2), rtol=1e-9):
                raise AssertionError(f"dresult=2.0 gives {g2!r}, expected 2 * {g1!r}")
    except Exception as exc:
        findings.append(Finding("seed scaling", _first_line(exc), str(exc)))

    # (6) forward mode agrees with reverse mode
    findings += _check_forward(tangent, f, args, wrt, grads, program.seed)
    return findings


def _check_forward(tangent, f, args, wrt, grads, seed) -> list[Finding]:
    """``jvp`` with a random tangent equals the gradient's inner product with it."""
    from oracle import copy_args

    rng = np.random.default_rng(seed)
    tangents = [None] * len(args)
    for i in wrt:
        shape = np.shape(args[i])
        tangents[i] = (
            rng.standard_normal(shape) if shape else float(rng.standard_normal())
        )
    one = grads if len(wrt) > 1 else (grads,)
    expected = sum(
        float(np.sum(np.asarray(g, dtype=np.float64) * tangents[i]))
        for g, i in zip(one, wrt)
    )
    try:
        _, actual = tangent.jvp(f, tuple(copy_args(args)), tuple(tangents))
        actual = float(np.sum(actual))
    except tangent.TangentError as exc:
        return [Finding("forward TangentError", _first_line(exc), str(exc))]
    except Exception as exc:
        return [Finding("crash in jvp", _first_line(exc), traceback.format_exc())]
    if not np.isclose(actual, expected, rtol=1e-6, atol=1e-8):
        return [
            Finding(
                "forward disagrees with reverse",
                f"jvp gives {actual!r}, gradient · tangent gives {expected!r}",
            )
        ]
    return []


def check_program(seed: int) -> tuple[Program, list[Finding]]:
    """Generate the program of ``seed`` and check it."""
    program = generate_program(seed)
    return program, check(program)


class Outcome(NamedTuple):
    seed: int
    source: str
    wrt: tuple
    findings: list


class _Timeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Timeout()


def outcome(seed: int, timeout: int = 300) -> Outcome:
    """``check_program`` as plain data; never raises (errors are findings)."""
    use_alarm = hasattr(signal, "SIGALRM") and timeout
    if use_alarm:
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(timeout)
    program = None
    try:
        program = generate_program(seed)
        findings = check(program)
    except _Timeout:
        findings = [Finding("timeout", f"more than {timeout} s")]
    except Exception as exc:
        findings = [Finding("checker error", _first_line(exc), traceback.format_exc())]
    finally:
        if use_alarm:
            signal.alarm(0)
    if program is None:
        return Outcome(seed, "", (), findings)
    return Outcome(seed, program.source, program.wrt, findings)


def check_seeds(seeds, workers: int | None = None) -> dict[int, Outcome]:
    """``outcome`` of every seed, in ``workers`` processes (default: the CPUs,
    at most 4; ``TANGENT_FUZZ_WORKERS`` overrides). Differentiating is the
    slow part, and every program is independent of the others."""
    seeds = list(seeds)
    if workers is None:
        env = os.environ.get("TANGENT_FUZZ_WORKERS")
        workers = int(env) if env else min(os.cpu_count() or 1, 4)
    workers = max(1, min(workers, len(seeds)))
    if workers == 1:
        return {seed: outcome(seed) for seed in seeds}
    # spawn, not fork: the parent may have started threads (JAX does)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        return {o.seed: o for o in pool.imap_unordered(outcome, seeds)}
