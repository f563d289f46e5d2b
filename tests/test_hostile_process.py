"""How a run ends when it is stopped: Ctrl-C, and a reader that goes away.

- Ctrl-C (SIGINT to the whole process group, as a terminal sends it) during a
  parallel cold check ends it promptly with exit 130 and no traceback, from the
  parent or a worker;
- `guardrails rules | head -1` ends quietly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fuzz_harness import JAX2ONNX_SOURCE

PROJECT = "[project]\nname = 'stopped'\n\n[tool.guardrails]\n"
PROMPT_SECONDS = 30


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text(encoding="ascii")
        found += [int(child) for child in text.split()]
    return found


def test_ctrl_c_during_a_parallel_check_exits_130_quietly(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    for attempt in range(3):
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "guardrails",
                "check",
                "--no-cache",
                "--exit-zero",
                str(JAX2ONNX_SOURCE),
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            # As a terminal's foreground job has it, whoever started the tests.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            # Wait for the pool's workers, then a moment more (each attempt
            # later), so the signal lands while files are being checked.
            deadline = time.monotonic() + PROMPT_SECONDS
            while len(_children(process.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(_children(process.pid)) >= 2, "no worker pool started"
            time.sleep(0.3 * attempt)
            os.killpg(process.pid, signal.SIGINT)
            stdout, stderr = process.communicate(timeout=PROMPT_SECONDS)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        assert process.returncode == 130, (attempt, stderr)
        assert stderr == "", (attempt, stderr)
        assert stdout == ""


def run_into_closed_pipe(
    arguments: list[str], cwd: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    """The command with its stdout a pipe nobody reads any more (`| head -1`
    once head has gone): every write fails with EPIPE, deterministically."""
    reading, writing = os.pipe()
    os.close(reading)
    try:
        return subprocess.run(
            arguments,
            cwd=cwd,
            stdout=writing,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
            check=False,
        )
    finally:
        os.close(writing)


def test_rules_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    completed = run_into_closed_pipe(
        [sys.executable, "-m", "guardrails", "rules"], tmp_path, 120
    )
    assert completed.stderr == "", completed.stderr
    assert completed.returncode == 141
