"""The per-file view of objects the key flow needs: each class's methods,
fields and key attributes, the records a file defines, and what a function
reads (`self.key`, `state.rng`, a module's names).

A key kept outside a function's locals is followed only where this view
reaches: attributes read as `name.attribute` (or `name.attribute.value`, an
`nnx.Variable`'s value) of a method's `self` or of a parameter, classes and
records of the same file, and the module's own names. Out of reach: objects
of other files (a base class defined elsewhere; a record of another file is
followed only through `_replace` / `replace`), attributes set dynamically
(`setattr`, `self.__dict__`), objects reached through more than one attribute
(`self.state.rng`), and what one method does to `self` when called from another
(each method is its own scope).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import libcst as cst

from guardrails.analysis.imports import ImportMap
from guardrails.analysis.keyflow.parameters import is_key_annotation
from guardrails.analysis.keyflow.state import Use
from guardrails.analysis.keyflow.syntax import child_nodes, code_of, parameters_of
from guardrails.analysis.prng import is_key_name

# Methods that build the object: run once, before the others.
CONSTRUCTORS = frozenset({"__init__", "__post_init__", "setup"})
# Flax NNX variables hold a value (`.value`) and hand it back unchanged.
VARIABLES = frozenset(
    f"flax.nnx.{name}"
    for name in (
        "Variable",
        "Param",
        "BatchStat",
        "Cache",
        "Intermediate",
        "RngKey",
        "RngState",
        "RngCount",
        "VariableState",
    )
)


@dataclass
class ClassView:
    name: str
    methods: list[cst.FunctionDef]
    fields: list[str]  # annotated class-level names, in order
    bases: list[str]
    # Attributes some method binds to a key, and those bound to something else.
    keys: set[str] = field(default_factory=set)
    not_keys: set[str] = field(default_factory=set)
    # Attributes a constructor stores a key in that it already consumed.
    spent: dict[str, Use] = field(default_factory=dict)
    # Attributes some method treats as a key (`Reads.key_uses`, `key_like`):
    # without such evidence, an attribute named like a key is not taken for one.
    evidence: frozenset[str] | None = None


@dataclass(frozen=True)
class Reads:
    """What a function's body reads, syntactically (nested scopes excluded)."""

    attributes: frozenset[tuple[str, str]]  # `N.X` with N a name
    names: frozenset[str]
    assigned: frozenset[str]
    declared_global: frozenset[str]
    # Names and `N.X` slots given as the key of a `jax.random` function: keys,
    # whatever they are called (`dropout_rng`, `state.noise`).
    key_uses: frozenset[str]
    # `N.X` slots that act as keys otherwise: passed as `key=` (or `rng=`...) to
    # a call, or bound from a `jax.random` call. With `key_uses`, the evidence
    # that an attribute named like a key (`self._parent_key`) holds one.
    key_like: frozenset[str] = frozenset()


# Statements and clauses whose `target` binds names.
_BINDING = (
    cst.AssignTarget,
    cst.For,
    cst.CompFor,
    cst.AugAssign,
    cst.AnnAssign,
    cst.NamedExpr,
)


def reads_of(function: cst.FunctionDef, imports: ImportMap) -> Reads:
    key_uses: set[str] = set()
    key_like: set[str] = set()
    attributes: set[tuple[str, str]] = set()
    names: set[str] = set()
    assigned: set[str] = {param.name.value for param in parameters_of(function.params)}
    declared: set[str] = set()
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            continue
        if isinstance(current, cst.Attribute) and isinstance(current.value, cst.Name):
            attributes.add((current.value.value, current.attr.value))
        elif isinstance(current, cst.Name):
            names.add(current.value)
        elif isinstance(current, cst.Global):
            declared |= {item.name.value for item in current.names}
        elif isinstance(current, _BINDING):
            assigned |= _bound_names(current.target)
        elif isinstance(current, cst.AsName):
            assigned |= _bound_names(current.name)
        elif isinstance(current, cst.Call):
            used = _key_argument(current, imports)
            if used is not None:
                key_uses.add(used)
            key_like.update(
                slot
                for arg in current.args
                if arg.keyword is not None and arg.keyword.value in KEY_KEYWORDS
                for slot in [slot_of(arg.value)]
                if slot is not None
            )
        if isinstance(current, cst.Assign) and _draws(current.value, imports):
            key_like.update(
                slot
                for target in current.targets
                for slot in _bound_slots(target.target)
            )
        stack.extend(child_nodes(current))
    return Reads(
        frozenset(attributes),
        frozenset(names),
        frozenset(assigned),
        frozenset(declared),
        frozenset(key_uses),
        frozenset(key_like),
    )


# `jax.random` functions whose first argument is no key.
_NOT_KEY_FIRST = frozenset(
    {"jax.random.PRNGKey", "jax.random.key", "jax.random.wrap_key_data"}
)


def _key_argument(call: cst.Call, imports: ImportMap) -> str | None:
    """The name or `N.X` slot a `jax.random` call takes as its key."""
    name = imports.qualify(call.func)
    if name is None or not name.startswith("jax.random.") or name in _NOT_KEY_FIRST:
        return None
    given = [
        arg.value
        for arg in call.args
        if (arg.keyword is None and not arg.star)
        or (arg.keyword is not None and arg.keyword.value == "key")
    ]
    if not given:
        return None
    if isinstance(given[0], cst.Name):
        return given[0].value
    return slot_of(given[0])


# Keyword arguments that take a PRNG key by convention (Equinox's `key=`, Flax's
# `rng=`, `dropout_rng=`...).
KEY_KEYWORDS = frozenset({"key", "rng", "prng_key", "rng_key", "dropout_rng"})


