# origin: written for the benchmark in the style of config / checkpoint helpers
#   that live next to JAX training code
# licence: Apache-2.0 (this repository)
# case metric_lookup: clean - `key` is a metric name used as a dict key.
# case restore_param_tree: clean - `key` names a checkpoint entry.
# case log_scalars: clean - `key` loops over the dict's string keys.
# case dropout_twice: reuse - a real key parameter drawn from twice.
# oracle: excerpt:metric_lookup({"loss":1.0},"loss") passes
#   excerpt:restore_param_tree({"w":1},"w") passes
#   excerpt:log_scalars({"loss":1.0}) passes
#   excerpt:dropout_twice(jax.random.key(0)) rejects
import jax
import jax.numpy as jnp


def metric_lookup(metrics, key):
    if key not in metrics:
        raise KeyError(key)
    value = metrics.get(key)
    metrics.pop(key)
    return float(value)


def restore_param_tree(checkpoint, key, default=None):
    if key in checkpoint:
        return checkpoint[key]
    print("missing %s" % key)
    return checkpoint.setdefault(key, default)


def log_scalars(metrics, prefix="train"):
    lines = []
    for key, value in metrics.items():
        name = "/".join([prefix, key])
        lines.append(name.format(key=key) + str(value))
        lines.append(str(hash(key)))
    return lines


def dropout_twice(rng_key):
    x = jnp.ones((4,))
    a = jax.random.bernoulli(rng_key, 0.5, x.shape)
    b = jax.random.bernoulli(rng_key, 0.5, x.shape)  # gr203: reuse
    return a, b
