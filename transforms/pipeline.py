"""The compiler pipeline, in order, in one place.

    parse -> fence -> normalize -> reverse mode -> optimize / prune the tape
          -> assemble the gradient function -> (codegen: unparse, compile)

`gradient_ast(...)` runs every stage and returns the gradient as a gast
FunctionDef plus what the caller needs to compile it. Each stage's output can
be printed with `quoting.to_source` for debugging (`stages=` collects them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gast

from transforms import anno, fence
from transforms.analysis import Liveness
from transforms.errors import BadWrtError
from transforms.in_place import in_place_scatter_adds
from transforms.naming import Namer, names_in
from transforms.normalize import normalize
from transforms.optimize import optimize, zero_derivatives
from transforms.quoting import assign, const, function_def, name, parameters
from transforms.reverse import (
    TAPE,
    ReverseMode,
    bind_saved_values,
    comment,
    prune_tape,
    resolve,
)


@dataclass
class Gradient:
    node: gast.FunctionDef
    name: str
    seed: str
    imports: dict = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)


def resolve_wrt(func_node, info, wrt):
    params = [a.id for a in func_node.args.args]
    if isinstance(wrt, (int, str)):
        wrt = (wrt,)
    names = []
    for w in wrt:
        if isinstance(w, bool) or not isinstance(w, (int, str)):
            raise info.error(
                BadWrtError, "wrt must hold parameter indices or names", None, repr(w)
            )
        if isinstance(w, int):
            if not -len(params) <= w < len(params):
                raise info.error(
                    BadWrtError,
                    f"wrt index {w} is out of range",
                    None,
                    f"the function has {len(params)} positional parameters: {', '.join(params)}",
                )
            names.append(params[w])
        else:
            if w not in params:
                raise info.error(
                    BadWrtError,
                    f"wrt names no parameter '{w}'",
                    None,
                    f"parameters: {', '.join(params)}",
                )
            names.append(w)
    if not names:
        raise info.error(BadWrtError, "wrt is empty", None)
    return names


def gradient_ast(
    func_node,
    info,
    wrt,
    rules,
    namespace,
    call_gradient,
    *,
    optimized=True,
    returns="grads",
    check_scalar=True,
    reserved=(),
    keep_stages=False,
    split=False,
    checkpoint=None,
):
    """The gradient of `func_node` as a gast FunctionDef.

    returns: "grads" (the gradients), "grads_value" (`(grads, value)`, for
    `preserve_result`) or "value_grads" (`(value, grads)`).
    check_scalar: whether the generated code checks that the output is a scalar.
    checkpoint: None, True or an int K: cut the outermost taped loops into
    segments of K (True: about sqrt(n)) iterations (see `transforms.checkpoint`).
    """
    stages = {}
    from transforms.quoting import to_source

    fence.check(func_node, info)
    wrt_names = resolve_wrt(func_node, info, wrt)
    func_node = _free_tape_name(func_node)
    namer = _namer(func_node, reserved)
    normal = normalize(func_node, info, namer)
    if keep_stages:
        stages["normalized"] = to_source(normal)
    mode = ReverseMode(normal, info, wrt_names, rules, namespace, namer, call_gradient)
    fwd, bwd = mode.run()
    if optimized:
        _drop_zero_derivatives(normal, wrt_names, rules, namespace, namer, bwd)
    result = anno.getanno(normal, anno.RESULT)
    seed = namer.adjoint(result)

    inits = []
    zeros_like = mode.runtime_name("zeros_like")
    for w in wrt_names:
        # a parameter known to be a number starts from 0.0, any other from
        # zeros of its own shape (the gradient has its argument's shape)
        zero = (
            const(0.0)
            if w in mode.scalars
            else gast.Call(func=name(zeros_like), args=[name(w)], keywords=[])
        )
        inits.append(assign(namer.adjoint(w), zero))
    for v in sorted(mode.active - set(wrt_names) - {result}):
        inits.append(assign(namer.adjoint(v), const(0.0)))
    for _, element in sorted(mode.element_adjoints.items()):
        inits.append(assign(element, const(0.0)))

    grads = [name(namer.adjoint(w)) for w in wrt_names]
    grad_value = (
        grads[0] if len(grads) == 1 else gast.Tuple(elts=grads, ctx=gast.Load())
    )
    # the primal's value, taken before the backward sweep restores the variables
    primal_value = namer.new("value")
    keep_value = assign(primal_value, name(result))
    if returns == "grads_value":
        value = gast.Tuple(elts=[grad_value, name(primal_value)], ctx=gast.Load())
    elif returns == "value_grads":
        value = gast.Tuple(elts=[name(primal_value), grad_value], ctx=gast.Load())
    else:
        value = grad_value
    if check_scalar and result not in mode.scalars:
        # refuses non-scalar outputs; gives the seed the shape of a size-1 output
        # (not needed where every return is surely a number: np.sum(x), a float)
        check = assign(
            seed,
            gast.Call(
                func=name(mode.runtime_name("scalar_seed")),
                args=[name(result), name(seed)],
                keywords=[],
            ),
        )
        anno.setanno(check.value, anno.IMPURE, True)
        inits.insert(0, check)
    ret = gast.Return(value=value)
    live_at_exit = {n.id for n in gast.walk(value) if isinstance(n, gast.Name)}

    for stmt in [*inits, *bwd]:
        for n in gast.walk(stmt):
            if isinstance(n, gast.stmt):
                anno.setanno(n, anno.GENERATED, True)
    tape_init = assign(TAPE, gast.List(elts=[], ctx=gast.Load()))
    boundary = comment("The backward sweep")
    body = [tape_init, *fwd, keep_value, boundary, *inits, *bwd, ret]
    if keep_stages:
        stages["unoptimized"] = to_source(_function(normal, namer, body, seed, []))
    substitutable = mode.substitutable | {namer.adjoint(t) for t in namer.temps}
    substitutable |= set(namer.temps) | {result}
    for _ in range(10):
        if optimized:
            optimize(body, live_at_exit, substitutable)
        before = _count(body)
        body, has_tape = prune_tape(body, live_at_exit)
        if _count(body) == before:
            break
    if not has_tape:
        body = [s for s in body if s is not tape_init]
    if optimized:
        _drop_orphan_comments(body, boundary)
        helpers = {
            helper: next((a for a, o in mode.imports.items() if o is obj), None)
            for helper in ("add_at", "zeros_like")
            for obj in [rules.runtime.get(helper)]
        }
        in_place_scatter_adds(body, helpers, lambda: mode.runtime_name("add_into"))
    body = bind_saved_values(body, _parameters(normal))
    if checkpoint is not None and checkpoint is not False:
        from transforms.checkpoint import check_option, checkpoint_loops

        body = checkpoint_loops(
            body, boundary, check_option(checkpoint), namer, info, _parameters(normal)
        )

    grad_name = namer.new(f"d{func_node.name}")
    if split:
        return _split(
            normal,
            namer,
            body,
            boundary,
            seed,
            primal_value,
            live_at_exit,
            mode,
            stages,
        )
    body = [s for s in body if s is not boundary]
    node = _function(normal, namer, body, seed, [], name_=grad_name)
    return Gradient(
        node=node, name=grad_name, seed=seed, imports=mode.imports, stages=stages
    )


def _split(normal, namer, body, boundary, seed, result, live_at_exit, mode, stages):
    """Split motion: a forward function saving what the backward sweep reads, and a pullback.

    def f_forward(x, ...):            def f_pullback(saved, dresult):
        ...primal, tape pushes...         x, _tape, ... = saved
        return result, (x, _tape, ...)    ...backward sweep...
                                          return dx, ...
    """
    import copy

    at = next(i for i, s in enumerate(body) if s is boundary)
    forward, backward = body[:at], body[at + 1 :]
    ret = backward[-1]
    # the pullback returns the gradients only
    grads = (
        ret.value.elts[1]
        if isinstance(ret.value, gast.Tuple) and len(ret.value.elts) == 2
        else ret.value
    )
    backward = [*backward[:-1], gast.Return(value=grads)]
    live = Liveness(
        backward, {n.id for n in gast.walk(grads) if isinstance(n, gast.Name)}
    )
    defined = {a.id for a in normal.args.args} | {
        n.id
        for s in forward
        for n in gast.walk(s)
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
    }
    saved = sorted((live.live_in - {seed}) & defined)
    saved_tuple = gast.Tuple(elts=[name(v) for v in saved], ctx=gast.Load())
    forward.append(
        gast.Return(value=gast.Tuple(elts=[name(result), saved_tuple], ctx=gast.Load()))
    )
    fwd_name = namer.new(f"{normal.name}_forward")
    fwd_args = copy.deepcopy(normal.args)
    fwd_node = function_def(fwd_name, fwd_args, forward)
    saved_name = namer.new("saved")
    unpack = gast.Assign(
        targets=[
            gast.Tuple(elts=[name(v, store=True) for v in saved], ctx=gast.Store())
        ],
        value=name(saved_name),
        type_comment=None,
    )
    backward = [unpack, *backward]
    bwd_name = namer.new(f"{normal.name}_pullback")
    bwd_node = function_def(bwd_name, parameters([saved_name, seed]), backward)
    return Split(fwd_node, fwd_name, bwd_node, bwd_name, seed, mode.imports, stages)


@dataclass
class Split:
    forward: gast.FunctionDef
    forward_name: str
    pullback: gast.FunctionDef
    pullback_name: str
    seed: str
    imports: dict
    stages: dict


def _drop_zero_derivatives(normal, wrt_names, rules, namespace, namer, bwd):
    """`dm = 0.0` for each variable `m` whose value provably does not change
    the result (`optimize.zero_derivatives`): what its adjoint would feed is
    then pruned as code fed by a zero adjoint."""
    kinds = getattr(rules, "shift_behaviour", None)
    if not kinds:
        return

    def kind_of(func):
        try:
            return kinds.get(resolve(func, namespace))
        except Exception:  # not a global, or an unhashable object
            return None

    zero = {namer.adjoint(v) for v in zero_derivatives(normal, wrt_names, kind_of)}
    if not zero:
        return
    for stmt in bwd:
        for s in gast.walk(stmt):
            if (
                isinstance(s, gast.Assign)
                and isinstance(s.targets[0], gast.Name)
                and s.targets[0].id in zero
            ):
                s.value = const(0.0)
                anno.delanno(s, anno.ZERO_IF)


def _drop_orphan_comments(stmts, keep):
    """Remove `# Grad of: ...` comments whose code the optimizer removed (a
    comment followed by another, by a return or by the end of its block)."""
    out = []
    for i, s in enumerate(stmts):
        for block in ("body", "orelse"):
            inner = getattr(s, block, None)
            if inner:
                _drop_orphan_comments(inner, keep)
        if s is not keep and anno.hasanno(s, anno.COMMENT):
            after = stmts[i + 1] if i + 1 < len(stmts) else None
            if (
                after is None
                or isinstance(after, gast.Return)
                or (after is not keep and anno.hasanno(after, anno.COMMENT))
            ):
                continue
        out.append(s)
    stmts[:] = out


def _free_tape_name(func_node):
    """Rename a local `_tape` of the function (a generated gradient's own tape,
    when differentiating it again), so that the new gradient's tape is separate."""
    used = names_in(func_node)
    if TAPE not in used or TAPE in {a.id for a in func_node.args.args}:
        return func_node
    import copy

    fresh = Namer(used).new(TAPE)
    func_node = copy.deepcopy(func_node)
    for n in gast.walk(func_node):
        if isinstance(n, gast.Name) and n.id == TAPE:
            n.id = fresh
    return func_node


def _namer(func_node, reserved):
    namer = Namer(names_in(func_node) | set(reserved) | {TAPE})
    namer.reserved_imports = set(reserved) - names_in(func_node)
    return namer


def seed_name(func_node, reserved=()) -> str:
    """The name the gradient of `func_node` gives its seed parameter (`dresult`).

    Deterministic: the same as `gradient_ast` chooses, without running it.
    """
    namer = _namer(func_node, reserved)
    namer.new("returned")
    return namer.adjoint(namer.new("result"))


def _parameters(func):
    args = func.args
    params = args.args + args.kwonlyargs + list(getattr(args, "posonlyargs", []))
    return {a.id for a in params}


def _count(body):
    return sum(1 for s in body for _ in gast.walk(s))


def _function(normal, namer, body, seed, extra, name_=None):
    import copy

    args = copy.deepcopy(normal.args)
    seed_arg = gast.Name(id=seed, ctx=gast.Param(), annotation=None, type_comment=None)
    # the seed follows the positional parameters and always has a default
    args.defaults = [*args.defaults, const(1.0)]
    args.args = [*args.args, seed_arg]
    return function_def(name_ or f"d{normal.name}", args, body)
