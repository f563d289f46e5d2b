"""The gate's output: text lines as testcases finish, JSON, a markdown summary."""

from __future__ import annotations

import glob
import html
import json
import shlex
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from guardrails.gate.results import STATUSES, TestcaseResult
from guardrails.terminal import printable


def _error(value: float | None) -> str:
    return "-" if value is None else f"{value:.2g}"


def _f64(result: TestcaseResult) -> str:
    probe = result.f64
    if probe.status == "fails":
        return f"f64 fails ({probe.reason})"
    return f"f64 {probe.status}"


def _equimo(result: TestcaseResult) -> str:
    parity = result.equimo
    if parity is None:
        return ""
    onnx = "not compared (no export that runs)"
    if parity.onnx_max_abs_error is not None:
        onnx = (
            f"max {_error(parity.onnx_max_abs_error)} "
            f"mean {_error(parity.onnx_mean_abs_error)}"
        )
    return (
        f"    equimo {parity.reference}: JAX max {_error(parity.jax_max_abs_error)} "
        f"mean {_error(parity.jax_mean_abs_error)}, ONNX {onnx}  {parity.seconds:.1f}s"
    )


# What `--update` accepts: a drift or a spec not written yet.
ACCEPTABLE = frozenset({"drift", "missing-spec"})


def accept_command(testcase_id: str, config: Path | None = None) -> str:
    """The command that writes this one testcase's spec (its id as a literal glob)."""
    words = ["guardrails", "gate", "--update", "--only", glob.escape(testcase_id)]
    if config is not None:
        words += ["--config", str(config)]
    return shlex.join(words)


def text_line(result: TestcaseResult, config: Path | None = None) -> str:
    # Ids and reasons come from the gated code: shown, never obeyed.
    line = (
        f"{result.status:<13} {printable(result.id)}  "
        f"max err {_error(result.max_abs_error)}  "
        f"{printable(_f64(result))}  {result.seconds:.1f}s"
    )
    if result.cached:
        line += " (reused: nothing it depends on changed)"
    details = [_equimo(result)] if result.equimo is not None else []
    if result.reason:
        details.append(f"    {printable(result.reason)}")
    if result.diff:
        details += [f"    {printable(row)}" for row in result.diff.splitlines()]
    if result.status in ACCEPTABLE:
        command = accept_command(result.id, config)
        details.append(f"    to accept it: {printable(command)}")
    return "\n".join([line, *details])


def verdict(results: list[TestcaseResult], seconds: float) -> str:
    counts = Counter(result.status for result in results)
    parts = [f"{counts[s]} {s}" for s in STATUSES if counts[s]]
    failed = any(r.status not in {"match", "known-failure"} for r in results)
    outcome = "gate failed" if failed else "gate passed"
    reused = sum(result.cached for result in results)
    extra = f", {reused} reused" if reused else ""
    return (
        f"{outcome}: {', '.join(parts)} ({len(results)} testcases{extra}, "
        f"{seconds:.0f}s)"
    )


def json_report(versions: Mapping[str, str], results: list[TestcaseResult]) -> str:
    data = {
        "versions": dict(versions),
        "testcases": [result.to_json() for result in results],
    }
    return json.dumps(data, indent=2)


def summary_cell(text: str) -> str:
    """Text as one table cell that renders as itself: no markup, HTML or `|` of
    its own (a testcase id is the gated code's to choose), on one line."""
    escaped = html.escape(" ".join(printable(text).split()), quote=False)
    for char in "\\`*_[]|~#!":
        escaped = escaped.replace(char, f"&#{ord(char)};")
    return escaped


def markdown_summary(results: list[TestcaseResult], line: str) -> str:
    rows = [
        "## guardrails gate",
        "",
        "| testcase | status | max error | f64 | seconds |",
        "| --- | --- | --- | --- | --- |",
    ]
    for result in results:
        f64 = result.f64.status
        if result.f64.status == "fails":
            f64 = f"fails: {result.f64.reason}"
        rows.append(
            f"| <code>{summary_cell(result.id)}</code> | {result.status} "
            f"| {_error(result.max_abs_error)} "
            f"| {summary_cell(f64)} | {result.seconds:.1f} |"
        )
    rows += _equimo_rows(results)
    rows += ["", line, ""]
    return "\n".join(rows)


def _equimo_rows(results: list[TestcaseResult]) -> list[str]:
    """Equimo parity per compared testcase: a table of its own, under the first."""
    compared = [r for r in results if r.equimo is not None]
    if not compared:
        return []
    rows = [
        "",
        "### Equimo parity (max and mean abs error against Equimo's model)",
        "",
        "| testcase | Equimo model | JAX max | JAX mean | ONNX max | ONNX mean "
        "| seconds |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in compared:
        parity = result.equimo
        assert parity is not None
        rows.append(
            f"| <code>{summary_cell(result.id)}</code> "
            f"| {summary_cell(parity.reference)} "
            f"| {_error(parity.jax_max_abs_error)} "
            f"| {_error(parity.jax_mean_abs_error)} "
            f"| {_error(parity.onnx_max_abs_error)} "
            f"| {_error(parity.onnx_mean_abs_error)} | {parity.seconds:.1f} |"
        )
    return rows


def write_summary(stream: TextIO, text: str) -> None:
    stream.write(text)
