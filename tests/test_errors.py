"""Errors reach the user as `tangent.TangentError`s that explain themselves.

Every refusal names the function, the file and line of the construct, the
construct and a hint. No internal exception (KeyError, IndexError,
AttributeError, AssertionError, ...) may escape: the exception types are
asserted exactly.
"""

import functools
import importlib.util
import os
import sys
import textwrap
import types

import fixtures_functions as fx
import numpy as np
import pytest
import refusal_fixtures as rf
from oracle import check_grads, numerical_grad

import tangent
from tangent import (
    BadWrtError,
    NonScalarOutputError,
    NoRuleError,
    TangentError,
    UnsupportedConstructError,
)
from tangent.errors import BadArgumentsError, ShapeMismatchError
from transforms import fence

FIXTURES_FILE = os.path.abspath(fx.__file__)
MORE_FIXTURES_FILE = os.path.abspath(rf.__file__)


def _lines(path):
    with open(path) as fh:
        return fh.read().splitlines()


_LINES = {
    FIXTURES_FILE: _lines(FIXTURES_FILE),
    MORE_FIXTURES_FILE: _lines(MORE_FIXTURES_FILE),
}


def marker_line(marker, path=FIXTURES_FILE):
    """The line number of the fixture line ending with `# <-- marker`."""
    found = [
        i + 1 for i, line in enumerate(_LINES[path]) if line.endswith(f"# <-- {marker}")
    ]
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


# ----- more refusals (refusal_fixtures.py) -----

# (function, marker, words the construct is named by); each refused by the fence
# or by normalization with an UnsupportedConstructError
MORE_REFUSED = [
    (rf.uses_yield_from, "yield from", "yield from"),
    (rf.uses_set_comprehension, "set comprehension", "set comprehension"),
    (rf.uses_nested_async_def, "nested async def", "async"),
    (rf.uses_lambda_with_star_args, "lambda star args", "*args"),
    (rf.uses_nested_def_with_varargs, "nested varargs", "*args"),
    (rf.uses_nested_def_with_kwargs, "nested kwargs", "**kwargs"),
    (rf.uses_mutual_recursion, "mutual recursion", "ping -> pong -> ping"),
    (rf.uses_recursive_lambda, "recursive lambda", "recursive"),
    (rf.uses_star_in_display, "star display", "[*xs]"),
    (rf.uses_star_in_nested_target, "star nested target", "nested target"),
    (rf.uses_dict_unpacking, "dict unpacking", "{**d}"),
    (rf.uses_two_for_clauses, "two for clauses", "several for clauses"),
    (rf.uses_attribute_aug_assign, "attribute aug assign", "attribute"),
    (rf.uses_attribute_loop_target, "attribute loop target", "attribute"),
    (rf.uses_attribute_annotated_store, "attribute annotated store", "attribute"),
    (rf.uses_nested_index_aug_assign, "nested index aug assign", "index"),
    (rf.uses_out_keyword, "out keyword", "out="),
    (rf.sines_into, "sin out", "out="),
    (rf.uses_eval, "eval", "eval()"),
    (rf.uses_exec, "exec", "exec()"),
    (rf.uses_compile, "compile", "compile()"),
    (rf.uses_dunder_import, "dunder import", "__import__()"),
    (rf.uses_globals, "globals", "globals()"),
    (rf.uses_locals, "locals", "locals()"),
    (rf.uses_vars, "vars", "vars()"),
    (rf.uses_setattr, "setattr", "setattr()"),
    (rf.uses_delattr, "delattr", "delattr()"),
    (rf.uses_call_of_subscript, "call of subscript", "computed function"),
    (
        rf.uses_computed_call_in_unused_helper,
        "computed call unused",
        "computed function",
    ),
    (rf.uses_missing_argument, "missing argument", "missing argument 'k'"),
]


def _check_refusal(exc, func, path, marker, construct):
    text = str(exc)
    line = marker_line(marker, path)
    assert f"{path}:{line}" in text, text
    assert f"'{func.__name__}'" in text, text
    assert exc.construct and construct in exc.construct, exc.construct
    assert exc.construct in text, text
    assert "hint:" in text and exc.hint, text
    assert (exc.filename, exc.lineno, exc.function) == (path, line, func.__name__)


@pytest.mark.parametrize(
    "func, marker, construct",
    MORE_REFUSED,
    ids=[m.replace(" ", "_") for _, m, _ in MORE_REFUSED],
)
def test_more_refused_constructs(func, marker, construct):
    exc = raised_by(func)
    assert type(exc) is UnsupportedConstructError
    _check_refusal(exc, func, MORE_FIXTURES_FILE, marker, construct)


