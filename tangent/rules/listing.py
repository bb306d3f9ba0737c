"""The supported operations as a Markdown page, generated from the registry.

    python -m tangent.rules.listing > docs/operations.md

renders `RULES.names()`: one row per registered operation, with whether it
has a derivative rule or is declared non-differentiable (zero gradient).
The rules for tangent's own helpers (which make `grad(grad(f))` work) are
left out. `tests/test_docs.py` checks that docs/operations.md is current.
"""

from __future__ import annotations

from tangent.rules import BUILTIN, RULES


def supported_operations_markdown() -> str:
    """A Markdown page of every registered operation and its kind of rule."""
    rows = sorted(
        row for row in RULES.names(BUILTIN) if not row[0].startswith("tangent.")
    )
    lines = [
        "# Supported operations",
        "",
        "Generated from the rule registry by `python -m tangent.rules.listing`; do not",
        "edit by hand. Your own operations are added with `@tangent.adjoint` (README).",
        "",
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
