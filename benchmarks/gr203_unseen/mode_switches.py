# origin: written for the benchmark in the style of diffusion/VAE `apply`
#   functions that switch on a mode string
# licence: Apache-2.0 (this repository)
# case apply_by_mode: clean - `mode == "train"` and `mode == "sample"` never
#   hold together.
# case apply_by_mode_fallthrough: reuse - the `sample` path also runs the
#   shared noise draw below.
# case apply_elif_chain: reuse - on `sample` the elif's draw and the
#   `mode != "train"` draw meet.
# oracle: excerpt:[apply_by_mode(jax.random.key(0),m)for(m)in("train","sample","eval")] passes
#   excerpt:[apply_by_mode_fallthrough(jax.random.key(0),m)for(m)in("train","sample")] rejects
#   excerpt:[apply_elif_chain(jax.random.key(0),m)for(m)in("train","sample","eval")] rejects
import jax
import jax.numpy as jnp


def apply_by_mode(key, mode):
    x = jnp.ones((3,))
    if mode == "train":
        x = x + jax.random.normal(key, x.shape)
    if mode == "sample":
        x = x * jax.random.uniform(key, x.shape)
    return x


def apply_by_mode_fallthrough(key, mode):
    x = jnp.ones((3,))
    if mode == "sample":
        x = x * jax.random.uniform(key, x.shape)
    return x + jax.random.normal(key, x.shape)  # gr203: reuse


def apply_elif_chain(key, mode):
    x = jnp.ones((3,))
    if mode == "train":
        x = jax.random.normal(key, x.shape)
    elif mode == "sample":
        x = jax.random.uniform(key, x.shape)
    if mode == "eval":
        return x
    if mode != "train":
        x = x + jax.random.normal(key, x.shape)  # gr203: reuse
    return x
