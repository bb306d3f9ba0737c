"""Where functions come from: files, notebook cells, generated code, closures."""

import linecache

import numpy as np
import pytest
from oracle import check_grads

import tangent


def _define_in_cell(source, name, filename="<ipython-input-7-cafe>"):
    """Define a function the way IPython runs a cell: the cell's text lives in
    linecache under a pseudo-filename, and the code is compiled under it."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name]


def test_function_defined_in_a_notebook_cell():
    cell = (
        "import numpy as np\n"
        "\n"
        "def cell_loss(w, x):\n"
        "    h = np.tanh(x * w)\n"
        "    return np.sum(h ** 2)\n"
    )
    f = _define_in_cell(cell, "cell_loss")
    df = tangent.grad(f)
    w, x = np.array([0.3, -0.2]), np.array([1.5, 2.0])
    check_grads(f, (w, x), (0,), df(w, x))
    assert "def dcell_loss(w, x, dresult=1.0):" in tangent.source(df)


def test_cell_redefinition_gives_a_new_gradient():
    f1 = _define_in_cell("def g(x):\n    return x * x\n", "g", "<ipython-input-8-a>")
    f2 = _define_in_cell(
        "def g(x):\n    return x * x * x\n", "g", "<ipython-input-9-b>"
    )
    assert tangent.grad(f1)(2.0) == pytest.approx(4.0)
    assert tangent.grad(f2)(2.0) == pytest.approx(12.0)


def test_nested_helper_defined_in_an_enclosing_function():
    def make(scale):
        def helper(t):
            return np.sin(t) * scale

        def f(x):
            return helper(x) + x * x

        return f

    f = make(3.0)
    df = tangent.grad(f)
    check_grads(f, (0.4,), (0,), df(0.4))


def test_closure_value_changes_are_seen():
    def make():
        k = [2.0]

        def f(x):
            return x * k[0]

        return f, k

    f, k = make()
    df = tangent.grad(f)
    assert df(1.0) == pytest.approx(2.0)
    k[0] = 5.0
    assert df(1.0) == pytest.approx(5.0)


def test_generated_gradient_has_source_and_graph():
    def f(x):
        return np.sum(np.exp(x))

    df = tangent.grad(f)
    graph = tangent.graph(df)
    text = graph.text()
    assert text.startswith("graph df(x, dresult):")
    assert "numpy.exp" in text
    assert "digraph" in graph.to_dot()


def test_a_comment_first_in_a_body_prints_as_a_comment_not_a_docstring():
    import gast

    from transforms import anno, codegen

    def commented(text):
        stmt = gast.Pass()
        anno.setanno(stmt, anno.COMMENT, text)
        return stmt

    tree = gast.parse(
        "def df(x):\n    y = x\n    def inner(z):\n        return z\n    return y\n"
    ).body[0]
    inner = tree.body[1]
    inner.body[0:0] = [commented("Grad of: s = \"a\" + 'b'")]
    tree.body[0:0] = [commented("first line")]
    text = codegen.to_source(tree)
    assert text == (
        "def df(x):\n"
        "    # first line\n"
        "    y = x\n"
        "\n"
        "    def inner(z):\n"
        "        # Grad of: s = \"a\" + 'b'\n"
        "        return z\n"
        "    return y\n"
    )
