"""The hostile-input matrix: every odd file is a finding or a one-line error.

Each case runs the real command line in its own process (a crash of the native
parser would otherwise take pytest down with it) under a timeout, so a hang
fails the test instead of stalling the suite. Beside every hostile file sits
`jax2onnx/plugins/bad.py` (`import onnx`, GR101): the run must still check it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

SIBLING = ("jax2onnx/plugins/bad.py", 1, "GR101")
TIMEOUT_SECONDS = 120
# A minimal project: an empty [tool.guardrails] anchors the config at the tree.
PROJECT = "[project]\nname = 'hostile'\n\n[tool.guardrails]\n"


@dataclass(frozen=True)
class Completed:
    exit_code: int
    stdout: str
    stderr: str

    def report(self) -> dict[str, Any]:
        assert self.exit_code in (0, 1), self.stderr
        assert self.stderr == ""
        report: dict[str, Any] = json.loads(self.stdout)
        return report

    def places(self) -> set[tuple[str, int, str]]:
        """(path, line, code) of every finding."""
        return {(f["path"], f["line"], f["code"]) for f in self.report()["findings"]}

    def message_of(self, path: str) -> str:
        [message] = [
            f["message"] for f in self.report()["findings"] if f["path"] == path
        ]
        assert isinstance(message, str)
        return message


def guardrails(root: Path, *args: str) -> Completed:
    """`python -m guardrails ARGS` in `root`; never a traceback, never a hang."""
    completed = subprocess.run(
        [sys.executable, "-m", "guardrails", *args],
        cwd=root,
        capture_output=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    stdout = completed.stdout.decode("utf-8")
    stderr = completed.stderr.decode("utf-8")
    assert "Traceback" not in stderr
    assert completed.returncode >= 0, f"killed by signal {-completed.returncode}"
    return Completed(completed.returncode, stdout, stderr)


# GR403 asks IR-only module variables for annotations, which hostile sources
# lack; these tests watch the bad-input path and the sibling's GR101.
NOT_GR403 = ("--ignore", "GR403")


def check(root: Path, *paths: str) -> Completed:
    return guardrails(
        root, "check", "--format", "json", "--no-cache", *NOT_GR403, *paths
    )


def check_with_cache(root: Path, *paths: str) -> Completed:
    return guardrails(root, "check", "--format", "json", *NOT_GR403, *paths)


def assert_one_line_error(run: Completed, *needles: str) -> None:
    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr.startswith("guardrails: error: ")
    assert run.stderr.count("\n") == 1, run.stderr
    for needle in needles:
        assert needle in run.stderr


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    (tmp_path / "jax2onnx/plugins").mkdir(parents=True)
    (tmp_path / "jax2onnx/plugins/bad.py").write_text("import onnx\n", encoding="utf-8")
    return tmp_path


def write(root: Path, name: str, content: bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


# --- contents ---------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A file's bytes and the findings (line, code) it must give, message excerpt."""

    content: Callable[[], bytes]
    expected: frozenset[tuple[int, str]]
    message: str = ""


TWO_MB = 2 * 1024 * 1024


def _two_megabyte_line() -> bytes:
    # One line, two violations, the second 2 MB to the right. (A 2 MB line of
    # 700,000 list items also completes, in about a minute: LibCST's speed.)
    return b'import onnx; DATA = "' + b"x" * TWO_MB + b'"; import onnx.helper\n'


_TEN_MB_ROW = b"    model weights, captions and other inert data " * 2 + b"\n"
_TEN_MB_ROWS = 10 * 1024 * 1024 // len(_TEN_MB_ROW) + 1


def _ten_megabytes() -> bytes:
    # 10 MB that every reader stage must go through: a module-level string
    # between two violations, the second on the last line.
    return (
        b'import onnx\nDATA = """\n'
        + _TEN_MB_ROW * _TEN_MB_ROWS
        + b'"""\nimport onnx.helper\n'
    )


