# bug B (wrong gradient): `z[0] *= x` reads the view `z[0]`, then writes
# through it; the backward sweep read the view after the write, because the
# in-place restore of `z` counted as dead (nothing read `z` itself).

import numpy as np


def f(x):
    z = np.ones((2, 3))
    z[0] *= x
    return np.sum(z * z)


WRT = (0,)
ARGS_SOURCE = "(array([0.3, -0.7, 1.1]),)"
