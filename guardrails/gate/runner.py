"""The gate's orchestration: select the gated testcases, and per testcase export
it (`export`), judge its numbers (`numerics`), write its spec when asked, and
resolve one status against the known failures. The float64 probes run in a
worker process of their own (`f64_worker`) beside the float32 work.

Everything heavy (jax, jax2onnx, onnx, onnxruntime) is imported here and in the
modules beside it, which only `run_gate` imports, once the gate extra is known
to be installed.
"""

from __future__ import annotations

import contextlib
import fnmatch
import gc
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import onnxruntime as ort  # type: ignore[import-untyped]
from jax2onnx.plugins.plugin_system import (  # type: ignore[import-untyped]
    EXAMPLE_REGISTRY,
    import_all_plugins,
)

from guardrails.config import Config
from guardrails.gate import equimo_parity
from guardrails.gate.executed import ExecutedFiles
from guardrails.gate.export import (
    Testcase,
    compare_spec,
    export_model,
    export_problems,
    instantiate,
)
from guardrails.gate.numerics import (
    compare_session,
    probe_float64,
    saved,
    session_for,
)
from guardrails.gate.results import F64Probe, TestcaseResult, one_line
from guardrails.gate.spec import Spec
from guardrails.gate.spec_files import UnsafeSpecPath, checked_spec_path, write_spec
from guardrails.gate.versions import package_versions
from guardrails.types import UsageError

_NOISY_LOGGERS = ("jax2onnx", "onnx_ir", "jax._src.xla_bridge")


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


# ---------------------------------------------------------------- per testcase


@dataclass
class _Outcome:
    problems: list[tuple[str, str]]
    diff: str = ""
    max_abs_error: float | None = None
    spec: Spec | None = None
    committed: str | None = None
    instance: Any = None  # the testcase's callable and its export, for Equimo parity
    model: Any = None


def _run_float32(
    testcase: Testcase, options: GateOptions, versions: Mapping[str, str], known: bool
) -> _Outcome:
    outcome = _Outcome(problems=[])
    try:
        fn = outcome.instance = instantiate(testcase, jnp.float32)
        model = outcome.model = export_model(testcase, fn, double=False)
    except Exception as error:  # whatever the exporter raises is the finding
        outcome.problems.append(("export-failed", one_line(error)))
        return outcome
    with saved(model) as saved_path:
        outcome.problems += export_problems(testcase, model, saved_path)
        if not known:
            path = testcase.spec_path(options.specs)
            try:
                # A spec through a link, or outside the specs folder, is never read.
                checked_spec_path(path, options.specs, options.root)
                spec, committed, problems, diff = compare_spec(
                    testcase, model, versions, path, options.shown(path)
                )
            except UnsafeSpecPath as error:
                outcome.problems.append(("check-failed", f"spec refused: {error}"))
            except Exception as error:  # an export the spec builder cannot describe
                outcome.problems.append(("check-failed", f"spec: {one_line(error)}"))
            else:
                outcome.spec, outcome.committed, outcome.diff = spec, committed, diff
                outcome.problems += problems
        # The file is read by onnxruntime, which keeps its own copy of the weights.
        try:
            session = session_for(saved_path)
        except Exception as exc:  # onnxruntime refusing the model is the finding
            outcome.problems.append(("parity-failed", one_line(exc)))
            return outcome
    try:
        worst, failure = compare_session(testcase, fn, session, np.float32)
        outcome.max_abs_error = worst
        if failure:
            outcome.problems.append(("parity-failed", failure))
    except Exception as exc:  # onnxruntime or JAX refusing to run is the finding
        outcome.problems.append(("parity-failed", one_line(exc)))
    return outcome


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
    try:
        write_spec(path, options.specs, options.root, text)
    except (UnsafeSpecPath, OSError) as error:
        reason = getattr(error, "strerror", None) or error
        outcome.problems.append(
            ("check-failed", f"cannot write {options.shown(path)}: {reason}")
        )
        return ""
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
    parity = None
    if outcome.instance is not None:
        # onnxruntime sees the export only when the gate's own run of it worked.
        runs = not any(kind == "parity-failed" for kind, _ in outcome.problems)
        exported = outcome.model if runs else None
        parity = equimo_parity.check(testcase.id, outcome.instance, exported)
        status, reason = equimo_parity.verdict(status, reason, parity)
    outcome.instance = outcome.model = None
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
        equimo=parity,
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
        # The jax2onnx functions each probe ran (see `executed`).
        self.usage: dict[str, dict[str, set[str]]] = {}
        # Closed in __exit__: the worker's stderr, for the reason if it dies.
        self._errors = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self._process: subprocess.Popen[str] | None = None
        if not self._ids:
            return
        # Answers come through a pipe of their own, never the worker's stdout,
        # where the gated code may write (`gate.f64_worker`).
        answers, writing_end = os.pipe()
        try:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-P",
                    "-m",
                    "guardrails.gate.f64_worker",
                    str(writing_end),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=self._errors,
                pass_fds=(writing_end,),
                text=True,
                cwd=config.root,
            )
        except BaseException:
            os.close(answers)
            raise
        finally:
            os.close(writing_end)
        self._answers = os.fdopen(answers, "r", encoding="utf-8")
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
            self._answers.close()
        self._errors.close()

    def _stopped(self) -> F64Probe:
        self._errors.seek(0)
        lines = [line for line in self._errors.read().splitlines() if line.strip()]
        last = lines[-1] if lines else "no output"
        return F64Probe("not-probed", f"the float64 worker stopped: {last}")

    def result(self, testcase: Testcase) -> F64Probe:
        """This testcase's probe, waiting for the worker as needed."""
        if testcase.id not in self._ids:
            if testcase.data.get("run_only_f32_variant"):
                # Probed here: the float32 work's arrays and compiled functions
                # go first, so the peak is the float64 export's alone.
                release_memory()
            return probe_float64(testcase)  # or says why it is not probed
        assert self._process is not None
        while testcase.id not in self._received:
            line = self._answers.readline()
            if not line:
                return self._stopped()
            try:
                data = json.loads(line)
                probe = F64Probe(str(data["status"]), str(data["reason"]))
                usage = {
                    str(path): {str(name) for name in names}
                    for path, names in data.get("usage", {}).items()
                }
            except (ValueError, TypeError, KeyError, AttributeError):
                continue  # not an answer: whatever wrote it, it is no probe
            self._received[str(data["id"])] = probe
            self.usage[str(data["id"])] = usage
        return self._received[testcase.id]