CASES = {
    "syntax_error": Case(
        lambda: b"import onnx\ndef broken(:\n    pass\n", frozenset({(2, "GR001")})
    ),
    "invalid_utf8": Case(
        lambda: b"x = 1\ny = 2\nname = '\xff\xfe'\n",
        frozenset({(3, "GR002")}),
        "cannot decode file as utf-8",
    ),
    "invalid_utf8_on_line_one": Case(
        lambda: b"name = '\xff'\n", frozenset({(1, "GR002")}), "cannot decode"
    ),
    "latin1_with_coding_cookie": Case(
        lambda: b"# -*- coding: latin-1 -*-\nimport onnx\nname = 'caf\xe9'\n",
        frozenset({(2, "GR101")}),
    ),
    "unknown_coding_cookie": Case(
        lambda: b"# coding: klingon\nimport onnx\n",
        frozenset({(1, "GR002")}),
        "klingon",
    ),
    "nul_byte": Case(
        lambda: b"import onnx\nx = 1\x00\n", frozenset({(2, "GR002")}), "NUL"
    ),
    "byte_order_mark": Case(
        lambda: b"\xef\xbb\xbfimport onnx\n", frozenset({(1, "GR101")})
    ),
    "byte_order_mark_and_latin1_cookie": Case(
        lambda: b"\xef\xbb\xbf# coding: latin-1\nimport onnx\n",
        frozenset({(1, "GR002")}),
    ),
    "crlf_line_endings": Case(
        lambda: b"x = 1\r\nimport onnx\r\n", frozenset({(2, "GR101")})
    ),
    "lone_cr_line_endings": Case(
        lambda: b"x = 1\rimport onnx\r", frozenset({(2, "GR101")})
    ),
    "mixed_line_endings": Case(
        lambda: b"x = 1\r\ny = 2\rz = 3\nimport onnx", frozenset({(4, "GR101")})
    ),
    "tabs_and_form_feeds": Case(
        lambda: b"if True:\n\timport onnx\n\x0c\n\x0cimport onnx.helper\n",
        frozenset({(2, "GR101"), (4, "GR101")}),
    ),
    "inconsistent_tabs": Case(
        lambda: b"import onnx\nif True:\n\tx = 1\n        y = 2\n",
        frozenset({(4, "GR001")}),
    ),
    "ten_megabyte_file": Case(
        _ten_megabytes, frozenset({(1, "GR101"), (_TEN_MB_ROWS + 4, "GR101")})
    ),
    "empty_file": Case(lambda: b"", frozenset()),
    "only_a_bom": Case(lambda: b"\xef\xbb\xbf", frozenset()),
    "no_final_newline": Case(lambda: b"import onnx", frozenset({(1, "GR101")})),
    "binary_junk": Case(
        lambda: bytes(range(256)) * 4, frozenset({(1, "GR002")}), "NUL"
    ),
    # Found by scripts/fuzz.py (mutation, seed 14): CPython's SyntaxWarning for
    # `6if` leaked onto stderr from the syntax-error locator.
    "syntax_warning_before_an_error": Case(
        lambda: b"\n\n\nt x\n\n\n(\n\n(\n\n6if", frozenset({(4, "GR001")})
    ),
    "unterminated_triple_quote": Case(
        lambda: b'import onnx\nx = """\n', frozenset({(2, "GR001")})
    ),
}


@pytest.mark.parametrize("case_name", sorted(CASES))
def test_hostile_file_is_a_finding_and_the_rest_is_checked(
    tree: Path, case_name: str
) -> None:
    case = CASES[case_name]
    write(tree, f"jax2onnx/plugins/{case_name}.py", case.content())
    run = check(tree, ".")
    shown = f"jax2onnx/plugins/{case_name}.py"
    found = {(line, code) for path, line, code in run.places() if path == shown}
    assert found == case.expected
    assert SIBLING in run.places()
    assert run.report()["files_checked"] == 2
    if case.message:
        assert case.message in run.message_of(shown)


def test_two_megabyte_single_line_is_checked_to_its_end(tree: Path) -> None:
    write(tree, "jax2onnx/plugins/long.py", _two_megabyte_line())
    run = check(tree, ".")
    columns = [
        (f["line"], f["column"], f["code"])
        for f in run.report()["findings"]
        if f["path"] == "jax2onnx/plugins/long.py"
    ]
    assert columns == [(1, 8, "GR101"), (1, TWO_MB + 32, "GR101")]
    assert SIBLING in run.places()


# --- nesting -----------------------------------------------------------------------

