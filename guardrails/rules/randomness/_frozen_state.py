"""Whether a module built at import freezes anything the harness would vary.

The harness rebuilds a testcase's module per dtype variant (parameters in the
requested dtype, keys from a deterministic seed). An instance built at import is
frozen only in what it holds: parameters (arrays), a dtype, a key or an
`nnx.Rngs`. A construction holding none of these (pooling, `Dropout`, `Identity`,
`Lambda(fn)`, a `Sequential` of such parts, `GroupNorm(channelwise_affine=False)`)
is the same module in every variant. This decides that, from:

- the constructor's signature and arguments, for Equinox and Flax NNX layers
  (the tables below, read from equinox 0.13 and flax 0.12's sources);
- the class body, for a class of the same module: its bases, class-level values
  and what its `__init__` stores;
- and, for every construction, its arguments: each must itself hold nothing
  (constants, functions, stateless constructions).

Anything else (a constructor from elsewhere, an argument computed by a call) is
unknown and counts as freezing state: GR202 reports what it cannot know.
"""

from __future__ import annotations

import libcst as cst

from guardrails.analysis.module_bindings import ModuleBindings

_EQX = "equinox.nn."
_NNX = "flax.nnx."

# Constructors whose instances hold only their (stateless) arguments: no arrays,
# no dtype, no key. `eqx.nn.Identity` ignores even its arguments.
_HOLD_ONLY_ARGUMENTS = frozenset(
    {
        _EQX + "Lambda",
        _EQX + "Dropout",
        _EQX + "Pool",
        _EQX + "AdaptivePool",
        *(
            f"{_EQX}{kind}Pool{dims}d"
            for kind in ("Avg", "Max", "AdaptiveAvg", "AdaptiveMax")
            for dims in (1, 2, 3)
        ),
        _NNX + "Dropout",  # holds an RNG stream only when given `rngs`
    }
)
_IGNORES_ARGUMENTS = frozenset({_EQX + "Identity"})

# Constructors that hold parameters unless switched off: alternatives, each a
# set of (position, keyword) arguments that must all be literally `False`.
_AFFINE_SWITCHES: dict[str, tuple[tuple[tuple[int | None, str], ...], ...]] = {
    _EQX + "GroupNorm": (((3, "channelwise_affine"),),),
    _EQX + "LayerNorm": (
        ((2, "use_weight"), (3, "use_bias")),
        ((None, "elementwise_affine"),),
    ),
    _EQX + "RMSNorm": (((2, "use_weight"), (3, "use_bias")),),
}

# Containers: stateless when every part is.
_EQX_SEQUENTIAL = _EQX + "Sequential"  # one list or tuple of layers
_NNX_SEQUENTIAL = _NNX + "Sequential"  # the layers as positional arguments

# Arguments that freeze what the harness varies, whatever the constructor.
_STATE_KEYWORDS = frozenset({"key", "rngs", "dtype", "param_dtype"})

# Bases a stateless class of the same module may have.
_PLAIN_BASES = frozenset(
    {"equinox.Module", "flax.nnx.Module", "flax.nnx.Object", "object"}
)
# Calls in a class body or `__init__` that make no array: field declarations
# and builtins of plain values.
_PLAIN_CALLS = frozenset(
    {
        "equinox.field",
        "equinox.static_field",
        "dataclasses.field",
        "functools.partial",
    }
)
_PLAIN_BUILTINS = frozenset(
    {"len", "int", "float", "bool", "str", "tuple", "list", "dict", "range"}
    | {"min", "max", "abs", "round", "sorted", "super", "isinstance"}
)
_CONSTANT_NAMES = frozenset({"True", "False", "None"})
# Names imported from these are functions, dtypes or scalar constants
# (`jax.nn.relu`, `jnp.inf`); a name imported from elsewhere may be an array.
_LIBRARY_ROOTS = frozenset(
    {"jax", "numpy", "flax", "equinox", "math", "operator", "functools", "builtins"}
)
# The methods whose stores make an instance: GR202 keeps their bodies.
STORING_METHODS = frozenset({"__init__", "__post_init__"})


