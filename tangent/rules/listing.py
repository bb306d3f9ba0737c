"""The supported operations as a Markdown table, for the documentation.

    python -m tangent.rules.listing > docs/supported.md

renders `RULES.names()`: one row per registered operation, with whether it
has a derivative rule or is declared non-differentiable (zero gradient).
The rules for tangent's own helpers (which make `grad(grad(f))` work) are
left out.
"""

from __future__ import annotations

import numpy as np

from tangent.rules import NONDIFFERENTIABLE, RULES


def _scipy_ufunc_rows():
    """Rows for SciPy's ufuncs, which `names()` files under numpy (they have no module)."""
    try:
        import scipy.special
    except ImportError:
        return {}
    rows = {}
    for key, rule in RULES.reverse.items():
        obj = key[1] if key[0] == "Call" else None
        name = getattr(obj, "__name__", None)
        if type(obj).__name__ == "ufunc" and getattr(scipy.special, name, None) is obj:
            kind = "nondifferentiable" if rule is NONDIFFERENTIABLE else "rule"
            rows[f"numpy.{name}"] = (
                f"scipy.special.{name}",
                kind,
                getattr(np, name, None) is None,
            )
    return rows


def supported_operations_markdown() -> str:
    """A Markdown table of every registered operation and its kind of rule."""
    rows = set(RULES.names())
    for numpy_label, (label, kind, scipy_only) in _scipy_ufunc_rows().items():
        if scipy_only or RULES.lookup(("Call", getattr(np, numpy_label[6:]))) is None:
            rows.discard((numpy_label, kind))
        rows.add((label, kind))
    rows = sorted(
        row for row in rows if not row[0].startswith("tangent.")
    )  # our own helpers
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
