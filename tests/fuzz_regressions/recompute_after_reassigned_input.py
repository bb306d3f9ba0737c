# bug C (wrong gradient): the backward loop recomputed `s = (c * c)[1]` after
# `c` was reassigned outside the loop body; the validity check stopped at the
# statement that read the recomputed value instead of the loop.

import numpy as np


def f(x):
    c = np.array([-0.5, 0.2, 0.8])
    s = (c * c)[1]
    c = x * 2.0
    total = 0.0
    for t in c:
        total = total + x[1] * (t - s)
    return total


WRT = (0,)
ARGS_SOURCE = "(array([0.3, -0.7, 1.1]),)"
