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


@pytest.mark.parametrize(
    ("source", "written"),
    [
        ("import jax\n_jr = jax.random\nK = _jr.PRNGKey(0)\n", "_jr.PRNGKey"),
        ("import jax\n_jr = jax.random\n_r = _jr\nK = _r.key(0)\n", "_r.key"),
        ("import jax\n_K = jax.random.key\nK = _K(0)\n", "_K"),
        ("import jax\n_F = [jax.random.key]\nK = _F[0](0)\n", "_F[0]"),
        ('from flax import nnx\n_M = {"r": nnx.Rngs}\nR = _M["r"](0)\n', '_M["r"]'),
        (
            "import numpy as np\n_np, _x = np, 1\n_np.random.seed(0)\n",
            "_np.random.seed",
        ),
        (
            "import jax\n_PAIR = (jax.random, None)\n_jr, _ = _PAIR\nK = _jr.key(0)\n",
            "_jr.key",
        ),
    ],
)
def test_gr201_follows_seeders_through_module_bindings(
    tmp_path: Path, source: str, written: str
) -> None:
    (finding,) = findings(tmp_path, "GR201", source)
    assert finding.line == source.count("\n")
    assert finding.message.startswith(f"`{written}(...)` seeds at import time")


@pytest.mark.parametrize(
    "source",
    [
        "import jax\n_jr = jax.numpy\nK = _jr.key(0)\n",  # not jax.random
        "import jax\n_F = [jax.random.key]\nK = _F[1](0)\n",  # no such element
        "import jax\n_F = [*OTHER, jax.random.key]\nK = _F[0](0)\n",  # unknown
        "import jax\n_jr = jax.random\ndef f():\n    return _jr.key(0)\n",
    ],
)
def test_gr201_bindings_to_other_values_are_not_reported(
    tmp_path: Path, source: str
) -> None:
    assert lines(tmp_path, "GR201", source) == []


def test_gr201_advice_for_input_values_is_about_inputs(tmp_path: Path) -> None:
    # The forms of jax2onnx 3901899d's truncated_normal.py and
    # dot_product_attention.py, and a list bound to a name.
    source = """
        import jax
        import numpy as np

        _KEYS = [jax.random.key(3)]

        register_primitive(
            testcases=[
                {"testcase": "a", "input_values": [jax.random.PRNGKey(7)]},
                {"testcase": "b", "input_values": _KEYS},
                {
                    "testcase": "c",
                    "input_values": [
                        (lambda rng: rng.randn(2))(np.random.RandomState(0))
                    ],
                },
                {"testcase": "d", "callable": lambda x, k=jax.random.PRNGKey(1): x},
            ],
        )
        """
    messages = {f.line: f.message for f in findings(tmp_path, "GR201", source)}
    assert sorted(messages) == [4, 8, 13, 16]
    assert "`jax.random.PRNGKey(...)` in `input_values`" in messages[8]
    assert "`np.array([0, 7], dtype=np.uint32)`" in messages[8]
    assert "from a seed input" in messages[8]
    assert "in `input_values`" in messages[4]
    assert "np.array" not in messages[4]  # a typed key has no uint32 data
    assert "give fixed NumPy values" in messages[13]
    # A key in a callable's default is for construct_and_call, not an input.
    assert "with_prng_key(seed)" in messages[16]
    assert all("construct_and_call" not in messages[line] for line in (4, 8, 13))


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


_EQX_HEADER = """
        import equinox as eqx
        import jax
        import jax.numpy as jnp
        from flax import nnx

        """


def _testcase_source(preamble: str, callable_: str) -> str:
    """The Equinox / Flax imports, `preamble`, then one testcase of `callable_`."""
    case = f'{{"testcase": "t", "callable": {callable_}}}'
    register = f"register_primitive(testcases=[{case}])\n"
    return textwrap.dedent(_EQX_HEADER) + preamble + register


