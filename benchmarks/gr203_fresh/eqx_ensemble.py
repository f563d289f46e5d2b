# origin: written after the analysis, in the style of Equinox ensembles and
#   models called with a key in training
# licence: Apache-2.0 (this repository)
# case make_ensemble: clean - eqx.filter_vmap over split keys.
# case Model.__call__: reuse - both dropouts get `key` in training.
# case Model.predict: clean - inference: both dropouts ignore the key.
# oracle: excerpt:make_ensemble(jax.random.key(0)) passes
#   excerpt:Model(jax.random.key(1))(jnp.ones(4),key=jax.random.key(0)) rejects
#   excerpt:Model(jax.random.key(1)).predict(jnp.ones(4),jax.random.key(0)) passes
import equinox as eqx
import jax
import jax.numpy as jnp


def make_ensemble(key):
    @eqx.filter_vmap
    def make(k):
        return eqx.nn.Linear(3, 3, key=k)

    return make(jax.random.split(key, 4))


class Model(eqx.Module):
    linear: eqx.nn.Linear
    drop: eqx.nn.Dropout

    def __init__(self, key):
        self.linear = eqx.nn.Linear(4, 4, key=key)
        self.drop = eqx.nn.Dropout(0.5)

    def __call__(self, x, *, key, inference=False):
        x = self.drop(x, key=key, inference=inference)
        x = self.linear(x)
        return self.drop(x, key=key, inference=inference)  # gr203: reuse

    def predict(self, x, key):
        x = self.drop(x, key=key, inference=True)
        return self.drop(self.linear(x), key=key, inference=True)
