"""The JAX backend: functions written with jax.numpy (and NumPy functions run
on JAX) give gradients that run eagerly, under `jax.jit` and `jax.vmap`,
with `loops="python"` or `loops="scan"`; every gradient is compared with
`jax.grad` in float64 (and with central finite differences where `jax.grad`
would be our own kind of answer)."""

# Loops written the way users write them (unused loop variables): keep it so.
# ruff: noqa: B007

import math
import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import jax.scipy.special as jss
import numpy as np
import pytest
import scipy.special

import tangent
from tangent.jax_runtime import BranchShapeError


@pytest.fixture(autouse=True, scope="module")
def float64():
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", old)


def close(actual, expected, rtol=1e-10, atol=1e-12):
    actual = actual if isinstance(actual, tuple) else (actual,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        assert np.shape(a) == np.shape(e), (np.shape(a), np.shape(e))
        np.testing.assert_allclose(
            np.asarray(a, np.float64), np.asarray(e, np.float64), rtol=rtol, atol=atol
        )


def fd(f, args, i, eps=1e-6):
    """Central finite differences of f w.r.t. args[i], in float64 NumPy."""
    args = [np.array(a, np.float64) if not isinstance(a, int) else a for a in args]
    x = args[i]
    g = np.zeros(np.shape(x))
    for idx in np.ndindex(np.shape(x)):
        hi, lo = x.copy(), x.copy()
        hi[idx] += eps
        lo[idx] -= eps
        up = f(*args[:i], hi, *args[i + 1 :])
        down = f(*args[:i], lo, *args[i + 1 :])
        g[idx] = (float(up) - float(down)) / (2 * eps)
    return g


# ----- Functions written with jax.numpy -----


def loop_of_sines(x, a):
    for i in range(20):
        x = x * 0.99 + jnp.sin(x) * a
    return jnp.sum(x)


def mlp_loss(w1, b1, w2, x, y):
    h = jax.nn.relu(x @ w1 + b1)
    logits = h @ w2
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.mean(jnp.sum(logp * y, axis=-1))


def with_index_updates(x, v):
    y = x.at[1].set(v * 2.0)
    z = y.at[jnp.array([0, 0])].add(jnp.sin(x[2]))
    w = z.at[2].max(v)
    return jnp.sum(w**2) + z.at[0].get()


def branchy(x, y):
    total = 0.0
    for i in range(4):
        if jnp.sum(x * y) > 0:
            y = y * x + 0.1
        else:
            y = y - jnp.tanh(x)
        total = total + jnp.sum(y**2)
    return total


def nested_loops(x):
    acc = 0.0
    for i in range(3):
        for j in range(4):
            x = jnp.cos(x) * (1.0 + 0.1 * j) + x * 0.5
            acc = acc + jnp.sum(x) * (i + 1)
    return acc


def _rhs(state, params):
    prey, pred = state[0], state[1]
    alpha, beta, delta, gamma = params[0], params[1], params[2], params[3]
    return jnp.stack(
        [alpha * prey - beta * prey * pred, delta * prey * pred - gamma * pred]
    )


def lotka_volterra(params, state, steps):
    dt = 0.01
    for i in range(steps):
        k1 = _rhs(state, params)
        k2 = _rhs(state + 0.5 * dt * k1, params)
        k3 = _rhs(state + 0.5 * dt * k2, params)
        k4 = _rhs(state + dt * k3, params)
        state = state + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return jnp.sum(state**2)


def _normal(*shape, seed=0):
    return jnp.asarray(np.random.default_rng(seed).normal(size=shape))


CASES = [
    (
        "loop_of_sines",
        loop_of_sines,
        lambda: (jnp.array([0.3, -0.5, 1.2]), 0.7),
        (0, 1),
    ),
    (
        "mlp_loss",
        mlp_loss,
        lambda: (
            _normal(4, 5, seed=1),
            _normal(5, seed=2),
            _normal(5, 3, seed=3),
            _normal(6, 4, seed=4),
            jnp.asarray(np.eye(3)[[0, 2, 1, 1, 0, 2]]),
        ),
        (0, 1, 2),
    ),
    (
        "with_index_updates",
        with_index_updates,
        lambda: (jnp.array([0.3, 0.5, 0.9]), 0.7),
        (0, 1),
    ),
    ("branchy", branchy, lambda: (_normal(3, seed=5), _normal(3, seed=6)), (0, 1)),
    ("nested_loops", nested_loops, lambda: (_normal(3, seed=7),), (0,)),
    (
        "lotka_volterra",
        lotka_volterra,
        lambda: (jnp.array([1.1, 0.4, 0.1, 0.4]), jnp.array([10.0, 5.0]), 6),
        (0, 1),
    ),
]


@pytest.mark.parametrize("name,f,args,wrt", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("loops", ["python", "scan"])
def test_jnp_functions_match_jax_grad(name, f, args, wrt, loops):
    args = args()
    expected = jax.grad(f, argnums=wrt)(*args)
    df = tangent.grad(f, wrt=wrt, loops=loops)
    static = tuple(i for i, a in enumerate(args) if isinstance(a, int))
    close(df(*args), expected)
    if name == "branchy" and loops == "python":
        # a Python `if` on a traced value: jax.jit cannot trace it
        with pytest.raises(jax.errors.ConcretizationTypeError):
            jax.jit(df, static_argnums=static)(*args)
    else:
        close(jax.jit(df, static_argnums=static)(*args), expected)


@pytest.mark.parametrize("loops", ["python", "scan"])
def test_gradient_under_vmap(loops):
    xs = _normal(5, 3, seed=8)
    df = tangent.grad(loop_of_sines, wrt=0, loops=loops)
    batched = jax.vmap(df, in_axes=(0, None))(xs, 0.7)
    expected = jax.vmap(jax.grad(loop_of_sines), in_axes=(0, None))(xs, 0.7)
    close(batched, expected)
    # a data-dependent branch inside vmap (lax.cond becomes a select), which
    # jax.vmap(jax.grad(branchy)) cannot trace: compare row by row
    dg = tangent.grad(branchy, wrt=(0, 1), loops="scan")
    rows = [jax.grad(branchy, argnums=(0, 1))(a, b) for a, b in zip(xs, xs[::-1])]
    expected = tuple(jnp.stack([r[k] for r in rows]) for k in range(2))
    close(jax.vmap(dg)(xs, xs[::-1]), expected)


def test_finite_differences_agree():
    """An oracle independent of JAX's own differentiation."""
    x, y = np.array([0.3, -0.5, 1.2]), np.array([0.8, 0.1, -0.4])
    g = tangent.grad(branchy, wrt=(0, 1), loops="scan")(jnp.asarray(x), jnp.asarray(y))
    f = lambda x, y: branchy(jnp.asarray(x), jnp.asarray(y))  # noqa: E731
    close(g, (fd(f, (x, y), 0), fd(f, (x, y), 1)), rtol=1e-6, atol=1e-8)


# ----- jax.nn and jax.scipy.special -----

ELEMENTWISE = [
    jax.nn.relu,
    jax.nn.relu6,
    jax.nn.sigmoid,
    jax.nn.log_sigmoid,
    jax.nn.softplus,
    jax.nn.silu,
    jax.nn.swish,
    jax.nn.elu,
    jax.nn.celu,
    jax.nn.selu,
    jax.nn.leaky_relu,
    jax.nn.hard_tanh,
    jax.nn.soft_sign,
    jss.erf,
    jss.erfc,
    jss.expit,
    jss.gammaln,
    jss.digamma,
    jss.ndtr,
    jss.log_ndtr,
    jnp.tanh,
    jnp.arcsinh,
    jnp.log1p,
    jnp.expm1,
    jnp.cbrt,
]


def _apply(op):
    def f(x):
        return jnp.sum(op(x) * jnp.arange(1.0, 1.0 + x.size))

    return f


@pytest.mark.parametrize("op", ELEMENTWISE, ids=lambda op: op.__name__)
def test_elementwise_rules(op):
    x = jnp.array([-1.3, -0.4, 0.35, 0.8, 2.1])
    if op in (jss.gammaln, jss.digamma, jnp.log1p):
        x = jnp.abs(x) + 0.2
    f = _apply(op)
    f.__name__ = f"apply_{op.__name__}"
    close(tangent.grad(f)(x), jax.grad(f)(x), rtol=1e-9)


def gelu_both(x):
    return jnp.sum(jax.nn.gelu(x) * 2.0 + jax.nn.gelu(x, approximate=False))


def reductions(x, y):
    a = jax.nn.logsumexp(x, axis=1)
    b = jax.nn.softmax(x, axis=0)
    c = jss.logsumexp(x)
    d = jnp.sum(jss.xlogy(y, x * x + 1.0)) + jnp.sum(jss.xlog1py(y, x * x))
    e = jax.nn.standardize(x, axis=-1)
    f = jss.logit(jss.expit(x))
    hot = jax.nn.one_hot(jnp.argmax(x, axis=1), 4)
    return jnp.sum(a**2) + jnp.sum(b * y) + c + d + jnp.sum(e * y) + jnp.sum(f * hot)


def test_nn_and_special_rules():
    x = _normal(3, 4, seed=9)
    y = jnp.asarray(np.random.default_rng(10).uniform(0.5, 1.5, size=(3, 4)))
    close(tangent.grad(gelu_both)(x), jax.grad(gelu_both)(x))
    close(
        tangent.grad(reductions, wrt=(0, 1))(x, y),
        jax.grad(reductions, argnums=(0, 1))(x, y),
        rtol=1e-9,
    )


# ----- NumPy code run through the JAX backend -----


def numpy_writes(x):
    out = np.zeros(3)
    out[0] = x[0] ** 2
    out[1] = x[1] * x[2]
    out[2] = math.log(x[0], 2.0) + np.sin(x[0])
    y = x.copy()
    y[1:] *= 2.0
    return np.sum(out * np.array([1.0, 2.0, 3.0])) + np.sum(y**3)


def test_numpy_function_on_jax():
    x = np.array([0.3, 0.5, 0.9])
    expected = tangent.grad(numpy_writes)(x)  # the NumPy backend
    df = tangent.grad(numpy_writes, backend="jax")
    text = tangent.source(df)
    # np.* became jnp.*, index writes became functional updates
    code = "\n".join(line for line in text.splitlines() if "#" not in line)
    assert "jnp.zeros(3)" in code and "jnp.sin" in code
    assert "np." not in code.replace("jnp.", "")
    assert "out = out.at[0].set(" in text
    assert "y = y.at[1:].multiply(2.0)" in text or "y = y.at[1:].set(" in text
    close(df(jnp.asarray(x)), expected)
    close(jax.jit(df)(jnp.asarray(x)), expected)
    close(expected, fd(numpy_writes, (x,), 0), rtol=1e-6)


def write_into_parameter(x):
    x[0] = x[1] * 2.0
    return np.sum(x**2)


def test_numpy_array_argument_written_by_index():
    x = np.array([1.0, 2.0, 3.0])
    df = tangent.grad(write_into_parameter, backend="jax")
    assert "x = jnp.asarray(x)" in tangent.source(df)
    # d/dx of (2 x1)^2 + x1^2 + x2^2: x0 is overwritten
    close(df(x.copy()), np.array([0.0, 10.0 * x[1], 2.0 * x[2]]))
    close(jax.jit(df)(x.copy()), np.array([0.0, 10.0 * x[1], 2.0 * x[2]]))


def special_functions(x):
    return np.sum(scipy.special.expm1(x) * scipy.special.log_expit(x))


def without_jax_counterpart(x):
    return np.sum(scipy.special.sindg(x))


def test_scipy_on_jax():
    x = np.array([0.3, -0.5, 1.2])
    df = tangent.grad(special_functions, backend="jax")
    text = tangent.source(df)
    assert "jnp.expm1(x)" in text and "jax.nn.log_sigmoid(x)" in text
    close(jax.jit(df)(jnp.asarray(x)), fd(special_functions, (x,), 0), rtol=1e-7)
    with pytest.raises(tangent.TangentError, match="no derivative rule"):
        tangent.grad(without_jax_counterpart, backend="jax")
    tangent.grad(without_jax_counterpart)  # the NumPy backend has its rule


def numpy_branches(x, n):
    total = 0.0
    for i in range(n):
        if np.mean(x) > 0.1 * i:
            total = total + np.sum(np.exp(x))
        else:
            total = total - np.sum(x**2)
        x = x * 0.9
    return total


def test_numpy_function_with_data_dependent_branch_under_jit():
    x = np.array([0.3, -0.2, 0.6])
    expected = tangent.grad(numpy_branches)(x, 5)
    df = tangent.grad(numpy_branches, backend="jax", loops="scan")
    close(jax.jit(df, static_argnums=1)(jnp.asarray(x), 5), expected)
    close(df(jnp.asarray(x), 5), expected)


def test_value_and_grad_and_vjp():
    x, a = jnp.array([0.3, -0.5, 1.2]), 0.7
    value, g = tangent.value_and_grad(loop_of_sines, loops="scan")(x, a)
    close(value, loop_of_sines(x, a))
    close(g, jax.grad(loop_of_sines)(x, a))

    def vector(x):
        for i in range(5):
            x = jnp.sin(x) * 1.1
        return x * x

    ct = jnp.array([1.0, -2.0, 0.5])
    for loops in ("python", "scan"):
        out, pullback = tangent.vjp(vector, x, loops=loops)
        ref_out, ref_pullback = jax.vjp(vector, x)
        close(out, ref_out)
        close(pullback(ct), ref_pullback(ct))
    # split motion keeps the pairing: the forward function's scan stacks what
    # the pullback's scan reads
    assert "forward_loop(" in tangent.source(pullback.forward)
    assert "backward_loop(" in tangent.source(pullback.backward)


def test_backend_is_chosen_from_the_code():
    df = tangent.grad(loop_of_sines)
    assert "jnp.sin" in tangent.source(df)
    assert isinstance(df(jnp.ones(3), 0.5), jax.Array)

    def plain(x):
        return np.sum(np.sin(x))

    assert isinstance(tangent.grad(plain)(np.ones(3)), np.ndarray)


def test_bad_options():
    with pytest.raises(ValueError, match="backend"):
        tangent.grad(loop_of_sines, backend="torch")
    with pytest.raises(ValueError, match="loops"):
        tangent.grad(loop_of_sines, loops="unrolled")

    def plain(x):
        return np.sum(np.sin(x))

    with pytest.raises(ValueError, match="backend='jax'"):
        tangent.grad(plain, loops="scan")


# ----- loops="scan" -----


def test_scan_source_reads_as_loops():
    df = tangent.grad(loop_of_sines, wrt=(0, 1), loops="scan")
    text = tangent.source(df)
    assert "forward_loop(forward_i, (x,), range(20))" in text
    assert "backward_loop(backward_i, (da, dx), range(20), saved_i)" in text
    assert "_tape.append(saved_i)" in text
    assert "for i in" not in text


def test_scan_program_size_is_flat_in_steps():
    """With loops="scan" the traced program does not grow with the step count
    (jax.jit of the Python loop unrolls it: it grows linearly)."""
    df_scan = tangent.grad(lotka_volterra, wrt=0, loops="scan")
    df_python = tangent.grad(lotka_volterra, wrt=0)
    params, state = jnp.array([1.1, 0.4, 0.1, 0.4]), jnp.array([10.0, 5.0])

    def size(df, steps):
        jaxpr = jax.make_jaxpr(df, static_argnums=2)(params, state, steps)
        return len(jaxpr.jaxpr.eqns)

    assert size(df_scan, 10) == size(df_scan, 200)
    assert size(df_python, 12) > 2.5 * size(df_python, 4)
    close(
        jax.jit(df_scan, static_argnums=2)(params, state, 40),
        jax.grad(lotka_volterra)(params, state, 40),
    )


def mismatched(x):
    if jnp.sum(x) > 0:
        y = x[:2]
    else:
        y = x
    return jnp.sum(y**2)


def test_branch_with_different_shapes_under_jit_is_a_clear_error():
    df = tangent.grad(mismatched, loops="scan")
    x = jnp.array([0.5, 0.2, -0.1])
    close(df(x), jax.grad(mismatched)(x))  # eager: the branch taken is Python's
    with pytest.raises(BranchShapeError, match=r"'y' has shape \(2,\) if true, \(3,\)"):
        jax.jit(df)(x)


def loop_with_break(x):
    for i in range(10):
        x = x * 1.2
        if jnp.sum(x) > 5.0:
            break
    return jnp.sum(x)


def python_list_loop(x):
    ys = []
    for i in range(4):
        ys.append(jnp.sin(x) * i)
    return jnp.sum(jnp.stack(ys))


def while_loop(x):
    n = 0
    while n < 5:
        x = jnp.cos(x) + x
        n = n + 1
    return jnp.sum(x)


@pytest.mark.parametrize("f", [loop_with_break, python_list_loop, while_loop])
def test_loops_left_in_python_give_the_same_numbers(f):
    x = jnp.array([0.3, 0.6])
    close(tangent.grad(f, loops="scan")(x), jax.grad(f)(x))


def test_loop_index_used_statically_falls_back_to_python():
    def triangular(x):
        total = 0.0
        for i in range(1, 4):
            for j in range(i):
                total = total + jnp.sum(x ** (j + 1)) * i
        return total

    x = jnp.array([0.3, 0.6])
    df = tangent.grad(triangular, loops="scan")
    close(df(x), jax.grad(triangular)(x))
    close(jax.jit(df)(x), jax.grad(triangular)(x))


def test_grad_of_grad_on_jax():
    def f(x):
        return jnp.sum(jnp.sin(x) * x**2)

    x = jnp.array([0.3, -0.7])
    df = tangent.grad(f)

    def first(x):
        return jnp.sum(df(x))

    close(tangent.grad(first)(x), jax.grad(lambda x: jnp.sum(jax.grad(f)(x)))(x))


# ----- Scale-out: device placement and sharding -----

SHARDING = textwrap.dedent(
    """
    import jax, jax.numpy as jnp, numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    jax.config.update("jax_enable_x64", True)
    import tangent

    def loss(w, x, y):
        pred = jnp.tanh(x @ w)
        return jnp.mean((pred - y) ** 2)

    assert len(jax.devices()) == 4, jax.devices()
    mesh = Mesh(np.array(jax.devices()), ("data",))
    rows = NamedSharding(mesh, P("data", None))
    replicated = NamedSharding(mesh, P())
    rng = np.random.default_rng(0)
    w = jax.device_put(jnp.asarray(rng.normal(size=(5, 3))), replicated)
    x = jax.device_put(jnp.asarray(rng.normal(size=(16, 5))), rows)
    y = jax.device_put(jnp.asarray(rng.normal(size=(16, 3))), rows)
    dloss = tangent.grad(loss)
    step = jax.jit(dloss, in_shardings=(replicated, rows, rows), out_shardings=replicated)
    g = step(w, x, y)
    np.testing.assert_allclose(g, jax.grad(loss)(w, x, y), rtol=1e-12)
    assert g.sharding.is_equivalent_to(replicated, 2)
    # eagerly, on sharded inputs, the computation follows the data
    np.testing.assert_allclose(dloss(w, x, y), jax.grad(loss)(w, x, y), rtol=1e-12)
    print("sharded ok", len(x.sharding.device_set))
    """
)


def test_sharded_gradient_on_four_cpu_devices(tmp_path):
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4")
    env["JAX_PLATFORMS"] = "cpu"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
    script = tmp_path / "sharded.py"  # tangent reads the function's source file
    script.write_text(SHARDING)
    done = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "sharded ok 4" in done.stdout


# ----- The passes, source to source -----


def _rewritten(text, rewrite):
    import gast

    from transforms.quoting import to_source

    func = gast.parse(textwrap.dedent(text)).body[0]
    rewrite(func)
    return to_source(func)


def test_functional_updates_pass():
    from transforms.functional import functional_updates

    text = _rewritten(
        """
        def f(x, v, i):
            ys = [v, v]
            ys[0] = v * 2.0
            state = {"h": v}
            state["h"] = v
            x[i] = v
            x[i][1] += v
            x[0, 1:] -= v
            x[2] *= v
            np.add.at(x, i, v)
            return x
        """,
        lambda f: functional_updates(
            f, is_scatter_add=lambda call: call.func.attr == "at"
        ),
    )
    assert "ys[0] = v * 2.0" in text  # a list stays a list
    assert "state['h'] = v" in text  # and a dict a dict
    assert "x = x.at[i].set(v)" in text
    assert "x = x.at[i, 1].add(v)" in text
    assert "x = x.at[0, 1:].add(-v)" in text
    assert "x = x.at[2].multiply(v)" in text
    assert "x = x.at[i].add(v)" in text
    assert "np.add.at" not in text


def test_lax_control_pass_pairs_loops_and_leaves_the_rest():
    from transforms.lax_control import lax_control

    def pair(func):
        # tape ids pair the pushes of the first loop with the pops of the second
        from transforms import anno

        push = func.body[1].body[0]
        pop = func.body[3].body[0]
        anno.setanno(push, anno.TAPE_ID, 7)
        anno.setanno(pop, anno.TAPE_ID, 7)
        assert lax_control(func) == {
            "forward_loop": "forward_loop",
            "backward_loop": "backward_loop",
        }

    text = _rewritten(
        """
        def df(x, n):
            _tape = []
            for i in range(n):
                _tape.append(x)
                x = x * 2.0
            dx = 1.0
            for i in reversed(range(n)):
                x = _tape.pop()
                dx = dx * 2.0
            while dx > 1.0:
                dx = dx / 2.0
            return dx
        """,
        pair,
    )
    assert "(x,), saved_i = forward_loop(forward_i, (x,), range(n))" in text
    assert "saved_i = _tape.pop()" in text
    assert "(dx,) = backward_loop(backward_i, (dx,), range(n), saved_i)" in text or (
        "dx, = backward_loop(backward_i, (dx,), range(n), saved_i)" in text
    )
    assert "while dx > 1.0:" in text  # a while loop stays Python
    assert "for i in" not in text


# ----- NumPy helpers under jit, np.pad, loops that read their index -----


def _lotka_volterra_np(s, theta):
    prey = s[0]
    pred = s[1]
    return np.array(
        [
            theta[0] * prey - theta[1] * prey * pred,
            theta[3] * prey * pred - theta[2] * pred,
        ]
    )


def ode_rk4_np(theta, s0, dt, n):
    """The `ode_rk4` benchmark workload: NumPy, the right-hand side a helper
    that builds `np.array([...])` of scalars (traced under jit)."""
    s = s0
    for _ in range(n):
        k1 = _lotka_volterra_np(s, theta)
        k2 = _lotka_volterra_np(s + 0.5 * dt * k1, theta)
        k3 = _lotka_volterra_np(s + 0.5 * dt * k2, theta)
        k4 = _lotka_volterra_np(s + dt * k3, theta)
        s = s + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return np.sum(s * s)


@pytest.mark.parametrize("loops", ["python", "scan"])
def test_numpy_ode_with_helper_under_jit(loops):
    from oracle import patched

    theta, s0, dt = np.array([1.5, 1.0, 3.0, 1.0]), np.array([10.0, 5.0]), 0.01
    df = tangent.grad(ode_rk4_np, wrt=0, backend="jax", loops=loops)
    compiled = jax.jit(df, static_argnums=3)
    # jax.grad of the same function with np bound to jax.numpy
    on_jax = patched(ode_rk4_np, jnp)
    expected = jax.grad(on_jax)(jnp.asarray(theta), jnp.asarray(s0), dt, 6)
    close(compiled(jnp.asarray(theta), jnp.asarray(s0), dt, 6), expected)
    if loops == "scan":
        # the benchmark's 500 steps: one scan each way, against finite differences
        steps = 500
        g = compiled(jnp.asarray(theta), jnp.asarray(s0), dt, steps)
        ref = fd(lambda t: ode_rk4_np(t, s0, dt, steps), (theta,), 0)
        close(g, ref, rtol=1e-6, atol=1e-6)
        jaxpr = jax.make_jaxpr(df, static_argnums=3)
        small = jaxpr(jnp.asarray(theta), jnp.asarray(s0), dt, 6)
        large = jaxpr(jnp.asarray(theta), jnp.asarray(s0), dt, steps)
        assert len(small.jaxpr.eqns) == len(large.jaxpr.eqns)


def padded(x, c):
    y = np.pad(x, ((1, 2), (0, 1)), constant_values=c)
    z = (
        np.pad(x, 2, mode="reflect")
        + np.pad(x, (1, 3), mode="edge")[1:-2, :-1][:, :, None].sum(axis=2).mean()
    )
    w = (
        np.pad(x, ((0, 1), (2, 0)), mode="wrap")
        * np.pad(x, 1, mode="symmetric")[:4, :6]
    )
    weights = np.arange(y.size).reshape(y.shape)
    return (
        np.sum(np.sin(y) * weights)
        + np.sum(z * z) * 0.01
        + np.sum(np.cos(w) * np.arange(w.size).reshape(w.shape))
    )


@pytest.mark.parametrize("loops", ["python", "scan"])
def test_pad_gradient_under_jit(loops):
    from oracle import patched

    x = np.random.default_rng(11).normal(size=(3, 4))
    df = tangent.grad(padded, wrt=(0, 1), backend="jax", loops=loops)
    got = jax.jit(df)(jnp.asarray(x), 0.5)
    expected = jax.grad(patched(padded, jnp), argnums=(0, 1))(jnp.asarray(x), 0.5)
    close(got, expected)
    close(got, (fd(padded, (x, 0.5), 0), fd(padded, (x, 0.5), 1)), rtol=1e-6, atol=1e-6)


def index_as_value(x):
    for i in range(1, 6):
        x = x * (0.5 * i) + jnp.sin(x) / i
    return jnp.sum(x)


def index_read_after(x, n):
    total = 0.0
    for k in range(n):
        x = jnp.cos(x) * k + x
        total = total + jnp.sum(x) * k
    return total * k + jnp.sum(x ** (k - 1))


def index_in_nested(x):
    acc = 0.0
    for i in range(3):
        for j in range(4):
            x = jnp.tanh(x * (i + 1)) + 0.1 * j * x
        acc = acc + jnp.sum(x) ** 2 * (j + i)
    return acc


@pytest.mark.parametrize(
    "f,args",
    [
        (index_as_value, lambda: (jnp.array([0.3, -0.5, 1.2]),)),
        (index_read_after, lambda: (jnp.array([0.3, -0.5]), 7)),
        (index_in_nested, lambda: (jnp.array([0.3, -0.5]),)),
    ],
    ids=["index_as_value", "index_read_after", "index_in_nested"],
)
def test_loop_reading_its_index_runs_as_scan(f, args):
    """A body that reads its loop index as a number is a scan (the index is
    the scanned value); code after the loop reads the last index, a Python
    integer, as after a Python loop."""
    args = args()
    df = tangent.grad(f, loops="scan")
    text = tangent.source(df)
    assert "for " not in text and "forward_loop(" in text and "backward_loop(" in text
    static = tuple(k for k, a in enumerate(args) if isinstance(a, int))
    expected = jax.grad(f)(*args)
    close(jax.jit(df, static_argnums=static)(*args), expected)
    close(df(*args), expected)
    numpy_args = [np.asarray(a) if not isinstance(a, int) else a for a in args]
    close(expected, fd(f, numpy_args, 0), rtol=1e-6, atol=1e-8)
    if f is index_read_after:
        assert "k = last_index(range(n))" in text
        # the program does not grow with the number of steps
        sizes = [
            len(jax.make_jaxpr(df, static_argnums=1)(args[0], n).jaxpr.eqns)
            for n in (3, 30)
        ]
        assert sizes[0] == sizes[1]


def test_last_index_helper():
    from tangent.jax_runtime import last_index

    assert last_index(range(2, 9, 3)) == 8
    assert last_index(range(0), 4) == 4
    assert last_index(reversed(range(1, 5))) == 1
    with pytest.raises(UnboundLocalError):
        last_index(range(0))


# ----- helpers returning tuples, inside loops run by lax.scan -----


def _leapfrog(x, v):
    v = v - 0.05 * jnp.sin(x)
    return x + 0.1 * v, v


def tuple_unpacked(x, v, n):
    for i in range(n):
        x, v = _leapfrog(x, v)
    return jnp.sum(x * v)


def tuple_kept(x, v, n):
    state = (x, v)
    for i in range(n):
        state = _leapfrog(state[0], state[1])
    return jnp.sum(state[0] ** 2 * state[1])


def tuple_stored_then_unpacked(x, v, n):
    for i in range(n):
        out = _leapfrog(x, v)
        x, v = out
    return jnp.sum(jnp.cos(x) * v)


def tuple_indexed(x, v, n):
    for i in range(n):
        x = _leapfrog(x, v)[0] * 1.01
    return jnp.sum(x * v)


@pytest.mark.parametrize(
    "f", [tuple_unpacked, tuple_kept, tuple_stored_then_unpacked, tuple_indexed]
)
def test_helper_returning_a_tuple_in_a_scan(f):
    """The adjoint of a tuple is a list of adjoints, carried by the backward
    scan (or the `0.0` it is reset to after each step): both loops stay scans,
    the program does not grow with the steps."""
    x, v = jnp.array([0.3, -0.5, 1.1]), jnp.array([0.2, 0.1, -0.4])
    df = tangent.grad(f, wrt=(0, 1), loops="scan")
    text = tangent.source(df)
    assert "for " not in text and "backward_loop(" in text
    compiled = jax.jit(df, static_argnums=2)
    expected = jax.grad(f, argnums=(0, 1))(x, v, 12)
    close(compiled(x, v, 12), expected)
    close(df(x, v, 12), expected)
    nx, nv = np.asarray(x), np.asarray(v)
    ref = (fd(f, (nx, nv, 12), 0), fd(f, (nx, nv, 12), 1))
    close(expected, ref, rtol=1e-6, atol=1e-8)
    sizes = [
        len(jax.make_jaxpr(df, static_argnums=2)(x, v, n).jaxpr.eqns) for n in (3, 40)
    ]
    assert sizes[0] == sizes[1]


def test_scan_carries_containers_and_falls_back_when_they_grow():
    from tangent.jax_runtime import backward_loop, forward_loop

    def pairs(i, state, total):
        a, b = state
        return ([b * 0.5, a + i], total + a * b), ()

    def growing(i, items):
        return (items + [items[-1] * 2.0],), ()

    def run(x):
        (state, total), _ = forward_loop(pairs, ((x, x * 3.0), 0.0), range(5))
        (items,), _ = forward_loop(growing, ([x],), range(3))
        return state, total, items

    def by_python(x):
        state, total = (x, x * 3.0), 0.0
        for i in range(5):
            a, b = state
            state, total = [b * 0.5, a + i], total + a * b
        items = [x]
        for i in range(3):
            items = items + [items[-1] * 2.0]
        return state, total, items

    x = jnp.array([1.5, -0.5])
    got, want = jax.jit(run)(x), by_python(x)
    # the pairs are carried by one scan; the growing list ran in Python
    kinds = [e.primitive.name for e in jax.make_jaxpr(run)(x).jaxpr.eqns]
    assert kinds.count("scan") == 1
    assert isinstance(got[0], list) and len(got[2]) == 4
    close(
        tuple(got[0]) + (got[1],) + tuple(got[2]),
        tuple(want[0]) + (want[1],) + tuple(want[2]),
    )

    def step(i, dx, dlist):
        # a list adjoint made within the step and reset to zero at its end
        dlist = [dx * 2.0, dx * 3.0]
        dx = dlist[0] + dlist[1] * i + dx
        dlist = 0.0
        return dx, dlist

    expected = x
    for i in reversed(range(4)):
        expected = expected * 2.0 + expected * 3.0 * i + expected
    out = jax.jit(lambda g: backward_loop(step, (g, 0.0), range(4))[0])(x)
    close(out, expected)
    dx, dlist = backward_loop(step, (x, 0.0), range(4))  # eagerly: one scan too
    close(dx, expected)
    assert isinstance(dlist, float) and dlist == 0.0  # the zero adjoint, as it was


# ----- Forward mode on JAX -----


def _directional_fd(f, args, tangents, eps=1e-6):
    """Central differences of f along the tangents, in float64 NumPy."""
    args = [np.asarray(a, np.float64) if not isinstance(a, int) else a for a in args]
    up = [
        a + eps * np.asarray(t) if t is not None else a for a, t in zip(args, tangents)
    ]
    down = [
        a - eps * np.asarray(t) if t is not None else a for a, t in zip(args, tangents)
    ]
    return (np.asarray(f(*up), np.float64) - np.asarray(f(*down), np.float64)) / (
        2 * eps
    )


def vector_loop(x, a):
    for i in range(6):
        x = x * 0.9 + jnp.sin(x) * a * (i + 1)
    return x * jnp.cos(x)


@pytest.mark.parametrize("loops", ["python", "scan"])
def test_jvp_on_jax(loops):
    x, a = jnp.array([0.3, -0.5, 1.2]), 0.7
    tx, ta = jnp.array([1.0, 0.5, -2.0]), 0.3
    ref = jax.jvp(vector_loop, (x, a), (tx, ta))
    fwd = tangent.forward(vector_loop, wrt=(0, 1), loops=loops)
    text = tangent.source(fwd)
    assert "jnp.cos" in text and fwd.__tangent__["backend"] == "jax"
    assert ("forward_loop(" in text) == (loops == "scan")
    close(tangent.jvp(vector_loop, (x, a), (tx, ta), loops=loops), ref)
    compiled = jax.jit(
        lambda x, a, tx, ta: tangent.jvp(vector_loop, (x, a), (tx, ta), loops=loops)
    )
    close(compiled(x, a, tx, ta), ref)
    fd_ = _directional_fd(vector_loop, (x, a), (tx, ta))
    close(ref[1], fd_, rtol=1e-6, atol=1e-7)
    # batched over tangents: a Jacobian's columns
    cols = jax.vmap(lambda t: tangent.jvp(vector_loop, (x, a), (t, 0.0))[1])(jnp.eye(3))
    close(cols.T, jax.jacfwd(vector_loop)(x, a))


def test_jvp_of_numpy_function_on_jax_and_hvp():
    x = np.array([0.3, 0.5, 0.9])
    t = np.array([1.0, -0.5, 2.0])
    expected = tangent.jvp(numpy_writes, (x,), (t,))  # the NumPy backend
    assert isinstance(expected[1], (float, np.floating, np.ndarray))
    fwd = tangent.forward(numpy_writes, backend="jax")
    code = "\n".join(
        line for line in tangent.source(fwd).splitlines() if "#" not in line
    )
    assert "np." not in code.replace("jnp.", "") and ".at[" in code
    got = jax.jit(lambda x, t: tangent.jvp(numpy_writes, (x,), (t,), backend="jax"))(
        jnp.asarray(x), jnp.asarray(t)
    )
    close(got, expected)
    close(expected[1], _directional_fd(numpy_writes, (x,), (t,)), rtol=1e-6)

    def g(x):
        return jnp.sum(x**2 * jnp.sin(x)) + jnp.prod(jnp.tanh(x))

    jx, jt = jnp.asarray(x), jnp.asarray(t)
    close(tangent.hvp(g, (jx,), (jt,)), jax.jvp(jax.grad(g), (jx,), (jt,)))
    close(
        jax.jit(lambda x, t: tangent.hvp(g, (x,), (t,)))(jx, jt),
        jax.jvp(jax.grad(g), (jx,), (jt,)),
    )


def cumulative(x):
    return jnp.sum(jnp.cumprod(x, axis=1) * jnp.arange(1.0, 7.0).reshape(2, 3))


def test_cumprod_tangent_on_jax():
    x = jnp.array([[0.5, -1.2, 0.0], [2.0, 0.3, -0.7]])  # a zero: exact there
    t = jnp.array([[1.0, 0.5, -2.0], [0.2, -1.0, 0.4]])
    ref = jax.jvp(cumulative, (x,), (t,))
    close(jax.jit(lambda x, t: tangent.jvp(cumulative, (x,), (t,)))(x, t), ref)
    close(ref[1], _directional_fd(cumulative, (x,), (t,)), rtol=1e-6, atol=1e-8)


def sorted_cubes(x):
    return jnp.sum(jnp.sort(x) ** 3 * jnp.arange(1.0, 4.0))


def padded_squares(x):
    return jnp.sum(jnp.pad(x, (1, 2), mode="reflect") ** 2 * jnp.arange(1.0, 7.0))


@pytest.mark.parametrize("f", [sorted_cubes, padded_squares])
def test_hvp_through_the_jax_only_rule_helpers(f):
    # the gradient calls helpers of the JAX backend (sort_grad, unpad) that
    # have no rules: forward over reverse differentiates them through source
    x = jnp.array([0.3, -1.2, 0.7])
    t = jnp.array([1.0, 0.5, -2.0])
    expected = jax.jvp(jax.grad(f), (x,), (t,))
    close(tangent.hvp(f, (x,), (t,)), expected)
    close(jax.jit(lambda x, t: tangent.hvp(f, (x,), (t,)))(x, t), expected)
