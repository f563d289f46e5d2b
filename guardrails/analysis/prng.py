"""Which qualified names create PRNG keys, seed generators or set global seeds.

Names are as `ImportMap.qualify` spells them (`jr.split` -> `jax.random.split`).
Shared by the randomness rules (GR2xx) and the key dataflow in `keyflow`.
"""

from __future__ import annotations

import re
from fnmatch import translate
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the syntax pre-scans use this module without LibCST
    from guardrails.analysis.imports import ImportMap

# jax.random functions that return a fresh key or an array of keys. `split` and
# `fold_in` also consume their argument; `PRNGKey`/`key` start from a seed.
KEY_PRODUCERS = frozenset(
    {
        "jax.random.PRNGKey",
        "jax.random.key",
        "jax.random.split",
        "jax.random.fold_in",
        "jax.random.clone",
        "jax.random.wrap_key_data",
    }
)

# Producers that derive a new key and leave their argument usable: JAX's key
# reuse checker gives them a "source" but no "sink" signature.
DERIVING = frozenset({"jax.random.fold_in", "jax.random.clone"})

# Calls that make randomness depend on a seed fixed when they run.
SEEDERS = frozenset(
    KEY_PRODUCERS
    | {
        "flax.nnx.Rngs",
        "flax.nnx.rnglib.Rngs",
        "haiku.PRNGSequence",
        "numpy.random.seed",
        "numpy.random.default_rng",
        "numpy.random.RandomState",
        "numpy.random.Generator",
        "numpy.random.SeedSequence",
        "random.seed",
        "random.Random",
        "torch.manual_seed",
        "torch.seed",
        "torch.random.manual_seed",
        "torch.cuda.manual_seed",
        "torch.cuda.manual_seed_all",
        "tensorflow.random.set_seed",
    }
)

# jax.random functions that look at a key without consuming it (JAX's key reuse
# checker treats them the same way).
NON_CONSUMING_JAX_RANDOM = frozenset(
    {"jax.random.key_data", "jax.random.key_impl", "jax.random.PRNGKeyArray"}
)

# Builtins and helpers that inspect a value without using its randomness.
NON_CONSUMING_CALLS = frozenset(
    {
        "isinstance",
        "len",
        "type",
        "id",
        "repr",
        "str",
        "print",
        "hash",
        "getattr",
        "hasattr",
        "callable",
        "jax.numpy.shape",
        "jax.numpy.ndim",
        "jax.numpy.size",
        "numpy.shape",
        "numpy.ndim",
        "jax.dtypes.issubdtype",
        "jax.numpy.issubdtype",
        "jax.eval_shape",
        "jax.ShapeDtypeStruct",
        *NON_CONSUMING_JAX_RANDOM,
    }
)


# Packages whose code passes PRNG keys around.
JAX_ECOSYSTEM = frozenset(
    {"jax", "flax", "equinox", "haiku", "optax", "chex", "jaxtyping", "equimo"}
)


def imports_jax(imports: ImportMap) -> bool:
    """Whether the file imports anything of the JAX ecosystem."""
    return any(
        target.split(".", 1)[0] in JAX_ECOSYSTEM for target in imports.bindings.values()
    )


def is_key_name(name: str, patterns: tuple[str, ...]) -> bool:
    """Whether a parameter name follows the key-naming convention (`key-names`)."""
    return _key_names_regex(patterns).match(name) is not None


@lru_cache(maxsize=64)
def _key_names_regex(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """`fnmatchcase` of any of the patterns, as one compiled regex: asked of every
    name and attribute of a file, once instead of once per pattern."""
    return re.compile("|".join(f"(?:{translate(p)})" for p in patterns) or "(?!)")
