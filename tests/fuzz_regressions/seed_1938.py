# fuzz seed 1938 (attempt 4), wrt=(1,)
# crash in gradient: TypeError: slice indices must be integers or None or have an __index__ method

import math

import numpy as np


def f(x, w, u):
    v0 = np.arctan(w @ u)
    k0 = 0
    while k0 < 3:
        k0 += 1
        for e0, e1 in zip(w, v0):
            if np.cos(e1) < -0.376:
                return e1**3
        if k0 > 1:
            return np.sin(np.sum(x) if k0 == 1 else (-0.502))
    return np.sum(v0)


WRT = (1,)
ARGS_SOURCE = "(array([ 0.8199068523612325 , -0.1298797226470707 , -0.04189486427591227]), array([[ 0.8439540378646877 , -0.9294389512635033 ,  0.01767183832345864],\n       [ 0.45843310971011886,  1.0443673300919298 , -0.3567323557733467 ]]), array([-0.05781429371870539,  0.5564520727118607 ,  0.6478223096783018 ]),)"
