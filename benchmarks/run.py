"""The benchmark runner: `python -m benchmarks` (or `python benchmarks/run.py`).

For each workload of `benchmarks/workloads.py` it checks the hand-written
gradient against a central finite difference, then every implementation's
gradient against the hand-written one (a mismatch is reported, never timed),
then times them all in this one process, and writes Markdown tables to
stdout and to `benchmarks/results.md` (`results-quick.md` with `--quick`).
See `benchmarks/README.md` for what each column means.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib.metadata
import json
import os
import pathlib
import platform
import select
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

_THREADS = None
if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    from benchmarks import threads

    _THREADS = threads.pin(threads.requested(sys.argv[1:]))  # before NumPy

import numpy as np  # noqa: E402

from benchmarks import timing  # noqa: E402
from benchmarks import workloads as W  # noqa: E402
from benchmarks.implementations import (  # noqa: E402
    IMPLEMENTATIONS,
    OursJaxBackend,
    _accepts,
    reason_of,
)

HERE = pathlib.Path(__file__).resolve().parent
TANGENT_AD = "tangent-ad==0.4.0"
TANGENT_AD_VENV = HERE / ".venv-tangent-ad"

# what `tangent.grad(..., checkpoint=...)` is called with by the checkpointing
# benchmark: True cuts the loop into segments of about sqrt(steps) iterations
CHECKPOINT_VALUE = True
# the numbers of RNN steps it measures
CHECKPOINT_STEPS = {"quick": (100, 1000), "full": (100, 1000, 10000)}


def square(x):
    """The cheapest gradient there is: what a call costs beyond its arithmetic."""
    return x * x


# ----- small helpers -----------------------------------------------------------


def _reason(exc):
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:160]


def _ms(seconds):
    if seconds is None:
        return "n/a"
    value = seconds * 1e3
    if value >= 100:
        return f"{value:.0f}"
    if value >= 1:
        return f"{value:.3g}"
    return f"{value:.3f}"


def _ratio(value):
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _mb(n):
    return f"{n / 2**20:.2f}"


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


class Cell:
    """One result: a time, or why there is none."""

    def __init__(
        self,
        seconds=None,
        ratio=None,
        text=None,
        wrong=None,
        compile_s=None,
        failure=None,
    ):
        self.seconds = seconds  # median seconds per gradient
        # the median ratio to the hand-written gradient, timed alternately with it
        self.ratio = ratio
        self.text = text
        self.wrong = wrong
        self.compile_s = compile_s
        self.failure = failure  # why it failed, in full (listed under the table)
        if failure and not text:
            kind = failure.split(":", 1)[0]
            self.text = f"fails: {kind if kind.isidentifier() else failure[:40]}"

    def show_ratio(self):
        if self.wrong:
            return "**WRONG**"
        if self.ratio is None:
            return self.text or "n/a"
        return _ratio(self.ratio)

    def to_json(self):
        return {k: v for k, v in vars(self).items() if v is not None}


# ----- columns run in child processes -------------------------------------------


def _venv_python():
    return TANGENT_AD_VENV / "bin" / "python"


def setup_tangent_ad(log):
    """Create tangent-ad's environment (with this NumPy's version) if missing: None or why not."""
    if _venv_python().exists():
        return None
    log(f"creating {TANGENT_AD_VENV} for {TANGENT_AD} (once)")
    try:
        subprocess.run(
            [sys.executable, "-m", "venv", str(TANGENT_AD_VENV)],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(_venv_python()), "-m", "pip", "install", "-q"]
            + [f"numpy=={np.__version__}", TANGENT_AD],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        stderr = (getattr(exc, "stderr", b"") or b"").decode(errors="replace")
        return f"install failed: {_reason(exc)} {stderr[-200:]}"
    return None


def _read_lines(fd, timeout):
    """Lines from file descriptor `fd`; None when `timeout` s pass without one."""
    buffer = b""
    while True:
        while b"\n" not in buffer:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                yield None
                return
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return
            buffer += chunk
        line, buffer = buffer.split(b"\n", 1)
        yield line.decode()


def run_isolated(key, python, names, size, budget, timeout, log):
    """Results of implementation `key` on `names`, from child processes.

    A workload with no result within `timeout` seconds (a compilation that
    does not end) is reported as failing; its child is killed and a new one
    goes on with the remaining workloads.
    """
    results = {}
    pending = list(names)
    env = dict(os.environ, TANGENT_DISK_CACHE="0")
    env.pop("PYTHONPATH", None)
    request = {"size": size, "budget": dataclasses.asdict(budget)}
    while pending:
        command = [str(python), str(HERE / "isolated.py"), key]
        command.append(json.dumps(dict(request, workloads=pending)))
        with tempfile.TemporaryFile() as stderr:
            child = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=HERE
            )
            try:
                for line in _read_lines(child.stdout.fileno(), timeout):
                    if line is None:
                        name = pending.pop(0)
                        results[name] = {
                            "status": "fails",
                            "reason": f"no result within {timeout} s",
                        }
                        log(f"{key} {name}: no result within {timeout} s, killed")
                        break
                    result = json.loads(line)
                    results[result["name"]] = result
                    pending.remove(result["name"])
                    log(f"{key} {result['name']}: {result}")
                else:
                    if pending:  # the child died
                        child.wait()
                        stderr.seek(0)
                        tail = stderr.read().decode(errors="replace").strip()
                        tail = tail.splitlines()[-1:] or ["no output"]
                        name = pending.pop(0)
                        results[name] = {
                            "status": "fails",
                            "reason": f"exited {child.returncode}: {tail[0][:120]}",
                        }
            finally:
                child.kill()
                child.wait()
    return results


def isolated_cell(result, hand_s, name, title, problems):
    if result["status"] == "ok":
        return Cell(
            seconds=result["seconds"],
            ratio=result["ratio"],
            compile_s=result.get("compile_s"),
        )
    if result["status"] == "wrong":
        message = f"MISMATCH {name} / {title}: {result['reason']}"
        print(message, file=sys.stderr)
        problems.append(message)
        return Cell(wrong=result["reason"])
    return Cell(failure=result["reason"])


# ----- one workload --------------------------------------------------------------


def check_and_time(impl, name, args, reference, hand, budget, problems, log):
    """Prepare `impl`, check its gradient, time it: a Cell."""
    try:
        prepared = impl.prepare(name, args)
        if prepared.compile_s is None:
            result, warm = timing.timed_once(prepared.call, budget.clock)
        else:
            result, warm = prepared.first, None
        got = prepared.to_numpy(result)
    except Exception as exc:
        log(f"  {impl.key}: fails: {_reason(exc)}")
        if os.environ.get("BENCH_TRACEBACK"):
            traceback.print_exc()
        return Cell(failure=reason_of(exc))
    problem = W.compare_grads(got, reference)
    if problem:
        message = f"MISMATCH {name} / {impl.title}: {problem}"
        print(message, file=sys.stderr)
        problems.append(message)
        return Cell(wrong=problem, compile_s=prepared.compile_s)
    t, _, ratio = timing.paired(prepared.call, hand, budget, warm_s=warm)
    log(f"  {impl.key}: {_ms(t.median_s)} ms, {ratio:.3g} x hand ({t.calls} calls)")
    return Cell(seconds=t.median_s, ratio=ratio, compile_s=prepared.compile_s)


def direct_function(df):
    """The generated code of `df` compiled again, the way `tangent.grad` compiles it
    (`transforms.codegen.compile_function`), with no wrapper around it: the
    baseline for what calling the function `tangent.grad` returns costs."""
    import ast

    from transforms import codegen

    meta = getattr(df, "__tangent__", None)
    if meta is None:
        return None
    text = meta["source"]
    name = next(n.name for n in ast.parse(text).body if isinstance(n, ast.FunctionDef))
    primal = meta["primal"]
    cells = dict(zip(primal.__code__.co_freevars, primal.__closure__ or ()))
    return codegen.compile_function(
        text, name, primal.__globals__, free=dict(meta.get("imports", {})), cells=cells
    )


def ours_details(name, args, budget, quick):
    """Transform time, cached lookup, wrapper overhead and peak memory of ours."""
    import tangent

    spec = W.WORKLOADS[name]
    fname = spec["f"].__name__
    out = {}
    # transform: fresh function objects (the workload and its helpers), so the
    # cache misses for each of them
    seconds = []
    for _ in range(1 if quick else 5):
        fresh = W.rebind(np)[fname]
        _, s = timing.timed_once(
            lambda fresh=fresh: tangent.grad(fresh, wrt=spec["wrt"]), budget.clock
        )
        seconds.append(s)
    out["transform_s"] = statistics.median(seconds)
    df = tangent.grad(spec["f"], wrt=spec["wrt"])
    lookup = timing.measure(lambda: tangent.grad(spec["f"], wrt=spec["wrt"]), budget)
    out["lookup_s"] = lookup.median_s
    direct = direct_function(df)
    if direct is not None:
        _, _, ratio = timing.paired(lambda: df(*args), lambda: direct(*args), budget)
        out["returned_over_direct"] = ratio
    out["peak_hand"] = timing.peak_memory(lambda: spec["grad"](*args))
    out["peak_ours"] = timing.peak_memory(lambda: df(*args))
    return out


def run_workload(name, size, budget, impls, problems, log, quick):
    """The in-process columns of one workload (forward, hand, ours, ...)."""
    spec = W.WORKLOADS[name]
    args = W.make_args(name, size)
    row = {"workload": name, "size": W.describe(name, size)}
    log(f"{name} ({row['size']})")
    row["forward_s"] = timing.measure(lambda: spec["f"](*args), budget).median_s
    reference = W.hand_grad(name, args)
    fd_error = W.directional_check(name, args, reference)
    row["hand_fd_error"] = fd_error
    if fd_error > 1e-5:
        message = (
            f"MISMATCH {name}: the hand-written gradient differs from finite"
            f" differences (relative error {fd_error:.2g})"
        )
        print(message, file=sys.stderr)
        problems.append(message)

    def hand():
        return spec["grad"](*args)

    row["hand_s"] = timing.measure(hand, budget).median_s
    log(f"  forward {_ms(row['forward_s'])} ms, hand {_ms(row['hand_s'])} ms")
    cells = {}
    for impl, reason in impls:
        if reason:
            cells[impl.key] = Cell(text=reason)
        elif not impl.isolated:
            cells[impl.key] = check_and_time(
                impl, name, args, reference, hand, budget, problems, log
            )
    row["cells"] = cells
    ours = cells.get("ours")
    if ours is not None and ours.seconds is not None:
        try:
            row["ours"] = ours_details(name, args, budget, quick)
        except Exception as exc:
            row["ours"] = {"error": reason_of(exc)}
    return row


# ----- checkpointing: tangent.grad(..., checkpoint=True) -------------------------


def checkpoint_rows(quick, budget, log):
    """Peak memory of the RNN gradient against the number of steps."""
    try:
        import tangent
    except Exception as exc:
        return f"n/a ({_reason(exc)})", []
    if not _accepts(tangent.grad, "checkpoint"):
        return "n/a: tangent.grad has no checkpoint= option yet", []
    spec = W.WORKLOADS["rnn"]
    base = dict(spec["sizes"]["full"])
    rows = []
    for steps in CHECKPOINT_STEPS["quick" if quick else "full"]:
        size = dict(base, steps=steps)
        args = spec["args"](size, np.random.default_rng(W.SEED))
        reference = W.rnn_grad(*args)
        row = {
            "steps": steps,
            "peak_hand": timing.peak_memory(lambda args=args: W.rnn_grad(*args)),
        }
        for label, options in (
            ("plain", {}),
            ("checkpoint", {"checkpoint": CHECKPOINT_VALUE}),
        ):
            try:
                df = tangent.grad(W.rnn, wrt=spec["wrt"], **options)
                problem = W.compare_grads(df(*args), reference)
            except Exception as exc:
                row[label] = f"fails: {_reason(exc)[:70]}"
                continue
            if problem:
                row[label] = f"WRONG: {problem}"
                print(f"MISMATCH rnn checkpoint ({label}): {problem}", file=sys.stderr)
                continue
            row[label] = (
                timing.peak_memory(lambda df=df, args=args: df(*args)),
                timing.measure(lambda df=df, args=args: df(*args), budget).median_s,
            )
        log(f"checkpoint, {steps} steps: {row}")
        rows.append(row)
    return None, rows


def cached_call_overhead(budget):
    """What a call of the returned gradient costs beyond the generated code itself."""
    import tangent

    df = tangent.grad(square)
    direct = direct_function(df)
    out = {"lookup_s": timing.measure(lambda: tangent.grad(square), budget).median_s}
    if direct is None:
        out["call_s"] = timing.measure(lambda: df(3.0), budget).median_s
    else:
        call, raw, _ = timing.paired(lambda: df(3.0), lambda: direct(3.0), budget)
        out["call_s"], out["direct_s"] = call.median_s, raw.median_s
    return out


# ----- the report ---------------------------------------------------------------


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(pathlib.Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}"


def engine_revision():
    """The commit the engine was measured at, and whether its files had local changes."""
    root = HERE.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "tangent", "transforms"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout.strip()
    except (subprocess.SubprocessError, OSError):
        return "unknown"
    if not head:
        return "unknown"
    return head + (
        " with uncommitted changes to tangent/ or transforms/" if dirty else ""
    )


def versions(tangent_ad_version):
    parts = [f"Python {platform.python_version()}", f"NumPy {np.__version__}"]
    for package, label in (
        ("autograd", "autograd"),
        ("jax", "JAX"),
        ("torch", "PyTorch"),
    ):
        v = _version(package)
        parts.append(f"{label} {v}" if v else f"{label} not installed")
    parts.append(f"tangent-ad {tangent_ad_version or 'not run'}")
    return ", ".join(parts)


COLUMNS = [
    ("ours", "ours"),
    ("autograd", "autograd"),
    ("jax", "JAX eager"),
    ("jax_jit", "JAX jit"),
    ("torch", "PyTorch"),
    ("tangent_ad", "tangent-ad"),
    ("ours_jax", "ours JAX jit"),
    ("ours_jax_scan", "ours JAX scan jit"),
]


def report(rows, header, overhead, checkpoint, problems):
    keys = {k for row in rows for k in row["cells"]}
    columns = [(k, t) for k, t in COLUMNS if k in keys]
    lines = [header, ""]
    lines.append("### Gradient time, as a multiple of the hand-written gradient")
    lines.append("")
    head = ["workload", "size", "forward ms", "hand ms"] + [t for _, t in columns]
    compiled = [k for k in ("jax_jit", "ours_jax", "ours_jax_scan") if k in keys]
    head += [f"{dict(COLUMNS)[k]} compile s" for k in compiled]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] * 2 + ["--:"] * (len(head) - 2)) + "|")
    for row in rows:
        cells = [
            row["workload"],
            row["size"],
            _ms(row["forward_s"]),
            _ms(row["hand_s"]),
        ]
        cells += [row["cells"][k].show_ratio() for k, _ in columns]
        for k in compiled:
            c = row["cells"][k].compile_s
            cells.append("n/a" if c is None else f"{c:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    failures = [
        f"- {row['workload']}, {dict(COLUMNS)[k]}: {row['cells'][k].failure}"
        for row in rows
        for k, _ in columns
        if row["cells"][k].failure
    ]
    if failures:
        lines += ["", "Failures:", ""] + failures
    lines.append("")
    lines.append("### Ours in detail")
    lines.append("")
    lines.append(
        "| workload | transform ms | cached `tangent.grad` µs | returned ÷ direct"
        " | peak MB hand | peak MB ours | peak ours ÷ hand | hand vs FD |"
    )
    lines.append("|---|--:|--:|--:|--:|--:|--:|--:|")
    for row in rows:
        d = row.get("ours")
        fd = f"{row['hand_fd_error']:.1e}"
        if not d:
            lines.append(
                f"| {row['workload']} | n/a | n/a | n/a | n/a | n/a | n/a | {fd} |"
            )
            continue
        if "error" in d:
            lines.append(
                f"| {row['workload']} | fails: {d['error'][:70]} | | | | | | {fd} |"
            )
            continue
        ratio = d.get("returned_over_direct")
        peak = d["peak_ours"] / d["peak_hand"] if d["peak_hand"] else float("nan")
        lines.append(
            f"| {row['workload']} | {_ms(d['transform_s'])} | {d['lookup_s'] * 1e6:.2f}"
            f" | {'n/a' if ratio is None else f'{ratio:.3f}'} | {_mb(d['peak_hand'])}"
            f" | {_mb(d['peak_ours'])} | {peak:.2f} | {fd} |"
        )
    if overhead:
        lines.append("")
        lines.append(
            f"Cached-call overhead, on `square(x) = x * x` (a float): `tangent.grad(square)`"
            f" on a warm cache {overhead['lookup_s'] * 1e6:.2f} µs; calling the returned"
            f" gradient {overhead['call_s'] * 1e6:.2f} µs"
            + (
                f"; the same generated code compiled and called directly"
                f" {overhead['direct_s'] * 1e6:.2f} µs."
                if "direct_s" in overhead
                else "."
            )
        )
    lines.append("")
    lines.append("### Checkpointing: peak memory of the RNN gradient against steps")
    lines.append("")
    message, crows = checkpoint
    if message:
        lines.append(message)
    else:
        lines.append(
            "| steps | peak MB hand | peak MB ours | peak MB ours, checkpoint | ms ours | ms ours, checkpoint |"
        )
        lines.append("|--:|--:|--:|--:|--:|--:|")
        for r in crows:
            cells = [str(r["steps"]), _mb(r["peak_hand"])]
            for label in ("plain", "checkpoint"):
                v = r[label]
                cells.append(_mb(v[0]) if isinstance(v, tuple) else v)
            for label in ("plain", "checkpoint"):
                v = r[label]
                cells.append(_ms(v[1]) if isinstance(v, tuple) else "")
            lines.append("| " + " | ".join(cells) + " |")
    wrong = [
        (row["workload"], k, c.wrong)
        for row in rows
        for k, c in row["cells"].items()
        if c.wrong
    ]
    if problems or wrong:
        lines.append("")
        lines.append("### MISMATCHES (not timed)")
        lines.append("")
        lines.extend(f"- {p}" for p in problems)
    return "\n".join(lines) + "\n"


# ----- main -----------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark tangent's gradients against hand-written NumPy, autograd, JAX, PyTorch and tangent-ad.",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smaller sizes, short timings (under a minute)",
    )
    p.add_argument(
        "--size",
        choices=("full", "quick", "tiny"),
        help="workload sizes (default: full, or quick with --quick)",
    )
    p.add_argument("--workloads", help="comma-separated workload names (default: all)")
    p.add_argument(
        "--skip",
        default="",
        help="comma-separated columns to leave out: ours, autograd, jax, jax_jit, torch,"
        " tangent_ad, ours_jax, ours_jax_scan, checkpoint",
    )
    p.add_argument(
        "--jax-backend",
        action="store_true",
        help="only the hand-written gradient, ours, and ours with backend='jax' (and"
        " loops='scan') under jax.jit",
    )
    p.add_argument(
        "--output",
        help="Markdown file to write (default: benchmarks/results.md, or results-quick.md with --quick); '-' for none",
    )
    p.add_argument("--json", help="also write the raw results as JSON to this file")
    p.add_argument(
        "--budget",
        type=float,
        help="seconds each measurement may take (default 0.12 with --quick, 1.0)",
    )
    p.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="what a sample measures: the process's CPU time (default; steady on a"
        " shared machine) or the wall clock",
    )
    p.add_argument(
        "--timeout",
        type=int,
        help="seconds a child process may take for one workload (jax.jit compilation,"
        " tangent-ad) before it is reported as failing (default 10 with --quick, 180)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per numerical library (default 1; 0 for the libraries' defaults);"
        " takes effect through python -m benchmarks",
    )
    p.add_argument("--verbose", action="store_true", help="progress on stderr")
    return p.parse_args(argv)


def run(argv=None, threads_note=None):
    """Run the benchmark; returns (exit status, markdown text, rows)."""
    opts = parse_args(argv)
    size = opts.size or ("quick" if opts.quick else "full")
    budget = timing.QUICK if opts.quick else timing.FULL
    budget = dataclasses.replace(budget, clock=opts.clock)
    if opts.budget:
        budget = dataclasses.replace(
            budget, total_s=opts.budget, sample_s=min(budget.sample_s, opts.budget / 4)
        )
    names = opts.workloads.split(",") if opts.workloads else list(W.WORKLOADS)
    unknown = [n for n in names if n not in W.WORKLOADS]
    if unknown:
        raise SystemExit(
            f"unknown workloads: {', '.join(unknown)} (known: {', '.join(W.WORKLOADS)})"
        )
    skip = {s.strip() for s in opts.skip.split(",") if s.strip()}
    if opts.jax_backend:
        skip |= {"autograd", "jax", "jax_jit", "torch", "tangent_ad", "checkpoint"}
        skip -= {"ours_jax", "ours_jax_scan"}

    def log(text):
        if opts.verbose:
            print(text, file=sys.stderr, flush=True)

    started = time.perf_counter()
    impls = []
    for impl in IMPLEMENTATIONS:
        if impl.key in skip:
            continue
        if impl.key == "tangent_ad":
            if opts.quick and not _venv_python().exists():
                reason = "not run (a full run sets it up)"
            else:
                reason = setup_tangent_ad(log)
        else:
            reason = impl.unavailable()
        if reason and not isinstance(impl, OursJaxBackend):
            log(f"{impl.title}: {reason}")
        impls.append((impl, reason))
    problems = []
    rows = [
        run_workload(n, size, budget, impls, problems, log, opts.quick) for n in names
    ]
    for impl, reason in impls:
        if reason or not impl.isolated:
            continue
        python = _venv_python() if impl.key == "tangent_ad" else sys.executable
        limit = opts.timeout or (10 if opts.quick else 180)
        results = run_isolated(impl.key, python, names, size, budget, limit, log)
        for row in rows:
            row["cells"][impl.key] = isolated_cell(
                results[row["workload"]],
                row["hand_s"],
                row["workload"],
                impl.title,
                problems,
            )
    overhead = None
    if any("ours" in row for row in rows):
        try:
            overhead = cached_call_overhead(budget)
        except Exception as exc:
            log(f"cached-call overhead: {_reason(exc)}")
    checkpoint = ("not run (--skip checkpoint)", [])
    if "checkpoint" not in skip:
        checkpoint = checkpoint_rows(opts.quick, budget, log)
    ran = [impl.key for impl, reason in impls if not reason]
    tangent_ad_version = _tangent_ad_version() if "tangent_ad" in ran else None
    elapsed = time.perf_counter() - started
    header = "\n".join(
        [
            f"## Benchmark results ({'--quick' if opts.quick else 'full run'}, sizes: {size})",
            "",
            f"- date: {datetime.date.today().isoformat()}; took {elapsed:.0f} s",
            f"- machine: {machine()} (shared with other work while it ran)",
            f"- engine: commit {engine_revision()}",
            f"- {versions(tangent_ad_version)}",
            f"- {threads_note or 'threads: not pinned (run through python -m benchmarks)'}",
            f"- times are medians of repeated calls, in {'CPU time of the process' if budget.clock == 'cpu' else 'wall-clock time'};"
            " float64 throughout; every gradient was checked against the hand-written one"
            " before it was timed",
        ]
    )
    text = report(rows, header, overhead, checkpoint, problems)
    print(text)
    output = opts.output or str(
        HERE / ("results-quick.md" if opts.quick else "results.md")
    )
    if output != "-":
        pathlib.Path(output).write_text(text)
    if opts.json:
        raw = [
            dict(row, cells={k: c.to_json() for k, c in row["cells"].items()})
            for row in rows
        ]
        pathlib.Path(opts.json).write_text(json.dumps(raw, indent=1, default=str))
    return (1 if problems else 0), text, rows


def _tangent_ad_version():
    try:
        done = subprocess.run(
            [
                str(_venv_python()),
                "-c",
                "import importlib.metadata as m; print(m.version('tangent-ad'))",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout.strip() or None
    except (subprocess.SubprocessError, OSError):
        return None


def main(argv=None, threads_note=None):
    status, _, _ = run(argv, threads_note)
    return status


if __name__ == "__main__":
    sys.exit(main(threads_note=_THREADS))
