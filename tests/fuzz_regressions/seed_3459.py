# fuzz seed 3459 (attempt 2), wrt=(1,)
# crash in gradient: TypeError: unsupported operand type(s) for *: 'NoneType' and 'NoneType'

import math

import numpy as np


def f(x, w):
    ys0 = []
    for i0 in range(3):
        ys0.append(np.sum(0.435 - w) * ((i0 + 1) * 0.252))
    v1 = ys0[0] * ys0[-1]
    for i1 in range(1, 4):
        return np.arctan(v1 if np.sum(np.array([np.mean(w), x, x])) > -0.173 else x)
    return np.tanh(v1) + np.min(v2) + np.sum(w**2)


WRT = (1,)
ARGS_SOURCE = "(0.20652293264877497, array([ 0.47873421843886876, -1.1554509858833177 ,  0.7702377944647947 ]),)"
