# fuzz seed 20188, reduced (refused by mistake): `v = z[0]` of a vector is a
# number, a copy, so `z /= ...` in place changes nothing `v` holds; the check
# before the in-place update refuses only when a sharing value is no number.

import numpy as np


def f(x):
    z = np.zeros(2)
    z[0] = abs(x[1, 2])
    v = z[0]
    z /= 1.0 + z * z
    return (v + z[1]) * np.mean(x)


WRT = (0,)
ARGS_SOURCE = "(array([[-0.34, 0.39, -0.46], [0.43, -0.05, 1.13]]),)"