# calls made only for their effect on a differentiated value: refused when the
# gradient is built, never silently ignored (the backward sweep cannot see them)
IN_PLACE = [
    (rf.fills_in_place, "fill", ".fill()"),
    (rf.pops_unused, "pop unused", ".pop()"),
    (rf.inserts_in_place, "insert", ".insert()"),
    (rf.updates_dict_in_place, "update", ".update()"),
    (rf.shuffles_in_place, "shuffle", "np.random.shuffle"),
    (rf.copies_into, "copyto", "np.copyto"),
]


@pytest.mark.parametrize(
    "func, marker, construct", IN_PLACE, ids=[m for _, m, _ in IN_PLACE]
)
def test_calls_made_for_their_effect_are_refused(func, marker, construct):
    exc = raised_by(func)
    assert isinstance(exc, TangentError)
    assert type(exc) in (TangentError, UnsupportedConstructError)
    _check_refusal(exc, func, MORE_FIXTURES_FILE, marker, construct)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="except* is Python 3.11+")
def test_try_star_is_refused(tmp_path):
    source = textwrap.dedent(
        """\
        def uses_try_star(x):
            try:
                y = x * 2.0
            except* ValueError:
                y = x
            return y
        """
    )
    path = tmp_path / "try_star_module.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("try_star_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    exc = raised_by(module.uses_try_star)
    assert type(exc) is UnsupportedConstructError
    assert exc.construct == "try/except*"
    assert f"{path}:2" in str(exc) and exc.hint


def test_every_fence_refusal_is_in_the_catalogue():
    """Each construct the fence names is produced by some catalogue entry."""
    produced = set()
    for func, *_ in REFUSED + MORE_REFUSED:
        with pytest.raises(UnsupportedConstructError) as info:
            tangent.grad(func)
        produced.add(info.value.construct)
    produced.add("try/except*")  # test_try_star_is_refused (Python 3.11+)
    # async for/with and await parse only inside `async def`, which is refused
    # first (a nested one as "nested async function", a top-level one as "async def")
    only_in_async = {"async with", "async for", "await"}
    for construct, _hint in fence._REFUSED.values():
        if construct in only_in_async:
            continue
        assert construct in produced, construct
    for name in fence._DYNAMIC:
        assert any(f"call to {name}()" in c for c in produced), name


def test_the_first_refused_construct_in_the_source_is_reported():
    exc = raised_by(fx_two_refusals)
    assert exc.construct == "del statement", exc.construct


def fx_two_refusals(x):
    y = x * 2.0
    del y
    s = {x}  # noqa: F841
    with open(os.devnull):
        pass
    return x


# ----- outputs -----


def test_a_string_output_is_refused():
    with pytest.raises(NonScalarOutputError, match="str"):
        tangent.grad(rf.returns_a_string)(1.0)


# ----- arguments -----


def test_integer_arguments_get_float_gradients():
    """Documented choice (docs/conventions.md): an int argument is differentiated
    as the real number it equals; the gradient is a float (JAX refuses ints)."""
    g = tangent.grad(rf.square)(3)
    assert type(g) is float and g == pytest.approx(6.0)
    assert tangent.grad(rf.square)(np.int64(3)) == pytest.approx(6.0)
    x = np.array([1, -2, 3])
    g = tangent.grad(rf.cube_sum)(x)
    assert g.dtype == np.float64 and g.shape == (3,)
    fd = numerical_grad(rf.cube_sum, (x.astype(np.float64),), 0)
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    np.testing.assert_allclose(g, 3.0 * x.astype(np.float64) ** 2)


def test_integer_arguments_to_vjp():
    out, pullback = tangent.vjp(rf.square, 4)
    assert out == 16
    (g,) = pullback(1.0)
    assert g == pytest.approx(8.0)


def test_wrt_a_keyword_only_parameter():
    exc = raised_by(rf.keyword_only, wrt="k")
    assert type(exc) is BadWrtError
    assert "keyword-only parameter 'k'" in str(exc)
    assert "positional parameters: x" in str(exc) and exc.hint


def test_wrt_as_numpy_integer():
    g = tangent.grad(fx.two_args, wrt=np.int64(1))(2.0, 3.0)
    assert g == pytest.approx(2.0)


def test_positional_only_parameters_are_differentiated():
    df = tangent.grad(rf.positional_only, wrt=(0, 1))
    args = (1.5, -0.5)
    check_grads(rf.positional_only, args, (0, 1), df(*args))


def test_wrong_number_of_arguments_to_a_gradient_is_a_type_error():
    df = tangent.grad(fx.two_args)
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        df(1.0)


# ----- functions without source -----


def test_lambda_typed_at_a_repl():
    # a REPL compiles what is typed under "<stdin>": there is no file to read
    f = eval(compile("lambda x: x * 2.0", "<stdin>", "eval"))  # noqa: S307
    exc = raised_by(f)
    assert type(exc) is TangentError
    assert "'<lambda>'" in str(exc) and exc.hint


