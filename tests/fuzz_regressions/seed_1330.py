# fuzz seed 1330 (attempt 0), wrt=(0,)
# wrong gradient: AssertionError: gradient of f w.r.t. 'x' (#0): argument is an array of shape (2, 3), but the gradient is a float: 0.0

import math

import numpy as np


def f(x, w):
    v1 = x
    if np.sin(np.sum(v1**2)) >= -0.695:
        return -0.164
    return np.mean(v1)


WRT = (0,)
ARGS_SOURCE = "(array([[-0.05844725618829183, -0.668937955220062  , -0.6595735194954179 ],\n       [-0.834357563029287  , -0.8440702671387799 ,  1.1932234580810281 ]]), array([[ 0.2808320535776929 ,  1.184708528332518  , -0.3996736702987872 ],\n       [ 0.21713274660239268,  0.4919184399558383 ,  0.28876716697392535]]),)"
