"""The seven benchmark workloads: a plain NumPy function and its hand-written gradient.

Each workload is written once, the way a user writes it, with `np` as its
only library. The other implementations reuse that same source: autograd and
JAX run it with `np` bound to `autograd.numpy` or `jax.numpy` (see
`rebind`), tangent and the published tangent-ad read it. Only PyTorch has
versions of its own (`benchmarks/torch_workloads.py`).

This module imports nothing but NumPy and the standard library, so that the
tangent-ad runner can load it in a virtual environment of its own.

A workload's gradient is a tuple with one array (or float) per index of its
`wrt`, in that order, and the hand-written gradient returns exactly that.
"""

from __future__ import annotations

import types

import numpy as np

# ----- scalar_loop: a long chain of scalar operations ---------------------


def scalar_loop(x, a, n):
    for _ in range(n):
        x = x * 0.99 + np.sin(x) * a
    return x


def scalar_loop_grad(x, a, n):
    xs = []
    for _ in range(n):
        xs.append(x)
        x = x * 0.99 + np.sin(x) * a
    dx = 1.0
    da = 0.0
    for i in reversed(range(n)):
        x = xs[i]
        da = da + dx * np.sin(x)
        dx = dx * (0.99 + a * np.cos(x))
    return dx, da


def scalar_loop_args(size, rng):
    return (0.3 + 0.1 * rng.random(), 0.7 + 0.1 * rng.random(), size["steps"])


# ----- mlp: a 3-layer tanh MLP with a squared loss ------------------------


def mlp(W1, b1, W2, b2, W3, b3, x, y):
    h1 = np.tanh(x @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    out = h2 @ W3 + b3
    return np.mean((out - y) ** 2)


def mlp_grad(W1, b1, W2, b2, W3, b3, x, y):
    h1 = np.tanh(x @ W1 + b1)
    h2 = np.tanh(h1 @ W2 + b2)
    out = h2 @ W3 + b3
    dout = (2.0 / out.size) * (out - y)
    dW3 = h2.T @ dout
    db3 = dout.sum(axis=0)
    dz2 = (dout @ W3.T) * (1.0 - h2 * h2)
    dW2 = h1.T @ dz2
    db2 = dz2.sum(axis=0)
    dz1 = (dz2 @ W2.T) * (1.0 - h1 * h1)
    dW1 = x.T @ dz1
    db1 = dz1.sum(axis=0)
    return dW1, db1, dW2, db2, dW3, db3


def mlp_args(size, rng):
    batch, width = size["batch"], size["width"]
    scale = 1.0 / np.sqrt(width)
    args = []
    for _ in range(3):
        args.append(rng.standard_normal((width, width)) * scale)
        args.append(rng.standard_normal(width) * 0.1)
    args.append(rng.standard_normal((batch, width)))
    args.append(rng.standard_normal((batch, width)))
    return tuple(args)


# ----- rnn: a vanilla tanh RNN ---------------------------------------------


def rnn(Wx, Wh, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h * h)


def rnn_grad(Wx, Wh, b, xs, h0):
    hs = [h0]
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        hs.append(h)
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros_like(b)
    dh = 2.0 * h
    for t in reversed(range(xs.shape[0])):
        h = hs[t + 1]
        dz = dh * (1.0 - h * h)
        dWx += xs[t].T @ dz
        dWh += hs[t].T @ dz
        db += dz.sum(axis=0)
        dh = dz @ Wh.T
    return dWx, dWh, db


def rnn_args(size, rng):
    steps, batch, hidden, inputs = (
        size["steps"],
        size["batch"],
        size["hidden"],
        size["inputs"],
    )
    Wx = rng.standard_normal((inputs, hidden)) / np.sqrt(inputs)
    Wh = rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)
    b = rng.standard_normal(hidden) * 0.1
    xs = rng.standard_normal((steps, batch, inputs))
    h0 = np.zeros((batch, hidden))
    return Wx, Wh, b, xs, h0


# ----- softmax_xent: softmax cross-entropy with the max trick ---------------


def softmax_xent(logits, labels):
    m = np.max(logits, axis=1, keepdims=True)
    z = logits - m
    lse = np.log(np.sum(np.exp(z), axis=1, keepdims=True))
    return -np.mean(np.sum(labels * (z - lse), axis=1))


def softmax_xent_grad(logits, labels):
    m = np.max(logits, axis=1, keepdims=True)
    e = np.exp(logits - m)
    p = e / np.sum(e, axis=1, keepdims=True)
    n = logits.shape[0]
    return ((p * np.sum(labels, axis=1, keepdims=True) - labels) / n,)


def softmax_xent_args(size, rng):
    rows, classes = size["rows"], size["classes"]
    logits = rng.standard_normal((rows, classes)) * 3.0
    labels = np.zeros((rows, classes))
    labels[np.arange(rows), rng.integers(0, classes, rows)] = 1.0
    return logits, labels


# ----- ode_rk4: RK4 integration of Lotka-Volterra ---------------------------


