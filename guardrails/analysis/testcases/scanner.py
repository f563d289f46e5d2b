"""Testcase identities, found statically the way jax2onnx's harness sees them.

jax2onnx registers testcases through `register_example(...)` and
`register_primitive(...)` (plain calls and class decorators). Its harness and its
`test_do_not_skip_numeric_validation.py` name a testcase `(context, component,
testcase)` from the metadata's `context` and `component` keys and each testcase
dict's `testcase` key. `TestcaseScanner` records in the engine's one walk what
the registrations need; `evaluator` folds their arguments. A flag written in the
module that no registration accounts for (its testcase list comes from
elsewhere) still counts, as testcase `(*, *, name-beside-it)`, so moving
testcases out of sight never hides a flag.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import libcst as cst

from guardrails.analysis.harness import FLAGS, MISSING, REGISTER_FUNCTIONS, WILDCARD
from guardrails.analysis.testcases.evaluator import Env, Evaluator
from guardrails.analysis.testcases.values import (
    DictValue,
    Value,
    entry_value,
    is_set,
    names_of,
    string_value,
    testcase_dicts,
)
from guardrails.analysis.visitors import bound_methods


@dataclass(frozen=True)
class Testcase:
    """One testcase and where each flag it sets was given."""

    context: str
    component: str
    testcase: str
    flags: Mapping[str, cst.CSTNode] = field(default_factory=dict)


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

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        return bound_methods(self)

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
        value: str | bytes | None
        if isinstance(key, cst.SimpleString):
            value = string_value(key)
        elif isinstance(key, cst.ConcatenatedString):
            value = key.evaluated_value
        else:
            return
        if value in FLAGS:
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


def extract_testcases(module: cst.Module) -> list[Testcase]:
    """Every testcase registered in the module, with the flags it sets."""
    scanner = TestcaseScanner()
    cst.visit_batched(module, [scanner])
    return scanner.testcases()


def _testcases(scanner: TestcaseScanner) -> list[Testcase]:
    assert scanner.module is not None
    evaluator = Evaluator(scanner.module, scanner)
    found: list[Testcase] = []
    seen: set[tuple[str, str, str, tuple[tuple[str, int], ...]]] = set()
    for call in scanner.register_calls:
        for env in evaluator.envs_at(call):
            metadata = _metadata(call, evaluator, env)
            contexts = names_of(entry_value(metadata, "context"), MISSING)
            components = names_of(entry_value(metadata, "component"), MISSING)
            testcases = entry_value(metadata, "testcases")
            for case in testcase_dicts(testcases):
                names = names_of(entry_value(case, "testcase"), MISSING)
                flags = {
                    flag: case.entries[flag][1]
                    for flag in FLAGS
                    if flag in case.entries and is_set(case.entries[flag][0])
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
    scanner: TestcaseScanner, evaluator: Evaluator, attributed: set[cst.CSTNode]
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
            if not is_set(evaluator.evaluate(site.value, env)):
                continue
            set_somewhere = True
            written = (
                evaluator.evaluate(container, env)
                if isinstance(container, cst.Dict)
                else _metadata(container, evaluator, env)
            )
            name = (
                entry_value(written, "testcase")
                if isinstance(written, DictValue)
                else None
            )
            names += [n for n in names_of(name, MISSING) if n not in names]
        if set_somewhere:
            found += [Testcase(WILDCARD, WILDCARD, n, {flag: site}) for n in names]
    return found


def _metadata(call: cst.Call, evaluator: Evaluator, env: Env) -> DictValue:
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
