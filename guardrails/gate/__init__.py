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
from guardrails.findings import UsageError

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


def _append(path: Path, text: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as error:
        raise UsageError(
            f"{path}: cannot write the summary: {error.strerror}"
        ) from None


def run_gate(config: Config, args: argparse.Namespace) -> int:
    missing = _missing_packages()
    if missing:
        raise UsageError(
            f"the gate needs {', '.join(missing)}: pip install 'guardrails[gate]'"
        )
    from guardrails.gate.report import json_report, markdown_summary, text_line, verdict
    from guardrails.gate.runner import run_all

    started = time.perf_counter()
    as_text = args.format == "text"

    def show(result: object) -> None:
        if as_text:
            print(text_line(result), flush=True)  # type: ignore[arg-type]

    versions, results = run_all(config, args.update, args.only, show)
    line = verdict(results, time.perf_counter() - started)
    if as_text:
        print(line)
    else:
        sys.stdout.write(json_report(versions, results) + "\n")
    summary = markdown_summary(results, line)
    targets = [args.summary] if args.summary else []
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        targets.append(Path(os.environ["GITHUB_STEP_SUMMARY"]))
    for target in targets:
        _append(target, summary)
    from guardrails.gate.results import exit_code

    return exit_code(results)
