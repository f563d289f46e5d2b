"""GR203 on the four families of issue 18, each against JAX's own checker.

Every case is realistic code (training, sampling, init, RL) reduced to a
function `f(key, *flags)`. Its label comes from running it with a typed key
under `jax.debug_key_reuse(True)` for every combination of its boolean flags;
GR203 must report the cases the checker rejects, and only those. The families:

- `containers`: keys in lists, dicts and iterators (`[key] * n`, `keys["a"]`,
  `iter(split(...))`, `itertools.cycle`, loop indices that meet again);
- `closures`: keys captured by functions that run more than once (tree maps,
  `lax.scan` / `fori_loop` / `while_loop` bodies, `functools.partial`,
  `**dict(key=key)`, an inner function given to `jax.vmap`);
- `carries`: a loop carry that hands back the key it consumed;
- `precision`: key-ness from use, conditions that cannot hold together,
  module instances in inference mode, callees judged with their arguments.
"""

from __future__ import annotations

import inspect
import itertools
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import pytest

from tests.conftest import check_tree

HEADER = """\
import functools
import itertools

import jax
import jax.numpy as jnp
import jax.random as jr
from jax import lax
"""

FAMILIES: dict[str, dict[str, str]] = {
    "containers": {
        "rollout_step_key_twice": """
            def f(key):
                step_keys = jr.split(key, 4)
                state = jnp.zeros(3)
                for t in range(4):
                    action = jr.categorical(step_keys[t], state)
                    state = state + action + jr.normal(step_keys[t], state.shape)
                return state
        """,
        "rollout_lookahead_meets_next_round": """
            def f(key):
                keys = jr.split(key, 5)
                state = jnp.zeros(3)
                for t in range(4):
                    action = jr.categorical(keys[t], state)
                    state = state + action + jr.normal(keys[t + 1], state.shape)
                return state
        """,
        "rollout_one_key_per_round": """
            def f(key):
                keys = jr.split(key, 4)
                state = jnp.zeros(3)
                for t in range(4):
                    act_key, env_key = jr.split(keys[t])
                    state = state + jr.categorical(act_key, state)
                    state = state + jr.normal(env_key, state.shape)
                return state
        """,
        "sampler_final_noise_after_every_step": """
            def f(key):
                steps = 3
                keys = jr.split(key, steps)
                x = jnp.zeros(2)
                for i in range(steps):
                    x = 0.9 * x + jr.normal(keys[i], x.shape)
                return x + jr.normal(keys[-1], x.shape)
        """,
        "sampler_final_noise_kept_apart": """
            def f(key):
                steps = 3
                keys = jr.split(key, steps + 1)
                x = jnp.zeros(2)
                for i in range(steps):
                    x = 0.9 * x + jr.normal(keys[i], x.shape)
                return x + jr.normal(keys[steps], x.shape)
        """,
        "layers_from_iterator": """
            def f(key):
                key_iter = iter(jr.split(key, 3))
                w1 = jr.normal(next(key_iter), (4, 8))
                w2 = jr.normal(next(key_iter), (8, 8))
                return w1, w2, jr.normal(next(key_iter), (8, 2))
        """,
        "layers_cycle_over_fewer_keys": """
            def f(key):
                keys = itertools.cycle(jr.split(key, 2))
                return [jr.normal(next(keys), (2,)) for _ in range(3)]
        """,
        "layers_repeated_key_list": """
            def f(key, deep):
                layer_keys = [key] * (3 if deep else 2)
                return [jr.normal(k, (4, 4)) for k in layer_keys]
        """,
        "towers_entry_twice": """
            def f(key):
                names = ("user", "item")
                keys = dict(zip(names, jr.split(key, len(names)), strict=True))
                table = jr.normal(keys["user"], (10, 4))
                return table, jr.normal(keys["user"], (4,)), jr.normal(keys["item"], ())
        """,
        "towers_entry_each": """
            def f(key):
                k_user, k_item = jr.split(key)
                keys = {"user": k_user, "item": k_item}
                return jr.normal(keys["user"], (10, 4)), jr.normal(keys["item"], ())
        """,
    },
    "precision": {
        "mode_strings_exclusive": """
            def f(key, train, sample):
                mode = "train" if train else "sample" if sample else "eval"
                x = jnp.ones((3,))
                if mode == "train":
                    x = x + jr.normal(key, x.shape)
                if mode == "sample":
                    x = x * jr.uniform(key, x.shape)
                return x
        """,
        "mode_strings_not_equal": """
            def f(key, train):
                mode = "train" if train else "eval"
                x = jnp.ones((3,))
                if mode != "train":
                    return x
                x = x + jr.normal(key, x.shape)
                if mode == "eval":
                    x = x * jr.uniform(key, x.shape)
                return x
        """,
        "mode_strings_fall_through": """
            def f(key, sample):
                mode = "sample" if sample else "train"
                x = jnp.ones((3,))
                if mode == "sample":
                    x = x * jr.uniform(key, x.shape)
                return x + jr.normal(key, x.shape)
        """,
        "key_param_is_a_metric_name": """
            def log_metric(metrics, key):
                if key not in metrics:
                    raise KeyError(key)
                value = metrics.get(key)
                metrics.pop(key)
                return f"{key}={value}"

            def f(key):
                return log_metric({"loss": 1.0}, "loss"), jr.normal(key, ())
        """,
        "key_param_formats_text": """
            def describe(rng, table):
                return "%s: %s" % (rng, table.setdefault(rng, 0)), table.pop(rng)

            def f(key):
                return describe("seed", {}), jr.normal(key, ())
        """,
        "helper_returns_before_drawing_in_eval": """
            def dropout(x, key, rate, train):
                if not train or rate == 0.0:
                    return x
                keep = jr.bernoulli(key, 1.0 - rate, x.shape)
                return jnp.where(keep, x / (1.0 - rate), 0.0)

            def f(key):
                h = dropout(jnp.ones(3), key, 0.5, train=False)
                return dropout(h, key, 0.5, False)
        """,
        "helper_draws_in_training": """
            def dropout(x, key, rate, train):
                if not train or rate == 0.0:
                    return x
                keep = jr.bernoulli(key, 1.0 - rate, x.shape)
                return jnp.where(keep, x / (1.0 - rate), 0.0)

            def f(key):
                h = dropout(jnp.ones(3), key, 0.5, train=True)
                return dropout(h, key, 0.5, train=True)
        """,
        "helper_default_is_deterministic": """
            def add_noise(x, rng, deterministic=True, mode="eval"):
                if deterministic or mode != "train":
                    return x
                return x + jr.normal(rng, x.shape)

            def f(key):
                return add_noise(add_noise(jnp.ones(2), key), key, mode="train")
        """,
        "module_instance_in_inference": """
            import equinox as eqx

            DROP = eqx.nn.Dropout(0.5)

            def f(key, inference):
                x = DROP(jnp.ones(4), key=key, inference=inference)
                return DROP(x, key=key, inference=True)
        """,
        "nnx_dropout_deterministic": """
            from flax import nnx

            def f(key):
                drop = nnx.Dropout(0.5)
                x = drop(jnp.ones(4), deterministic=True, rngs=key)
                return drop(x, deterministic=True, rngs=key)
        """,
        "nnx_dropout_training": """
            from flax import nnx

            def f(key, deterministic):
                drop = nnx.Dropout(0.5)
                x = drop(jnp.ones(4), deterministic=deterministic, rngs=key)
                return drop(x, deterministic=deterministic, rngs=key)
        """,
        "helper_noise_when_asked": """
            def add_noise(x, rng, deterministic=True):
                if deterministic:
                    return x
                return x + jr.normal(rng, x.shape)

            def f(key):
                x = add_noise(jnp.ones(2), key, deterministic=False)
                return add_noise(x, key, False)
        """,
    },
}


