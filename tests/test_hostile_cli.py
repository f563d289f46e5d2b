"""The command line against hostile use: links, clashing paths, killed parents,
odd package names, silent configuration mistakes and malformed arguments.

Every case runs the real command line on real files built in `tmp_path`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest

from tests.check_support import run_main, run_process, write_files

PLUGIN = textwrap.dedent(
    """\
    from jax2onnx.plugins.plugin_system import register_primitive


    @register_primitive(
        jaxpr_primitive="add",
        context="primitives.lax",
        component="add",
        testcases=[
            {
                "testcase": "add_const",
                "callable": lambda x: x + 1.0,
                "run_only_f32_variant": True,
            },
        ],
    )
    class AddPlugin:
        pass
    """
)
KEPT_ENTRY = """\
# shared between checkouts
[[allow]]
flag = "skip_numeric_validation"
context = "primitives.other"
reason = "kept as written"
"""


def one_error_line(stderr: str) -> str:
    """The message of the single `guardrails: error:` line that is all of stderr."""
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("guardrails: error: "), stderr
    return stderr.removeprefix("guardrails: error: ").rstrip("\n")


# ------------------------------------------------- allowlist sync through a link


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_sync_writes_through_a_linked_allowlist_and_keeps_the_link(
    tmp_path: Path, relative: bool
) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\n',
            "pkg/plugins/add.py": PLUGIN,
            "shared/allow.toml": KEPT_ENTRY,
        },
    )
    shared = tmp_path / "shared/allow.toml"
    shared.chmod(0o640)
    link = tmp_path / "guardrails-allowlist.toml"
    link.symlink_to(Path("shared/allow.toml") if relative else shared)

    run = run_main("allowlist", "sync", cwd=tmp_path)

    assert run.exit_code == 0, run.stderr
    assert link.is_symlink()
    assert os.readlink(link) == str(Path("shared/allow.toml") if relative else shared)
    text = shared.read_text(encoding="utf-8")
    assert text.startswith(KEPT_ENTRY)
    assert [entry["context"] for entry in tomllib.loads(text)["allow"]] == [
        "primitives.other",
        "primitives.lax",
    ]
    assert shared.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in shared.parent.iterdir()) == ["allow.toml"]


def test_sync_follows_a_chain_of_links_and_refuses_a_loop(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\n',
            "pkg/plugins/add.py": PLUGIN,
            "real.toml": KEPT_ENTRY,
        },
    )
    (tmp_path / "middle.toml").symlink_to("real.toml")
    (tmp_path / "guardrails-allowlist.toml").symlink_to("middle.toml")
    assert run_main("allowlist", "sync", cwd=tmp_path).exit_code == 0
    assert (tmp_path / "middle.toml").is_symlink()
    assert "add_const" in (tmp_path / "real.toml").read_text(encoding="utf-8")

    from guardrails.allowlist import write_atomically
    from guardrails.types import UsageError

    loop = tmp_path / "loop.toml"
    loop.symlink_to("loop.toml")
    with pytest.raises(UsageError, match=r"loop\.toml: cannot write: "):
        write_atomically(loop, "")
    assert loop.is_symlink()


# ------------------------------------------------------------ killed parent


def _key_module(functions: int) -> str:
    """A module whose functions GR203 has to follow, so every file is parsed."""
    return "import jax\n\n" + "".join(
        f"def step_{i}(key, x):\n"
        "    key, sub = jax.random.split(key)\n"
        f"    return key, jax.random.normal(sub, x.shape) * {i}\n\n"
        for i in range(functions)
    )


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, parent, ...)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _children(parent: int) -> set[int]:
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _proc_stat(int(entry.name))
            if fields is not None and int(fields[1]) == parent:
                children.add(int(entry.name))
    return children


def _running(pid: int) -> bool:
    fields = _proc_stat(pid)
    return fields is not None and fields[0] != "Z"  # a zombie has exited


def test_pool_workers_exit_when_the_parent_is_killed(tmp_path: Path) -> None:
    # Well over the pool's threshold: every core gets a worker.
    text = _key_module(60)
    for number in range(150):
        write_files(tmp_path, {f"pkg/part{number % 5}/m{number}.py": text})
    check = subprocess.Popen(
        [sys.executable, "-m", "guardrails", "check", "--no-cache", "."],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while not workers and check.poll() is None and time.monotonic() < deadline:
            workers = _children(check.pid)
            time.sleep(0.01)
        assert workers, "the check ended before its workers could be seen"
        check.kill()
        check.wait()
        deadline = time.monotonic() + 30
        while any(map(_running, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(_running, workers)), "orphaned workers kept running"
    finally:
        check.kill()
        check.wait()
        for pid in workers:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)


# ------------------------------------------------- --output over a checked file


@pytest.mark.parametrize(
    "output",
    ["jax2onnx/plugins/a.py", "./jax2onnx/../jax2onnx/plugins/a.py", "link.txt"],
    ids=["same-path", "another-spelling", "link-to-it"],
)
def test_output_that_is_a_checked_file_is_refused_before_anything_is_written(
    tmp_path: Path, output: str
) -> None:
    source = "import onnx\n"
    write_files(tmp_path, {"jax2onnx/plugins/a.py": source})
    (tmp_path / "link.txt").symlink_to("jax2onnx/plugins/a.py")

    run = run_main("check", "--output", output, cwd=tmp_path)

    assert (run.exit_code, run.stdout) == (2, "")
    assert (
        one_error_line(run.stderr)
        == f"--output {Path(output)}: is one of the checked files"
    )
    assert (tmp_path / "jax2onnx/plugins/a.py").read_text(encoding="utf-8") == source
    assert sorted(p.name for p in tmp_path.iterdir()) == ["jax2onnx", "link.txt"]


def test_output_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    write_files(tmp_path, {"jax2onnx/plugins/a.py": "import onnx\n"})
    run = run_main("check", "--output", "jax2onnx", cwd=tmp_path)
    assert run.exit_code == 2
    assert one_error_line(run.stderr) == "--output jax2onnx: is a directory"


def test_output_beside_the_checked_files_is_still_written(tmp_path: Path) -> None:
    write_files(tmp_path, {"jax2onnx/plugins/a.py": "import onnx\n", "old.txt": ""})
    run = run_main("check", "--output", "old.txt", cwd=tmp_path)
    assert (run.exit_code, run.stderr) == (1, "")
    assert "GR101" in (tmp_path / "old.txt").read_text(encoding="utf-8")


# ------------------------------------------------------------- --package NAME


def _check_package(
    tmp_path: Path, name: str, *pythonpath: Path
) -> subprocess.CompletedProcess[str]:
    """`guardrails check --package NAME` in a process that sees `pythonpath`."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [*map(str, pythonpath), *filter(None, [env.get("PYTHONPATH")])]
    )
    return subprocess.run(
        [sys.executable, "-m", "guardrails", "check", "--package", name],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_package_checks_every_folder_of_a_namespace_package(tmp_path: Path) -> None:
    # `spread` has no __init__.py: one package made of two folders on the path.
    write_files(
        tmp_path,
        {
            "first/spread/jax2onnx/plugins/a.py": "import onnx\n",
            "second/spread/jax2onnx/plugins/b.py": "import onnx.helper\n",
            "second/spread/jax2onnx/converter/c.py": "import onnx\n",
        },
    )
    paths = (tmp_path / "first", tmp_path / "second")
    for name in ("spread", "spread.jax2onnx", "spread.jax2onnx.plugins"):
        run = _check_package(tmp_path, name, *paths)
        found = [line.split(":")[0] for line in run.stdout.splitlines()[:-1]]
        expected = [
            "first/spread/jax2onnx/plugins/a.py",
            "second/spread/jax2onnx/plugins/b.py",
        ]
        if not name.endswith("plugins"):
            expected.append("second/spread/jax2onnx/converter/c.py")
        assert (run.returncode, found) == (1, sorted(expected)), run.stderr


def test_package_keeps_to_the_first_regular_package_as_imports_do(
    tmp_path: Path,
) -> None:
    write_files(
        tmp_path,
        {
            "first/spread/sub/__init__.py": "",
            "first/spread/sub/a.py": "import onnx\n",
            "second/spread/sub/b.py": "import onnx\n",
        },
    )
    run = _check_package(
        tmp_path, "spread.sub", tmp_path / "first", tmp_path / "second"
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "All checks passed (2 files checked).\n"


@pytest.mark.parametrize(
    "name", ["", "jax2onnx./etc", "jax2onnx..plugins", "../jax2onnx", "jax2onnx/"]
)
def test_package_name_must_be_a_dotted_module_name(tmp_path: Path, name: str) -> None:
    run = run_main("check", "--package", name, cwd=tmp_path)
    assert (run.exit_code, run.stdout) == (2, "")
    assert one_error_line(run.stderr) == f"--package {name!r}: not a dotted module name"


# ------------------------------------------------ silent configuration mistakes


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            "select = ['']",
            "pyproject.toml: tool.guardrails.select: empty rule code",
        ),
        (
            "ignore = ['GR1', ' ']",
            "pyproject.toml: tool.guardrails.ignore: empty rule code",
        ),
        (
            "select = ['GR9']",
            "pyproject.toml: tool.guardrails.select: unknown rule code or prefix: GR9",
        ),
        (
            "ignore = ['GR1', 'XY1']",
            "pyproject.toml: tool.guardrails.ignore: unknown rule code or prefix: XY1",
        ),
        (
            "exclude = ['pkg/[ab']",
            "pyproject.toml: tool.guardrails.exclude: unbalanced '[' in glob 'pkg/[ab'",
        ),
        (
            "extend-exclude = ['']",
            "pyproject.toml: tool.guardrails.extend-exclude: empty glob",
        ),
        (
            "ir-only-paths = ['**/[z-a]/**']",
            "pyproject.toml: tool.guardrails.ir-only-paths: "
            "invalid glob '**/[z-a]/**': bad character range z-a",
        ),
        (
            "key-names = ['key', 'k[0-9']",
            "pyproject.toml: tool.guardrails.key-names: unbalanced '[' in glob 'k[0-9'",
        ),
    ],
    ids=[
        "empty-select",
        "blank-ignore",
        "unknown-select",
        "unknown-ignore",
        "unbalanced-exclude",
        "empty-glob",
        "bad-range",
        "unbalanced-key-name",
    ],
)
def test_configuration_mistakes_name_the_file_and_key(
    tmp_path: Path, toml: str, message: str
) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": f"[tool.guardrails]\n{toml}\n",
            "jax2onnx/plugins/a.py": "import onnx\n",
        },
    )
    run = run_main("check", cwd=tmp_path)
    assert (run.exit_code, run.stdout) == (2, "")
    assert one_error_line(run.stderr) == message


