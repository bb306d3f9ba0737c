"""The supported operations as a Markdown table, for the documentation.

    python -m tangent.rules.listing > docs/supported.md

renders `RULES.names()`: one row per registered operation, with whether it
has a derivative rule or is declared non-differentiable (zero gradient).
"""

from __future__ import annotations

from tangent.rules import RULES


def _label(name: str) -> str:
    """Fix the labels of SciPy's ufuncs, which `names()` files under numpy."""
    if name.startswith("numpy."):
        short = name[len("numpy.") :]
        import numpy as np

        if not hasattr(np, short):
            try:
                import scipy.special
            except ImportError:
                return name
            if hasattr(scipy.special, short):
                return f"scipy.special.{short}"
    return name


def supported_operations_markdown() -> str:
    """A Markdown table of every registered operation and its kind of rule."""
    rows = sorted({(_label(name), kind) for name, kind in RULES.names()})
    lines = [
        f"{len(rows)} operations have a reverse-mode rule or are declared "
        "non-differentiable (their gradient is zero).",
        "",
        "| operation | derivative |",
        "| --- | --- |",
    ]
    lines += [f"| `{name}` | {kind} |" for name, kind in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(supported_operations_markdown(), end="")
