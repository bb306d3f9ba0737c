# fuzz seed 1240 (attempt 2), wrt=(0,)
# crash in gradient: TypeError: unsupported operand type(s) for *: 'float' and 'NoneType'

import math

import numpy as np


def f(x, w):
    k0 = 0
    while k0 < 3:
        v0 = (
            np.sum(w)
            if ((-0.015) if k0 < 2 else ((k0 + 1) * 0.268)) < 0.257
            else np.sum(x)
        ) * np.sum(x)
        return v0
        k0 += 1
    return np.mean(v3) + v4 + np.sum(x)


WRT = (0,)
ARGS_SOURCE = "(array([-0.4139334340925279, -1.0565703010825713,  0.5395536106473215]), array([0.5541173975877818, 0.754250664663078 , 0.9078735561938391]),)"
