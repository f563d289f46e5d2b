"""Run each held-out case under JAX's key-reuse checker: which ones reuse."""
import sys

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent / "batch1"))
jax.config.update("jax_debug_key_reuse", True)

import closures, containers, nnx_and_modes, objects, rl_rollout, state_records, streams_and_values  # noqa

K = lambda s=0: jax.random.key(s)
P = {"w": jnp.ones((3, 4))}
OBS = jnp.ones((5, 3))


def run(fn):
    try:
        fn()
    except Exception as e:
        if "KeyReuseError" in type(e).__name__:
            return "reuse"
        return f"ERROR {type(e).__name__}: {str(e)[:80]}"
    return "clean"


def objs(cls, *calls):
    def go():
        o = cls(*calls[0])
        for c in calls[1:]:
            c(o)
    return go


def train_loop(step, cls):
    def go():
        s = cls(jnp.ones(3), K(), 0) if cls is state_records.TrainState else cls(jnp.ones(3), jnp.ones(3), K())
        for _ in range(3):
            s = step(s, jnp.ones(3))
    return go


def equal_draws(fn):
    a, b = fn()
    return "reuse(value)" if np.array_equal(a, b) else "clean"


D = {
    "rl_rollout.rollout_good": lambda: rl_rollout.rollout_good(P, OBS, K()),
    "rl_rollout.rollout_reuse_carry": lambda: rl_rollout.rollout_reuse_carry(P, OBS, K()),
    "rl_rollout.rollout_good_carry": lambda: rl_rollout.rollout_good_carry(P, OBS, K()),
    "rl_rollout.minibatch_perms_reuse": lambda: rl_rollout.minibatch_perms_reuse(K(), 5),
    "rl_rollout.minibatch_perms_good": lambda: rl_rollout.minibatch_perms_good(K(), 5),
    "rl_rollout.exploration_noise_reuse": lambda: rl_rollout.exploration_noise_reuse(K(), jnp.ones((4, 2), int)),
    "containers.init_mlp_good": lambda: containers.init_mlp_good(K(), [2, 3, 4]),
    "containers.init_mlp_overlap": lambda: containers.init_mlp_overlap(K(), [2, 3, 4]),
    "containers.init_with_iter_good": lambda: containers.init_with_iter_good(K()),
    "containers.init_with_cycle_reuse": lambda: containers.init_with_cycle_reuse(K()),
    "containers.named_keys_reuse": lambda: containers.named_keys_reuse(K()),
    "containers.loop_index_reuse": lambda: containers.loop_index_reuse(K()),
    "containers.repeated_list_reuse": lambda: containers.repeated_list_reuse(K()),
    "containers.config_key_string_clean": lambda: containers.config_key_string_clean({"lr": 1}),
    "closures.perturb_params_reuse": lambda: closures.perturb_params_reuse({"a": jnp.ones(2), "b": jnp.ones(3)}, K()),
    "closures.perturb_params_good": lambda: closures.perturb_params_good({"a": jnp.ones(2), "b": jnp.ones(3)}, K()),
    "closures.partial_init_reuse": lambda: closures.partial_init_reuse(K()),
    "closures.fori_noise_reuse": lambda: closures.fori_noise_reuse(jnp.ones(2), K()),
    "closures.fori_noise_good": lambda: closures.fori_noise_good(jnp.ones(2), K()),
    "closures.vmap_noise_reuse": lambda: closures.vmap_noise_reuse(jnp.ones((3, 2)), K()),
    "closures.vmap_noise_good": lambda: closures.vmap_noise_good(jnp.ones((3, 2)), K()),
    "closures.kwargs_twice_reuse": lambda: closures.kwargs_twice_reuse(K()),
    "objects.NoisyLinear": objs(objects.NoisyLinear, (K(), 2, 3), lambda o: o(jnp.ones((1, 2)))),
    "objects.NoisyLinearGood": objs(objects.NoisyLinearGood, (K(), 2, 3), lambda o: o(jnp.ones((1, 2))), lambda o: o(jnp.ones((1, 2)))),
    "objects.Shuffler": objs(objects.Shuffler, (jnp.ones(4), K()), lambda o: o.epoch(), lambda o: o.epoch()),
    "objects.ShufflerGood": objs(objects.ShufflerGood, (jnp.ones(4), K()), lambda o: o.epoch(), lambda o: o.epoch()),
    "objects.VAE": objs(objects.VAE, (K(),), lambda o: o.decode(o.encode(jnp.ones(2)))),
    "objects.Augmenter": objs(objects.Augmenter, (K(),), lambda o: o.noise(o.flip(jnp.ones(2)))),
    "state_records.train_step_stale": train_loop(state_records.train_step_stale, state_records.TrainState),
    "state_records.train_step_good": train_loop(state_records.train_step_good, state_records.TrainState),
    "state_records.gan_step_stale": train_loop(state_records.gan_step_stale, state_records.GanState),
    "state_records.gan_step_good": train_loop(state_records.gan_step_good, state_records.GanState),
    "state_records.caller_keeps_old_key": lambda: state_records.caller_keeps_old_key(K()),
    "state_records.caller_threads_key": lambda: state_records.caller_threads_key(K()),
    "streams_and_values.two_draws_from_stream_bad": lambda: streams_and_values.two_draws_from_stream_bad(K()),
    "streams_and_values.two_draws_from_stream_good": lambda: streams_and_values.two_draws_from_stream_good(K()),
    "streams_and_values.add_global_noise": lambda: [streams_and_values.add_global_noise(jnp.ones(2)) for _ in range(2)],
    "streams_and_values.cond_branches_clean": lambda: streams_and_values.cond_branches_clean(True, K(), jnp.ones(2)),
    "streams_and_values.cond_after_draw_reuse": lambda: streams_and_values.cond_after_draw_reuse(True, K(), jnp.ones(2)),
    "nnx_and_modes.build_rngs_clean": lambda: nnx_and_modes.build_rngs_clean(0),
    "nnx_and_modes.build_params_key_twice": lambda: nnx_and_modes.build_params_key_twice(0),
    "nnx_and_modes.eval_forward_clean": lambda: nnx_and_modes.eval_forward_clean(jnp.ones(3), K()),
    "nnx_and_modes.train_forward_reuse": lambda: nnx_and_modes.train_forward_reuse(jnp.ones(3), K()),
    "nnx_and_modes.mode_switch_clean": lambda: [nnx_and_modes.mode_switch_clean(jnp.ones(2), K(), m) for m in ("train", "sample", "x")],
    "nnx_and_modes.lookup_by_key_clean": lambda: nnx_and_modes.lookup_by_key_clean({"a": 1}, "a"),
    "nnx_and_modes.diffusion_sample_reuse": lambda: nnx_and_modes.diffusion_sample_reuse(jnp.ones(2), K()),
    "nnx_and_modes.diffusion_sample_good": lambda: nnx_and_modes.diffusion_sample_good(jnp.ones(2), K()),
}
VALUE = {
    "streams_and_values.same_seed_twice": lambda: streams_and_values.same_seed_twice(3),
    "streams_and_values.fold_in_same_twice": lambda: streams_and_values.fold_in_same_twice(K()),
    "streams_and_values.fold_in_distinct": lambda: streams_and_values.fold_in_distinct(K()),
}
for name, fn in D.items():
    print(name, run(fn))
jax.config.update("jax_debug_key_reuse", False)
for name, fn in VALUE.items():
    print(name, equal_draws(fn))
