# fuzz seed 21299 (attempt 0), wrt=(0,)
# mutated arguments: AssertionError: the gradient mutated argument #1: before=array([ 1.17305774, -1.05999054, -0.64461453]), after=array([0., 0., 0.])
# (a restore in place wrote into `w`: the binding of `z0` was not restored first)

import math

import numpy as np


def f(x, w):
    ys0 = []
    for i0 in range(2):
        ys0.append((w * ((i0 + 1) * 0.273)).copy())
    v0 = sum(ys0)
    for i1 in reversed(range(2)):
        z0 = np.zeros(3)
        for i3 in range(3):
            z0[i3] += np.sum(ys0[1])
        x, z0 = z0, w
    return np.sum(v0) - np.mean(x)


WRT = (0,)
ARGS_SOURCE = "(array([-0.6692485830046857 ,  0.10858427729771747, -1.1144870089285126 ]), array([ 1.173057741499487 , -1.0599905444443605, -0.6446145297339082]),)"
