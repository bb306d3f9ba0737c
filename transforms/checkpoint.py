"""Checkpointing: long loops trade recomputation for tape memory.

Requires: the finished body of a gradient (`pipeline.gradient_ast`, after
the optimizer and `reverse.prune_tape`), with the marker between its forward
and backward sweeps still in place.

A gradient saves, for every iteration of a loop, the values its backward
sweep reads after they were overwritten: tape memory grows with the number
of iterations. With `tangent.grad(f, checkpoint=K)` (or `checkpoint=True`,
for K = round(sqrt(n)) where the loop has n iterations) each outermost loop
whose iterations save something is rewritten, in the generated code, as
segments of K iterations:

- the forward sweep runs the loop without saving anything, except, at the
  start of each segment, the loop-carried state (the variables the body reads
  before it writes them: references, not copies, for values that are rebound;
  a copy of a container the body writes into; the length of a list it only
  appends to);
- the backward sweep walks the segments backwards: it restores a segment's
  state, runs its iterations again, this time saving on the tape, then runs
  their backward sweep as the plain gradient would.

Peak memory is then about n/K states plus K iterations of tape: with
K = sqrt(n), it grows like sqrt(n) instead of n, for one more forward
sweep's worth of time. The gradient is the same, operation for operation.

    def f(x, a):
        for i in range(1000):
            x = x * 0.99 + np.sin(x) * a
        return x

`tangent.grad(f, wrt=(0, 1), checkpoint=True)` generates:

    def df(x, a, dresult=1.0):
        _tape = []
        _checkpoints = []
        every = max(1, round(len(range(1000)) ** 0.5))
        for start in range(0, 1000, every):
            _checkpoints.append(x)
            for i in range(start, min(start + every, 1000)):
                x = x * 0.99 + np.sin(x) * a
        dresult = scalar_seed(x, dresult)
        da = zeros_like(a)
        # Grad of: return x
        dx = dresult
        for start in reversed(range(0, 1000, every)):
            # Run the segment again from its checkpoint, saving its tape
            x = _checkpoints.pop()
            for i in range(start, min(start + every, 1000)):
                _tape.append(x)
                x = x * 0.99 + np.sin(x) * a
            for i in reversed(range(start, min(start + every, 1000))):
                # Grad of: x = x * 0.99 + np.sin(x) * a
                x = _tape.pop()
                da = da + unbroadcast(dx * np.sin(x), a)
                dx = unbroadcast(dx * (a * np.cos(x) + 0.99), x)
        return dx, da

A `while` loop (and a `for` loop that may `break` or `return`) already
counts its iterations in the generated code; its forward sweep keeps its
shape and saves the state every K iterations (`if n_iterations % K == 0`).
With `checkpoint=True` the number of iterations is not known in advance:
the forward sweep starts with K = 1 and, whenever it holds more than K
states, drops every other one and doubles K, so that it ends with about
sqrt(n) states, K apart. The backward sweep then runs segments of K
iterations counted from the states, as above.

What is checkpointed, and what is refused:

- only outermost loops (a loop nested in another is part of the outer
  loop's segments) and only those that save something on the tape: a loop
  whose backward sweep needs nothing saved is left as it is;
- the option applies to the loops of the function itself; the gradients of
  the helpers it calls are generated as without it;
- a loop whose body has effects that running it again would repeat (a
  random draw, `print`, a call the compiler cannot resolve) or writes in
  place in a way whose state it cannot restore (`np.add.at`, `out=`,
  attribute stores, writes into an item of an item, in-place methods other
  than `append`/`extend`/`pop`, a container another variable shares) is
  refused with a `TangentError` that names the loop's line.

There is no `tangent.checkpoint` marker to choose loops one by one: the
keyword covers the need without a new call in the user's code (a marker
would have to pass through the language fence, normalization and the rule
registry).
"""

from __future__ import annotations

import copy
import numbers

import gast

from transforms import anno
from transforms.analysis import DefiniteAssignment, Liveness, target_names, views
from transforms.errors import TransformError, UnsupportedConstructError
from transforms.quoting import to_source
from transforms.reverse import TAPE, comment

# list methods whose effect a checkpoint undoes (the others are refused)
_LIST_GROWTH = ("append", "extend")
_RESTORED_BY_COPY = ("pop",)
_IN_PLACE_METHODS = (
    "insert",
    "remove",
    "sort",
    "reverse",
    "clear",
    "update",
    "setdefault",
    "popitem",
    "fill",
    "resize",
    "put",
    "itemset",
    "partition",
    "add",
    "discard",
)


