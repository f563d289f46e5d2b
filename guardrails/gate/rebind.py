"""The gate's export of a testcase, its weight constants swapped for other weights.

jax2onnx bakes an example's weights into the graph as `Constant` nodes (and
initializers), inside the ONNX function of the `@onnx_function` module they belong
to. To run the export on other weights of the same structure without exporting
again, each function call is followed into the module it was made for (the k-th
call of `Block` is the module's k-th `Block` child, in tree order), and within one
function each weight constant is the module's own weight holding that value:
equal values (all-ones scales, all-zero biases, gammas of 1e-5) are taken in tree order.
A weight that changed but is found nowhere makes the rebinding fail, never pass.

Imports onnx_ir, jax and equinox: only the gate's parity stage imports it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import equinox as eqx
import jax
import numpy as np
import onnx_ir as ir

Key = tuple[str, int, bytes]  # dtype, size, bytes: a weight's value, any shape


def _key(array: np.ndarray) -> Key:
    return (str(array.dtype), int(array.size), np.ascontiguousarray(array).tobytes())


def _children(module: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of a module's fields, depth first, in tree order."""
    flat, _ = jax.tree_util.tree_flatten_with_path(
        module, is_leaf=lambda node: node is not module and isinstance(node, eqx.Module)
    )
    for path, value in flat:
        yield prefix + jax.tree_util.keystr(path), value


class _Scope:
    """One module's own weights (not those of its function children) and children."""

    def __init__(self, module: Any, path: str, functions: set[str]) -> None:
        self.weights: dict[Key, list[str]] = defaultdict(list)
        self.children: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        self._collect(module, path, functions)

    def _collect(self, module: Any, path: str, functions: set[str]) -> None:
        for child_path, value in _children(module, path):
            if isinstance(value, eqx.Module):
                if type(value).__name__ in functions:
                    self.children[type(value).__name__].append((child_path, value))
                else:
                    self._collect(value, child_path, functions)
            elif eqx.is_array(value):
                self.weights[_key(np.asarray(value))].append(child_path)


def _tensor_attributes(node: ir.Node) -> Iterator[tuple[str, np.ndarray]]:
    for name, attribute in node.attributes.items():
        if attribute.type == ir.AttributeType.TENSOR:
            yield name, attribute.value.numpy()


Binding = tuple[Any, str | None]  # a node and its attribute, or an initializer


def constant_paths(model: Any, root: Any) -> list[tuple[Binding, str]]:
    """Where each weight of the module `root` sits in its export `model`."""
    functions = {function.name for function in model.functions.values()}
    found: list[tuple[Binding, str]] = []

    def walk(graph: Any, module: Any, path: str) -> None:
        scope = _Scope(module, path, functions)
        if isinstance(graph, ir.Graph):
            for value in graph.initializers.values():
                if value.const_value is not None:
                    paths = scope.weights.get(_key(value.const_value.numpy()))
                    if paths:
                        found.append(((value, None), paths.pop(0)))
        for node in graph:
            function = model.functions.get(node.op_identifier())
            if function is not None:
                children = scope.children.get(node.op_type)
                if not children:
                    raise ValueError(f"no module of the example calls {node.op_type}")
                child_path, child = children.pop(0)
                walk(function, child, child_path)
                continue
            for name, array in _tensor_attributes(node):
                paths = scope.weights.get(_key(array))
                if paths:
                    found.append(((node, name), paths.pop(0)))

    walk(model.graph, root, "")
    return found


class _Root(eqx.Module):
    """The exported callable as a child: it may itself be an ONNX function."""

    callable: Any


def _arrays(module: Any) -> dict[str, np.ndarray]:
    flat, _ = jax.tree_util.tree_flatten_with_path(eqx.filter(module, eqx.is_array))
    return {jax.tree_util.keystr(path): np.asarray(leaf) for path, leaf in flat}


def rebound_payload(model: Any, example: Any, weights: Any) -> bytes:
    """`model` (the export of `example`) serialised with the weights of `weights`,
    a module of the same structure; the model object is left as it was."""
    bindings = constant_paths(model, _Root(example))
    old, new = _arrays(_Root(example)), _arrays(_Root(weights))
    bound = {path for _, path in bindings}
    for path, value in new.items():
        same = old[path].shape == value.shape and np.array_equal(old[path], value)
        if not same and path not in bound:
            raise ValueError(f"weight {path} is not a constant of the export")
    undo: list[tuple[Binding, Any]] = []
    try:
        for binding, path in bindings:
            undo.append((binding, _swap(binding, new[path])))
        return ir.serde.serialize_model(model).SerializeToString()  # type: ignore[no-any-return]
    finally:
        for binding, original in reversed(undo):
            _put(binding, original)


def _current(binding: Binding) -> Any:
    owner, name = binding
    return owner.const_value if name is None else owner.attributes[name]


def _put(binding: Binding, content: Any) -> None:
    owner, name = binding
    if name is None:
        owner.const_value = content
    else:
        owner.attributes[name] = content


def _swap(binding: Binding, value: np.ndarray) -> Any:
    """Put `value` in the constant's shape and dtype; the original content."""
    original = _current(binding)
    name = binding[1]
    tensor = original if name is None else original.value
    shaped = np.asarray(value, dtype=tensor.numpy().dtype).reshape(tensor.shape.numpy())
    if name is None:
        _put(binding, ir.tensor(shaped, name=tensor.name))
    else:
        _put(binding, ir.AttrTensor(name, ir.tensor(shaped)))
    return original
