"""Differential fuzzing of tangent with random programs (see tests/fuzz/).

    python -m tests.fuzz.run --count 5000 --start 1000 --out /tmp/fuzz-findings
    python -m tests.fuzz.run --seeds 37,61 --show  # print programs and findings
    python -m tests.fuzz.run --minutes 15          # as many seeds as fit
    python -m tests.fuzz.run --replay OUT/seed_37.py --shrink  # reduce a finding
    python -m tests.fuzz.run --profile large --count 50        # bigger programs

(``python tests/fuzz/run.py ...`` works the same, from any folder.)

Each seed's program is differentiated and checked (gradient generated,
matches finite differences, deterministic and parseable source, arguments
untouched, seed scaling). Prints a summary with the findings grouped by kind
and message; every failing program is written to ``OUT/seed_<n>.py`` with a
header (wrt, arguments, findings) and a ``__main__`` block that reproduces it.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import os
import re
import signal
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
if __name__ == "__main__" and sys.path and os.path.abspath(sys.path[0]) == HERE:
    # run as a script: its own folder is first on sys.path; the package's
    # modules are imported as ``fuzz.*`` instead
    del sys.path[0]
for _path in (ROOT, os.path.join(ROOT, "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import numpy as np  # noqa: E402

import fuzz  # noqa: E402


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def reproducer(program, findings) -> str:
    """The program's source with a header and a ``__main__`` block."""
    args = program.make_args()
    with np.printoptions(precision=17, threshold=100):
        arg_text = ", ".join(repr(a) for a in args)
    lines = [
        f"# fuzz seed {program.seed} (attempt {program.attempt}), wrt={program.wrt}"
    ]
    for f in findings:
        lines.append(f"# {f.kind}: {f.message}")
    lines.append("")
    body = program.source
    main = f"""

if __name__ == "__main__":
    import sys

    sys.path[:0] = [{os.path.join(ROOT, "tests")!r}, {ROOT!r}]
    from numpy import array  # noqa: F401
    from oracle import check_grads

    import tangent

    args = ({arg_text},)
    df = tangent.grad({program.func_name}, wrt={program.wrt!r})
    print(tangent.source(df))
    grads = df(*args)
    print("gradient:", grads)
    check_grads({program.func_name}, args, {program.wrt!r}, grads)
    print("ok")
"""
    return "\n".join(lines) + "\n" + body + main


def _block_end(lines, i):
    """Index after the statement starting at line ``i`` (with its body)."""
    indent = len(lines[i]) - len(lines[i].lstrip())
    j = i + 1
    while j < len(lines) and (
        not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent
    ):
        j += 1
    return j


def _with_pass(lines):
    """Add ``pass`` to blocks left empty by a deletion."""
    out = []
    for k, line in enumerate(lines):
        out.append(line)
        if line.rstrip().endswith(":"):
            indent = len(line) - len(line.lstrip())
            nxt = next((x for x in lines[k + 1 :] if x.strip()), "")
            if len(nxt) - len(nxt.lstrip()) <= indent:
                out.append(" " * (indent + 4) + "pass")
    return out


def _candidates(source):
    """Smaller variants: one statement (with its body) removed, or a compound
    statement replaced by its body."""
    lines = source.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or not line.startswith(" "):
            continue  # top-level lines: imports, def headers
        if re.fullmatch(r"k\d+ \+= 1", stripped):
            continue  # a while loop's counter
        if stripped.startswith(("return ", "else:", "elif ")) and _block_end(
            lines, i
        ) == len(lines):
            continue
        j = _block_end(lines, i)
        if stripped.startswith(("else:", "elif ")):
            yield "\n".join(_with_pass(lines[:i] + lines[j:])) + "\n"
            continue
        yield "\n".join(_with_pass(lines[:i] + lines[j:])) + "\n"
        if stripped.endswith(":") and not stripped.startswith(("def ", "else")):
            # unwrap: keep the body, dedented, drop the header and other arms
            body = [b[4:] if b.startswith(" ") else b for b in lines[i + 1 : j]]
            k = j
            indent = len(line) - len(line.lstrip())
            while k < len(lines) and lines[k].strip().startswith(("elif ", "else:")):
                if len(lines[k]) - len(lines[k].lstrip()) != indent:
                    break
                k = _block_end(lines, k)
            yield "\n".join(_with_pass(lines[:i] + body + lines[k:])) + "\n"
    # drop a whole helper function
    for i, line in enumerate(lines):
        if line.startswith("def h"):
            j = _block_end(lines, i)
            yield "\n".join(lines[:i] + lines[j:]) + "\n"