def check_option(value):
    """The normalized `checkpoint=` option: None (off), True (sqrt) or an int K >= 1."""
    if value is None or value is False:
        return None
    if value is True:
        return True
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        if int(value) >= 1:
            return int(value)
    raise ValueError(
        "checkpoint must be True (segments of about sqrt(n) iterations), "
        f"an int K >= 1 (segments of K iterations), or None; got {value!r}"
    )


def checkpoint_loops(body, boundary, every, namer, info, params):
    """Rewrite the outermost taped loops of a gradient body into checkpointed segments.

    `body` holds the forward sweep, `boundary` (a marker statement), then the
    backward sweep. `every` is True or an int (see `check_option`).
    Returns the new body; `namer` gives the new names.
    """
    at = next(i for i, s in enumerate(body) if s is boundary)
    forward_loops = list(_outer_loops(body[:at], _has_tape_call("append")))
    backward_loops = list(_outer_loops(body[at + 1 :], _has_tape_call("pop")))
    if not forward_loops:
        return body
    if len(forward_loops) != len(backward_loops):
        raise info.error(
            TransformError,
            "internal error: cannot pair the loops of the forward and backward sweeps",
            forward_loops[0],
            hint="please report this with the function's source",
        )
    order = _preorder(body)
    position = {id(s): i for i, s in enumerate(order)}
    locals_ = set(params) | {
        n.id
        for s in body
        for n in gast.walk(s)
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
    }
    shares = views(body)
    defined = DefiniteAssignment(body, params)
    replace = {}
    for fwd, bwd in zip(forward_loops, reversed(backward_loops)):
        between = order[position[id(fwd)] + _size(fwd) : position[id(bwd)]]
        loop = _Loop(fwd, bwd, info, namer, every)
        loop.plan_state(locals_, between, shares, defined)
        replace[id(fwd)] = loop.forward()
        replace[id(bwd)] = loop.backward()
    return _replace(body, replace)


