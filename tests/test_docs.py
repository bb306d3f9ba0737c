"""Documentation generated from the code stays current."""

import pathlib

from tangent.rules.listing import supported_operations_markdown

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_operations_page_is_generated_from_the_registry():
    page = (ROOT / "docs" / "operations.md").read_text()
    assert page == supported_operations_markdown(), (
        "docs/operations.md is stale: python -m tangent.rules.listing > docs/operations.md"
    )
