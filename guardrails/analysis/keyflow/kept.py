"""Keys that outlive one call: kept on objects, in state records and at
module level (the view of them is `objects.ModuleObjects`).

- On objects: `self.key` (or an `nnx.Variable` holding it, `self.key.value`)
  is state kept between calls. A method that draws from it without writing a
  new key back draws the same numbers on every call (an Equinox module's field
  cannot be written back at all); a constructor that consumed the key it
  stores leaves the other methods a spent key.
- In state records: a step function's record parameter (`state.rng` of a
  NamedTuple or dataclass) whose key is consumed, then handed back in the
  returned record (`state._replace(...)`, `state.replace(...)`,
  `dataclasses.replace(state, ...)`, `state.apply_gradients(...)` without the
  key's field, the record built again with the old key, or `state` itself):
  the next step draws from the same key.
- At module level: a key made at import, drawn from inside a function, is
  drawn again on every call, unless the function writes a new key back
  (`global KEY`); if the module already drew from it, the first call reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from guardrails.analysis.keyflow.expressions import FlowInputs
from guardrails.analysis.keyflow.locations import Location
from guardrails.analysis.keyflow.objects import (
    CONSTRUCTORS,
    VARIABLES,
    ClassView,
    ModuleObjects,
    slot_of,
)
from guardrails.analysis.keyflow.state import Flow, State, Use, merged
from guardrails.analysis.keyflow.syntax import code_of, parameters_of
from guardrails.analysis.keyflow.values import Exit, ValueFlow
from guardrails.analysis.prng import is_key_name

# Methods of a record that return a copy with the fields named by keyword changed.
_REPLACERS = frozenset({"_replace", "replace", "apply_gradients"})
_DATACLASS_REPLACE = frozenset({"dataclasses.replace"})


@dataclass(frozen=True)
class Persisting:
    """A key drawn from state that outlives the call (`holder`: `self.key`,
    `state.rng`, a module's `KEY`), which the call leaves in place: the next
    call draws from it again."""

    use: Use
    holder: str
    kind: str  # "attribute", "record" or "global"
    function: str


class ObjectFlow(ValueFlow):
    """`ValueFlow` with keys kept in attributes, records and module globals."""

    def __init__(self, inputs: FlowInputs, objects: ModuleObjects) -> None:
        super().__init__(inputs)
        self.objects = objects
        self.persisting: dict[int, Persisting] = {}
        # Module-level names holding keys after import, and the first use of
        # those the module itself consumed.
        self.global_keys: set[str] = set()
        self.global_uses: dict[str, Use] = {}
        # Per function being run: slot locations -> their holder (`self.key`),
        # those already spent on entry, what replacing a record carries over.
        self._seeded: dict[Location, str] = {}
        self._pre_consumed: set[Location] = set()
        self._records: dict[int, dict[str, frozenset[Location]]] = {}
        self._function: cst.FunctionDef | None = None

    def run_module(self, node: cst.Module) -> Flow:
        flow = super().run_module(node)
        if flow.normal:
            final = merged(flow.normal)
            for name, refs in final.env.items():
                if not refs or "." in name:
                    continue
                self.global_keys.add(name)
                for location in refs:
                    if location in final.consumed:
                        self.global_uses[name] = final.consumed[location]
        return flow

    def run_function(
        self,
        node: cst.FunctionDef | cst.Lambda,
        key_names: tuple[str, ...],
        extra: frozenset[str] = frozenset(),
    ) -> Flow:
        if isinstance(node, cst.Lambda):
            return super().run_function(node, key_names, extra)
        self._function = node
        self._seeded, self._pre_consumed, self._records = {}, set(), {}
        flow = super().run_function(node, key_names, extra)
        self._leaving(node, self.exits)
        self._function = None
        return flow

    def entering(self, node: cst.FunctionDef | cst.Lambda, state: State) -> None:
        if not isinstance(node, cst.FunctionDef):
            return
        reads = self.objects.reads(node)
        params = [param.name.value for param in parameters_of(node.params)]
        owner = self.objects.classes.get(id(node))
        is_static = any(
            code_of(d.decorator) in {"staticmethod", "classmethod"}
            for d in node.decorators
        )
        this = params[0] if owner is not None and params and not is_static else None
        for name, attribute in sorted(reads.attributes):
            slot = f"{name}.{attribute}"
            if owner is not None and name == this:
                if not (
                    self._is_key_attribute(owner, attribute) or slot in reads.key_uses
                ):
                    continue
                location = Location(("attr", f"{owner.name}.{attribute}"))
                spent = owner.spent.get(attribute)
                if spent is not None and node.name.value not in CONSTRUCTORS:
                    state.consumed[location] = spent
                    self._pre_consumed.add(location)
            elif (
                name in params
                and name != this
                and name not in state.env
                and (slot in reads.key_uses or slot in reads.key_like)
                and self.jax_file
            ):
                location = Location(("record", slot))
            else:
                continue
            state.env[slot] = frozenset({location})
            self._seeded[location] = slot
        for name in params:
            if name in reads.key_uses and name != this and name not in state.env:
                # Given to `jax.random` as its key: a key, whatever its name.
                state.env[name] = frozenset({Location(("param", name))})
        for name in sorted(reads.names & self.global_keys):
            if name in reads.assigned and name not in reads.declared_global:
                continue
            location = Location(("global", name))
            state.env[name] = frozenset({location})
            self._seeded[location] = name
            if name in self.global_uses:
                state.consumed[location] = self.global_uses[name]
                self._pre_consumed.add(location)

    def _is_key_attribute(self, owner: ClassView, attribute: str) -> bool:
        # A name or a stored parameter alone is no evidence (`self._parent_key`
        # of a tree cursor): some method must use the attribute as a key.
        if attribute not in self.objects.key_evidence(owner):
            return False
        if attribute in owner.keys:
            return True
        return (
            attribute not in owner.not_keys
            and self.jax_file
            and is_key_name(attribute, self.key_names)
        )

    def _leaving(self, node: cst.FunctionDef, exits: list[Exit]) -> None:
        """At each way out: what the object, the returned record or the module
        still holds of what this call consumed."""
        owner = self.objects.classes.get(id(node))
        constructor = owner is not None and node.name.value in CONSTRUCTORS
        for state, returned, _ in exits:
            if owner is not None and constructor:
                self._learn_spent(owner, state)
            for location, use in state.consumed.items():
                holder = self._seeded.get(location)
                if holder is None or location in self._pre_consumed:
                    continue
                if id(use.argument) in self.reuses:
                    continue
                kind = location.origin[0]
                if kind == "attr" and constructor:
                    continue
                if kind in {"attr", "global"}:
                    kept = location in state.env.get(holder, frozenset())
                else:
                    kept = returned is not None and self._carries(
                        returned.value, location, state
                    )
                if kept:
                    self.persisting.setdefault(
                        id(use.argument),
                        Persisting(use, holder, str(kind), node.name.value),
                    )

    def _learn_spent(self, owner: ClassView, state: State) -> None:
        """The attributes a constructor stored a key in that it consumed."""
        for slot, refs in state.env.items():
            name, _, attribute = slot.partition(".")
            if attribute and self._is_self(name):
                for location in refs:
                    if location in state.consumed:
                        owner.spent.setdefault(attribute, state.consumed[location])

    def _is_self(self, name: str) -> bool:
        function = self._function
        if function is None:
            return False
        params = parameters_of(function.params)
        return bool(params) and params[0].name.value == name

    def _carries(
        self, value: cst.BaseExpression | None, location: Location, state: State
    ) -> bool:
        """Whether a returned value holds `location` (a record's key)."""
        if value is None:
            return False
        if isinstance(value, cst.Name):
            prefix = value.value + "."
            return any(
                location in refs
                for slot, refs in state.env.items()
                if slot.startswith(prefix)
            )
        if isinstance(value, cst.Tuple | cst.List):
            return any(self._carries(e.value, location, state) for e in value.elements)
        if isinstance(value, cst.Call):
            carried = self._records.get(id(value))
            if carried is not None:
                return any(location in refs for refs in carried.values())
            name = value.func.value if isinstance(value.func, cst.Name) else None
            if name in self.objects.records:
                return any(
                    location in self.peek(arg.value, state) for arg in value.args
                )
        return False

    def peek(self, node: cst.BaseExpression, state: State) -> frozenset[Location]:
        slot = slot_of(node)
        if slot is not None:
            return state.env.get(slot, frozenset())
        return super().peek(node, state)

    def _stmt_Assign(self, node: cst.Assign, state: State) -> Flow:
        flow = super()._stmt_Assign(node, state)
        carried = self._records.get(id(node.value))
        target = node.targets[0].target if len(node.targets) == 1 else None
        if carried is not None and isinstance(target, cst.Name):
            for attribute, refs in carried.items():
                if refs:
                    state.env[f"{target.value}.{attribute}"] = refs
        return flow

    def bind(
        self, target: cst.BaseExpression, refs: frozenset[Location], state: State
    ) -> None:
        if isinstance(target, cst.Name):
            super().bind(target, refs, state)
            prefix = target.value + "."  # another object now: its slots go
            for stale in [s for s in state.env if s.startswith(prefix)]:
                del state.env[stale]
            return
        slot = slot_of(target)
        if slot is None or slot.split(".", 1)[0] not in self._names_in_scope(state):
            super().bind(target, refs, state)
            return
        if refs or slot in state.env:
            state.env[slot] = refs
        self._forget_seeds(slot, state)
        owner = self._owner()
        name, _, attribute = slot.partition(".")
        if owner is not None and self._is_self(name):
            if refs:
                owner.keys.add(attribute)
            elif (
                self._function is not None and self._function.name.value in CONSTRUCTORS
            ):
                owner.not_keys.add(attribute)

    def _owner(self) -> ClassView | None:
        function = self._function
        return None if function is None else self.objects.classes.get(id(function))

    def _names_in_scope(self, state: State) -> set[str]:
        function = self._function
        names = (
            {p.name.value for p in parameters_of(function.params)}
            if function
            else set()
        )
        return names | {name for name in state.env if "." not in name}

    def expr(self, node: cst.BaseExpression, state: State) -> frozenset[Location]:
        if isinstance(node, cst.Attribute):
            slot = slot_of(node)
            if slot is not None and slot in state.env:
                return state.env[slot]
        return super().expr(node, state)

    def call(self, node: cst.Call, state: State) -> frozenset[Location]:
        name = self.imports.qualify_or_local(node.func)
        if name in VARIABLES or name in self.objects.variables:
            # `nnx.Variable(key)` holds the key; it is not consumed.
            return self.expr(node.args[0].value, state) if node.args else frozenset()
        record = self._replaced_record(node, name)
        if record is None:
            if (
                isinstance(node.func, cst.Name)
                and node.func.value in self.objects.stores
            ):
                self._store(node, state)
                return frozenset()
            return super().call(node, state)
        before = {
            slot: refs
            for slot, refs in state.env.items()
            if slot.startswith(record + ".")
        }
        self._store(node, state)
        result: frozenset[Location] = frozenset()
        keywords = {arg.keyword.value: arg.value for arg in node.args if arg.keyword}
        carried: dict[str, frozenset[Location]] = {}
        for slot, refs in before.items():
            attribute = slot.split(".", 1)[1]
            carried[attribute] = (
                self.peek(keywords[attribute], state) if attribute in keywords else refs
            )
        self._records[id(node)] = carried
        return result

    def _store(self, node: cst.Call, state: State) -> None:
        """A record built or copied: its fields hold the keys given, which
        are stored, not consumed."""
        self.expr(node.func, state)
        for arg in node.args:
            self.expr(arg.value, state)

    def _replaced_record(self, node: cst.Call, name: str | None) -> str | None:
        """`state._replace(...)`, `state.replace(...)`,
        `dataclasses.replace(state, ...)`: the record's name."""
        func = node.func
        if name in _DATACLASS_REPLACE:
            first = node.args[0].value if node.args else None
            return first.value if isinstance(first, cst.Name) else None
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value in _REPLACERS
            and isinstance(func.value, cst.Name)
        ):
            return func.value.value
        return None
