# fuzz seed 2136 (attempt 0), wrt=(0,)
# wrong gradient: AssertionError: gradient of f w.r.t. 'x' (#0): argument is an array of shape (2, 3), but the gradient is a float: 0.0

import math

import numpy as np


def f(x, w, u):
    for e0, e1 in zip(u, u):
        w, x = x, w
    return np.sum(x)


WRT = (0,)
ARGS_SOURCE = "(array([[-0.923975861084223  , -0.7602972328302411 ,  0.37151768556169107],\n       [-0.36263878967486074, -1.141882780579995  ,  0.7731664825356361 ]]), array([[-0.9294582762931791 , -0.5809280475283306 , -0.1889754525482501 ],\n       [ 0.07517441152181803, -1.0968965089697982 , -0.6188666255142753 ]]), array([0.31847400620597277, 0.05304312684714918, 0.0939375087208032 ]),)"