DEPTH = 100_000
NESTINGS = {
    "parentheses": "(" * DEPTH + ")" * DEPTH,
    "brackets": "[" * DEPTH + "]" * DEPTH,
    "braces": "{" * DEPTH + "}" * DEPTH,
    "lambdas": "lambda: " * DEPTH + "1",
    "unary_minus": "-" * DEPTH + "1",
    "not": "not " * DEPTH + "1",
    "attribute_chain": "a" + ".b" * DEPTH,
    "call_chain": "f" + "()" * DEPTH,
    "subscript_chain": "a" + "[0]" * DEPTH,
    "additions": "1" + " + 1" * DEPTH,
    "powers": "2" + " ** 2" * DEPTH,
    "conditionals": "1" + " if x else 1" * DEPTH,
}


@pytest.mark.parametrize("prefix", ["import onnx\n", ""], ids=["parsed", "compiled"])
@pytest.mark.parametrize("kind", sorted(NESTINGS))
def test_nesting_deep_enough_to_exhaust_recursion_is_gr001(
    tree: Path, kind: str, prefix: str
) -> None:
    # With `import onnx` a rule's pre-scan matches and LibCST parses the file; without
    # it the file is only compiled, and LibCST is asked only because that failed.
    # Either way LibCST's native parser must never see this (it would segfault).
    write(tree, "jax2onnx/plugins/deep.py", f"{prefix}x = {NESTINGS[kind]}\n".encode())
    run = check(tree, ".")
    assert ("jax2onnx/plugins/deep.py", 1, "GR001") in run.places() or (
        "jax2onnx/plugins/deep.py",
        2,
        "GR001",
    ) in run.places()
    assert "too deeply nested" in run.message_of("jax2onnx/plugins/deep.py")
    assert SIBLING in run.places()


def test_long_chain_before_a_syntax_error_is_gr001_without_a_hang(
    tree: Path,
) -> None:
    # Found by scripts/fuzz.py (nesting source, seed 12): CPython stops at the
    # syntax error (`1.b`) before measuring the chain ahead of it, and LibCST took
    # minutes over the 100,000-term chain. CPython's account is the finding.
    source = "import onnx\nx = 1" + " + 1" * 100_000 + " + 1.b\n"
    write(tree, "jax2onnx/plugins/deep.py", source.encode())
    run = check(tree, ".")
    assert run.places() == {("jax2onnx/plugins/deep.py", 2, "GR001"), SIBLING}
    assert (
        run.message_of("jax2onnx/plugins/deep.py")
        == "syntax error: invalid decimal literal"
    )


def test_syntax_newer_than_the_interpreter_is_still_analysed(tree: Path) -> None:
    # Python 3.12's `type` statement: LibCST reads it whatever runs guardrails.
    write(
        tree,
        "jax2onnx/plugins/newer.py",
        b"type Shape = tuple[int, ...]\nimport onnx\n",
    )
    assert check(tree, ".").places() == {
        ("jax2onnx/plugins/newer.py", 2, "GR101"),
        SIBLING,
    }


def test_nested_blocks_beyond_the_indentation_limit_are_gr001(tree: Path) -> None:
    source = "import onnx\n" + "".join(
        "    " * level + f"if x{level}:\n" for level in range(1000)
    )
    write(
        tree, "jax2onnx/plugins/deep.py", (source + "    " * 1000 + "pass\n").encode()
    )
    run = check(tree, ".")
    assert ("jax2onnx/plugins/deep.py", 102, "GR001") in run.places()
    assert SIBLING in run.places()


def test_nesting_the_parser_accepts_but_the_walk_cannot_follow_is_gr001(
    tree: Path,
) -> None:
    # 900 levels: within the parse bound, so LibCST parses it, but walking the tree
    # exhausts Python's recursion limit. That is a finding, not a crash.
    write(
        tree, "jax2onnx/plugins/deep.py", b"import onnx\nx = " + b"not " * 900 + b"1\n"
    )
    run = check(tree, ".")
    assert run.places() == {("jax2onnx/plugins/deep.py", 1, "GR001"), SIBLING}
    assert run.message_of("jax2onnx/plugins/deep.py") == "nesting too deep to analyse"


