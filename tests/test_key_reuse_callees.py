"""GR203 where the runtime checker cannot be run on the code: which calls in
inference mode ignore a key, and what same-file callees do to the keys they get."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import check_tree


def reported_lines(root: Path, source: str) -> list[int]:
    (root / "module.py").write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    return [finding.line for finding in check_tree(root, ["GR203"]).findings]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            """
            import equinox as eqx

            def build(key, x):
                mha = eqx.nn.MultiheadAttention(2, 8, inference=True, key=key)
                y = mha(x, x, x, inference=True, key=key)
                return y, eqx.nn.Linear(8, 8, key=key)
            """,
            [6],
            id="a-class-built-in-inference-mode-still-draws-its-weights",
        ),
        pytest.param(
            """
            import jax

            def init(model, rng, x):
                params = model.init(rng, x, deterministic=True)
                return params, jax.random.normal(rng, ())
            """,
            [5],
            id="a-positional-key-is-consumed-whatever-the-flags",
        ),
        pytest.param(
            """
            import jax

            def block(self, x, key):
                x = self.drop(x, training=False, key=key)
                x = self.drop(x, deterministic=True, key=key)
                x = self.drop(x, is_training=False, key=key)
                return x, jax.random.normal(key, ())
            """,
            [],
            id="every-spelling-of-the-switch",
        ),
        pytest.param(
            """
            import jax

            def block(self, drop, x, key, train):
                if not train:
                    return drop(x, train=train, key=key), drop(x, train=train, key=key)
                return drop(x, train=train, key=key), drop(x, train=train, key=key)
            """,
            [6],
            id="the-switch-as-the-path-took-it",
        ),
    ],
)
def test_inference_mode(tmp_path: Path, source: str, expected: list[int]) -> None:
    assert reported_lines(tmp_path, source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            """
            from flax import linen as nn
            import jax

            def train(model, rng, x):
                params = model.init(rng, x)
                rng, step_rng = jax.random.split(rng)
                return params, model.init(rng, x), model.init(step_rng, x)
            """,
            [],
            id="linen-init-derives-and-leaves-the-key-usable",
        ),
        pytest.param(
            """
            from flax import linen as nn

            def twice(model, rng, x):
                return model.init(rng, x), model.init(rng, x)
            """,
            [4],
            id="linen-init-twice-gives-the-same-variables",
        ),
        pytest.param(
            """
            import haiku as hk
            import jax

            def train(model, rng, x):
                params = model.init(rng, x)
                return params, jax.random.split(rng)
            """,
            [6],
            id="haiku-init-splits-its-key",
        ),
        pytest.param(
            """
            import jax

            def stub(key): ...

            def f(key):
                return stub(key), jax.random.normal(key, ())
            """,
            [6],
            id="a-stub-body-says-nothing",
        ),
        pytest.param(
            """
            import jax
            from somewhere import wrap

            @wrap
            def step(key, i):
                return jax.random.fold_in(key, i)

            def f(key):
                return step(key, 0), step(key, 1)
            """,
            [9],
            id="an-unknown-decorator-may-change-the-call",
        ),
        pytest.param(
            """
            import jax

            def keep(key, sink):
                sink.key = key

            def later(key, boxes):
                boxes.append({"key": key})

            def lazy(key):
                return lambda: jax.random.normal(key, ())

            def f(key, sink, boxes):
                keep(key, sink)
                later(key, boxes)
                lazy(key)
                return jax.random.normal(key, ())
            """,
            [14, 15, 16],
            id="a-key-stored-or-captured-by-the-callee-escapes",
        ),
        pytest.param(
            """
            import jax

            def step(key, i):
                return jax.random.normal(jax.random.fold_in(key, i), ())

            def f(key, *rest, **options):
                return step(*rest), step(key, **options), jax.random.normal(key, ())
            """,
            [7],
            id="starred-arguments-are-not-mapped",
        ),
        pytest.param(
            """
            import jax

            def ping(key, n):
                return pong(key, n - 1) if n else jax.random.fold_in(key, n)

            def pong(key, n):
                return ping(key, n)

            def f(key):
                return ping(key, 3), jax.random.normal(key, ())
            """,
            [10],
            id="recursion-is-not-summarised",
        ),
    ],
)
def test_same_file_callees(tmp_path: Path, source: str, expected: list[int]) -> None:
    assert reported_lines(tmp_path, source) == expected
