"""The PyTorch versions of the workloads in `benchmarks/workloads.py`.

Each function computes the same value as its NumPy twin, with torch
operations on float64 tensors; PyTorch's eager autograd differentiates it.
"""

from __future__ import annotations

import torch


def scalar_loop(x, a, n):
    for _ in range(n):
        x = x * 0.99 + torch.sin(x) * a
    return x


def mlp(W1, b1, W2, b2, W3, b3, x, y):
    h1 = torch.tanh(x @ W1 + b1)
    h2 = torch.tanh(h1 @ W2 + b2)
    out = h2 @ W3 + b3
    return torch.mean((out - y) ** 2)


def rnn(Wx, Wh, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = torch.tanh(xs[t] @ Wx + h @ Wh + b)
    return torch.sum(h * h)


def softmax_xent(logits, labels):
    m = torch.amax(logits, dim=1, keepdim=True)
    z = logits - m
    lse = torch.log(torch.sum(torch.exp(z), dim=1, keepdim=True))
    return -torch.mean(torch.sum(labels * (z - lse), dim=1))


def lotka_volterra(s, theta):
    prey = s[0]
    pred = s[1]
    return torch.stack(
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
    return torch.sum(s * s)


def control_flow(x, w, n):
    i = 0
    while i < n:
        if torch.sum(x) > 0.0:
            x = torch.sin(x) * w - 0.5
        else:
            x = torch.cos(x) * w + 0.5
        i = i + 1
    return torch.sum(x * x)


# workload name -> torch function (mlp_small and mlp_large share one)
FUNCTIONS = {
    "scalar_loop": scalar_loop,
    "mlp_small": mlp,
    "mlp_large": mlp,
    "rnn": rnn,
    "softmax_xent": softmax_xent,
    "ode_rk4": ode_rk4,
    "control_flow": control_flow,
}