def _cases() -> dict[str, str]:
    return {
        f"{family}__{name}": body
        for family, cases in FAMILIES.items()
        for name, body in cases.items()
    }


def _module_text(body: str) -> str:
    return HEADER + "\n\n" + textwrap.dedent(body).strip() + "\n"


def _load(name: str, body: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = {}
    exec(compile(_module_text(body), name, "exec"), namespace)
    function: Callable[..., Any] = namespace["f"]
    return function


def _runtime_reuse(function: Callable[..., Any]) -> bool:
    """Whether JAX's checker rejects the function on any combination of flags."""
    flags = list(inspect.signature(function).parameters)[1:]
    for values in itertools.product((True, False), repeat=len(flags)):
        try:
            with jax.debug_key_reuse(True):
                function(jax.random.key(0), *values)
        except jax.errors.KeyReuseError:
            return True
    return False


@pytest.fixture(scope="module")
def static_findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[int]]:
    """GR203's finding lines per case, from one run of the engine."""
    root: Path = tmp_path_factory.mktemp("families")
    cases = _cases()
    for name, body in cases.items():
        (root / f"{name}.py").write_text(_module_text(body), encoding="utf-8")
    found: dict[str, list[int]] = {name: [] for name in cases}
    for finding in check_tree(root, ["GR203"]).findings:
        found[Path(finding.path).stem].append(finding.line)
    return found


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_has_reuse_and_clean_cases(family: str) -> None:
    labels = [
        _runtime_reuse(_load(name, body)) for name, body in FAMILIES[family].items()
    ]
    assert labels.count(True) >= 2 and labels.count(False) >= 2


@pytest.mark.parametrize("name", sorted(_cases()))
def test_gr203_agrees_with_jax_key_reuse_checker(
    name: str, static_findings: dict[str, list[int]]
) -> None:
    runtime = _runtime_reuse(_load(name, _cases()[name]))
    reported = bool(static_findings[name])
    assert reported == runtime, (
        f"{name}: jax.debug_key_reuse says {'reuse' if runtime else 'no reuse'}, "
        f"GR203 reported lines {static_findings[name]}"
    )
