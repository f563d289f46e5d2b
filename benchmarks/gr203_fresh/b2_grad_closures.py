# origin: written after the analysis (second batch), in the style of noisy
#   training steps whose loss closes over a key
# licence: Apache-2.0 (this repository)
# case noisy_steps_closure: reuse - the loss closes over `key`, and the loop
#   takes its gradient every step: the same noise each step (marked where
#   the loop runs the closure again).
# case noisy_steps_fold: clean - the loss gets a folded key each step.
# case single_grad: clean - the closure runs once.
# oracle: excerpt:noisy_steps_closure(jax.random.key(0)) rejects
#   excerpt:noisy_steps_fold(jax.random.key(0)) passes
#   excerpt:single_grad(jax.random.key(0)) passes
import jax
import jax.numpy as jnp


def noisy_steps_closure(key):
    params = jnp.ones(3)

    def loss_fn(p):
        noise = jax.random.normal(key, p.shape)
        return jnp.sum((p + noise) ** 2)

    for _ in range(3):
        params = params - 0.1 * jax.grad(loss_fn)(params)  # gr203: reuse
    return params


def noisy_steps_fold(key):
    params = jnp.ones(3)

    def loss_fn(p, step_key):
        return jnp.sum((p + jax.random.normal(step_key, p.shape)) ** 2)

    for step in range(3):
        params = params - 0.1 * jax.grad(loss_fn)(params, jax.random.fold_in(key, step))
    return params


def single_grad(key):
    def loss_fn(p):
        return jnp.sum((p + jax.random.normal(key, p.shape)) ** 2)

    return jax.grad(loss_fn)(jnp.ones(3))
