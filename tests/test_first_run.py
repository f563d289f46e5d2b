"""A first run tells a newcomer what to do next; colour on a terminal only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.check_support import run_main, write_files
from tests.test_allowlist import ENTRY_ADD_CONST, PLUGIN

ONNX_IMPORTS = "".join(f"import onnx as o{index}\n" for index in range(25))


def test_flags_without_an_allowlist_name_the_sync_command(tmp_path: Path) -> None:
    write_files(tmp_path, {"jax2onnx/plugins/add.py": PLUGIN})
    run = run_main("check", "jax2onnx", cwd=tmp_path)
    assert run.exit_code == 1
    *findings, summary, reason, step = run.stdout.splitlines()
    assert [line.split()[1] for line in findings] == ["GR301", "GR303"]
    assert all("[[allow]]" not in line and len(line) < 140 for line in findings)
    assert summary == "Found 2 findings in 1 file checked."
    assert reason.startswith("2 of these are GR301/GR303")
    assert "there is no allowlist (guardrails-allowlist.toml) yet." in reason
    assert "`guardrails allowlist sync jax2onnx`" in step

    # Doing what it says makes the check pass.
    assert run_main("allowlist", "sync", "jax2onnx", cwd=tmp_path).exit_code == 0
    after = run_main("check", "jax2onnx", cwd=tmp_path)
    assert (after.exit_code, after.stdout) == (
        0,
        "All checks passed (1 file checked).\n",
    )


def test_an_allowlist_that_lists_few_of_them_is_named(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "jax2onnx/plugins/add.py": PLUGIN,
            "guardrails-allowlist.toml": ENTRY_ADD_CONST,
        },
    )
    run = run_main("check", "--package", "jax2onnx", "--no-cache", cwd=tmp_path)
    # The package is the installed release, not this tree: its flags are unlisted.
    lines = run.stdout.splitlines()
    assert "guardrails-allowlist.toml does not list them." in lines[-3]
    assert "`guardrails allowlist sync --package jax2onnx`" in lines[-2]
    assert lines[-1].startswith("Add --statistics")


def test_no_hint_when_flags_are_a_minority_or_the_output_is_data(
    tmp_path: Path,
) -> None:
    write_files(
        tmp_path,
        {"jax2onnx/plugins/add.py": PLUGIN, "jax2onnx/plugins/io.py": "import onnx\n"},
    )
    # Two flags and one import: the flags dominate.
    assert "GR301/GR303" in run_main("check", cwd=tmp_path).stdout
    write_files(tmp_path, {"jax2onnx/plugins/io.py": ONNX_IMPORTS})
    text = run_main("check", cwd=tmp_path).stdout
    assert "GR301/GR303" not in text
    assert text.splitlines()[-1].startswith("Add --statistics")
    statistics = run_main("check", "--statistics", cwd=tmp_path).stdout
    assert statistics.splitlines()[-1] == "Found 27 findings in 2 files checked."
    data = run_main("check", "--format", "json", cwd=tmp_path).stdout
    assert data.rstrip().endswith("}")


def _coloured_run(
    tree: Path, env: dict[str, str], *, terminal: bool
) -> tuple[int, bytes]:
    command = [sys.executable, "-m", "guardrails", "check", "--no-cache"]
    if not terminal:
        done = subprocess.run(
            command, cwd=tree, env=env, capture_output=True, timeout=600, check=False
        )
        return done.returncode, done.stdout
    import pty

    primary, secondary = pty.openpty()
    with subprocess.Popen(
        command, cwd=tree, env=env, stdout=secondary, stderr=subprocess.DEVNULL
    ) as process:
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal closes when the process ends
                break
            if not chunk:
                break
            chunks.append(chunk)
        status = process.wait(timeout=600)
    os.close(primary)
    return status, b"".join(chunks)


@pytest.mark.parametrize(
    ("terminal", "extra_env", "coloured"),
    [
        (True, {}, True),
        (True, {"NO_COLOR": "1"}, False),
        (False, {}, False),
        (False, {"FORCE_COLOR": "1"}, True),
    ],
)
def test_colour_on_a_terminal_only(
    tmp_path: Path, terminal: bool, extra_env: dict[str, str], coloured: bool
) -> None:
    write_files(tmp_path, {"jax2onnx/plugins/io.py": "import onnx\n"})
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("NO_COLOR", "FORCE_COLOR")
    }
    status, out = _coloured_run(tmp_path, {**env, **extra_env}, terminal=terminal)
    assert status == 1
    assert (b"\x1b[" in out) is coloured
    plain = out.replace(b"\r\n", b"\n")
    for code in (b"\x1b[1m", b"\x1b[1;31m", b"\x1b[36m", b"\x1b[0m"):
        plain = plain.replace(code, b"")
    assert plain.startswith(b"jax2onnx/plugins/io.py:1:8: GR101 ")
