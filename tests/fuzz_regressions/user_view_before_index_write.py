# bug B, written by the user (wrong gradient): `row` is a view of `m`; the
# backward sweep read it after `m[0]` was overwritten through it.

import numpy as np


def f(x):
    m = np.ones((2, 3))
    row = m[0]
    m[0] = row * x
    return np.sum(m * m)


WRT = (0,)
ARGS_SOURCE = "(array([0.3, -0.7, 1.1]),)"
