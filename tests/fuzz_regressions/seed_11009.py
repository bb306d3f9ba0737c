# fuzz seed 11009 (attempt 3), wrt=(0,)
# crash in gradient: UnboundLocalError: cannot access local variable 'result' where it is not associated with a value

import math

import numpy as np


def f(x):
    v0 = x[0]
    if math.tanh(0.881) < 0.35:
        return (v0 @ v0) ** 3
    for e1 in x:
        return np.sum(e1 * np.sum(v0))
    return np.min(v0)


WRT = (0,)
ARGS_SOURCE = "(array([[-0.6781081417657361 ,  0.10929682102290483,  0.1266058681989246 ],\n       [ 0.9650022292566727 , -0.47684372433816746,  1.1206045833803884 ]]),)"
