"""Showing what tangent builds: generated source and graphs.

`GraphView` wraps a `transforms.graph.Graph`: its `repr` is the deterministic
text form, `to_dot()` the Graphviz source, and in Jupyter it renders inline
as SVG when the `graphviz` package and the `dot` program are installed (the
text form otherwise).
"""

from __future__ import annotations

import shutil


class GraphView:
    def __init__(self, graph):
        self.graph = graph

    def text(self) -> str:
        return self.graph.text()

    def to_dot(self) -> str:
        return self.graph.to_dot()

    def nodes(self):
        return self.graph.nodes()

    def edges(self):
        return self.graph.edges()

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_svg_(self):
        if shutil.which("dot") is None:
            return None
        try:
            import graphviz
        except ImportError:
            return None
        return graphviz.Source(self.to_dot()).pipe(format="svg").decode("utf-8")
