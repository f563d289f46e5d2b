"""Shared helpers: run the real engine over code written to a temporary tree."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from guardrails.config import Config
from guardrails.engine.paths import collect_files
from guardrails.engine.runner import check_files
from guardrails.rules import selected_rules
from guardrails.types import CheckResult

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

# Fixtures hold other projects' code, their tests included: data, not tests.
collect_ignore_glob = ["fixtures/*"]


def check_tree(
    root: Path, select: Sequence[str] = (), config: Config | None = None
) -> CheckResult:
    config = config or Config(root=root)
    files = collect_files([root], config.root, config.all_excludes)
    return check_files(files, config, selected_rules(select, ()), root)


def run_python(
    program: str, cwd: Path, *, check: bool = False, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -c program` in a fresh interpreter, so what it imports is its
    own; output captured as text."""
    return subprocess.run(
        [sys.executable, "-c", program],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout,
    )


@pytest.fixture
def write_tree(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(files: dict[str, str]) -> Path:
        for name, text in files.items():
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return tmp_path

    return write
