import sys
import jax, jax.numpy as jnp
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent / "batch2"))
jax.config.update("jax_debug_key_reuse", True)
import batch2 as b
K = lambda: jax.random.key(0)
def run(fn):
    try:
        fn()
    except Exception as e:
        if "KeyReuseError" in type(e).__name__: return "reuse"
        return f"ERROR {type(e).__name__}: {str(e)[:80]}"
    return "clean"
X = jnp.ones(3)
D = {
 "index_twice": lambda: b.index_twice(K()),
 "unpacked_twice": lambda: b.unpacked_twice(K()),
 "parent_after_split": lambda: b.parent_after_split(K()),
 "closure_called_twice": lambda: b.closure_called_twice(K()),
 "vmapped_split_clean": lambda: b.vmapped_split_clean(K()),
 "NumpyAugment": lambda: b.NumpyAugment(0)(jnp.ones(2)),
 "train_loop_clean": lambda: b.train_loop_clean(K()),
 "init_pair": lambda: b.init_pair(K()),
 "init_pair_twice": lambda: b.init_pair_twice(K()),
 "init_pair_split": lambda: b.init_pair_split(K()),
 "choice_then_permutation": lambda: b.choice_then_permutation(K()),
 "dropout_then_noise": lambda: [b.dropout_then_noise(X, K(), t) for t in (False, True)],
 "early_return_clean": lambda: [b.early_return_clean(X, K(), t) for t in (False, True)],
 "while_split_clean": lambda: b.while_split_clean(K()),
 "comprehension_reuse": lambda: b.comprehension_reuse(K()),
 "comprehension_clean": lambda: b.comprehension_clean(K()),
 "partial_sampler_reuse": lambda: b.partial_sampler_reuse(K()),
 "fold_in_per_step_clean": lambda: b.fold_in_per_step_clean(K()),
 "named_rngs_dict_reuse": lambda: b.named_rngs_dict_reuse(K()),
 "gumbel_and_categorical_clean": lambda: b.gumbel_and_categorical_clean(K(), jnp.zeros(4)),
}
for n, f in D.items(): print(f"batch2.{n}", run(f))
