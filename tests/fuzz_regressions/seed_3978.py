# fuzz seed 3978 (attempt 0), wrt=(0,)
# wrong gradient: AssertionError: gradient of f w.r.t. 'x' (#0) differs from numerical in 6 of 6 entries (max abs error 1.804e+00, rtol=1e-05, atol=1e-06)

import math

import numpy as np


def h1(p, q, scale=1.138):
    return scale


def f(x):
    ys0 = []
    ys0.append(-(x[0] - x[-1]))
    v2 = ys0[0] * ys0[-1]
    v3 = np.mean(v2)
    x = (v2 * v2) * (x - v3)
    v4 = np.array([h1(v2, x) for t0 in v2])
    v5 = x[:, 1]
    return np.sum(v4) - np.mean(v5)


WRT = (0,)
ARGS_SOURCE = "(array([[ 0.44922852898940047, -0.14825933468612784, -0.9417226710059576 ],\n       [-0.6939031404217191 ,  1.07205012695905   , -0.597274273312646  ]]),)"