@pytest.mark.parametrize(
    ("bindings", "callable_"),
    [
        ("_LN = eqx.nn.LayerNorm(4)\n_ALIAS = _LN\n_AGAIN = _ALIAS\n", "_AGAIN"),
        ("_HEADS = [eqx.nn.Identity(), eqx.nn.LayerNorm(4)]\n", "_HEADS[1]"),
        ("_HEADS = (eqx.nn.Identity(), eqx.nn.LayerNorm(4))\n", "_HEADS[-1]"),
        (
            '_MODELS = {"id": eqx.nn.Identity(), "ln": eqx.nn.LayerNorm(4)}\n',
            '_MODELS["ln"]',
        ),
        ("_MODELS = dict(ln=eqx.nn.LayerNorm(4))\n", '_MODELS["ln"]'),
        ("_ID, _LN = eqx.nn.Identity(), eqx.nn.LayerNorm(4)\n", "_LN"),
        ("_PAIR = (eqx.nn.Identity(), eqx.nn.LayerNorm(4))\n_ID, _LN = _PAIR\n", "_LN"),
        ("(_A, (_B, _LN)) = (1, (2, eqx.nn.LayerNorm(4)))\n", "_LN"),
        ("_nn = eqx.nn\n_LN = _nn.LayerNorm(4)\n", "lambda x, m=_LN: m(x)"),
        ("_ALL = [[eqx.nn.LayerNorm(4)]]\n_FIRST = _ALL[0]\n", "_FIRST[0]"),
    ],
)
def test_gr202_follows_values_through_bindings(
    tmp_path: Path, bindings: str, callable_: str
) -> None:
    source = _testcase_source(bindings, callable_)
    (finding,) = findings(tmp_path, "GR202", source)
    assert "LayerNorm" in finding.message


@pytest.mark.parametrize(
    ("bindings", "callable_"),
    [
        # Bound to something else than the stateful module.
        ("_HEADS = [eqx.nn.Identity(), eqx.nn.LayerNorm(4)]\n", "_HEADS[0]"),
        ('_MODELS = {"ln": eqx.nn.LayerNorm(4), **OTHER}\n', '_MODELS["ln"]'),
        ("_ID, _LN = eqx.nn.Identity(), eqx.nn.LayerNorm(4)\n", "_ID"),
        (
            "_LN = eqx.nn.LayerNorm(4)\n"
            "_LN = construct_and_call(eqx.nn.LayerNorm, 4)\n",
            "_LN",
        ),
    ],
)
def test_gr202_bindings_to_other_values_are_not_reported(
    tmp_path: Path, bindings: str, callable_: str
) -> None:
    source = _testcase_source(bindings, callable_)
    assert lines(tmp_path, "GR202", source) == []


@pytest.mark.parametrize(
    "construction",
    [
        "eqx.nn.Identity(3, key=jax.random.key(0))",  # ignores its arguments
        "eqx.nn.Lambda(jax.nn.relu)",
        "eqx.nn.Lambda(lambda x: 2 * x)",
        "eqx.nn.Dropout(0.1)",
        "eqx.nn.MaxPool1d(3, stride=2)",
        "eqx.nn.AdaptiveMaxPool3d((2, 2, 2))",
        "eqx.nn.GroupNorm(2, 4, 1e-5, False)",
        "eqx.nn.LayerNorm(8, elementwise_affine=False)",
        "eqx.nn.RMSNorm(8, 1e-6, False, False)",
        "eqx.nn.Sequential([eqx.nn.Lambda(jnp.tanh), eqx.nn.MaxPool2d(2)])",
        "eqx.nn.Sequential((eqx.nn.Identity(),))",
        "nnx.Sequential(nnx.relu, lambda x: x + 1)",
        "nnx.Dropout(0.5, deterministic=True)",
        "jax.vmap(eqx.nn.Lambda(jax.nn.relu), in_axes=0)",
    ],
)
def test_gr202_leaves_constructions_that_freeze_nothing(
    tmp_path: Path, construction: str
) -> None:
    source = _testcase_source("", construction)
    assert lines(tmp_path, "GR202", source) == []


