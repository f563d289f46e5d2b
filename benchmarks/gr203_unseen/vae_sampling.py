# origin: written for the benchmark in the style of a plain-JAX VAE (encoder,
#   reparameterisation, prior samples for a figure)
# licence: Apache-2.0 (this repository)
# case elbo_and_samples: reuse - `z_key` reparameterises and then draws the
#   prior samples.
# case elbo_split: clean - one key for each.
# case sample_grid: clean - one fold per row of the figure.
# oracle: excerpt:elbo_and_samples(jax.random.key(0)) rejects
#   excerpt:elbo_split(jax.random.key(0)) passes
#   excerpt:sample_grid(jax.random.key(0)) passes
import jax
import jax.numpy as jnp


def reparameterize(rng, mean, logvar):
    std = jnp.exp(0.5 * logvar)
    eps = jax.random.normal(rng, logvar.shape)
    return mean + eps * std


def elbo_and_samples(key):
    mean, logvar = jnp.zeros((4, 2)), jnp.zeros((4, 2))
    z_key = jax.random.fold_in(key, 7)
    z = reparameterize(z_key, mean, logvar)
    prior = jax.random.normal(z_key, (8, 2))  # gr203: reuse
    return z, prior


def elbo_split(key):
    mean, logvar = jnp.zeros((4, 2)), jnp.zeros((4, 2))
    z_key, prior_key = jax.random.split(key)
    z = reparameterize(z_key, mean, logvar)
    prior = jax.random.normal(prior_key, (8, 2))
    return z, prior


def sample_grid(key, rows=3):
    return jnp.stack(
        [jax.random.normal(jax.random.fold_in(key, row), (4, 2)) for row in range(rows)]
    )
