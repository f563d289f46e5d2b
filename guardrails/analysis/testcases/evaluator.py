"""Folds the expressions registrations are written with into `Value`s, without
running anything: literals, names, `**` merges, `dict(...)`, concatenation,
conditional expressions, same-module helpers and `for` loops over known items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import libcst as cst

from guardrails.analysis.harness import FLAGS, WILDCARD
from guardrails.analysis.testcases.values import (
    UNKNOWN,
    Choice,
    DictValue,
    Glob,
    ListValue,
    Value,
    choice,
    collapse,
    concat,
    is_text,
    string_value,
)

# Folding stops here; past it names become globs rather than the run slowing down.
_MAX_BINDINGS = 256
_MAX_DEPTH = 40
_MAX_CHOICES = 16


@dataclass(frozen=True)
class Env:
    """Where an expression is evaluated: its scope (the module or a function)
    and the names bound there by unrolled loops or a call's arguments."""

    scope: cst.CSTNode
    bindings: Mapping[str, Value]


class ModuleRecords(Protocol):
    """What the walk recorded of a module (`TestcaseScanner` records it): where
    each node is, and each scope's functions, assignments, mutations, returns."""

    where: dict[cst.CSTNode, tuple[cst.CSTNode, tuple[cst.For, ...]]]
    functions: dict[str, cst.FunctionDef]
    assignments: dict[cst.CSTNode, dict[str, list[cst.BaseExpression]]]
    mutations: dict[cst.CSTNode, dict[str, list[cst.CSTNode]]]
    returns: dict[cst.CSTNode, list[cst.Return]]


