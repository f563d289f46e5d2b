"""`guardrails check --add-ignore[=REASON]`: suppressions written where they are
comments, merged with the ones there, and a check that passes afterwards but
still catches the next violation; end to end on a copy of the jax2onnx release."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

from guardrails.targets import package_source
from tests.check_support import run_main, write_files
from tests.readme_snippets import git, readme_block

PLUGIN = "jax2onnx/plugins/p.py"


def _add_ignore(root: Path, *args: str) -> tuple[int, str, str]:
    run = run_main("check", "--no-cache", *args, cwd=root)
    return run.exit_code, run.stdout, run.stderr


def test_each_finding_gets_a_directive_and_the_check_passes(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            PLUGIN: (
                "import onnx\n"
                "import onnx.helper as oh  # noqa: F401\n"
                "HELPER = onnx.helper  # guardrails: ignore[GR104] kept on purpose\n"
                "\n"
                "\n"
                "def f() -> None:\n"
                "    import onnx\n"
            ),
            "jax2onnx/plugins/clean.py": "import onnx_ir as ir\n",
        },
    )
    code, stdout, stderr = _add_ignore(tmp_path, "--add-ignore", ".")
    assert code == 0, stdout + stderr
    assert stderr == "Added 4 suppressions to 1 file.\n"
    assert stdout == "All checks passed (2 files checked).\n"
    assert (tmp_path / PLUGIN).read_text(encoding="utf-8") == (
        "import onnx  # guardrails: ignore[GR101]\n"
        # Another tool's comment stays first, where it must be.
        "import onnx.helper as oh  # noqa: F401  # guardrails: ignore[GR101]\n"
        # Codes join the directive already there; its reason stays.
        "HELPER = onnx.helper  # guardrails: ignore[GR104, GR403] kept on purpose\n"
        "\n"
        "\n"
        "def f() -> None:\n"
        "    import onnx  # guardrails: ignore[GR101]\n"
    )
    assert (tmp_path / "jax2onnx/plugins/clean.py").read_text() == (
        "import onnx_ir as ir\n"
    )

    # The directives name only what was found (GR004 stays quiet), and the next
    # violation is still caught.
    plugin = tmp_path / PLUGIN
    plugin.write_text(plugin.read_text() + "import onnx as again\n")
    run = run_main("check", "--no-cache", ".", cwd=tmp_path)
    assert run.exit_code == 1
    assert [line.split()[1] for line in run.stdout.splitlines()[:-1]] == ["GR101"]
    assert run.stdout.startswith(f"{PLUGIN}:8:8: GR101 ")


def test_a_reason_only_after_equals(tmp_path: Path) -> None:
    write_files(tmp_path, {PLUGIN: "import onnx\n"})
    code, _, stderr = _add_ignore(
        tmp_path, "--add-ignore=baseline, see #123", "jax2onnx"
    )
    assert code == 0, stderr
    assert (tmp_path / PLUGIN).read_text() == (
        "import onnx  # guardrails: ignore[GR101] baseline, see #123\n"
    )
    bad = run_main("check", "--add-ignore=two\nlines", ".", cwd=tmp_path)
    assert (bad.exit_code, bad.stderr) == (
        2,
        "guardrails: error: --add-ignore: the reason must be one line\n",
    )


def test_line_endings_and_byte_order_mark_are_kept(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            PLUGIN: b"\xef\xbb\xbfimport os\r\nimport onnx\r\nx: int = 1\r\n",
            "jax2onnx/plugins/cr.py": b"import onnx\rimport os\r",
        },
    )
    code, stdout, stderr = _add_ignore(tmp_path, "--add-ignore")
    assert code == 0, stdout + stderr
    assert (tmp_path / PLUGIN).read_bytes() == (
        b"\xef\xbb\xbfimport os\r\nimport onnx  # guardrails: ignore[GR101]\r\n"
        b"x: int = 1\r\n"
    )
    assert (tmp_path / "jax2onnx/plugins/cr.py").read_bytes() == (
        b"import onnx  # guardrails: ignore[GR101]\rimport os\r"
    )


def test_never_inside_a_string_or_after_a_backslash(tmp_path: Path) -> None:
    source = (
        'DOC = """a module variable (GR403) whose line ends in a string\n'
        '"""\n'
        "TOTAL = \\\n"
        "    1\n"
        'NOTE = f"""{\n'
        '    1}"""\n'
        "import onnx\n"
    )
    write_files(tmp_path, {PLUGIN: source})
    code, stdout, stderr = _add_ignore(tmp_path, "--add-ignore")
    assert code == 1
    assert stderr.splitlines() == [
        f"guardrails: note: {PLUGIN}:3:1: GR403 cannot be suppressed: its line ends "
        "with a backslash continuation",
        "Added 3 suppressions to 1 file.",
    ]
    # Where a string ends, reaching back over it; the backslash line is left.
    assert (tmp_path / PLUGIN).read_text() == (
        'DOC = """a module variable (GR403) whose line ends in a string\n'
        '"""  # guardrails: ignore[GR403]\n'
        "TOTAL = \\\n"
        "    1\n"
        'NOTE = f"""{\n'
        '    1}"""  # guardrails: ignore[GR403]\n'
        "import onnx  # guardrails: ignore[GR101]\n"
    )
    # What remains is reported, so the exit status says it.
    assert stdout.splitlines()[:-1] == [
        f"{PLUGIN}:3:1: GR403 module-level variable `TOTAL` has no type annotation"
    ]