def test_nesting_the_walk_survives_but_locating_a_finding_cannot_is_gr001(
    tree: Path,
) -> None:
    # Found by scripts/fuzz.py (nesting source, seed 11), minimized: the rules'
    # walk succeeds, then locating the GR101 (code generation, more frames per
    # level) exhausted the recursion limit: a traceback, before the fix. The
    # body names `onnx`, so the IR-only rules read it (not left out of the parse).
    body = "[" * 50 + "(((a[" + "2 ** " * 400 + "onnx.b.b.b + 1][0],),),)" + "]" * 50
    source = f"import onnx\nasync def f():\n    return {body}{'.b' * 50}()()\n"
    write(tree, "jax2onnx/plugins/deep.py", source.encode())
    run = check(tree, ".")
    assert run.places() == {("jax2onnx/plugins/deep.py", 1, "GR001"), SIBLING}
    assert run.message_of("jax2onnx/plugins/deep.py") == "nesting too deep to analyse"


# --- files that are not files -------------------------------------------------------


def test_fifo_named_explicitly_is_gr002_without_blocking(tree: Path) -> None:
    os.mkfifo(tree / "jax2onnx/plugins/pipe.py")
    for run_check in (check, check_with_cache):  # the cache reads files too
        run = run_check(tree, "jax2onnx/plugins/pipe.py", "jax2onnx/plugins/bad.py")
        assert run.places() == {("jax2onnx/plugins/pipe.py", 1, "GR002"), SIBLING}
        assert "not a regular file" in run.message_of("jax2onnx/plugins/pipe.py")
    # Walked, a FIFO is not a Python file at all: skipped, and nothing blocks.
    walked = check(tree, ".")
    assert walked.places() == {SIBLING}


def test_character_device_named_explicitly_is_gr002(tree: Path) -> None:
    for run_check in (check, check_with_cache):
        run = run_check(tree, "/dev/zero", "jax2onnx/plugins/bad.py")
        assert run.places() == {("/dev/zero", 1, "GR002"), SIBLING}


def test_directory_named_like_a_python_file_is_walked(tree: Path) -> None:
    write(tree, "jax2onnx/plugins/package.py/inner.py", b"import onnx.helper\n")
    run = check(tree, "jax2onnx/plugins/package.py", "jax2onnx/plugins/bad.py")
    assert run.places() == {
        ("jax2onnx/plugins/package.py/inner.py", 1, "GR101"),
        SIBLING,
    }


def test_symbolic_link_loop_is_gr002_walked_or_named(tree: Path) -> None:
    (tree / "jax2onnx/plugins/loop_a.py").symlink_to("loop_b.py")
    (tree / "jax2onnx/plugins/loop_b.py").symlink_to("loop_a.py")
    (tree / "jax2onnx/plugins/up").symlink_to("..")  # a folder loop: walked once
    expected = {
        ("jax2onnx/plugins/loop_a.py", 1, "GR002"),
        ("jax2onnx/plugins/loop_b.py", 1, "GR002"),
        SIBLING,
    }
    assert check(tree, ".").places() == expected
    assert (
        check(
            tree,
            "jax2onnx/plugins/loop_a.py",
            "jax2onnx/plugins/loop_b.py",
            "jax2onnx/plugins/bad.py",
        ).places()
        == expected
    )


def test_broken_symbolic_link_is_gr002_walked_or_named(tree: Path) -> None:
    (tree / "jax2onnx/plugins/gone.py").symlink_to("never-was.py")
    expected = {("jax2onnx/plugins/gone.py", 1, "GR002"), SIBLING}
    assert check(tree, ".").places() == expected
    assert (
        check(tree, "jax2onnx/plugins/gone.py", "jax2onnx/plugins/bad.py").places()
        == expected
    )


def test_non_python_file_named_explicitly_is_checked(tree: Path) -> None:
    write(tree, "jax2onnx/plugins/notes.txt", b"x = 1\nimport onnx\n")
    write(tree, "jax2onnx/plugins/image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    run = check(
        tree,
        "jax2onnx/plugins/notes.txt",
        "jax2onnx/plugins/image.png",
        "jax2onnx/plugins/bad.py",
    )
    assert run.places() == {
        ("jax2onnx/plugins/notes.txt", 2, "GR101"),
        ("jax2onnx/plugins/image.png", 3, "GR002"),  # the NUL byte's line
        SIBLING,
    }
    # Walked, only `.py` files count.
    assert check(tree, ".").places() == {SIBLING}


