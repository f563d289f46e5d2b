"""Run the real `guardrails` command line on real files, in or out of process."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from guardrails.cli import main


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str


def run_main(*args: str, cwd: Path) -> Run:
    """`guardrails ARGS` through `guardrails.cli.main`, in `cwd`, output captured."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        contextlib.chdir(cwd),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        exit_code = main(list(args))
    return Run(exit_code, stdout.getvalue(), stderr.getvalue())


def run_process(*args: str, cwd: Path) -> Run:
    """`python -m guardrails ARGS` as a separate process, in `cwd`."""
    completed = subprocess.run(
        [sys.executable, "-m", "guardrails", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root
