"""The forward graph: operations as nodes, values as edges, control flow as regions.

Requires: a function in normal form (`normalize.normalize`), so every
assignment is one operation.

`build_graph(func, info)` returns a `Graph`. Each `Node` is one operation
(`add`, `numpy.sin`, `getitem`, ...) with its output variable and its
inputs; an input produced by an earlier node of the same region is an edge
from that node (`%3`), any other input is named (a parameter, a constant, or
a value flowing in from outside the region: loop-carried values enter a
loop region by name). Loops and branches are `Region`s that nest.

`Graph.text()` is deterministic (tests compare it) and `Graph.to_dot()` gives
Graphviz DOT with one cluster per region.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gast

from transforms.quoting import to_source

_OPS = {
    "Add": "add",
    "Sub": "sub",
    "Mult": "mul",
    "Div": "div",
    "FloorDiv": "floordiv",
    "Mod": "mod",
    "Pow": "pow",
    "MatMult": "matmul",
    "USub": "neg",
    "UAdd": "pos",
    "Not": "not",
    "Invert": "invert",
}


@dataclass
class Node:
    id: int
    op: str
    output: str | None
    inputs: list  # of int (node ids) or str (names / constants)
    line: int | None
    source: str = ""


@dataclass
class Region:
    kind: str  # function | for | while | if | else
    header: str
    items: list = field(default_factory=list)  # Nodes and Regions, in order
    line: int | None = None


@dataclass
class Graph:
    name: str
    params: list
    body: Region
    result: object = None

    def nodes(self):
        out = []

        def walk(region):
            for item in region.items:
                if isinstance(item, Node):
                    out.append(item)
                else:
                    walk(item)

        walk(self.body)
        return out

    def edges(self):
        """(producer id, consumer id) pairs: the values flowing between operations."""
        out = []
        for n in self.nodes():
            for i in n.inputs:
                if isinstance(i, int):
                    out.append((i, n.id))
                elif isinstance(i, str) and "{" in i:
                    for part in i[i.index("{") + 1 : -1].split(","):
                        if part.startswith("%"):
                            out.append((int(part[1:]), n.id))
        return out

    def text(self) -> str:
        lines = [f"graph {self.name}({', '.join(self.params)}):"]

        def show(value):
            return f"%{value}" if isinstance(value, int) else value

        def walk(region, indent):
            for item in region.items:
                pad = "  " * indent
                if isinstance(item, Node):
                    args = ", ".join(show(i) for i in item.inputs)
                    out = f"{item.output} = " if item.output else ""
                    where = f"  # line {item.line}" if item.line else ""
                    lines.append(f"{pad}%{item.id} {out}{item.op}({args}){where}")
                else:
                    lines.append(f"{pad}{item.header}:")
                    walk(item, indent + 1)

        walk(self.body, 1)
        lines.append(f"  return {show(self.result)}")
        return "\n".join(lines) + "\n"

    __str__ = text

    def to_dot(self) -> str:
        out = [f'digraph "{self.name}" {{', "  node [shape=box, fontname=monospace];"]
        for p in self.params:
            out.append(f'  "param_{p}" [label="{p}", shape=ellipse];')
        counter = [0]

        def label(text):
            return text.replace('"', '\\"')

        def walk(region, indent):
            pad = "  " * indent
            for item in region.items:
                if isinstance(item, Node):
                    text = f"{item.output} = {item.op}" if item.output else item.op
                    if item.line:
                        text += f"\\nline {item.line}"
                    out.append(f'{pad}n{item.id} [label="{label(text)}"];')
                else:
                    counter[0] += 1
                    out.append(f"{pad}subgraph cluster_{counter[0]} {{")
                    out.append(f'{pad}  label="{label(item.header)}"; style=rounded;')
                    walk(item, indent + 1)
                    out.append(f"{pad}}}")

        walk(self.body, 1)
        for producer, consumer in self.edges():
            out.append(f"  n{producer} -> n{consumer};")
        for node in self.nodes():
            for i in node.inputs:
                if isinstance(i, str) and i.split("{")[0] in self.params:
                    out.append(f'  "param_{i.split("{")[0]}" -> n{node.id};')
        out.append("}")
        return "\n".join(out) + "\n"


def _op_name(value, resolve) -> tuple[str, list]:
    """The operation name and the operand expressions of a normal-form value."""
    if isinstance(value, (gast.Name, gast.Constant)):
        return "copy", [value]
    if isinstance(value, gast.BinOp):
        return _OPS.get(type(value.op).__name__, "binop"), [value.left, value.right]
    if isinstance(value, gast.UnaryOp):
        return _OPS.get(type(value.op).__name__, "unary"), [value.operand]
    if isinstance(value, gast.Compare):
        return type(value.ops[0]).__name__.lower(), [value.left, *value.comparators]
    if isinstance(value, gast.Subscript):
        return "getitem", [value.value, value.slice]
    if isinstance(value, gast.Attribute):
        return f".{value.attr}", [value.value]
    if isinstance(value, gast.Tuple):
        return "tuple", list(value.elts)
    if isinstance(value, gast.List):
        return "list", list(value.elts)
    if isinstance(value, gast.Call):
        func = value.func
        args = list(value.args) + [k.value for k in value.keywords]
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name):
            obj = resolve(func)
            if obj is None:
                return f".{func.attr}", [func.value, *args]
        obj = resolve(func)
        if obj is not None:
            module = getattr(obj, "__module__", None) or ""
            if type(obj).__name__ == "ufunc":
                module = "numpy"
            qual = getattr(obj, "__name__", to_source(func))
            return (
                f"{module}.{qual}" if module and module != "builtins" else qual
            ), args
        return to_source(func), args
    return type(value).__name__, []


def build_graph(func, info, resolve=lambda expr: None) -> Graph:
    """The forward graph of a normalized function.

    Edges come from reaching definitions: an input produced by one operation is
    an edge from it (`%3`); a value that may come from several (a loop-carried
    value, a variable assigned in both branches) is named with all of them
    (`x{%1,%4}`); a parameter's incoming value is named plainly.
    """
    from transforms.analysis import PARAM, ReachingDefinitions

    counter = [0]
    reaching = ReachingDefinitions(func)
    node_of: dict[int, int] = {}  # statement id -> node id, in program order

    def number(stmts):
        for st in stmts:
            if isinstance(st, (gast.Assign, gast.Expr, gast.Break)):
                counter[0] += 1
                node_of[id(st)] = counter[0]
            for field_ in ("body", "orelse"):
                number(getattr(st, field_, None) or [])

    number(func.body)

    def operand(stmt, expr):
        """An input of `stmt`: the node producing it, or its name (with all
        producers when several definitions may reach it)."""
        if not isinstance(expr, gast.Name):
            return to_source(expr)
        sites = reaching.definitions(stmt, expr.id)
        nodes = sorted(node_of[d] for d in sites if d != PARAM and d in node_of)
        if len(nodes) == 1 and PARAM not in sites:
            return nodes[0]
        if nodes:
            sources = [f"%{n}" for n in nodes] + (["param"] if PARAM in sites else [])
            return f"{expr.id}{{{','.join(sources)}}}"
        return expr.id

    def node(stmt, op, output, operands):
        line = getattr(stmt, "lineno", None)
        inputs = [operand(stmt, e) for e in operands]
        return Node(node_of[id(stmt)], op, output, inputs, line, info.line(line))

    def region(stmts, kind, header, line):
        reg = Region(kind, header, line=line)
        for s in stmts:
            line_s = getattr(s, "lineno", None)
            if isinstance(s, gast.Assign):
                target = s.targets[0]
                op, operands = _op_name(s.value, resolve)
                if isinstance(target, gast.Subscript):
                    op, operands = "setitem", [target.value, target.slice, s.value]
                reg.items.append(node(s, op, to_source(target), operands))
            elif isinstance(s, gast.Expr):
                op, operands = _op_name(s.value, resolve)
                reg.items.append(node(s, op, None, operands))
            elif isinstance(s, gast.Break):
                reg.items.append(node(s, "break", None, []))
            elif isinstance(s, gast.If):
                test = operand(s, s.test)
                test_text = f"%{test}" if isinstance(test, int) else test
                reg.items.append(region(s.body, "if", f"if {test_text}", line_s))
                if s.orelse:
                    reg.items.append(region(s.orelse, "else", "else", line_s))
            elif isinstance(s, gast.For):
                head = f"for {to_source(s.target)} in {to_source(s.iter)}"
                reg.items.append(region(s.body, "for", head, line_s))
            elif isinstance(s, gast.While):
                reg.items.append(
                    region(s.body, "while", f"while {to_source(s.test)}", line_s)
                )
            elif isinstance(s, gast.Return):
                reg.result = operand(s, s.value)
        return reg

    body = region(func.body, "function", func.name, func.lineno)
    params = [a.id for a in func.args.args]
    return Graph(func.name, params, body, getattr(body, "result", None))