class Evaluator:
    """Folds the expressions of one module, with what the walk recorded of it."""

    def __init__(self, module: cst.Module, scopes: ModuleRecords) -> None:
        self.module = module
        self.scopes = scopes
        self.depth = 0
        self.active: set[tuple[int, str]] = set()
        # Flag entries that reached a testcase through a `**` merge.
        self.merged: set[cst.CSTNode] = set()

    # Environments -------------------------------------------------------------

    def envs_at(
        self, node: cst.CSTNode, base: Mapping[str, Value] | None = None
    ) -> list[Env]:
        """Environments to evaluate `node` in: one per iteration of the `for`
        loops around it (within its function) that fold, else one."""
        scope, loops = self.scopes.where.get(node, (self.module, ()))
        envs = [Env(scope, dict(base or {}))]
        for loop in loops:
            envs = self._unroll(envs, loop.target, loop.iter)
        return envs

    def _unroll(
        self,
        envs: list[Env],
        target: cst.BaseExpression,
        iterable: cst.BaseExpression,
    ) -> list[Env]:
        """Each environment once per item of `iterable` in it, with `target`
        bound to the item; once, with `target` unknown, when the items are
        unknown or too many."""
        expanded: list[Env] = []
        for env in envs:
            values = self.iterate(self.evaluate(iterable, env))
            if values is None or len(envs) * len(values) > _MAX_BINDINGS:
                bound = dict(env.bindings)
                bound.update(_unknown_targets(target))
                expanded.append(Env(env.scope, bound))
                continue
            for value in values:
                bound = dict(env.bindings)
                bound.update(_bind_target(target, value))
                expanded.append(Env(env.scope, bound))
        return expanded

    def function_env(
        self, function: cst.FunctionDef, call: cst.Call | None, caller: Env | None
    ) -> dict[str, Value]:
        bindings: dict[str, Value] = {}
        params = function.params
        positional = [*params.posonly_params, *params.params]
        module_env = Env(self.module, {})
        for param in [*positional, *params.kwonly_params]:
            default = param.default
            bindings[param.name.value] = (
                self.evaluate(default, module_env) if default is not None else UNKNOWN
            )
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                bindings[star.name.value] = UNKNOWN
        if call is not None and caller is not None:
            index = 0
            for arg in call.args:
                if arg.star:
                    return {name: UNKNOWN for name in bindings}
                value = self.evaluate(arg.value, caller)
                if arg.keyword is not None:
                    bindings[arg.keyword.value] = value
                elif index < len(positional):
                    bindings[positional[index].name.value] = value
                    index += 1
        return bindings

    def lookup(self, name: str, env: Env) -> Value:
        if name in env.bindings:
            return env.bindings[name]
        if name in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[name]
        scope = env.scope
        assigned = self.scopes.assignments.get(scope, {}).get(name)
        if assigned is None and scope is not self.module:
            scope = self.module
            assigned = self.scopes.assignments.get(scope, {}).get(name)
            env = Env(self.module, {})
        if assigned is None:
            return UNKNOWN
        key = (id(scope), name)
        if key in self.active:
            return UNKNOWN  # a self-referential assignment
        self.active.add(key)
        try:
            values = [self.evaluate(expression, env) for expression in assigned]
            value = values[0] if len(values) == 1 else choice(values)
            mutations = self.scopes.mutations.get(scope, {}).get(name, [])
            if mutations:
                value = choice(
                    [
                        self._apply_mutations(option, mutations, env)
                        if isinstance(option, ListValue)
                        else option
                        for option in (
                            value.options if isinstance(value, Choice) else (value,)
                        )
                    ]
                )
            return value
        finally:
            self.active.discard(key)

    def _apply_mutations(
        self, value: ListValue, mutations: Sequence[cst.CSTNode], env: Env
    ) -> ListValue:
        items = list(value.items)
        partial = value.partial
        for mutation in mutations:
            for inner in self.envs_at(mutation, env.bindings):
                if isinstance(mutation, cst.AugAssign):
                    added = self.evaluate(mutation.value, inner)
                    extend = True
                else:
                    assert isinstance(mutation, cst.Call)
                    assert isinstance(mutation.func, cst.Attribute)
                    if len(mutation.args) != 1 or mutation.args[0].star:
                        partial = True
                        continue
                    added = self.evaluate(mutation.args[0].value, inner)
                    extend = mutation.func.attr.value == "extend"
                if not extend:
                    items.append(added)
                elif isinstance(added, ListValue):
                    items += added.items
                    partial = partial or added.partial
                elif isinstance(added, tuple):
                    items += added
                else:
                    partial = True
        return ListValue(tuple(items), partial)

    # Expressions -------------------------------------------------------------

    def _merge(
        self,
        entries: dict[str, tuple[Value, cst.CSTNode]],
        spread: Value,
        at: cst.CSTNode,
    ) -> bool:
        """Merge a `**spread` (or `dict(other)`) into `entries`; True if what it
        adds is not fully known. Merged flags are located at the spread."""
        if not isinstance(spread, DictValue):
            return True
        for key, (value, origin) in spread.entries.items():
            entries[key] = (value, at)
            if key in FLAGS:
                self.merged.add(origin)
        return spread.partial

    def evaluate(self, node: cst.BaseExpression, env: Env) -> Value:
        if self.depth > _MAX_DEPTH:
            return UNKNOWN
        self.depth += 1
        try:
            return self._evaluate(node, env)
        finally:
            self.depth -= 1

    def _evaluate(self, node: cst.BaseExpression, env: Env) -> Value:
        if isinstance(node, cst.SimpleString):
            evaluated = string_value(node)
            return evaluated if isinstance(evaluated, str) else UNKNOWN
        if isinstance(node, cst.ConcatenatedString):
            return concat(self.evaluate(node.left, env), self.evaluate(node.right, env))
        if isinstance(node, cst.FormattedString):
            return self._format(node, env)
        if isinstance(node, cst.Integer):
            return int(node.evaluated_value)
        if isinstance(node, cst.Float):
            return float(node.evaluated_value)
        if isinstance(node, cst.Name):
            return self.lookup(node.value, env)
        if isinstance(node, cst.Dict):
            return self._dict(node, env)
        if isinstance(node, (cst.List, cst.Tuple)):
            items: list[Value] = []
            partial = False
            for element in node.elements:
                value = self.evaluate(element.value, env)
                if isinstance(element, cst.StarredElement):
                    spread = self.iterate(value)
                    if spread is None:
                        partial = True
                    else:
                        items += spread
                else:
                    items.append(value)
            if isinstance(node, cst.Tuple) and not partial:
                return tuple(items)
            return ListValue(tuple(items), partial)
        if isinstance(node, cst.IfExp):
            return choice(
                [self.evaluate(node.body, env), self.evaluate(node.orelse, env)]
            )
        if isinstance(node, cst.BinaryOperation):
            return self._binary(node, env)
        if isinstance(node, cst.Subscript):
            return self._subscript(node, env)
        if isinstance(node, cst.Call):
            return self._call(node, env)
        if isinstance(node, cst.ListComp):
            return self._list_comp(node, env)
        return UNKNOWN

    def _format(self, node: cst.FormattedString, env: Env) -> Value:
        parts: list[str] = []
        exact = True
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append(part.value)
                continue
            assert isinstance(part, cst.FormattedStringExpression)
            value = self.evaluate(part.expression, env)
            if part.conversion is None and part.format_spec is None:
                if isinstance(value, str):
                    parts.append(value)
                    continue
                if isinstance(value, int) and not isinstance(value, bool):
                    parts.append(str(value))
                    continue
                if isinstance(value, Glob):
                    parts.append(value.pattern)
                    exact = False
                    continue
            parts.append(WILDCARD)
            exact = False
        text = collapse("".join(parts))
        return text if exact else Glob(text)

    def _dict(self, node: cst.Dict, env: Env) -> Value:
        entries: dict[str, tuple[Value, cst.CSTNode]] = {}
        partial = False
        for element in node.elements:
            if isinstance(element, cst.StarredDictElement):
                spread = self.evaluate(element.value, env)
                partial = self._merge(entries, spread, element) or partial
                continue
            assert isinstance(element, cst.DictElement)
            name = self.evaluate(element.key, env)
            if isinstance(name, str):
                entries[name] = (self.evaluate(element.value, env), element)
            else:
                partial = True
        return DictValue(entries, partial)

    def _binary(self, node: cst.BinaryOperation, env: Env) -> Value:
        left = self.evaluate(node.left, env)
        right = self.evaluate(node.right, env)
        lefts = left.options if isinstance(left, Choice) else (left,)
        rights = right.options if isinstance(right, Choice) else (right,)
        if len(lefts) * len(rights) > _MAX_CHOICES:
            return UNKNOWN
        return choice([combine(node.operator, a, b) for a in lefts for b in rights])

    def _subscript(self, node: cst.Subscript, env: Env) -> Value:
        container = self.evaluate(node.value, env)
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return UNKNOWN
        index = self.evaluate(node.slice[0].slice.value, env)
        if isinstance(container, DictValue) and isinstance(index, str):
            found = container.entries.get(index)
            return found[0] if found is not None else UNKNOWN
        if isinstance(container, (ListValue, tuple)) and isinstance(index, int):
            items = container.items if isinstance(container, ListValue) else container
            partial = isinstance(container, ListValue) and container.partial
            if not partial and -len(items) <= index < len(items):
                return items[index]
        return UNKNOWN

    def _call(self, node: cst.Call, env: Env) -> Value:
        func = node.func
        if isinstance(func, cst.Name):
            name = func.value
            if name == "dict":
                return self._dict_call(node, env)
            if name in ("list", "tuple") and len(node.args) == 1:
                values = self.iterate(self.evaluate(node.args[0].value, env))
                if values is None:
                    return ListValue((), partial=True)
                return ListValue(tuple(values)) if name == "list" else tuple(values)
            if name == "enumerate" and len(node.args) == 1:
                values = self.iterate(self.evaluate(node.args[0].value, env))
                if values is None:
                    return UNKNOWN
                return ListValue(tuple((i, v) for i, v in enumerate(values)))
            if name == "range" and 1 <= len(node.args) <= 2:
                bounds = [self.evaluate(arg.value, env) for arg in node.args]
                if all(isinstance(b, int) and not isinstance(b, bool) for b in bounds):
                    ints = [int(b) for b in bounds if isinstance(b, int)]
                    span = range(*ints)
                    if len(span) <= _MAX_BINDINGS:
                        return ListValue(tuple(span))
                return UNKNOWN
            function = self.scopes.functions.get(name)
            if function is not None:
                return self._call_function(function, node, env)
            return UNKNOWN
        if isinstance(func, cst.Attribute):
            target = self.evaluate(func.value, env)
            method = func.attr.value
            if isinstance(target, DictValue) and not target.partial and not node.args:
                keys: tuple[Value, ...] = tuple(target.entries)
                stored = tuple(value for value, _ in target.entries.values())
                if method == "keys":
                    return ListValue(keys)
                if method == "values":
                    return ListValue(stored)
                if method == "items":
                    pairs = zip(keys, stored, strict=True)
                    return ListValue(tuple((key, value) for key, value in pairs))
            if (
                isinstance(target, str)
                and method in ("lower", "upper")
                and not node.args
            ):
                return target.lower() if method == "lower" else target.upper()
            if isinstance(target, str) and method == "replace" and len(node.args) == 2:
                old, new = (self.evaluate(arg.value, env) for arg in node.args)
                if isinstance(old, str) and isinstance(new, str):
                    return target.replace(old, new)
        return UNKNOWN

    def _call_function(
        self, function: cst.FunctionDef, call: cst.Call, caller: Env
    ) -> Value:
        key = (id(function), "<return>")
        if key in self.active:
            return UNKNOWN
        self.active.add(key)
        try:
            base = self.function_env(function, call, caller)
            results: list[Value] = []
            for statement in self.scopes.returns.get(function, ()):
                if statement.value is None:
                    results.append(None)
                    continue
                for env in self.envs_at(statement, base):
                    results.append(self.evaluate(statement.value, env))
            return choice(results) if results else None
        finally:
            self.active.discard(key)

    def _dict_call(self, node: cst.Call, env: Env) -> Value:
        entries: dict[str, tuple[Value, cst.CSTNode]] = {}
        partial = False
        for arg in node.args:
            value = self.evaluate(arg.value, env)
            if arg.keyword is not None:
                entries[arg.keyword.value] = (value, arg)
            else:
                partial = self._merge(entries, value, arg) or partial
        return DictValue(entries, partial)

    def _list_comp(self, node: cst.ListComp, env: Env) -> Value:
        envs = [env]
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            envs = self._unroll(envs, clause.target, clause.iter)
            clause = clause.inner_for_in
        return ListValue(tuple(self.evaluate(node.elt, inner) for inner in envs))

    def iterate(self, value: Value) -> list[Value] | None:
        """The items of a fully known collection, else None."""
        if isinstance(value, ListValue):
            return None if value.partial else list(value.items)
        if isinstance(value, tuple):
            return list(value)
        if isinstance(value, DictValue) and not value.partial:
            return list(value.entries)
        return None


