# origin: written after the implementation, as a held-out check, in the style
#   of experiment setup code driven by a config
# licence: Apache-2.0, the guardrails authors
# case setup: reuse - the model's key and the data's key are both
#   `PRNGKey(cfg.seed)`: the same key twice.
# case setup_offset: clean - different seeds.
# case per_step_keys: reuse - `fold_in(base, 7)` twice in one step.
# oracle: witness:setup(Cfg(3)) rejects
#   witness:setup_offset(Cfg(3)) passes
#   witness:per_step_keys(jax.random.key(0)) rejects
import dataclasses

import jax


@dataclasses.dataclass
class Cfg:
    seed: int


def setup(cfg):
    model_key = jax.random.PRNGKey(cfg.seed)
    data_key = jax.random.PRNGKey(cfg.seed)
    weights = jax.random.normal(model_key, (3,))
    order = jax.random.normal(data_key, (3,))  # gr203: reuse
    return weights, order


def setup_offset(cfg):
    model_key = jax.random.PRNGKey(cfg.seed)
    data_key = jax.random.PRNGKey(cfg.seed + 1000)
    return jax.random.normal(model_key, (3,)), jax.random.normal(data_key, (3,))


def per_step_keys(base):
    a = jax.random.uniform(jax.random.fold_in(base, 7), (3,))
    b = jax.random.uniform(jax.random.fold_in(base, 7), (3,))  # gr203: reuse
    return a, b
