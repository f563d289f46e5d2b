# origin: written after the analysis, in the style of an image-augmentation
#   pipeline vmapped over a batch
# licence: Apache-2.0 (this repository)
# case augment_batch: clean - each image gets its key, split for flip and noise.
# case augment_batch_one_key: reuse - flip and noise draw from one per-image key.
# case augment_then_dropout: reuse - the parent key is used after the split.
# oracle: excerpt:augment_batch(jax.random.key(0)) passes
#   excerpt:augment_batch_one_key(jax.random.key(0)) rejects
#   excerpt:augment_then_dropout(jax.random.key(0)) rejects
import jax
import jax.numpy as jnp

IMAGES = jnp.ones((4, 3, 3))


def _augment(key, image):
    flip_key, noise_key = jax.random.split(key)
    flip = jax.random.bernoulli(flip_key)
    image = jnp.where(flip, image[:, ::-1], image)
    return image + 0.01 * jax.random.normal(noise_key, image.shape)


def _augment_one_key(img_rng, image):
    flip = jax.random.bernoulli(img_rng)
    image = jnp.where(flip, image[:, ::-1], image)
    return image + 0.01 * jax.random.normal(img_rng, image.shape)  # gr203: reuse


def augment_batch(key):
    keys = jax.random.split(key, IMAGES.shape[0])
    return jax.vmap(_augment)(keys, IMAGES)


def augment_batch_one_key(key):
    return jax.vmap(_augment_one_key)(jax.random.split(key, IMAGES.shape[0]), IMAGES)


def augment_then_dropout(key):
    keys = jax.random.split(key, IMAGES.shape[0])
    images = jax.vmap(_augment)(keys, IMAGES)
    keep = jax.random.bernoulli(key, 0.9, images.shape)  # gr203: reuse
    return jnp.where(keep, images, 0.0)
