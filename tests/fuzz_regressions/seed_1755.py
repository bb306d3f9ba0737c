# fuzz seed 1755 (attempt 2), wrt=(0,)
# wrong gradient: AssertionError: gradient of f w.r.t. 'x' (#0) differs from numerical in 1 of 3 entries (max abs error 1.629e+00, rtol=1e-05, atol=1e-06)

import math

import numpy as np


def f(x):
    k0 = 0
    while k0 < 3:
        v0 = (-x) * np.log(1.0 + (x * x))
        if k0 == 1:
            return (
                np.min(v0)
                if ((k0 + 1) * 0.125) >= 0.134 or math.atan((k0 + 1) * 0.396) <= -0.572
                else np.dot(v0, v0)
            )
        k0 += 1
    return np.sum(v1) + np.sum(x)


WRT = (0,)
ARGS_SOURCE = (
    "(array([ 0.9682226986784859,  0.6044973569607308, -1.1490746545612331]),)"
)
