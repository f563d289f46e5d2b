# origin: written for this benchmark in the style of ensemble / seeding code
# licence: Apache-2.0, the guardrails authors
# case init_ensemble: reuse - `PRNGKey(seed)` made twice: both members get the
#   same weights.
# case ensemble_members: reuse - `fold_in(key, 0)` twice gives one key twice.
# case resume: reuse - the checkpoint holds the raw data of a key already drawn
#   from; wrapping it again replays the same numbers.
# case init_ensemble_offset, ensemble_distinct, checkpoint_key: clean - different
#   seeds, different fold data, raw key data saved but never drawn from again.
# oracle: witness:init_ensemble(3) rejects
#   witness:ensemble_members(jax.random.key(0)) rejects
#   witness:resume(jax.random.key(0)) rejects
#   witness:init_ensemble_offset(3) passes
#   witness:ensemble_distinct(jax.random.key(0)) passes
import jax
import numpy as np


def init_ensemble(seed):
    first = jax.random.normal(jax.random.PRNGKey(seed), (3,))
    second = jax.random.normal(jax.random.PRNGKey(seed), (3,))  # gr203: reuse
    return first, second


def init_ensemble_offset(seed):
    first = jax.random.normal(jax.random.PRNGKey(seed), (3,))
    second = jax.random.normal(jax.random.PRNGKey(seed + 1), (3,))
    return first, second


def ensemble_members(key):
    a = jax.random.normal(jax.random.fold_in(key, 0), (3,))
    b = jax.random.normal(jax.random.fold_in(key, 0), (3,))  # gr203: reuse
    return a, b


def ensemble_distinct(key):
    a = jax.random.normal(jax.random.fold_in(key, 0), (3,))
    b = jax.random.normal(jax.random.fold_in(key, 1), (3,))
    return a, b


def resume(key):
    saved = jax.random.key_data(key)
    before = jax.random.normal(key, (3,))
    restored = jax.random.wrap_key_data(saved)
    after = jax.random.normal(restored, (3,))  # gr203: reuse
    return before, after


def checkpoint_key(key):
    key, sub = jax.random.split(key)
    saved = np.asarray(jax.random.key_data(key))
    return jax.random.normal(sub, (3,)), saved
