# origin: written after the analysis, in the style of PureJaxRL's PPO update
# licence: Apache-2.0 (this repository)
# case update_epochs_same_permutation: reuse - every epoch shuffles with the
#   same `perm_key`.
# case update_epochs_split: clean - a new key per epoch.
# case update_scan_epochs: clean - the epoch scan carries and splits its key.
# case update_scan_epochs_stale: reuse - the scan hands back the key it split.
# oracle: excerpt:update_epochs_same_permutation(jax.random.key(0)) rejects
#   excerpt:update_epochs_split(jax.random.key(0)) passes
#   excerpt:update_scan_epochs(jax.random.key(0)) passes
#   excerpt:update_scan_epochs_stale(jax.random.key(0)) rejects
import jax
import jax.numpy as jnp

BATCH = jnp.arange(8.0)


def update_epochs_same_permutation(rng, n_epochs=3):
    rng, perm_key = jax.random.split(rng)
    total = 0.0
    for _ in range(n_epochs):
        perm = jax.random.permutation(perm_key, BATCH.shape[0])  # gr203: reuse
        total = total + BATCH[perm][:4].sum()
    return total


def update_epochs_split(rng, n_epochs=3):
    total = 0.0
    for _ in range(n_epochs):
        rng, perm_key = jax.random.split(rng)
        perm = jax.random.permutation(perm_key, BATCH.shape[0])
        total = total + BATCH[perm][:4].sum()
    return total


def _update_epoch(update_state, unused):
    total, rng = update_state
    rng, perm_key = jax.random.split(rng)
    perm = jax.random.permutation(perm_key, BATCH.shape[0])
    return (total + BATCH[perm][:4].sum(), rng), None


def update_scan_epochs(rng):
    return jax.lax.scan(_update_epoch, (0.0, rng), None, 3)


def _update_epoch_stale(update_state, unused):
    total, rng = update_state
    _, perm_key = jax.random.split(rng)  # gr203: reuse
    perm = jax.random.permutation(perm_key, BATCH.shape[0])
    return (total + BATCH[perm][:4].sum(), rng), None


def update_scan_epochs_stale(rng):
    return jax.lax.scan(_update_epoch_stale, (0.0, rng), None, 3)
