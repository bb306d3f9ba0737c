"""Small functions to differentiate with tangent.

Try it from the repository root:

    python -m tangent examples/quickstart.py:loss
    python -m tangent examples/quickstart.py:loss --wrt w,b
    python -m tangent examples/quickstart.py:f --wrt x,a
    python -m tangent examples/quickstart.py:f_numbers --wrt x,a
    python -m tangent examples/quickstart.py:f --mode forward
    python -m tangent examples/quickstart.py:loss --graph dloss.svg --export dloss.py

Nothing runs at import time.
"""

import numpy as np


def loss(w, b, x, y):
    """Mean squared error of a one-layer tanh model; returns a scalar."""
    pred = np.tanh(x @ w + b)
    return np.mean((pred - y) ** 2)


def f(x, a):
    """A scalar recurrence: a loop that the gradient keeps as a loop."""
    for i in range(1000):  # noqa: B007
        x = x * 0.99 + np.sin(x) * a
    return x


def f_numbers(x: float, a: float):
    """`f` with its parameters annotated as numbers: plain arithmetic in the gradient."""
    for i in range(1000):  # noqa: B007
        x = x * 0.99 + np.sin(x) * a
    return x
