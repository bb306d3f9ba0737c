# fuzz seed 10385 (attempt 2), wrt=(0,)
# wrong gradient: AssertionError: gradient of f w.r.t. 'x' (#0) differs from numerical in 1 of 3 entries (max abs error 1.420e-01, rtol=1e-05, atol=1e-06)

import math

import numpy as np


def f(x):
    v2 = np.array([-0.562, 0.22, 0.857])
    v3 = (v2 * v2)[-2]
    v2 = np.where(x < 0.348, x, v2) * np.where(
        v2 > -0.263, np.array([v3, v3, v3]), 0.517
    )
    v4 = sum([x[1] * (t0 - v3) for t0 in v2])
    return np.sin(v3) + v4 + np.mean(x)


WRT = (0,)
ARGS_SOURCE = (
    "(array([ 0.3307838344474989, -0.6792694279250361,  0.2573837983127374]),)"
)
