# bug D, loop form (crash): `y` is read from the second iteration on and
# assigned later in the body; the first iteration saved it unbound.

import numpy as np


def f(x):
    for i in range(3):
        if i > 0:
            z = y * x
        y = x * float(i)
    return np.sum(z * y)


WRT = (0,)
ARGS_SOURCE = "(array([0.3, -0.7, 1.1]),)"
