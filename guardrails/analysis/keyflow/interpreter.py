"""The key flow's statements: blocks, branches, loops, `try`, and the scope a
function or the module's top level is. Paths that return or raise stop here;
the others are joined where they meet, one state per distinct key state."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache

import libcst as cst

from guardrails.analysis.keyflow.expressions import ExpressionFlow
from guardrails.analysis.keyflow.locations import Location
from guardrails.analysis.keyflow.parameters import key_parameters
from guardrails.analysis.keyflow.state import (
    Flow,
    State,
    assume,
    distinct,
    known_truth,
)
from guardrails.analysis.keyflow.syntax import (
    child_expressions,
    child_nodes,
    code_of,
    names_in,
    parameters_of,
)


class KeyFlow(ExpressionFlow):
    """Runs one scope (a function body or the module's top level)."""

    def run_function(
        self,
        node: cst.FunctionDef | cst.Lambda,
        key_names: tuple[str, ...],
        extra: frozenset[str] = frozenset(),
    ) -> Flow:
        """A function's body, or a lambda's expression, as its own scope;
        `extra` parameters hold keys too (a caller hands them keys). The paths
        that fall off its end."""
        state = State()
        for name in {*key_parameters(node, key_names, self.jax_file), *extra}:
            state.env[name] = frozenset({Location(("param", name))})
        self.entering(node, state)
        self.closures, self.bound_calls, self.counters = {}, {}, {}
        if isinstance(node, cst.Lambda):
            self.expr(node.body, state)
            return Flow([state])
        return self.block(node.body, [state])

    def entering(self, node: cst.FunctionDef | cst.Lambda, state: State) -> None:
        """What a scope holds on entry besides its key parameters (none here)."""

    def run_module(self, node: cst.Module) -> Flow:
        self.closures, self.bound_calls, self.counters = {}, {}, {}
        return self.block(node.body, [State()])

    def block(
        self, body: cst.BaseSuite | Sequence[cst.CSTNode], states: list[State]
    ) -> Flow:
        statements: Sequence[cst.CSTNode] = (
            body.body if isinstance(body, cst.BaseSuite) else body
        )
        flow = Flow(states)
        for statement in statements:
            if not flow.normal:
                break  # unreachable after return/raise/break/continue
            steps = [self.statement(statement, state) for state in flow.normal]
            flow.normal = distinct(path for step in steps for path in step.normal)
            flow.breaks += [path for step in steps for path in step.breaks]
            flow.continues += [path for step in steps for path in step.continues]
        return flow

    def statement(self, node: cst.CSTNode, state: State) -> Flow:
        if isinstance(node, cst.SimpleStatementLine):
            if (
                self.conditional_lines is not None
                and id(node) not in self.conditional_lines
            ):
                return self.block(node.body, [state])
            return self.block(node.body, _assume_conditions(node, state))
        handler = getattr(self, f"_stmt_{type(node).__name__}", None)
        if handler is not None:
            flow: Flow = handler(node, state)
            return flow
        # Anything else (pass, global, import, type alias...): evaluate what it holds.
        for child in child_expressions(node):
            self.expr(child, state)
        if isinstance(node, cst.Import | cst.ImportFrom):
            for name in _imported_names(node):
                state.env.pop(name, None)
        return Flow([state])

    def _stmt_Expr(self, node: cst.Expr, state: State) -> Flow:
        self.expr(node.value, state)
        return Flow([state])

    def _stmt_Assign(self, node: cst.Assign, state: State) -> Flow:
        targets = [target.target for target in node.targets]
        if len(targets) == 1 and _same_arity(targets[0], node.value):
            # `a, b = b, a` and friends: bind element-wise.
            assert isinstance(node.value, cst.Tuple | cst.List)
            element_refs = [
                self.expr(_element_value(e), state) for e in node.value.elements
            ]
            target = targets[0]
            assert isinstance(target, cst.Tuple | cst.List)
            for element, refs in zip(target.elements, element_refs, strict=True):
                self.bind(element.value, refs, state)
            return Flow([state])
        refs = self.expr(node.value, state)
        for target in targets:
            self.bind(target, refs, state)
            if isinstance(target, cst.Name) and isinstance(node.value, cst.Lambda):
                captured = _captured_arguments(node.value.params, node.value.body)
                self.closures[target.value] = captured
            elif isinstance(target, cst.Name) and isinstance(node.value, cst.Call):
                self.bound_calls[target.value] = node.value
        return Flow([state])

    def _stmt_AnnAssign(self, node: cst.AnnAssign, state: State) -> Flow:
        if node.value is not None:
            self.bind(node.target, self.expr(node.value, state), state)
        return Flow([state])

    def _stmt_AugAssign(self, node: cst.AugAssign, state: State) -> Flow:
        self.expr(node.value, state)
        self.bind(node.target, frozenset(), state)
        return Flow([state])

    def _stmt_Return(self, node: cst.Return, state: State) -> Flow:
        if node.value is not None:
            self.expr(node.value, state)
        return Flow([])

    def _stmt_Raise(self, node: cst.Raise, state: State) -> Flow:
        if node.exc is not None:
            self.expr(node.exc, state)
        return Flow([])

    def _stmt_Break(self, node: cst.Break, state: State) -> Flow:
        return Flow([], breaks=[state])

    def _stmt_Continue(self, node: cst.Continue, state: State) -> Flow:
        return Flow([], continues=[state])

    def _stmt_Del(self, node: cst.Del, state: State) -> Flow:
        self.bind(node.target, frozenset(), state)
        return Flow([state])

    def _stmt_Assert(self, node: cst.Assert, state: State) -> Flow:
        self.expr(node.test, state)
        if node.msg is not None:
            self.maybe(lambda branch: self.expr_none(node.msg, branch), state)
        return Flow([state])

    def _stmt_If(self, node: cst.If, state: State) -> Flow:
        self.expr(node.test, state)
        known = known_truth(node.test, state.facts)
        flows = []
        if known is not False:
            taken = state.copy()
            assume(node.test, True, taken.facts)
            flows.append(self.block(node.body, [taken]))
        if known is not True:
            skipped = state.copy()
            assume(node.test, False, skipped.facts)
            if isinstance(node.orelse, cst.If):
                flows.append(self.statement(node.orelse, skipped))
            elif isinstance(node.orelse, cst.Else):
                flows.append(self.block(node.orelse.body, [skipped]))
            else:
                flows.append(Flow([skipped]))
        return _join_flows(flows)

    def _stmt_For(self, node: cst.For, state: State) -> Flow:
        bind_targets = self.iteration(node.iter, node.target, id(node), state)

        def one_round(head: State) -> Flow:
            bind_targets(head)
            return self.block(node.body, [head])

        return self._loop_statement(state, one_round, node.orelse)

    def _stmt_While(self, node: cst.While, state: State) -> Flow:
        def one_round(head: State) -> Flow:
            self.expr(node.test, head)
            return self.block(node.body, [head])

        forever = isinstance(node.test, cst.Name) and node.test.value == "True"
        return self._loop_statement(
            state, one_round, node.orelse, node.test, exits=not forever
        )

    def _loop_statement(
        self,
        entry: State,
        one_round: Callable[[State], Flow],
        orelse: cst.Else | None,
        test: cst.BaseExpression | None = None,
        *,
        exits: bool = True,
    ) -> Flow:
        """A `for` or `while` loop (see `loop`): its `else` runs on the paths
        that leave from the head, not on those that break out."""
        left = self.loop(entry, one_round, test, exits=exits)
        from_head = left.normal
        if orelse is not None:
            from_head = self.block(orelse.body, from_head).normal
        return Flow(distinct(from_head + left.breaks))

    def _stmt_Try(self, node: cst.Try | cst.TryStar, state: State) -> Flow:
        before = state.copy()
        body = self.block(node.body, [state])
        if node.orelse is not None and body.normal:
            orelse = self.block(node.orelse.body, body.normal)
            body = Flow(
                orelse.normal,
                body.breaks + orelse.breaks,
                body.continues + orelse.continues,
            )
        # A handler may start before anything in the body ran: giving it the
        # state before the body keeps `try: f(key) except E: g(key)` quiet.
        flows = [body]
        for handler in node.handlers:
            flows.append(self.block(handler.body, [before.copy()]))
        joined = _join_flows(flows)
        if node.finalbody is not None:
            if joined.normal:
                joined.normal = self.block(node.finalbody.body, joined.normal).normal
            else:
                self.block(node.finalbody.body, [before.copy()])
        return joined

    _stmt_TryStar = _stmt_Try

    def _stmt_With(self, node: cst.With, state: State) -> Flow:
        for item in node.items:
            self.expr(item.item, state)
            if item.asname is not None:
                self.bind(item.asname.name, frozenset(), state)
        return self.block(node.body, [state])

    def _stmt_Match(self, node: cst.Match, state: State) -> Flow:
        self.expr(node.subject, state)
        flows = [self.block(case.body, [state.copy()]) for case in node.cases]
        flows.append(Flow([state]))  # no case may match
        return _join_flows(flows)

    def _stmt_FunctionDef(self, node: cst.FunctionDef, state: State) -> Flow:
        # The body is its own scope; decorators and defaults run here.
        for decorator in node.decorators:
            self.expr(decorator.decorator, state)
        for param in parameters_of(node.params):
            if param.default is not None:
                self.expr(param.default, state)
        self.bind(node.name, frozenset(), state)
        self.closures[node.name.value] = _captured_arguments(node.params, node.body)
        return Flow([state])

    def _stmt_ClassDef(self, node: cst.ClassDef, state: State) -> Flow:
        for decorator in node.decorators:
            self.expr(decorator.decorator, state)
        for argument in (*node.bases, *node.keywords):
            self.expr(argument.value, state)
        self.bind(node.name, frozenset(), state)
        return Flow([state])


def _assume_conditions(line: cst.SimpleStatementLine, state: State) -> list[State]:
    """One path per way the statement's conditional expressions can go, so that
    `a = f(key) if c else None` and `b = g(key) if not c else None` on the next
    line never meet. Only the first two open conditions split."""
    if not state.env:
        return [state]
    paths = [state]
    open_tests = [
        test
        for test in _conditional_tests(line, state.env.keys())
        if known_truth(test, state.facts) is None
    ]
    for test in open_tests[:2]:
        split = []
        for path in paths:
            for truth in (True, False):
                assumed = path.copy()
                assume(test, truth, assumed.facts)
                split.append(assumed)
        paths = split
    return paths


def _conditional_tests(
    line: cst.SimpleStatementLine, keys: Iterable[str]
) -> Iterator[cst.BaseExpression]:
    """Tests of the conditional expressions in `line` whose branches mention one
    of the `keys` variables (the others cannot change what is consumed)."""
    names = set(keys)
    for test, mentioned in _conditionals_of(line):
        if names & mentioned:
            yield test


@lru_cache(maxsize=4096)
def _conditionals_of(
    line: cst.SimpleStatementLine,
) -> tuple[tuple[cst.BaseExpression, frozenset[str]], ...]:
    """Each conditional expression's test and the names its branches mention.
    A line is met once per path and loop round; nodes hash by identity, and the
    cache holds them, so an entry cannot outlive its node."""
    found = []
    stack: list[cst.CSTNode] = [line]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Lambda):
            continue
        if isinstance(current, cst.IfExp):
            mentioned = names_in(current.body) | names_in(current.orelse)
            found.append((current.test, frozenset(mentioned)))
        stack.extend(child_nodes(current))
    return tuple(found)