def _bind_target(target: cst.BaseExpression, value: Value) -> dict[str, Value]:
    if isinstance(target, cst.Name):
        return {target.value: value}
    if isinstance(target, (cst.Tuple, cst.List)):
        elements = [element.value for element in target.elements]
        items = (
            list(value)
            if isinstance(value, tuple)
            else list(value.items)
            if isinstance(value, ListValue) and not value.partial
            else None
        )
        if items is None or len(items) != len(elements):
            return _unknown_targets(target)
        bound: dict[str, Value] = {}
        for element, item in zip(elements, items, strict=True):
            bound.update(_bind_target(element, item))
        return bound
    return {}


def _unknown_targets(target: cst.BaseExpression) -> dict[str, Value]:
    if isinstance(target, cst.Name):
        return {target.value: UNKNOWN}
    if isinstance(target, (cst.Tuple, cst.List)):
        bound: dict[str, Value] = {}
        for element in target.elements:
            bound.update(_unknown_targets(element.value))
        return bound
    return {}


def combine(operator: cst.BaseBinaryOp, left: Value, right: Value) -> Value:
    if isinstance(operator, cst.Add):
        if isinstance(left, ListValue) and isinstance(right, ListValue):
            return ListValue(left.items + right.items, left.partial or right.partial)
        if isinstance(left, tuple) and isinstance(right, tuple):
            return left + right
        if is_text(left) or is_text(right):
            return concat(left, right)
    if (
        isinstance(left, int)
        and isinstance(right, int)
        and not isinstance(left, bool)
        and not isinstance(right, bool)
    ):
        if isinstance(operator, cst.Add):
            return left + right
        if isinstance(operator, cst.Subtract):
            return left - right
        if isinstance(operator, cst.Multiply):
            return left * right
    return UNKNOWN