def test_a_dedicated_config_file_names_its_top_level_key(tmp_path: Path) -> None:
    write_files(tmp_path, {"ci/guardrails.toml": "ignore = ['GR1000']\n"})
    run = run_main("check", "--config", "ci/guardrails.toml", cwd=tmp_path)
    assert run.exit_code == 2
    assert one_error_line(run.stderr) == (
        "ci/guardrails.toml: ignore: unknown rule code or prefix: GR1000"
    )


@pytest.mark.parametrize("value", [",", "", "GR1,", " , "])
def test_an_empty_code_on_the_command_line_is_an_error(
    tmp_path: Path, value: str
) -> None:
    write_files(tmp_path, {"jax2onnx/plugins/a.py": "import onnx\n"})
    for option in ("--select", "--ignore"):
        run = run_main("check", option, value, cwd=tmp_path)
        assert (run.exit_code, run.stdout) == (2, "")
        assert one_error_line(run.stderr) == (
            f"argument {option}: empty rule code in {value!r}"
        )


def test_globs_take_character_classes_within_one_name(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": (
                "[tool.guardrails]\nextend-exclude = ['pkg/[ab]', 'pkg/[!a-c]x.py']\n"
            ),
            "pkg/a/m.py": "import onnx\n",
            "pkg/b/m.py": "import onnx\n",
            "pkg/c/m.py": "import onnx\n",
            "pkg/dx.py": "import onnx\n",
            "pkg/cx.py": "import onnx\n",
            "pkg/[ab]/m.py": "import onnx\n",
        },
    )
    run = run_main("check", cwd=tmp_path)
    assert run.stdout.endswith("(3 files checked).\n")


