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

import textwrap
from pathlib import Path

import pytest

from tests.conftest import check_tree
from tests.key_reuse_support import load_case, runtime_reuse

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
    "closures": {
        "tree_map_lambda_captures_key": """
            def f(key):
                params = {"w": jnp.ones((2, 3)), "b": jnp.zeros(3)}
                return jax.tree.map(lambda p: p + jr.normal(key, p.shape), params)
        """,
        "tree_map_key_per_leaf": """
            def f(key):
                leaves, treedef = jax.tree.flatten({"w": jnp.ones(2), "b": jnp.ones(3)})
                keys = jr.split(key, len(leaves))
                noisy = jax.tree.map(
                    lambda p, k: p + jr.normal(k, p.shape), leaves, list(keys)
                )
                return jax.tree.unflatten(treedef, noisy)
        """,
        "tree_map_nested_function": """
            def f(rng):
                def add_noise(p):
                    return p + jr.normal(rng, p.shape)

                return jax.tree_util.tree_map(add_noise, [jnp.ones(2), jnp.ones(3)])
        """,
        "scan_body_captures_key": """
            def f(key):
                def step(x, _):
                    x = 0.9 * x + jr.normal(key, x.shape)
                    return x, x

                return lax.scan(step, jnp.zeros(2), None, length=3)
        """,
        "scan_over_step_keys": """
            def f(key):
                def step(x, step_key):
                    x = 0.9 * x + jr.normal(step_key, x.shape)
                    return x, x

                return lax.scan(step, jnp.zeros(2), jr.split(key, 3))
        """,
        "fori_body_captures_key": """
            def f(key):
                def body(i, h):
                    keep = jr.bernoulli(key, 0.5, h.shape)
                    return jnp.where(keep, h, 0.0) + i

                return lax.fori_loop(0, 3, body, jnp.ones(4))
        """,
        "fori_body_folds_step": """
            def f(key):
                def body(i, h):
                    keep = jr.bernoulli(jr.fold_in(key, i), 0.5, h.shape)
                    return jnp.where(keep, h, 0.0)

                return lax.fori_loop(0, 3, body, jnp.ones(4))
        """,
        "grad_of_closure_every_step": """
            def f(key):
                params = jnp.ones(3)

                def loss_fn(p):
                    return jnp.sum((p + jr.normal(key, p.shape)) ** 2)

                for _ in range(3):
                    params = params - 0.1 * jax.grad(loss_fn)(params)
                return params
        """,
        "grad_of_closure_once": """
            def f(key):
                def loss_fn(p):
                    return jnp.sum((p + jr.normal(key, p.shape)) ** 2)

                return jax.grad(loss_fn)(jnp.ones(3))
        """,
        "partial_called_twice": """
            def init_linear(key, n_in, n_out):
                return jr.normal(key, (n_in, n_out))

            def f(key):
                init = functools.partial(init_linear, key)
                return init(4, 8), init(8, 2)
        """,
        "partial_called_once": """
            def init_linear(key, n_in, n_out):
                return jr.normal(key, (n_in, n_out))

            def f(key):
                k1, k2 = jr.split(key)
                return functools.partial(init_linear, k1)(4, 8), init_linear(k2, 8, 2)
        """,
        "lambda_default_key_called_twice": """
            def f(key):
                draw = lambda shape, k=key: jr.normal(k, shape)
                return draw((2,)), draw((3,))
        """,
        "partial_of_a_draw_called_twice": """
            def f(key):
                noise = functools.partial(jr.normal, key)
                return noise((2,)), noise((3,))
        """,
        "kwargs_dict_passed_twice": """
            def linear(n_in, n_out, *, key):
                return jr.normal(key, (n_in, n_out))

            def f(key):
                layer_kwargs = dict(key=key)
                return linear(4, 8, **layer_kwargs), linear(8, 2, **layer_kwargs)
        """,
        "vmapped_inner_reuses_any_name": """
            def f(key):
                def encode(r, mean):
                    eps = jr.normal(r, mean.shape)
                    keep = jr.bernoulli(r, 0.9, mean.shape)
                    return jnp.where(keep, mean + eps, 0.0)

                return jax.vmap(encode)(jr.split(key, 4), jnp.zeros((4, 3)))
        """,
        "vmapped_inner_splits": """
            def member(seed, x):
                w_seed, b_seed = jr.split(seed)
                return x @ jr.normal(w_seed, (3, 3)) + jr.normal(b_seed, (3,))

            def f(key):
                members = jr.split(key, 5)
                return jax.vmap(member, in_axes=(0, None))(members, jnp.ones(3))
        """,
        "vmapped_lambda_reuses_its_key": """
            def f(key):
                return jax.vmap(lambda r, x: x * jr.normal(r) + jr.uniform(r))(
                    jr.split(key, 3), jnp.ones(3)
                )
        """,
        "vmapped_lambda_splits": """
            def f(key):
                return jax.vmap(lambda r, x: x * jr.normal(jr.split(r)[0]))(
                    jr.split(key, 3), jnp.ones(3)
                )
        """,
        "tree_map_with_path_captures_key": """
            def f(key):
                params = {"w": jnp.ones(2), "b": jnp.ones(3)}
                return jax.tree_util.tree_map_with_path(
                    lambda path, p: p + jr.normal(key, p.shape), params
                )
        """,
        "vmapped_top_level_reuses": """
            def member(seed, x):
                return x @ jr.normal(seed, (3, 3)) + jr.normal(seed, (3,))

            def f(key):
                members = jr.split(key, 5)
                return jax.vmap(member, in_axes=(0, None))(members, jnp.ones(3))
        """,
    },
    "carries": {
        "scan_carry_returns_consumed_key": """
            def f(rng):
                def env_step(runner_state, unused):
                    obs, rng = runner_state
                    new_rng, action_rng = jr.split(rng)
                    action = jr.categorical(action_rng, obs)
                    return (obs + action, rng), action

                return lax.scan(env_step, (jnp.zeros(3), rng), None, 4)
        """,
        "scan_carry_returns_new_key": """
            def f(rng):
                def env_step(runner_state, unused):
                    obs, rng = runner_state
                    rng, action_rng = jr.split(rng)
                    action = jr.categorical(action_rng, obs)
                    return (obs + action, rng), action

                return lax.scan(env_step, (jnp.zeros(3), rng), None, 4)
        """,
        "fori_carry_unsplit": """
            def f(key):
                def body(i, carry):
                    x, key = carry
                    return x + jr.normal(key, x.shape), key

                return lax.fori_loop(0, 3, body, (jnp.zeros(2), key))
        """,
        "fori_carry_split": """
            def f(key):
                def body(i, carry):
                    x, key = carry
                    key, sub = jr.split(key)
                    return x + jr.normal(sub, x.shape), key

                return lax.fori_loop(0, 3, body, (jnp.zeros(2), key))
        """,
        "while_carry_unsplit": """
            def f(key):
                def body(state):
                    i, x, key = state
                    x = jr.bernoulli(key, 0.5, x.shape).astype(jnp.float32)
                    return i + 1, x, key

                return lax.while_loop(lambda s: s[0] < 3, body, (0, jnp.zeros(2), key))
        """,
        "while_carry_split": """
            def f(key):
                def body(state):
                    i, x, key = state
                    key, sub = jr.split(key)
                    x = jr.bernoulli(sub, 0.5, x.shape).astype(jnp.float32)
                    return i + 1, x, key

                return lax.while_loop(lambda s: s[0] < 3, body, (0, jnp.zeros(2), key))
        """,
        "top_level_scan_step_keeps_old_key": """
            def sample_step(carry, t):
                x, key = carry
                noise_key, key2 = jr.split(key)
                x = 0.9 * x + jr.normal(noise_key, x.shape)
                return (x, key), x

            def f(key):
                return lax.scan(sample_step, (jnp.zeros(2), key), jnp.arange(3))
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
        runtime_reuse(load_case(name, _module_text(body)))
        for name, body in FAMILIES[family].items()
    ]
    assert labels.count(True) >= 2 and labels.count(False) >= 2


@pytest.mark.parametrize("name", sorted(_cases()))
def test_gr203_agrees_with_jax_key_reuse_checker(
    name: str, static_findings: dict[str, list[int]]
) -> None:
    runtime = runtime_reuse(load_case(name, _module_text(_cases()[name])))
    reported = bool(static_findings[name])
    assert reported == runtime, (
        f"{name}: jax.debug_key_reuse says {'reuse' if runtime else 'no reuse'}, "
        f"GR203 reported lines {static_findings[name]}"
    )
