# bug A (crash, IndexError in unbroadcast): on the path that returns early,
# `dw` is still the scalar zero 0.0, which reached unbroadcast(-dw, mean)
# with a (1, 2) operand.

import numpy as np


def f(m):
    w = m - np.mean(m, axis=0, keepdims=True)
    if m[0, 0] > 0.0:
        return m[0, 0]
    return np.sum(w * w)


WRT = (0,)
ARGS_SOURCE = "(array([[0.3, 0.5], [0.2, 0.9]]),)"
