"""Bad files and folders end in a finding or a one-line error, never a
traceback, a hang or a silent pass.

- a file name that is not valid UTF-8, through the cache, every format,
  `--output`, `--fix` and `allowlist sync`;
- TOML nested past Python's recursion limit (pyproject, allowlist, `--config`);
- `--config` naming a FIFO or `/dev/zero`;
- a folder that cannot be read, and a file below folders nested past PATH_MAX,
  are GR002 findings;
- `exclude = ["**"]`: a warning that no file was checked;
- `--fix` leaves read-only and hard-linked files alone, and no `.tmp` file
  behind when it is stopped;
- the result cache is bounded: run folders are evicted, and a huge entry is
  never read whole.
"""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guardrails.bounded import RefusedFile, read_regular, read_up_to
from tests.conftest import run_python

PROJECT = "[project]\nname = 'files'\n\n[tool.guardrails]\n"
TIMEOUT_SECONDS = 120


def guardrails(
    root: Path, *args: str, timeout: float = TIMEOUT_SECONDS
) -> subprocess.CompletedProcess[bytes]:
    completed = subprocess.run(
        [sys.executable, "-m", "guardrails", *args],
        cwd=root,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    assert b"Traceback" not in completed.stderr, completed.stderr.decode(
        errors="replace"
    )
    return completed


def one_line_error(completed: subprocess.CompletedProcess[bytes]) -> None:
    assert completed.returncode == 2, completed
    assert completed.stderr.startswith(b"guardrails: error: "), completed.stderr
    assert completed.stderr.count(b"\n") == 1, completed.stderr


def project(root: Path, settings: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PROJECT + settings, encoding="utf-8")
    return root


# --- 10. a file name that is not UTF-8 ----------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        ("check", "--format", "text"),
        ("check", "--format", "json", "--no-cache"),
        ("check", "--format", "sarif"),
        ("check", "--format", "github"),
        ("check", "--output", "report.txt"),
        ("check", "--fix"),
        ("allowlist", "sync"),
    ],
)
def test_a_file_name_that_is_not_utf8(tmp_path: Path, options: tuple[str, ...]) -> None:
    root = project(tmp_path, 'extend-select = ["GR404"]\n')
    folder = root / "jax2onnx" / "converter"
    folder.mkdir(parents=True)
    name = os.fsencode(folder) + b"/bad\xff\xfe.py"
    with open(name, "wb") as stream:
        stream.write(b"import onnx\n")
    completed = guardrails(root, *options, ".")
    if options[0] == "allowlist":
        assert completed.returncode == 0, completed.stderr
        return
    assert completed.returncode == 1, completed.stderr
    report = completed.stdout
    if "--output" in options:
        report = (root / "report.txt").read_bytes()
    assert b"bad" in report and b"GR101" in report, report
    # Shown escaped, and the file is still there, unchanged but for its fix.
    assert b"\xff" not in report
    assert os.path.exists(name)


# --- 11, 12. settings files that are nested too deeply, FIFOs, devices ----------

DEEP = "a = " + "[" * 5000 + "]" * 5000 + "\n"


def test_toml_nested_past_the_recursion_limit(tmp_path: Path) -> None:
    root = project(tmp_path / "pyproject")
    (root / "pyproject.toml").write_text(PROJECT + DEEP, encoding="utf-8")
    one_line_error(guardrails(root, "check", "."))
    root = project(tmp_path / "allowlist")
    (root / "guardrails-allowlist.toml").write_text(DEEP, encoding="utf-8")
    one_line_error(guardrails(root, "allowlist", "sync", "."))
    root = project(tmp_path / "config")
    (root / "deep.toml").write_text("[tool.guardrails]\n" + DEEP, encoding="utf-8")
    one_line_error(guardrails(root, "check", "--config", "deep.toml", "."))


def test_config_naming_a_fifo_or_a_device(tmp_path: Path) -> None:
    root = project(tmp_path)
    os.mkfifo(root / "fifo.toml")
    one_line_error(guardrails(root, "check", "--config", "fifo.toml", ".", timeout=30))
    one_line_error(guardrails(root, "check", "--config", "/dev/zero", ".", timeout=30))
    (root / "zero.toml").symlink_to("/dev/zero")
    one_line_error(guardrails(root, "check", "--config", "zero.toml", ".", timeout=30))


# --- 16. folders that cannot be walked ------------------------------------------


# Root reads every folder whatever its mode, so as root the check runs without
# the two capabilities that let it (util-linux's setpriv).
AS_UNPRIVILEGED = (
    ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    if os.geteuid() == 0
    else []
)


