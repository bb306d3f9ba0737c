"""Representative functions whose generated gradients are checked in as golden files.

Each entry of GOLDEN is (name, function, wrt). The expected source lives in
tests/golden/<name>.py; review a diff there like a code change.
"""

import math

import numpy as np

SCALE = 0.5


def scalar_loop(x, a):
    for i in range(1000):
        x = x * 0.99 + np.sin(x) * a
    return x


def while_branch(w, x):
    n = 0
    while n < 100:
        if np.sum(w * x) > 0:
            x = np.tanh(x - w)
        else:
            x = np.sin(x + w) * 1.5
        n = n + 1
    return np.sum(x * x)


def mlp_broadcast(W, b, X):
    h = np.tanh(X @ W + b)
    return np.mean(h**2)


def straight_line(x, y):
    z = x * y + np.exp(x)
    return z / y


def if_else(x):
    if x > 0:
        y = x * x
    else:
        y = -x
    return y * 3.0


def for_over_rows(X, w):
    total = 0.0
    for row in X:
        total = total + np.dot(row, w)
    return total


def enumerate_zip(xs, ys):
    acc = 0.0
    for i, (a, b) in enumerate(zip(xs, ys)):
        acc = acc + (i + 1.0) * a * b
    return acc


def break_early(x):
    y = x
    for i in range(10):
        y = y * 1.5
        if y > 4.0:
            break
    return y


def continue_negative(x):
    total = 0.0
    for v in x:
        if v < 0:
            continue
        total = total + np.sqrt(v)
    return total


def return_in_loop(x):
    for i in range(20):
        x = np.cos(x)
        if x > 0.7:
            return x * 2.0
    return x


def list_append_stack(x):
    rows = []
    for i in range(3):
        rows.append(x * (i + 1.0))
    return np.sum(np.stack(rows) ** 2)


def tuple_swap(a, b):
    for i in range(3):
        a, b = b, a + b
    return a * b


def helper(u, v):
    return u * np.sin(v)


def calls_helper(x, y):
    return helper(x, y) + helper(y, x)


def recursive(x, n):
    if n == 0:
        return x
    return recursive(np.sin(x), n - 1)


def math_module(x):
    return math.exp(x) * math.log(x + 2.0) + SCALE * x


def index_write(x):
    out = np.zeros(3)
    for i in range(3):
        out[i] = x[i] ** 2
    return np.sum(out * x)


def slicing(x):
    return np.sum(x[1:] * x[:-1]) + x[0]


def reductions_axis(X):
    m = X.max(axis=1, keepdims=True)
    return np.sum(np.log(np.sum(np.exp(X - m), axis=1)))


def comprehension(x):
    squares = [x[i] ** 2 for i in range(3)]
    return sum(squares)


def softmax_xent(logits, labels):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(labels * log_probs, axis=1))


GOLDEN = [
    ("scalar_loop", scalar_loop, (0, 1)),
    ("while_branch", while_branch, (0, 1)),
    ("mlp_broadcast", mlp_broadcast, (0, 1)),
    ("straight_line", straight_line, (0, 1)),
    ("if_else", if_else, (0,)),
    ("for_over_rows", for_over_rows, (0, 1)),
    ("enumerate_zip", enumerate_zip, (0, 1)),
    ("break_early", break_early, (0,)),
    ("continue_negative", continue_negative, (0,)),
    ("return_in_loop", return_in_loop, (0,)),
    ("list_append_stack", list_append_stack, (0,)),
    ("tuple_swap", tuple_swap, (0, 1)),
    ("calls_helper", calls_helper, (0, 1)),
    ("recursive", recursive, (0,)),
    ("math_module", math_module, (0,)),
    ("index_write", index_write, (0,)),
    ("slicing", slicing, (0,)),
    ("reductions_axis", reductions_axis, (0,)),
    ("comprehension", comprehension, (0,)),
    ("softmax_xent", softmax_xent, (0,)),
]