def _argument(call: cst.Call, position: int | None, keyword: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    if position is None:
        return None
    positional = [arg for arg in call.args if arg.keyword is None]
    if any(arg.star for arg in positional[: position + 1]):
        return None
    return positional[position] if position < len(positional) else None


def _is_false(arg: cst.Arg | None) -> bool:
    return (
        arg is not None
        and isinstance(arg.value, cst.Name)
        and (arg.value.value == "False")
    )


class FrozenState:
    """Asks one module's constructions what they hold."""

    def __init__(self, module: cst.Module, bindings: ModuleBindings) -> None:
        self.bindings = bindings
        self.classes = {
            statement.name.value: statement
            for statement in module.body
            if isinstance(statement, cst.ClassDef)
        }
        self.functions = {
            statement.name.value
            for statement in module.body
            if isinstance(statement, cst.FunctionDef)
        }
        self._class_verdicts: dict[str, bool] = {}

    def holds_nothing(
        self, construction: cst.Call, local: frozenset[str] = frozenset()
    ) -> bool:
        """Whether the instance `construction` builds freezes no parameters,
        dtype, key or RNG state (False when it cannot tell). `local` names (a
        method's parameters and variables) count as plain: they are judged where
        they are bound."""
        callee = self.bindings.qualify(construction.func)
        if callee in _IGNORES_ARGUMENTS:
            return True
        if any(
            arg.keyword is not None
            and arg.keyword.value in _STATE_KEYWORDS
            and not (isinstance(arg.value, cst.Name) and arg.value.value == "None")
            for arg in construction.args
        ) or any(arg.star for arg in construction.args):
            return False
        if not all(self.is_plain_value(arg.value, local) for arg in construction.args):
            return False
        if callee in _HOLD_ONLY_ARGUMENTS:
            return True
        if callee in _AFFINE_SWITCHES:
            return any(
                all(_is_false(_argument(construction, *switch)) for switch in option)
                for option in _AFFINE_SWITCHES[callee]
            )
        if callee == _EQX_SEQUENTIAL:
            layers = _argument(construction, 0, "layers")
            return layers is not None and isinstance(
                self._resolve(layers.value, local), cst.List | cst.Tuple
            )
        if callee == _NNX_SEQUENTIAL:
            return all(arg.keyword is None for arg in construction.args)
        func = self._resolve(construction.func, local)
        if callee is None and isinstance(func, cst.Name) and func.value in self.classes:
            return self._class_holds_nothing(func.value)
        return False

    def _resolve(
        self, value: cst.BaseExpression, local: frozenset[str]
    ) -> cst.BaseExpression:
        """Through module-level bindings, unless a local name shadows them."""
        root = value
        while isinstance(root, cst.Attribute | cst.Subscript):
            root = root.value
        if isinstance(root, cst.Name) and root.value in local:
            return value
        return self.bindings.resolve(value)

    def is_plain_value(
        self, value: cst.BaseExpression, local: frozenset[str] = frozenset()
    ) -> bool:
        """Whether a value holds no array, dtype-fixed parameter, key or RNG:
        constants, functions, names of imported things, and stateless
        constructions, through module-level bindings."""
        if isinstance(value, cst.Name) and value.value in local:
            return True
        resolved = self._resolve(value, local)
        if resolved is not value:
            return self.is_plain_value(resolved, local)
        if isinstance(
            value,
            cst.Integer
            | cst.Float
            | cst.Imaginary
            | cst.SimpleString
            | cst.ConcatenatedString
            | cst.FormattedString
            | cst.Lambda
            | cst.Ellipsis,
        ):
            return True
        if isinstance(value, cst.Name) and (
            value.value in _CONSTANT_NAMES
            or value.value in self.functions
            or value.value in self.classes
            or value.value in _PLAIN_BUILTINS
        ):
            return True
        if isinstance(value, cst.Attribute):
            root: cst.BaseExpression = value
            while isinstance(root, cst.Attribute):
                root = root.value
            if isinstance(root, cst.Name) and root.value in local:
                return True  # `self.width`, `config.size`
        if isinstance(value, cst.Name | cst.Attribute):
            qualified = self.bindings.qualify(value) or ""
            return qualified.split(".", 1)[0] in _LIBRARY_ROOTS
        if isinstance(value, cst.List | cst.Tuple | cst.Set):
            return all(
                self.is_plain_value(element.value, local) for element in value.elements
            )
        if isinstance(value, cst.Dict):
            return all(
                isinstance(element, cst.DictElement)
                and self.is_plain_value(element.key, local)
                and self.is_plain_value(element.value, local)
                for element in value.elements
            )
        if isinstance(value, cst.UnaryOperation):
            return self.is_plain_value(value.expression, local)
        if isinstance(value, cst.BinaryOperation | cst.BooleanOperation):
            return self.is_plain_value(value.left, local) and self.is_plain_value(
                value.right, local
            )
        if isinstance(value, cst.Comparison):
            return self.is_plain_value(value.left, local) and all(
                self.is_plain_value(target.comparator, local)
                for target in value.comparisons
            )
        if isinstance(value, cst.IfExp):
            return all(
                self.is_plain_value(part, local)
                for part in (value.test, value.body, value.orelse)
            )
        if isinstance(value, cst.Subscript):
            return self.is_plain_value(value.value, local)
        if isinstance(value, cst.Call):
            return self._is_plain_call(value, local)
        return False

    def _is_plain_call(self, call: cst.Call, local: frozenset[str]) -> bool:
        callee = self.bindings.qualify(call.func)
        name = call.func.value if isinstance(call.func, cst.Name) else None
        plain_callee = callee in _PLAIN_CALLS or (
            callee is None and name in _PLAIN_BUILTINS and name not in local
        )
        if plain_callee or (
            # `super().__init__(...)`: the base's `__init__`, judged with the bases.
            isinstance(call.func, cst.Attribute)
            and isinstance(call.func.value, cst.Call)
            and isinstance(call.func.value.func, cst.Name)
            and call.func.value.func.value == "super"
        ):
            return all(self.is_plain_value(arg.value, local) for arg in call.args)
        return self.holds_nothing(call, local)

    def _class_holds_nothing(self, name: str) -> bool:
        if name not in self._class_verdicts:
            self._class_verdicts[name] = False  # a class built in its own body
            self._class_verdicts[name] = self._judge_class(self.classes[name])
        return self._class_verdicts[name]

    def _judge_class(self, node: cst.ClassDef) -> bool:
        for base in node.bases:
            if isinstance(base.value, cst.Name) and base.value.value in self.classes:
                if not self._class_holds_nothing(base.value.value):
                    return False
                continue
            qualified = self.bindings.qualify(base.value)
            if isinstance(base.value, cst.Name) and base.value.value == "object":
                qualified = "object"
            if qualified not in _PLAIN_BASES:
                return False
        for statement in node.body.body:
            if isinstance(statement, cst.FunctionDef):
                stores = statement.name.value in STORING_METHODS
                if stores and not self._method_stores_nothing(statement):
                    return False
            elif isinstance(statement, cst.SimpleStatementLine):
                if not all(self._class_line_is_plain(s) for s in statement.body):
                    return False
            elif not isinstance(statement, cst.ClassDef):
                return False
        return True

    def _class_line_is_plain(self, statement: cst.BaseSmallStatement) -> bool:
        if isinstance(statement, cst.AnnAssign):
            # A bare field is filled from the construction's arguments.
            return statement.value is None or self.is_plain_value(statement.value)
        if isinstance(statement, cst.Assign):
            return self.is_plain_value(statement.value)
        if isinstance(statement, cst.Expr):
            return isinstance(statement.value, cst.SimpleString | cst.Ellipsis)
        return isinstance(statement, cst.Pass)

    def _method_stores_nothing(self, method: cst.FunctionDef) -> bool:
        params = method.params
        local = {
            param.name.value
            for param in (*params.posonly_params, *params.params, *params.kwonly_params)
        }
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                local.add(star.name.value)
        local |= _assigned_names(method.body)
        return self._block_is_plain(method.body, frozenset(local))

    def _block_is_plain(self, block: cst.BaseSuite, local: frozenset[str]) -> bool:
        if isinstance(block, cst.SimpleStatementSuite):
            return all(self._method_line_is_plain(s, local) for s in block.body)
        assert isinstance(block, cst.IndentedBlock)
        for statement in block.body:
            if isinstance(statement, cst.SimpleStatementLine):
                if not all(
                    self._method_line_is_plain(s, local) for s in statement.body
                ):
                    return False
            elif isinstance(statement, cst.If):
                branch: cst.If | cst.Else | None = statement
                while branch is not None:
                    if not self._block_is_plain(branch.body, local):
                        return False
                    branch = branch.orelse if isinstance(branch, cst.If) else None
            elif not isinstance(statement, cst.FunctionDef):
                return False  # loops, `with`, `try`: not followed
        return True

    def _method_line_is_plain(
        self, statement: cst.BaseSmallStatement, local: frozenset[str]
    ) -> bool:
        if isinstance(statement, cst.Assign | cst.AugAssign):
            return self.is_plain_value(statement.value, local)
        if isinstance(statement, cst.AnnAssign):
            return statement.value is None or self.is_plain_value(
                statement.value, local
            )
        if isinstance(statement, cst.Expr):
            return self.is_plain_value(statement.value, local)
        if isinstance(statement, cst.Return):
            return statement.value is None
        return isinstance(statement, cst.Pass)


def _assigned_names(block: cst.CSTNode) -> set[str]:
    """Names a method body assigns: its variables (each value is judged too)."""
    found: set[str] = set()
    stack: list[cst.CSTNode] = [block]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.AssignTarget | cst.AnnAssign | cst.AugAssign):
            target = node.target
            found |= {n.value for n in _target_names(target)}
        if isinstance(node, cst.FunctionDef | cst.Lambda) and node is not block:
            continue
        stack.extend(node.children)
    return found


def _target_names(target: cst.BaseExpression) -> list[cst.Name]:
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, cst.Tuple | cst.List):
        return [n for e in target.elements for n in _target_names(e.value)]
    return []
