"""Bad input never ends the run: it is a GR001/GR002 finding or a one-line error.

Also: checking is static (nothing checked is imported or run), symbolic-link loops
end, and the rest of the tree is still checked.
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.check_support import run_main, run_process, write_files

VIOLATION = "import onnx\n"  # GR101 at 1:8 under plugins/


def findings(run_stdout: str) -> list[tuple[str, int, int, str, str]]:
    report = json.loads(run_stdout)
    return [
        (f["path"], f["line"], f["column"], f["code"], f["message"])
        for f in report["findings"]
    ]


def check_json(cwd: Path, *args: str) -> list[tuple[str, int, int, str, str]]:
    run = run_main("check", "--format", "json", *args, cwd=cwd)
    assert run.stderr == ""
    return findings(run.stdout)


def test_syntax_error_is_gr001_at_its_position_and_the_rest_is_checked(
    tmp_path: Path,
) -> None:
    write_files(
        tmp_path,
        {
            "jax2onnx/plugins/a_broken.py": "x = 1\ndef broken(:\n    pass\n",
            "jax2onnx/plugins/b_unclosed.py": "values = [1, 2,\n",
            "jax2onnx/plugins/c_fine.py": VIOLATION,
        },
    )
    assert check_json(tmp_path) == [
        (
            "jax2onnx/plugins/a_broken.py",
            2,
            12,
            "GR001",
            "syntax error: invalid syntax",
        ),
        (
            "jax2onnx/plugins/b_unclosed.py",
            1,
            10,
            "GR001",
            "syntax error: '[' was never closed",
        ),
        (
            "jax2onnx/plugins/c_fine.py",
            1,
            8,
            "GR101",
            "ONNX protobuf import `onnx` in IR-only code: use `onnx_ir`",
        ),
    ]


def test_bad_input_is_reported_whatever_is_selected_unless_ignored(
    tmp_path: Path,
) -> None:
    write_files(tmp_path, {"jax2onnx/broken.py": "def broken(:\n"})
    assert [f[3] for f in check_json(tmp_path, "--select", "GR104")] == ["GR001"]
    assert check_json(tmp_path, "--ignore", "GR001") == []


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (
            b"x = 1\ny = '\xff'\n",
            2,
            "cannot decode file as utf-8: invalid start byte",
        ),
        (b"x = 1\n\n\0\n", 3, "file contains a NUL byte"),
        (
            b"# -*- coding: no-such-codec -*-\nx = 1\n",
            1,
            "cannot decode file: unknown encoding: no-such-codec",
        ),
    ],
    ids=["invalid-utf8", "nul-byte", "unknown-coding"],
)
def test_undecodable_file_is_gr002(
    tmp_path: Path, content: bytes, line: int, message: str
) -> None:
    write_files(
        tmp_path,
        {"jax2onnx/plugins/bad.py": content, "jax2onnx/plugins/good.py": VIOLATION},
    )
    assert check_json(tmp_path) == [
        ("jax2onnx/plugins/bad.py", line, 1, "GR002", message),
        (
            "jax2onnx/plugins/good.py",
            1,
            8,
            "GR101",
            "ONNX protobuf import `onnx` in IR-only code: use `onnx_ir`",
        ),
    ]


def test_a_coding_cookie_is_honoured(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "jax2onnx/plugins/latin.py": (
                b"# -*- coding: latin-1 -*-\nname: str = '\xe9'\n"
            )
        },
    )
    assert check_json(tmp_path) == []


def test_dangling_symlink_is_gr002_walked_or_named(tmp_path: Path) -> None:
    write_files(tmp_path, {"jax2onnx/plugins/good.py": VIOLATION})
    (tmp_path / "jax2onnx/plugins/gone.py").symlink_to("no_such_target.py")
    expected = (
        "jax2onnx/plugins/gone.py",
        1,
        1,
        "GR002",
        "cannot read file: No such file or directory",
    )
    assert check_json(tmp_path)[0] == expected
    assert check_json(tmp_path, "jax2onnx/plugins/gone.py") == [expected]


def test_a_fifo_named_on_the_command_line_is_gr002_not_a_hang(
    tmp_path: Path,
) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    run = run_process("check", "--format", "json", "pipe.py", cwd=tmp_path)
    assert run.exit_code == 1
    assert findings(run.stdout) == [("pipe.py", 1, 1, "GR002", "not a regular file")]


PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE = 1
CAP_DAC_READ_SEARCH = 2


def drop_file_permission_override() -> None:
    """Run in the child before exec: without these two capabilities even root
    obeys file permissions, so a mode-000 file really refuses to be read."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def test_permission_denied_is_gr002(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "jax2onnx/plugins/secret.py": VIOLATION,
            "jax2onnx/plugins/open.py": VIOLATION,
        },
    )
    (tmp_path / "jax2onnx/plugins/secret.py").chmod(0o000)
    as_root = os.geteuid() == 0
    completed = subprocess.run(
        [sys.executable, "-m", "guardrails", "check", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        preexec_fn=drop_file_permission_override if as_root else None,
    )
    assert completed.stderr == ""
    assert findings(completed.stdout) == [
        (
            "jax2onnx/plugins/open.py",
            1,
            8,
            "GR101",
            "ONNX protobuf import `onnx` in IR-only code: use `onnx_ir`",
        ),
        (
            "jax2onnx/plugins/secret.py",
            1,
            1,
            "GR002",
            "cannot read file: Permission denied",
        ),
    ]


def test_symlink_loops_end_and_each_file_is_checked_once(tmp_path: Path) -> None:
    write_files(tmp_path, {"jax2onnx/plugins/a.py": VIOLATION})
    (tmp_path / "jax2onnx/plugins/back_to_pkg").symlink_to(tmp_path / "jax2onnx")
    (tmp_path / "jax2onnx/self_loop.py").symlink_to("self_loop.py")
    run = run_main("check", "--format", "json", cwd=tmp_path)
    report = json.loads(run.stdout)
    assert [(f["path"], f["code"]) for f in report["findings"]] == [
        ("jax2onnx/plugins/a.py", "GR101"),
        ("jax2onnx/self_loop.py", "GR002"),
    ]
    assert report["files_checked"] == 2
    named = check_json(tmp_path, "jax2onnx/self_loop.py")
    assert [(path, code) for path, _, _, code, _ in named] == [
        ("jax2onnx/self_loop.py", "GR002")
    ]


def test_missing_path_is_a_one_line_error_even_among_good_ones(
    tmp_path: Path,
) -> None:
    write_files(tmp_path, {"jax2onnx/plugins/a.py": VIOLATION})
    run = run_process("check", "jax2onnx", "jax2onnx/nope", cwd=tmp_path)
    assert (run.exit_code, run.stdout) == (2, "")
    assert run.stderr == "guardrails: error: jax2onnx/nope: no such file or directory\n"


def test_checking_never_imports_or_runs_the_checked_code(tmp_path: Path) -> None:
    marker = tmp_path / "imported.marker"
    side_effect = f"open({str(marker)!r}, 'w').close()\n"
    write_files(
        tmp_path,
        {
            "jax2onnx/__init__.py": side_effect,
            "jax2onnx/plugins/__init__.py": side_effect,
            "jax2onnx/plugins/hook.py": side_effect + "import onnx\n",
            "conftest.py": side_effect,
            "setup.py": side_effect,
        },
    )
    walked = run_process("check", "--select", "GR101", cwd=tmp_path)
    assert walked.exit_code == 1
    assert "jax2onnx/plugins/hook.py:2:8: GR101" in walked.stdout
    # `--package` finds the package's folder without importing it.
    completed = subprocess.run(
        [sys.executable, "-m", "guardrails", "check", "--package", "jax2onnx"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 1
    assert "GR101" in completed.stdout
    assert not marker.exists()
