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
from pathlib import Path

from guardrails.config import Config
from guardrails.gate.report_stream import report_stdout
from guardrails.types import UsageError

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
    from guardrails.gate.results import TestcaseResult, exit_code
    from guardrails.gate.runner import run_all

    started = time.perf_counter()
    as_text = args.format == "text"

    def show(result: TestcaseResult) -> None:
        if as_text:
            print(text_line(result, args.config), flush=True)

    with report_stdout():
        versions, results = run_all(config, args.update, args.only, show)
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