def _draws(value: cst.BaseExpression, imports: ImportMap) -> bool:
    """Whether `value` calls a `jax.random` function (at any depth)."""
    stack: list[cst.CSTNode] = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call):
            name = imports.qualify(current.func)
            if name is not None and name.startswith("jax.random."):
                return True
        if not isinstance(current, cst.Lambda | cst.FunctionDef):
            stack.extend(child_nodes(current))
    return False


def _bound_slots(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Tuple | cst.List):
        return [s for e in target.elements for s in _bound_slots(e.value)]
    slot = slot_of(target)
    return [] if slot is None else [slot]


def _bound_names(target: cst.CSTNode) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, cst.Tuple | cst.List):
        return set().union(*(_bound_names(e.value) for e in target.elements))
    if isinstance(target, cst.StarredElement):
        return _bound_names(target.value)
    return set()


def slot_of(node: cst.BaseExpression) -> str | None:
    """`N.X` (and `N.X.value`, a variable's value) as one name; else None."""
    if not isinstance(node, cst.Attribute):
        return None
    if isinstance(node.value, cst.Name):
        return f"{node.value.value}.{node.attr.value}"
    if node.attr.value == "value" and isinstance(node.value, cst.Attribute):
        return slot_of(node.value) if isinstance(node.value.value, cst.Name) else None
    return None


class ModuleObjects:
    """The module's classes (their methods, fields and key attributes) and the
    records it defines (their fields, in order)."""

    def __init__(self, module: cst.Module, imports: ImportMap) -> None:
        self.imports = imports
        self.classes: dict[int, ClassView] = {}  # id of a method -> its class
        self.records: dict[str, list[str]] = {}
        self.variables: set[str] = set()
        self._reads: dict[int, Reads] = {}
        # Classes whose construction only stores its arguments (records).
        self.stores: set[str] = set()  # same-file subclasses of nnx variables
        stack: list[cst.CSTNode] = list(module.body)
        while stack:
            node = stack.pop()
            if isinstance(node, cst.ClassDef):
                self._add_class(node)
                stack.extend(node.body.body)
            elif isinstance(node, cst.FunctionDef):
                stack.extend(s for s in node.body.body if isinstance(s, cst.ClassDef))

    def key_evidence(self, view: ClassView) -> frozenset[str]:
        """The attributes `view`'s methods use as keys (through their first
        parameter, `self` or `cls`), computed once per class."""
        if view.evidence is None:
            found: set[str] = set()
            for method in view.methods:
                params = parameters_of(method.params)
                if not params:
                    continue
                reads = self.reads(method)
                this = params[0].name.value + "."
                found.update(
                    slot[len(this) :]
                    for slot in reads.key_uses | reads.key_like
                    if slot.startswith(this)
                )
            view.evidence = frozenset(found)
        return view.evidence

    def reads(self, function: cst.FunctionDef) -> Reads:
        """`reads_of(function)`, once per function."""
        found = self._reads.get(id(function))
        if found is None:
            found = self._reads[id(function)] = reads_of(function, self.imports)
        return found

    def _add_class(self, node: cst.ClassDef) -> None:
        methods = [s for s in node.body.body if isinstance(s, cst.FunctionDef)]
        annotated = [
            small
            for line in node.body.body
            if isinstance(line, cst.SimpleStatementLine)
            for small in line.body
            if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name)
        ]
        fields = [cst.ensure_type(small.target, cst.Name).value for small in annotated]
        bases = [self.imports.qualify_or_local(base.value) or "" for base in node.bases]
        view = ClassView(node.name.value, methods, fields, bases)
        # `rng: np.random.Generator` is no key, whatever its name.
        view.not_keys |= {
            name
            for name, small in zip(fields, annotated, strict=True)
            if not is_key_annotation(code_of(small.annotation.annotation))
        }
        for method in methods:
            self.classes[id(method)] = view
        self.records[node.name.value] = fields
        names = {method.name.value for method in methods}
        if fields and not names & {"__init__", "__post_init__", "__new__"}:
            # Built by the generated `__init__`: its arguments are stored.
            self.stores.add(node.name.value)
        if any(base in VARIABLES or base in self.variables for base in bases):
            self.variables.add(node.name.value)


def is_constructor(
    function: cst.FunctionDef | cst.Lambda, objects: ModuleObjects
) -> bool:
    return (
        isinstance(function, cst.FunctionDef)
        and id(function) in objects.classes
        and function.name.value in CONSTRUCTORS
    )


def may_hold_keys(
    function: cst.FunctionDef,
    objects: ModuleObjects,
    global_keys: set[str],
    key_names: tuple[str, ...],
) -> bool:
    """Whether a function with no key parameter and no key producer still
    reads a key: a key attribute, a module's key, an RNG stream."""
    reads = objects.reads(function)
    if reads.key_uses or reads.names & global_keys:
        return True
    if any(is_stream_name(name) for name in reads.names):
        return True
    owner = objects.classes.get(id(function))
    return any(
        is_stream_name(attribute)
        or attribute in FRESH_KEY_METHODS
        or _is_key_named(attribute, key_names)
        or (owner is not None and attribute in owner.keys)
        for _, attribute in reads.attributes
    )


# Methods that hand out a new key on every call: Flax linen's `make_rng`,
# Haiku's `next_rng_key`.
FRESH_KEY_METHODS = frozenset({"make_rng", "next_rng_key"})


def is_stream_name(name: str) -> bool:
    """`rngs`, `self.rngs`, `dropout_rngs`: Flax NNX's naming for streams."""
    return name == "rngs" or name.endswith("_rngs")


@lru_cache(maxsize=4096)
def _is_key_named(name: str, key_names: tuple[str, ...]) -> bool:
    """`is_key_name`, remembered: every function's attributes are asked."""
    return is_key_name(name, key_names)
