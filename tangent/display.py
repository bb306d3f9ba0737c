"""Showing what tangent builds: generated source and graph pictures.

`GraphView` wraps a `transforms.graph.Graph` (what `tangent.graph(f)`
returns). Its `repr` is the graph's deterministic text form; `to_dot()` gives
Graphviz DOT in which every node is labelled with its operation and the source
line it comes from, loops and branches are drawn as clusters, and, in the
graph of a generated gradient, the backward sweep is shaded and each of its
nodes names the primal line it differentiates. In Jupyter the view renders
inline as SVG when the `dot` program is installed, and as the text form
otherwise.

>>> import numpy as np, tangent
>>> def f(x):
...     return np.sin(x) * x
>>> view = tangent.graph(f)
>>> print(view, end="")  # doctest: +ELLIPSIS
graph f(x):
  %1 sin_x = numpy.sin(x)  # line 2
  ...
>>> view.to_dot().splitlines()[0]
'digraph "f" {'
>>> df_view = tangent.graph(tangent.grad(f))  # the backward sweep is shaded
>>> "grad of: return np.sin(x) * x" in df_view.to_dot()
True

`show_source` prints generated source in a terminal and highlights it with
Pygments in a notebook, optionally beside the primal function's source.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys

__all__ = [
    "GraphView",
    "GraphvizNotFound",
    "dot_available",
    "highlight_html",
    "in_notebook",
    "markers_to_comments",
    "show_source",
    "side_by_side",
]


class GraphvizNotFound(RuntimeError):
    """The Graphviz `dot` program, needed for SVG pictures, is not installed."""


def dot_available() -> bool:
    """Whether the Graphviz `dot` program is on the PATH."""
    return shutil.which("dot") is not None


# ----- graph pictures -----

_REGION_STYLE = {
    "for": "#e8f0fb",
    "while": "#e8f0fb",
    "if": "#e9f6e9",
    "else": "#fbf1e3",
}
_FORWARD_FILL = "#ffffff"
_BACKWARD_FILL = "#fde3dc"
_LABEL_WIDTH = 44
_GRAD_OF = re.compile(r"^\s*# Grad of: (.*)$")
# helpers that generated code calls are labelled by their plain names
_HELPER_MODULES = ("tangent.runtime.", "tangent.rules.rule_helpers.")
_NODE_REF = re.compile(r"%(\d+)")


def _dot_string(text: str) -> str:
    """`text` as the inside of a double-quoted DOT string."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _shorten(text: str, width: int = _LABEL_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


