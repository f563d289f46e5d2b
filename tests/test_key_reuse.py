"""GR203 details the runtime oracle cannot judge: messages, the `key-names`
convention, module level, statement forms, and robustness on any code."""

from __future__ import annotations

import textwrap
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings

from guardrails.analysis.imports import imports_of
from guardrails.analysis.keyflow import FlowInputs, KeyFlow
from guardrails.config import DEFAULT_KEY_NAMES, Config, load_config
from guardrails.types import Finding
from tests.conftest import check_tree
from tests.readme_snippets import readme_block


def findings(root: Path, source: str, config: Config | None = None) -> list[Finding]:
    target = root / "module.py"
    target.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
    result = check_tree(root, ["GR203"], config)
    return sorted(
        (f for f in result.findings if f.code == "GR203"), key=lambda f: f.line
    )


def lines(root: Path, source: str, config: Config | None = None) -> list[int]:
    return [f.line for f in findings(root, source, config)]


def test_message_names_both_uses_and_the_split(tmp_path: Path) -> None:
    (finding,) = findings(
        tmp_path,
        """
        import jax.random as jr

        def init(key):
            weight = jr.normal(key, (3,))
            bias = jr.uniform(key, (3,))
            return weight, bias
        """,
    )
    assert finding.line == 5
    assert finding.message == (
        "PRNG key `key` may already be consumed by `jr.normal` on line 4; "
        "split before passing it to `jr.uniform`: "
        "`key, subkey = jr.split(key)` and pass `subkey`"
    )


def test_loop_message(tmp_path: Path) -> None:
    (finding,) = findings(
        tmp_path,
        """
        import jax

        def noise(key, n):
            return [jax.random.normal(key, ()) for _ in range(n)]
        """,
    )
    assert "on every round of the loop" in finding.message
    assert "`key, subkey = jax.random.split(key)`" in finding.message


def test_element_message(tmp_path: Path) -> None:
    (finding,) = findings(
        tmp_path,
        """
        from jax.random import normal, split

        def pair(key):
            keys = split(key, 2)
            return normal(keys[1]), normal(keys[-1])
        """,
    )
    assert "PRNG key `keys[-1]`" in finding.message
    assert "`split(key, n)`" in finding.message


def test_key_names_are_configurable(tmp_path: Path) -> None:
    source = """
        import equinox as eqx

        def build(noise_source, seed_key):
            a = Layer(noise_source)
            b = Layer(noise_source)
            c = Layer(seed_key)
            return a, b, Layer(seed_key)
        """
    assert lines(tmp_path, source) == [7]  # `*_key` is a default pattern
    custom = Config(root=tmp_path, key_names=("noise_*",))
    assert lines(tmp_path, source, custom) == [5]


@pytest.mark.parametrize(
    "source",
    [
        "import equinox as eqx\n\ndef f(noise):\n    return g(noise), g(noise)\n",
        "def f(noise: Array):\n    return g(noise), g(noise)\n",
    ],
)
def test_prescan_holds_for_any_key_names(tmp_path: Path, source: str) -> None:
    # No "key", "rng" or "random" in sight: only the configured name says `noise`
    # is a key, and the pre-scan must still let the file through.
    custom = Config(root=tmp_path, key_names=("noise",))
    assert len(lines(tmp_path, source, custom)) == 1


