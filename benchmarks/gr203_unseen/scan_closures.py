# origin: written for the benchmark in the style of RNN / Langevin samplers
#   built on lax.scan and lax.fori_loop
# licence: Apache-2.0 (this repository)
# case langevin_scan_captured_key: reuse - the scan body closes over `key` and
#   draws from it on every step.
# case langevin_scan_keys_as_xs: clean - one key per step, scanned over.
# case dropout_fori_captured: reuse - the fori_loop body draws from the key
#   it closes over.
# case dropout_fori_fold_in: clean - the body folds the step into the key.
# oracle: excerpt:langevin_scan_captured_key(jax.random.key(0)) rejects
#   excerpt:langevin_scan_keys_as_xs(jax.random.key(0)) passes
#   excerpt:dropout_fori_captured(jax.random.key(0)) rejects
#   excerpt:dropout_fori_fold_in(jax.random.key(0)) passes
import jax
import jax.numpy as jnp
from jax import lax


def grad_log_p(x):
    return -x


def langevin_scan_captured_key(key, step_size=0.1, n_steps=5):
    def step(x, _):
        noise = jax.random.normal(key, x.shape)  # gr203: reuse
        x = x + step_size * grad_log_p(x) + jnp.sqrt(2 * step_size) * noise
        return x, x

    x0 = jnp.zeros((2,))
    return lax.scan(step, x0, None, length=n_steps)


def langevin_scan_keys_as_xs(key, step_size=0.1, n_steps=5):
    def step(x, step_key):
        noise = jax.random.normal(step_key, x.shape)
        x = x + step_size * grad_log_p(x) + jnp.sqrt(2 * step_size) * noise
        return x, x

    keys = jax.random.split(key, n_steps)
    return lax.scan(step, jnp.zeros((2,)), keys)


def dropout_fori_captured(key, rate=0.5):
    def body(i, h):
        mask = jax.random.bernoulli(key, 1 - rate, h.shape)  # gr203: reuse
        return jnp.where(mask, h / (1 - rate), 0.0) + i

    return lax.fori_loop(0, 3, body, jnp.ones((4,)))


def dropout_fori_fold_in(key, rate=0.5):
    def body(i, h):
        layer_key = jax.random.fold_in(key, i)
        mask = jax.random.bernoulli(layer_key, 1 - rate, h.shape)
        return jnp.where(mask, h / (1 - rate), 0.0)

    return lax.fori_loop(0, 3, body, jnp.ones((4,)))