def shrink(program, key, max_checks=400, timeout=10):
    """A smaller program that still gives a finding with grouping key ``key``."""
    from fuzz.generator import Rejected, load, screen

    def still_fails(candidate):
        # a deleted counter increment can make a while loop endless
        signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(timeout)
        try:
            compile(candidate.source, "<shrink>", "exec")
            module = load(candidate.source, tag=f"shrink{program.seed}")
            with np.errstate(all="ignore"):
                screen(
                    getattr(module, program.func_name),
                    candidate.make_args,
                    candidate.wrt,
                )
            found = fuzz.check(candidate)
        except (Rejected, Timeout, Exception):
            return False
        finally:
            signal.alarm(0)
        return any(fuzz.signature(f) == key for f in found)

    best = program
    checks = 0
    progress = True
    while progress and checks < max_checks:
        progress = False
        for w in [best.wrt[:k] + best.wrt[k + 1 :] for k in range(len(best.wrt))]:
            if w and still_fails(best._replace(wrt=w)):
                best = best._replace(wrt=w)
                progress = True
                break
        for src in _candidates(best.source):
            checks += 1
            if checks > max_checks:
                break
            cand = best._replace(source=src)
            if len(src) < len(best.source) and still_fails(cand):
                best = cand
                progress = True
                break
    return best


def program_from_file(path):
    """The program of a reproducer written by this tool (or by hand in its form)."""
    import copy

    text = open(path).read()
    head = re.search(r"# fuzz seed (\d+) \(attempt (\d+)\), wrt=(\(.*?\))", text)
    body, _, main_block = text.partition('\n\nif __name__ == "__main__":')
    body = (
        "\n".join(x for x in body.splitlines() if not x.startswith("# ")).lstrip()
        + "\n"
    )
    args_text = re.search(r"args = (\(.*?,\))\n", main_block, re.S).group(1)
    args = eval(args_text, {"array": np.array})
    wrt = eval(head.group(3)) if head else (0,)
    name = re.search(r"tangent\.grad\((\w+)", main_block).group(1)
    seed = int(head.group(1)) if head else 0

    def make_args(rng=None):
        return copy.deepcopy(args)

    return fuzz.Program(
        seed, body, name, make_args, wrt, int(head.group(2)) if head else 0
    )


