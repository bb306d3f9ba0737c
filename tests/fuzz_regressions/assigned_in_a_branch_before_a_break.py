# fuzz seeds 40183, 40246, 40379 (crash: None reached a rule, or a pop from
# an empty tape): a value assigned in a branch of a loop body and then read
# by that branch's adjoint was saved as a placeholder None at a `break`,
# because it is not assigned on every path before the break.

import numpy as np


def f(x, u):
    v = x
    total = 0.0
    for i in range(3):
        if u > 0.0:
            s = np.sum(x * x)
            v = v * np.arctan(s)
        total = total + np.sum(v)
        if i == 1:
            break
    return total


WRT = (0, 1)
ARGS_SOURCE = "(array([0.3, -0.7, 1.1]), 0.4)"
