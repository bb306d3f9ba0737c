# fuzz seed 1915 (attempt 0), wrt=(2,)
# wrong gradient: AssertionError: gradient of f w.r.t. 'u' (#2): argument is an array of shape (3,), but the gradient is a float: 0.0

import math

import numpy as np


def f(x, w, u):
    v3 = u
    if np.sum(x) >= -0.065:
        return np.sum(np.array([-0.217, 0.072, -0.953]))
    return (np.sum(v3) + np.min(z0)) * -0.197


WRT = (2,)
ARGS_SOURCE = "(array([ 0.6916518975272046,  0.280231350125032 , -0.7778588750092397]), array([-0.8523468835487729,  0.2768147447785221, -0.9222275345401931]), array([-0.283939103455236  ,  0.8104977728482152 , -0.14184712450841963]),)"