def digest(program) -> str:
    """A hash of the generated sources of the program's gradients."""
    import tangent
    from fuzz import _clear_cache, _gradient_sources

    module = fuzz.load(program.source, tag=f"s{program.seed}")
    _clear_cache(tangent, module.__name__)
    try:
        tangent.grad(getattr(module, program.func_name), wrt=program.wrt)
    except Exception as exc:
        return f"error:{type(exc).__name__}"
    sources = _gradient_sources(tangent, module.__name__)
    text = "\n".join(f"{k}\n{v}" for k, v in sorted(sources.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cross_process(seeds, profile="small", hash_seeds=("0", "1", "4242")):
    """Seeds whose generated source differs between processes with different
    ``PYTHONHASHSEED`` (set and dict-of-str ordering)."""
    results = []
    for hs in hash_seeds:
        env = dict(os.environ, PYTHONHASHSEED=hs)
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--digests",
                "--profile",
                profile,
                "--seeds",
                ",".join(map(str, seeds)),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results.append(dict(line.split() for line in out.splitlines() if line.strip()))
    return [s for s in seeds if len({r.get(str(s)) for r in results}) > 1]


def run_seed(seed, timeout, profile="small"):
    """``(program or None, findings)``; generation failures are findings too."""
    if timeout:
        signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(timeout)
    program = None
    try:
        program = fuzz.generate_program(seed, profile)
        return program, fuzz.check(program)
    except Timeout:
        return program, [fuzz.Finding("timeout", f"more than {timeout} s")]
    except Exception as exc:
        where = "generator" if program is None else "checker"
        return program, [
            fuzz.Finding(
                f"{where} error",
                f"{type(exc).__name__}: {exc}".splitlines()[0],
                traceback.format_exc(),
            )
        ]
    finally:
        if timeout:
            signal.alarm(0)


def _failed(groups, seed):
    return any(seed in seeds for seeds in groups.values())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=200, help="number of seeds")
    ap.add_argument("--start", type=int, default=0, help="first seed")
    ap.add_argument("--seeds", help="comma-separated seeds (overrides --count)")
    ap.add_argument("--minutes", type=float, help="stop starting seeds after this")
    ap.add_argument("--out", default="/tmp/fuzz-findings", help="folder for findings")
    ap.add_argument("--timeout", type=int, default=120, help="seconds per program")
    ap.add_argument(
        "--profile",
        default="small",
        choices=["small", "large"],
        help="program size (large: slower to differentiate, other programs per seed)",
    )
    ap.add_argument("--show", action="store_true", help="print each finding's detail")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    ap.add_argument(
        "--shrink",
        type=int,
        nargs="?",
        const=10**9,
        default=0,
        metavar="N",
        help="write a reduced reproducer (OUT/seed_<n>_min.py) for the first N "
        "failures of each kind (all when N is left out)",
    )
    ap.add_argument(
        "--cross-process",
        type=int,
        default=20,
        metavar="N",
        help="regenerate N passing programs in processes with other "
        "PYTHONHASHSEEDs and compare the sources (0: skip)",
    )
    ap.add_argument(
        "--replay", metavar="FILE", help="check (and --shrink) a reproducer"
    )
    ap.add_argument("--digests", action="store_true", help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)

    if opts.replay:
        program = program_from_file(opts.replay)
        findings = fuzz.check(program)
        for f in findings:
            print(f, "\n", f.detail, sep="")
        if findings and opts.shrink:
            small = shrink(program, fuzz.signature(findings[0]))
            print(f"--- reduced (wrt={small.wrt}):")
            print(small.source)
            out = opts.replay.replace(".py", "") + "_min.py"
            with open(out, "w") as fh:
                fh.write(reproducer(small, fuzz.check(small)))
            print("written to", out)
        return 1 if findings else 0

    if opts.digests:
        for seed in [int(s) for s in opts.seeds.split(",") if s.strip()]:
            print(seed, digest(fuzz.generate_program(seed, opts.profile)))
        return 0

    if opts.seeds:
        seeds = [int(s) for s in opts.seeds.split(",") if s.strip()]
    elif opts.minutes:
        seeds = range(opts.start, opts.start + 10**9)
    else:
        seeds = range(opts.start, opts.start + opts.count)
    os.makedirs(opts.out, exist_ok=True)

    t0 = time.time()
    groups = collections.defaultdict(list)
    passed = run = 0
    slow = []
    for seed in seeds:
        if opts.minutes and time.time() - t0 > 60 * opts.minutes:
            break
        t = time.time()
        program, findings = run_seed(seed, opts.timeout, opts.profile)
        dt = time.time() - t
        run += 1
        slow.append((dt, seed))
        if not findings:
            passed += 1
        else:
            for f in findings:
                groups[fuzz.signature(f)].append(seed)
            if program is not None:
                path = os.path.join(opts.out, f"seed_{seed}.py")
                with open(path, "w") as fh:
                    fh.write(reproducer(program, findings))
                key = fuzz.signature(findings[0])
                if opts.shrink and len(groups[key]) <= opts.shrink:
                    small = shrink(program, key)
                    path = os.path.join(opts.out, f"seed_{seed}_min.py")
                    with open(path, "w") as fh:
                        fh.write(reproducer(small, fuzz.check(small)))
                    if opts.show:
                        print(f"--- reduced (wrt={small.wrt}):")
                        print(small.source)
            if not opts.quiet:
                print(f"seed {seed}: " + "; ".join(str(f) for f in findings))
            if opts.show:
                if program is not None:
                    print(program.source)
                for f in findings:
                    print(f.detail)
        if not opts.quiet and run % 100 == 0:
            print(
                f"... {run} programs, {passed} passed, {time.time() - t0:.0f} s",
                flush=True,
            )

    passing = [s for _, s in sorted(slow, key=lambda r: r[1]) if not _failed(groups, s)]
    if opts.cross_process and passing:
        step = max(1, len(passing) // opts.cross_process)
        sample = passing[::step][: opts.cross_process]
        for seed in cross_process(sample, opts.profile):
            passed -= 1
            groups[
                "nondeterministic: differs across processes (PYTHONHASHSEED)"
            ].append(seed)
        print(f"cross-process determinism checked on {len(sample)} programs")

    elapsed = time.time() - t0
    print()
    print(f"programs run: {run}  passed: {passed}  failed: {run - passed}")
    print(f"time: {elapsed:.1f} s ({elapsed / max(run, 1):.3f} s per program)")
    slow.sort(reverse=True)
    print("slowest: " + ", ".join(f"seed {s} {d:.1f} s" for d, s in slow[:5]))
    if groups:
        print(f"findings ({len(groups)} distinct), programs written to {opts.out}:")
        for key, ss in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            shown = ", ".join(map(str, ss[:12])) + (" ..." if len(ss) > 12 else "")
            print(f"  {len(ss):5d}  {key}\n         seeds: {shown}")
    return 0 if passed == run else 1


if __name__ == "__main__":
    sys.exit(main())
