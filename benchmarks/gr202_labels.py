"""Labels of GR202's findings on jax2onnx's repository at 3901899d (before and
after issue 18): for each testcase whose callable is a module built at import,
whether that construction freezes state the harness varies per dtype variant
(parameters, a dtype, a key or `rngs`), and why. Read from each constructor's
source in equinox 0.13.8 / flax 0.12.8 and the arguments the testcase passes.

Keyed by (path in the repository, testcase name); `benchmarks/gr202_precision.py`
labels each finding by the testcase its line belongs to.
"""

from __future__ import annotations

from typing import Final

EQX: Final = "jax2onnx/plugins/equinox/eqx/nn/"

_POOL = "holds an init value, an operation and window sizes: no array, dtype or key"
_ADAPTIVE = "holds a target shape and an operation: no array, dtype or key"
_DROPOUT = "holds `p` and `inference` only; the key comes per call"
_LINEAR = "weight and bias arrays, drawn from the key at import in f32"

# (path, testcase) -> (freezes state, reason)
LABELS: Final[dict[tuple[str, str], tuple[bool, str]]] = {
    # Stateless: nothing in the instance depends on the variant's dtype or seed.
    (EQX + "adaptive_pool.py", "eqx_adaptive_avg_pool2d_divisible"): (False, _ADAPTIVE),
    (EQX + "adaptive_pool.py", "eqx_adaptive_max_pool2d_divisible"): (False, _ADAPTIVE),
    (EQX + "adaptive_pool.py", "eqx_adaptive_pool_generic_avg_vmap"): (
        False,
        "AdaptivePool(operation=jnp.mean): " + _ADAPTIVE,
    ),
    (EQX + "adaptive_pool.py", "eqx_adaptive_avg_pool1d_nondivisible"): (
        False,
        _ADAPTIVE,
    ),
    (EQX + "avg_pool.py", "eqx_avg_pool2d_basic"): (False, _POOL),
    (EQX + "avg_pool.py", "eqx_avg_pool2d_batched"): (False, _POOL),
    (EQX + "max_pool.py", "eqx_max_pool2d_basic"): (False, _POOL),
    (EQX + "max_pool.py", "eqx_max_pool2d_batched"): (False, _POOL),
    (EQX + "pool.py", "eqx_pool_max2d_basic"): (False, "Pool(init=-jnp.inf): " + _POOL),
    (EQX + "pool.py", "eqx_pool_max2d_batched"): (False, _POOL),
    (EQX + "dropout.py", "eqx_dropout_inference_mode"): (False, _DROPOUT),
    (EQX + "dropout.py", "eqx_dropout_training_mode"): (False, _DROPOUT),
    (EQX + "dropout.py", "eqx_dropout_dynamic_inference"): (False, _DROPOUT),
    (EQX + "dropout.py", "eqx_dropout_batched_inference"): (False, _DROPOUT),
    (EQX + "group_norm.py", "eqx_group_norm_no_affine"): (
        False,
        "channelwise_affine=False: weight and bias are None",
    ),
    (EQX + "identity.py", "eqx_identity_static"): (False, "Identity holds nothing"),
    (EQX + "identity.py", "eqx_identity_symbolic_batch"): (
        False,
        "Identity holds nothing",
    ),
    (EQX + "lambda.py", "eqx_lambda_relu"): (False, "Lambda holds a function only"),
    (EQX + "lambda.py", "eqx_lambda_sigmoid"): (False, "Lambda holds a function only"),
    (EQX + "layer_norm.py", "layer_norm_no_bias_no_scale"): (
        False,
        "use_weight=False, use_bias=False: weight and bias are None (the dtype "
        "argument only shapes them)",
    ),
    (EQX + "rms_norm.py", "rms_norm_no_affine"): (
        False,
        "use_weight=False, use_bias=False: weight and bias are None",
    ),
    (EQX + "sequential.py", "eqx_sequential_relu_tanh"): (
        False,
        "Sequential of two Lambda(fn): no part holds state",
    ),
    (EQX + "sequential.py", "eqx_sequential_identity_sigmoid"): (
        False,
        "Sequential of Identity and Lambda(fn): no part holds state",
    ),
    ("jax2onnx/plugins/examples/nnx/sequential.py", "sequential_double_relu"): (
        False,
        "nnx.Sequential(nnx.relu, nnx.relu) holds two functions",
    ),
    # Stateful: parameters in the dtype (and from the key) of import time.
    (EQX + "batch_norm.py", "eqx_batch_norm_inference"): (
        True,
        "weight and bias arrays and running statistics (StateIndex) in f32",
    ),
    (EQX + "conv.py", "eqx_conv2d_nchw"): (True, "kernel and bias drawn from a key"),
    (EQX + "conv.py", "eqx_conv2d_batched_nchw"): (
        True,
        "kernel and bias drawn from a key",
    ),
    (EQX + "embedding.py", "eqx_embedding_scalar_index"): (
        True,
        "weight=a module-level array (f32)",
    ),
    (EQX + "embedding.py", "eqx_embedding_batched_vmap"): (
        True,
        "weight=a module-level array (f32)",
    ),
    (EQX + "group_norm.py", "eqx_group_norm_rank3"): (
        True,
        "channelwise_affine=True: weight and bias arrays",
    ),
    (EQX + "group_norm.py", "eqx_group_norm_opset18"): (
        True,
        "channelwise_affine=True: weight and bias arrays",
    ),
    (EQX + "layer_norm.py", "layer_norm"): (True, "weight and bias arrays"),
    (EQX + "layer_norm.py", "layer_norm_multiaxis"): (True, "weight and bias arrays"),
    (EQX + "layer_norm.py", "batched_layer_norm"): (True, "weight and bias arrays"),
    (EQX + "linear.py", "eqx_linear_symbolic_batch"): (True, _LINEAR),
    (EQX + "linear.py", "eqx_linear_no_bias_symbolic_batch"): (
        True,
        "weight array drawn from the key",
    ),
    (EQX + "linear.py", "eqx_linear_no_bias_vector"): (
        True,
        "weight array drawn from the key",
    ),
    (EQX + "linear.py", "eqx_linear_high_rank"): (True, _LINEAR),
    (EQX + "linear.py", "eqx_linear_vector"): (True, _LINEAR),
    (EQX + "prelu.py", "eqx_prelu_default"): (True, "alpha array (f32)"),
    (EQX + "prelu.py", "eqx_prelu_channelwise"): (
        True,
        "alpha = a float32 array argument",
    ),
    (EQX + "recurrent.py", "eqx_gru_cell_basic"): (
        True,
        "weight and bias arrays drawn from a key",
    ),
    (EQX + "recurrent.py", "eqx_lstm_cell_basic"): (
        True,
        "weight and bias arrays drawn from a key",
    ),
    (EQX + "rms_norm.py", "rms_norm_vector"): (True, "weight and bias arrays"),
    (EQX + "spectral_norm.py", "eqx_spectral_norm_linear_inference"): (
        True,
        "wraps a Linear (arrays from a key) and draws u, v from its own key",
    ),
    (EQX + "weight_norm.py", "eqx_weight_norm_linear"): (
        True,
        "wraps a Linear: weight arrays from a key",
    ),
    (EQX + "weight_norm.py", "eqx_weight_norm_conv2d"): (
        True,
        "wraps a Conv2d: kernel arrays from a key",
    ),
}
