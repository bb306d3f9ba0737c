"""The examples in the public docstrings run and give what they show."""

import doctest
import importlib

import pytest

# modules whose docstrings must carry examples
WITH_EXAMPLES = ["tangent.display", "tangent.export", "tangent.cli"]
# modules whose examples, where they have any, must pass
CHECKED = ["tangent.custom"]


def run_doctests(name):
    module = importlib.import_module(name)
    # functions defined in an example belong to a user module, not to tangent
    # (tangent refuses to differentiate its own library functions)
    return doctest.testmod(
        module,
        globs={"__name__": "doctest_examples"},
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        report=True,
        verbose=False,
    )


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples_run(name):
    failed, attempted = run_doctests(name)
    assert attempted > 0, f"{name} has no docstring examples"
    assert failed == 0, f"{failed} of {attempted} examples failed in {name}"


@pytest.mark.parametrize("name", CHECKED)
def test_docstring_examples_pass(name):
    failed, attempted = run_doctests(name)
    assert failed == 0, f"{failed} of {attempted} examples failed in {name}"