def test_readme_shows_the_default_key_names(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(readme_block("key-names-config"), encoding="utf-8")
    assert load_config(pyproject).key_names == DEFAULT_KEY_NAMES


def test_default_key_names() -> None:
    assert DEFAULT_KEY_NAMES == (
        "key",
        "rng",
        "rng_key",
        "prng_key",
        "*_key",
        "subkey",
        "k[0-9]*",
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # Dictionary keys are not PRNG keys when annotated as such.
        (
            """
            def lookup(table, key: str, fallback: int | None = None):
                return table.get(key) or table.setdefault(key, fallback)
            """,
            [],
        ),
        # An unannotated `key` parameter follows the convention in JAX code...
        (
            """
            import jax

            def twice(key):
                return helper(key), helper(key)
            """,
            [4],
        ),
        # ... and is a dictionary key elsewhere.
        (
            """
            def cached(cache, key):
                if cache.has(key):
                    return cache.get(key)
            """,
            [],
        ),
        # A shared `nnx.Rngs` is the NNX idiom: each call draws a new key.
        (
            """
            from flax import nnx

            class Block(nnx.Module):
                def __init__(self, rng: nnx.Rngs):
                    self.a = nnx.Linear(2, 2, rngs=rng)
                    self.b = nnx.Linear(2, 2, rngs=rng)
            """,
            [],
        ),
        # An annotation says which it is.
        (
            """
            def both(table, key: Hashable, rng_key: PRNGKeyArray):
                table.get(key), table.pop(key)
                return helper(rng_key), helper(rng_key)
            """,
            [3],
        ),
        # Module level: keys made at the top of a script.
        (
            """
            import jax

            KEY = jax.random.key(0)
            A = jax.random.normal(KEY)
            B = jax.random.normal(KEY)
            """,
            [5],
        ),
        # `while True` left by `break`; the use after the loop is the second.
        (
            """
            import jax

            def f(key):
                while True:
                    x = jax.random.normal(key)
                    break
                return x, jax.random.normal(key)
            """,
            [7],
        ),
        # try/finally and with blocks run in order.
        (
            """
            import jax

            def f(key, path):
                try:
                    a = jax.random.normal(key)
                finally:
                    log(path)
                with open(path) as handle:
                    b = jax.random.uniform(key)
                return a, b
            """,
            [9],
        ),
        # match cases are exclusive.
        (
            """
            import jax

            def f(key, kind):
                match kind:
                    case "normal":
                        return jax.random.normal(key)
                    case _:
                        return jax.random.uniform(key)
            """,
            [],
        ),
        # A walrus binds a fresh key; starred arguments consume.
        (
            """
            import jax

            def f(key):
                if (sub := jax.random.split(key)[0]) is not None:
                    a = jax.random.normal(sub)
                keys = jax.random.split(key, 3)
                return a, helper(*keys), helper(keys[0])
            """,
            [6, 7],
        ),
        # `del` and rebinding to something that is not a key end tracking.
        (
            """
            import jax

            def f(key):
                a = jax.random.normal(key)
                key = None
                return a, helper(key)
            """,
            [],
        ),
        # Methods on the key and attributes do not consume it.
        (
            """
            import jax

            def f(key):
                data = key.reshape((1,))
                print(key.dtype, len(key.shape), type(key))
                return data, jax.random.normal(key)
            """,
            [],
        ),
    ],
)
def test_statement_forms(tmp_path: Path, source: str, expected: list[int]) -> None:
    assert lines(tmp_path, source) == expected


def test_many_branches_stay_bounded(tmp_path: Path) -> None:
    # 2**20 paths if enumerated; states are merged by key state instead.
    branches = "\n".join(f"    if flag_{n}:\n        x{n} = {n}\n" for n in range(20))
    source = (
        "import jax\n\ndef f(key, "
        + ", ".join(f"flag_{n}" for n in range(20))
        + "):\n"
        + branches
        + "    if flag_0:\n        a = jax.random.normal(key)\n"
        + "    return jax.random.normal(key)\n"
    )
    assert lines(tmp_path, source) == [source.count("\n")]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(hypothesmith.from_grammar())
def test_keyflow_runs_on_any_module(source: str) -> None:
    try:
        module = cst.parse_module(source)
    except Exception:
        return  # the engine reports unparsable files as GR001
    flow = KeyFlow(FlowInputs(imports_of(module)))
    flow.run_module(module)
    for node in module.body:
        if isinstance(node, cst.FunctionDef):
            flow.run_function(node, DEFAULT_KEY_NAMES)


def test_closure_and_fold_messages(tmp_path: Path) -> None:
    closure, fold = findings(
        tmp_path,
        """
        import jax.random as jr

        def f(key):
            def sample():
                return jr.normal(key, ())
            return sample(), sample()

        def g(key):
            return jr.normal(jr.fold_in(key, 0)), jr.normal(jr.fold_in(key, 0))
        """,
    )
    assert (closure.line, fold.line) == (6, 9)
    assert "split before `sample` uses it again" in closure.message
    assert "pass each call its own key from `jr.split(key)`" in closure.message
    assert "fold different data into each (`jr.fold_in(key, 1)`)" in fold.message
