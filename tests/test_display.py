"""Pictures and source display: graph DOT/SVG, show() in a terminal and a notebook."""

import html
import inspect
import re
import sys
import textwrap
import types

import numpy as np
import pytest

import tangent
from tangent import display


def loop_and_branch(x, a):
    for i in range(3):  # noqa: B007 (written as a user writes it)
        if x > 0:
            x = x * 0.99 + np.sin(x) * a
        else:
            x = x - a
    return x


def dot_labels(dot):
    """Node id -> its label lines (DOT `\\l` line breaks)."""
    labels = {}
    for m in re.finditer(r'^\s*(n\d+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M):
        labels[m.group(1)] = m.group(2).replace('\\"', '"').split("\\l")[:-1]
    return labels


def test_forward_graph_labels_name_the_operation_and_the_source_line():
    view = tangent.graph(loop_and_branch)
    labels = dot_labels(view.to_dot())
    first = loop_and_branch.__code__.co_firstlineno
    body_line = first + 3
    sin_nodes = [lines for lines in labels.values() if lines[0] == "sin_x = numpy.sin"]
    assert sin_nodes == [
        ["sin_x = numpy.sin", f"line {body_line}: x = x * 0.99 + np.sin(x) * a"]
    ]
    # one node per operation of the text form
    assert len(labels) == len(view.nodes())


def test_regions_are_clusters_labelled_with_their_header():
    dot = tangent.graph(loop_and_branch).to_dot()
    clusters = re.findall(r'subgraph cluster_\d+ \{\n\s*label="([^"]*)"', dot)
    assert [c.split("   ")[0] for c in clusters] == [
        "for i in range(3)",
        "if cond",
        "else",
    ]
    assert dot.count("{") == dot.count("}")


def test_every_edge_of_the_graph_is_drawn_once():
    view = tangent.graph(loop_and_branch)
    dot = view.to_dot()
    drawn = re.findall(r"^\s*n(\d+) -> n(\d+)", dot, re.M)
    assert sorted({(int(a), int(b)) for a, b in drawn}) == sorted(set(view.edges()))
    assert len(drawn) == len(set(drawn))
    # loop-carried values (from a later operation back to an earlier one) are dashed
    for a, b in drawn:
        line = re.search(rf"^\s*n{a} -> n{b}.*$", dot, re.M).group(0)
        assert ("dashed" in line) == (int(a) >= int(b)), line


def test_gradient_graph_shades_the_backward_sweep_and_names_primal_lines():
    df = tangent.grad(loop_and_branch, wrt=(0, 1))
    view = tangent.graph(df)
    dot = view.to_dot()
    labels = dot_labels(dot)
    source = tangent.source(df).splitlines()
    backward_from = next(i for i, s in enumerate(source) if "scalar_seed" in s)
    first = min(n.line for n in view.nodes())  # the line after `def`
    for node in view.nodes():
        attrs = re.search(rf"^\s*n{node.id} \[.*$", dot, re.M).group(0)
        in_backward = node.line - first + 1 >= backward_from
        assert (display._BACKWARD_FILL in attrs) == in_backward, attrs
    grad_of = {lines[-1] for lines in labels.values() if lines[-1].startswith("grad")}
    assert grad_of == {
        "grad of: return x",
        "grad of: x = x * 0.99 + np.sin(x) * a",
        "grad of: x = x - a",
    }


def test_svg_picture_or_text_fallback():
    view = tangent.graph(loop_and_branch)
    svg = view._repr_svg_()
    if display.dot_available():
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
        text = html.unescape(svg)
        assert "for i in range(3)" in text
        assert "sin_x = numpy.sin" in text
    else:
        assert svg is None  # Jupyter shows the text form
        assert repr(view) == view.text()


def test_without_dot_the_picture_falls_back_to_dot_text(monkeypatch, tmp_path):
    monkeypatch.setattr(display.shutil, "which", lambda name: None)
    view = tangent.graph(loop_and_branch)
    assert view._repr_svg_() is None
    assert repr(view).startswith("graph loop_and_branch(x, a):")
    assert view.save(tmp_path / "g.svg") == "dot"
    assert (tmp_path / "g.svg").read_text() == view.to_dot()
    with pytest.raises(display.GraphvizNotFound, match="apt-get install graphviz"):
        view.svg()


def test_save_by_suffix(tmp_path):
    view = tangent.graph(loop_and_branch)
    assert view.save(tmp_path / "g.dot") == "dot"
    assert (tmp_path / "g.dot").read_text() == view.to_dot()
    if display.dot_available():
        assert view.save(tmp_path / "g.png") == "png"
        assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_show_prints_plain_source_in_a_terminal(capsys):
    df = tangent.grad(loop_and_branch)
    tangent.show(df)
    assert capsys.readouterr().out == tangent.source(df)


def test_show_beside_the_primal_in_a_terminal(capsys):
    df = tangent.grad(loop_and_branch)
    tangent.show(df, primal=True)
    rows = capsys.readouterr().out.splitlines()
    generated = tangent.source(df).splitlines()
    assert len(rows) == max(len(generated), 7)
    assert rows[0].startswith("def loop_and_branch(x, a):")
    assert rows[0].endswith("|  " + generated[0])
    right = [r.split("  |  ", 1)[1] if "  |  " in r else "" for r in rows]
    assert right == generated


def test_show_highlights_html_in_a_notebook(monkeypatch):
    shown = []
    fake_display = types.ModuleType("IPython.display")
    fake_display.display = lambda bundle, raw=False: shown.append((bundle, raw))
    monkeypatch.setitem(sys.modules, "IPython.display", fake_display)
    monkeypatch.setattr(display, "in_notebook", lambda: True)
    df = tangent.grad(loop_and_branch)
    tangent.show(df)
    tangent.show(df, primal=True)
    assert [raw for _, raw in shown] == [True, True]
    # text for viewers without HTML: the code itself, not an object's repr
    assert shown[0][0]["text/plain"] == tangent.source(df)
    primal_text = textwrap.dedent(inspect.getsource(loop_and_branch))
    assert shown[1][0]["text/plain"] == display.side_by_side(
        primal_text, tangent.source(df)
    )
    single, both = shown[0][0]["text/html"], shown[1][0]["text/html"]
    # Pygments colours keywords: `def` and `for` are in styled spans
    assert re.search(r"<span style=\"[^\"]+\">def</span>", single)
    assert (
        html.unescape(re.sub(r"<[^>]+>", "", single)).strip()
        == tangent.source(df).strip()
    )
    assert (
        "<table>" in both and "loop_and_branch" in both and "dloop_and_branch" in both
    )


def test_show_primal_needs_a_generated_function():
    with pytest.raises(ValueError, match="generated by tangent"):
        tangent.show(loop_and_branch, primal=True)


def test_in_notebook_is_false_here():
    assert display.in_notebook() is False


def test_gradient_source_stages_print_comments_as_comments():
    unoptimized = tangent.gradient_source(loop_and_branch, stage="unoptimized")
    assert "# Grad of: x = x - a" in unoptimized
    assert "'Grad of" not in unoptimized
    compile(unoptimized, "<unoptimized>", "exec")
    normalized = tangent.gradient_source(loop_and_branch, stage="normalized")
    assert normalized.startswith("def loop_and_branch(x, a):")
    compile(normalized, "<normalized>", "exec")
    optimized = tangent.gradient_source(loop_and_branch, stage="optimized")
    assert optimized == tangent.source(tangent.grad(loop_and_branch))
    # optimization shortens the code
    assert len(optimized.splitlines()) < len(unoptimized.splitlines())


def test_gradient_source_refuses_an_unknown_stage():
    with pytest.raises(ValueError, match="normalized, unoptimized, optimized"):
        tangent.gradient_source(loop_and_branch, stage="raw")
