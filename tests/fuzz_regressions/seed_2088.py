# fuzz seed 2088 (attempt 4), wrt=(2,)
# crash in gradient: ValueError: cannot reshape array of size 1 into shape (3,)

import math

import numpy as np


def h0(p, q):
    return np.mean(q) * p


def f(x, w, u):
    ys0 = []
    for i0 in range(2):
        ys0.append(u * ((i0 + 1) * 0.772))
    v3 = np.stack(ys0)
    if x < 0.783:
        return (
            (x if v3[1][-2] <= 0.256 else x)
            if math.atan(x) > -0.04
            else (x if h0(x, w) >= 0.981 or (x * x) > -0.916 else x)
        )
    return np.sum(v3) + np.sum(w) + np.tanh(x)


WRT = (2,)
ARGS_SOURCE = "(-0.4060570118963317, array([ 1.195839631775472 ,  0.4755376781519469, -0.9403317754486644]), array([-0.14532338072295747,  0.9050665572400585 ,  0.12786538027527716]),)"
