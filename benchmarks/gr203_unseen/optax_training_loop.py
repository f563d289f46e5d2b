# origin: written for the benchmark in the style of optax's quick-start loop
#   with dropout in the loss
# licence: Apache-2.0 (this repository)
# case fit_same_dropout_key: reuse - `train_step` draws its dropout mask from
#   `dropout_key` directly, and the loop passes the same one every step.
# case fit_fold_in_step: clean - `train_step_folded` folds the step in first.
# case fit_split_each_step: clean - a new dropout key is split every step.
# oracle: excerpt:fit_same_dropout_key(jax.random.key(0)) rejects
#   excerpt:fit_fold_in_step(jax.random.key(0)) passes
#   excerpt:fit_split_each_step(jax.random.key(0)) passes
import jax
import jax.numpy as jnp
import optax

OPTIMIZER = optax.sgd(0.1)
BATCHES = [jnp.ones((2, 3)) for _ in range(3)]


def loss_fn(params, batch, dropout_key):
    keep = jax.random.bernoulli(dropout_key, 0.9, batch.shape)
    return jnp.mean((jnp.where(keep, batch, 0.0) @ params) ** 2)


@jax.jit
def train_step(params, opt_state, batch, dropout_key):
    grads = jax.grad(loss_fn)(params, batch, dropout_key)
    updates, opt_state = OPTIMIZER.update(grads, opt_state)
    return optax.apply_updates(params, updates), opt_state


@jax.jit
def train_step_folded(params, opt_state, batch, dropout_key, step):
    step_key = jax.random.fold_in(dropout_key, step)
    grads = jax.grad(loss_fn)(params, batch, step_key)
    updates, opt_state = OPTIMIZER.update(grads, opt_state)
    return optax.apply_updates(params, updates), opt_state


def fit_same_dropout_key(key):
    init_key, dropout_key = jax.random.split(key)
    params = jax.random.normal(init_key, (3, 1))
    opt_state = OPTIMIZER.init(params)
    for batch in BATCHES:
        params, opt_state = train_step(params, opt_state, batch, dropout_key)  # gr203: reuse
    return params


def fit_fold_in_step(key):
    init_key, dropout_key = jax.random.split(key)
    params = jax.random.normal(init_key, (3, 1))
    opt_state = OPTIMIZER.init(params)
    for step, batch in enumerate(BATCHES):
        params, opt_state = train_step_folded(params, opt_state, batch, dropout_key, step)
    return params


def fit_split_each_step(key):
    key, init_key = jax.random.split(key)
    params = jax.random.normal(init_key, (3, 1))
    opt_state = OPTIMIZER.init(params)
    for batch in BATCHES:
        key, dropout_key = jax.random.split(key)
        params, opt_state = train_step(params, opt_state, batch, dropout_key)
    return params
