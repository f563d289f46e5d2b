# origin: written after the analysis, in the style of a DDPM training loss
# licence: Apache-2.0 (this repository)
# case ddpm_loss_one_key: reuse - the timestep and the noise share `rng`.
# case ddpm_loss_split: clean - one key each.
# case ddpm_loss_by_mode: clean - `split == "train"` and `split == "valid"`
#   never hold together.
# oracle: excerpt:ddpm_loss_one_key(jax.random.key(0)) rejects
#   excerpt:ddpm_loss_split(jax.random.key(0)) passes
#   excerpt:[ddpm_loss_by_mode(jax.random.key(0),s)for(s)in("train","valid")] passes
import jax
import jax.numpy as jnp

X0 = jnp.ones((4, 2))
ALPHAS = jnp.linspace(0.99, 0.5, 10)


def ddpm_loss_one_key(rng):
    t = jax.random.randint(rng, (X0.shape[0],), 0, 10)
    noise = jax.random.normal(rng, X0.shape)  # gr203: reuse
    xt = jnp.sqrt(ALPHAS[t])[:, None] * X0 + noise
    return jnp.mean((xt - noise) ** 2)


def ddpm_loss_split(rng):
    t_rng, noise_rng = jax.random.split(rng)
    t = jax.random.randint(t_rng, (X0.shape[0],), 0, 10)
    noise = jax.random.normal(noise_rng, X0.shape)
    return jnp.mean((jnp.sqrt(ALPHAS[t])[:, None] * X0 + noise - noise) ** 2)


def ddpm_loss_by_mode(rng, split):
    if split == "train":
        t = jax.random.randint(rng, (X0.shape[0],), 0, 10)
    if split == "valid":
        t = jnp.full((X0.shape[0],), 5)
        t = t + jax.random.randint(rng, t.shape, 0, 1)
    return ALPHAS[t].sum()
