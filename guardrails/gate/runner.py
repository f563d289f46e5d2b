"""Export each gated testcase the way jax2onnx's test harness does, then judge it.

Per testcase: build the `construct_and_call` callable for float32, export it with the
testcase's `input_shapes`, `input_params` and `opset_version`, run its own
`post_check_onnx_graph`, build the structural spec and diff it against the committed
one, run the ONNX checker, compare onnxruntime with the JAX callable on fixed-seed
inputs, and, for `run_only_f32_variant` testcases, probe the float64 variant inside a
scoped x64 context so double precision never leaks into the float32 work.

Everything heavy (jax, jax2onnx, onnx, onnxruntime) is imported here, and this module
is only imported by `run_gate` once the gate extra is known to be installed.
"""

from __future__ import annotations

import contextlib
import fnmatch
import importlib
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import onnx
import onnx_ir as ir
import onnxruntime as ort  # type: ignore[import-untyped]
from jax2onnx import to_onnx  # type: ignore[import-untyped]
from jax2onnx.plugins._post_check_onnx_graph import (  # type: ignore[import-untyped]
    auto_expect_graph_spec,
    expect_graph_from_spec,
)
from jax2onnx.plugins.plugin_system import (  # type: ignore[import-untyped]
    EXAMPLE_REGISTRY,
    import_all_plugins,
)

from guardrails import atomic
from guardrails.config import Config
from guardrails.gate.diff import diff_specs
from guardrails.gate.results import F64Probe, TestcaseResult
from guardrails.gate.spec import (
    SPEC_SUFFIX,
    Spec,
    SpecFormatError,
    build_spec,
    parse_spec,
)
from guardrails.types import UsageError

# The defaults of jax2onnx's `allclose`, which its test harness compares with.
DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-5
DEFAULT_OPSET = 23  # `to_onnx`'s default opset
SYMBOLIC_DIM_SIZE = 2  # symbolic dims made concrete for the numeric comparison
INPUT_SEED = 0
_NOISY_LOGGERS = ("jax2onnx", "onnx_ir", "jax._src.xla_bridge")


@dataclass(frozen=True)
class Testcase:
    context: str
    component: str
    name: str
    data: Mapping[str, Any]

    @property
    def id(self) -> str:
        return f"{self.context}::{self.component}::{self.name}"

    def spec_path(self, specs: Path) -> Path:
        return specs / self.context / self.component / f"{self.name}{SPEC_SUFFIX}"

    @property
    def opset(self) -> int:
        return int(self.data.get("opset_version", DEFAULT_OPSET))

    @property
    def tolerances(self) -> tuple[float, float]:
        rtol = float(self.data.get("rtol", DEFAULT_RTOL))
        atol = float(self.data.get("atol", DEFAULT_ATOL))
        return rtol, atol


@dataclass(frozen=True)
class GateOptions:
    update: bool
    only: str | None
    known_failures: Mapping[str, str]
    specs: Path
    root: Path

    def shown(self, path: Path) -> str:
        """Paths in messages are relative to the configuration's folder."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def package_versions() -> dict[str, str]:
    names = {
        "jax": "jax",
        "jax2onnx": "jax2onnx",
        "onnx-ir": "onnx-ir",
        "onnx": "onnx",
        "onnxruntime": "onnxruntime",
        "equinox": "equinox",
        "equimo": "equimo",
    }
    versions: dict[str, str] = {}
    for key, distribution in names.items():
        try:
            versions[key] = version(distribution)
        except PackageNotFoundError:
            versions[key] = "not installed"
    versions["python"] = sys.version.split()[0]
    return versions


# ---------------------------------------------------------------- selection


def _import_modules(modules: Sequence[str], root: Path) -> None:
    # Project modules (e.g. `examples.foo`) live next to the configuration file.
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as error:  # any failure: a module we were told to load
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise UsageError(
                f"gate module {module!r} failed to import: {first}"
            ) from None


def _entries(selector: str) -> list[tuple[str, Mapping[str, Any]]]:
    parts = selector.split("::")
    matches = []
    for key, meta in EXAMPLE_REGISTRY.items():
        context = str(meta.get("context") or "")
        whole_context = len(parts) == 1 and context == selector
        if whole_context or (len(parts) >= 2 and key == "::".join(parts[:2])):
            matches.append((key, meta))
    return matches


def select_testcases(config: Config) -> list[Testcase]:
    """Every testcase the configuration's `examples` selectors name, in order."""
    gate = config.gate
    if not gate.examples:
        raise UsageError("no examples to gate: set [tool.guardrails.gate] examples")
    import_all_plugins()
    _import_modules(gate.modules, config.root)
    selected: dict[str, Testcase] = {}
    for selector in gate.examples:
        entries = _entries(selector)
        if not entries:
            raise UsageError(f"gate example {selector!r} is not registered")
        wanted = selector.split("::")[2] if selector.count("::") >= 2 else None
        for _, meta in entries:
            for data in meta.get("testcases", []):
                name = str(data.get("testcase", ""))
                if wanted is not None and name != wanted:
                    continue
                testcase = Testcase(
                    context=str(meta.get("context") or ""),
                    component=str(meta["component"]),
                    name=name,
                    data=data,
                )
                selected.setdefault(testcase.id, testcase)
        if wanted is not None and not any(t.name == wanted for t in selected.values()):
            raise UsageError(f"gate example {selector!r} has no such testcase")
    unknown = sorted(set(gate.known_failures) - set(selected))
    if unknown:
        raise UsageError(f"known-failures names a testcase not gated: {unknown[0]}")
    return list(selected.values())


