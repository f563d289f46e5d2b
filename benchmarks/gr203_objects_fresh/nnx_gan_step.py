# origin: written after the implementation, as a held-out check, in the style
#   of Flax NNX GAN examples
# licence: Apache-2.0, the guardrails authors
# case latent_pair: reuse - one `rngs.latent()` key for the fake batch and
#   the mixing noise.
# case latent_fresh: clean - a stream call per draw.
# case Generator.__init__: clean - layers take `rngs`, the stream hands each a key.
# oracle: excerpt:latent_pair(nnx.Rngs(latent=0),4) rejects
#   excerpt:latent_fresh(nnx.Rngs(latent=0),4) passes
#   excerpt:Generator(2,4,rngs=nnx.Rngs(0)) passes
import jax
import jax.numpy as jnp
from flax import nnx


class Generator(nnx.Module):
    def __init__(self, latent_dim, out_dim, *, rngs: nnx.Rngs):
        self.hidden = nnx.Linear(latent_dim, 8, rngs=rngs)
        self.out = nnx.Linear(8, out_dim, rngs=rngs)
        self.bias = nnx.Param(jax.random.normal(rngs.params(), (out_dim,)))

    def __call__(self, z):
        return self.out(jax.nn.relu(self.hidden(z))) + self.bias.value


def latent_pair(rngs, batch):
    key = rngs.latent()
    z = jax.random.normal(key, (batch, 2))
    mix = jax.random.uniform(key, (batch, 1))  # gr203: reuse
    return z * mix


def latent_fresh(rngs, batch):
    z = jax.random.normal(rngs.latent(), (batch, 2))
    mix = jax.random.uniform(rngs.latent(), (batch, 1))
    return z * mix
