# origin: written after the implementation (second round), as a held-out
#   check, in the style of actor-critic agents keeping their key
# licence: Apache-2.0, the guardrails authors
# case Agent.act: clean - splits and writes `self.rng` back.
# case Agent.explore: reuse - draws from `self.rng` without writing it back.
# case Agent.perturb: reuse - draws from `self.rng` too, never replaced.
# oracle: excerpt:Agent(jax.random.key(0)).act(jnp.zeros(3)) passes
#   excerpt:twice(Agent(jax.random.key(0)).explore) rejects
#   excerpt:twice(Agent(jax.random.key(0)).perturb) rejects
import jax
import jax.numpy as jnp


class Agent:
    def __init__(self, rng):
        self.rng = rng
        self.params = jnp.zeros((3, 3))

    def act(self, obs):
        self.rng, key = jax.random.split(self.rng)
        logits = obs @ self.params
        return jax.random.categorical(key, logits)

    def explore(self):
        return jax.random.choice(self.rng, 3)  # gr203: reuse

    def perturb(self):
        noise = jax.random.normal(self.rng, self.params.shape)  # gr203: reuse
        return self.params + 0.01 * noise


def twice(method):
    return method(), method()
