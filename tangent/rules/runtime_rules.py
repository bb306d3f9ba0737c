"""Rules for the runtime helpers that generated code calls.

A generated gradient is itself ordinary Python, so `tangent.grad` can
differentiate it again (`grad(grad(f))`); these rules make the helpers it
calls differentiable. Most helpers are linear in their adjoint argument.
"""

import numpy as np

from tangent import runtime
from tangent.rules.registry import adjoint, d, nondifferentiable
from tangent.runtime import add_at, grad_at, unbroadcast, zero_at

nondifferentiable(runtime.zeros_like)

# ----- Seeds and reductions of broadcast adjoints -----


@adjoint(runtime.scalar_seed)
def scalar_seed(y, value, seed):
    d[seed] = unbroadcast(d[y], seed)


@adjoint(runtime.unbroadcast)
def unbroadcast_(y, g, x):
    d[g] = np.broadcast_to(d[y], np.shape(g))


@adjoint(runtime.add_grad)
def add_grad(y, a, b):
    d[a] = unbroadcast(d[y], a)
    d[b] = unbroadcast(d[y], b)


@adjoint(runtime.copy_value)
def copy_value(y, v):
    d[v] = d[y]


# ----- Indexing of adjoints -----


@adjoint(runtime.add_at)
def add_at_(y, dx, x, index, g):
    d[dx] = d[y]
    d[g] = unbroadcast(grad_at(d[y], index), g)


@adjoint(runtime.grad_at)
def grad_at_(y, dx, index):
    d[dx] = add_at(d[dx], dx, index, d[y])


@adjoint(runtime.zero_at)
def zero_at_(y, dx, index):
    d[dx] = zero_at(d[y], index)
