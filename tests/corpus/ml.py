"""Small realistic kernels: layers, losses, normalization, ODE steps, RNNs."""

import math

import numpy as np

from .case import case, normal, uniform

# ----- Helpers -----


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softplus(z):
    return np.log(1.0 + np.exp(z))


def logsumexp(z):
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


def softmax_rows(Z):
    Z = Z - np.max(Z, axis=1, keepdims=True)
    E = np.exp(Z)
    return E / np.sum(E, axis=1, keepdims=True)


def decay_rhs(t, y):
    return -0.5 * y + np.sin(t) * np.cos(y)


def pendulum_rhs(theta, omega, g=9.81, length=1.0):
    return omega, -g / length * np.sin(theta)


def rk4_step(y, t, h):
    k1 = decay_rhs(t, y)
    k2 = decay_rhs(t + h / 2, y + h / 2 * k1)
    k3 = decay_rhs(t + h / 2, y + h / 2 * k2)
    k4 = decay_rhs(t + h, y + h * k3)
    return y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def dense(W, b, x):
    return np.tanh(W @ x + b)


# ----- Cases -----


def mlp_layer_tanh(W, b, x):
    h = np.tanh(W @ x + b)
    return np.sum(h**2)


def mlp_two_layers_batch(W1, b1, W2, b2, X):
    H = np.tanh(X @ W1 + b1)
    out = H @ W2 + b2
    return np.mean(out**2)


def mlp_with_dense_helper(W1, b1, w2, x):
    h = dense(W1, b1, x)
    return np.dot(w2, h)


def mlp_relu_maximum(W, b, X):
    H = np.maximum(X @ W + b, 0.0)
    return np.mean(H**2)


def mlp_leaky_relu_where(W, X):
    Z = X @ W
    H = np.where(Z > 0, Z, 0.1 * Z)
    return np.sum(H)


def softmax_cross_entropy(logits, label):
    shifted = logits - np.max(logits)
    log_probs = shifted - np.log(np.sum(np.exp(shifted)))
    return -log_probs[label]


def softmax_cross_entropy_batch(W, X, Y):
    logits = X @ W
    logits = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * log_probs, axis=1))


def cross_entropy_with_helpers(W, X, Y):
    P = softmax_rows(X @ W)
    return -np.sum(Y * np.log(P)) / X.shape[0]


def logsumexp_helper_loss(z, w):
    return logsumexp(z * w) - np.dot(z, w)


def logistic_regression_loss(w, b, X, y):
    z = X @ w + b
    return np.mean(np.log(1.0 + np.exp(-y * z)))


def logistic_regression_sigmoid(w, b, X, y):
    p = sigmoid(X @ w + b)
    return -np.mean(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))


def linear_regression_mse(w, b, X, y):
    pred = X.dot(w) + b
    return np.mean((pred - y) ** 2)


def ridge_loss(w, X, y, lam=0.1):
    r = X @ w - y
    return r @ r / len(y) + lam * np.sum(w**2)


def huber_loss(pred, target):
    r = pred - target
    delta = 1.0
    quad = 0.5 * r**2
    lin = delta * (np.abs(r) - 0.5 * delta)
    return np.sum(np.where(np.abs(r) <= delta, quad, lin))


def gaussian_negative_log_likelihood(mu, log_sigma, x):
    sigma = np.exp(log_sigma)
    z = (x - mu) / sigma
    return np.sum(0.5 * z**2 + log_sigma + 0.5 * math.log(2 * math.pi))


def layer_norm(x, gamma, beta):
    mu = np.mean(x)
    var = np.mean((x - mu) ** 2)
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    return np.sum((gamma * xhat + beta) ** 2 * np.arange(1.0, x.size + 1))


def batch_norm_rows(X, gamma, beta):
    mean = X.mean(axis=0)
    var = ((X - mean) ** 2).mean(axis=0)
    Xn = (X - mean) / np.sqrt(var + 1e-5)
    out = gamma * Xn + beta
    return np.sum(np.sin(out))


def rk4_single_step(y, h):
    return np.sum(rk4_step(y, 0.3, h))


def rk4_integrate_steps(y0, h):
    y = y0
    t = 0.0
    for _ in range(5):
        y = rk4_step(y, t, h)
        t = t + h
    return np.sum(y**2)