class GraphView:
    """The forward graph of a function (or of a generated gradient).

    `text()` is the deterministic text form (also the `repr`), `to_dot()` the
    Graphviz source, `svg()` the picture, `save(path)` writes either. `nodes()`
    and `edges()` give the operations and the values flowing between them.
    """

    def __init__(self, graph, info=None, seed=None):
        self.graph = graph
        self.info = info  # transforms.parsing.SourceInfo of the function drawn
        self.seed = seed  # the seed's name when drawing a generated gradient
        self._sweeps = self._backward_lines() if seed is not None else {}

    # -- the data --

    def text(self) -> str:
        return self.graph.text()

    def nodes(self):
        return self.graph.nodes()

    def edges(self):
        return self.graph.edges()

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    # -- which lines of a generated gradient are its backward sweep --

    def _backward_lines(self) -> dict:
        """Line number -> the primal line it differentiates ("" when none is named),
        for every line of the backward sweep of a generated gradient."""
        info = self.info
        if info is None:
            return {}
        lines = list(info.lines)
        seed_start = re.compile(rf"^\s*{re.escape(self.seed)} = scalar_seed\(")
        start = None
        for i, line in enumerate(lines):
            if seed_start.match(line) or _GRAD_OF.match(line):
                start = i
                break
        if start is None:
            return {}
        out = {}
        comments: dict[int, str] = {}  # indentation -> the open "Grad of" comment
        for i in range(start, len(lines)):
            line = lines[i]
            if not line.strip():
                continue
            indent = _indent(line)
            for k in [k for k in comments if k > indent]:
                del comments[k]
            match = _GRAD_OF.match(line)
            if match:
                comments[indent] = match.group(1)
                continue
            if line.rstrip().endswith(":") or line.lstrip().startswith("return "):
                comments.pop(indent, None)  # a loop, a branch or the return ends it
            open_ = [k for k in comments if k <= indent]
            out[info.first_line + i] = comments[max(open_)] if open_ else ""
        return out

    # -- DOT --

    def _node_label(self, node) -> str:
        op = node.op
        for prefix in _HELPER_MODULES:
            if op.startswith(prefix):
                op = op[len(prefix) :]
        head = f"{node.output} = {op}" if node.output else op
        parts = [head]
        if node.line:
            where = f"line {node.line}"
            if node.source:
                where += f": {_shorten(node.source)}"
            parts.append(where)
        grad_of = self._sweeps.get(node.line)
        if grad_of:
            parts.append(f"grad of: {_shorten(grad_of)}")
        return "".join(_dot_string(p) + "\\l" for p in parts)

    def to_dot(self) -> str:
        """Graphviz DOT: operations as boxes labelled with their source line,
        values as edges (loop-carried ones dashed), loops and branches as
        clusters; the backward sweep of a gradient is shaded."""
        g = self.graph
        out = [
            f'digraph "{_dot_string(g.name)}" {{',
            '  graph [fontname="Helvetica", fontsize=11, rankdir=TB, nodesep=0.3];',
            '  node [shape=box, style="rounded,filled", fillcolor="#ffffff",'
            ' fontname="Courier", fontsize=10];',
            '  edge [color="#555555", arrowsize=0.7];',
        ]
        for p in g.params:
            out.append(
                f'  "param_{_dot_string(p)}" [label="{_dot_string(p)}", '
                'shape=ellipse, fillcolor="#fff7c9"];'
            )
        counter = [0]
        outputs = {n.id: n.output for n in g.nodes() if n.output}

        def value_name(match):  # `if %3` reads better as `if cond`
            return outputs.get(int(match.group(1)), match.group(0))

        def walk(region, depth):
            pad = "  " * depth
            for item in region.items:
                if hasattr(item, "items"):  # a Region
                    counter[0] += 1
                    fill = _REGION_STYLE.get(item.kind, "#f2f2f2")
                    header = _NODE_REF.sub(value_name, item.header)
                    if item.line:
                        header += f"   (line {item.line})"
                    out.append(f"{pad}subgraph cluster_{counter[0]} {{")
                    out.append(
                        f'{pad}  label="{_dot_string(header)}"; labeljust=l; '
                        f'style="rounded,filled"; fillcolor="{fill}"; color="#999999";'
                    )
                    walk(item, depth + 1)
                    out.append(f"{pad}}}")
                else:
                    fill = (
                        _BACKWARD_FILL if item.line in self._sweeps else _FORWARD_FILL
                    )
                    attrs = f'label="{self._node_label(item)}"'
                    if fill != _FORWARD_FILL:
                        attrs += f', fillcolor="{fill}"'
                    out.append(f"{pad}n{item.id} [{attrs}];")

        walk(g.body, 1)
        if isinstance(g.result, int):
            out.append(
                '  "return" [label="return", shape=ellipse, fillcolor="#fff7c9"];'
            )
        seen = set()
        for producer, consumer in g.edges():
            if (producer, consumer) in seen:
                continue
            seen.add((producer, consumer))
            style = " [style=dashed, constraint=false]" if producer >= consumer else ""
            out.append(f"  n{producer} -> n{consumer}{style};")
        params = set(g.params)
        for node in g.nodes():
            for i in node.inputs:
                name = i.split("{")[0] if isinstance(i, str) else None
                if name in params and (name, node.id) not in seen:
                    seen.add((name, node.id))
                    out.append(f'  "param_{_dot_string(name)}" -> n{node.id};')
        if isinstance(g.result, int):
            out.append(f'  n{g.result} -> "return";')
        out.append("}")
        return "\n".join(out) + "\n"

    # -- pictures --

    def svg(self) -> str:
        """The picture as SVG text (needs Graphviz's `dot` program)."""
        return render_dot(self.to_dot(), "svg").decode("utf-8")

    def _repr_svg_(self):
        if not dot_available():
            return None  # Jupyter falls back to the text form
        try:
            return self.svg()
        except (GraphvizNotFound, RuntimeError, OSError):
            return None

    def save(self, path) -> str:
        """Write the picture to `path`: SVG or PNG by its suffix, DOT text for
        `.dot`/`.gv`, or when `dot` is missing. Returns the format written."""
        path = os.fspath(path)
        suffix = os.path.splitext(path)[1].lower().lstrip(".")
        if suffix in ("dot", "gv") or not dot_available():
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(self.to_dot())
            return "dot"
        fmt = suffix if suffix in ("svg", "png", "pdf") else "svg"
        with open(path, "wb") as fh:
            fh.write(render_dot(self.to_dot(), fmt))
        return fmt