def _captured_arguments(params: cst.Parameters, body: cst.CSTNode) -> frozenset[str]:
    """Names a local function passes to calls without binding them itself."""
    passed: set[str] = set()
    local = {param.name.value for param in parameters_of(params)}
    stack: list[cst.CSTNode] = [body]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Arg) and isinstance(current.value, cst.Name):
            passed.add(current.value.value)
        elif isinstance(current, cst.AssignTarget | cst.CompFor | cst.For):
            local |= names_in(current.target)
        stack.extend(child_nodes(current))
    return frozenset(passed - local)


def _join_flows(flows: Sequence[Flow]) -> Flow:
    return Flow(
        distinct(state for flow in flows for state in flow.normal),
        [state for flow in flows for state in flow.breaks],
        [state for flow in flows for state in flow.continues],
    )


def _same_arity(target: cst.BaseExpression, value: cst.BaseExpression) -> bool:
    return (
        isinstance(target, cst.Tuple | cst.List)
        and isinstance(value, cst.Tuple | cst.List)
        and len(target.elements) == len(value.elements)
        and not any(isinstance(e, cst.StarredElement) for e in target.elements)
        and not any(isinstance(e, cst.StarredElement) for e in value.elements)
    )


def _element_value(element: cst.BaseElement) -> cst.BaseExpression:
    return element.value


def _imported_names(node: cst.Import | cst.ImportFrom) -> list[str]:
    if isinstance(node.names, cst.ImportStar):
        return []
    names = []
    for alias in node.names:
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            names.append(alias.asname.name.value)
        else:
            dotted = code_of(alias.name)
            names.append(dotted.split(".", 1)[0])
    return names
