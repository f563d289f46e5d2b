# origin: written after the implementation, as a held-out check, in the style
#   of small PPO / REINFORCE runners
# licence: Apache-2.0, the guardrails authors
# case Runner.reset: reuse - the initial observation is drawn from `self._key`
#   on every reset, which is never replaced.
# case Runner.collect: clean - split per step, the new key written back.
# case NumpyBuffer.sample: clean - `self.rng` is a NumPy generator, no JAX key.
# oracle: excerpt:[Runner(jax.random.key(0)).reset()for(_)in(range(1))] passes
#   excerpt:twice_reset(Runner(jax.random.key(0))) rejects
#   excerpt:Runner(jax.random.key(0)).collect(3) passes
#   excerpt:[NumpyBuffer(8).sample(2)for(_)in(range(2))] passes
import jax
import jax.numpy as jnp
import numpy as np


class Runner:
    def __init__(self, key, obs_dim=3):
        self._key = key
        self.obs_dim = obs_dim

    def reset(self):
        return jax.random.uniform(self._key, (self.obs_dim,), minval=-0.05, maxval=0.05)  # gr203: reuse

    def collect(self, steps):
        obs = jnp.zeros(self.obs_dim)
        actions = []
        for _ in range(steps):
            self._key, action_key = jax.random.split(self._key)
            actions.append(jax.random.categorical(action_key, obs))
        return actions


class NumpyBuffer:
    def __init__(self, size):
        self.data = np.arange(size)
        self.rng = np.random.default_rng(0)

    def sample(self, n):
        index = self.rng.choice(len(self.data), size=n)
        return self.data[index]


def twice_reset(runner):
    return runner.reset(), runner.reset()
