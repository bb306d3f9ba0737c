# fuzz seed 40098 (wrong gradient): the adjoint flowing into `math.log(x)`
# from an array expression has the array's shape; its reduction to the number
# was deferred to `x` and then lost, because math.log's rule branches on its
# `base` and the deferral looked only at unbranched statements.

import math

import numpy as np


def f(x, w):
    v = w * 2.0 - math.log(1.0 + x * x)
    return np.mean(v) + np.sum(w * math.exp(x))


WRT = (0, 1)
ARGS_SOURCE = "(0.7, array([[0.3, -1.2, 0.5], [1.1, 0.2, -0.4]]))"
