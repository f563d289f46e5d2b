"""Calls that ignore the key they are given, on the path being followed.

Equinox's and Flax's dropout-like layers take a key and an inference switch:
`dropout(x, inference=True, key=k)` returns `x` without drawing from `k`. Code
written for export leans on this and hands one key to every layer when
inferring:

    if inference:
        key1 = key2 = key
    else:
        key1, key2 = jax.random.split(key)
    x = self.attn_drop(x, inference=inference, key=key1)
    x = self.proj_drop(x, inference=inference, key=key2)

On the path where `inference` is true both calls ignore their keys, so nothing
is reused; on the other the keys were split. The key flow asks this module
whether a call, on the path it follows, is in such a mode.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from guardrails.analysis.prng import is_key_name

# Keyword switches that turn randomness off: when true, or when false.
OFF_WHEN_TRUE = frozenset({"inference", "deterministic"})
OFF_WHEN_FALSE = frozenset({"training", "train", "is_training"})

# Keywords that hand a layer its randomness whatever `key-names` says: Flax
# NNX's `rngs=` takes a raw key as well as an `nnx.Rngs`.
KEY_KEYWORDS = frozenset({"rngs"})

Truth = Callable[[cst.BaseExpression], bool | None]


def keys_ignored(
    call: cst.Call,
    truth: Truth,
    key_names: tuple[str, ...],
    instances: frozenset[str] = frozenset(),
) -> frozenset[int]:
    """`id`s of the arguments of `call` that it ignores on this path: those passed
    by a key-named keyword (`key=k`) to a call whose inference switch is known
    to be on (a literal, or a condition the path took: `truth`).

    Only a call of a function or module counts, not a class being built:
    `eqx.nn.MultiheadAttention(..., inference=True, key=k)` still draws its
    weights from `k`. A key passed positionally is not covered either
    (`model.init(rng, x, deterministic=True)` draws parameters from `rng`).
    `instances` are names bound to a module built once (`DROP =
    eqx.nn.Dropout(0.5)`): calling one runs it, whatever its case."""
    builds = _builds_class(call.func) and not (
        isinstance(call.func, cst.Name) and call.func.value in instances
    )
    if builds or not _randomness_off(call, truth):
        return frozenset()
    return frozenset(
        id(arg)
        for arg in call.args
        if arg.keyword is not None
        and (
            arg.keyword.value in KEY_KEYWORDS
            or is_key_name(arg.keyword.value, key_names)
        )
    )


def _randomness_off(call: cst.Call, truth: Truth) -> bool:
    for arg in call.args:
        if arg.keyword is None:
            continue
        switch = arg.keyword.value
        if switch in OFF_WHEN_TRUE:
            return _truth_of(arg.value, truth) is True
        if switch in OFF_WHEN_FALSE:
            return _truth_of(arg.value, truth) is False
    return False


def _truth_of(value: cst.BaseExpression, truth: Truth) -> bool | None:
    if isinstance(value, cst.Name) and value.value in {"True", "False"}:
        return value.value == "True"
    return truth(value)


def _builds_class(func: cst.BaseExpression) -> bool:
    """A CapWords callee (`Dropout`, `eqx.nn.Linear`) is a class being built."""
    name = func.attr.value if isinstance(func, cst.Attribute) else None
    if isinstance(func, cst.Name):
        name = func.value
    return name is not None and name[:1].isupper()
