"""`guardrails gate`: export the gated jax2onnx examples and diff them against specs.

This package's `__init__` imports nothing heavy: jax, jax2onnx, onnx and onnxruntime
load only once `run_gate` has checked that the gate extra is installed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from guardrails.config import Config
from guardrails.gate.report_stream import report_stdout
from guardrails.types import UsageError

if TYPE_CHECKING:
    from guardrails.gate.results import TestcaseResult
    from guardrails.gate.verdict_cache import VerdictCache

# XLA's cheap backend settings: a cold gate run is mostly compiling the JAX reference
# and the examples' initialisers; the numbers compared do not change.
FAST_XLA_FLAGS = (
    "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
)
GATE_PACKAGES = (
    "jax",
    "jax2onnx",
    "onnx",
    "onnx_ir",
    "onnxruntime",
    "equinox",
    "equimo",
)


def _missing_packages() -> list[str]:
    missing = []
    for name in GATE_PACKAGES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def _write(path: Path, text: str, mode: str) -> None:
    try:
        with path.open(mode, encoding="utf-8") as stream:
            stream.write(text)
    except OSError as error:
        raise UsageError(
            f"{path}: cannot write the summary: {error.strerror}"
        ) from None


SUMMARY_HEADING = "## guardrails gate"


def _refuse_summary_over_other_file(summary: Path) -> None:
    """`--summary` replaces nothing but an earlier summary (or an empty file):
    naming a source file, a spec or a folder is refused before the run."""
    if summary.is_dir():
        raise UsageError(f"--summary {summary}: is a directory")
    try:
        if not summary.exists():
            return
        if not summary.is_file():  # a FIFO would block the write
            raise UsageError(f"--summary {summary}: is not a regular file")
        if summary.stat().st_size == 0:
            return
        with summary.open("rb") as stream:
            start = stream.read(len(SUMMARY_HEADING))
    except OSError as error:
        raise UsageError(
            f"--summary {summary}: cannot read: {error.strerror or error}"
        ) from None
    if start != SUMMARY_HEADING.encode():
        raise UsageError(
            f"--summary {summary}: exists and is not a gate summary (not replaced)"
        )


def _cache_folder(root: Path) -> Path | None:
    from guardrails.engine.cache import Cache

    cache = Cache.at(root)
    return cache.folder if cache is not None else None


def _run(
    config: Config,
    args: argparse.Namespace,
    show: Callable[[TestcaseResult], None],
    cache: VerdictCache | None,
    reading: bool,
) -> list[TestcaseResult]:
    """Export what the cache cannot answer for (everything unless `reading`), and
    record for the cache what each export executed."""
    from guardrails.gate.executed import ExecutedFiles

    fresh = "jax2onnx" not in sys.modules  # else its imports ran untraced
    watched = [cache.package] if cache is not None else []
    with ExecutedFiles(watched) as importing:
        from guardrails.gate.runner import RunRecord, merged, run_all
    record = RunRecord()
    _, results = run_all(
        config,
        args.update,
        args.only,
        show,
        cache.lookup if cache is not None and reading else None,
        watched,
        record,
        parallel=args.parallel,
    )
    # An --update run's reasons say what it wrote: not a verdict to repeat.
    if cache is not None and fresh and not args.update:
        imports = merged(importing.called, record.import_usage)
        loaded = [sys.modules.get(name) for name in config.gate.modules]
        modules = [str(m.__file__) for m in loaded if m and m.__file__]
        cache.store(record.selection, imports, modules, record.usage, results)
    return results


def run_gate(config: Config, args: argparse.Namespace) -> int:
    """Run the gate; 0 when everything matches, 1 on any failure (see the README)."""
    if args.summary:
        _refuse_summary_over_other_file(args.summary)
    missing = _missing_packages()
    if missing:
        raise UsageError(
            f"the gate needs {', '.join(missing)}: pip install 'guardrails[gate]'"
        )
    if "jax" not in sys.modules and "XLA_FLAGS" not in os.environ:
        os.environ["XLA_FLAGS"] = FAST_XLA_FLAGS  # read once, when jax starts
    from guardrails.gate.report import json_report, markdown_summary, text_line, verdict
    from guardrails.gate.results import exit_code
    from guardrails.gate.verdict_cache import VerdictCache
    from guardrails.gate.versions import package_versions

    started = time.perf_counter()
    as_text = args.format == "text"

    def show(result: TestcaseResult) -> None:
        if as_text:
            print(text_line(result, args.config), flush=True)

    versions = package_versions()
    cache = VerdictCache.open(config, versions, _cache_folder(config.root))
    reading = cache is not None and not args.no_cache and not args.update
    replayed = cache.replay(args.only) if cache is not None and reading else None
    with report_stdout():
        if replayed is not None:
            results = replayed
            for result in results:
                show(result)
        else:
            results = _run(config, args, show, cache, reading)
        line = verdict(results, time.perf_counter() - started)
        if as_text:
            print(line)
        else:
            sys.stdout.write(json_report(versions, results) + "\n")
    summary = markdown_summary(results, line)
    if args.summary:
        _write(args.summary, summary, "w")
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        _write(Path(step_summary), summary, "a")
    return exit_code(results)