@pytest.mark.parametrize(
    "construction",
    [
        "eqx.nn.GroupNorm(2, 4)",  # channelwise_affine defaults to True
        "eqx.nn.GroupNorm(2, 4, channelwise_affine=AFFINE)",  # not known False
        "eqx.nn.LayerNorm(8, use_bias=False)",  # still a weight
        "eqx.nn.RMSNorm(8, use_weight=False)",  # still a bias
        "eqx.nn.LayerNorm(8, use_weight=False, use_bias=False, dtype=jnp.float16)",
        "eqx.nn.Lambda(eqx.nn.Linear(2, 2, key=jax.random.key(0)))",
        "eqx.nn.Lambda(_TABLE)",  # an array held by the function slot
        "eqx.nn.Lambda(WEIGHTS)",  # imported from elsewhere: may be an array
        "eqx.nn.Pool(mymod.INIT, jax.lax.max, 2, 2)",
        "eqx.nn.Dropout(p=0.1, **OPTIONS)",
        "eqx.nn.Sequential([eqx.nn.Lambda(jnp.tanh), eqx.nn.Linear(2, 2, key=KEY)])",
        "eqx.nn.Sequential(LAYERS)",  # parts not known
        "nnx.Sequential(nnx.relu, nnx.Linear(2, 2, rngs=nnx.Rngs(0)))",
        "nnx.Dropout(0.5, rngs=nnx.Rngs(0))",
        "nnx.BatchNorm(4, use_bias=False, use_scale=False, rngs=nnx.Rngs(0))",
        "eqx.nn.MultiheadAttention(2, 4, key=jax.random.key(0))",
        "eqx.nn.Conv2d(3, 8, 3, key=jax.random.key(0))",
        "eqx.nn.Embedding(weight=_TABLE)",
        "eqx.nn.PReLU()",
        "eqx.nn.BatchNorm(3, axis_name='batch')",
        "eqx.nn.SpectralNorm(eqx.nn.Identity(), 'weight', key=jax.random.key(1))",
        "eqx.nn.WeightNorm(eqx.nn.Identity())",  # unknown constructor: reported
        "third_party.Pooling(2)",  # not known: reported
    ],
)
def test_gr202_reports_constructions_that_freeze_state(
    tmp_path: Path, construction: str
) -> None:
    preamble = "import mymod\nfrom weights import WEIGHTS\n_TABLE = jnp.ones((4, 2))\n"
    source = _testcase_source(preamble, construction)
    assert lines(tmp_path, "GR202", source) == [9]


@pytest.mark.parametrize(
    ("body", "stateful"),
    [
        # Functions and plain values only.
        ("    act: object\n", False),
        ("    def __init__(self, width=3):\n        self.width = width * 2\n", False),
        (
            "    def __init__(self, fn):\n        super().__init__()\n"
            "        self.fn = fn\n        self.pool = eqx.nn.MaxPool1d(2)\n",
            False,
        ),
        (
            "    def __init__(self, n):\n        if n > 2:\n"
            "            self.shape = (n, n)\n        else:\n"
            "            self.shape = tuple(range(n))\n",
            False,
        ),
        ("    scale: float = eqx.field(static=True, default=2.0)\n", False),
        # Arrays, keys, submodules with parameters, or what it cannot follow.
        ("    def __init__(self, n):\n        self.w = jnp.zeros(n)\n", True),
        (
            "    def __init__(self, key):\n"
            "        self.lin = eqx.nn.Linear(2, 2, key=key)\n",
            True,
        ),
        (
            "    def __init__(self, n):\n        k1, k2 = jax.random.split(KEY)\n"
            "        self.n = n\n",
            True,
        ),
        (
            "    def __init__(self, n):\n"
            "        for i in range(n):\n            pass\n",
            True,
        ),
        ("    table = jnp.ones(3)\n", True),
        ("    def __init__(self, n):\n        self.helper(n)\n", True),
    ],
)
def test_gr202_judges_a_same_file_class_by_what_it_stores(
    tmp_path: Path, body: str, stateful: bool
) -> None:
    source = _testcase_source("class Layer(eqx.Module):\n" + body, "Layer(jax.nn.relu)")
    found = findings(tmp_path, "GR202", source)
    assert bool(found) == stateful, [f.message for f in found]


@pytest.mark.parametrize(
    ("classes", "construction"),
    [
        # A base that holds parameters, or a base not known.
        ("class Layer(eqx.nn.Linear):\n    pass\n", "Layer(2, 2, key=KEY)"),
        ("class Layer(Base):\n    pass\n", "Layer()"),
        # A plain class given an array, a key or a dtype.
        ("class Layer(eqx.Module):\n    w: object\n", "Layer(jnp.ones(3))"),
        ("class Layer(nnx.Module):\n    pass\n", "Layer(rngs=nnx.Rngs(0))"),
        ("class Layer(nnx.Module):\n    pass\n", "Layer(dtype=jnp.float32)"),
        # A stateless base does not make a stateful subclass stateless.
        (
            "class Base(eqx.Module):\n    pass\n"
            "class Layer(Base):\n"
            "    def __init__(self):\n        self.w = jnp.ones(2)\n",
            "Layer()",
        ),
    ],
)
def test_gr202_same_file_classes_it_cannot_clear_are_reported(
    tmp_path: Path, classes: str, construction: str
) -> None:
    source = _testcase_source(classes, construction)
    assert len(findings(tmp_path, "GR202", source)) == 1


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
                    "testcase": "layer_norm",
                    "callable": lambda x, m=eqx.nn.LayerNorm(
                        32,
                    ): m(x),
                },
            ],
        )
        """,
    )
    assert "the lambda's default `m=eqx.nn.LayerNorm(32)`" in finding.message
    assert "use `construct_and_call(eqx.nn.LayerNorm, 32)`" in finding.message
