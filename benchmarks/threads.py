"""Pin the numerical libraries to a number of threads, before they are imported.

The benchmark machine's cores are shared with other work; several libraries
each starting one thread per core (OpenBLAS for NumPy, Eigen for XLA, OpenMP
for PyTorch) then compete for them and their spinning threads make the timings
erratic. By default every library gets one thread, so that all
implementations are measured alike; `--threads N` changes it.
"""

from __future__ import annotations

import os
import sys

VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def requested(argv):
    """The value of `--threads` in `argv` (1 when absent, 0 for the libraries' default)."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if arg.startswith("--threads="):
            return int(arg.split("=", 1)[1])
    return 1


def pin(n):
    """Set the thread variables for `n` threads (0: leave the defaults).

    Returns a description for the report; the setting only takes effect if
    NumPy, JAX and PyTorch have not been imported yet in this process (child
    processes inherit the variables).
    """
    if n <= 0:
        return "threads: the libraries' defaults"
    loaded = [m for m in ("numpy", "jax", "torch") if m in sys.modules]
    for var in VARIABLES:
        os.environ[var] = str(n)
    if n == 1 and XLA_ONE_THREAD not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (
            os.environ.get("XLA_FLAGS", "") + " " + XLA_ONE_THREAD
        ).strip()
    if loaded:
        return f"threads: {n} requested, but {', '.join(loaded)} already loaded"
    return f"threads: {n} per library (OpenBLAS, XLA, PyTorch)"
