"""Module-level functions that the unit tests parse, normalize and differentiate.

They live in a real file so that ``inspect.getsource`` finds them. Each group
is used by one test module; refused constructs carry a ``# <-- name`` marker
on the offending line so that tests can check the reported line number.
"""

# Written the way users write code: keep the constructs under test.
# ruff: noqa: B007, B905, B018, E731, F401, F841, UP028, SIM

import math

import numpy as np

SCALE = 2.0

# ----- Normalization: functions executed before and after normalizing -----


def straight_line(x, y):
    z = x * y + np.sin(x) / (1.0 + y**2) - math.exp(-x * y)
    return z


def aug_assign(x, y):
    z = x
    z += y * 2.0
    z *= x
    z -= 1.0
    z /= 3.0
    z **= 2
    return z


def if_expression(x, y):
    z = x * y if x > y else -x + y
    return z * 2.0


def bool_ops(x, y):
    a = x > 0 and y > 0
    b = x < -5.0 or y < 0
    c = (a or b) and not x > y
    return 1.0 * a + 2.0 * b + 4.0 * c + x


def short_circuit(x, y):
    ok = y != 0.0 and x / y > 1.0
    alt = y == 0.0 or x / y < 5.0
    if ok and alt:
        return x * 2.0
    return x * 3.0


def chained_compare(x, y):
    if 0.0 < x < y <= 10.0:
        return x * y
    return x - y


def list_comprehension(xs):
    ys = [v * v for v in xs if v > 0.0]
    return sum(ys) + len(ys)


def comprehension_shadows_a_variable(xs):
    v = 10.0
    ys = [v * v for v in xs]
    return sum(ys) + v


def enumerate_zip_loops(xs, ys):
    total = 0.0
    for i, v in enumerate(xs):
        total += i * v
    for k, v in enumerate(xs, 1):
        total += k * v
    for a, b in zip(xs, ys):
        total += a * b
    return total


def loop_over_array(A):
    total = 0.0
    for row in A:
        total = total + np.sum(row * row)
    for v in reversed(A[0]):
        total = total * 0.5 + v
    return total


def loop_with_break(x):
    for i in range(20):
        x = x * 1.5 + 0.1
        if x > 5.0:
            break
        x = x + 0.01
    return x


def loop_with_continue(x):
    total = 0.0
    for i in range(7):
        if i % 2 == 0:
            continue
        total = total + x * i
    return total


def return_in_loop(x):
    for i in range(10):
        x = x * 2.0
        if x > 10.0:
            return x - 1.0
    return x


def while_loop(x):
    n = 0
    while x < 10.0:
        x = x * 1.5 + 0.5
        n = n + 1
    return x + n


def while_break_continue(x):
    k = 0
    while k < 12:
        k += 1
        if k % 3 == 0:
            continue
        x = x * 1.1
        if x > 4.0:
            break
    return x * k


def many_returns(x):
    if x > 1.0:
        return x * 2.0
    elif x < -1.0:
        return -x
    return x * x


def noops(x):
    """A docstring."""
    print("value", x)
    assert x is not None, "never"
    pass
    y: float = x * 2.0
    return y


def tuple_swap(x, y):
    a, b = x, y
    a, b = b, a
    c = d = a * 2.0
    return a - 2.0 * b + c * d


def nested_loops_break(x):
    total = 0.0
    for i in range(4):
        for j in range(4):
            if j > i:
                break
            total = total + x * (i + j)
    return total


def min_max_calls(x, y):
    return max(x, y, 1.0) + min(x, y, -1.0) + abs(x - y)


def list_building(x):
    items = []
    for i in range(3):
        items.append(x * i)
    more = [x, x * x]
    items.extend(more)
    return sum(items)


def nested_expressions(x):
    return np.sum(np.exp(x * 0.5) * np.cos(x) ** 2) / (1.0 + np.sum(x * x))


def loop_bound_changes(x, n):
    total = 0.0
    for i in range(n):
        n = n - 1
        total = total + x * n
    return total


# ----- Errors: each refuses one construct (marker: `# <-- what`) -----


def uses_try(x):
    try:  # <-- try
        y = x * 2.0
    except ValueError:
        y = x
    return y


def uses_with(x):
    with open("/dev/null") as fh:  # <-- with
        y = x * 2.0
    return y


def uses_yield(x):
    yield x * 2.0  # <-- yield


async def uses_async(x):  # <-- async
    return x * 2.0


def uses_global(x):
    global SCALE  # <-- global
    return x * SCALE


def make_nonlocal():
    factor = 2.0

    def uses_nonlocal(x):
        nonlocal factor  # <-- nonlocal
        return x * factor

    return uses_nonlocal


