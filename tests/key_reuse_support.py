"""JAX's runtime key-reuse checker as the oracle of GR203's tests: load a case
written as module text, and ask the checker whether it reuses a key."""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable
from typing import Any

import jax


def load_case(name: str, module_text: str) -> Callable[..., Any]:
    """The case's function `f`, from its module text."""
    namespace: dict[str, Any] = {}
    exec(compile(module_text, name, "exec"), namespace)
    function: Callable[..., Any] = namespace["f"]
    return function


def runtime_reuse(function: Callable[..., Any]) -> bool:
    """Whether JAX's checker rejects the function on any combination of flags."""
    flags = list(inspect.signature(function).parameters)[1:]
    for values in itertools.product((True, False), repeat=len(flags)):
        try:
            with jax.debug_key_reuse(True):
                function(jax.random.key(0), *values)
        except jax.errors.KeyReuseError:
            return True
    return False
