"""User-defined derivatives for user functions, and stopping gradients.

    @tangent.custom_vjp
    def safe_log(x):
        return np.log(np.maximum(x, 1e-12))

    def safe_log_fwd(x):
        return safe_log(x), x               # (value, residuals)

    def safe_log_bwd(x, g):                 # residuals, then the output's adjoint
        return (g / np.maximum(x, 1e-12),)  # one adjoint per argument

    safe_log.defvjp(safe_log_fwd, safe_log_bwd)

A gradient of a function that calls `safe_log` calls `safe_log_fwd` and
`safe_log_bwd` for it instead of differentiating its body; the generated
code reads

    safe_log_residuals = safe_log_fwd(x)[1]
    dx_safe_log, = checked_adjoints(safe_log_bwd(safe_log_residuals, dy), (x,), 'safe_log_bwd')

Both are ordinary functions with source, so a gradient can be
differentiated again (`grad(grad(f))`) through them; `checked_adjoints`
refuses a backward that returns the wrong number or shapes of adjoints.
Forward mode (`jvp`) has no derivative for a custom_vjp function, as in
JAX: register a forward rule with `tangent.forward_rule` for it.
`stop_gradient(x)` is `x`, with no derivative flowing through it.
"""

from __future__ import annotations

import functools

from tangent.rules.registry import nondifferentiable
from transforms.errors import TransformError

__all__ = ["custom_vjp", "stop_gradient"]


def stop_gradient(x):
    """`x` itself; no derivative flows back through it."""
    return x


nondifferentiable(stop_gradient)


class custom_vjp:  # noqa: N801  (used as a decorator, like JAX's)
    """Wrap a function so that tangent uses a user-given backward for it."""

    def __init__(self, func):
        if not callable(func):
            raise TransformError(
                "custom_vjp wraps a function",
                function=repr(func),
                construct=type(func).__name__,
                hint="use @tangent.custom_vjp on a def",
            )
        functools.update_wrapper(self, func)
        self.func = func
        self.forward = None
        self.backward = None

    def __call__(self, *args):
        return self.func(*args)

    def defvjp(self, forward, backward=None):
        """Give the forward `fwd(*args) -> (value, residuals)` and the backward
        `bwd(residuals, cotangent) -> tuple of one adjoint per argument`.
        Usable as `f.defvjp(fwd, bwd)`."""
        for role, given in (("forward", forward), ("backward", backward)):
            if not callable(given):
                raise TransformError(
                    f"the {role} given to defvjp is not a function",
                    function=self.func.__name__,
                    construct=f"{role}={given!r}",
                    hint="call f.defvjp(f_fwd, f_bwd) with two functions",
                )
        self.forward = forward
        self.backward = backward
        return forward

    def tangent_backward(self, cotangent, *args):
        """The adjoints of `args` given the output's adjoint, by running the
        forward and the backward (for calling by hand; generated code calls
        the two itself, so that it can be differentiated again)."""
        from tangent.runtime import checked_adjoints

        if self.forward is None or self.backward is None:
            raise TransformError(
                "custom_vjp function has no backward",
                function=self.func.__name__,
                construct=f"custom_vjp {self.func.__name__}",
                hint="call f.defvjp(f_fwd, f_bwd) before differentiating",
            )
        _, residuals = self.forward(*args)
        label = getattr(self.backward, "__name__", "backward")
        return checked_adjoints(self.backward(residuals, cotangent), args, label)
