# origin: written for this benchmark in the style of Flax linen modules that
#   draw noise with `self.make_rng`
# licence: Apache-2.0, the guardrails authors
# case NoisyDense.__call__: reuse - one `make_rng("noise")` key for the weight
#   noise and the input noise.
# case FreshNoisyDense.__call__: clean - `make_rng` called per draw (linen
#   hands out a new key on every call).
# oracle: excerpt:apply(NoisyDense()) rejects
#   excerpt:apply(FreshNoisyDense()) passes
import flax.linen as nn
import jax
import jax.numpy as jnp


class NoisyDense(nn.Module):
    @nn.compact
    def __call__(self, x):
        noise_rng = self.make_rng("noise")
        w = self.param("w", nn.initializers.ones, (x.shape[-1], 2))
        w = w + 0.01 * jax.random.normal(noise_rng, w.shape)
        x = x + 0.01 * jax.random.normal(noise_rng, x.shape)  # gr203: reuse
        return x @ w


class FreshNoisyDense(nn.Module):
    @nn.compact
    def __call__(self, x):
        w = self.param("w", nn.initializers.ones, (x.shape[-1], 2))
        w = w + 0.01 * jax.random.normal(self.make_rng("noise"), w.shape)
        x = x + 0.01 * jax.random.normal(self.make_rng("noise"), x.shape)
        return x @ w


def apply(module):
    x = jnp.ones((1, 3))
    variables = module.init({"params": jax.random.key(0), "noise": jax.random.key(1)}, x)
    return module.apply(variables, x, rngs={"noise": jax.random.key(2)})
