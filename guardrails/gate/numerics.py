"""A gated testcase's numbers: onnxruntime against the JAX callable on
fixed-seed inputs, and the float64 probe of `run_only_f32_variant` testcases,
inside a scoped x64 context so double precision never leaks into float32 work.

Imports jax, numpy and onnxruntime: only the gate imports this module.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import onnx_ir as ir
import onnxruntime as ort  # type: ignore[import-untyped]

from guardrails.gate.export import Testcase, export_model, instantiate
from guardrails.gate.results import F64Probe, first_line

# The defaults of jax2onnx's `allclose`, which its test harness compares with.
DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-5
SYMBOLIC_DIM_SIZE = 2  # symbolic dims made concrete for the numeric comparison
INPUT_SEED = 0


def _tolerances(testcase: Testcase) -> tuple[float, float]:
    rtol = float(testcase.data.get("rtol", DEFAULT_RTOL))
    atol = float(testcase.data.get("atol", DEFAULT_ATOL))
    return rtol, atol


def _concrete(shape: Sequence[Any]) -> tuple[int, ...]:
    return tuple(
        SYMBOLIC_DIM_SIZE if isinstance(dim, str) else int(dim) for dim in shape
    )


def _inputs(testcase: Testcase, float_dtype: Any) -> list[np.ndarray[Any, Any]]:
    rng = np.random.default_rng(INPUT_SEED)
    shapes = [_concrete(shape) for shape in testcase.data["input_shapes"]]
    dtypes = testcase.data.get("input_dtypes") or [float_dtype] * len(shapes)
    arrays: list[np.ndarray[Any, Any]] = []
    for shape, dtype in zip(shapes, dtypes, strict=False):
        kind = np.dtype(dtype)
        if np.issubdtype(kind, np.floating):
            arrays.append(rng.standard_normal(shape).astype(float_dtype))
        elif kind == np.bool_:
            arrays.append(rng.integers(0, 2, shape).astype(np.bool_))
        else:
            arrays.append(rng.integers(0, 8, shape).astype(kind))
    return arrays


def _session(payload: bytes | str) -> Any:
    options = ort.SessionOptions()
    options.log_severity_level = 4  # fatal only: failures surface as exceptions
    # One short run per session: spinning worker threads only burn shared CPU.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(payload, options, providers=["CPUExecutionProvider"])


EXTERNAL_THRESHOLD = 1024  # bytes: smaller constants stay in the model file


def _large_constants(model: Any) -> list[tuple[Any, str, Any]]:
    """(node, attribute name, attribute) of every tensor attribute above the
    threshold, in the graph, its subgraphs and the model's functions."""
    found = []
    for graph in (model.graph, *model.functions.values()):
        for node in ir.traversal.RecursiveGraphIterator(graph):
            for name, attribute in node.attributes.items():
                if attribute.type != ir.AttributeType.TENSOR:
                    continue
                tensor = attribute.value
                if tensor.dtype != ir.DataType.STRING and (
                    tensor.nbytes > EXTERNAL_THRESHOLD
                ):
                    found.append((node, name, attribute))
    return found


@contextlib.contextmanager
def saved(model: Any) -> Iterator[str]:
    """The model written to a private temporary folder, weights in data files
    beside it, streamed tensor by tensor: jax2onnx bakes weights into `Constant`
    nodes (inside ONNX functions), which `ir.save` keeps in the protobuf, so
    serialising would hold them twice more (the protobuf and its bytes: 2 GB for
    ViT-B/14 in float64). Those attributes are written to `constants.data` and
    referenced from the file, initializers to `model.onnx.data`; the model is
    left as it was. The ONNX checker and onnxruntime read the file; the caller
    can drop the model meanwhile."""
    with tempfile.TemporaryDirectory(prefix="guardrails-gate-") as folder:
        path = os.path.join(folder, "model.onnx")
        constants = _large_constants(model)
        external = ir.external_data.convert_tensors_to_external(
            [attribute.value for _, _, attribute in constants],
            folder,
            "constants.data",
        )
        try:
            for (node, name, _), tensor in zip(constants, external, strict=True):
                node.attributes[name] = ir.AttrTensor(name, tensor)
            ir.save(model, path, external_data="model.onnx.data")
        finally:
            for node, name, attribute in constants:
                node.attributes[name] = attribute
        del model, constants, external  # this frame lives on while the file is used
        yield path


def session_for(model: bytes | str) -> Any:
    """The onnxruntime session of a model's bytes or file (it keeps its own copy
    of the weights)."""
    return _session(model)


def compare(
    testcase: Testcase, fn: Callable[..., Any], payload: bytes, float_dtype: Any
) -> tuple[float, str | None]:
    """onnxruntime vs the JAX callable: (max abs error, failure or None)."""
    return compare_session(testcase, fn, _session(payload), float_dtype)


def compare_session(
    testcase: Testcase, fn: Callable[..., Any], session: Any, float_dtype: Any
) -> tuple[float, str | None]:
    """`compare` with the session already made."""
    arrays = _inputs(testcase, float_dtype)
    params = dict(testcase.data.get("input_params") or {})
    feed_names = [i.name for i in session.get_inputs() if i.name not in params]
    feed: dict[str, Any] = dict(zip(feed_names, arrays, strict=False))
    feed.update({name: np.asarray(value) for name, value in params.items()})
    onnx_outputs = session.run(None, feed)
    with jax.default_matmul_precision("float32"):
        # Called as the harness calls it, op by op: compiling the whole model would
        # fold its weights into the program and cost more than it saves.
        reference = fn(*arrays, **params)
    expected = [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(reference)]
    if len(expected) != len(onnx_outputs):
        return float("nan"), (
            f"{len(onnx_outputs)} ONNX outputs, {len(expected)} JAX outputs"
        )
    rtol, atol = _tolerances(testcase)
    worst = 0.0
    failure: str | None = None
    for index, (want, got) in enumerate(zip(expected, onnx_outputs, strict=True)):
        if want.shape != got.shape:
            return float("nan"), f"output {index}: shape {got.shape} != {want.shape}"
        error = (
            float(np.max(np.abs(want.astype(np.float64) - got))) if want.size else 0.0
        )
        worst = max(worst, error)
        if failure is None and not np.allclose(got, want, rtol=rtol, atol=atol):
            failure = (
                f"output {index}: max abs error {error:.3g} "
                f"beyond rtol={rtol:g}, atol={atol:g}"
            )
    return worst, failure


def probe_float64(testcase: Testcase) -> F64Probe:
    """Try the float64 variant that `run_only_f32_variant` switched off."""
    if not testcase.data.get("run_only_f32_variant"):
        return F64Probe("not-probed", "testcase runs its float64 variant already")
    failure: str | None
    try:
        with jax.enable_x64(True):
            fn = instantiate(testcase, jnp.float64)
            model = export_model(testcase, fn, double=True)
            # JAX's weights, the model's and the session's together would be the
            # run's largest moment: the callable is made again (same key, same
            # weights) only once onnxruntime has accepted the model.
            del fn
            with saved(model) as path:
                del model
                session = session_for(path)
            fn = instantiate(testcase, jnp.float64)
            _, failure = compare_session(testcase, fn, session, np.float64)
    except Exception as exc:  # the reason is the probe's result
        failure = first_line(exc)
    finally:
        # The scoped context must leave float32 as the default for the next testcase.
        if jnp.zeros(()).dtype != jnp.float32:
            raise RuntimeError("x64 mode leaked out of the float64 probe")
    if failure:
        return F64Probe("fails", failure)
    return F64Probe("passes", "float64 exports, runs and matches: the flag can go")