def render_dot(dot: str, fmt: str = "svg") -> bytes:
    """Run Graphviz on DOT text (through the `graphviz` package when installed)."""
    if not dot_available():
        raise GraphvizNotFound(
            "Graphviz's `dot` program is not installed "
            "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz)"
        )
    try:
        import graphviz
    except ImportError:
        graphviz = None
    if graphviz is not None:
        return graphviz.Source(dot).pipe(format=fmt)
    done = subprocess.run(
        ["dot", f"-T{fmt}"], input=dot.encode("utf-8"), capture_output=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode("utf-8", "replace").strip())
    return done.stdout


# ----- source -----

_MARKER = re.compile(r"^(\s*)(['\"])((?:Grad of: |The backward sweep).*)\2\s*$")


def markers_to_comments(text: str) -> str:
    """Comment markers left as string statements (in the intermediate stages of
    the pipeline) printed as the `# ...` comments of the final source.

    >>> from tangent.display import markers_to_comments
    >>> print(markers_to_comments("    'Grad of: y = x * 2'\\n    dx = dy * 2\\n"))
        # Grad of: y = x * 2
        dx = dy * 2
    <BLANKLINE>
    """
    out = []
    for line in text.splitlines():
        m = _MARKER.match(line)
        out.append(f"{m.group(1)}# {m.group(3)}" if m else line)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def in_notebook() -> bool:
    """Whether the code runs in a Jupyter kernel (not a terminal IPython)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except AttributeError:
        return False
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def highlight_html(text: str) -> str:
    """Python source as HTML with inline colours (Pygments; plain `<pre>` without it).

    >>> from tangent.display import highlight_html
    >>> highlight_html("x = 1")[:4]
    '<div'
    """
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return f"<div><pre>{html.escape(text)}</pre></div>"
    formatter = HtmlFormatter(noclasses=True, style="default", nobackground=True)
    return highlight(text, PythonLexer(), formatter)


def side_by_side(left: str, right: str, gap: str = "  |  ") -> str:
    """Two texts in columns, for a terminal.

    >>> from tangent.display import side_by_side
    >>> print(side_by_side("a\\nbb", "c"))
    a   |  c
    bb  |
    <BLANKLINE>
    """
    a, b = left.splitlines(), right.splitlines()
    width = max((len(x) for x in a), default=0)
    rows = []
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else ""
        y = b[i] if i < len(b) else ""
        rows.append((x.ljust(width) + gap + y).rstrip())
    return "\n".join(rows) + "\n"


def show_source(text: str, primal: str | None = None, titles=("primal", "generated")):
    """Print `text` (beside `primal` when given) in a terminal; highlighted HTML
    in a notebook."""
    if in_notebook():
        from IPython.display import display

        # the highlighted HTML, and the plain text for viewers without HTML
        # (a saved notebook's text/plain then holds the code, not a repr)
        if primal is None:
            bundle = {"text/html": highlight_html(text), "text/plain": text}
        else:
            cell = '<td style="vertical-align:top;text-align:left;padding-right:2em">'
            head = '<th style="text-align:left">'
            bundle = {
                "text/html": "<table><tr>"
                f"{head}{html.escape(titles[0])}</th>"
                f"{head}{html.escape(titles[1])}</th>"
                f"</tr><tr>{cell}{highlight_html(primal)}</td>"
                f"{cell}{highlight_html(text)}</td></tr></table>",
                "text/plain": side_by_side(primal, text),
            }
        display(bundle, raw=True)
        return
    if primal is None:
        sys.stdout.write(text)
    else:
        sys.stdout.write(side_by_side(primal, text))