def test_an_unreadable_folder_is_a_finding(tmp_path: Path) -> None:
    root = project(tmp_path)
    hidden = root / "jax2onnx" / "hidden"
    hidden.mkdir(parents=True)
    (hidden / "bad.py").write_text("import onnx\n", encoding="utf-8")
    hidden.chmod(0)
    try:
        completed = subprocess.run(
            [*AS_UNPRIVILEGED, sys.executable, "-m", "guardrails", "check", "."],
            cwd=root,
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    finally:
        hidden.chmod(0o755)
    assert b"Traceback" not in completed.stderr, completed.stderr
    assert completed.returncode == 1, completed
    assert b"jax2onnx/hidden" in completed.stdout and b"GR002" in completed.stdout


def test_a_file_below_path_max_deep_folders_is_a_finding(tmp_path: Path) -> None:
    root = project(tmp_path)
    # Each step made from the one before (relative), so no path passes PATH_MAX.
    descriptor = os.open(root, os.O_RDONLY)
    try:
        for _ in range(50):
            os.mkdir("d" * 100, dir_fd=descriptor)
            deeper = os.open("d" * 100, os.O_RDONLY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = deeper
        flags = os.O_WRONLY | os.O_CREAT
        written = os.open("bad.py", flags, 0o644, dir_fd=descriptor)
        os.write(written, b"import onnx\n")
        os.close(written)
    finally:
        os.close(descriptor)
    completed = guardrails(root, "check", "--no-cache", ".")
    assert completed.returncode == 1, completed.stderr
    assert b"GR002" in completed.stdout, completed.stdout
    assert b"All checks passed" not in completed.stdout


# --- 18. smaller: exclude everything, --fix, the cache's size ------------------


def test_excluding_everything_warns_that_nothing_was_checked(tmp_path: Path) -> None:
    root = project(tmp_path, 'exclude = ["**"]\n')
    (root / "bad.py").write_text("import onnx\n", encoding="utf-8")
    completed = guardrails(root, "check", ".")
    assert completed.returncode == 0
    assert b"guardrails: warning: no file was checked" in completed.stderr


def _unmarked(root: Path, name: str) -> Path:
    path = root / "jax2onnx" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x: int = 1\n", encoding="utf-8")
    return path


def test_fix_leaves_read_only_and_hard_linked_files_alone(tmp_path: Path) -> None:
    root = project(tmp_path, 'extend-select = ["GR404"]\n')
    read_only = _unmarked(root, "read_only.py")
    read_only.chmod(0o444)
    linked = _unmarked(root, "linked.py")
    os.link(linked, root / "other_name.txt")
    fixable = _unmarked(root, "fixable.py")
    completed = guardrails(root, "check", "--fix", "--no-cache", ".")
    assert read_only.read_text(encoding="utf-8") == "x: int = 1\n"
    assert read_only.stat().st_mode & 0o777 == 0o444
    assert linked.read_text(encoding="utf-8") == "x: int = 1\n"
    assert linked.stat().st_nlink == 2
    assert fixable.read_text(encoding="utf-8").startswith("# jax2onnx/fixable.py\n")
    warnings = completed.stderr.decode()
    assert "read_only.py" in warnings and "linked.py" in warnings
    assert "(not fixed)" in warnings


def test_fix_stopped_at_any_moment_leaves_no_temporary_file(tmp_path: Path) -> None:
    root = project(tmp_path, 'extend-select = ["GR404"]\n')
    generator = random.Random(19)
    for attempt in range(4):
        for index in range(300):
            _unmarked(root, f"f{index}.py")
        process = subprocess.Popen(
            [sys.executable, "-m", "guardrails", "check", "--fix", "--no-cache", "."],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        # Until the first file is fixed, then a random moment more.
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            if (root / "jax2onnx/f0.py").read_bytes().startswith(b"#"):
                break
            time.sleep(0.01)
        time.sleep(generator.uniform(0, 0.05))
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=TIMEOUT_SECONDS)
        assert b"Traceback" not in stderr, (attempt, stderr)
        leftovers = [p.name for p in root.rglob("*") if p.name.endswith(".tmp")]
        assert leftovers == [], (attempt, leftovers)


def test_the_cache_keeps_a_bounded_number_of_run_folders(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "a.py").write_text("x = 1\n", encoding="utf-8")
    codes = ["GR001", "GR002", "GR101", "GR102", "GR103", "GR104", "GR201"]
    codes += ["GR202", "GR203", "GR401", "GR402", "GR403"]
    for code in codes:
        guardrails(root, "check", "--select", code, ".")
    runs = [p for p in (root / ".guardrails_cache").iterdir() if p.is_dir()]
    assert 1 <= len(runs) <= 8, len(runs)


def test_a_huge_cache_entry_is_not_read_whole(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "a.py").write_text("import onnx\n", encoding="utf-8")
    guardrails(root, "check", ".")
    entries = [
        p
        for p in (root / ".guardrails_cache").rglob("*.json")
        if not p.name.startswith("catalogue")
    ]
    assert entries
    for entry in entries:
        os.truncate(entry, 1024**3)  # sparse: a gigabyte that takes no disk
    measure = (
        "import resource, subprocess, sys\n"
        "subprocess.run([sys.executable, '-m', 'guardrails', 'check', '.'],"
        " stdout=subprocess.DEVNULL)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    completed = run_python(measure, root, check=True, timeout=TIMEOUT_SECONDS)
    peak_kib = int(completed.stdout.split()[-1])
    assert peak_kib < 400 * 1024, peak_kib


def test_a_bounded_read_asks_for_the_stated_size_and_still_sees_growth() -> None:
    # What `fstat` says is asked for first; a file that grew since (or that
    # states no size, as /proc's do) is read on, up to one byte past the bound.
    grown = io.BytesIO(b"x" * 20)
    assert read_up_to(grown, expected=5, limit=100) == b"x" * 20
    assert read_up_to(io.BytesIO(b"x" * 20), expected=0, limit=10) == b"x" * 11
    assert read_up_to(io.BytesIO(b"x" * 20), expected=20, limit=100) == b"x" * 20


def test_a_settings_file_over_its_bound_is_refused(tmp_path: Path) -> None:
    settings = tmp_path / "pyproject.toml"
    settings.write_bytes(b"x" * 10)
    assert read_regular(settings, limit=10) == b"x" * 10
    settings.write_bytes(b"x" * 11)
    with pytest.raises(RefusedFile):
        read_regular(settings, limit=10)
