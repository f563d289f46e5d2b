"""Equimo parity: the DINO examples compute what Equimo's ViT computes.

The work notes' directive keeps jax2onnx's Equinox DINO example "as close as
reasonably possible to the upstream Equimo implementation". This stage checks it
numerically, offline: Equimo builds the same architecture with random weights
(fixed keys, no download); every LayerScale gamma and LayerNorm scale and bias is
randomised, since at their defaults (gamma 1e-5) the blocks barely contribute and a
broken block hides under 1e-6; the weights are mapped onto the example's modules
(`mapping`), and Equimo's `forward_features` (inference; CLS and patch tokens after
the final norm) is compared with the example in JAX and with the gate's own ONNX
export of the testcase in onnxruntime, its weight constants rebound to the mapped
weights (`rebind`), so nothing is exported twice.

Imports jax, equinox, equimo and onnxruntime: only the gate's runner imports it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from guardrails.gate.equimo_mapping import (
    map_learned_posemb_vit,
    map_rope_vit,
    randomise_norms,
    rope_periods_differ,
)
from guardrails.gate.rebind import rebound_payload
from guardrails.gate.results import EquimoParity, one_line

# Equimo's weights, the randomised norms and the images all derive from this key.
PARITY_SEED = 23
# Max |Δ| allowed between Equimo and the example, in JAX and in onnxruntime. On
# ViT-S/16 a correct mapping differs by float32 rounding (3.6e-6, outputs up to ~5),
# the tanh GELU by 8e-4, a q/k swap in block 0 by 0.14 (benchmarks/equimo_parity.py):
# 1e-4 sits 28x above the first and 8x under the smallest real divergence measured.
TOLERANCE = 1e-4
IMAGES = 2  # a batch of two: the example batches, Equimo runs one image at a time
OUTPUTS = ("CLS token", "patch tokens")


@dataclass(frozen=True)
class Reference:
    """The Equimo model a gated testcase is compared with, and how to map it."""

    name: str  # as reports show it
    builder: str  # a function of `equimo.models.vit`
    overrides: Mapping[str, Any]
    mapping: Callable[[Any, Any], Any]
    image_size: int


_DINO = "examples.eqx_dino::DINOv3VisionTransformer::eqx_dinov3_vit_"
_POSEMB = "examples.eqx_dino_learned_posemb::LearnedPosEmbedViT::learned_posemb_"


def _learned_posemb(image_size: int, antialias: bool) -> Reference:
    # Equimo's DINOv3 ViT with its learned global embedding in place of RoPE, at
    # the example's sizes (guardrails/gate/examples/learned_posemb.py).
    overrides = {
        "patch_size": 14,
        "dim": 192,
        "num_heads": 3,
        "depths": [2],
        "reg_tokens": 0,
        "use_global_pos_embed": True,
        "use_local_pos_embed": False,
        "interpolate_antialias": antialias,
    }
    name = f"ViT-Ti/14 x2 + LearnedPosEmbed, antialias {'on' if antialias else 'off'}"
    return Reference(
        name,
        "dinov3_vits16_pretrain_lvd1689m",
        overrides,
        map_learned_posemb_vit,
        image_size,
    )


REFERENCES: dict[str, Reference] = {
    # Equimo's DINOv3 ViT-S/16 is the example's S16 testcase, registers included.
    f"{_DINO}S16": Reference(
        "dinov3_vits16_pretrain_lvd1689m",
        "dinov3_vits16_pretrain_lvd1689m",
        {},
        map_rope_vit,
        224,
    ),
    f"{_POSEMB}224_trained_grid": _learned_posemb(224, True),
    **{
        f"{_POSEMB}{size}_{suffix}": _learned_posemb(size, antialias)
        for size in (168, 280)
        for suffix, antialias in (("antialias", True), ("no_antialias", False))
    },
}


def _equimo_model(reference: Reference, key: jax.Array) -> Any:
    from equimo.models import vit  # type: ignore[import-untyped]

    build_key, norms_key = jax.random.split(key)
    build = getattr(vit, reference.builder)
    model = build(pretrained=False, key=build_key, **reference.overrides)
    return randomise_norms(model, norms_key)


def _forward_features(model: Any, images: jax.Array, key: jax.Array) -> jax.Array:
    """CLS and patch tokens of Equimo's `forward_features`, as the example returns
    them, one image at a time."""

    def one(image: jax.Array) -> jax.Array:
        features = model.forward_features(image, key=key, inference=True)
        cls = features["x_norm_cls_token"][None]
        return jnp.concatenate([cls, features["x_norm_patchtokens"]], axis=0)

    return jax.vmap(one)(images)


def _run_equimo(model: Any, images: jax.Array, key: jax.Array) -> np.ndarray:
    # Compiled, weights as arguments: XLA's persistent cache (the gate keeps one)
    # makes later runs cheap, where op-by-op dispatch costs seconds every time.
    return np.asarray(eqx.filter_jit(_forward_features)(model, images, key))


def _run_example(example: Any, images: jax.Array) -> np.ndarray:
    # The example computes its RoPE tables on the host from its periods: those stay
    # concrete, closed over; every other weight is an argument.
    spec = jax.tree_util.tree_map(eqx.is_array, example)
    if getattr(example, "dino_rope", None) is not None:
        spec = eqx.tree_at(lambda m: m.dino_rope.periods, spec, False)
    weights, rest = eqx.partition(example, spec)

    def call(dynamic: Any, batch: jax.Array) -> jax.Array:
        return eqx.combine(dynamic, rest)(batch)  # type: ignore[no-any-return]

    return np.asarray(eqx.filter_jit(call)(weights, images))


def _divergence(
    want: np.ndarray, got: np.ndarray, side: str
) -> tuple[float, float, str]:
    """(max |Δ|, mean |Δ|, the first output beyond tolerance or "")."""
    if want.shape != got.shape:
        return float("nan"), float("nan"), f"{side}: shape {got.shape} != {want.shape}"
    error = np.abs(want.astype(np.float64) - got.astype(np.float64))
    failure = ""
    for name, part in zip(OUTPUTS, (error[:, :1], error[:, 1:]), strict=True):
        if not np.all(part <= TOLERANCE):  # NaN fails too, and counts as the worst
            worst = np.where(np.isnan(part), np.inf, part)
            image, token, channel = np.unravel_index(np.argmax(worst), part.shape)
            token += 0 if name == OUTPUTS[0] else 1
            failure = (
                f"{side}: {name} first diverges, max |Δ| {np.max(part):.3g} > "
                f"{TOLERANCE:g} (image {image}, token {token}, channel {channel})"
            )
            break
    return float(np.max(error)), float(np.mean(error)), failure


def check(testcase_id: str, example: Any, model: Any | None) -> EquimoParity | None:
    """Equimo against `example` (the testcase's instance) in JAX, and against its
    export `model` (None: it did not export) in onnxruntime."""
    reference = REFERENCES.get(testcase_id)
    if reference is None:
        return None
    started = time.perf_counter()
    result = EquimoParity(reference=reference.name)
    failures: list[str] = []
    try:
        model_key, image_key, call_key = jax.random.split(
            jax.random.key(PARITY_SEED), 3
        )
        equimo = _equimo_model(reference, model_key)
        shape = (IMAGES, 3, reference.image_size, reference.image_size)
        images = jax.random.normal(image_key, shape, dtype=jnp.float32)
        mapped = reference.mapping(equimo, example)
        differ = rope_periods_differ(equimo, mapped)
        if differ:
            failures.append(differ)
        with jax.default_matmul_precision("float32"):
            want = _run_equimo(equimo, images, call_key)
            got = _run_example(mapped, images)
        (
            result.jax_max_abs_error,
            result.jax_mean_abs_error,
            failure,
        ) = _divergence(want, got, "JAX")
        if failure:
            failures.append(failure)
        if model is not None:
            onnx = _onnx_features(model, example, mapped, np.asarray(images))
            (
                result.onnx_max_abs_error,
                result.onnx_mean_abs_error,
                failure,
            ) = _divergence(want, onnx, "ONNX")
            if failure:
                failures.append(failure)
    except Exception as error:  # Equimo or the mapping refusing is the finding
        failures.append(one_line(error))
    if failures:
        result.failure = f"Equimo parity ({reference.name}): " + "; ".join(failures)
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def _onnx_features(
    model: Any, example: Any, mapped: Any, images: np.ndarray
) -> np.ndarray:
    import onnxruntime as ort  # type: ignore[import-untyped]

    payload = rebound_payload(model, example, mapped)
    options = ort.SessionOptions()
    options.log_severity_level = 4
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(payload, options, providers=["CPUExecutionProvider"])
    (name,) = [i.name for i in session.get_inputs()]
    (tokens,) = session.run(None, {name: images})
    return np.asarray(tokens)


def verdict(status: str, reason: str, parity: EquimoParity | None) -> tuple[str, str]:
    """The testcase's status and reason with Equimo parity's failure, if any. It
    ranks as a parity failure does (before a drift or a missing spec), and fails
    known failures too: their export failing does not excuse the example from
    computing what Equimo computes."""
    if parity is None or not parity.failure:
        return status, reason
    reason = f"{reason}; {parity.failure}" if reason else parity.failure
    if status in {"match", "known-failure", "drift", "missing-spec"}:
        status = "parity-failed"
    return status, reason
