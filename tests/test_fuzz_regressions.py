"""Programs on which fuzzing found engine bugs, shrunk, kept as regression tests.

Each module in tests/fuzz_regressions/ holds the program (`f` and its helpers),
`WRT`, and `ARGS_SOURCE`, the arguments that exposed the bug: `seed_<n>.py`
as the fuzzer reduced it, the others written by hand from a reduced program
(each says which bug it pins). Their gradients are checked against central
finite differences.
"""

import importlib
import inspect
import pathlib
import textwrap

import gast
import numpy as np
import pytest
from oracle import assert_args_unchanged, check_grads, copy_args

import tangent
from transforms.analysis import (
    DefiniteAssignment,
    Liveness,
    SharedMemory,
    binding,
    memory,
    views,
)

HERE = pathlib.Path(__file__).parent / "fuzz_regressions"
NAMES = sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))


@pytest.mark.parametrize("name", NAMES)
def test_fuzz_regression(name):
    module = importlib.import_module(f"fuzz_regressions.{name}")
    args = eval(module.ARGS_SOURCE, {"array": np.array})  # numbers written by repr
    before = copy_args(args)
    grads = tangent.grad(module.f, wrt=module.WRT)(*args)
    assert_args_unchanged(before, args, "the gradient")
    check_grads(module.f, args, module.WRT, grads)


def test_there_are_regressions():
    assert len(NAMES) >= 10


# ----- bug E: `b op= e` on an array another variable shares -----
#
# Python changes the array in place, so `a` changes with `b`; the engine
# follows names, not memory. The gradient refuses (at the call, where the
# value's type is known) exactly when the update is in place and a sharing
# variable is read afterwards; numbers are rebound, as in Python.


def shared_update(x, a):
    b = a
    b *= x
    return np.sum(a * x)


def unshared_update(x, a):
    b = a * 1.0
    b *= x
    return np.sum(a * x) + np.sum(b)


def shared_number(x, w):
    v = w
    v -= 0.5 * np.sin(x)
    return np.sum(v * w)


def test_in_place_update_of_a_shared_array_is_refused():
    df = tangent.grad(shared_update)
    x, a = np.array([0.3, -0.7, 1.1]), np.array([1.0, 2.0, 3.0])
    with pytest.raises(tangent.UnsupportedConstructError) as info:
        df(x, a.copy())
    error = info.value
    lines, first = inspect.getsourcelines(shared_update)
    assert error.filename == __file__
    assert error.lineno == first + lines.index("    b *= x\n")
    assert error.function == "shared_update"
    assert "b *= x" in error.construct and "'a'" in error.construct
    assert "b = b * ..." in error.hint and "b.copy()" in error.hint


def test_in_place_update_of_an_unshared_array_is_differentiated():
    args = (np.array([0.3, -0.7, 1.1]), np.array([1.0, 2.0, 3.0]))
    grads = tangent.grad(unshared_update, wrt=(0, 1))(*args)
    check_grads(unshared_update, args, (0, 1), grads)


def test_augmented_assignment_of_a_shared_number_is_differentiated():
    # `v = w; v -= ...` rebinds `v` when `w` is a number: nothing is shared
    args = (0.4, 1.3)
    grads = tangent.grad(shared_number, wrt=(0, 1))(*args)
    check_grads(shared_number, args, (0, 1), grads)
    # the same code on an array changes `w` in place: refused, not wrong
    with pytest.raises(tangent.UnsupportedConstructError):
        tangent.grad(shared_number, wrt=(0, 1))(0.4, np.array([1.3, 0.2]))


# ----- the analyses behind the fixes, on small code -----


def _func(src):
    return gast.parse(textwrap.dedent(src)).body[0]


def test_definite_assignment_needs_every_path():
    f = _func(
        """
        def f(x, c):
            if c:
                r = x
            for i in range(2):
                y = x
                if i:
                    r = y
                    break
            z = r
            return z
        """
    )
    da = DefiniteAssignment.of_function(f)
    branch, loop, after, ret = f.body
    assert da.before(loop) == {"x", "c"}  # `r` only on one path
    first, inner = loop.body
    assert da.before(inner) == {"x", "c", "i", "y"}
    assert da.before(after) == {"x", "c"}  # the loop may run zero times
    assert da.before(ret) == {"x", "c", "z"}
    assert da.before(inner.body[1]) == {"x", "c", "i", "y", "r"}


def test_shared_memory_follows_copies_and_views_only():
    f = _func(
        """
        def f(a, m):
            b = a
            c = a * 1.0
            r = m[0]
            t = m.T
            pair = [c, 2.0]
            d = pair[0]
            return b
        """
    )
    shared = SharedMemory(f)
    ret = f.body[-1]
    assert shared.sharing(ret, "b") == {"a"}
    assert shared.sharing(ret, "c") == {"pair", "d"}
    assert shared.sharing(ret, "r") == {"m", "t"}
    assert views(f.body)["d"] == {"pair"}
    assert views(f.body)["t"] == {"m"}


def test_a_kept_restore_needs_the_binding_of_its_container():
    # backward sweep: `z` is restored to the array it named, then written into
    body = gast.parse(
        textwrap.dedent(
            """
            z = _tape.pop()
            z[0] = _tape.pop()
            y = v + 1.0
            """
        )
    ).body
    rebind, restore, _ = body

    def restores(stmt):
        return "z" if stmt is restore else None

    # nothing reads `z` (or a view of it) afterwards: the restore goes, and so
    # does the need for its binding
    live = Liveness(body, {"y"}, restores=restores, aliases={})
    assert not {"z", memory("z")} & live.live_out(restore)
    assert binding("z") not in live.live_out(rebind)
    # a view of `z` is read afterwards: the restore stays, and reads `z`'s binding
    live = Liveness(body, {"y"}, restores=restores, aliases={"v": {"z"}})
    assert memory("z") in live.live_out(restore)
    assert binding("z") in live.live_out(rebind)
