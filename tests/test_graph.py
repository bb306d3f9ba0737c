"""The forward graph: operations as nodes, values as edges, control flow as regions."""

import textwrap

import numpy as np

import tangent


def recurrence(x, a):
    for i in range(3):  # noqa: B007 (written as a user writes it)
        x = x * 0.99 + np.sin(x) * a
    return x


def branchy(x):
    if x > 0:
        y = np.exp(x)
    else:
        y = -x
    return y * 2.0


def test_text_form_is_exact_and_deterministic():
    expected = textwrap.dedent(
        """\
        graph recurrence(x, a):
          for i in range(3):
            %1 x_mul = mul(x{%4,param}, 0.99)  # line 12
            %2 sin_x = numpy.sin(x{%4,param})  # line 12
            %3 sin_x_mul_a = mul(%2, a)  # line 12
            %4 x = add(%1, %3)  # line 12
          %5 result = copy(x{%4,param})  # line 13
          return %5
        """
    )
    assert tangent.graph(recurrence).text() == expected
    assert tangent.graph(recurrence).text() == tangent.graph(recurrence).text()


def test_edges_follow_reaching_definitions():
    graph = tangent.graph(recurrence)
    edges = set(graph.edges())
    # the loop-carried x flows from the addition back into the loop body
    assert (4, 1) in edges and (4, 2) in edges
    assert (2, 3) in edges and (1, 4) in edges and (3, 4) in edges
    assert (4, 5) in edges


def test_branches_are_regions_and_join_their_values():
    text = tangent.graph(branchy).text()
    assert "  if %1:\n" in text
    assert "  else:\n" in text
    # y comes from either branch
    assert "mul(y{%2,%3}, 2.0)" in text


def test_dot_has_a_cluster_per_region_and_parameter_nodes():
    dot = tangent.graph(branchy).to_dot()
    assert dot.startswith('digraph "branchy" {')
    assert dot.count("subgraph cluster_") == 2
    assert '"param_x"' in dot
    assert "n2 -> n4;" in dot and "n3 -> n4;" in dot