def test_function_made_from_a_code_object():
    code = compile("def g(x):\n    return x * 2.0\n", "<stdin>", "exec")
    inner = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    g = types.FunctionType(inner, {})
    exc = raised_by(g)
    assert type(exc) is TangentError
    assert "'g'" in str(exc) and "source" in str(exc) and exc.hint


@pytest.mark.parametrize("obj", [np.add.at, np.linalg.norm, abs, 3.0, object()])
def test_objects_that_are_not_user_functions(obj):
    exc = raised_by(obj)
    assert type(exc) is TangentError
    assert exc.hint


def test_source_edited_after_import(tmp_path):
    path = tmp_path / "edited_after_import.py"
    path.write_text("def f(x):\n    return x * 2.0\n")
    spec = importlib.util.spec_from_file_location("edited_after_import", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path.write_text("def f(x):\n    return x * 3.0 + 1.0\n")
    import linecache

    linecache.checkcache(str(path))
    exc = raised_by(module.f)
    assert type(exc) is TangentError
    assert "not the code that runs" in str(exc)
    assert f"{path}:1" in str(exc) and "reload" in exc.hint


# ----- vjp: primals and cotangents -----


def test_vjp_without_primals():
    with pytest.raises(BadArgumentsError) as info:
        tangent.vjp(rf.square)
    assert isinstance(info.value, TypeError)
    assert "'square'" in str(info.value) and "at least one primal" in str(info.value)
    assert info.value.hint


def test_vjp_with_too_many_primals():
    with pytest.raises(BadArgumentsError) as info:
        tangent.vjp(rf.square, 1.0, 2.0)
    assert "2 primals" in str(info.value) and "1 positional parameters" in str(
        info.value
    )


def test_vjp_with_too_few_primals():
    with pytest.raises(BadArgumentsError) as info:
        tangent.vjp(fx.two_args, 1.0)
    assert "'two_args'" in str(info.value) and "y" in str(info.value)


def test_vjp_primals_may_leave_defaults_out():
    out, pullback = tangent.vjp(rf.weighted, 1.5)
    assert out == pytest.approx(3.0)
    assert pullback(1.0)[0] == pytest.approx(2.0)


@pytest.mark.parametrize(
    "cotangent, words",
    [
        (np.ones(2), "shape (2,)"),
        (np.ones((3, 1)), "shape (3, 1)"),
        (1.0, "shape ()"),
        (None, "NoneType"),
        ("abc", "str"),
        (np.array(["a", "b", "c"]), "dtype <U1"),
    ],
    ids=["short", "extra-axis", "scalar", "none", "string", "string-array"],
)
def test_vjp_cotangent_of_the_wrong_shape(cotangent, words):
    out, pullback = tangent.vjp(rf.square, np.ones(3))
    with pytest.raises(ShapeMismatchError) as info:
        pullback(cotangent)
    exc = info.value
    assert isinstance(exc, ValueError) and isinstance(exc, TangentError)
    assert words in str(exc), str(exc)
    assert "'square'" in str(exc) and "(3,)" in str(exc) and exc.hint


def test_vjp_cotangent_structure_of_a_tuple_output():
    x = np.array([1.0, 2.0, 3.0])
    out, pullback = tangent.vjp(rf.two_outputs, x)
    with pytest.raises(ShapeMismatchError, match="tuple of 2"):
        pullback(np.ones(3))
    with pytest.raises(ShapeMismatchError, match=r"cotangent\[1\] has shape \(3,\)"):
        pullback((np.ones(3), np.ones(3)))
    (g,) = pullback((np.array([1.0, 0.0, 2.0]), 0.5))
    np.testing.assert_allclose(g, [2.5, 0.5, 4.5])


# ----- jvp (forward mode): tangents must match the primals -----
# tangent.jvp (tangent/forward.py) checks these today with plain ValueError and
# TypeError; the contract is a TangentError that names the function and its
# file:line and gives a hint, like vjp's: ShapeMismatchError (a ValueError) for
# tangents whose number, structure or shapes differ from the primals', and
# BadArgumentsError (a TypeError) for primals/tangents that are not tuples.
# The tests flip to passing when forward.py raises them.

needs_jvp = pytest.mark.skipif(
    not hasattr(tangent, "jvp"), reason="tangent.jvp is being built (forward mode)"
)


@needs_jvp
def test_jvp_tangent_of_the_wrong_shape():
    with pytest.raises(ShapeMismatchError) as info:
        tangent.jvp(rf.cube_sum, (np.ones(3),), (np.ones(2),))
    exc = info.value
    assert isinstance(exc, ValueError)
    assert "(2,)" in str(exc) and "(3,)" in str(exc) and "'cube_sum'" in str(exc)
    assert f"{MORE_FIXTURES_FILE}:" in str(exc) and exc.hint


@needs_jvp
def test_jvp_tangents_and_primals_differ_in_number():
    with pytest.raises(ShapeMismatchError) as info:
        tangent.jvp(fx.two_args, (1.0, 2.0), (1.0,))
    assert isinstance(info.value, ValueError)
    assert "'two_args'" in str(info.value) and info.value.hint


@needs_jvp
def test_jvp_primals_must_be_a_tuple():
    with pytest.raises(BadArgumentsError) as info:
        tangent.jvp(rf.square, 1.0, 1.0)
    assert "tuple" in str(info.value) and "'square'" in str(info.value)


@needs_jvp
def test_jvp_errors_are_clear_today():
    """What forward.py raises now: the right kind and the facts, if not yet the
    TangentError with a location."""
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        tangent.jvp(rf.cube_sum, (np.ones(3),), (np.ones(2),))
    with pytest.raises((TypeError, ValueError), match="tangent"):
        tangent.jvp(fx.two_args, (1.0, 2.0), (1.0,))


# ----- custom_vjp -----


def test_custom_vjp_without_a_backward():
    exc = raised_by(scaled_twice)
    assert "no backward" in str(exc) and "'scaled_twice'" in str(exc)
    assert "defvjp" in exc.hint


def test_custom_vjp_called_without_a_backward_when_differentiated():
    # refused where the gradient is made: its code calls the forward and backward
    exc = raised_by(fx_uses_undefined_custom)
    assert "no backward" in str(exc) and "'scaled_twice'" in str(exc)
    assert exc.function == "fx_uses_undefined_custom" and exc.lineno is not None
    assert "defvjp" in exc.hint


@tangent.custom_vjp
def scaled_twice(x):
    return x * 2.0


def fx_uses_undefined_custom(x):
    return scaled_twice(x) * 3.0


def test_defvjp_needs_functions():
    @tangent.custom_vjp
    def h(x):
        return x

    with pytest.raises(TangentError, match="backward given to defvjp"):
        h.defvjp(lambda x: (x, x), None)
    with pytest.raises(TangentError, match="forward given to defvjp"):
        h.defvjp(3.0, lambda r, g: (g,))


def _custom_with_backward(backward):
    @tangent.custom_vjp
    def twice(x):
        return x * 2.0

    twice.defvjp(lambda x: (twice(x), x), backward)
    return twice


def fx_calls_custom(x):
    return np.sum(CUSTOM_UNDER_TEST(x))


CUSTOM_UNDER_TEST = None


@pytest.mark.parametrize(
    "backward, words",
    [
        (lambda r, g: g * 2.0, "tuple of 1"),
        (lambda r, g: (g * 2.0, g), "tuple of 1"),
        (lambda r, g: (np.sum(g),), "shape ()"),
    ],
    ids=["not-a-tuple", "too-many", "wrong-shape"],
)
def test_custom_vjp_backward_results_are_checked(backward, words, monkeypatch):
    monkeypatch.setattr(
        sys.modules[__name__], "CUSTOM_UNDER_TEST", _custom_with_backward(backward)
    )
    df = tangent.grad(fx_calls_custom)
    with pytest.raises(TangentError) as info:
        df(np.ones(3))
    assert words in str(info.value), str(info.value)
    # the user's function whose gradient ran, and the backward by name
    assert info.value.function == "fx_calls_custom"
    assert "twice_bwd returned" in str(info.value)


def test_a_custom_vjp_function_itself_is_refused_with_a_hint():
    twice = _custom_with_backward(lambda r, g: (g * 2.0,))
    exc = raised_by(twice)
    assert "custom_vjp" in str(exc) and "calls it" in exc.hint


# ----- the seed of grad's output (dresult) -----

SEED_PENDING = pytest.mark.xfail(
    strict=True,
    reason="runtime.scalar_seed returns any seed as is: it should refuse a seed "
    "that is not one number with ShapeMismatchError (the lead owns runtime.py)",
)


def test_a_numeric_seed_scales_the_gradient():
    df = tangent.grad(rf.cube_sum)
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(df(x, 2.0), 6.0 * x**2)
    np.testing.assert_allclose(df(x, np.array([2.0])), 6.0 * x**2)


@SEED_PENDING
@pytest.mark.parametrize(
    "seed", [np.ones(3), np.ones(2), None, "a"], ids=["vector", "short", "none", "str"]
)
def test_a_seed_that_is_not_one_number_is_refused(seed):
    df = tangent.grad(rf.cube_sum)
    with pytest.raises(ShapeMismatchError) as info:
        df(np.ones(3), seed)
    assert "'cube_sum'" in str(info.value) and "dresult" in str(info.value)
    assert info.value.hint
