# bug D, straight-line form (crash): `y` is assigned in one branch only, then
# reassigned; its old value went on the tape where it may be unbound.

import numpy as np


def f(x):
    if x[0] > 0.0:
        y = x * 3.0
        z = y * x
    else:
        z = x
    y = x * 2.0
    return np.sum(y * z)


WRT = (0,)
ARGS_SOURCE = "(array([-0.3, 0.7, 1.1]),)"
