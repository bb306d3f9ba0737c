"""Compile and run time of a loop's gradient under jax.jit: tangent's
`loops="scan"` against `jax.jit(jax.grad(f))`.

The workload: a 4-parameter Lotka-Volterra model integrated by RK4 for n
steps, the right-hand side in a helper function, the loss the squared final
state. `jax.jit` of a Python loop unrolls it, so the compile time of
`jax.jit(jax.grad(f))` grows with n; tangent's generated gradient runs the
primal loop and the backward loop with `jax.lax.scan`, so it does not.

    python benchmarks/jax_loops.py                 # 10, 100, 1000 steps
    python benchmarks/jax_loops.py --steps 10 100 --limit 120

Each measurement runs in a fresh process (no compilation cache shared
between them) and is stopped after `--limit` seconds; the unrolled methods
are not run above `--max-unrolled` steps (default 100: at 1000 steps
`jax.jit(jax.grad(f))` was killed for memory after using 19 GB). Methods:

- `tangent-scan`: `jax.jit(tangent.grad(f, loops="scan"))`
- `tangent-python`: `jax.jit(tangent.grad(f))` (the Python loops, unrolled by jit)
- `jax-grad`: `jax.jit(jax.grad(f))` (unrolled by jit)
- `jax-grad-fori`: `jax.jit(jax.grad(f_fori))`, the same model written by hand
  with `jax.lax.fori_loop` (for reference: what a JAX user would write)

compile = tracing + lowering + XLA compilation (`jit(...).lower(...).compile()`);
run = the median of 20 calls of the compiled function after one warm-up.
"""

# Loops written the way users write them (unused loop variables): keep it so.
# ruff: noqa: B007

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)

DT = 0.01
PARAMS = (1.1, 0.4, 0.1, 0.4)
STATE = (10.0, 5.0)


def rhs(state, params):
    prey, pred = state[0], state[1]
    alpha, beta, delta, gamma = params[0], params[1], params[2], params[3]
    return jnp.stack(
        [alpha * prey - beta * prey * pred, delta * prey * pred - gamma * pred]
    )


def simulate(params, state, steps):
    for i in range(steps):
        k1 = rhs(state, params)
        k2 = rhs(state + 0.5 * DT * k1, params)
        k3 = rhs(state + 0.5 * DT * k2, params)
        k4 = rhs(state + DT * k3, params)
        state = state + DT / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return jnp.sum(state**2)


def simulate_fori(params, state, steps):
    def step(i, state):
        k1 = rhs(state, params)
        k2 = rhs(state + 0.5 * DT * k1, params)
        k3 = rhs(state + 0.5 * DT * k2, params)
        k4 = rhs(state + DT * k3, params)
        return state + DT / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)

    return jnp.sum(jax.lax.fori_loop(0, steps, step, state) ** 2)


def gradient(method):
    import tangent

    if method == "tangent-scan":
        return tangent.grad(simulate, wrt=0, loops="scan")
    if method == "tangent-python":
        return tangent.grad(simulate, wrt=0)
    if method == "jax-grad":
        return jax.grad(simulate)
    if method == "jax-grad-fori":
        return jax.grad(simulate_fori)
    raise ValueError(method)


def measure(method, steps):
    params, state = jnp.array(PARAMS), jnp.array(STATE)
    df = gradient(method)
    start = time.perf_counter()
    compiled = jax.jit(df, static_argnums=2).lower(params, state, steps).compile()
    compile_s = time.perf_counter() - start
    compiled(params, state).block_until_ready()
    times = []
    for _ in range(20):
        start = time.perf_counter()
        g = compiled(params, state).block_until_ready()
        times.append(time.perf_counter() - start)
    times.sort()
    return {
        "compile_s": compile_s,
        "run_s": times[len(times) // 2],
        "grad": [float(v) for v in g],
    }


METHODS = ("jax-grad-fori", "tangent-scan", "jax-grad", "tangent-python")
UNROLLED = ("jax-grad", "tangent-python")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--limit", type=float, default=300.0)
    parser.add_argument(
        "--max-unrolled",
        type=int,
        default=100,
        help="skip the unrolled methods above this many steps (at 1000 steps "
        "jax.jit(jax.grad) needed more than 19 GB of memory)",
    )
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "STEPS"))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]))))
        return
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, PYTHONPATH=os.path.dirname(here))
    print(f"# {jax.devices()[0].device_kind} ({jax.default_backend()}), float64")
    print("| steps | method | compile (s) | run (ms) | max abs diff from the first |")
    print("|---:|---|---:|---:|---:|")
    for steps in args.steps:
        reference = None
        for method in args.methods:
            if method in UNROLLED and steps > args.max_unrolled:
                print(f"| {steps} | {method} | not run (--max-unrolled) | | |")
                continue
            try:
                done = subprocess.run(
                    [sys.executable, __file__, "--one", method, str(steps)],
                    capture_output=True,
                    text=True,
                    timeout=args.limit,
                    env=env,
                )
            except subprocess.TimeoutExpired:
                print(f"| {steps} | {method} | > {args.limit:.0f} (stopped) | | |")
                continue
            if done.returncode != 0:
                why = done.stderr.strip()[-200:] or f"exit status {done.returncode}"
                if done.returncode < 0:
                    why = f"killed by signal {-done.returncode} (out of memory?)"
                print(f"| {steps} | {method} | failed: {why} | | |")
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            if reference is None:
                reference = result["grad"]
            diff = max(abs(a - b) for a, b in zip(result["grad"], reference))
            print(
                f"| {steps} | {method} | {result['compile_s']:.2f} | "
                f"{1e3 * result['run_s']:.3f} | {diff:.1e} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