def test_path_that_does_not_exist_is_a_one_line_error(tree: Path) -> None:
    run = check(tree, "jax2onnx/plugins/bad.py", "jax2onnx/plugins/nope.py")
    assert_one_line_error(run, "jax2onnx/plugins/nope.py", "no such file or directory")


def test_a_directory_of_ten_thousand_small_files_completes(tree: Path) -> None:
    for index in range(10_000):
        content = b"import onnx\n" if index % 1000 == 7 else f"x = {index}\n".encode()
        write(tree, f"jax2onnx/plugins/d{index // 500:02d}/m{index:05d}.py", content)
    run = check(tree, ".")
    report = run.report()
    assert report["files_checked"] == 10_001
    assert run.places() == {
        SIBLING,
        *(
            (f"jax2onnx/plugins/d{index // 500:02d}/m{index:05d}.py", 1, "GR101")
            for index in range(7, 10_000, 1000)
        ),
    }


# --- configuration ------------------------------------------------------------------


CONFIG_ERRORS = {
    "invalid_toml": (
        "[tool.guardrails\nselect = [",
        ("pyproject.toml", "invalid TOML"),
    ),
    "wrong_type": (
        '[tool.guardrails]\nselect = "GR101"\n',
        ("tool.guardrails.select", "must be a list of strings"),
    ),
    "wrong_item_type": (
        "[tool.guardrails]\nexclude = [1, 2]\n",
        ("tool.guardrails.exclude", "must be a list of strings"),
    ),
    "unknown_key": (
        "[tool.guardrails]\ncolour = 'blue'\n",
        ("pyproject.toml", "unknown key 'tool.guardrails.colour'"),
    ),
    "unknown_gate_key": (
        "[tool.guardrails.gate]\nexamplez = []\n",
        ("pyproject.toml", "unknown key 'tool.guardrails.gate.examplez'"),
    ),
    "section_not_a_table": ("tool.guardrails = 3\n", ("must be a table",)),
    "allowlist_not_a_string": (
        "[tool.guardrails]\nallowlist = ['a.toml']\n",
        ("tool.guardrails.allowlist", "must be a string"),
    ),
}


@pytest.mark.parametrize("case_name", sorted(CONFIG_ERRORS))
def test_bad_configuration_is_a_one_line_error(tree: Path, case_name: str) -> None:
    text, needles = CONFIG_ERRORS[case_name]
    (tree / "pyproject.toml").write_text(text, encoding="utf-8")
    assert_one_line_error(check(tree, "."), *needles)


def test_bad_configuration_file_named_explicitly_is_a_one_line_error(
    tree: Path,
) -> None:
    assert_one_line_error(
        guardrails(tree, "check", "--config", "missing.toml", "."),
        "missing.toml",
        "cannot read",
    )
    write(tree, "guardrails.toml", b"select = ['GR1'\n")
    assert_one_line_error(
        guardrails(tree, "check", "--config", "guardrails.toml", "."), "invalid TOML"
    )
    write(tree, "latin.toml", b"select = ['caf\xe9']\n")
    assert_one_line_error(
        guardrails(tree, "check", "--config", "latin.toml", "."),
        "latin.toml",
        "not UTF-8",
    )


ALLOWLIST_ERRORS = {
    "invalid_toml": (b"[[allow]\n", ("guardrails-allowlist.toml", "invalid TOML")),
    "bad_flag": (
        b'[[allow]]\nflag = "everything"\ncontext = "examples.eqx"\nreason = "r"\n',
        ("allowlist entry 1", "flag must be one of"),
    ),
    "missing_reason": (
        b'[[allow]]\nflag = "run_only_f32_variant"\ncontext = "examples.eqx"\n',
        ("allowlist entry 1", "reason"),
    ),
    "wrong_type": (
        b'[[allow]]\nflag = "run_only_f32_variant"\ncontext = 3\nreason = "r"\n',
        ("allowlist entry 1", "context must be a string"),
    ),
    "unknown_key": (
        b'[[allow]]\nflag = "run_only_f32_variant"\ncontext = "c"\nreason = "r"\n'
        b'colour = "blue"\n',
        ("allowlist entry 1", "unknown key 'colour'"),
    ),
    "not_utf8": (b"# caf\xe9\n[[allow]]\n", ("not UTF-8",)),
}