class _Loop:
    """One forward loop, its backward loop, and how to cut them into segments."""

    def __init__(self, fwd, bwd, info, namer, every):
        self.fwd, self.bwd, self.info, self.namer = fwd, bwd, info, namer
        self.every_option = every
        self.kind, self.iter, self.counter = self._classify()
        self.increment = None
        if self.counter is not None:
            self.increment = _find_increment(fwd.body, self.counter)
            if self.increment is None:
                raise self._internal("its iteration counter")
        self._check_effects()
        self.target = copy.deepcopy(bwd.target)
        # the body run again in the backward sweep: with its tape pushes, without
        # counting the iterations a second time
        self.rerun = [s for s in fwd.body if s is not self.increment]
        self.first_pass = _strip_pushes(self.rerun)

    # ----- what the loop is -----

    def _classify(self):
        fwd, bwd = self.fwd, self.bwd
        it = bwd.iter
        if isinstance(fwd, gast.For):
            if not (_is_call(it, "reversed") and len(it.args) == 1):
                raise self._internal("the backward loop")
            inner = it.args[0]
            if (
                isinstance(inner, gast.Subscript)
                and isinstance(inner.slice, gast.Slice)
                and inner.slice.lower is None
                and inner.slice.step is None
                and isinstance(inner.slice.upper, gast.Name)
            ):
                counter, inner = inner.slice.upper.id, inner.value
            else:
                counter = None
            if _dump(inner) != _dump(fwd.iter) or _dump(bwd.target) != _dump(
                fwd.target
            ):
                raise self._internal("the backward loop")
            return ("for", fwd.iter, counter)
        if (
            isinstance(fwd, gast.While)
            and _is_call(it, "range")
            and len(it.args) == 1
            and isinstance(it.args[0], gast.Name)
        ):
            return ("while", None, it.args[0].id)
        raise self._internal("the backward loop")

    def _internal(self, what):
        return self.info.error(
            TransformError,
            f"internal error: checkpointing does not recognize {what}",
            self.fwd,
            hint="please report this with the function's source",
        )

    def _refuse(self, message, construct):
        return self.info.error(
            UnsupportedConstructError,
            f"cannot checkpoint this loop: {message}",
            self.fwd,
            construct,
            "leave checkpoint= off for this function, or move the loop's effects out of it",
        )

    def _check_effects(self):
        """Refuse a body that running again would not repeat faithfully."""
        for node in _walk_body(self.fwd.body):
            if isinstance(node, gast.Call):
                if anno.getanno(node, anno.IMPURE):
                    raise self._refuse(
                        "running it again in the backward sweep would repeat its effects",
                        _text(node),
                    )
                if any(k.arg == "out" for k in node.keywords):
                    raise self._refuse("it writes in place through out=", _text(node))
                func = node.func
                if (
                    isinstance(func, gast.Attribute)
                    and isinstance(func.value, gast.Name)
                    and func.value.id != TAPE
                    and func.attr in _IN_PLACE_METHODS
                ):
                    raise self._refuse("it changes a container in place", _text(node))
            elif isinstance(node, gast.AugAssign):
                raise self._refuse("it updates a value in place", _text(node))
            elif isinstance(node, (gast.Assign, gast.Delete)):
                targets = (
                    node.targets if isinstance(node, gast.Assign) else node.targets
                )
                for t in targets:
                    for sub in gast.walk(t):
                        if isinstance(sub, gast.Attribute) and isinstance(
                            sub.ctx, (gast.Store, gast.Del)
                        ):
                            raise self._refuse("it sets an attribute", _text(node))
                        if isinstance(sub, gast.Subscript) and not isinstance(
                            sub.value, gast.Name
                        ):
                            raise self._refuse(
                                "it writes into an item of an item", _text(node)
                            )
                if isinstance(node, gast.Delete):
                    raise self._refuse("it deletes", _text(node))
            elif isinstance(node, gast.Expr) and isinstance(node.value, gast.Call):
                call = node.value
                func = call.func
                if _is_tape_call(call, "append"):
                    continue
                if (
                    isinstance(func, gast.Attribute)
                    and isinstance(func.value, gast.Name)
                    and func.attr in _LIST_GROWTH + _RESTORED_BY_COPY
                ):
                    continue
                if call.args and isinstance(call.args[0], gast.Name):
                    raise self._refuse(
                        "it calls a function for its effect on an argument",
                        _text(call),
                    )

    # ----- the state saved at the start of each segment -----

    def plan_state(self, locals_, between, shares, defined):
        probe = gast.For(
            target=copy.deepcopy(self.target),
            iter=gast.Constant(value=(), kind=None),
            body=self.rerun,
            orelse=[],
            type_comment=None,
        )
        live = Liveness([probe]).live_in & locals_
        live -= target_names(self.target) | {TAPE}
        if self.counter is not None:
            live.discard(self.counter)
        rebound, grown, copied = _writes(self.fwd.body)
        rebound_between, changed_between = set(), set()
        for s in between:
            r, g, c = _writes([s], nested=False)
            rebound_between |= r
            changed_between |= g | c
        state = []  # (kind, name): "value", "length" or "copy"
        for v in sorted(live):
            written_here = v in rebound | grown | copied
            if not written_here:
                if v in changed_between:
                    raise self._refuse(f"'{v}' is changed in place after the loop", v)
                if v not in rebound_between:
                    continue  # the same at every segment: nothing to save
                state.append(("value", v))
            elif v in copied or (v in grown and (v in rebound or v in rebound_between)):
                self._check_not_shared(v, shares)
                state.append(("copy", v))
            elif v in grown:
                state.append(("length", v))
            else:
                state.append(("value", v))
        self.state = state
        known = defined.before(self.fwd)
        self.unbound = sorted(
            v
            for kind, v in state
            if kind == "value" and known is not None and v not in known
        )

    def _check_not_shared(self, v, shares):
        if shares.get(v):
            raise self._refuse(
                f"it writes in place into '{v}', which may share memory with "
                + ", ".join(sorted(shares[v])),
                v,
            )
        inside = set(_stored_names(self.fwd)) | set(_stored_names(self.bwd))
        others = sorted(
            w for w, bases in shares.items() if v in bases and w not in inside
        )
        if others:
            raise self._refuse(
                f"it writes in place into '{v}', which {', '.join(others)} may share",
                v,
            )

    def _save_expr(self):
        if not self.state:
            return "None"  # only counts, for the thinning of `checkpoint=True`
        items = []
        for kind, v in self.state:
            if kind == "length":
                items.append(f"len({v})")
            elif kind == "copy":
                items.append(f"{v}.copy()")
            else:
                items.append(v)
        return items[0] if len(items) == 1 else f"({', '.join(items)})"

    # ----- the generated code -----

    def _names(self):
        if not hasattr(self, "_name_cache"):
            self.checkpoints = _private_name(self.namer, "_checkpoints")
            self.start = self.namer.new("start")
            self.lengths = {
                v: self.namer.new(f"{v}_length")
                for kind, v in self.state
                if kind == "length"
            }
            if self.every_option is True:
                self.every = self.namer.new("every")
            else:
                self.every = str(self.every_option)
            self._name_cache = True

    def forward(self):
        self._names()
        stmts = [f"{v} = None" for v in self.unbound]
        save = None
        if self._needs_list():
            stmts.append(f"{self.checkpoints} = []")
            save = f"{self.checkpoints}.append({self._save_expr()})"
        if self.counter is None:
            stop = _range_stop(self.iter)
            count = (
                to_source(stop) if stop is not None else f"len({to_source(self.iter)})"
            )
            if self.every_option is True:
                stmts.append(
                    f"{self.every} = max(1, round(len({to_source(self.iter)}) ** 0.5))"
                )
            head = _parse(stmts)
            loop = _parse(
                [
                    f"for {self.start} in range(0, {count}, {self.every}):",
                    f"    {save or 'pass'}",
                    f"    for {to_source(self.target)} in {self._segment(stop)}:",
                    "        __body__",
                ]
            )[0]
            if save is None:
                loop.body = loop.body[1:]
            inner = loop.body[-1]
            inner.body = self.first_pass
            _keep_line(inner, self.fwd)
            _keep_line(loop, self.fwd)
            return [*head, loop]
        # a loop that counts its iterations: save the state every K of them
        if self.every_option is True:
            stmts.append(f"{self.every} = 1")
            check = _parse(
                [
                    f"if {self.counter} % {self.every} == 0:",
                    f"    {save or 'pass'}",
                    f"    if len({self.checkpoints}) > {self.every}:",
                    f"        del {self.checkpoints}[1::2]",
                    f"        {self.every} = 2 * {self.every}",
                ]
            )[0]
            check.body[1].body.insert(
                0,
                comment(
                    "Keep about sqrt(n) checkpoints: every other one, twice as far apart"
                ),
            )
        elif save is not None:
            check = _parse([f"if {self.counter} % {self.every} == 0:", f"    {save}"])[
                0
            ]
        else:
            check = None  # nothing to save: the counter gives the segments
        head = _parse(stmts)
        # the check comes first: the state it saves is the iteration's start
        body = [check] if check is not None else []
        for s in self.fwd.body:
            body += [s] if s is self.increment else _strip_pushes([s])
        loop = copy.copy(self.fwd)
        loop.body = body
        return [*head, loop]

    def _needs_list(self):
        return bool(self.state) or (
            self.counter is not None and self.every_option is True
        )

    def _segment(self, stop):
        """The iterations of the segment that starts at iteration `start`."""
        start, every = self.start, self.every
        end = f"{start} + {every}"
        if self.counter is not None:
            end = f"min({start} + {every}, {self.counter})"
            if self.kind == "while" or stop is not None:
                return f"range({start}, {end})"
            return f"{to_source(self.iter)}[{start}:{end}]"
        if stop is not None:
            return f"range({start}, min({start} + {every}, {to_source(stop)}))"
        return f"{to_source(self.iter)}[{start}:{end}]"

    def backward(self):
        self._names()
        stop = _range_stop(self.iter) if self.kind == "for" else None
        if self.counter is not None:
            count = self.counter
        elif stop is not None:
            count = to_source(stop)
        else:
            count = f"len({to_source(self.iter)})"
        segment = self._segment(stop)
        target = to_source(self.target)
        lines = [f"for {self.start} in reversed(range(0, {count}, {self.every})):"]
        restore = []
        for kind, v in self.state:
            restore.append(self.lengths[v] if kind == "length" else v)
        if restore:
            lines.append(f"    {', '.join(restore)} = {self.checkpoints}.pop()")
        elif self._needs_list():
            lines.append(f"    {self.checkpoints}.pop()")
        for kind, v in self.state:
            if kind == "length":
                lines.append(f"    del {v}[{self.lengths[v]}:]")
        lines.append(f"    for {target} in {segment}:")
        lines.append("        __rerun__")
        if self.kind == "while":
            lines.append(f"    for {target} in {segment}:")
        else:
            lines.append(f"    for {target} in reversed({segment}):")
        lines.append("        __backward__")
        loop = _parse(lines)[0]
        rerun, back = loop.body[-2], loop.body[-1]
        rerun.body = copy.deepcopy(self.rerun)
        back.body = self.bwd.body
        loop.body.insert(
            0, comment("Run the segment again from its checkpoint, saving its tape")
        )
        _keep_line(loop, self.bwd)
        return [loop]


