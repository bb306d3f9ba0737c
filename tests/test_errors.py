"""Errors reach the user as `tangent.TangentError`s that explain themselves.

Every refusal names the function, the file and line of the construct, the
construct and a hint. No internal exception (KeyError, IndexError,
AttributeError, AssertionError, ...) may escape: the exception types are
asserted exactly.
"""

import functools
import os

import fixtures_functions as fx
import numpy as np
import pytest

import tangent
from tangent import (
    BadWrtError,
    NonScalarOutputError,
    NoRuleError,
    TangentError,
    UnsupportedConstructError,
)

FIXTURES_FILE = os.path.abspath(fx.__file__)
with open(FIXTURES_FILE) as _fh:
    _LINES = _fh.read().splitlines()


def marker_line(marker):
    """The line number of the fixture line ending with `# <-- marker`."""
    found = [i + 1 for i, line in enumerate(_LINES) if line.endswith(f"# <-- {marker}")]
    assert len(found) == 1, marker
    return found[0]


def raised_by(func, *args, **options):
    with pytest.raises(TangentError) as info:
        df = tangent.grad(func, **options)
        if args:
            df(*args)
    # an internal exception wrapped into a TangentError is still a bug
    assert "internal error" not in str(info.value), str(info.value)
    assert info.value.__cause__ is None or isinstance(
        info.value.__cause__, TangentError
    )
    return info.value


# (function, marker on the offending line, words the construct is named by)
REFUSED = [
    (fx.uses_try, "try", "try"),
    (fx.uses_with, "with", "with"),
    (fx.uses_yield, "yield", "yield"),
    (fx.uses_async, "async", "async"),
    (fx.uses_global, "global", "global"),
    (fx.uses_nonlocal, "nonlocal", "nonlocal"),
    (fx.square_lambda, "module lambda", "lambda"),
    (fx.uses_inner_lambda, "inner lambda", "lambda"),
    (fx.uses_nested_def, "nested def", "recursive nested function"),
    (fx.uses_decorated_nested_def, "decorated nested def", "nested function"),
    (fx.uses_class, "class", "class"),
    (fx.uses_del, "del", "del"),
    (fx.uses_import, "import", "import"),
    (fx.uses_import_from, "import from", "import"),
    (fx.uses_walrus, "walrus", ":="),
    (fx.uses_dict, "dict", "dict"),
    (fx.uses_dict_comp, "dict comprehension", "dict comprehension"),
    (fx.uses_set, "set", "set"),
    (fx.uses_star_call, "star call", "*"),
    (fx.uses_star_kwargs_call, "kwargs call", "**"),
    (fx.uses_star_args, "star signature", "*args"),
    (fx.uses_star_kwargs_sig, "kwargs signature", "**kwargs"),
    (fx.uses_for_else, "for else", "else"),
    (fx.uses_while_else, "while else", "else"),
    (fx.uses_match, "match", "match"),
    (fx.uses_attribute_store, "attribute store", "attribute"),
    (fx.uses_nested_index_store, "nested index store", "index"),
    (fx.uses_computed_call, "computed call", "call"),
]


@pytest.mark.parametrize(
    "func, marker, construct", REFUSED, ids=[m.replace(" ", "_") for _, m, _ in REFUSED]
)
def test_refused_construct(func, marker, construct):
    exc = raised_by(func)
    assert type(exc) is UnsupportedConstructError
    text = str(exc)
    assert f"{FIXTURES_FILE}:{marker_line(marker)}" in text, text
    assert f"'{func.__name__}'" in text, text
    assert construct in exc.construct, exc.construct
    assert "hint:" in text and exc.hint, text
    assert exc.lineno == marker_line(marker)
    assert exc.filename == FIXTURES_FILE


def test_error_from_a_called_helper_names_the_helper():
    exc = raised_by(fx_caller_of_try)
    assert type(exc) is UnsupportedConstructError
    assert "'uses_try'" in str(exc)
    assert f"{FIXTURES_FILE}:{marker_line('try')}" in str(exc)


def fx_caller_of_try(x):
    return fx.uses_try(x) * 2.0


# ----- missing returns, None, non-scalar outputs -----


def test_no_return_statement():
    exc = raised_by(fx.no_return)
    assert type(exc) is UnsupportedConstructError
    assert "None" in str(exc) and "'no_return'" in str(exc)
    assert FIXTURES_FILE in str(exc) and exc.hint


def test_some_paths_return_nothing():
    exc = raised_by(fx.some_paths_return)
    assert type(exc) is UnsupportedConstructError
    assert "'some_paths_return'" in str(exc) and exc.hint


def test_returning_none_is_refused_at_call_time():
    df = tangent.grad(fx.returns_none)
    with pytest.raises(NonScalarOutputError, match="None"):
        df(1.0)


def test_non_scalar_output_is_a_value_error_pointing_to_vjp():
    df = tangent.grad(fx.vector_output)  # building succeeds: shapes are runtime facts
    with pytest.raises(NonScalarOutputError) as info:
        df(np.ones(3))
    assert type(info.value) is NonScalarOutputError
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, TangentError)
    assert "vjp" in str(info.value)
    assert "(3,)" in str(info.value)