def test_a_formatters_split_keeps_the_directive_working(tmp_path: Path) -> None:
    """black splits a line made too long by its trailing comment and moves the
    comment to where the bracket closes; the directive there reaches back."""
    write_files(
        tmp_path,
        {
            PLUGIN: (
                "import onnx  # guardrails: ignore[GR101]\n"
                "HELPER: object = onnx.helper  # guardrails: ignore[GR104]\n"
            )
        },
    )
    assert _add_ignore(tmp_path, ".")[0] == 0
    (tmp_path / PLUGIN).write_text(
        "import onnx  # guardrails: ignore[GR101]\n"
        "HELPER: object = getattr(\n"
        "    onnx.helper, 'make_node'\n"
        ")  # guardrails: ignore[GR104]\n"
    )
    assert _add_ignore(tmp_path, ".") == (
        0,
        "All checks passed (1 file checked).\n",
        "",
    )
    # It reaches only over the bracket, and names only what it names.
    (tmp_path / PLUGIN).write_text(
        "import onnx  # guardrails: ignore[GR101]\n"
        "HELPER: object = getattr(\n"
        "    onnx.helper, 'make_node'\n"
        ")\n"
        "X: object = onnx.helper  # guardrails: ignore[GR104]\n"
        "Y: object = [\n"
        "    onnx.helper,\n"
        "]  # guardrails: ignore[GR403]\n"
    )
    code, stdout, _ = _add_ignore(tmp_path, ".")
    assert code == 1
    assert [line.split(": ")[0:2] for line in stdout.splitlines()[:-1]] == [
        [f"{PLUGIN}:3:5", "GR104 ONNX protobuf API `onnx.helper` used in IR-only code"],
        [f"{PLUGIN}:7:5", "GR104 ONNX protobuf API `onnx.helper` used in IR-only code"],
        [f"{PLUGIN}:8:4", "GR004 unused suppression of `GR403`"],
    ]


def test_a_directive_black_moved_into_the_brackets_it_added(tmp_path: Path) -> None:
    """black wraps a too-long `x = value  # directive` as `x = (`, `value  #
    directive`, `)` (seen on jax2onnx's stack.py after `--add-ignore`): the
    directive, now inside the brackets, reaches back to where they opened, and
    no further."""
    write_files(
        tmp_path,
        {
            PLUGIN: (
                "TOTAL = (\n"
                "    1  # guardrails: ignore[GR403]\n"
                ")\n"
                "OTHER = [\n"
                "    1,\n"
                "    (\n"
                "        2  # guardrails: ignore[GR403]\n"
                "    ),\n"
                "]\n"
            )
        },
    )
    code, stdout, _ = _add_ignore(tmp_path, ".")
    assert code == 1
    # The first is silenced; the second directive reaches back to its own
    # bracket's line (6), not to the statement's line above it.
    assert [line.split(": ")[0] for line in stdout.splitlines()[:-1]] == [
        f"{PLUGIN}:4:1",
        f"{PLUGIN}:7:12",
    ]
    assert "GR004 unused suppression of `GR403`" in stdout