# ----- helpers -----


def _private_name(namer, base):
    """`base` with its leading underscore (like `_tape`), made unique."""
    candidate, i = base, 2
    while candidate in namer.used:
        candidate, i = f"{base}_{i}", i + 1
    namer.reserve(candidate)
    return candidate


def _parse(lines):
    return gast.parse("\n".join(lines) + "\n").body


def _keep_line(new, old):
    new.lineno = getattr(old, "lineno", None)


def _dump(node) -> str:
    return gast.dump(node)


def _text(node) -> str:
    try:
        return to_source(node).strip()
    except Exception:  # noqa: BLE001 - a description only
        return type(node).__name__


def _is_call(node, func) -> bool:
    return (
        isinstance(node, gast.Call)
        and isinstance(node.func, gast.Name)
        and node.func.id == func
        and not node.keywords
    )


def _range_stop(it):
    """`n` in `range(n)`, else None."""
    if _is_call(it, "range") and len(it.args) == 1:
        return it.args[0]
    return None


def _is_tape_call(call, method) -> bool:
    func = call.func
    return (
        isinstance(func, gast.Attribute)
        and func.attr == method
        and isinstance(func.value, gast.Name)
        and func.value.id == TAPE
    )


def _has_tape_call(method):
    def test(node) -> bool:
        return any(
            isinstance(n, gast.Call) and _is_tape_call(n, method)
            for n in gast.walk(node)
        )

    return test


