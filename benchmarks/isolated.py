"""Runs one implementation over workloads in a child process of its own.

`python benchmarks/isolated.py KEY REQUEST` (started by `benchmarks/run.py`)
prints one JSON line per workload, as soon as it is done:
{"name": ..., "status": "ok", "seconds": ..., "ratio": ..., "compile_s": ...},
or "status": "wrong" / "fails" with a "reason". REQUEST is a JSON object
{"workloads": [...], "size": ..., "budget": {...}}.

Two kinds of columns run here. Those that compile (`jax.jit`): the parent
kills a child whose compilation runs past the time limit, which it could not
do to a compilation in its own process. And tangent-ad, which installs a
module named `tangent` like this project: its child runs in tangent-ad's own
virtual environment, where this directory's parent is put at the end of
`sys.path`, after the environment's site-packages, so that `import tangent`
finds tangent-ad.

The gradient is checked against the hand-written one before it is timed, and
the hand-written gradient is timed here too, alternately with it, so that the
ratio reported is of two times taken in the same process under the same load.
"""

from __future__ import annotations

import json
import pathlib
import sys

if __package__ in (None, ""):
    sys.path.append(str(pathlib.Path(__file__).resolve().parent.parent))

from benchmarks import timing  # noqa: E402
from benchmarks import workloads as W  # noqa: E402
from benchmarks.implementations import BY_KEY, reason_of  # noqa: E402


def run_one(impl, name, size, budget):
    args = W.make_args(name, size)
    reference = W.hand_grad(name, args)
    try:
        prepared = impl.prepare(name, args)
        if prepared.compile_s is None:
            result, warm = timing.timed_once(prepared.call, budget.clock)
        else:
            result, warm = prepared.first, None
        got = prepared.to_numpy(result)
    except Exception as exc:
        return {"status": "fails", "reason": reason_of(exc)}
    problem = W.compare_grads(got, reference)
    if problem:
        return {"status": "wrong", "reason": problem}
    hand = W.WORKLOADS[name]["grad"]
    t, _, ratio = timing.paired(prepared.call, lambda: hand(*args), budget, warm_s=warm)
    return {
        "status": "ok",
        "seconds": t.median_s,
        "ratio": ratio,
        "compile_s": prepared.compile_s,
    }


def main(argv):
    key, request = argv[0], json.loads(argv[1])
    impl = BY_KEY[key]
    budget = timing.Budget(**request["budget"])
    reason = impl.unavailable()
    for name in request["workloads"]:
        if reason:
            line = {"status": "fails", "reason": reason}
        else:
            line = run_one(impl, name, request["size"], budget)
        print(json.dumps(dict(line, name=name)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
