"""Keys kept on objects and records need evidence that they are keys.

An attribute named like a key is often something else: a tree cursor's
`_parent_key`, a traversal's `_key` index, a registry's `set_key` callback
(quoted from Flax 0.12.8: `flax/cursor.py`, `flax/traverse_util.py`,
`flax/nnx/pytreelib.py`). Only an attribute some method uses as a key (given to
`jax.random`, passed as `key=`, bound from a `jax.random` call) is followed
across calls.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import check_tree

CURSOR = """\
import jax


class Cursor:
    def __init__(self, obj, parent_key):
        self._obj = obj
        self._parent_key = parent_key

    def set(self, value):
        if self._parent_key is None:
            return value
        parent, key = self._parent_key.parent, self._parent_key.key
        parent._changes[key] = Cursor(value, self._parent_key)
        return parent._root.build()
"""

TRAVERSAL = """\
import jax


class ModelParamTraversal:
    def __init__(self, key):
        self._key = key

    def update(self, fn, inputs):
        if isinstance(self._key, slice):
            sl = self._key
        else:
            sl = slice(self._key, self._key + 1)
        return [fn(x) for x in inputs[sl]]
"""

REGISTRY = """\
import jax


class Pytree:
    def __init_subclass__(cls, **kwargs):
        register_graph_node_type(
            type=cls,
            set_key=cls._graph_node_set_key,
            pop_key=cls._graph_node_pop_key,
        )
"""

NOISY = """\
import jax


class NoisyLinear:
    def __init__(self, key, w):
        self.w = w
        self._noise_key = key

    def __call__(self, x):
        return x @ self.w + jax.random.normal(self._noise_key, x.shape)
"""

DROPOUT_FIELD = """\
import equinox as eqx
import jax


class Block(eqx.Module):
    dropout: eqx.nn.Dropout
    key: jax.Array

    def __call__(self, x):
        return self.dropout(x, key=self.key)
"""


@pytest.mark.parametrize(
    "source", [CURSOR, TRAVERSAL, REGISTRY], ids=["cursor", "traversal", "registry"]
)
def test_an_attribute_named_like_a_key_is_not_taken_for_one(
    tmp_path: Path, source: str
) -> None:
    (tmp_path / "module.py").write_text(source, encoding="utf-8")
    assert check_tree(tmp_path, ["GR203"]).findings == []


@pytest.mark.parametrize(
    ("source", "line"), [(NOISY, 10), (DROPOUT_FIELD, 10)], ids=["drawn", "key-keyword"]
)
def test_an_attribute_used_as_a_key_is_still_followed(
    tmp_path: Path, source: str, line: int
) -> None:
    (tmp_path / "module.py").write_text(source, encoding="utf-8")
    assert [f.line for f in check_tree(tmp_path, ["GR203"]).findings] == [line]
