# fuzz seed 2390 (attempt 0), wrt=(0,)
# wrong gradient: AssertionError: gradient of f w.r.t. 'x' (#0): argument is an array of shape (3,), but the gradient is a float: 0.0

import math

import numpy as np


def f(x, w):
    v0 = x
    if (w - w) < 0.422 or math.sqrt((w * w) + 1.0) >= 0.499:
        return w
    return np.mean(v1) + np.sum(v2) + np.sum(v0)


WRT = (0,)
ARGS_SOURCE = "(array([-0.20304730548640493, -1.1306592964275863 , -0.23063281870305752]), -0.08584386666801169,)"
