"""Writes into arrays: index assignment, np.add.at (GNN message passing), refusals."""

import numpy as np
import pytest
import scipy.sparse as sp
from oracle import check_grads

import tangent


def gnn_layer(x, W, src, dst):
    msgs = x[src] @ W
    out = np.zeros((4, 2))
    np.add.at(out, dst, msgs)
    return np.sum(np.tanh(out) ** 2)


def gnn_two_layers(x, W, src, dst):
    h = x
    for layer in range(2):  # noqa: B007
        msgs = h[src] @ W
        agg = np.zeros_like(h)
        np.add.at(agg, dst, msgs)
        h = np.tanh(agg + h)
    return np.sum(h**2)


def write_rows_in_loop(x):
    out = np.zeros((3, 2))
    for i in range(3):
        out[i] = x * (i + 1.0)
        out[i, 0] = out[i, 0] ** 2
    return np.sum(out * out)


def copies_in_place(x):
    y = np.zeros(3)
    np.copyto(y, x)
    return np.sum(y)


@pytest.mark.parametrize("f", [gnn_layer, gnn_two_layers])
def test_scatter_add_with_repeated_indices(f):
    r = np.random.default_rng(0)
    src = np.array([0, 1, 2, 3, 0, 2])
    dst = np.array([1, 2, 3, 0, 1, 1])  # node 1 receives three messages
    args = (r.normal(size=(4, 2)), r.normal(size=(2, 2)), src, dst)
    check_grads(f, args, (0, 1), tangent.grad(f, wrt=(0, 1))(*args))


def test_index_writes_inside_a_loop():
    x = np.array([0.5, -1.5])
    check_grads(write_rows_in_loop, (x,), (0,), tangent.grad(write_rows_in_loop)(x))


def test_unknown_in_place_call_is_refused_not_ignored():
    with pytest.raises(tangent.TangentError) as info:
        tangent.grad(copies_in_place)
    assert "np.copyto" in str(info.value)
    assert "test_inplace.py:" in str(info.value)


# ----- constant scipy.sparse matrices (the adjacency of a graph network) -----

ADJACENCY = sp.csr_matrix(np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 2.0], [0.0, 3.0, 0.0]]))


def sparse_matmul(x):
    return np.sum(np.tanh(ADJACENCY @ x) ** 2)


def sparse_dot_method(x):
    return np.sum(ADJACENCY.dot(x) * x)


def gcn_layer(X, W):
    H = np.tanh(ADJACENCY @ X @ W)
    return np.sum(H**2)


@pytest.mark.parametrize(
    "f, args, wrt",
    [
        (sparse_matmul, (np.array([0.3, -0.5, 0.8]),), (0,)),
        (sparse_dot_method, (np.array([0.3, -0.5, 0.8]),), (0,)),
        (
            gcn_layer,
            (np.full((3, 2), 0.3), np.array([[0.5, -0.2], [0.1, 0.4]])),
            (0, 1),
        ),
    ],
)
def test_products_with_a_constant_sparse_matrix(f, args, wrt):
    check_grads(f, args, wrt, tangent.grad(f, wrt=wrt)(*args))