def test_config_that_is_a_folder_is_named(tmp_path: Path) -> None:
    write_files(tmp_path, {"ci/x.py": ""})
    for folder in (".", "ci"):
        run = run_main("check", "--config", folder, cwd=tmp_path)
        assert run.exit_code == 2
        assert one_error_line(run.stderr) == (
            f"--config {folder}: is a directory, not a file"
        )


# ---------------------------------------------------------- the command line


def test_output_format_is_an_alias_of_format(tmp_path: Path) -> None:
    write_files(tmp_path, {"jax2onnx/plugins/a.py": "import onnx\n"})
    alias = run_main("check", "--output-format", "json", cwd=tmp_path)
    assert alias == run_main("check", "--format", "json", cwd=tmp_path)
    assert alias.stdout.startswith("{")


@pytest.mark.parametrize(
    "arguments",
    [
        ["check", "--format", "xml"],
        ["check", "--output-format", "xml"],
        ["check", "--bogus"],
        ["check", "--select"],
        [],
        ["frobnicate"],
        ["allowlist"],
        ["allowlist", "sync", "--bogus"],
        ["gate", "--format", "sarif"],
        ["rule"],
    ],
    ids=[
        "bad-format",
        "bad-output-format",
        "unknown-option",
        "missing-value",
        "no-command",
        "unknown-command",
        "no-allowlist-command",
        "unknown-sync-option",
        "bad-gate-format",
        "missing-rule-code",
    ],
)
def test_a_bad_command_line_is_one_error_line_and_exit_2(
    tmp_path: Path, arguments: list[str]
) -> None:
    run = run_process(*arguments, cwd=tmp_path)
    assert (run.exit_code, run.stdout) == (2, "")
    one_error_line(run.stderr)
    assert "usage:" not in run.stderr


def test_help_still_prints_usage_and_exits_0(tmp_path: Path) -> None:
    for arguments in (["--help"], ["check", "--help"], ["allowlist", "sync", "-h"]):
        run = run_main(*arguments, cwd=tmp_path)
        assert (run.exit_code, run.stderr) == (0, "")
        assert run.stdout.startswith("usage: guardrails")
    assert "--output-format" in run_main("check", "-h", cwd=tmp_path).stdout
