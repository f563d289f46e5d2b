# origin: written for the benchmark in the style of multi-tower recommender init
# licence: Apache-2.0 (this repository)
# case towers_overlapping_slices: reuse - `keys[:n]` and `keys[n - 1:]` share
#   `keys[n - 1]` (n = 3 literal here).
# case towers_disjoint_slices: clean - `keys[:3]` and `keys[3:]`.
# case towers_dict_entry_twice: reuse - `keys["user"]` feeds two layers.
# case towers_dict_entries: clean - one entry per layer.
# oracle: excerpt:towers_overlapping_slices(jax.random.key(0)) rejects
#   excerpt:towers_disjoint_slices(jax.random.key(0)) passes
#   excerpt:towers_dict_entry_twice(jax.random.key(0)) rejects
#   excerpt:towers_dict_entries(jax.random.key(0)) passes
import jax

NAMES = ("user", "item", "context")


def embed(key, n):
    return jax.random.normal(key, (n, 4))


def towers_overlapping_slices(key):
    keys = jax.random.split(key, 6)
    user = [embed(k, 8) for k in keys[:3]]
    item = [embed(k, 8) for k in keys[2:]]  # gr203: reuse
    return user, item


def towers_disjoint_slices(key):
    keys = jax.random.split(key, 6)
    user = [embed(k, 8) for k in keys[:3]]
    item = [embed(k, 8) for k in keys[3:]]
    return user, item


def towers_dict_entry_twice(key):
    keys = dict(zip(NAMES, jax.random.split(key, len(NAMES))))
    user_table = embed(keys["user"], 10)
    user_bias = embed(keys["user"], 1)  # gr203: reuse
    item_table = embed(keys["item"], 10)
    return user_table, user_bias, item_table


def towers_dict_entries(key):
    k_user, k_item, k_ctx = jax.random.split(key, 3)
    keys = {"user": k_user, "item": k_item, "context": k_ctx}
    return {name: embed(keys[name], 10) for name in NAMES}
