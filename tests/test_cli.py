"""The command line, ``python -m tangent FILE.py:FUNC``, run in a subprocess."""

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
