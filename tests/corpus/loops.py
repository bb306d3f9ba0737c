"""Loops: for over ranges, arrays, enumerate and zip; while; break, continue."""

# Written the way users write code (unused loop variables, zip without strict=):
# keep it so.
# ruff: noqa: B007, B905

import numpy as np

from .case import case, normal, signed, spread, uniform


def for_range_one_arg(x):
    for i in range(5):
        x = np.sin(x) + x * 0.5
    return x


def for_range_two_args_powers(x):
    total = 0.0
    for i in range(1, 4):
        total += x**i
    return total


def for_range_three_args(x):
    for i in range(0, 10, 3):
        x = x * np.cos(i * 0.1 * x)
    return np.sum(x)


def for_range_negative_step(x):
    total = 0.0
    for k in range(5, 0, -1):
        total = total * x + k
    return total


def for_range_variable_bound(x, n):
    y = x
    for i in range(n):
        y = y + np.tanh(y) * 0.3
    return np.sum(y)


def for_range_len(x):
    total = 0.0
    for i in range(len(x)):
        total = total + x[i] * (i + 1) ** 2
    return total * total


def for_over_matrix_rows(A):
    total = 0.0
    for row in A:
        total = total + np.sum(row**2) * np.max(row)
    return total


def for_over_vector_elements(x):
    p = 1.0
    for v in x:
        p = p * v
    return p


def for_enumerate(x):
    total = 0.0
    for i, v in enumerate(x):
        total += (i + 1) * np.sin(v)
    return total


def for_enumerate_rows_with_start(A, w):
    total = 0.0
    for k, row in enumerate(A, 1):
        total = total + k * np.dot(row, w) ** 2
    return total


def for_zip(x, y):
    total = 0.0
    for a, b in zip(x, y):
        total += a * b**2
    return total


def for_zip_rows_and_weights(A, w):
    out = 0.0
    for row, weight in zip(A, w):
        out = out + weight * np.sum(np.tanh(row))
    return out


def while_counter(x):
    i = 0
    while i < 4:
        x = x - 0.1 * x**3
        i += 1
    return x


def while_data_dependent_scalar(x):
    steps = 0
    while x < 10.0:
        x = x * 1.7 + 0.1
        steps = steps + 1
    return x * steps


def while_data_dependent_norm(x):
    while np.sum(x**2) < 50.0:
        x = x * 1.3 + 0.1 * np.sin(x)
    return np.sum(x)


def while_halving(x):
    count = 0
    while x > 1.0:
        x = x / 2.0
        count += 1
    return x * x + count


def while_true_with_break(x):
    n = 0
    while True:
        x = np.cos(x) + 0.5 * x
        n += 1
        if n >= 6:
            break
    return x


def nested_for_loops(A):
    total = 0.0
    for i in range(3):
        for j in range(2):
            total += A[i, j] * A[j, i]
    return total


def nested_triangular_loops(x):
    total = 0.0
    for i in range(len(x)):
        for j in range(i):
            total = total + x[i] * x[j] ** 2
    return total


def nested_while_in_for(x):
    for i in range(3):
        j = 0
        while j < 2:
            x = x * 0.9 + np.sin(x) * 0.1
            j += 1
    return np.sum(x**2)


def for_with_data_dependent_break(x):
    for i in range(20):
        x = x * 1.1 + 0.05
        if x > 3.0:
            break
    return x * x


def for_with_counter_break(x):
    for i in range(10):
        if i == 4:
            break
        x = np.sin(x) + x
    return x


def for_with_continue(x):
    total = 0.0
    for i in range(6):
        if i % 2 == 0:
            continue
        total += x**i
    return total


def for_with_data_dependent_continue(x):
    total = 0.0
    for v in x:
        if v < 0:
            continue
        total = total + np.sqrt(v)
    return total


def return_inside_for(x):
    for i in range(10):
        x = x * 1.5
        if np.sum(x) > 5.0:
            return np.sum(x**2)
    return np.sum(x)


def return_inside_while(x):
    k = 0
    while k < 50:
        x = np.sin(x) + 0.9 * x
        if x > 2.0:
            return x * k
        k += 1
    return x


def thousand_step_recurrence(x, a):
    for i in range(1000):
        x = x * 0.99 + np.sin(x) * a
    return x


def thousand_step_recurrence_vector(x, a):
    for i in range(1000):
        x = x * 0.99 + np.sin(x) * a
    return np.sum(x)


def while_branch_on_vectors(w, x):
    n = 0
    while n < 100:
        if np.sum(w * x) > 0:
            x = np.tanh(x - w)
        else:
            x = np.sin(x + w) * 1.5
        n = n + 1
    return np.sum(x * x)