@pytest.mark.parametrize("output", ["tuple", "list"])
def test_container_outputs_are_non_scalar(output):
    func = {"tuple": fx_tuple_output, "list": fx_list_output}[output]
    with pytest.raises(NonScalarOutputError, match="vjp"):
        tangent.grad(func)(1.0)


def fx_tuple_output(x):
    return x, x


def fx_list_output(x):
    return [x * 2.0]


def test_non_scalar_output_error_names_the_function():
    # tangent.errors: "every error about the user's code names the function"
    with pytest.raises(NonScalarOutputError) as info:
        tangent.grad(fx.vector_output)(np.ones(3))
    assert "vector_output" in str(info.value)


def test_size_one_array_output_is_a_scalar():
    g = tangent.grad(fx.vector_output)(np.array([1.5]))
    np.testing.assert_allclose(g, [2.0])


# ----- wrt -----


@pytest.mark.parametrize("wrt", [5, 2, -3, "z", ("x", "q"), (), (True,)])
def test_bad_wrt(wrt):
    exc = raised_by(fx.two_args, wrt=wrt)
    assert type(exc) is BadWrtError
    assert isinstance(exc, ValueError)
    assert "'two_args'" in str(exc)


def test_bad_wrt_lists_the_parameters():
    exc = raised_by(fx.two_args, wrt=2)
    assert "x, y" in str(exc)
    exc = raised_by(fx.two_args, wrt="z")
    assert "'z'" in str(exc) and "x, y" in str(exc)


@pytest.mark.parametrize("wrt", [1.5, None, {0}])
def test_wrt_of_the_wrong_type(wrt):
    exc = raised_by(fx.two_args, wrt=wrt)
    assert type(exc) is BadWrtError
    assert "'two_args'" in str(exc)


# ----- functions without source, calls without rules -----


@pytest.mark.parametrize(
    "func, shown", [(len, "len"), (np.sin, "sin"), (np.exp, "exp"), (print, "print")]
)
def test_function_without_source(func, shown):
    exc = raised_by(func)
    assert type(exc) is TangentError
    assert f"'{shown}'" in str(exc)
    assert exc.hint and "adjoint" in exc.hint


def test_library_function_with_python_source():
    # np.sum is a Python function whose body calls helpers taking **kwargs:
    # whatever tangent decides, the user sees an explanation, not a TypeError
    try:
        g = tangent.grad(np.sum)(np.ones(3))
    except TangentError as exc:
        assert "internal error" not in str(exc), str(exc)
    else:
        np.testing.assert_allclose(g, np.ones(3))


@pytest.mark.parametrize(
    "func, helper",
    [
        (fx.calls_kwargs_helper, "kwargs_helper"),
        (fx.calls_varargs_helper, "varargs_helper"),
    ],
)
def test_call_of_a_helper_with_star_parameters(func, helper):
    # refused (the fence refuses *args/**kwargs) or handled; never a KeyError
    exc = raised_by(func, 1.0)
    assert type(exc) in (TangentError, UnsupportedConstructError, NoRuleError)
    assert f"'{helper}'" in str(exc) and exc.hint


def test_function_whose_source_is_gone():
    ns = {}
    exec("def made_at_runtime(x):\n    return x * 2.0\n", ns)
    exc = raised_by(ns["made_at_runtime"])
    assert type(exc) is TangentError
    assert "'made_at_runtime'" in str(exc) and exc.hint


def test_partial_and_bound_method():
    exc = raised_by(functools.partial(fx.two_args, 1.0))
    assert type(exc) is TangentError and exc.hint
    exc = raised_by(np.ones(3).sum)
    assert type(exc) is TangentError


def test_call_without_a_derivative_rule():
    exc = raised_by(fx.uses_fft)
    assert type(exc) is NoRuleError
    text = str(exc)
    assert "fft" in text
    assert "'uses_fft'" in text
    assert f"{FIXTURES_FILE}:{marker_line('fft')}" in text
    assert "@tangent.adjoint" in text


def test_call_of_an_undefined_name():
    exc = raised_by(fx_undefined_call)
    assert type(exc) is NoRuleError
    assert "not_defined_anywhere" in str(exc)


def fx_undefined_call(x):
    return not_defined_anywhere(x)  # noqa: F821


def test_in_place_method_on_an_active_value():
    exc = raised_by(fx_sorts_in_place)
    assert type(exc) is TangentError
    assert ".sort()" in str(exc) and exc.hint


def fx_sorts_in_place(x):
    y = x * 2.0
    y.sort()
    return np.sum(y)


def test_every_error_type_derives_from_tangent_error():
    for cls in (
        UnsupportedConstructError,
        NoRuleError,
        NonScalarOutputError,
        BadWrtError,
    ):
        assert issubclass(cls, TangentError)
    assert issubclass(NonScalarOutputError, ValueError)
    assert issubclass(BadWrtError, ValueError)
