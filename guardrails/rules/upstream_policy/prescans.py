"""What the GR4 rules (jax2onnx's own policy scripts) look for, asked of
CPython's syntax tree: GR401-GR403's decisions, and the others' pre-scans.

GR401-GR403 follow jax2onnx's `ast` scripts (scripts/check_forbidden_reflection.py,
check_ir_builder_usage.py, check_variable_annotations.py) statement by statement
and are the rules' one decision: the rule reports what they find, the pre-scan
asks whether they find anything (tests/test_upstream_parity.py runs the scripts
beside the rules). The other pre-scans follow their rules' first checks loosely,
erring towards "yes" (tests/test_prescan.py and tests/test_upstream_policies.py
compare findings with and without them). No LibCST here: this runs before the
engine decides whether to import it. The module is over 500 lines because it is
the family's one LibCST-free module (the pre-scan tests hold each family to
one): three scripts' decisions and seven rules' pre-scans, a section each.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Sequence
from functools import cache

from guardrails.analysis.syntax_prescans import SyntaxIndex
from guardrails.config import Config
from guardrails.text.columns import CharColumns, source_lines, source_segment

# A node of CPython's tree to report, and the finding's message.
Found = tuple[ast.AST, str]

# GR401: the calls that probe an object, by builtin name.
ATTRIBUTE_PROBES = frozenset({"getattr", "hasattr"})


def type_names(node: ast.expr) -> list[str | None]:
    """How check_forbidden_reflection.py spells an `isinstance` type (`ir.Graph`,
    `Graph`, a string, None when it cannot), for each type of a tuple too."""
    if isinstance(node, ast.Tuple):
        return [name for element in node.elts for name in type_names(element)]
    return [_type_name(node)]


def _type_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Attribute):
        prefix = _type_name(node.value)
        return f"{prefix}.{node.attr}" if prefix else node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def reflection(call: ast.Call, config: Config) -> str | None:
    """GR401 on one call: `getattr`/`hasattr` of a banned attribute by literal
    name, or `isinstance` against a banned type; the message, or None."""
    func = call.func
    if not isinstance(func, ast.Name):
        return None
    if func.id in ATTRIBUTE_PROBES:
        name = call.args[1] if len(call.args) >= 2 else None
        if (
            isinstance(name, ast.Constant)
            and isinstance(name.value, str)
            and name.value in config.reflection_attributes
        ):
            return (
                f"reflection on IR internals: `{func.id}(..., {name.value!r})`;"
                " use the typed onnx_ir API"
            )
    elif func.id == "isinstance" and len(call.args) == 2:
        names = type_names(call.args[1])
        banned = next((n for n in names if n in config.reflection_types), None)
        if banned is not None:
            return (
                f"reflection on IR internals: `isinstance(..., {banned})`;"
                " type the value as the IR class instead"
            )
    return None


def reflections(index: SyntaxIndex, config: Config) -> Iterator[Found]:
    for call in index.calls:
        message = reflection(call, config)
        if message is not None:
            yield call, message


def may_reflect(index: SyntaxIndex, config: Config) -> bool:
    return next(reflections(index, config), None) is not None


# GR402, as check_ir_builder_usage.py: the `_outputs=` values it accepts.
OUTPUTS_SEQUENCES = (
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Name,
    ast.Call,
    ast.Attribute,
    ast.Subscript,
)


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def is_initializer_method(parts: Sequence[str]) -> bool:
    """`….builder….initializer` or `….builder….add_initializer_from_*`."""
    *base, last = parts
    return "builder" in base and (
        last == "initializer" or last.startswith("add_initializer_from")
    )


def _outputs_problem(value: ast.expr) -> str | None:
    """What is wrong with an `_outputs=` value, or None; the kind of an
    unexpected expression is named as the script names it."""
    if isinstance(value, ast.Constant):
        if isinstance(value.value, str):
            return "`_outputs` must be a list or tuple of names, not a string"
        return None
    if isinstance(value, OUTPUTS_SEQUENCES):
        return None
    if isinstance(value, ast.JoinedStr):
        return "`_outputs` must be a list or tuple of names, not an f-string"
    kind = type(value).__name__
    return f"`_outputs` must be a list or tuple of names, not a {kind} expression"


def builder_misuses(index: SyntaxIndex, config: Config) -> Iterator[Found]:
    """GR402: an initializer without `name=` (at the call), and an `_outputs=`
    that is a string or no sequence-like expression (at the value)."""
    for call in index.calls:
        parts = _dotted(call.func)
        if (
            parts is not None
            and is_initializer_method(parts)
            and not any(keyword.arg == "name" for keyword in call.keywords)
        ):
            yield (
                call,
                f"`{'.'.join(parts)}(...)` without `name=`: initializers need "
                "stable names",
            )
        for keyword in call.keywords:
            if keyword.arg == "_outputs":
                problem = _outputs_problem(keyword.value)
                if problem is not None:
                    yield keyword.value, problem


def may_misuse_builder(index: SyntaxIndex, config: Config) -> bool:
    return next(builder_misuses(index, config), None) is not None


# GR403, as check_variable_annotations.py: names that need no annotation, and
# what in a value's source text marks a type alias or a cast.
EXEMPT_NAMES = frozenset(
    {"__all__", "__annotations__", "__doc__", "__path__", "__package__", "__version__"}
)
TYPE_ALIAS_TOKENS = tuple(
    token.lower()
    for token in (
        "typing.",
        "Union[",
        "Optional[",
        "Callable[",
        "Literal[",
        "TypeVar(",
        "TypeAlias",
        "tuple[",
        "list[",
        "set[",
        "dict[",
        "frozenset[",
        "Sequence[",
        "Mapping[",
        "Iterable[",
        "Protocol",
    )
)


def exempt_name(name: str) -> bool:
    """Dunders the module system sets, `_`, and CamelCase (aliases, classes)."""
    if name in EXEMPT_NAMES:
        return True
    stripped = name.strip("_")
    return not stripped or (stripped[0].isupper() and not stripped.isupper())


def exempt_value(text: str) -> bool:
    """A cast, or text that names a typing construct (case-insensitively, as
    the script does: `Protocol` anywhere in the value, say)."""
    lowered = text.strip().lower()
    if lowered.startswith(("typing.cast(", "cast(")):
        return True
    return any(token in lowered for token in TYPE_ALIAS_TOKENS)


def module_level_assignments(tree: ast.Module) -> Iterator[ast.Assign]:
    """Every `=` statement outside functions and classes, in source order: in
    `if`, `try`, `for`, `while`, `with` and `match` blocks too."""
    pending: list[ast.AST] = list(reversed(tree.body))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Assign):
            yield node
        elif not isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ):
            children: list[ast.AST] = []
            for field_name in node._fields:
                value = getattr(node, field_name, None)
                if isinstance(value, list):
                    children += [
                        child
                        for child in value
                        if isinstance(
                            child, ast.stmt | ast.excepthandler | ast.match_case
                        )
                    ]
            pending += reversed(children)


def _targets(assignment: ast.Assign) -> list[ast.Name]:
    """The targets that need an annotation: plain names, not exempt ones."""
    return [
        target
        for target in assignment.targets
        if isinstance(target, ast.Name) and not exempt_name(target.id)
    ]


def may_leave_unannotated(index: SyntaxIndex, config: Config) -> bool:
    """Whether a module-level `name = value` with a name that needs an
    annotation exists (its value's text, not asked here, may still exempt it)."""
    return any(
        _targets(assignment) for assignment in module_level_assignments(index.tree)
    )


def unannotated_variables(tree: ast.Module, source: str) -> Iterator[Found]:
    """GR403, as check_variable_annotations.py judges: the value's text is
    `ast.get_source_segment`'s (lines split as it splits them)."""
    lines: list[str] = []
    columns: CharColumns | None = None
    for assignment in module_level_assignments(tree):
        targets = _targets(assignment)
        if not targets:
            continue
        if columns is None:
            lines = source_lines(source)
            columns = CharColumns(lines)
        if exempt_value(source_segment(lines, columns, assignment.value)):
            continue
        for target in targets:
            yield (
                target,
                f"module-level variable `{target.id}` has no type annotation",
            )


# GR406
def may_use_compat_api(index: SyntaxIndex, config: Config) -> bool:
    """Whether an import binds a version-sensitive API, or binds a prefix of
    one whose remaining names are all attributes somewhere in the file."""
    for target in index.imports.targets:
        for api in config.jax_compat_apis:
            if api == target:
                return True
            if api.startswith(target + "."):
                rest = api[len(target) + 1 :].split(".")
                if all(name in index.attributes for name in rest):
                    return True
    return False


@cache
def api_names_pattern(apis: tuple[str, ...]) -> re.Pattern[str]:
    """The last names of `apis` as words: a body without one uses none."""
    names = sorted({api.rsplit(".", 1)[-1] for api in apis})
    return re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b")


# GR412: what CPython's tree must hold for a `.jaxpr` self-unwrap to be there.
def _unwraps_jaxpr(node: ast.expr) -> bool:
    """`name.jaxpr` or `getattr(name, "jaxpr", ...)`."""
    if isinstance(node, ast.Attribute):
        return node.attr == "jaxpr" and isinstance(node.value, ast.Name)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "getattr"
        and len(node.args) >= 2
        and isinstance(node.args[0], ast.Name)
        and isinstance(node.args[1], ast.Constant)
        and node.args[1].value == "jaxpr"
    )


