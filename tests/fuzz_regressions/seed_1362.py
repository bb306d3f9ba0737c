# fuzz seed 1362 (attempt 1), wrt=(0,)
# crash in gradient: ValueError: cannot reshape array of size 1 into shape (3,)

import math

import numpy as np


def f(x):
    v0 = np.stack([x[-1] for t0 in x])
    if np.mean(x) >= -0.224:
        return 0.251
    return np.sum(v0) + np.mean(x)


WRT = (0,)
ARGS_SOURCE = "(array([[ 0.3126769543161143 ,  0.8055686891657199 , -0.8521669517934611 ],\n       [ 0.15409973662926912,  0.9661900420485037 ,  0.10077141427279157]]),)"
