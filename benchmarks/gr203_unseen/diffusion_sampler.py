# origin: written for the benchmark in the style of a DDPM ancestral sampler
# licence: Apache-2.0 (this repository)
# case sample_final_noise_overlaps: reuse - the loop uses every key of
#   `keys`, and the final noise draws again from `keys[-1]`.
# case sample_keys_sliced_apart: clean - the loop takes `keys[:-1]`, the final
#   draw `keys[-1]`.
# case sample_fold_in_step: clean - each step folds its index into the key.
# oracle: excerpt:sample_final_noise_overlaps(jax.random.key(0),3) rejects
#   excerpt:sample_keys_sliced_apart(jax.random.key(0),3) passes
#   excerpt:sample_fold_in_step(jax.random.key(0),3) passes
import jax
import jax.numpy as jnp

BETAS = jnp.linspace(1e-4, 0.02, 10)


def denoise(x, t):
    return x * (1.0 - BETAS[t])


def sample_final_noise_overlaps(key, steps):
    keys = jax.random.split(key, steps)
    x = jax.random.normal(jax.random.key(1), (4,))
    for i in range(steps):
        x = denoise(x, i) + jnp.sqrt(BETAS[i]) * jax.random.normal(keys[i], x.shape)
    return x + 0.01 * jax.random.normal(keys[-1], x.shape)  # gr203: reuse


def sample_keys_sliced_apart(key, steps):
    keys = jax.random.split(key, steps + 1)
    x = jnp.zeros((4,))
    for i, step_key in enumerate(keys[:-1]):
        x = denoise(x, i) + jnp.sqrt(BETAS[i]) * jax.random.normal(step_key, x.shape)
    return x + 0.01 * jax.random.normal(keys[-1], x.shape)


def sample_fold_in_step(key, steps):
    x = jnp.zeros((4,))
    for i in range(steps):
        step_key = jax.random.fold_in(key, i)
        x = denoise(x, i) + jnp.sqrt(BETAS[i]) * jax.random.normal(step_key, x.shape)
    return x
