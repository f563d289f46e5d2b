# origin: written for the benchmark in the style of Equinox's CNN / MLP
#   examples (layers built from split keys)
# licence: Apache-2.0 (this repository)
# case CNN.__init__: clean - four keys, one per layer.
# case make_heads: reuse - the loop builds every head from `head_key`.
# case make_heads_split: clean - `jax.random.split(key, n)` iterated over.
# oracle: excerpt:CNN(jax.random.key(0)) passes
#   excerpt:make_heads(jax.random.key(0),3) rejects
#   excerpt:make_heads_split(jax.random.key(0),3) passes
import equinox as eqx
import jax


class CNN(eqx.Module):
    layers: list

    def __init__(self, key):
        key1, key2, key3, key4 = jax.random.split(key, 4)
        self.layers = [
            eqx.nn.Conv2d(1, 3, kernel_size=4, key=key1),
            eqx.nn.Linear(1728, 512, key=key2),
            eqx.nn.Linear(512, 64, key=key3),
            eqx.nn.Linear(64, 10, key=key4),
        ]


def make_heads(key, n):
    body_key, head_key = jax.random.split(key)
    body = eqx.nn.Linear(8, 8, key=body_key)
    heads = []
    for _ in range(n):
        heads.append(eqx.nn.Linear(8, 2, key=head_key))  # gr203: reuse
    return body, heads


def make_heads_split(key, n):
    return [eqx.nn.Linear(8, 2, key=k) for k in jax.random.split(key, n)]
