"""GR202's search, apart from its rule: the testcase callables of a module, the
module instance each builds at import that freezes state (following bindings,
wrappers and lambda defaults), and the `construct_and_call(...)` form that
builds it per variant instead."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import libcst as cst

from guardrails.analysis.harness import testcase_callable
from guardrails.analysis.imports import ImportMap, dotted_name
from guardrails.analysis.keyflow import child_nodes, code_of
from guardrails.analysis.module_bindings import ModuleBindings
from guardrails.analysis.prng import KEY_PRODUCERS
from guardrails.rules.randomness._common import JAX_KEYS, RNGS, short
from guardrails.rules.randomness._frozen_state import FrozenState


def testcase_callables(node: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """The callables of the testcase dicts under `node`, displays and `dict(...)`
    calls alike (`harness.testcase_callable` decides, for the pre-scan too)."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        found = None
        if isinstance(current, cst.Dict):
            found = testcase_callable(
                (element.key.evaluated_value, element.value)
                for element in current.elements
                if isinstance(element, cst.DictElement)
                and isinstance(element.key, cst.SimpleString)
            )
        elif (
            isinstance(current, cst.Call)
            and isinstance(current.func, cst.Name)
            and current.func.value == "dict"
        ):
            found = testcase_callable(
                (arg.keyword.value, arg.value) for arg in current.args if arg.keyword
            )
        if found is not None:
            yield found
        stack.extend(reversed(list(child_nodes(current))))


@dataclass(frozen=True)
class EagerBuild:
    """A module instance built at import, and how the testcase callable reaches it."""

    construction: cst.Call
    through_name: str | None = None  # `"callable": _MODEL` bound at module level
    wrapper: str | None = None  # `jax.vmap(Module(...))`
    lambda_default: str | None = None  # `lambda x, _m=_MODEL: ...`


class ModuleScope:
    """Module-level names: what each is bound to, and which are classes."""

    def __init__(self, module: cst.Module, imports: ImportMap) -> None:
        self.imports = imports
        self.bindings = ModuleBindings(module, imports)
        self.frozen = FrozenState(module, self.bindings)
        self.classes = set(self.frozen.classes)

    def is_class(self, func: cst.BaseExpression) -> bool:
        """Whether a callee is a class: a class of this module, or a CapWords name
        (as imported: `EG` imported as `expect_graph` is a function)."""
        func = self.bindings.resolve(func)
        local = dotted_name(func)
        if local is None:
            return False
        if local in self.classes:
            return True
        qualified = self.bindings.qualify(func) or local
        if qualified.split(".", 1)[0] in {"jax", "numpy", "builtins"}:
            return False  # `jax.random.PRNGKey`, `jax.ShapeDtypeStruct`: not modules
        last = qualified.rsplit(".", 1)[-1].lstrip("_")
        return last[:1].isupper()

    def eager_build(
        self, value: cst.BaseExpression, depth: int = 0
    ) -> EagerBuild | None:
        """The module instance `value` builds (or holds) at import that freezes
        state (parameters, a dtype, a key), if any."""
        if depth > 32:
            return None  # a silly chain of wrappers
        if isinstance(value, cst.Lambda):
            for param in (*value.params.params, *value.params.kwonly_params):
                if param.default is None:
                    continue
                found = self.eager_build(param.default, depth + 1)
                if found is not None:
                    text = f"{param.name.value}={code_of(param.default)}"
                    return replace(found, lambda_default=text)
            return None
        resolved = self.bindings.resolve(value)
        if resolved is not value:
            found = self.eager_build(resolved, depth + 1)
            # Name it as the testcase spells it (`_ALIAS`, not what it aliases).
            return (
                None if found is None else replace(found, through_name=code_of(value))
            )
        if not isinstance(value, cst.Call):
            return None
        callee = self.bindings.qualify(value.func) or dotted_name(value.func) or ""
        if callee.rsplit(".", 1)[-1] in {"construct_and_call", "make_callable_factory"}:
            return None
        if self.is_class(value.func):
            # A construction that freezes nothing is the same in every variant.
            return None if self.frozen.holds_nothing(value) else EagerBuild(value)
        for arg in value.args:
            found = self.eager_build(arg.value, depth + 1)
            if found is not None:
                return (
                    found
                    if found.wrapper
                    else replace(found, wrapper=code_of(value.func))
                )
        return None


def _placeholder(arg: cst.Arg, bindings: ModuleBindings) -> str:
    """An argument as `construct_and_call` wants it: keys, Rngs and dtypes as
    placeholders the harness resolves per variant."""
    value = arg.value
    keyword = arg.keyword.value if arg.keyword is not None else None
    prefix = f"{keyword}=" if keyword else str(arg.star)
    if isinstance(value, cst.Call):
        name = bindings.qualify(value.func)
        seed = code_of(value.args[0].value) if value.args else "0"
        if name in JAX_KEYS:
            return f"{prefix}with_prng_key({seed})"
        if name in KEY_PRODUCERS:
            return f"{prefix}with_prng_key(0)"
        if name in RNGS:
            return f"{prefix}with_rng_seed({seed})"
    if keyword in {"dtype", "param_dtype"}:
        return f"{prefix}with_requested_dtype()"
    return prefix + code_of(value)


def construct_and_call_form(construction: cst.Call, bindings: ModuleBindings) -> str:
    arguments = [code_of(construction.func)]
    arguments += [_placeholder(arg, bindings) for arg in construction.args]
    return short(f"construct_and_call({', '.join(arguments)})", limit=160)


def calls_in(node: cst.CSTNode) -> Iterator[cst.Call]:
    """Calls evaluated with `node` (not those in lambda bodies)."""
    if isinstance(node, cst.Lambda):
        return
    if isinstance(node, cst.Call):
        yield node
    for child in child_nodes(node):
        yield from calls_in(child)
