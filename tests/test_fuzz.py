"""Random programs against finite differences (issue 7).

Each seed generates a random, valid, numerically safe function
(``tests/fuzz/generator.py``) and checks that ``tangent.grad`` succeeds, that
the gradient matches central finite differences with the arguments' types
and shapes, that the generated source is deterministic and parses, that the
arguments are left untouched, that the seed ``dresult`` scales the
gradient, and that forward mode (``tangent.jvp`` with a random tangent)
agrees with the gradient's inner product with that tangent. The programs selected for the session are checked up front, in
parallel processes (``TANGENT_FUZZ_WORKERS=1`` for a single one); each test
reports its own program. ``python -m tests.fuzz.run --seeds N --show --shrink``
reproduces a failure and writes a reduced version.
"""

import pytest
from fuzz import check_seeds

# about 0.25 s of CPU each: the sample stays under a minute on one core
SEEDS = list(range(250))

# Programs of the long runs (``python -m tests.fuzz.run --start 10000``) on which an
# engine bug was found.
REGRESSION_SEEDS = [10385, 11009, 20188, 21299]


@pytest.fixture(scope="module")
def outcomes(request):
    selected = [
        item.callspec.params["seed"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_random_program"
    ]
    return check_seeds(selected)


@pytest.mark.parametrize("seed", SEEDS + REGRESSION_SEEDS, ids=str)
def test_random_program(outcomes, seed):
    result = outcomes[seed]
    if result.findings:
        details = "\n\n".join(f"{f}\n{f.detail}" for f in result.findings)
        pytest.fail(
            f"seed {seed}, wrt={result.wrt}:\n{result.source}\n{details}",
            pytrace=False,
        )