def lotka_volterra(s, theta):
    prey = s[0]
    pred = s[1]
    return np.array(
        [
            theta[0] * prey - theta[1] * prey * pred,
            theta[3] * prey * pred - theta[2] * pred,
        ]
    )


def ode_rk4(theta, s0, dt, n):
    s = s0
    for _ in range(n):
        k1 = lotka_volterra(s, theta)
        k2 = lotka_volterra(s + 0.5 * dt * k1, theta)
        k3 = lotka_volterra(s + 0.5 * dt * k2, theta)
        k4 = lotka_volterra(s + dt * k3, theta)
        s = s + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return np.sum(s * s)


def _lotka_volterra_vjp(s, theta, u):
    """(ds, dtheta): the cotangent `u` of lotka_volterra(s, theta) pulled back."""
    prey, pred = s[0], s[1]
    ds = np.array(
        [
            u[0] * (theta[0] - theta[1] * pred) + u[1] * theta[3] * pred,
            u[1] * (theta[3] * prey - theta[2]) - u[0] * theta[1] * prey,
        ]
    )
    dtheta = np.array(
        [u[0] * prey, -u[0] * prey * pred, -u[1] * pred, u[1] * prey * pred]
    )
    return ds, dtheta


def ode_rk4_grad(theta, s0, dt, n):
    states = []
    s = s0
    for _ in range(n):
        states.append(s)
        k1 = lotka_volterra(s, theta)
        k2 = lotka_volterra(s + 0.5 * dt * k1, theta)
        k3 = lotka_volterra(s + 0.5 * dt * k2, theta)
        k4 = lotka_volterra(s + dt * k3, theta)
        s = s + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    ds = 2.0 * s
    dtheta = np.zeros_like(theta)
    for i in reversed(range(n)):
        s = states[i]
        k1 = lotka_volterra(s, theta)
        s2 = s + 0.5 * dt * k1
        k2 = lotka_volterra(s2, theta)
        s3 = s + 0.5 * dt * k2
        k3 = lotka_volterra(s3, theta)
        s4 = s + dt * k3
        dk = dt / 6.0 * ds
        g4, t4 = _lotka_volterra_vjp(s4, theta, dk)
        g3, t3 = _lotka_volterra_vjp(s3, theta, 2.0 * dk + dt * g4)
        g2, t2 = _lotka_volterra_vjp(s2, theta, 2.0 * dk + 0.5 * dt * g3)
        g1, t1 = _lotka_volterra_vjp(s, theta, dk + 0.5 * dt * g2)
        ds = ds + g1 + g2 + g3 + g4
        dtheta += t1 + t2 + t3 + t4
    return (dtheta,)


def ode_rk4_args(size, rng):
    theta = np.array([1.5, 1.0, 3.0, 1.0]) * (1.0 + 0.05 * rng.standard_normal(4))
    s0 = np.array([10.0, 5.0])
    return theta, s0, 0.01, size["steps"]


# ----- control_flow: a while loop with a data-dependent branch ----------------


def control_flow(x, w, n):
    i = 0
    while i < n:
        if np.sum(x) > 0.0:
            x = np.sin(x) * w - 0.5
        else:
            x = np.cos(x) * w + 0.5
        i = i + 1
    return np.sum(x * x)


def control_flow_grad(x, w, n):
    xs = []
    taken = []
    i = 0
    while i < n:
        xs.append(x)
        positive = np.sum(x) > 0.0
        taken.append(positive)
        if positive:
            x = np.sin(x) * w - 0.5
        else:
            x = np.cos(x) * w + 0.5
        i = i + 1
    dx = 2.0 * x
    dw = np.zeros_like(w)
    for i in reversed(range(n)):
        x = xs[i]
        if taken[i]:
            dw += dx * np.sin(x)
            dx = dx * w * np.cos(x)
        else:
            dw += dx * np.cos(x)
            dx = -dx * w * np.sin(x)
    return dx, dw


def control_flow_args(size, rng):
    n = size["length"]
    return rng.standard_normal(n), rng.uniform(-0.9, 0.9, n), size["steps"]


# ----- the table of workloads -----------------------------------------------

