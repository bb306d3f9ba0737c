"""Unit tests of `transforms.templates.Template`: binding and filling rules.

The templates below are real module-level functions (the class reads their
source), written the way rule files write them.
"""

# ruff: noqa: F841

import gast
import numpy as np
import pytest

from tangent import TangentError
from tangent.rules import d
from transforms.errors import TemplateError
from transforms.quoting import assign, const, name, to_source
from transforms.templates import Template

# ----- templates -----


def mul(z, x, y):
    d[x] = d[z] * y
    d[y] = d[z] * x


def sin_rule(y, x):
    """A docstring is not part of the body."""
    cos_x = np.cos(x)
    d[x] = d[y] * cos_x


def sum_rule(y, x, axis=None, keepdims=False):
    d[x] = broadcast_back(d[y], x, axis, keepdims)  # noqa: F821


def index_rule(y, x, i):
    d[x] = add_at(d[x], x, i, d[y])  # noqa: F821


def branching(y, x):
    if x > 0:
        d[x] = d[y]
    else:
        d[x] = -d[y]


def stack_rule(y, *xs):
    g = d[y]


def bad_target(y, x):
    d[0] = d[y]


def two_temps(y, x):
    a = x * 2
    b = a + y
    d[x] = d[y] * b


# ----- helpers -----


def atom(v):
    return name(v) if isinstance(v, str) else const(v)


def accumulate(target, value):
    return assign(target, gast.BinOp(left=name(target), op=gast.Add(), right=value))


def fill(template, result, args, adjoints, keywords=None, fresh=None):
    """Bind `result` and `args` (names or constants) and fill the template.

    adjoints: variable -> its adjoint name; variables not listed have none.
    """
    bound = template.bind(
        name(result),
        [atom(a) for a in args],
        {k: atom(v) for k, v in (keywords or {}).items()},
    )

    def adjoint(param):
        value = name(result) if param == template.params[0] else bound.get(param)
        if isinstance(value, gast.Name):
            return adjoints.get(value.id)
        return None

    stmts = template.fill(bound, adjoint, accumulate, fresh or (lambda n: f"{n}_1"))
    return to_source(stmts)


ALL = {"r": "dr", "a": "da", "b": "db", "v": "dv"}


# ----- filling -----


def test_fill_binds_result_and_arguments():
    assert (
        fill(Template(mul), "r", ["a", "b"], ALL)
        == "da = da + dr * b\ndb = db + dr * a"
    )


def test_fill_drops_update_of_argument_without_adjoint():
    assert (
        fill(Template(mul), "r", ["a", "b"], {"r": "dr", "a": "da"})
        == "da = da + dr * b"
    )


def test_fill_drops_update_of_constant_argument():
    assert fill(Template(mul), "r", ["a", 3.0], ALL) == "da = da + dr * 3.0"


def test_fill_drops_statements_reading_a_missing_adjoint():
    assert fill(Template(mul), "r", ["a", "b"], {"a": "da", "b": "db"}) == ""


def test_fill_renames_template_temporaries():
    out = fill(Template(sin_rule), "r", ["a"], ALL, fresh=lambda n: f"{n}_t")
    assert out == "cos_x_t = np.cos(a)\nda = da + dr * cos_x_t"


def test_fill_renames_every_temporary_consistently():
    out = fill(Template(two_temps), "r", ["v"], ALL, fresh=lambda n: f"tmp_{n}")
    assert out == "tmp_a = v * 2\ntmp_b = tmp_a + r\ndv = dv + dr * tmp_b"


def test_fill_skips_the_docstring():
    out = fill(Template(sin_rule), "r", ["a"], ALL)
    assert "docstring" not in out


def test_fill_uses_defaults_and_keywords():
    template = Template(sum_rule)
    out = fill(template, "r", ["a"], ALL)
    assert out == "da = da + broadcast_back(dr, a, None, False)"
    out = fill(template, "r", ["a"], ALL, keywords={"axis": 0, "keepdims": True})
    assert out == "da = da + broadcast_back(dr, a, 0, True)"
    out = fill(template, "r", ["a", 1], ALL)
    assert out == "da = da + broadcast_back(dr, a, 1, False)"


def test_full_update_form_assigns_instead_of_accumulating():
    out = fill(Template(index_rule), "r", ["a", "b"], ALL)
    assert out == "da = add_at(da, a, b, dr)"
    (stmt,) = gast.parse(out).body
    assert isinstance(stmt, gast.Assign)


def test_full_update_dropped_without_adjoint():
    assert fill(Template(index_rule), "r", ["a", "b"], {"r": "dr"}) == ""


def test_fill_inside_branches():
    out = fill(Template(branching), "r", ["a"], ALL)
    assert out == "if a > 0:\n    da = da + dr\nelse:\n    da = da + -dr"


def test_fill_branch_without_adjoint_keeps_valid_structure():
    stmts_text = fill(Template(branching), "r", ["a"], {"a": "da"})
    compile(stmts_text or "pass", "<t>", "exec")
    assert "da = da +" not in stmts_text


def test_fill_vararg_binds_a_tuple():
    assert fill(Template(stack_rule), "r", ["a", "b"], ALL) == "g_1 = dr"
    template = Template(stack_rule)
    bound = template.bind(name("r"), [name("a"), name("b")], {})
    assert to_source(bound["xs"]) == "(a, b)"


def test_fill_does_not_change_the_template():
    template = Template(mul)
    first = fill(template, "r", ["a", "b"], ALL)
    fill(template, "s", ["v", 2.0], {"s": "ds", "v": "dv"})
    assert fill(template, "r", ["a", "b"], ALL) == first


def test_filled_statements_share_no_nodes():
    template = Template(mul)
    bound = template.bind(name("r"), [name("a"), name("a")], {})
    stmts = template.fill(
        bound, lambda p: {"z": "dr", "x": "da", "y": "da"}[p], accumulate, str
    )
    nodes = [id(n) for s in stmts for n in gast.walk(s)]
    assert len(nodes) == len(set(nodes))


def test_template_parameters():
    template = Template(sum_rule)
    assert template.params == ["y", "x", "axis", "keepdims"]
    assert set(template.defaults) == {"axis", "keepdims"}
    assert Template(two_temps).locals == ["a", "b"]


# ----- errors -----


def test_bind_unknown_keyword_raises():
    with pytest.raises(TemplateError, match="no parameter 'axes'"):
        Template(sum_rule).bind(name("r"), [name("a")], {"axes": const(0)})


def test_bind_too_many_arguments_raises():
    with pytest.raises(TemplateError, match="sin_rule"):
        Template(sin_rule).bind(name("r"), [name("a"), name("b")], {})


def test_bind_missing_required_parameter_raises():
    with pytest.raises(TemplateError, match="needs a value for 'y'"):
        Template(mul).bind(name("r"), [name("a")], {})


def test_d_of_a_non_parameter_raises():
    template = Template(bad_target)
    bound = template.bind(name("r"), [name("a")], {})
    with pytest.raises(TemplateError, match="bad_target"):
        template.fill(bound, lambda p: "dr", accumulate, str)


def test_template_error_is_a_tangent_error():
    assert issubclass(TemplateError, TangentError)
