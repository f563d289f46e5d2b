# origin: written after the implementation, as a held-out check, in the style
#   of Flax's dropout guide (a TrainState subclass carrying a key)
# licence: Apache-2.0, the guardrails authors
# case train_step: reuse - splits `state.key` for dropout, then returns
#   `state.apply_gradients(...)`, which keeps the old key.
# case train_step_folded: clean - the dropout key is folded from the step.
# case train_step_kept: clean - the new key goes back with `replace(key=...)`.
# oracle: excerpt:run(train_step) rejects
#   excerpt:run(train_step_folded) passes
#   excerpt:run(train_step_kept) passes
import jax
import jax.numpy as jnp
import optax
from flax import linen as nn
from flax.training import train_state


class MLP(nn.Module):
    @nn.compact
    def __call__(self, x, training: bool):
        x = nn.Dense(4)(x)
        x = nn.Dropout(0.5, deterministic=not training)(x)
        return nn.Dense(1)(x)


class TrainState(train_state.TrainState):
    key: jax.Array


def train_step(state, batch):
    dropout_key, _ = jax.random.split(state.key)  # gr203: reuse

    def loss_fn(params):
        out = state.apply_fn({"params": params}, batch, training=True, rngs={"dropout": dropout_key})
        return jnp.mean(out**2)

    grads = jax.grad(loss_fn)(state.params)
    state = state.apply_gradients(grads=grads)
    return state


def train_step_folded(state, batch):
    dropout_key = jax.random.fold_in(state.key, state.step)

    def loss_fn(params):
        out = state.apply_fn({"params": params}, batch, training=True, rngs={"dropout": dropout_key})
        return jnp.mean(out**2)

    grads = jax.grad(loss_fn)(state.params)
    return state.apply_gradients(grads=grads)


def train_step_kept(state, batch):
    new_key, dropout_key = jax.random.split(state.key)

    def loss_fn(params):
        out = state.apply_fn({"params": params}, batch, training=True, rngs={"dropout": dropout_key})
        return jnp.mean(out**2)

    grads = jax.grad(loss_fn)(state.params)
    return state.apply_gradients(grads=grads).replace(key=new_key)


def run(step):
    model = MLP()
    batch = jnp.ones((2, 3))
    params = model.init(jax.random.key(1), batch, training=False)["params"]
    state = TrainState.create(apply_fn=model.apply, params=params, tx=optax.sgd(0.1), key=jax.random.key(0))
    for _ in range(3):
        state = step(state, batch)
    return state
