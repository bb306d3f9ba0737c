"""tangent.export: a generated gradient as a module that runs without tangent.

Each exported module is imported in a fresh Python process in which the
packages `tangent` and `transforms` cannot be imported (the repository is
off `sys.path` and an import hook refuses them), and its gradient is checked
against central finite differences of the original function.
"""

import math
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from oracle import check_grads
from scipy import special
from scipy.special import expit

import tangent
from tangent.export import _free_names, _rename

ROOT = Path(__file__).resolve().parent.parent

# ----- functions to export (module-level, as users write them) -----

SCALE = 1.5
OFFSETS = (0.25, -0.5)
WEIGHTS = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
TABLE = {"gain": 0.9, "steps": 4}


def recurrence(x, a):
    for i in range(30):  # noqa: B007 (written as a user writes it)
        x = x * 0.95 + np.sin(x) * a
    return x


def branches_and_while(x, a):
    y = 0.0
    k = 0
    while k < 6:
        if x * k > 1.0:
            y = y + np.cos(x * a)
        else:
            y = y + x * x * a
        if y > 50.0:
            break
        k = k + 1
    return y


def squash(v):
    return np.tanh(v) * SCALE


def helper_calls(x):
    total = 0.0
    for i in range(TABLE["steps"]):
        total = total + np.sum(squash(x * (i + 1) + OFFSETS[i % 2]))
    return total * TABLE["gain"]


def broadcasting(x, b):
    # x (3, 2), b (2,): the gradient of b sums over the broadcast axis
    return np.sum(np.exp(0.3 * x + b) * b)


def rule_helpers(w, x):
    h = WEIGHTS @ x + w
    return np.mean(h**2) + np.max(h) + np.linalg.norm(w)


def both_extrema(xs):
    # builtin max over a list and np.max over an array: two different helpers
    # named extremum_grad (tangent/runtime.py and tangent/rules/rule_helpers.py)
    return max([xs[0], xs[1] * 2.0]) + np.max(xs * xs)


@tangent.custom_vjp
def safe_log(x):
    return np.log(np.maximum(x, 1e-12))


def safe_log_fwd(x):
    return safe_log(x), x


def safe_log_bwd(x, g):
    return (g / np.maximum(x, 1e-12),)


safe_log.defvjp(safe_log_fwd, safe_log_bwd)


def custom_gradient(x):
    return np.sum(safe_log(x) * x)


def special_functions(x):
    return np.sum(expit(x) * special.gammaln(x + 2.0)) + math.cos(x[0])


def wave(x, a):
    return np.sum(np.sin(x * a) ** 2) / a


def cube(x):
    return x * x * x


class Config:
    def __init__(self):
        self.rate = 0.5


CONFIG = Config()


def in_place_update(x, w):
    v = w
    v -= 0.5 * np.sin(x)
    return np.sum(v * w)


def reads_an_object(x):
    return x * CONFIG.rate


rng = np.random.default_rng(0)
CASES = [
    ("recurrence", recurrence, (0.3, 0.7), (0, 1)),
    ("branches_and_while", branches_and_while, (0.4, 1.3), (0, 1)),
    ("helper_calls", helper_calls, (rng.normal(size=4),), (0,)),
    (
        "broadcasting",
        broadcasting,
        (rng.normal(size=(3, 2)), rng.normal(size=2)),
        (0, 1),
    ),
    ("rule_helpers", rule_helpers, (rng.normal(size=2), rng.normal(size=3)), (0, 1)),
    ("both_extrema", both_extrema, (np.array([0.3, 1.1, -0.4]),), (0,)),
    ("custom_gradient", custom_gradient, (np.array([0.5, 2.0]),), (0,)),
    ("special_functions", special_functions, (np.array([0.3, 1.7]),), (0,)),
    # the gradient checks that `v -= ...` changes no other variable's array
    ("in_place_update", in_place_update, (0.4, 1.3), (0, 1)),
]

# Runs in a fresh interpreter: tangent must not be importable there.
RUNNER = textwrap.dedent(
    """\
    import importlib.abc, importlib.util, os, pickle, sys

    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("tangent", "transforms"):
                raise ModuleNotFoundError(f"{name} is blocked for this test")
            return None

    sys.meta_path.insert(0, Refuse())
    root = sys.argv[1]
    sys.path = [p for p in sys.path if os.path.abspath(p or ".") != root]
    for name in ("tangent", "transforms"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:
            pass
        else:
            raise SystemExit(f"{name} is importable")
    spec = importlib.util.spec_from_file_location("exported", sys.argv[2])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert not any(m.split(".")[0] in ("tangent", "transforms") for m in sys.modules)
    (name,) = module.__all__
    with open(sys.argv[3], "rb") as fh:
        args = pickle.load(fh)
    result = getattr(module, name)(*args)
    with open(sys.argv[4], "wb") as fh:
        pickle.dump(result, fh)
    """
)


