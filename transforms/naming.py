"""Readable, unique, deterministic names for generated code.

Conventions (documented for users in the README):
- the adjoint of `x` is `dx` (`d_x` when `dx` is taken, then `dx_2`, ...);
- compiler temporaries are named after what they hold (`sin_x`, `x_mul_a`);
- the tape of a function is `_tape`, the seed of the output `dresult`.
A `Namer` never returns a name already used in the function or handed out
before, and the same sequence of requests always gives the same names.
"""

from __future__ import annotations

import keyword
import re

import gast


def names_in(node) -> set[str]:
    """Every identifier that appears in a tree (variables, parameters)."""
    found = set()
    for n in gast.walk(node):
        if isinstance(n, gast.Name):
            found.add(n.id)
        elif isinstance(n, (gast.FunctionDef,)):
            found.add(n.name)
    return found


_IDENT = re.compile(r"[^0-9a-zA-Z_]+")


def sanitize(text: str, limit: int = 24) -> str:
    text = _IDENT.sub("_", text).strip("_")[:limit].strip("_")
    if not text or text[0].isdigit():
        text = "t_" + text
    if keyword.iskeyword(text):
        text += "_"
    return text


class Namer:
    def __init__(self, used=()):
        self.used: set[str] = set(used)
        self.adjoints: dict[str, str] = {}
        self.temps: set[str] = set()
        # names kept free for the helpers and modules that generated code imports
        self.reserved_imports: set[str] = set()

    def reserve(self, name: str) -> None:
        self.used.add(name)

    def new(self, base: str) -> str:
        base = sanitize(base)
        if base not in self.used:
            self.used.add(base)
            return base
        i = 2
        while f"{base}_{i}" in self.used:
            i += 1
        name = f"{base}_{i}"
        self.used.add(name)
        return name

    def temp(self, base: str) -> str:
        """A compiler temporary, named after what it holds; recorded in `temps`."""
        name = self.new(base)
        self.temps.add(name)
        return name

    def adjoint(self, var: str) -> str:
        """The adjoint name of a primal variable (stable per variable)."""
        if var not in self.adjoints:
            stem = var.lstrip("_")
            candidates = [f"d{stem}", f"d_{stem}"]
            for cand in candidates:
                if cand not in self.used:
                    self.used.add(cand)
                    self.adjoints[var] = cand
                    break
            else:
                self.adjoints[var] = self.new(f"d{stem}")
        return self.adjoints[var]
