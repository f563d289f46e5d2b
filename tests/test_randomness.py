"""GR201 import-time seeding and GR202 eager testcase callables: name resolution,
what counts as import time, and the messages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from guardrails.rules.randomness.eager_testcase_callable import EagerTestcaseCallable
from guardrails.rules.randomness.import_time_seeding import ImportTimeSeeding
from guardrails.rules.randomness.prng_key_reuse import PrngKeyReuse
from guardrails.types import Finding
from tests.conftest import check_tree


def findings(root: Path, code: str, source: str) -> list[Finding]:
    target = root / "pkg" / "plugins" / "module.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    return [f for f in check_tree(root, [code]).findings if f.code == code]


def lines(root: Path, code: str, source: str) -> list[int]:
    return sorted(f.line for f in findings(root, code, source))


# --- GR201 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "import jax\nK = jax.random.PRNGKey(0)\n",
        "import jax.random as jr\nK = jr.PRNGKey(0)\n",
        "from jax import random\nK = random.key(0)\n",
        "from jax import random as R\nK = R.key(0)\n",
        "from jax.random import PRNGKey\nK = PRNGKey(0)\n",
        "from jax.random import PRNGKey as P\nK = P(0)\n",
        "from jax.random import split\nA, B = split(SOME_KEY)\n",
        "from jax.random import fold_in\nK = fold_in(SOME_KEY, 1)\n",
        "from flax import nnx\nR = nnx.Rngs(0)\n",
        "from flax.nnx import Rngs\nR = Rngs(params=0)\n",
        "import numpy as np\nG = np.random.default_rng(0)\n",
        "import numpy as np\nS = np.random.RandomState(0)\n",
        "from numpy.random import seed\nseed(3)\n",
        "import random\nR = random.Random(4)\n",
        "import torch\ntorch.cuda.manual_seed_all(0)\n",
        "import torch\ntorch.seed()\n",
        "import tensorflow as tf\ntf.random.set_seed(1)\n",
    ],
)
def test_gr201_resolves_every_import_spelling(tmp_path: Path, source: str) -> None:
    assert lines(tmp_path, "GR201", source) == [2]
    assert ImportTimeSeeding.prescan is not None
    assert ImportTimeSeeding.prescan.search(source)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # Class bodies, decorators and defaults run at import; bodies do not.
        (
            """
            import jax

            class Model:
                KEY = jax.random.PRNGKey(0)

                def __init__(self, key=jax.random.PRNGKey(1)):
                    self.key = jax.random.PRNGKey(2)

            @decorate(jax.random.PRNGKey(3))
            def f(key=jax.random.key(4)):
                return jax.random.key(5)
            """,
            [4, 6, 9, 10],
        ),
        # Module-level control flow runs; lambda bodies and __main__ do not.
        (
            """
            import jax

            for seed in range(2):
                KEYS = [jax.random.key(seed)]
            try:
                K = jax.random.key(0)
            except Exception:
                K = None
            make = lambda: jax.random.key(1)
            if "__main__" == __name__:
                jax.random.key(2)
            elif DEBUG:
                jax.random.key(3)
            else:
                jax.random.key(4)
            """,
            [4, 6, 13, 15],
        ),
        # One finding for a nested seeding call, at the outer call.
        (
            """
            import jax.random as jr

            A, B = jr.split(jr.PRNGKey(0))
            """,
            [3],
        ),
        # A local function that happens to be called PRNGKey is not jax's.
        (
            """
            def PRNGKey(seed):
                return seed

            K = PRNGKey(0)
            """,
            [],
        ),
    ],
)
def test_gr201_import_time_contexts(
    tmp_path: Path, source: str, expected: list[int]
) -> None:
    assert lines(tmp_path, "GR201", source) == expected


def test_gr201_message_names_the_call_and_the_placeholder(tmp_path: Path) -> None:
    (key,) = findings(tmp_path, "GR201", "import jax.random as jr\nK = jr.key(0)\n")
    assert "`jr.key(...)` seeds at import time" in key.message
    assert "with_prng_key(seed)" in key.message


# --- GR202 ---------------------------------------------------------------------


def test_gr202_message_uses_placeholders(tmp_path: Path) -> None:
    (finding,) = findings(
        tmp_path,
        "GR202",
        """
        import jax.numpy as jnp
        from flax import nnx

        register_example(
            testcases=[
                {
                    "testcase": "mlp",
                    "callable": nnx.Linear(3, 4, dtype=jnp.float32, rngs=nnx.Rngs(7)),
                },
            ],
        )
        """,
    )
    assert finding.line == 8
    assert (
        "construct_and_call(nnx.Linear, 3, 4, dtype=with_requested_dtype(), "
        "rngs=with_rng_seed(7))"
    ) in finding.message


def test_gr202_follows_names_and_wrappers(tmp_path: Path) -> None:
    result = findings(
        tmp_path,
        "GR202",
        """
        import equinox as eqx
        import jax

        _LINEAR = eqx.nn.Linear(2, 3, key=jax.random.PRNGKey(5))
        _ALIAS = _LINEAR

        register_primitive(
            testcases=[
                {"testcase": "a", "callable": _ALIAS},
                {"testcase": "b", "callable": jax.vmap(_LINEAR)},
                {"testcase": "c", "callable": jax.jit(jax.vmap(eqx.nn.PReLU()))},
            ],
        )
        """,
    )
    messages = {f.line: f.message for f in result}
    assert sorted(messages) == [9, 10, 11]
    assert "`_ALIAS` is a `eqx.nn.Linear` built at import" in messages[9]
    assert "key=with_prng_key(5)" in messages[9]
    assert "returns `jax.vmap(...)` of it" in messages[10]
    assert "returns `jax.vmap(...)` of it" in messages[11]


def test_gr202_nested_module_arguments_are_called_out(tmp_path: Path) -> None:
    (finding,) = findings(
        tmp_path,
        "GR202",
        """
        import equinox as eqx
        import jax

        register_primitive(
            testcases=[
                {
                    "testcase": "wn",
                    "callable": eqx.nn.WeightNorm(
                        eqx.nn.Linear(8, 4, key=jax.random.PRNGKey(0))
                    ),
                },
            ],
        )
        """,
    )
    assert "also builds the nested `eqx.nn.Linear`" in finding.message


@pytest.mark.parametrize(
    "callable_",
    [
        "construct_and_call(Model, rngs=with_rng_seed(0))",
        "lambda x: Model(rngs=nnx.Rngs(0))(x)",
        "functools.partial(Model, features=3)",
        "jax.jit(apply)",
        "apply",
        "lambda x, scale=2.0: scale * x",
        "EG(['Add'])",
    ],
)
def test_gr202_accepts_deferred_construction(tmp_path: Path, callable_: str) -> None:
    source = f"""
        import functools

        import jax
        from flax import nnx
        from tools import expect_graph as EG

        class Model(nnx.Module):
            pass

        def apply(x):
            return x

        register_example(testcases=[{{"testcase": "t", "callable": {callable_}}}])
        """
    assert lines(tmp_path, "GR202", source) == []


def test_gr202_only_looks_at_testcases(tmp_path: Path) -> None:
    source = """
        SETTINGS = {"callable": Model(3)}
        CASE = dict(testcase="t", callable=Model(3))
        """
    assert lines(tmp_path, "GR202", source) == [2]


# --- Pre-scans never hide a sample's finding ---------------------------------------


@pytest.mark.parametrize(
    "rule", [ImportTimeSeeding, EagerTestcaseCallable, PrngKeyReuse]
)
def test_prescan_matches_every_invalid_sample(
    rule: type[ImportTimeSeeding | EagerTestcaseCallable | PrngKeyReuse],
) -> None:
    assert rule.prescan is not None
    for sample in rule.INVALID:
        assert rule.prescan.search(sample.code), sample.code


def test_gr202_messages_keep_code_on_one_line(tmp_path: Path) -> None:
    (finding,) = findings(
        tmp_path,
        "GR202",
        """
        import equinox as eqx

        register_primitive(
            testcases=[
                {
                    "testcase": "dropout",
                    "callable": lambda x, m=eqx.nn.Dropout(
                        p=0.5,
                    ): m(x),
                },
            ],
        )
        """,
    )
    assert "the lambda's default `m=eqx.nn.Dropout(p=0.5)`" in finding.message
    assert "use `construct_and_call(eqx.nn.Dropout, p=0.5)`" in finding.message