def run_exported(tmp_path, module_path, args):
    runner = tmp_path / "runner.py"
    runner.write_text(RUNNER)
    inputs, outputs = tmp_path / "args.pkl", tmp_path / "result.pkl"
    inputs.write_bytes(pickle.dumps(tuple(args)))
    done = subprocess.run(
        [
            sys.executable,
            str(runner),
            str(ROOT),
            str(module_path),
            str(inputs),
            str(outputs),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return pickle.loads(outputs.read_bytes())


@pytest.mark.parametrize("name, f, args, wrt", CASES, ids=[case[0] for case in CASES])
def test_exported_gradient_runs_without_tangent(tmp_path, name, f, args, wrt):
    df = tangent.grad(f, wrt=wrt)
    path = tmp_path / f"grad_{name}.py"
    text = tangent.export(df, path)
    assert path.read_text() == text
    assert "import tangent" not in text and "from tangent" not in text
    assert "transforms" not in text.replace("TransformError", "")
    grads = run_exported(tmp_path, path, args)
    check_grads(f, args, wrt, grads, rtol=1e-5, atol=1e-7)


def test_exported_gradient_refuses_an_in_place_update_of_a_shared_array(tmp_path):
    path = tmp_path / "grad_in_place.py"
    tangent.export(tangent.grad(in_place_update, wrt=(0, 1)), path)
    with pytest.raises(AssertionError) as info:
        run_exported(tmp_path, path, (0.4, np.array([1.3, 0.2])))
    message = str(info.value)
    assert "UnsupportedConstructError" in message
    assert "in-place update of an array that another variable shares" in message
    assert "v -= 0.5 * np.sin(x) (it also changes 'w'" in message
    assert "in function 'din_place_update'" in message


def test_module_holds_the_generated_source_and_names_it_in_all():
    df = tangent.grad(helper_calls)
    text = tangent.export(df)
    namespace = {}
    exec(compile(text, "grad_helper_calls.py", "exec"), namespace)
    assert namespace["__all__"] == [df.__name__]
    # the gradient reads exactly like tangent.source(df)
    assert tangent.source(df) in text
    # the user's helper, its gradient and the constants are in the module
    assert "def squash(v):" in text
    assert f"SCALE = {SCALE!r}" in text
    assert "OFFSETS = (0.25, -0.5)" in text
    assert "TABLE = {'gain': 0.9, 'steps': 4}" in text


def test_export_is_deterministic():
    df = tangent.grad(rule_helpers, wrt=(0, 1))
    assert tangent.export(df) == tangent.export(df)


def test_arrays_are_written_with_their_values_and_dtype():
    df = tangent.grad(rule_helpers)
    namespace = {}
    exec(compile(tangent.export(df), "m.py", "exec"), namespace)
    assert namespace["WEIGHTS"].dtype == WEIGHTS.dtype
    np.testing.assert_array_equal(namespace["WEIGHTS"], WEIGHTS)


def test_two_helpers_with_one_name_are_both_exported():
    text = tangent.export(tangent.grad(both_extrema))
    names = [
        line.split("(")[0][4:] for line in text.splitlines() if line.startswith("def ")
    ]
    assert len(names) == len(set(names)), names
    assert sum(n.startswith("extremum_grad") for n in names) == 2, names


def test_an_object_that_is_not_a_constant_is_named_in_the_error():
    df = tangent.grad(reads_an_object)
    with pytest.raises(tangent.TangentError) as info:
        tangent.export(df)
    message = str(info.value)
    assert "CONFIG" in message and "Config" in message
    assert "reads_an_object" in message


def test_a_closure_over_a_function_is_refused_by_name():
    def make():
        k = 3.0

        def inner(x):
            return x * k

        return inner

    inner = make()

    def outer(x):
        return np.sin(inner(x))

    with pytest.raises(tangent.TangentError, match="inner"):
        tangent.export(tangent.grad(outer))


def test_only_generated_functions_are_exported():
    with pytest.raises(tangent.TangentError, match="generated by tangent"):
        tangent.export(recurrence)


def test_free_names_and_renaming():
    text = (
        "def f(x, g=K):\n    y = helper(x) + np.pi\n    return y.helper + h(helper=1)\n"
    )
    assert _free_names(text) == ["K", "h", "helper", "np"]
    renamed = _rename(text, {"helper": "helper_2"})
    assert "helper_2(x)" in renamed
    assert "y.helper " in renamed  # an attribute is not renamed
    assert "h(helper=1)" in renamed  # nor a keyword argument


def test_cli_export_end_to_end(tmp_path):
    out = tmp_path / "dloss.py"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tangent",
            "examples/quickstart.py:loss",
            "--wrt",
            "w,b",
            "--export",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from quickstart import loss
    finally:
        sys.path.remove(str(ROOT / "examples"))
    args = (
        rng.normal(size=3),
        0.1,
        rng.normal(size=(5, 3)),
        rng.normal(size=5),
    )
    grads = run_exported(tmp_path, out, args)
    check_grads(loss, args, (0, 1), grads)


def test_value_and_grad_exports_the_value_too(tmp_path):
    x = np.array([0.2, -0.4, 0.9])
    path = tmp_path / "vg.py"
    tangent.export(tangent.value_and_grad(helper_calls), path)
    value, grad = run_exported(tmp_path, path, (x,))
    assert value == pytest.approx(helper_calls(x), rel=1e-12)
    check_grads(helper_calls, (x,), (0,), grad)


def test_second_derivative_exports(tmp_path):
    path = tmp_path / "ddcube.py"
    tangent.export(tangent.grad(tangent.grad(cube)), path)
    assert run_exported(tmp_path, path, (0.7,)) == pytest.approx(6 * 0.7, rel=1e-12)


def test_custom_vjp_is_exported_with_its_backward():
    text = tangent.export(tangent.grad(custom_gradient))
    assert "safe_log = custom_vjp(safe_log_function)" in text
    assert "safe_log.defvjp(safe_log_fwd, safe_log_bwd)" in text


def test_forward_mode_exports(tmp_path):
    x, dx = np.array([0.3, 1.2]), np.array([1.0, -2.0])
    path = tmp_path / "jvp.py"
    tangent.export(tangent.forward(wave), path)
    value, derivative = run_exported(tmp_path, path, (x, 1.5, dx))
    assert value == pytest.approx(wave(x, 1.5), rel=1e-12)
    h = 1e-6
    numerical = (wave(x + h * dx, 1.5) - wave(x - h * dx, 1.5)) / (2 * h)
    assert derivative == pytest.approx(numerical, rel=1e-6)
