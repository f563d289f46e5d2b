"""What a module-level name stands for, through the bindings that pass a value on.

`_jr = jax.random` makes `_jr.PRNGKey` mean `jax.random.PRNGKey`; `_HEADS = [a, b]`
makes `_HEADS[0]` mean `a`; `_MODELS = {"ln": m}` makes `_MODELS["ln"]` mean `m`;
`_A, _B = a, b` makes `_B` mean `b`; and chains of these resolve to the end. Only
module-level assignments count, the last one of a name winning (what the module
holds once imported); a value the module computes (`make()[0]`) is not followed.
"""

from __future__ import annotations

import libcst as cst

from guardrails.analysis.imports import ImportMap

# Resolution steps before giving up (a cycle `a = b; b = a` or a silly chain).
_MAX_STEPS = 64


def _constant_index(node: cst.Subscript) -> int | str | None:
    """`x[0]`, `x[-1]`, `x["ln"]`: the one constant index, else None."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    index = node.slice[0].slice.value
    if isinstance(index, cst.SimpleString):
        text = index.evaluated_value
        return text if isinstance(text, str) else None
    negative = isinstance(index, cst.UnaryOperation) and isinstance(
        index.operator, cst.Minus
    )
    number = index.expression if isinstance(index, cst.UnaryOperation) else index
    if not isinstance(number, cst.Integer) or (
        isinstance(index, cst.UnaryOperation) and not negative
    ):
        return None
    value = int(number.evaluated_value)
    return -value if negative else value


def _element(
    container: cst.BaseExpression, index: int | str
) -> cst.BaseExpression | None:
    """The entry `index` picks from a list/tuple display, a dict display or a
    `dict(...)` call, when the display says it plainly (no `*` / `**` spread)."""
    if isinstance(container, cst.List | cst.Tuple) and isinstance(index, int):
        elements = container.elements
        if any(isinstance(element, cst.StarredElement) for element in elements):
            return None
        if -len(elements) <= index < len(elements):
            return elements[index].value
        return None
    if isinstance(container, cst.Dict) and isinstance(index, str):
        found = None
        for entry in container.elements:
            if not isinstance(entry, cst.DictElement):
                found = None  # a `**spread` after may override: unknown
                continue
            key = entry.key
            if isinstance(key, cst.SimpleString) and key.evaluated_value == index:
                found = entry.value
        return found
    if (
        isinstance(container, cst.Call)
        and isinstance(container.func, cst.Name)
        and container.func.value == "dict"
        and isinstance(index, str)
    ):
        for arg in container.args:
            if arg.keyword is not None and arg.keyword.value == index:
                return arg.value
    return None


def _subscript(value: cst.BaseExpression, position: int) -> cst.Subscript:
    """`value[position]`, made up for a name bound by unpacking a value that is
    not a display (`_A, _B = _PAIR`): resolving it reads `_PAIR`'s display."""
    return cst.Subscript(
        value=value,
        slice=[cst.SubscriptElement(cst.Index(cst.Integer(str(position))))],
    )


class ModuleBindings:
    """The module-level assignments of one module, and what a reference resolves to."""

    def __init__(self, module: cst.Module, imports: ImportMap) -> None:
        self.imports = imports
        self.values: dict[str, cst.BaseExpression] = {}
        for statement in module.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._record(small)

    def _record(self, statement: cst.BaseSmallStatement) -> None:
        if isinstance(statement, cst.Assign):
            for target in statement.targets:
                self._bind(target.target, statement.value)
        elif isinstance(statement, cst.AnnAssign) and statement.value is not None:
            self._bind(statement.target, statement.value)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.values[target.value] = value
        elif isinstance(target, cst.Tuple | cst.List):
            elements = target.elements
            if any(isinstance(element, cst.StarredElement) for element in elements):
                for element in elements:  # bound, but to what is not followed
                    for name in _names_bound_by(element.value):
                        self.values.pop(name, None)
                return
            plain = isinstance(value, cst.Tuple | cst.List) and len(
                value.elements
            ) == len(elements)
            for position, element in enumerate(elements):
                part = (
                    value.elements[position].value
                    if plain and isinstance(value, cst.Tuple | cst.List)
                    else _subscript(value, position)
                )
                self._bind(element.value, part)

    def bound_value(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        """One step: what a bound name, or a constant entry of a bound display,
        holds; None when `node` is no such reference."""
        if isinstance(node, cst.Name):
            return self.values.get(node.value)
        if isinstance(node, cst.Subscript):
            index = _constant_index(node)
            if index is None:
                return None
            container = self.resolve(node.value)
            return _element(container, index)
        return None

    def resolve(self, node: cst.BaseExpression) -> cst.BaseExpression:
        """Follow references to the expression that made the value (the node
        itself when it is not a reference this module resolves)."""
        for _ in range(_MAX_STEPS):
            bound = self.bound_value(node)
            if bound is None:
                return node
            node = bound
        return node

    def qualify(self, node: cst.BaseExpression) -> str | None:
        """The qualified name `node` reaches, through imports and bindings:
        `_jr.PRNGKey` with `_jr = jax.random` is `jax.random.PRNGKey`."""
        for _ in range(_MAX_STEPS):
            qualified = self.imports.qualify(node)
            if qualified is not None:
                return qualified
            suffix: list[str] = []
            head = node
            while isinstance(head, cst.Attribute):
                suffix.append(head.attr.value)
                head = head.value
            resolved = self.resolve(head)
            if resolved is head:
                return None
            node = resolved
            for attr in reversed(suffix):
                node = cst.Attribute(value=node, attr=cst.Name(attr))
        return None


def _names_bound_by(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, cst.Tuple | cst.List):
        return [n for e in target.elements for n in _names_bound_by(e.value)]
    return []