def test_inside_brackets_the_directive_goes_where_they_close(tmp_path: Path) -> None:
    """A formatter may re-split a line inside brackets (the comment's length
    counts) and carry the comment off it; a line of closing brackets it leaves
    alone, and from there the directive reaches back to where they opened."""
    source = (
        "import onnx  # guardrails: ignore[GR101]\n"
        "TESTCASES: list[object] = [\n"
        "    {\n"
        '        "helper": onnx.helper,\n'
        '        "shape": lambda m: (\n'
        "            onnx.shape_inference.infer_shapes(m) or True\n"
        "        ),\n"
        '        "proto": f(onnx.ModelProto)[\n'
        "            0\n"
        "        ],\n"
        "    },\n"
        "]\n"
    )
    write_files(tmp_path, {PLUGIN: source})
    code, stdout, stderr = _add_ignore(tmp_path, "--add-ignore")
    assert (code, stdout) == (0, "All checks passed (1 file checked).\n"), stderr
    assert stderr == "Added 3 suppressions to 1 file.\n"
    assert (tmp_path / PLUGIN).read_text() == source.replace(
        "        ),\n", "        ),  # guardrails: ignore[GR104]\n"
    ).replace("        ],\n", "        ],  # guardrails: ignore[GR104]\n").replace(
        "    },\n", "    },  # guardrails: ignore[GR104]\n"
    )


def test_findings_no_comment_can_silence_are_left(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            PLUGIN: "import os  # guardrails: ignore[GR999]\n",
            "jax2onnx/plugins/broken.py": "def f(:\n",
        },
    )
    before = {path: path.read_bytes() for path in tmp_path.rglob("*.py")}
    code, stdout, stderr = _add_ignore(tmp_path, "--add-ignore")
    assert code == 1
    assert "Added 0 suppressions to 0 files." in stderr
    assert "GR001 cannot be suppressed: it is about the file" in stderr
    assert "GR003 cannot be suppressed" in stderr
    assert {path: path.read_bytes() for path in tmp_path.rglob("*.py")} == before
    assert {line.split()[1] for line in stdout.splitlines()[:-1]} == {
        "GR001",
        "GR003",
    }


@pytest.mark.slow
def test_the_jax2onnx_release_gets_a_baseline_that_passes(tmp_path: Path) -> None:
    """The adoption path on a copy of the installed jax2onnx 0.17.1 source tree:
    `allowlist sync . && guardrails check --add-ignore . && guardrails check .`."""
    root = tmp_path / "release"
    shutil.copytree(
        package_source("jax2onnx"),
        root / "jax2onnx",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    # As the README's jax2onnx section sets it up: GR404 and GR405 on, in git.
    (root / "pyproject.toml").write_text(
        readme_block("upstream-pyproject"), encoding="utf-8"
    )
    git("init", "--quiet", cwd=root)
    git("add", "--all", cwd=root)
    before = run_main("check", ".", cwd=root)
    assert before.exit_code == 1
    # The guardrails commands of the README's adoption steps, as written.
    commands = [
        shlex.split(line)[1:]
        for line in readme_block("upstream-adoption").splitlines()
        if line.startswith("guardrails ")
    ]
    assert commands == [["allowlist", "sync", "."], ["check", "--add-ignore", "."]]
    for command in commands:
        done = run_main(*command, cwd=root)
        assert done.exit_code == 0, done.stdout + done.stderr
    (count,) = [line for line in done.stderr.splitlines() if line.startswith("Added")]
    assert count.endswith(" files.")
    after = run_main("check", ".", cwd=root)
    assert (after.exit_code, after.stdout) == (
        0,
        "All checks passed (559 files checked).\n",
    )
    # Cold too: the directives silence findings, not the cache.
    assert run_main("check", "--no-cache", ".", cwd=root).exit_code == 0

    # The next violation in a file that now has directives is still caught.
    add = root / "jax2onnx/plugins/jax/lax/add.py"
    add.write_text(
        add.read_text(encoding="utf-8") + "\nimport onnx\n", encoding="utf-8"
    )
    caught = run_main("check", ".", cwd=root)
    assert caught.exit_code == 1
    assert "jax2onnx/plugins/jax/lax/add.py" in caught.stdout
    assert "GR101" in caught.stdout and "GR004" not in caught.stdout