Usage = dict[str, set[str]]  # file -> qualified names of the functions run there


@dataclass
class RunRecord:
    """What the verdict cache keeps of a run: every gated testcase id, the watched
    functions that ran while the plugins were imported, and per exported testcase
    those its float32 work and float64 probe ran."""

    selection: list[str] = field(default_factory=list)
    import_usage: Usage = field(default_factory=dict)
    usage: dict[str, Usage] = field(default_factory=dict)


def merged(*usages: Usage) -> Usage:
    total: Usage = {}
    for usage in usages:
        for path, names in usage.items():
            total.setdefault(path, set()).update(names)
    return total


def run_all(
    config: Config,
    update: bool,
    only: str | None,
    on_result: Callable[[TestcaseResult], None],
    reuse: Callable[[list[str]], Mapping[str, TestcaseResult]] | None = None,
    watched: Sequence[Path] = (),
    record: RunRecord | None = None,
    parallel: bool = False,
) -> tuple[dict[str, str], list[TestcaseResult]]:
    """Run the selected testcases; those `reuse` answers for are not run again.

    The float64 probes run after each testcase's float32 work, in this process
    (x64 mode is scoped to the probe), so the peak is one export's; `parallel`
    runs them in a worker process beside it instead: faster on two cores, with
    both processes' memory at once."""
    versions = package_versions()
    enable_compilation_cache()
    record = record if record is not None else RunRecord()
    with quiet_libraries(), contextlib.redirect_stdout(io.StringIO()):
        with ExecutedFiles(watched) as importing:
            everything = select_testcases(config)
        testcases = filter_only(everything, only)
    record.selection = [t.id for t in everything]
    record.import_usage = importing.called
    reused = reuse([t.id for t in testcases]) if reuse is not None else {}
    options = GateOptions(
        update=update,
        only=only,
        known_failures=config.gate.known_failures,
        specs=(config.root / config.gate.specs),
        root=config.root,
    )
    results: list[TestcaseResult] = []
    to_run = [t for t in testcases if t.id not in reused]
    with Float64Worker(config, to_run if parallel else []) as float64:
        for testcase in testcases:
            result = reused.get(testcase.id)
            if result is None:
                with (
                    quiet_libraries(),
                    contextlib.redirect_stdout(io.StringIO()),
                    ExecutedFiles(watched) as executed,
                ):
                    result = run_testcase(testcase, options, versions, float64.result)
                probed = float64.usage.get(testcase.id, {})
                record.usage[testcase.id] = merged(executed.called, probed)
                release_memory()
            results.append(result)
            on_result(result)
    return versions, results


def release_memory() -> None:
    """A testcase's arrays, compiled functions and sessions go before the next
    one's are made, so the peak is the largest testcase, not the sum."""
    jax.clear_caches()  # type: ignore[no-untyped-call]
    gc.collect()
