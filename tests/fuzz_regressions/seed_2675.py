# fuzz seed 2675 (attempt 1), wrt=(0,)
# crash in gradient: AxisError: axis 1 is out of bounds for array of dimension 1

import math

import numpy as np


def f(x):
    ys0 = []
    for i0 in range(3):
        ys0.append(np.array([x, x]) * ((i0 + 1) * 0.664))
    v0 = np.stack(ys0, axis=1)
    k0 = 0
    k0 += 1
    if v0[0, 0] <= -0.333 or (x**3) >= -0.65:
        return np.arctan(-x)
    return np.sum(v0)


WRT = (0,)
ARGS_SOURCE = "(0.33175324819495366,)"
