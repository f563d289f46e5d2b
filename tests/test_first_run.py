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
            "jax2onnx/plugins/sub.py": PLUGIN.replace("add", "sub"),
            "guardrails-allowlist.toml": ENTRY_ADD_CONST,
        },
    )
    run = run_main("check", "jax2onnx", cwd=tmp_path)
    lines = run.stdout.splitlines()
    assert "guardrails-allowlist.toml does not list them." in lines[-2]
    assert "`guardrails allowlist sync jax2onnx`" in lines[-1]


def test_the_readmes_first_run_in_a_clone_leaves_the_clone_alone(
    tmp_path: Path,
) -> None:
    """The README's first command checks the installed release from inside a
    project (guardrails' own clone, with an allowlist of its own): the hint
    points at jax2onnx's repository, and the sync it once suggested refuses to
    fill this project's allowlist with the release's entries."""
    write_files(
        tmp_path,
        {
            "pyproject.toml": "[tool.guardrails]\n",
            "guardrails-allowlist.toml": ENTRY_ADD_CONST,
        },
    )
    allowlist = (tmp_path / "guardrails-allowlist.toml").read_bytes()
    run = run_main("check", "--package", "jax2onnx", "--no-cache", cwd=tmp_path)
    assert run.exit_code == 1
    *_, reason, step, statistics = run.stdout.splitlines()
    assert reason.startswith("745 of these are GR301/GR303 flags")
    assert "of the installed jax2onnx (" in reason
    assert "site-packages/jax2onnx), which no allowlist here lists." in reason
    assert step == (
        "Adopt them in a checkout of jax2onnx's repository: run "
        "`guardrails allowlist sync .` there, then give each entry its reason."
    )
    assert statistics.startswith("Add --statistics")
    assert "--package" not in step

    # The command the hint once gave is refused, one line, nothing written.
    sync = run_main("allowlist", "sync", "--package", "jax2onnx", cwd=tmp_path)
    assert sync.exit_code == 2
    (error,) = sync.stderr.splitlines()
    assert error.startswith(
        "guardrails: error: 745 flagged testcases lie in an installed package ("
    )
    assert error.endswith(
        "site-packages/jax2onnx), not in this project: adopt them in a checkout of "
        "its repository (`guardrails allowlist sync .` there), or name the "
        "allowlist to write with --allowlist FILE"
    )
    assert (tmp_path / "guardrails-allowlist.toml").read_bytes() == allowlist
    assert sync.stdout == ""

    # Named explicitly, the entries go where they are told.
    elsewhere = tmp_path / "release-allowlist.toml"
    named = run_main(
        "allowlist",
        "sync",
        "--package",
        "jax2onnx",
        "--allowlist",
        str(elsewhere),
        cwd=tmp_path,
    )
    assert named.exit_code == 0, named.stderr
    assert elsewhere.read_text(encoding="utf-8").count("[[allow]]") == 745
    assert (tmp_path / "guardrails-allowlist.toml").read_bytes() == allowlist


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
