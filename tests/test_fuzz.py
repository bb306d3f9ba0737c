"""Random programs against finite differences (issue 7).

Each seed generates a random, valid, numerically safe function
(``tests/fuzz/generator.py``) and checks that ``tangent.grad`` succeeds, that
the gradient matches central finite differences with the arguments' types
and shapes, that the generated source is deterministic and parses, that the
arguments are left untouched and that the seed ``dresult`` scales the
gradient. A failure prints the program; ``python tools/fuzz.py --seeds N
--show --shrink`` reproduces it and writes a reduced version.
"""

import pytest
from fuzz import check_program

SEEDS = list(range(300))


@pytest.mark.parametrize("seed", SEEDS, ids=str)
def test_random_program(seed):
    program, findings = check_program(seed)
    if findings:
        details = "\n\n".join(f"{f}\n{f.detail}" for f in findings)
        pytest.fail(
            f"seed {seed}, wrt={program.wrt}:\n{program.source}\n{details}",
            pytrace=False,
        )