def euler_pendulum(theta, omega):
    dt = 0.05
    for _ in range(20):
        dtheta, domega = pendulum_rhs(theta, omega)
        theta = theta + dt * dtheta
        omega = omega + dt * domega
    return theta * theta + 0.1 * omega * omega


def logistic_map_recurrence(r, x):
    for _ in range(10):
        x = r * x * (1.0 - x)
    return x


def horner_polynomial(x, coeffs):
    result = 0.0
    for c in coeffs:
        result = result * x + c
    return result


def horner_polynomial_vector_x(x, coeffs):
    result = np.zeros_like(x)
    for i in range(len(coeffs)):
        result = result * x + coeffs[i]
    return np.sum(result)


def simple_rnn(Wh, Wx, b, xs):
    h = np.zeros(Wh.shape[0])
    for t in range(xs.shape[0]):
        h = np.tanh(Wh @ h + Wx @ xs[t] + b)
    return np.sum(h)


def rnn_collect_states(Wh, Wx, xs):
    h = np.zeros(3)
    states = []
    for x in xs:
        h = np.tanh(Wh @ h + Wx @ x)
        states.append(h)
    H = np.stack(states)
    return np.mean(H**2)


def gru_like_cell(Wz, Wh, x, h):
    z = sigmoid(Wz @ x)
    candidate = np.tanh(Wh @ x + h)
    h_new = (1.0 - z) * h + z * candidate
    return np.sum(h_new**2)


def attention_single_head(Q, K, V):
    d = Q.shape[1]
    scores = Q @ K.T / np.sqrt(d)
    weights = softmax_rows(scores)
    return np.sum((weights @ V) ** 2)


def conv1d_valid_loop(x, k):
    n = x.shape[0] - k.shape[0] + 1
    total = 0.0
    for i in range(n):
        y = np.sum(x[i : i + 3] * k)
        total = total + y**2
    return total


def cosine_similarity(x, y):
    return np.dot(x, y) / (np.sqrt(np.sum(x**2)) * np.sqrt(np.sum(y**2)))


def l2_regularized_softplus_loss(w, X, y):
    margins = y * (X @ w)
    return np.mean(softplus(-margins)) + 0.01 * np.dot(w, w)


def unrolled_gradient_descent(lr, w, X, y):
    for _ in range(4):
        residual = X @ w - y
        grad_w = 2.0 * X.T @ residual / len(y)
        w = w - lr * grad_w
    return np.mean((X @ w - y) ** 2)


def exponential_moving_average(x, beta):
    avg = 0.0
    for v in x:
        avg = beta * avg + (1.0 - beta) * v
    return avg**2


def kl_divergence_softmax(p_logits, q_logits):
    p = np.exp(p_logits - logsumexp(p_logits))
    log_q = q_logits - logsumexp(q_logits)
    return np.sum(p * (np.log(p) - log_q))


