# origin: written for this benchmark in the style of small VAE codebases that
#   keep the sampling key on the model object
# licence: Apache-2.0, the guardrails authors
# case StatefulVAE.encode, StatefulVAE.decode: reuse - both draw from
#   `self.rng` and neither writes a new one back: `decode` after `encode` (or
#   either twice) draws the same noise.
# case SplittingVAE: clean - each method splits `self.rng` and keeps the new key.
# oracle: excerpt:roundtrip(StatefulVAE(jax.random.key(0))) rejects
#   excerpt:roundtrip(SplittingVAE(jax.random.key(0))) passes
import jax
import jax.numpy as jnp


class StatefulVAE:
    def __init__(self, rng):
        self.rng = rng
        self.latent = 2

    def encode(self, x):
        mean, logvar = x[: self.latent], x[self.latent :]
        eps = jax.random.normal(self.rng, mean.shape)  # gr203: reuse
        return mean + jnp.exp(0.5 * logvar) * eps

    def decode(self, z):
        noise = jax.random.normal(self.rng, z.shape)  # gr203: reuse
        return z + 0.01 * noise


class SplittingVAE:
    def __init__(self, rng):
        self.rng = rng
        self.latent = 2

    def _next(self):
        self.rng, sub = jax.random.split(self.rng)
        return sub

    def encode(self, x):
        mean, logvar = x[: self.latent], x[self.latent :]
        self.rng, eps_key = jax.random.split(self.rng)
        eps = jax.random.normal(eps_key, mean.shape)
        return mean + jnp.exp(0.5 * logvar) * eps

    def decode(self, z):
        noise = jax.random.normal(self._next(), z.shape)
        return z + 0.01 * noise


def roundtrip(vae):
    z = vae.encode(jnp.ones(4))
    return vae.decode(z), vae.encode(jnp.ones(4))
