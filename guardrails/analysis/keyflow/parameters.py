"""Which parameters hold PRNG keys: the `key-names` convention, checked against
the parameter's annotation."""

from __future__ import annotations

import re

import libcst as cst

from guardrails.analysis.keyflow.syntax import code_of, parameters_of
from guardrails.analysis.keyflow.usage import used_as_non_key
from guardrails.analysis.prng import is_key_name


def key_parameters(
    node: cst.FunctionDef | cst.Lambda, key_names: tuple[str, ...], jax_file: bool
) -> list[str]:
    """Parameters that hold PRNG keys by the naming convention (`key-names`).

    The name alone would take every dictionary's `key` for a PRNG key, so an
    annotation decides when there is one (`key: PRNGKeyArray` yes, `key: str`
    no), and an unannotated parameter counts only in a file that imports the JAX
    ecosystem (`jax_file`) and whose body does not use it as something else:
    a mapping key, text or an `nnx.Rngs` stream (`usage`)."""
    return [
        param.name.value
        for param in parameters_of(node.params)
        if is_key_name(param.name.value, key_names)
        and (
            jax_file and not used_as_non_key(node.body, param.name.value)
            if param.annotation is None
            else is_key_annotation(code_of(param.annotation.annotation))
        )
    ]


# `PRNGKeyArray`, `jax.Array`, `KeyArray`, `ArrayLike`, `chex.PRNGKey`...
_KEY_ANNOTATION = re.compile(r"key|prng|rng|array|jax", re.IGNORECASE)
# ... but not the stateful generators, which hand out a new key per call and are
# meant to be shared: `nnx.Rngs`, `nnx.RngStream`, NumPy's generators.
_STATEFUL_GENERATOR = re.compile(r"Rngs\b|RngStream|Generator|RandomState")


def is_key_annotation(annotation: str) -> bool:
    return (
        _KEY_ANNOTATION.search(annotation) is not None
        and _STATEFUL_GENERATOR.search(annotation) is None
    )