@pytest.mark.parametrize("case_name", sorted(ALLOWLIST_ERRORS))
def test_malformed_allowlist_is_a_one_line_error(tree: Path, case_name: str) -> None:
    content, needles = ALLOWLIST_ERRORS[case_name]
    write(tree, "guardrails-allowlist.toml", content)
    assert_one_line_error(check(tree, "."), *needles)
    assert_one_line_error(guardrails(tree, "allowlist", "sync", "."), *needles)


def test_allowlist_that_is_not_a_file_is_a_one_line_error(tree: Path) -> None:
    (tree / "pyproject.toml").write_text(
        PROJECT + "allowlist = 'lists'\n", encoding="utf-8"
    )
    (tree / "lists").mkdir()
    assert_one_line_error(check(tree, "."), "lists", "not a file")


FLAGGED_EXAMPLE = b"""\
from jax2onnx.plugins.plugin_system import register_example

register_example(
    component="Flagged",
    context="examples.hostile", since="0.1.0",
    testcases=[
        {
            "testcase": "flagged",
            "callable": lambda x: x,
            "input_shapes": [("B", 30)],
            "run_only_f32_variant": True,
        },
    ],
)
"""


def test_missing_default_allowlist_allows_nothing(tree: Path) -> None:
    # The default file may be absent (a fresh checkout is checked at once), and
    # then every flag is a finding: nothing passes for want of the file.
    write(tree, "jax2onnx/plugins/examples/flagged.py", FLAGGED_EXAMPLE)
    run = check(tree, ".")
    assert run.places() == {
        ("jax2onnx/plugins/examples/flagged.py", 11, "GR301"),
        SIBLING,
    }


def test_missing_configured_allowlist_is_a_one_line_error(tree: Path) -> None:
    # A configured allowlist that is not there is a typo or a lost file: exit 2.
    (tree / "pyproject.toml").write_text(
        PROJECT + "allowlist = 'config/nowhere.toml'\n", encoding="utf-8"
    )
    write(tree, "jax2onnx/plugins/examples/flagged.py", FLAGGED_EXAMPLE)
    assert_one_line_error(
        check(tree, "."), "config/nowhere.toml", "configured allowlist does not exist"
    )
    assert not (tree / "config").exists()


ODD_NAMES = (
    "with space.py",
    "comma,colon:.py",
    "new\nline.py",
    "carriage\rreturn.py",
    "percent%25.py",
    "ünïcödé.py",
    "#hash.py",
    "::error x.py",
    "[brackets].py",
    "back\\slash.py",
    "-dash.py",
)


def test_odd_file_names_are_checked_and_reported_in_every_format(tree: Path) -> None:
    for name in ODD_NAMES:
        write(tree, f"jax2onnx/plugins/{name}", b"import onnx\n")
    expected = {(f"jax2onnx/plugins/{name}", 1, "GR101") for name in ODD_NAMES} | {
        SIBLING
    }
    assert check(tree, ".").places() == expected
    assert check_with_cache(tree, ".").places() == expected
    sarif = guardrails(tree, "check", "--no-cache", "--format", "sarif", ".")
    assert sarif.exit_code == 1
    uris = {
        unquote(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
        for result in json.loads(sarif.stdout)["runs"][0]["results"]
    }
    assert uris == {path for path, _, _ in expected}
    # One workflow command per finding: names cannot break a line or a property.
    github = guardrails(tree, "check", "--no-cache", "--format", "github", ".")
    lines = github.stdout.splitlines()
    assert len(lines) == len(expected)
    assert all(line.startswith("::error file=") for line in lines)
    assert all(line.count("::") == 2 for line in lines)


def test_folder_tree_deeper_than_the_recursion_limit_is_walked(tree: Path) -> None:
    folder = tree / "jax2onnx/plugins"
    for _ in range(1500):  # paths stay under PATH_MAX: two bytes a level
        folder = folder / "a"
        folder.mkdir()
    (folder / "deepest.py").write_bytes(b"import onnx\n")
    deepest = (folder / "deepest.py").relative_to(tree).as_posix()
    try:
        assert check(tree, ".").places() == {(deepest, 1, "GR101"), SIBLING}
    finally:
        # Bottom up: shutil.rmtree (and so pytest's own clean-up) recurses per level.
        (folder / "deepest.py").unlink()
        while folder != tree / "jax2onnx/plugins":
            folder.rmdir()
            folder = folder.parent
