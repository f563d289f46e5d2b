# origin: written after the implementation, as a held-out check, in the style
#   of Equinox VAEs
# licence: Apache-2.0, the guardrails authors
# case VAE.generate: reuse - `self.prior_key` is a field drawn from on every call.
# case VAE.__call__: clean - a key per call, split for the reparameterisation.
# case build: reuse - the encoder and the decoder are built from one key.
# case build_split: clean - three keys from one split.
# oracle: excerpt:twice_generate(build_split(jax.random.key(0))) rejects
#   excerpt:call_twice(build_split(jax.random.key(0))) passes
#   excerpt:build(jax.random.key(0)) rejects
import equinox as eqx
import jax
import jax.numpy as jnp


class VAE(eqx.Module):
    encoder: eqx.nn.Linear
    decoder: eqx.nn.Linear
    prior_key: jax.Array

    def __call__(self, x, key):
        stats = self.encoder(x)
        mean, logvar = stats[:2], stats[2:]
        eps_key, _ = jax.random.split(key)
        z = mean + jnp.exp(0.5 * logvar) * jax.random.normal(eps_key, mean.shape)
        return self.decoder(z)

    def generate(self, n):
        z = jax.random.normal(self.prior_key, (n, 2))  # gr203: reuse
        return jax.vmap(self.decoder)(z)


def build(key):
    encoder = eqx.nn.Linear(4, 4, key=key)
    decoder = eqx.nn.Linear(2, 4, key=key)  # gr203: reuse
    return VAE(encoder, decoder, jax.random.fold_in(key, 1))


def build_split(key):
    enc_key, dec_key, prior_key = jax.random.split(key, 3)
    return VAE(eqx.nn.Linear(4, 4, key=enc_key), eqx.nn.Linear(2, 4, key=dec_key), prior_key)


def twice_generate(vae):
    return vae.generate(2), vae.generate(2)


def call_twice(vae):
    k1, k2 = jax.random.split(jax.random.key(5))
    return vae(jnp.ones(4), k1), vae(jnp.ones(4), k2)
