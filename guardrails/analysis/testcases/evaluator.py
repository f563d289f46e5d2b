"""Testcase identities, found statically the way jax2onnx's harness sees them.

jax2onnx registers testcases through `register_example(...)` and
`register_primitive(...)` (plain calls and class decorators). Its harness and its
`test_do_not_skip_numeric_validation.py` name a testcase `(context, component,
testcase)` from the metadata's `context` and `component` keys and each testcase
dict's `testcase` key. This module evaluates those arguments without running
anything: literals, module-level and local names, `**` merged dicts, `dict(...)`,
list concatenation, conditional expressions, helper functions in the same module
and `for` loops over literal collections are folded. What cannot be known becomes a
`*` in the name, so `f"eqx_dinov3_vit_{name}"` over an unknown `name` is the glob
`eqx_dinov3_vit_*`. A flag written in the module that no registration accounts
for (its testcase list comes from elsewhere) still counts, as testcase
`(*, *, name-beside-it)`, so moving testcases out of sight never hides a flag.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst

FLAGS = ("run_only_f32_variant", "skip_numeric_validation")
REGISTER_FUNCTIONS = ("register_example", "register_primitive")
# What jax2onnx's own allowlist test uses when metadata lacks the key.
MISSING = "<unknown>"
WILDCARD = "*"
# Folding stops here; past it names become globs rather than the run slowing down.
_MAX_BINDINGS = 256
_MAX_DEPTH = 40
_MAX_CHOICES = 16


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class Glob:
    """A string known only in part: unknown stretches are `*`."""

    pattern: str


@dataclass(frozen=True)
class DictValue:
    """A dict with string keys; each value keeps the node that set it."""

    entries: Mapping[str, tuple[Value, cst.CSTNode]]
    # True when a part could not be resolved (an unknown `**` spread).
    partial: bool = False


@dataclass(frozen=True)
class ListValue:
    items: tuple[Value, ...]
    partial: bool = False


@dataclass(frozen=True)
class Choice:
    """One of several values, e.g. both branches of `a if c else b`."""

    options: tuple[Value, ...]


Value = (
    str
    | int
    | float
    | bool
    | None
    | Glob
    | DictValue
    | ListValue
    | Choice
    | tuple["Value", ...]
    | _Unknown
)


@dataclass(frozen=True)
class Testcase:
    """One testcase and where each flag it sets was given."""

    context: str
    component: str
    testcase: str
    flags: Mapping[str, cst.CSTNode] = field(default_factory=dict)


def is_glob(name: str) -> bool:
    return WILDCARD in name


# --------------------------------------------------------------------------- scopes


class TestcaseScanner(cst.BatchableCSTVisitor):
    """Records, in one walk, what evaluating the registrations needs: each
    scope's assignments, list mutations and returns, module-level functions,
    the `for` loops around each node and the places a flag can be given.

    Batchable, so it rides along the engine's single walk of a file; then
    `testcases()` evaluates the registrations without walking again.
    """

    def __init__(self) -> None:
        super().__init__()
        self.module: cst.Module | None = None
        self._scopes: list[cst.CSTNode] = []
        self._loops: list[list[cst.For]] = []
        # node -> (its scope: Module or FunctionDef, the loops it runs in)
        self.where: dict[cst.CSTNode, tuple[cst.CSTNode, tuple[cst.For, ...]]] = {}
        self.functions: dict[str, cst.FunctionDef] = {}
        self.assignments: dict[cst.CSTNode, dict[str, list[cst.BaseExpression]]] = {}
        self.mutations: dict[cst.CSTNode, dict[str, list[cst.CSTNode]]] = {}
        self.returns: dict[cst.CSTNode, list[cst.Return]] = {}
        self.register_calls: list[cst.Call] = []
        # Where a flag may be given, in source order, by kind.
        self.flag_keys: list[cst.DictElement] = []
        self.spreads: list[cst.StarredDictElement] = []
        self.keywords: list[cst.Arg] = []
        # The dict literal or call each flag key or keyword is written in.
        self.enclosing: dict[cst.CSTNode, cst.Dict | cst.Call] = {}
        self._containers: list[cst.Dict | cst.Call] = []

    def _record(self, node: cst.CSTNode) -> cst.CSTNode:
        scope = self._scopes[-1]
        self.where[node] = (scope, tuple(self._loops[-1]))
        return scope

    def visit_Module(self, node: cst.Module) -> None:
        self.module = node
        self._scopes = [node]
        self._loops = [[]]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._scopes[-1] is self.module:
            self.functions[node.name.value] = node

    def visit_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self._scopes.append(node)
        self._loops.append([])

    def leave_FunctionDef_body(self, node: cst.FunctionDef) -> None:
        self._scopes.pop()
        self._loops.pop()

    def visit_For_body(self, node: cst.For) -> None:
        self._loops[-1].append(node)

    def leave_For_body(self, node: cst.For) -> None:
        self._loops[-1].pop()

    def _bind(self, node: cst.CSTNode, name: str, value: cst.BaseExpression) -> None:
        scope = self._record(node)
        self.assignments.setdefault(scope, {}).setdefault(name, []).append(value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._bind(node, target.target.value, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and node.value is not None:
            self._bind(node, node.target.value, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name) and isinstance(
            node.operator, cst.AddAssign
        ):
            scope = self._record(node)
            self.mutations.setdefault(scope, {}).setdefault(
                node.target.value, []
            ).append(node)

    def visit_Return(self, node: cst.Return) -> None:
        self.returns.setdefault(self._record(node), []).append(node)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.attr.value in ("append", "extend")
        ):
            scope = self._record(node)
            self.mutations.setdefault(scope, {}).setdefault(
                func.value.value, []
            ).append(node)
        if _callee_name(func) in REGISTER_FUNCTIONS:
            self.register_calls.append(node)
        self._record(node)
        self._containers.append(node)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = node.key
        if (
            isinstance(key, (cst.SimpleString, cst.ConcatenatedString))
            and key.evaluated_value in FLAGS
        ):
            self.flag_keys.append(node)
            self.enclosing[node] = self._containers[-1]

    def visit_Dict(self, node: cst.Dict) -> None:
        self._record(node)
        self._containers.append(node)

    def leave_Dict(self, original_node: cst.Dict) -> None:
        self._containers.pop()

    def leave_Call(self, original_node: cst.Call) -> None:
        self._containers.pop()

    def visit_StarredDictElement(self, node: cst.StarredDictElement) -> None:
        self.spreads.append(node)

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.star == "**" or (
            node.keyword is not None and node.keyword.value in FLAGS
        ):
            self.keywords.append(node)
            # A class's keywords are Args too; only calls enclose a testcase.
            if node.keyword is not None and self._containers:
                self.enclosing[node] = self._containers[-1]

    def testcases(self) -> list[Testcase]:
        """Every testcase registered in the walked module, with its flags."""
        assert self.module is not None, "walk a module first"
        return _testcases(self)


def _callee_name(func: cst.BaseExpression) -> str | None:
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


# ----------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class _Env:
    scope: cst.CSTNode
    bindings: Mapping[str, Value]


class _Evaluator:
    def __init__(self, module: cst.Module, scopes: TestcaseScanner) -> None:
        self.module = module
        self.scopes = scopes
        self.depth = 0
        self.active: set[tuple[int, str]] = set()
        # Flag entries that reached a testcase through a `**` merge.
        self.merged: set[cst.CSTNode] = set()

    # Environments -------------------------------------------------------------

    def envs_at(
        self, node: cst.CSTNode, base: Mapping[str, Value] | None = None
    ) -> list[_Env]:
        """Environments to evaluate `node` in: one per iteration of the `for`
        loops around it (within its function) that fold, else one."""
        scope, loops = self.scopes.where.get(node, (self.module, ()))
        envs = [_Env(scope, dict(base or {}))]
        for loop in loops:
            envs = self._unroll(envs, loop.target, loop.iter)
        return envs

    def _unroll(
        self,
        envs: list[_Env],
        target: cst.BaseExpression,
        iterable: cst.BaseExpression,
    ) -> list[_Env]:
        """Each environment once per item of `iterable` in it, with `target`
        bound to the item; once, with `target` unknown, when the items are
        unknown or too many."""
        expanded: list[_Env] = []
        for env in envs:
            values = self.iterate(self.evaluate(iterable, env))
            if values is None or len(envs) * len(values) > _MAX_BINDINGS:
                bound = dict(env.bindings)
                bound.update(_unknown_targets(target))
                expanded.append(_Env(env.scope, bound))
                continue
            for value in values:
                bound = dict(env.bindings)
                bound.update(_bind_target(target, value))
                expanded.append(_Env(env.scope, bound))
        return expanded

    def function_env(
        self, function: cst.FunctionDef, call: cst.Call | None, caller: _Env | None
    ) -> dict[str, Value]:
        bindings: dict[str, Value] = {}
        params = function.params
        positional = [*params.posonly_params, *params.params]
        module_env = _Env(self.module, {})
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

    def lookup(self, name: str, env: _Env) -> Value:
        if name in env.bindings:
            return env.bindings[name]
        if name in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[name]
        scope = env.scope
        assigned = self.scopes.assignments.get(scope, {}).get(name)
        if assigned is None and scope is not self.module:
            scope = self.module
            assigned = self.scopes.assignments.get(scope, {}).get(name)
            env = _Env(self.module, {})
        if assigned is None:
            return UNKNOWN
        key = (id(scope), name)
        if key in self.active:
            return UNKNOWN  # a self-referential assignment
        self.active.add(key)
        try:
            values = [self.evaluate(expression, env) for expression in assigned]
            value = values[0] if len(values) == 1 else _choice(values)
            mutations = self.scopes.mutations.get(scope, {}).get(name, [])
            if mutations:
                value = _choice(
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
        self, value: ListValue, mutations: Sequence[cst.CSTNode], env: _Env
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

    def evaluate(self, node: cst.BaseExpression, env: _Env) -> Value:
        if self.depth > _MAX_DEPTH:
            return UNKNOWN
        self.depth += 1
        try:
            return self._evaluate(node, env)
        finally:
            self.depth -= 1

    def _evaluate(self, node: cst.BaseExpression, env: _Env) -> Value:
        if isinstance(node, cst.SimpleString):
            evaluated = node.evaluated_value
            return evaluated if isinstance(evaluated, str) else UNKNOWN
        if isinstance(node, cst.ConcatenatedString):
            return _concat(
                self.evaluate(node.left, env), self.evaluate(node.right, env)
            )
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
            return _choice(
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

    def _format(self, node: cst.FormattedString, env: _Env) -> Value:
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
        text = _collapse("".join(parts))
        return text if exact else Glob(text)

    def _dict(self, node: cst.Dict, env: _Env) -> Value:
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

    def _binary(self, node: cst.BinaryOperation, env: _Env) -> Value:
        left = self.evaluate(node.left, env)
        right = self.evaluate(node.right, env)
        lefts = left.options if isinstance(left, Choice) else (left,)
        rights = right.options if isinstance(right, Choice) else (right,)
        if len(lefts) * len(rights) > _MAX_CHOICES:
            return UNKNOWN
        return _choice([_combine(node.operator, a, b) for a in lefts for b in rights])

    def _subscript(self, node: cst.Subscript, env: _Env) -> Value:
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

    def _call(self, node: cst.Call, env: _Env) -> Value:
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
        self, function: cst.FunctionDef, call: cst.Call, caller: _Env
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
            return _choice(results) if results else None
        finally:
            self.active.discard(key)

    def _dict_call(self, node: cst.Call, env: _Env) -> Value:
        entries: dict[str, tuple[Value, cst.CSTNode]] = {}
        partial = False
        for arg in node.args:
            value = self.evaluate(arg.value, env)
            if arg.keyword is not None:
                entries[arg.keyword.value] = (value, arg)
            else:
                partial = self._merge(entries, value, arg) or partial
        return DictValue(entries, partial)

    def _list_comp(self, node: cst.ListComp, env: _Env) -> Value:
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


def _combine(operator: cst.BaseBinaryOp, left: Value, right: Value) -> Value:
    if isinstance(operator, cst.Add):
        if isinstance(left, ListValue) and isinstance(right, ListValue):
            return ListValue(left.items + right.items, left.partial or right.partial)
        if isinstance(left, tuple) and isinstance(right, tuple):
            return left + right
        if _is_text(left) or _is_text(right):
            return _concat(left, right)
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


def _is_text(value: Value) -> bool:
    return isinstance(value, (str, Glob))


def _concat(left: Value, right: Value) -> Value:
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    return Glob(_collapse(_pattern(left) + _pattern(right)))


def _pattern(value: Value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Glob):
        return value.pattern
    return WILDCARD


def _collapse(pattern: str) -> str:
    while WILDCARD * 2 in pattern:
        pattern = pattern.replace(WILDCARD * 2, WILDCARD)
    return pattern


def _choice(values: Sequence[Value]) -> Value:
    options: list[Value] = []
    for value in values:
        for option in value.options if isinstance(value, Choice) else (value,):
            if option not in options:
                options.append(option)
    return options[0] if len(options) == 1 else Choice(tuple(options))


# ------------------------------------------------------------------------ testcases


def _names(value: Value, missing: str) -> list[str]:
    """Every name a value may stand for: exact strings and globs."""
    if value is None:
        return [missing]
    if isinstance(value, str):
        return [value]
    if isinstance(value, Glob):
        return [value.pattern]
    if isinstance(value, Choice):
        names: list[str] = []
        for option in value.options:
            for name in _names(option, missing):
                if name not in names:
                    names.append(name)
        return names
    return [WILDCARD]


def _testcase_dicts(value: Value) -> list[DictValue]:
    if isinstance(value, DictValue):
        return [value]
    if isinstance(value, Choice):
        return [d for option in value.options for d in _testcase_dicts(option)]
    if isinstance(value, (ListValue, tuple)):
        items = value.items if isinstance(value, ListValue) else value
        return [d for item in items for d in _testcase_dicts(item)]
    return []


def _is_set(value: Value) -> bool:
    """A flag counts unless it is known to be falsy (unknown errs towards set)."""
    if isinstance(value, Choice):
        return any(_is_set(option) for option in value.options)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return bool(value)
    if isinstance(value, ListValue):
        return bool(value.items) or value.partial
    return True


def _metadata(call: cst.Call, evaluator: _Evaluator, env: _Env) -> DictValue:
    entries: dict[str, tuple[Value, cst.CSTNode]] = {}
    partial = False
    for arg in call.args:
        if arg.keyword is not None:
            entries[arg.keyword.value] = (evaluator.evaluate(arg.value, env), arg)
        elif arg.star == "**":
            spread = evaluator.evaluate(arg.value, env)
            if isinstance(spread, DictValue):
                entries.update(spread.entries)
                partial = partial or spread.partial
            else:
                partial = True
    return DictValue(entries, partial)


def extract_testcases(module: cst.Module) -> list[Testcase]:
    """Every testcase registered in the module, with the flags it sets."""
    scanner = TestcaseScanner()
    cst.visit_batched(module, [scanner])
    return scanner.testcases()


def _testcases(scanner: TestcaseScanner) -> list[Testcase]:
    assert scanner.module is not None
    evaluator = _Evaluator(scanner.module, scanner)
    found: list[Testcase] = []
    seen: set[tuple[str, str, str, tuple[tuple[str, int], ...]]] = set()
    for call in scanner.register_calls:
        for env in evaluator.envs_at(call):
            metadata = _metadata(call, evaluator, env)
            contexts = _names(_get(metadata, "context"), MISSING)
            components = _names(_get(metadata, "component"), MISSING)
            testcases = _get(metadata, "testcases")
            for case in _testcase_dicts(testcases):
                names = _names(_get(case, "testcase"), MISSING)
                flags = {
                    flag: case.entries[flag][1]
                    for flag in FLAGS
                    if flag in case.entries and _is_set(case.entries[flag][0])
                }
                for context, component, name in itertools.product(
                    contexts, components, names
                ):
                    key = (
                        context,
                        component,
                        name,
                        tuple(sorted((f, id(n)) for f, n in flags.items())),
                    )
                    if key in seen:
                        continue
                    seen.add(key)
                    found.append(Testcase(context, component, name, flags))
    attributed = {node for case in found for node in case.flags.values()}
    found += _unattributed(scanner, evaluator, attributed | evaluator.merged)
    return found


def _unattributed(
    scanner: TestcaseScanner, evaluator: _Evaluator, attributed: set[cst.CSTNode]
) -> list[Testcase]:
    """Flags the registrations did not account for: testcases defined where the
    analysis cannot follow (another module, an unknown helper). They still count,
    under an unknown context and component and the name written beside them, so
    moving a testcase out of sight never drops its flag silently."""
    found = []
    sites: list[cst.DictElement | cst.Arg] = [*scanner.flag_keys, *scanner.keywords]
    for site in sites:
        container = scanner.enclosing.get(site)
        if site in attributed or container is None:
            continue
        flag = (
            site.keyword.value
            if isinstance(site, cst.Arg) and site.keyword is not None
            else None
        )
        if isinstance(site, cst.DictElement):
            key = site.key
            assert isinstance(key, (cst.SimpleString, cst.ConcatenatedString))
            flag = str(key.evaluated_value)
        assert flag is not None
        names: list[str] = []
        set_somewhere = False
        for env in evaluator.envs_at(container):
            if not _is_set(evaluator.evaluate(site.value, env)):
                continue
            set_somewhere = True
            written = (
                evaluator.evaluate(container, env)
                if isinstance(container, cst.Dict)
                else _metadata(container, evaluator, env)
            )
            name = _get(written, "testcase") if isinstance(written, DictValue) else None
            names += [n for n in _names(name, MISSING) if n not in names]
        if set_somewhere:
            found += [Testcase(WILDCARD, WILDCARD, n, {flag: site}) for n in names]
    return found


def _get(metadata: DictValue, key: str) -> Value:
    found = metadata.entries.get(key)
    if found is not None:
        return found[0]
    return UNKNOWN if metadata.partial else None
