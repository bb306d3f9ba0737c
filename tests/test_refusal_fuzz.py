"""Refusal fuzzing in CI: random programs with an unsupported construct inserted
must be refused with a TangentError that names the function, file:line and the
construct, never an internal exception (see ``tests/refusal_fuzz.py``).

A fixed sample of 200 programs (mostly syntactic refusals in the main
function, which take milliseconds) and 60 of the full mix run here; the long
run is ``python -m tests.refusal_fuzz --count 2000``.
"""

import ast

import pytest
import refusal_fuzz as rf

SAMPLE = range(200)


def test_fixed_sample_of_mutants_is_refused_cleanly():
    failures = {}
    for seed in SAMPLE:
        m = rf.mutant(seed, "fast")
        problems = rf.check(m)
        if problems:
            failures[seed] = (m.snippet.name, m.function, problems)
    assert not failures, failures


# seeds of the long run (python -m tests.refusal_fuzz) that found a problem:
# 2791, a computed call in a nested function that is never called, which the
# fence did not see (normalization refused it only when inlining a call)
LONG_RUN_FINDINGS = [2791]


@pytest.mark.parametrize("seed", LONG_RUN_FINDINGS)
def test_long_run_findings_stay_fixed(seed):
    m = rf.mutant(seed)
    assert rf.check(m) == []


def test_a_sample_with_helpers_and_semantic_snippets():
    """The full mix: a third of the snippets in helpers, some refused only when
    they touch a differentiated value (these generate most of a gradient)."""
    failures = {}
    for seed in range(10_000, 10_060):
        m = rf.mutant(seed, "full")
        problems = rf.check(m)
        if problems:
            failures[seed] = (m.snippet.name, m.function, problems)
    assert not failures, failures


def test_the_sample_covers_every_syntactic_snippet():
    seen = {rf.mutant(seed, "fast").snippet.name for seed in SAMPLE}
    syntactic = {s.name for s in rf.SNIPPETS if s.syntactic}
    assert syntactic <= seen, syntactic - seen


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mutants_are_valid_python_with_the_snippet_at_the_reported_lines(seed):
    m = rf.mutant(seed)
    tree = ast.parse(m.source)
    assert any(isinstance(n, ast.FunctionDef) and n.name == "f" for n in tree.body)
    first, last = m.lines
    assert 1 <= first <= last <= len(m.source.splitlines())
    assert m.source != m.base
    # the lines outside the insertion are the base program's (printed alike)
    base_lines = ast.unparse(ast.parse(m.base)).splitlines()
    lines = m.source.splitlines()
    if m.snippet.kind == "stmt":
        assert lines[: first - 1] + lines[last:] == base_lines


def test_the_checker_catches_an_unrefused_construct():
    """The oracle can fail: a program without an unsupported construct, claimed
    to hold one, is reported as not refused."""
    m = rf.mutant(0)
    clean = m._replace(seed="clean", source=m.base, function="f")
    clean = clean._replace(snippet=clean.snippet._replace(syntactic=True))
    problems = rf.check(clean)
    assert problems, "a valid program was reported as refused"