def _calls_itself(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A call of the function's own name: what GR412's recursion needs."""
    return any(
        isinstance(node, ast.Call) and _recursion_target(node) == function.name
        for node in ast.walk(function)
    )


def _recursion_target(call: ast.Call) -> str | None:
    """The function a call could recurse into on a jaxpr: `f` of `f(x)`,
    `self.f(x)` or `cls.f(x.jaxpr)` (given a name or an unwrap)."""
    arguments = (*call.args, *(keyword.value for keyword in call.keywords))
    if not any(isinstance(arg, ast.Name) or _unwraps_jaxpr(arg) for arg in arguments):
        return None
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.attr if func.value.id in ("self", "cls") else None
    return None


def _reassigns_unwrap(loop: ast.While) -> bool:
    """The loop assigns a name its own unwrap (`x = x.jaxpr`)."""
    return any(
        isinstance(inner, ast.Assign)
        and _unwraps_jaxpr(inner.value)
        and any(
            isinstance(target, ast.Name) and target.id == _unwrapped_name(inner.value)
            for target in inner.targets
        )
        for inner in ast.walk(loop)
    )


def _unwrapped_name(node: ast.expr) -> str | None:
    """`x` of `x.jaxpr` and of `getattr(x, "jaxpr")`."""
    inner = node.value if isinstance(node, ast.Attribute) else None
    if isinstance(node, ast.Call) and node.args:
        inner = node.args[0]
    return inner.id if isinstance(inner, ast.Name) else None


def may_self_unwrap(function: ast.AST) -> bool:
    """GR412 could report in `function` (or what it nests): a `while` loop
    that assigns a name its own `.jaxpr`, or a function, unwrapping
    somewhere, that calls itself."""
    nodes = list(ast.walk(function))
    if any(isinstance(node, ast.While) and _reassigns_unwrap(node) for node in nodes):
        return True
    unwraps = any(isinstance(node, ast.expr) and _unwraps_jaxpr(node) for node in nodes)
    defined = [
        n for n in nodes if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    return unwraps and any(map(_calls_itself, defined))


def may_self_unwrap_in(index: SyntaxIndex, config: Config) -> bool:
    """`may_self_unwrap` of the file, asked of its index: without a `.jaxpr`
    or `getattr(x, "jaxpr")` there is no unwrap; else only the `while` loops
    and the functions some call could recurse into are walked."""
    if "jaxpr" not in index.attributes and not any(
        _unwraps_jaxpr(call) for call in index.calls
    ):
        return False
    if any(_reassigns_unwrap(loop) for loop in index.whiles):
        return True
    targets = {_recursion_target(call) for call in index.calls}
    return any(
        not isinstance(function, ast.Lambda)
        and function.name in targets
        and _calls_itself(function)
        for function in index.functions
    )


# GR414: a class deriving from a `Module` (`nnx.Module`, or a name imported
# as one), at any depth.
def may_define_nnx_module(index: SyntaxIndex, config: Config) -> bool:
    def module(base: ast.expr) -> bool:
        if isinstance(base, ast.Attribute):
            return base.attr == "Module"
        return isinstance(base, ast.Name) and (
            base.id == "Module"
            or index.imports.bindings.get(base.id, "").rsplit(".", 1)[-1] == "Module"
        )

    return any(module(base) for node in index.classes for base in node.bases)


# GR407: as the rule, on CPython's tree (exact: the same calls, keywords, text).
REGISTER_FUNCTIONS = frozenset({"register_primitive", "register_example"})
SEMVER = re.compile(r"\d+\.\d+\.\d+")


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def lacks_since(call: ast.Call) -> bool:
    """A registration without `since=`, or with one not `X.Y.Z`; not judged
    when it passes `**metadata` or a `since=` that is no literal."""
    if _last_name(call.func) not in REGISTER_FUNCTIONS:
        return False
    if any(keyword.arg is None for keyword in call.keywords):
        return False
    since = next((k.value for k in call.keywords if k.arg == "since"), None)
    if since is None:
        return True
    return (
        isinstance(since, ast.Constant)
        and isinstance(since.value, str)
        and SEMVER.fullmatch(since.value.strip()) is None
    )


def may_lack_since(index: SyntaxIndex, config: Config) -> bool:
    return any(lacks_since(call) for call in index.calls)


# GR409: a function whose first parameter is annotated as a patched layer.
PATCHED_LAYERS = frozenset({"Linear", "LinearGeneral", "Conv", "Einsum"})


def may_patch_layer(index: SyntaxIndex, config: Config) -> bool:
    for function in index.functions:
        if isinstance(function, ast.Lambda):
            continue
        arguments = function.args
        first = (*arguments.posonlyargs, *arguments.args)[:1]
        annotation = first[0].annotation if first else None
        if annotation is not None and _last_name(annotation) in PATCHED_LAYERS:
            return True
    return False


# GR413: a `.bind(...)` keyword that is a display, a comprehension or a call
# of an array factory's name.
ARRAY_FACTORIES = frozenset(
    {"array", "asarray", "zeros", "ones", "full", "empty", "arange", "eye", "linspace"}
)
_UNHASHABLE_DISPLAYS = (
    ast.List,
    ast.ListComp,
    ast.Dict,
    ast.DictComp,
    ast.Set,
    ast.SetComp,
)


def may_bind_unhashable(index: SyntaxIndex, config: Config) -> bool:
    return any(
        isinstance(call.func, ast.Attribute)
        and call.func.attr == "bind"
        and any(
            keyword.arg is not None
            and (
                isinstance(keyword.value, _UNHASHABLE_DISPLAYS)
                or (
                    isinstance(keyword.value, ast.Call)
                    and _last_name(keyword.value.func) in ARRAY_FACTORIES
                )
            )
            for keyword in call.keywords
        )
        for call in index.calls
    )


# GR415: a testcase `"callable": lambda` calling a capitalised name, in a file
# that imports from flax (the rule resolves the name to a `flax.nnx` class).
def may_build_nnx_in_lambda(index: SyntaxIndex, config: Config) -> bool:
    if not any(
        target == "flax" or target.startswith("flax.")
        for target in index.imports.targets
    ):
        return False
    for mapping in index.dicts:
        for key, value in zip(mapping.keys, mapping.values, strict=True):
            if (
                isinstance(key, ast.Constant)
                and key.value == "callable"
                and isinstance(value, ast.Lambda)
                and any(
                    isinstance(node, ast.Call)
                    and (_last_name(node.func) or "")[:1].isupper()
                    for node in ast.walk(value.body)
                )
            ):
                return True
    return False
