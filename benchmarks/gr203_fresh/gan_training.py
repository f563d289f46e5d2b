# origin: written after the analysis, in the style of a plain-JAX GAN loop
# licence: Apache-2.0 (this repository)
# case train_gan_shared_noise: reuse - the generator step draws the same latent
#   noise as the discriminator step, from one `z_key`.
# case train_gan_split: clean - three keys per step.
# oracle: excerpt:train_gan_shared_noise(jax.random.key(0),2) rejects
#   excerpt:train_gan_split(jax.random.key(0),2) passes
import jax
import jax.numpy as jnp


def generator(params, z):
    return jnp.tanh(z @ params)


def discriminator_loss(g_params, z, real):
    fake = generator(g_params, z)
    return jnp.mean(fake) - jnp.mean(real)


def train_gan_shared_noise(key, steps):
    g_params = jnp.ones((4, 2))
    for _ in range(steps):
        key, z_key = jax.random.split(key)
        real = jnp.ones((8, 2))
        z = jax.random.normal(z_key, (8, 4))
        d_loss = discriminator_loss(g_params, z, real)
        z_gen = jax.random.normal(z_key, (8, 4))  # gr203: reuse
        g_params = g_params - 0.01 * d_loss * z_gen.mean()
    return g_params


def train_gan_split(key, steps):
    g_params = jnp.ones((4, 2))
    for _ in range(steps):
        key, d_key, g_key = jax.random.split(key, 3)
        d_loss = discriminator_loss(g_params, jax.random.normal(d_key, (8, 4)), 1.0)
        z_gen = jax.random.normal(g_key, (8, 4))
        g_params = g_params - 0.01 * d_loss * z_gen.mean()
    return g_params
