"""More functions that tangent refuses, for the catalogue in ``test_errors.py``.

Each uses one construct outside the supported subset; the offending line
carries a ``# <-- name`` marker so that tests can check the line reported.
They live in a real file so that ``inspect.getsource`` finds them.
"""

# Written the way users write code: keep the constructs under test.
# ruff: noqa: B007, B010, B018, B905, E731, F401, F841, S102, S307, SIM, UP028, PGH001

import numpy as np

OFFSET = 1.0


class Box:
    value = 2.0


def uses_yield_from(x):
    yield from [x * 2.0]  # <-- yield from


def uses_set_comprehension(x):
    s = {v * 2.0 for v in [x]}  # <-- set comprehension
    return x


def uses_nested_async_def(x):
    async def helper(t):  # <-- nested async def
        return t * 2.0

    return x


def uses_lambda_with_star_args(x):
    first = lambda *ts: ts[0]  # <-- lambda star args
    return first(x) * 2.0


def uses_nested_def_with_varargs(x):
    def helper(*ts):  # <-- nested varargs
        return ts[0] * 2.0

    return helper(x)


def uses_nested_def_with_kwargs(x):
    def helper(t, **options):  # <-- nested kwargs
        return t * 2.0

    return helper(x)


def uses_mutual_recursion(x):
    def ping(t):  # <-- mutual recursion
        return pong(t / 2.0) if t > 1.0 else t

    def pong(t):
        return ping(t) * 2.0

    return ping(x)


def uses_recursive_lambda(x):
    halve = lambda t: halve(t / 2.0) if t > 1.0 else t  # <-- recursive lambda
    return halve(x)


def uses_star_in_display(xs):
    ys = [*xs, 1.0]  # <-- star display
    return ys[0] * 2.0


def uses_star_in_nested_target(xs):
    (a, *rest), b = xs, 1.0  # <-- star nested target
    return a * b


def uses_dict_unpacking(x):
    base = {"a": x}
    table = {**base, "b": x}  # <-- dict unpacking
    return table["a"]


def uses_two_for_clauses(xs):
    return sum([a * b for a in xs for b in xs])  # <-- two for clauses


def uses_attribute_aug_assign(x, box):
    box.value += x  # <-- attribute aug assign
    return x * 2.0


def uses_attribute_loop_target(x, box):
    for box.value in range(3):  # <-- attribute loop target
        x = x * 2.0
    return x


def uses_attribute_annotated_store(x, box):
    box.value: float = x  # <-- attribute annotated store
    return x * 2.0


def uses_nested_index_aug_assign(x, rows):
    rows[0][1] += x  # <-- nested index aug assign
    return x * 2.0


def uses_out_keyword(x):
    y = x * 2.0
    z = np.multiply(y, 2.0, out=y)  # <-- out keyword
    return np.sum(z)


def uses_eval(x):
    return eval("x * 2.0")  # <-- eval


def uses_exec(x):
    exec("x = x * 2.0")  # <-- exec
    return x


def uses_compile(x):
    code = compile("x * 2.0", "<string>", "eval")  # <-- compile
    return x


def uses_dunder_import(x):
    np2 = __import__("numpy")  # <-- dunder import
    return np2.sin(x)


def uses_globals(x):
    scale = globals()["OFFSET"]  # <-- globals
    return x * scale


def uses_locals(x):
    y = x * 2.0
    return locals()["y"]  # <-- locals


def uses_vars(x, box):
    return vars(box)["value"] * x  # <-- vars


def uses_setattr(x, box):
    setattr(box, "value", x)  # <-- setattr
    return x * 2.0


def uses_delattr(x, box):
    delattr(box, "value")  # <-- delattr
    return x * 2.0


def uses_call_of_subscript(x, funcs):
    return funcs[0](x)  # <-- call of subscript


def uses_missing_argument(x):
    def helper(t, k):
        return t * k

    return helper(x)  # <-- missing argument


# ----- calls made only for their effect on a differentiated array -----


def fills_in_place(x):
    y = x * 2.0
    y.fill(0.5)  # <-- fill
    return np.sum(y)


def pops_unused(x):
    xs = [x, x * 2.0]
    xs.pop()  # <-- pop unused
    return xs[0]


def inserts_in_place(x):
    xs = [x]
    xs.insert(0, x * 2.0)  # <-- insert
    return xs[0]


def updates_dict_in_place(x):
    table = {"a": x}
    table.update({"a": 2.0 * x})  # <-- update
    return table["a"]


def shuffles_in_place(x):
    y = x * 2.0
    np.random.shuffle(y)  # <-- shuffle
    return np.sum(y * y)


def copies_into(x):
    y = np.zeros(3)
    np.copyto(y, x)  # <-- copyto
    return np.sum(y)


def sines_into(x):
    y = x * 1.0
    np.sin(y, out=y)  # <-- sin out
    return np.sum(y)


# ----- values, arguments -----


def square(x):
    return x * x


def returns_a_string(x):
    return "x"


def cube_sum(x):
    return np.sum(x**3)


def two_outputs(x):
    return x * 2.0, np.sum(x)


def weighted(x, y=2.0):
    return x * y


def positional_only(x, y, /):
    return x * y * y


def keyword_only(x, *, k):
    return x * k


def uses_computed_call_in_unused_helper(x):
    def unused(t):
        return (np.sin if t > 0.0 else np.cos)(t)  # <-- computed call unused

    return x * 2.0
