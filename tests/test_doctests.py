"""The examples in the public docstrings run and give what they show."""

import ast
import contextlib
import doctest
import importlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tangent.cli import main

# modules whose docstrings must carry examples
WITH_EXAMPLES = ["tangent.display", "tangent.export", "tangent.cli", "tangent.forward"]
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


# ----- README: the commands, the generated code it shows, its links -----

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
MARKED = re.compile(
    r"<!-- (output|part of the output) of: (\S+) (.*?) -->\n```python\n(.*?)```",
    re.S,
)


def cli_output(target, options):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            [str(ROOT / target.split(":")[0]) + ":" + target.split(":")[1]]
            + options.split()
        )
    assert code == 0
    return out.getvalue()


def test_readme_keeps_the_two_commands():
    commands = (
        "```\npip install -e '.[dev]' && python -m tangent "
        "examples/quickstart.py:f --wrt x,a\npython -m pytest\n```"
    )
    assert commands in README


def test_readme_shows_the_code_tangent_generates():
    blocks = MARKED.findall(README)
    assert len(blocks) >= 3
    for kind, target, options, shown in blocks:
        generated = cli_output(target, options)
        message = (
            f"README.md shows stale generated code for {target} {options}: "
            f"replace the block with the output of python -m tangent {target} {options}"
        )
        if kind == "output":
            assert shown == generated, message
        else:
            assert shown in generated, message


def test_readme_example_runs_and_its_gradient_is_right(tmp_path):
    example = re.search(r"## Example\n\n```python\n(.*?)```", README, re.S).group(1)
    assert len(example.strip().splitlines()) <= 12
    script = tmp_path / "example.py"
    script.write_text(example + "print(repr((float(dx), float(da))))\n")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    dx, da = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    namespace = {}
    exec(compile(example.split("df = ")[0], str(script), "exec"), namespace)
    f, h = namespace["f"], 1e-6
    assert dx == pytest.approx((f(0.5 + h, 0.3) - f(0.5 - h, 0.3)) / (2 * h), rel=1e-5)
    assert da == pytest.approx((f(0.5, 0.3 + h) - f(0.5, 0.3 - h)) / (2 * h), rel=1e-5)


def test_readme_links_to_files_that_exist():
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", README)
    assert links
    missing = [link for link in links if not (ROOT / link).exists()]
    assert not missing, missing