uses_nonlocal = make_nonlocal()

square_lambda = lambda x: x * x  # <-- module lambda


def uses_inner_lambda(x):
    return (lambda t: t * 2.0)(x)  # <-- inner lambda


def uses_nested_def(x):
    def helper(t):  # <-- nested def
        if t > 1.0:
            return helper(t / 2.0)
        return t * 2.0

    return helper(x)


def uses_decorated_nested_def(x):
    @staticmethod
    def helper(t):  # <-- decorated nested def
        return t * 2.0

    return helper(x)


def uses_class(x):
    class Box:  # <-- class
        pass

    return x * 2.0


def uses_del(x):
    y = x * 2.0
    del y  # <-- del
    return x


def uses_import(x):
    import os  # <-- import

    return x * 2.0


def uses_import_from(x):
    from math import sin  # <-- import from

    return sin(x)


def uses_walrus(x):
    if (y := x * 2.0) > 1.0:  # <-- walrus
        return y
    return x


def uses_dict(x):
    key = "a"
    table = {key: x}  # <-- dict
    return table["a"]


def uses_dict_comp(x):
    table = {k: x for k in "ab"}  # <-- dict comprehension
    return table["a"]


def uses_set(x):
    s = {x, 1.0}  # <-- set
    return x


def uses_star_call(xs):
    return np.add(*xs)  # <-- star call


def uses_star_kwargs_call(x):
    opts = dict(axis=0)
    return np.sum(x, **opts)  # <-- kwargs call


def uses_star_args(*xs):  # <-- star signature
    return xs[0] * 2.0


def uses_star_kwargs_sig(x, **kw):  # <-- kwargs signature
    return x * 2.0


def star_unpack(xs):
    a, *rest = xs
    b = rest[0]
    return a * b + rest[-1]


def uses_for_else(x):
    for i in range(3):  # <-- for else
        x = x * 2.0
    else:
        x = x + 1.0
    return x


def uses_while_else(x):
    while x < 10.0:  # <-- while else
        x = x * 2.0
    else:
        x = x + 1.0
    return x


def uses_match(x, k):
    match k:  # <-- match
        case 0:
            return x
        case _:
            return x * 2.0


def uses_attribute_store(x, obj):
    obj.value = x  # <-- attribute store
    return x * 2.0


def uses_nested_index_store(x, rows):
    rows[0][1] = x  # <-- nested index store
    return x * 2.0


def uses_computed_call(x):
    return (np.sin if x > 0.0 else np.cos)(x)  # <-- computed call


def uses_fft(x):
    y = np.fft.fft(x)  # <-- fft
    return np.sum(np.abs(y))


def kwargs_helper(x, **options):
    return x * 2.0


def calls_kwargs_helper(x):
    return kwargs_helper(x, scale=1.0)


def varargs_helper(*xs):
    return xs[0] * 2.0


def calls_varargs_helper(x):
    return varargs_helper(x, x)


def no_return(x):
    y = x * 2.0


def returns_none(x):
    y = x * 2.0
    return None


def some_paths_return(x):
    if x > 0.0:
        return x * 2.0


def vector_output(x):
    return x * 2.0


def two_args(x, y):
    return x * y


# ----- API: functions whose gradients are generated and checked -----


def poly(x):
    return 3.0 * x**3 - 2.0 * x + 1.0


def weighted_loss(w, b, x):
    pred = np.tanh(x @ w + b)
    return np.sum((pred - 0.5) ** 2)


def scaled(x):
    return SCALE * x * x


def elementwise(x):
    return np.sin(x) * x + np.exp(-x)


def sum_elementwise(x):
    return np.sum(np.sin(x) * x + np.exp(-x))


def nested_helpers(x, y):
    def scale(t, k=2.0):
        return t * k

    square = lambda t: t * t
    table = {"a": x, "b": y}
    return scale(square(table["a"])) + table["b"] * scale(y, 3.0)


def noisy(x):
    noise = np.random.normal()
    y = x * noise
    noise = np.random.normal()
    return y + x * noise


def long_loop(x):
    for i in range(1000):
        x = x * 0.999 + 0.001 * np.sin(x)
    return x


def rescale_copy(x):
    y = x + 0.0
    y[0] = 5.0
    return np.sum(x * y)


def scale_copy(x):
    y = x * 1.0
    y[1] = y[1] * 3.0
    return np.sum(y * y)


def divided_copy(x):
    y = x / 1.0
    y[0] = 0.0
    return np.sum(x * y)


def index_update(x):
    y = np.zeros(3)
    y[0] = x[0] * 2.0
    y[1] = x[1] * x[2]
    return np.sum(y * x)