# sizes: "full" is the benchmark, "quick" keeps --quick under a minute, "tiny"
# is for the smoke test
WORKLOADS = {
    "scalar_loop": dict(
        f=scalar_loop,
        grad=scalar_loop_grad,
        args=scalar_loop_args,
        wrt=(0, 1),
        static=(2,),
        sizes=dict(full={"steps": 1000}, quick={"steps": 100}, tiny={"steps": 20}),
        describe="{steps} steps, Python floats",
    ),
    "mlp_small": dict(
        f=mlp,
        grad=mlp_grad,
        args=mlp_args,
        wrt=(0, 1, 2, 3, 4, 5),
        static=(),
        sizes=dict(
            full={"batch": 16, "width": 32},
            quick={"batch": 16, "width": 32},
            tiny={"batch": 4, "width": 5},
        ),
        describe="batch {batch}, width {width}",
    ),
    "mlp_large": dict(
        f=mlp,
        grad=mlp_grad,
        args=mlp_args,
        wrt=(0, 1, 2, 3, 4, 5),
        static=(),
        sizes=dict(
            full={"batch": 256, "width": 1024},
            quick={"batch": 64, "width": 256},
            tiny={"batch": 6, "width": 7},
        ),
        describe="batch {batch}, width {width}",
    ),
    "rnn": dict(
        f=rnn,
        grad=rnn_grad,
        args=rnn_args,
        wrt=(0, 1, 2),
        static=(),
        sizes=dict(
            full={"steps": 50, "batch": 8, "hidden": 64, "inputs": 32},
            quick={"steps": 10, "batch": 8, "hidden": 64, "inputs": 32},
            tiny={"steps": 5, "batch": 3, "hidden": 4, "inputs": 3},
        ),
        describe="{steps} steps, hidden {hidden}, batch {batch}, input {inputs}",
    ),
    "softmax_xent": dict(
        f=softmax_xent,
        grad=softmax_xent_grad,
        args=softmax_xent_args,
        wrt=(0,),
        static=(),
        sizes=dict(
            full={"rows": 512, "classes": 1000},
            quick={"rows": 128, "classes": 1000},
            tiny={"rows": 4, "classes": 6},
        ),
        describe="{rows}x{classes} logits",
    ),
    "ode_rk4": dict(
        f=ode_rk4,
        grad=ode_rk4_grad,
        args=ode_rk4_args,
        wrt=(0,),
        static=(3,),
        sizes=dict(full={"steps": 500}, quick={"steps": 5}, tiny={"steps": 4}),
        describe="{steps} RK4 steps, Lotka-Volterra",
    ),
    "control_flow": dict(
        f=control_flow,
        grad=control_flow_grad,
        args=control_flow_args,
        wrt=(0, 1),
        static=(2,),
        sizes=dict(
            full={"steps": 100, "length": 100},
            quick={"steps": 20, "length": 100},
            tiny={"steps": 8, "length": 5},
        ),
        describe="{steps} while steps, vectors of {length}",
    ),
}

SEED = 20240607


def make_args(name, size="full"):
    """The arguments of workload `name` at `size` (deterministic)."""
    spec = WORKLOADS[name]
    rng = np.random.default_rng([SEED, list(WORKLOADS).index(name)])
    return spec["args"](spec["sizes"][size], rng)


def describe(name, size="full"):
    spec = WORKLOADS[name]
    return spec["describe"].format(**spec["sizes"][size])


def hand_grad(name, args):
    """The hand-written gradient of workload `name`, as a tuple in `wrt` order."""
    return tuple(WORKLOADS[name]["grad"](*args))


def compare_grads(got, ref, rtol=1e-6):
    """None when `got` equals the hand-written `ref` (allclose), else what differs.

    Each gradient must have its argument's shape and agree elementwise within
    `rtol`, with an absolute floor scaled by the largest entry of the reference
    (entries that cancel to nearly zero differ by rounding only).
    """
    if len(got) != len(ref):
        return f"{len(got)} gradients, expected {len(ref)}"
    for i, (g, r) in enumerate(zip(got, ref)):
        g, r = np.asarray(g), np.asarray(r)
        if g.shape != r.shape:
            return f"gradient {i}: shape {g.shape}, expected {r.shape}"
        scale = float(np.max(np.abs(r))) if r.size else 0.0
        if not np.all(np.isfinite(g)):
            return f"gradient {i}: not finite"
        if not np.allclose(g, r, rtol=rtol, atol=rtol * 1e-3 * scale):
            err = float(np.max(np.abs(g - r)))
            return f"gradient {i}: max abs error {err:.3g} (largest entry {scale:.3g})"
    return None


def directional_check(name, args, grads, h=1e-6):
    """Relative error of the gradient against a central finite difference.

    The function is differentiated along one random direction of all the
    `wrt` arguments at once: (f(a + h v) - f(a - h v)) / 2h against the sum
    of <gradient, v>.
    """
    spec = WORKLOADS[name]
    rng = np.random.default_rng(SEED)
    directions = [rng.standard_normal(np.shape(args[i])) for i in spec["wrt"]]

    def at(t):
        moved = list(args)
        for i, v in zip(spec["wrt"], directions):
            moved[i] = args[i] + t * v
        return float(spec["f"](*moved))

    fd = (at(h) - at(-h)) / (2 * h)
    exact = float(sum(np.sum(g * v) for g, v in zip(grads, directions)))
    return abs(fd - exact) / max(abs(exact), 1e-12)


def rebind(module_np, functions=None):
    """Copies of this module's functions whose `np` is `module_np` (autograd, JAX).

    The copies share one namespace, so a workload's call to a helper
    (`ode_rk4` calling `lotka_volterra`) reaches the rebound helper.
    """
    namespace = dict(globals())
    namespace["np"] = module_np
    for name, value in list(namespace.items()):
        if isinstance(value, types.FunctionType) and value.__module__ == __name__:
            copy = types.FunctionType(
                value.__code__, namespace, name, value.__defaults__, value.__closure__
            )
            copy.__qualname__ = value.__qualname__
            copy.__module__ = value.__module__
            namespace[name] = copy
    if functions is None:
        return namespace
    return {name: namespace[name] for name in functions}
