# bug D (crash, UnboundLocalError 'result'): `result` was taken as assigned
# before the loop because an earlier branch assigns it, so the loop saved it
# on the tape where it was never assigned (definite assignment decides now).

import numpy as np


def f(x):
    if x[0] > 10.0:
        return x[1]
    for i in range(2):
        if i > 5:
            return np.sum(x)
    return np.max(x)


WRT = (0,)
ARGS_SOURCE = "(array([0.3, -0.7, 1.1]),)"