def filter_only(testcases: list[Testcase], pattern: str | None) -> list[Testcase]:
    if pattern is None:
        return testcases
    chosen = [t for t in testcases if fnmatch.fnmatchcase(t.id, pattern)]
    if not chosen:
        raise UsageError(f"--only {pattern!r} matches no gated testcase")
    return chosen


# ---------------------------------------------------------------- exporting


def first_line(error: BaseException) -> str:
    """`Type: first line of the message`, as the f64 probe reports it."""
    text = str(error).strip()
    line = text.splitlines()[0] if text else ""
    return f"{type(error).__name__}: {line}" if line else type(error).__name__


def one_line(error: BaseException, limit: int = 300) -> str:
    """The whole message folded onto one line (onnxruntime puts the cause below)."""
    text = " ".join(str(error).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def instantiate(testcase: Testcase, dtype: Any) -> Callable[..., Any]:
    target = testcase.data["callable"]
    if getattr(target, "__jax2onnx_factory__", False):
        return target.with_dtype(dtype).instantiate()  # type: ignore[no-any-return]
    return target  # type: ignore[no-any-return]


def export_model(testcase: Testcase, fn: Callable[..., Any], double: bool) -> Any:
    return to_onnx(
        fn,
        list(testcase.data["input_shapes"]),
        input_params=testcase.data.get("input_params"),
        model_name=testcase.name,
        opset=testcase.opset,
        enable_double_precision=double,
        return_mode="ir",
    )


def _post_check(testcase: Testcase, model: Any) -> str | None:
    """The testcase's own `expect_graph` check; the matcher's account if it fails."""
    check = testcase.data.get("post_check_onnx_graph")
    if check is None:
        return None
    explanation = io.StringIO()
    try:
        with contextlib.redirect_stdout(explanation):
            passed = bool(check(model))
    except Exception as error:  # a check that crashes has not passed
        return f"post_check_onnx_graph raised {one_line(error)}"
    if passed:
        return None
    lines = [line.strip(" -") for line in explanation.getvalue().splitlines()]
    detail = "; ".join(line for line in lines if line and "FAILED" not in line)
    return f"post_check_onnx_graph failed: {detail or 'no explanation'}"


def patterns_accept(patterns: dict[str, Any], model: Any) -> bool:
    """Whether jax2onnx's matcher accepts `model` under a spec's pattern list."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # inside the matcher
        return bool(expect_graph_from_spec(patterns)(model))


def export_patterns(model: Any) -> dict[str, Any]:
    return auto_expect_graph_spec(  # type: ignore[no-any-return]
        model, graph=None, search_functions=True
    )


# ---------------------------------------------------------------- numerics


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


def serialized(model: Any) -> bytes:
    """The model's protobuf bytes, made once for the checker and onnxruntime."""
    return ir.serde.serialize_model(model).SerializeToString()  # type: ignore[no-any-return]


def _session(payload: bytes) -> Any:
    options = ort.SessionOptions()
    options.log_severity_level = 4  # fatal only: failures surface as exceptions
    # One short run per session: spinning worker threads only burn shared CPU.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(payload, options, providers=["CPUExecutionProvider"])


def compare(
    testcase: Testcase, fn: Callable[..., Any], payload: bytes, float_dtype: Any
) -> tuple[float, str | None]:
    """onnxruntime vs the JAX callable: (max abs error, failure or None)."""
    session = _session(payload)
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
    rtol, atol = testcase.tolerances
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


# ---------------------------------------------------------------- per testcase


@dataclass
class _Outcome:
    problems: list[tuple[str, str]]
    diff: str = ""
    max_abs_error: float | None = None
    spec: Spec | None = None
    committed: str | None = None


def _check_export(
    testcase: Testcase, model: Any, payload: bytes, outcome: _Outcome
) -> None:
    failure = _post_check(testcase, model)
    if failure:
        outcome.problems.append(("check-failed", failure))
    try:
        onnx.checker.check_model(payload)
    except Exception as error:  # the checker raises several types
        outcome.problems.append(("check-failed", f"ONNX checker: {one_line(error)}"))


def _compare_spec(
    testcase: Testcase, model: Any, options: GateOptions, versions: Mapping[str, str]
) -> tuple[Spec, str | None, list[tuple[str, str]], str]:
    spec = build_spec(
        testcase.id, model, versions, testcase.opset, export_patterns(model)
    )
    path = testcase.spec_path(options.specs)
    if not path.is_file():
        return spec, None, [("missing-spec", f"no spec at {options.shown(path)}")], ""
    try:
        committed = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:  # not UTF-8: a drift to report
        problem = f"{options.shown(path)}: unreadable spec: {error}"
        return spec, "", [("drift", problem)], ""
    try:
        old = parse_spec(committed)
    except SpecFormatError as error:
        return (
            spec,
            committed,
            [("drift", f"{options.shown(path)}: unreadable spec: {error}")],
            "",
        )
    result = diff_specs(old, spec)
    problems = [("drift", result.verdict)] if result.drift else []
    diff = result.text if (result.drift or result.text) else ""
    return spec, committed, problems, diff


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_atomically(path, text)


def _run_float32(
    testcase: Testcase, options: GateOptions, versions: Mapping[str, str], known: bool
) -> _Outcome:
    outcome = _Outcome(problems=[])
    try:
        fn = instantiate(testcase, jnp.float32)
        model = export_model(testcase, fn, double=False)
    except Exception as error:  # whatever the exporter raises is the finding
        outcome.problems.append(("export-failed", one_line(error)))
        return outcome
    payload = serialized(model)
    _check_export(testcase, model, payload, outcome)
    if not known:
        try:
            spec, committed, problems, diff = _compare_spec(
                testcase, model, options, versions
            )
        except Exception as error:  # an export the spec builder cannot describe
            outcome.problems.append(("check-failed", f"spec: {one_line(error)}"))
        else:
            outcome.spec, outcome.committed, outcome.diff = spec, committed, diff
            outcome.problems += problems
    try:
        worst, failure = compare(testcase, fn, payload, np.float32)
        outcome.max_abs_error = worst
        if failure:
            outcome.problems.append(("parity-failed", failure))
    except Exception as exc:  # onnxruntime or JAX refusing to run is the finding
        outcome.problems.append(("parity-failed", one_line(exc)))
    return outcome


def probe_float64(testcase: Testcase) -> F64Probe:
    """Try the float64 variant that `run_only_f32_variant` switched off."""
    if not testcase.data.get("run_only_f32_variant"):
        return F64Probe("not-probed", "testcase runs its float64 variant already")
    failure: str | None
    try:
        with jax.enable_x64(True):
            fn = instantiate(testcase, jnp.float64)
            model = export_model(testcase, fn, double=True)
            _, failure = compare(testcase, fn, serialized(model), np.float64)
    except Exception as exc:  # the reason is the probe's result
        failure = first_line(exc)
    finally:
        # The scoped context must leave float32 as the default for the next testcase.
        if jnp.zeros(()).dtype != jnp.float32:
            raise RuntimeError("x64 mode leaked out of the float64 probe")
    if failure:
        return F64Probe("fails", failure)
    return F64Probe("passes", "float64 exports, runs and matches: the flag can go")


def _resolve(
    testcase: Testcase, outcome: _Outcome, options: GateOptions
) -> tuple[str, str]:
    known_reason = options.known_failures.get(testcase.id)
    problems = outcome.problems
    if known_reason is not None:
        if not problems:
            return "fixed", (
                f"passes now (recorded: {known_reason}); remove it from "
                "known-failures and run `guardrails gate --update`"
            )
        actual = problems[0][1]
        if known_reason.strip() and known_reason.strip() in actual:
            return "known-failure", actual
        return "known-failure", f"{actual} (recorded: {known_reason})"
    if not problems:
        return "match", ""
    order = ("export-failed", "check-failed", "parity-failed", "drift", "missing-spec")
    status = min((p[0] for p in problems), key=order.index)
    return status, "; ".join(reason for _, reason in problems)


def _write_spec(testcase: Testcase, outcome: _Outcome, options: GateOptions) -> str:
    """Write the fresh spec when it differs from the committed one; what was done."""
    if outcome.spec is None:
        return ""
    text = outcome.spec.render()
    if text == outcome.committed:
        return ""
    path = testcase.spec_path(options.specs)
    write_atomically(path, text)
    outcome.problems = [
        p for p in outcome.problems if p[0] not in {"drift", "missing-spec"}
    ]
    verb = "created" if outcome.committed is None else "updated"
    return f"{verb} {options.shown(path)}"


def run_testcase(
    testcase: Testcase,
    options: GateOptions,
    versions: Mapping[str, str],
    float64: Callable[[Testcase], F64Probe] | None = None,
) -> TestcaseResult:
    started = time.perf_counter()
    known = testcase.id in options.known_failures
    outcome = _run_float32(testcase, options, versions, known)
    written = _write_spec(testcase, outcome, options) if options.update else ""
    status, reason = _resolve(testcase, outcome, options)
    if written:
        reason = f"{written}; {reason}" if reason else written
    exported = not any(kind == "export-failed" for kind, _ in outcome.problems)
    if exported:
        probe = (float64 or probe_float64)(testcase)
    else:
        if float64 is not None:
            float64(testcase)  # the worker probed it anyway: take its answer off
        probe = F64Probe("not-probed", "the float32 variant does not export")
    return TestcaseResult(
        id=testcase.id,
        status=status,
        diff=outcome.diff,
        reason=reason,
        max_abs_error=outcome.max_abs_error,
        seconds=round(time.perf_counter() - started, 2),
        f64=probe,
    )


@contextlib.contextmanager
def quiet_libraries() -> Iterator[None]:
    """Library warnings are not findings; the gate reports what matters itself."""
    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    ort.set_default_logger_severity(4)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def enable_compilation_cache() -> str | None:
    """Keep XLA compilations across runs: most of a cold gate run is compiling.

    `GUARDRAILS_GATE_JAX_CACHE` names the folder (empty: no cache); by default it is
    under the user's cache folder, never in the repository. A cache the user already
    configured for JAX is left alone.
    """
    settings: Any = jax.config  # untyped in jax's stubs
    location = os.environ.get("GUARDRAILS_GATE_JAX_CACHE")
    if location == "" or settings.jax_compilation_cache_dir:
        return None
    if location is None:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        location = str(Path(base) / "guardrails" / "jax")
    settings.update("jax_compilation_cache_dir", location)
    settings.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return location


class Float64Worker:
    """The `run_only_f32_variant` probes, run by `guardrails.gate.f64_worker`."""

    def __init__(self, config: Config, testcases: Sequence[Testcase]) -> None:
        self._ids = [t.id for t in testcases if t.data.get("run_only_f32_variant")]
        self._received: dict[str, F64Probe] = {}
        # Closed in __exit__: the worker's stderr, for the reason if it dies.
        self._errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self._process: subprocess.Popen[str] | None = None
        if not self._ids:
            return
        self._process = subprocess.Popen(
            [sys.executable, "-m", "guardrails.gate.f64_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            text=True,
            cwd=config.root,
        )
        assert self._process.stdin is not None
        source = config.source or config.root / "pyproject.toml"
        request = {"config": str(source), "ids": self._ids}
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.close()

    def __enter__(self) -> Float64Worker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
        if self._process is not None:
            self._process.wait()
            assert self._process.stdout is not None
            self._process.stdout.close()
        self._errors.close()

    def _stopped(self) -> F64Probe:
        self._errors.seek(0)
        lines = [line for line in self._errors.read().splitlines() if line.strip()]
        last = lines[-1] if lines else "no output"
        return F64Probe("not-probed", f"the float64 worker stopped: {last}")

    def result(self, testcase: Testcase) -> F64Probe:
        """This testcase's probe, waiting for the worker as needed."""
        if testcase.id not in self._ids:
            return probe_float64(testcase)  # says why it is not probed
        process = self._process
        assert process is not None and process.stdout is not None
        while testcase.id not in self._received:
            line = process.stdout.readline()
            if not line:
                return self._stopped()
            data = json.loads(line)
            self._received[data["id"]] = F64Probe(data["status"], data["reason"])
        return self._received[testcase.id]


def run_all(
    config: Config,
    update: bool,
    only: str | None,
    on_result: Callable[[TestcaseResult], None],
) -> tuple[dict[str, str], list[TestcaseResult]]:
    versions = package_versions()
    enable_compilation_cache()
    with quiet_libraries(), contextlib.redirect_stdout(io.StringIO()):
        testcases = filter_only(select_testcases(config), only)
    options = GateOptions(
        update=update,
        only=only,
        known_failures=config.gate.known_failures,
        specs=(config.root / config.gate.specs),
        root=config.root,
    )
    results: list[TestcaseResult] = []
    with Float64Worker(config, testcases) as float64:
        for testcase in testcases:
            with quiet_libraries(), contextlib.redirect_stdout(io.StringIO()):
                result = run_testcase(testcase, options, versions, float64.result)
            results.append(result)
            on_result(result)
    return versions, results
