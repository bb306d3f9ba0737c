"""Annotations: documented keys that passes attach to gast nodes.

Annotations live in a dict attribute `_anno` on the node, so they survive
`copy.deepcopy` and are invisible to `ast.unparse`.
"""

from __future__ import annotations

# An Attribute chain rooted at a global (np.pi, math.sin): a constant reference.
GLOBAL_REF = "global_ref"
# On a loop: the variable that counts its iterations (while loops, loops with break).
ITERATIONS = "iterations"
# On the normalized FunctionDef: the name of the variable holding the result.
RESULT = "result"
# On the normalized FunctionDef: the parameters annotated as numbers (`x: float`).
SCALAR_PARAMS = "scalar_params"
# On a primal statement: the text of the user's line it came from.
SOURCE_LINE = "source_line"
# On a statement of the forward sweep that computes the primal (the user's code).
PRIMAL = "primal"
# On a statement the compiler wrote (adjoints, tape operations), not the user.
GENERATED = "generated"
# On a generated adjoint statement: the adjoint it is linear in; when that
# adjoint is zero the statement contributes nothing (optimize.zero_adjoints).
ZERO_IF = "zero_if"
# On a `shaped(dy, y)` call guarding a rule's input adjoint (see reverse.fill_rule).
SHAPE_GUARD = "shape_guard"
# On a Call: the call may have effects (random draws, I/O): never removed or merged.
IMPURE = "impure"
# On a generated statement: the comment to print above it (`# Grad of: ...`).
COMMENT = "comment"
# On `values = h(x)` made by the normal form for `a, b = h(x)`: the number of
# names unpacked from it (the only reads of `values` are `values[0]`, ...).
UNPACKED = "unpacked"
# On a tape push/pop statement: the id that pairs a push with its pop.
TAPE_ID = "tape_id"

# On an `unbroadcast(g, x)` call: the variable whose adjoint `g` derives from
# through elementwise operations only; two such calls with the same root and
# the same `x` have arguments of one shape and may be summed before reducing.
UNBROADCAST_ROOT = "unbroadcast_root"
# on a call: it maps its (broadcast) arguments elementwise (np.log(x) has x's shape)
ELEMENTWISE = "elementwise"

_ATTR = "_anno"


def setanno(node, key, value):
    annos = getattr(node, _ATTR, None)
    if annos is None:
        annos = {}
        setattr(node, _ATTR, annos)
    annos[key] = value


def getanno(node, key, default=None):
    return getattr(node, _ATTR, {}).get(key, default)


def hasanno(node, key) -> bool:
    return key in getattr(node, _ATTR, {})


def delanno(node, key):
    getattr(node, _ATTR, {}).pop(key, None)
