"""What the randomness rules share: how a sample or a message spells code."""

from __future__ import annotations

import re
import textwrap

from guardrails.analysis.imports import ImportMap

JAX_KEYS = frozenset({"jax.random.PRNGKey", "jax.random.key"})
RNGS = frozenset({"flax.nnx.Rngs", "flax.nnx.rnglib.Rngs"})


def sample_code(text: str) -> str:
    """A sample written as an indented block, as the file it stands for."""
    return textwrap.dedent(text).lstrip("\n")


def spelled(imports: ImportMap, qualified: str) -> str:
    """How this file would write a qualified name: `jr.split` for `jax.random.split`."""
    best = qualified
    for local, target in imports.bindings.items():
        if qualified == target:
            return local
        if qualified.startswith(target + "."):
            candidate = local + qualified[len(target) :]
            if len(candidate) < len(best):
                best = candidate
    return best


def short(code: str, limit: int = 60) -> str:
    """Code for a message: one line, and not too long."""
    flat = " ".join(code.split())
    # What line breaks left behind: `f( a, b, )` -> `f(a, b)`.
    flat = re.sub(r"([(\[{]) ", r"\1", flat)
    flat = re.sub(r",? ([)\]}])", r"\1", flat)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