CASES = [
    case(
        mlp_layer_tanh,
        lambda r: (normal(r, 3, 4), normal(r, 3), normal(r, 4)),
        ("W", "b"),
    ),
    case(
        mlp_two_layers_batch,
        lambda r: (
            normal(r, 3, 4) * 0.5,
            normal(r, 4),
            normal(r, 4, 2) * 0.5,
            normal(r, 2),
            normal(r, 5, 3),
        ),
        (0, 1, 2, 3),
    ),
    case(
        mlp_with_dense_helper,
        lambda r: (normal(r, 3, 2), normal(r, 3), normal(r, 3), normal(r, 2)),
        (0, 1, 2),
    ),
    case(
        mlp_relu_maximum,
        lambda r: (normal(r, 3, 2), normal(r, 2), normal(r, 4, 3)),
        ("W", "b"),
    ),
    case(mlp_leaky_relu_where, lambda r: (normal(r, 3, 2), normal(r, 4, 3)), (0, 1)),
    case(softmax_cross_entropy, lambda r: (normal(r, 5), 2)),
    case(
        softmax_cross_entropy_batch,
        lambda r: (normal(r, 3, 4), normal(r, 5, 3), _one_hot(r, 5, 4)),
        (0, 1),
    ),
    case(
        cross_entropy_with_helpers,
        lambda r: (normal(r, 3, 4), normal(r, 5, 3), _one_hot(r, 5, 4)),
    ),
    case(logsumexp_helper_loss, lambda r: (normal(r, 4), normal(r, 4)), (0, 1)),
    case(
        logistic_regression_loss,
        lambda r: (normal(r, 3), normal(r), normal(r, 6, 3), _signs(r, 6)),
        ("w", "b"),
    ),
    case(
        logistic_regression_sigmoid,
        lambda r: (normal(r, 3), normal(r), normal(r, 6, 3), _bits(r, 6)),
        (0, 1),
    ),
    case(
        linear_regression_mse,
        lambda r: (normal(r, 3), normal(r), normal(r, 6, 3), normal(r, 6)),
        (0, 1, 2),
    ),
    case(ridge_loss, lambda r: (normal(r, 3), normal(r, 5, 3), normal(r, 5))),
    case(
        huber_loss,
        lambda r: _huber_args(r),
        (0, 1),
    ),
    case(
        gaussian_negative_log_likelihood,
        lambda r: (normal(r), normal(r) * 0.3, normal(r, 5)),
        ("mu", "log_sigma"),
    ),
    case(
        layer_norm,
        lambda r: (normal(r, 5), normal(r, 5), normal(r, 5)),
        ("x", "gamma", "beta"),
    ),
    case(
        batch_norm_rows,
        lambda r: (normal(r, 4, 3), normal(r, 3), normal(r, 3)),
        (0, 1, 2),
    ),
    case(rk4_single_step, lambda r: (normal(r, 3), uniform(r, 0.05, 0.2)), (0, 1)),
    case(rk4_integrate_steps, lambda r: (normal(r, 2), uniform(r, 0.05, 0.2)), (0, 1)),
    case(euler_pendulum, lambda r: (uniform(r, 0.2, 1.0), normal(r)), (0, 1)),
    case(
        logistic_map_recurrence,
        lambda r: (uniform(r, 2.5, 2.9), uniform(r, 0.2, 0.8)),
        (0, 1),
    ),
    case(horner_polynomial, lambda r: (normal(r), normal(r, 5)), (0, 1)),
    case(
        horner_polynomial_vector_x,
        lambda r: (normal(r, 3), normal(r, 4)),
        ("x", "coeffs"),
    ),
    case(
        simple_rnn,
        lambda r: (
            normal(r, 3, 3) * 0.5,
            normal(r, 3, 2),
            normal(r, 3),
            normal(r, 4, 2),
        ),
        (0, 1, 2),
    ),
    case(
        rnn_collect_states,
        lambda r: (normal(r, 3, 3) * 0.5, normal(r, 3, 2), normal(r, 4, 2)),
        (0, 1),
    ),
    case(
        gru_like_cell,
        lambda r: (normal(r, 3, 2), normal(r, 3, 2), normal(r, 2), normal(r, 3)),
        (0, 1, 2, 3),
    ),
    case(
        attention_single_head,
        lambda r: (normal(r, 3, 2), normal(r, 4, 2), normal(r, 4, 2)),
        (0, 1, 2),
    ),
    case(conv1d_valid_loop, lambda r: (normal(r, 6), normal(r, 3)), (0, 1)),
    case(cosine_similarity, lambda r: (normal(r, 4), normal(r, 4)), (0, 1)),
    case(
        l2_regularized_softplus_loss,
        lambda r: (normal(r, 3), normal(r, 6, 3), _signs(r, 6)),
    ),
    case(
        unrolled_gradient_descent,
        lambda r: (uniform(r, 0.05, 0.2), normal(r, 3), normal(r, 6, 3), normal(r, 6)),
        ("lr", "w"),
    ),
    case(
        exponential_moving_average,
        lambda r: (normal(r, 5), uniform(r, 0.5, 0.9)),
        (0, 1),
    ),
    case(kl_divergence_softmax, lambda r: (normal(r, 4), normal(r, 4)), (0, 1)),
]


def _one_hot(rng, n, k):
    return np.eye(k)[rng.integers(0, k, size=n)]


def _signs(rng, n):
    return rng.choice([-1.0, 1.0], size=n)


def _bits(rng, n):
    return rng.integers(0, 2, size=n).astype(np.float64)


def _huber_args(rng):
    target = rng.normal(size=6)
    residual = rng.choice([-1.0, 1.0], size=6) * np.array(
        [0.2, 0.5, 0.8, 1.3, 1.6, 2.0]
    )
    return target + residual, target
