"""The command line, ``python -m tangent FILE.py:FUNC``, run in a subprocess."""

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tangent", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_help_lists_options():
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    assert "--wrt" in result.stdout
    assert "--verbose" in result.stdout
    assert "FILE.py:FUNC" in result.stdout


def test_target_without_function_is_a_usage_error():
    result = run_cli("examples/quickstart.py")
    assert result.returncode == 2
    assert "tangent: error" in result.stderr
    assert "FILE.py:FUNC" in result.stderr
    assert result.stdout == ""


def test_missing_file_is_a_usage_error():
    result = run_cli("examples/no_such_file.py:loss")
    assert result.returncode == 2
    assert "tangent: error" in result.stderr
    assert "no_such_file.py" in result.stderr
    assert result.stdout == ""


def test_missing_function_is_a_usage_error():
    result = run_cli("examples/quickstart.py:no_such_function")
    assert result.returncode == 2
    assert "tangent: error" in result.stderr
    assert "no_such_function" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_wrt_not_a_parameter_is_a_usage_error():
    result = run_cli("examples/quickstart.py:loss", "--wrt", "w,nope")
    assert result.returncode == 2
    assert "tangent: error" in result.stderr
    assert "nope" in result.stderr


def test_quickstart_loss_prints_gradient_source():
    result = run_cli("examples/quickstart.py:loss")
    assert result.returncode == 0, result.stderr
    source = result.stdout
    assert "def " in source
    assert "return" in source
    compile(source, "<generated>", "exec")  # the output is valid Python


def test_quickstart_loss_wrt_two_parameters():
    result = run_cli("examples/quickstart.py:loss", "--wrt", "w,b")
    assert result.returncode == 0, result.stderr
    assert "def " in result.stdout
    assert "return" in result.stdout


def test_help_lists_mode_graph_and_export():
    result = run_cli("--help")
    assert result.returncode == 0, result.stderr
    for option in ("--mode", "reverse", "forward", "--graph", "--export"):
        assert option in result.stdout, option


def test_graph_writes_svg_with_labelled_nodes(tmp_path):
    out = tmp_path / "dloss.svg"
    result = run_cli("examples/quickstart.py:loss", "--graph", str(out))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("def dloss(")
    if shutil.which("dot"):
        text = out.read_text()
        assert "<svg" in text
        # the backward sweep names the primal line it differentiates
        assert "grad of: pred = np.tanh(x @ w + b)" in html.unescape(text)
        assert result.stderr == ""
    else:
        assert out.read_text().startswith('digraph "dloss"')
        assert "dot" in result.stderr


def test_graph_writes_dot_text_for_dot_suffix(tmp_path):
    out = tmp_path / "df.dot"
    result = run_cli("examples/quickstart.py:f", "--wrt", "x,a", "--graph", str(out))
    assert result.returncode == 0, result.stderr
    dot = out.read_text()
    assert dot.startswith('digraph "df" {')
    assert "subgraph cluster_" in dot  # the loops
    # nodes name their line of the generated code, and the primal line whose
    # adjoint they compute
    assert re.search(r"line \d+: x = _tape.pop\(\)", dot)
    assert "grad of: x = x * 0.99 + np.sin(x) * a" in dot


def test_graph_without_dot_program_writes_dot_text_and_a_note(tmp_path):
    out = tmp_path / "dloss.svg"
    empty = tmp_path / "bin"
    empty.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "tangent", "examples/quickstart.py:loss"]
        + ["--graph", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": str(empty)},
    )
    assert result.returncode == 0, result.stderr
    assert out.read_text().startswith('digraph "dloss"')
    assert "note" in result.stderr and "dot" in result.stderr


def test_graph_with_unknown_suffix_is_a_usage_error(tmp_path):
    result = run_cli("examples/quickstart.py:loss", "--graph", str(tmp_path / "g.txt"))
    assert result.returncode == 2
    assert result.stderr.startswith("tangent: error: --graph")
    assert result.stdout == ""


def test_export_to_a_file_not_ending_in_py_is_a_usage_error(tmp_path):
    result = run_cli("examples/quickstart.py:loss", "--export", str(tmp_path / "g"))
    assert result.returncode == 2
    assert result.stderr.startswith("tangent: error: --export")


def test_export_of_an_unexportable_value_is_reported_on_stderr(tmp_path):
    script = tmp_path / "model.py"
    script.write_text(
        "import numpy as np\n\n\n"
        "class Settings:\n    scale = 2.0\n\n\nSETTINGS = Settings()\n\n\n"
        "def f(x):\n    return np.sum(x * SETTINGS.scale)\n"
    )
    result = run_cli(f"{script}:f", "--export", str(tmp_path / "df.py"))
    assert result.returncode == 2
    assert result.stderr.startswith("tangent: error:")
    assert "SETTINGS" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_forward_mode_prints_and_exports_a_correct_derivative(tmp_path):
    """`--mode forward` runs `tangent.forward` (when this version has it)."""
    import numpy as np

    import tangent

    out = tmp_path / "jvp_f.py"
    result = run_cli(
        "examples/quickstart.py:f", "--mode", "forward", "--export", str(out)
    )
    if not hasattr(tangent, "forward"):
        assert result.returncode == 2
        assert "forward" in result.stderr
        return
    assert result.returncode == 0, result.stderr
    compile(result.stdout, "<generated>", "exec")
    namespace = {}
    exec(compile(out.read_text(), str(out), "exec"), namespace)
    (name,) = namespace["__all__"]
    jvp_f = namespace[name]
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from quickstart import f
    finally:
        sys.path.remove(str(ROOT / "examples"))
    x, a, h = 0.4, 0.3, 1e-6
    value, derivative = jvp_f(x, a, 1.0)
    assert np.isclose(value, f(x, a), rtol=1e-12)
    numerical = (f(x + h, a) - f(x - h, a)) / (2 * h)
    assert np.isclose(derivative, numerical, rtol=1e-5, atol=1e-8)
