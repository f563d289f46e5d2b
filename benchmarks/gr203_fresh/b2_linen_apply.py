# origin: written after the analysis (second batch), in the style of Flax
#   linen training with dropout rngs
# licence: Apache-2.0 (this repository)
# case eval_twice_same_rng: clean - deterministic apply ignores the rngs.
# case train_twice_same_rng: reuse - two training applies, one dropout key:
#   the same mask twice (a numeric witness: both outputs are equal). JAX's
#   checker passes it: linen derives the dropout key with `fold_in`, which
#   consumes nothing, so the checker is blind here.
# case train_steps_fold: clean - the step folded into the dropout key.
# oracle: excerpt:eval_twice_same_rng(jax.random.key(0)) passes
#   excerpt:train_twice_same_rng(jax.random.key(0)) passes
#   excerpt:train_steps_fold(jax.random.key(0)) passes
import jax
import jax.numpy as jnp
from flax import linen as nn


class Net(nn.Module):
    @nn.compact
    def __call__(self, x, train: bool):
        x = nn.Dense(4)(x)
        return nn.Dropout(0.5, deterministic=not train)(x)


def eval_twice_same_rng(key):
    init_key, dropout_key = jax.random.split(key)
    model = Net()
    params = model.init(init_key, jnp.ones(3), train=False)
    a = model.apply(params, jnp.ones(3), train=False, rngs={"dropout": dropout_key})
    b = model.apply(params, jnp.ones(3), train=False, rngs={"dropout": dropout_key})
    return a, b


def train_twice_same_rng(key):
    init_key, dropout_key = jax.random.split(key)
    model = Net()
    params = model.init(init_key, jnp.ones(3), train=False)
    a = model.apply(params, jnp.ones(3), train=True, rngs={"dropout": dropout_key})
    b = model.apply(params, jnp.ones(3), train=True, rngs={"dropout": dropout_key})  # gr203: reuse
    return a, b


def train_steps_fold(key):
    init_key, dropout_key = jax.random.split(key)
    model = Net()
    params = model.init(init_key, jnp.ones(3), train=False)
    outs = []
    for step in range(2):
        step_key = jax.random.fold_in(dropout_key, step)
        outs.append(model.apply(params, jnp.ones(3), train=True, rngs={"dropout": step_key}))
    return outs
