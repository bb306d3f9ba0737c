# fuzz seed 3365 (attempt 0), wrt=(1,)
# crash in gradient: AxisError: axis 1 is out of bounds for array of dimension 1

import math

import numpy as np


def h1(p, q, scale=0.484):
    return (np.mean(p) * p) * q


def f(x, w):
    v1 = np.sum(w, axis=1)
    if np.mean(v1 @ w) > 0.948:
        return np.min(h1(p=x, q=0.428, scale=np.sum(x)))
    return (np.sum(v1) + np.sum(x)) * np.dot(v1, v1)


WRT = (1,)
ARGS_SOURCE = "(array([0.8896315058470743, 0.7956930882752997, 0.4230536086123511]), array([[-1.1832917763108532 , -1.1108484249798531 , -0.5636935480520769 ],\n       [-0.48852853788174555, -0.5962078645384361 , -0.13217615209752442]]),)"