def _is_push(stmt) -> bool:
    return (
        isinstance(stmt, gast.Expr)
        and isinstance(stmt.value, gast.Call)
        and _is_tape_call(stmt.value, "append")
    )


def _strip_pushes(stmts):
    """A copy of `stmts` without their tape pushes (nested blocks too)."""
    out = []
    for s in stmts:
        if _is_push(s):
            continue
        s = copy.copy(s)
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner:
                setattr(s, field, _strip_pushes(inner) or [gast.Pass()])
        out.append(s)
    return out


def _outer_loops(stmts, keep):
    """Loops not nested in another loop (branches are looked into), in order."""
    for s in stmts:
        if isinstance(s, (gast.For, gast.While)):
            if keep(s):
                yield s
        elif isinstance(s, gast.If):
            yield from _outer_loops(s.body, keep)
            yield from _outer_loops(s.orelse, keep)


def _preorder(stmts):
    out = []
    for s in stmts:
        out.append(s)
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list):
                out += _preorder(inner)
    return out


def _size(stmt) -> int:
    return len(_preorder([stmt]))


def _walk_body(stmts):
    for s in stmts:
        yield from gast.walk(s)


def _stored_names(node):
    return [
        n.id
        for n in gast.walk(node)
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
    ]


def _find_increment(stmts, counter):
    """`counter = counter + 1` among `stmts` (not nested), or None."""
    for s in stmts:
        if (
            isinstance(s, gast.Assign)
            and len(s.targets) == 1
            and isinstance(s.targets[0], gast.Name)
            and s.targets[0].id == counter
            and isinstance(s.value, gast.BinOp)
            and isinstance(s.value.op, gast.Add)
            and isinstance(s.value.left, gast.Name)
            and s.value.left.id == counter
        ):
            return s
    return None


def _writes(stmts, nested=True):
    """Names rebound, lists grown (`append`, `extend`) and containers otherwise
    written in place (index writes, `pop`) by `stmts`."""
    rebound, grown, copied = set(), set(), set()
    nodes = (
        (n for s in stmts for n in gast.walk(s))
        if nested
        else (
            n
            for s in stmts
            if not isinstance(s, (gast.If, gast.For, gast.While))
            for n in gast.walk(s)
        )
    )
    extra = []
    if not nested:
        # a compound statement in between: its own target and test only
        for s in stmts:
            if isinstance(s, gast.For):
                extra += list(gast.walk(s.target))
    for n in [*nodes, *extra]:
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
            rebound.add(n.id)
        elif isinstance(n, gast.Subscript) and isinstance(
            n.ctx, (gast.Store, gast.Del)
        ):
            if isinstance(n.value, gast.Name):
                copied.add(n.value.id)
        elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute):
            owner = n.func.value
            if isinstance(owner, gast.Name) and owner.id != TAPE:
                if n.func.attr in _LIST_GROWTH:
                    grown.add(owner.id)
                elif n.func.attr in _RESTORED_BY_COPY + _IN_PLACE_METHODS:
                    copied.add(owner.id)
    return rebound, grown, copied


def _replace(stmts, replace):
    out = []
    for s in stmts:
        if id(s) in replace:
            out += replace[id(s)]
            continue
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and inner:
                setattr(s, field, _replace(inner, replace))
        out.append(s)
    return out