def while_branch_on_vectors_short(w, x):
    n = 0
    while n < 8:
        if np.sum(w * x) > 0:
            x = np.tanh(x - w)
        else:
            x = np.sin(x + w) * 1.5
        n = n + 1
    return np.sum(x * x)


def tuple_swap_in_loop(a, b):
    for _ in range(6):
        a, b = b, a + b * 0.5
    return a * b


def newton_sqrt_iterations(a):
    x = a
    for _ in range(8):
        x = 0.5 * (x + a / x)
    return x


def power_iteration(A, v):
    for _ in range(5):
        v = A @ v
        v = v / np.sqrt(np.sum(v**2))
    return v @ A @ v


def loop_accumulates_array(x):
    acc = np.zeros(3)
    for i in range(4):
        acc = acc + x * (i + 1.0)
        acc = np.tanh(acc)
    return np.sum(acc)


def loop_with_aug_assign_array(A, x):
    h = A @ x
    for _ in range(3):
        h += np.sin(h)
        h *= 0.5
    return np.sum(h)


def loop_variable_used_after(x):
    for i in range(4):
        x = x + i * 0.5
    return x * i


CASES = [
    case(for_range_one_arg, lambda r: (normal(r),)),
    case(for_range_two_args_powers, lambda r: (normal(r),)),
    case(for_range_three_args, lambda r: (normal(r, 3),)),
    case(for_range_negative_step, lambda r: (normal(r),)),
    case(for_range_variable_bound, lambda r: (normal(r, 3), 4)),
    case(for_range_len, lambda r: (normal(r, 4),)),
    case(for_over_matrix_rows, lambda r: (spread(r, -1.0, 2.0, (3, 4)),)),
    case(for_over_vector_elements, lambda r: (normal(r, 4),)),
    case(for_enumerate, lambda r: (normal(r, 5),)),
    case(
        for_enumerate_rows_with_start, lambda r: (normal(r, 3, 2), normal(r, 2)), (0, 1)
    ),
    case(for_zip, lambda r: (normal(r, 4), normal(r, 4)), (0, 1)),
    case(
        for_zip_rows_and_weights, lambda r: (normal(r, 3, 2), normal(r, 3)), ("A", "w")
    ),
    case(while_counter, lambda r: (uniform(r, -1.0, 1.0),)),
    case(while_data_dependent_scalar, lambda r: (uniform(r, 0.5, 1.5),)),
    case(while_data_dependent_norm, lambda r: (uniform(r, 0.5, 1.0, 3),)),
    case(while_halving, lambda r: (uniform(r, 5.0, 7.5),)),
    case(while_true_with_break, lambda r: (normal(r),)),
    case(nested_for_loops, lambda r: (normal(r, 3, 3),)),
    case(nested_triangular_loops, lambda r: (normal(r, 4),)),
    case(nested_while_in_for, lambda r: (normal(r, 3),)),
    case(for_with_data_dependent_break, lambda r: (uniform(r, 1.0, 1.5),)),
    case(for_with_counter_break, lambda r: (normal(r),)),
    case(for_with_continue, lambda r: (normal(r),)),
    case(for_with_data_dependent_continue, lambda r: (signed(r, 0.3, 1.5, 5),)),
    case(return_inside_for, lambda r: (uniform(r, 0.2, 0.6, 3),)),
    case(return_inside_while, lambda r: (uniform(r, 0.2, 0.5),)),
    case(
        thousand_step_recurrence,
        lambda r: (uniform(r, 0.5, 1.5), uniform(r, 0.05, 0.2)),
        (0, 1),
    ),
    case(
        thousand_step_recurrence_vector,
        lambda r: (uniform(r, 0.5, 1.5, 3), uniform(r, 0.05, 0.2)),
        (0, 1),
    ),
    case(while_branch_on_vectors, lambda r: (normal(r, 3), normal(r, 3)), (0, 1)),
    case(while_branch_on_vectors_short, lambda r: (normal(r, 3), normal(r, 3)), (0, 1)),
    case(tuple_swap_in_loop, lambda r: (normal(r), normal(r)), (0, 1)),
    case(newton_sqrt_iterations, lambda r: (uniform(r, 0.5, 3.0),)),
    case(power_iteration, lambda r: (_symmetric(r, 3), normal(r, 3)), (0, 1)),
    case(loop_accumulates_array, lambda r: (normal(r, 3),)),
    case(loop_with_aug_assign_array, lambda r: (normal(r, 3, 2), normal(r, 2)), (0, 1)),
    case(loop_variable_used_after, lambda r: (normal(r),)),
]


def _symmetric(rng, n):
    m = rng.normal(size=(n, n))
    return m + m.T + np.diag(np.arange(n, 2 * n) * 2.0)
