# origin: written for this benchmark in the style of Equinox / plain-Python
#   models that keep a key only to build themselves or derive per-step keys
# licence: Apache-2.0, the guardrails authors
# case Encoder: clean - the key stored on `self` is split once, in `__init__`.
# case Sampler.sample: clean - each step's key is `fold_in(self.key, step)`:
#   the stored key is never drawn from itself.
# case Trainer: clean - `self.rng` is split and written back on every step.
# case Pipeline.__call__: clean - a key argument per call, split.
# oracle: excerpt:Encoder(jax.random.key(0)) passes
#   excerpt:[Sampler(jax.random.key(0)).sample(s)for(s)in(range(3))] passes
#   excerpt:Trainer(jax.random.key(0)).fit(3) passes
#   excerpt:Pipeline(jax.random.key(0))(jnp.ones(2),jax.random.key(1)) passes
import equinox as eqx
import jax
import jax.numpy as jnp


class Encoder(eqx.Module):
    first: eqx.nn.Linear
    second: eqx.nn.Linear

    def __init__(self, key):
        self_key = key
        first_key, second_key = jax.random.split(self_key)
        self.first = eqx.nn.Linear(2, 2, key=first_key)
        self.second = eqx.nn.Linear(2, 2, key=second_key)


class Sampler:
    def __init__(self, key):
        self.key = key

    def sample(self, step):
        step_key = jax.random.fold_in(self.key, step)
        return jax.random.normal(step_key, (2,))


class Trainer:
    def __init__(self, rng):
        self.rng = rng
        self.params = jnp.zeros(2)

    def step(self):
        self.rng, noise_rng = jax.random.split(self.rng)
        self.params = self.params + jax.random.normal(noise_rng, (2,))

    def fit(self, steps):
        for _ in range(steps):
            self.step()
        return self.params


class Pipeline(eqx.Module):
    layer: eqx.nn.Linear
    drop: eqx.nn.Dropout

    def __init__(self, key):
        self.layer = eqx.nn.Linear(2, 2, key=key)
        self.drop = eqx.nn.Dropout(0.5)

    def __call__(self, x, key):
        k1, k2 = jax.random.split(key)
        x = self.drop(x, key=k1)
        return self.drop(self.layer(x), key=k2)
