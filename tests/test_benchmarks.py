"""Smoke test of the benchmark suite (benchmarks/): gradients, not times.

The hand-written gradient of every workload is checked against central
finite differences (tests/oracle.py), then each implementation the runner
times is checked against the hand-written gradient, and the runner itself is
run in --quick mode on two tiny workloads. PyTorch and tangent-ad are left
out when not installed; the checks of the others still run.
"""

import importlib.util

import numpy as np
import oracle
import pytest

from benchmarks import implementations as impls
from benchmarks import run as bench
from benchmarks import workloads as W

WORKLOADS = list(W.WORKLOADS)


@pytest.mark.parametrize("name", WORKLOADS)
def test_hand_written_gradient_matches_finite_differences(name):
    spec = W.WORKLOADS[name]
    args = W.make_args(name, "tiny")
    grads = W.hand_grad(name, args)
    if len(grads) == 1:
        grads = grads[0]  # check_grads takes one gradient for one argument
    oracle.check_grads(spec["f"], args, spec["wrt"], grads, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", WORKLOADS)
def test_hand_written_gradient_matches_autograd(name):
    spec = W.WORKLOADS[name]
    args = W.make_args(name, "tiny")
    reference = oracle.autograd_grad(spec["f"], args, spec["wrt"])
    assert reference is not None, "autograd cannot run the workload"
    reference = (reference,) if len(spec["wrt"]) == 1 else reference
    for index, got, expected in zip(spec["wrt"], W.hand_grad(name, args), reference):
        oracle.check_close(spec["f"], index, got, expected, rtol=1e-9, atol=1e-12)


def _cases():
    cases = [
        (key, name)
        for key in ("ours", "autograd")
        for name in ("mlp_small", "ode_rk4", "control_flow")
    ]
    # JAX's and PyTorch's first calls are slow: two workloads each; jax.jit
    # compiles an unrolled loop slowly: the MLP only
    others = ["jax"]
    if importlib.util.find_spec("torch") is not None:
        others.append("torch")
    cases += [(key, name) for key in others for name in ("mlp_small", "control_flow")]
    return cases + [("jax_jit", "mlp_small")]


@pytest.mark.parametrize("key,name", _cases())
def test_each_implementation_equals_the_hand_written_gradient(key, name):
    impl = impls.BY_KEY[key]
    args = W.make_args(name, "tiny")
    reference = W.hand_grad(name, args)
    prepared = impl.prepare(name, args)
    result = prepared.first if prepared.compile_s is not None else prepared.call()
    got = prepared.to_numpy(result)
    assert W.compare_grads(got, reference) is None
    # the values themselves, entry by entry, with the shapes of the arguments
    for g, r, i in zip(got, reference, W.WORKLOADS[name]["wrt"]):
        assert np.shape(g) == np.shape(args[i])
        np.testing.assert_allclose(g, r, rtol=1e-6, atol=1e-12)


def test_jax_jit_refuses_the_data_dependent_branch():
    # what the JAX jit column reports for control_flow: the `if` on a traced value
    args = W.make_args("control_flow", "tiny")
    with pytest.raises(Exception, match="Tracer|Concretization"):
        impls.BY_KEY["jax_jit"].prepare("control_flow", args)


def test_compare_grads_reports_a_wrong_gradient():
    args = W.make_args("rnn", "tiny")
    reference = W.hand_grad("rnn", args)
    assert W.compare_grads(reference, reference) is None
    wrong = list(reference)
    wrong[1] = wrong[1] * (1 + 1e-4)
    assert "gradient 1" in W.compare_grads(wrong, reference)
    assert "shape" in W.compare_grads([g.T for g in reference], reference)
    assert "2 gradients" in W.compare_grads(reference[:2], reference)


def test_quick_run_on_two_tiny_workloads(tmp_path):
    out = tmp_path / "results.md"
    skip = "jax,jax_jit,torch,tangent_ad,ours_jax,ours_jax_scan,checkpoint"
    status, text, rows = bench.run(
        ["--quick", "--size", "tiny", "--workloads", "scalar_loop,rnn"]
        + ["--skip", skip, "--output", str(out), "--budget", "0.01"]
    )
    assert status == 0, text
    assert out.read_text() == text
    assert [row["workload"] for row in rows] == ["scalar_loop", "rnn"]
    for row in rows:
        assert row["hand_fd_error"] < 1e-6
        for key in ("ours", "autograd"):
            cell = row["cells"][key]
            assert cell.wrong is None and cell.ratio is not None and cell.ratio > 0
        assert row["ours"]["peak_ours"] > 0
    assert "| scalar_loop | 20 steps, Python floats |" in text
    assert "WRONG" not in text


def test_a_wrong_implementation_is_reported_not_timed(tmp_path, monkeypatch):
    class Wrong(impls.Implementation):
        key = "autograd"
        title = "deliberately wrong"

        def prepare(self, name, args):
            grads = tuple(2.0 * g for g in W.hand_grad(name, args))
            return impls.Prepared(lambda: grads, lambda r: r)

    monkeypatch.setattr(bench, "IMPLEMENTATIONS", [impls.Ours(), Wrong()])
    status, text, rows = bench.run(
        ["--quick", "--size", "tiny", "--workloads", "softmax_xent"]
        + ["--skip", "tangent_ad,checkpoint", "--output", str(tmp_path / "r.md")]
        + ["--budget", "0.01"]
    )
    assert status == 1
    cell = rows[0]["cells"]["autograd"]
    assert cell.wrong and cell.seconds is None and cell.ratio is None
    assert "**WRONG**" in text and "MISMATCH softmax_xent / deliberately wrong" in text
