"""Suppression comments through the real command line: which are honoured, and
GR003 (invalid) / GR004 (unused) for the ones that cannot be right, cold and warm."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from guardrails.engine.cache import CACHE_FOLDER
from tests.check_support import run_main, write_files

Row = tuple[int, int, str, str]

NO_CODES = "suppression names no codes; write `# guardrails: ignore[CODE]`"
# The families these cases are about; rules added later stay out of them.
FAMILIES = ("--select", "GR1,GR2,GR3")


def check(root: Path, *args: str) -> list[Row]:
    """(line, column, code, message) of every finding, via `--format json`."""
    selection = () if "--select" in args else FAMILIES
    run = run_main("check", "--format", "json", *selection, *args, cwd=root)
    assert run.exit_code in (0, 1), run.stderr
    assert run.stderr == ""
    payload = json.loads(run.stdout)
    return [
        (f["line"], f["column"], f["code"], f["message"]) for f in payload["findings"]
    ]


def plugin(root: Path, text: str, name: str = "jax2onnx/plugins/x.py") -> Path:
    return write_files(root, {name: text})


def test_an_honoured_suppression_leaves_nothing(tmp_path: Path) -> None:
    plugin(tmp_path, "import onnx  # guardrails: ignore[GR101]\n")
    run = run_main("check", *FAMILIES, cwd=tmp_path)
    assert (run.exit_code, run.stdout) == (0, "All checks passed (1 file checked).\n")


@pytest.mark.parametrize(
    "comment",
    [
        "#guardrails:ignore[GR101]",
        "#  guardrails :  ignore [ GR101 ]",
        "# GUARDRAILS: IGNORE[gr101]",
        "# guardrails: ignore[GR1]",
        "# guardrails: ignore[GR1 GR101]",
        "# noqa: F401  # guardrails: ignore[GR101]",
    ],
)
def test_spellings_that_suppress(tmp_path: Path, comment: str) -> None:
    plugin(tmp_path, f"import onnx  {comment}\n")
    assert check(tmp_path) == []


@pytest.mark.parametrize(
    "text",
    [
        # Not a comment: the text is in a string.
        'import onnx; note = "# guardrails: ignore[GR101]"\n',
        'import onnx; note = """\n# guardrails: ignore[GR101]\n"""\n',
        # Not a suppression: no colon, or another word.
        "import onnx  # guardrails ignore[GR101]\n",
        "import onnx  # guardrails: ignored[GR101]\n",
    ],
)
def test_text_that_is_no_suppression(tmp_path: Path, text: str) -> None:
    plugin(tmp_path, text)
    assert [code for _, _, code, _ in check(tmp_path)] == ["GR101"]


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("# guardrails: ignore[GR999]", "unknown rule code `GR999` in suppression"),
        ("# guardrails: ignore[XYZ]", "unknown rule code `XYZ` in suppression"),
        (
            "# guardrails: ignore[GR101, GR9, Q]",
            "unknown rule codes `GR9`, `Q` in suppression",
        ),
    ],
)
def test_an_unknown_code_is_gr003(tmp_path: Path, comment: str, message: str) -> None:
    plugin(tmp_path, f"x = 1\nimport onnx  {comment}\n")
    rows = check(tmp_path)
    gr003 = [row for row in rows if row[2] == "GR003"]
    assert [(line, column) for line, column, _, _ in gr003] == [(2, 14)]
    assert gr003[0][3].startswith(message + ": no rule code starts with")
    # The known codes it names still suppress; nothing else is reported.
    assert [row[2] for row in rows] == (
        ["GR003"] if "GR101" in comment else ["GR101", "GR003"]
    )


@pytest.mark.parametrize(
    "comment",
    [
        "# guardrails: ignore",
        "# guardrails: ignore[]",
        "# guardrails: ignore[ , ]",
        "# guardrails: ignore[GR101",  # unclosed: no codes are named
    ],
)
def test_a_suppression_without_codes_is_gr003_and_suppresses_nothing(
    tmp_path: Path, comment: str
) -> None:
    plugin(tmp_path, f"import onnx  {comment}\n")
    assert check(tmp_path) == [
        (1, 8, "GR101", "ONNX protobuf import `onnx` in IR-only code: use `onnx_ir`"),
        (1, 14, "GR003", NO_CODES),
    ]


def test_an_unused_suppression_is_gr004_at_the_comment(tmp_path: Path) -> None:
    plugin(
        tmp_path,
        "import onnx_ir as ir  # guardrails: ignore[GR101]\n"
        "import onnx  # guardrails: ignore[GR101, GR102, GR104]\n",
    )
    assert check(tmp_path) == [
        (
            1,
            23,
            "GR004",
            "unused suppression of `GR101`: no such finding on this line",
        ),
        (
            2,
            14,
            "GR004",
            "unused suppression of `GR102`, `GR104`: no such finding on this line",
        ),
    ]
    run = run_main("check", *FAMILIES, cwd=tmp_path)
    assert run.exit_code == 1


def test_only_codes_that_ran_are_judged_unused(tmp_path: Path) -> None:
    plugin(
        tmp_path,
        "import onnx_ir as ir  # guardrails: ignore[GR203]\n"
        "y = 1  # guardrails: ignore[GR1]\n",
    )
    everything = [(line, code) for line, _, code, _ in check(tmp_path)]
    assert everything == [(1, "GR004"), (2, "GR004")]
    # GR203 did not run; of GR1 only GR101 ran, so `GR1` cannot be judged.
    assert check(tmp_path, "--select", "GR1") == [
        (2, 8, "GR004", "unused suppression of `GR1`: no such finding on this line")
    ]
    assert check(tmp_path, "--select", "GR101") == []
    assert check(tmp_path, "--ignore", "GR2,GR1") == []


def test_gr003_and_gr004_are_ignored_by_code_or_silenced_on_their_line(
    tmp_path: Path,
) -> None:
    plugin(
        tmp_path,
        "x = 1  # guardrails: ignore[GR101]\n"
        "y = 1  # guardrails: ignore[GR999]\n"
        "z = 1  # guardrails: ignore[GR101, GR004]\n"
        "w = 1  # guardrails: ignore[GR999, GR003]\n",
    )
    assert [(line, code) for line, _, code, _ in check(tmp_path)] == [
        (1, "GR004"),
        (2, "GR003"),
    ]
    assert [code for _, _, code, _ in check(tmp_path, "--ignore", "GR004")] == ["GR003"]
    assert [code for _, _, code, _ in check(tmp_path, "--ignore", "GR003")] == ["GR004"]
    assert check(tmp_path, "--ignore", "GR0") == []


def test_a_file_no_rule_could_run_on_has_no_unused_suppression(
    tmp_path: Path,
) -> None:
    plugin(tmp_path, "import onnx  # guardrails: ignore[GR101]\ndef broken(:\n")
    for args in ((), (), ("--no-cache",)):  # cold, warm, uncached
        assert [code for _, _, code, _ in check(tmp_path, *args)] == ["GR001"]


SUPPRESSED = b"import onnx  # guardrails: ignore[GR101]"


def test_line_endings_and_odd_text(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "jax2onnx/plugins/crlf.py": b"x = 1\r\n" + SUPPRESSED + b"\r\n",
            "jax2onnx/plugins/cr.py": b"x = 1\r" + SUPPRESSED + b"\r",
            "jax2onnx/plugins/feed.py": (
                "x = 1\x0c\nimport onnx  # guardrails: ignore[GR101]\n"
            ),
            "jax2onnx/plugins/wide.py": (
                "s = '\u00e9\u4e2d'; import onnx  # guardrails: ignore[\u0a67, GR101]\n"
            ),
        },
    )
    run = run_main("check", "--format", "json", *FAMILIES, cwd=tmp_path)
    rows = [
        (Path(f["path"]).name, f["line"], f["column"], f["code"])
        for f in json.loads(run.stdout)["findings"]
    ]
    # Columns count characters, as every other finding's do.
    assert rows == [("wide.py", 1, 24, "GR003")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Bad indentation: the comment is still a comment.
        (
            "if x:\n        a = 1\n    b = 2  # guardrails: ignore[GR999]\n",
            [(3, 12, "GR003"), (3, 39, "GR001")],
        ),
        # An unterminated string runs to its line's end...
        (
            "x = 'never closed  # guardrails: ignore[GR999]\n"
            "y = 1  # guardrails: ignore[GR998]\n",
            [(1, 5, "GR001"), (2, 8, "GR003")],
        ),
        # ... a triple-quoted one to the file's end, as Python reads it.
        ('x = """never closed\nimport onnx  # guardrails: ignore[GR999]\n', None),
    ],
)
def test_a_file_that_does_not_parse_keeps_its_comments_apart_from_strings(
    tmp_path: Path, text: str, expected: list[tuple[int, int, str]] | None
) -> None:
    plugin(tmp_path, text)
    rows = [(line, column, code) for line, column, code, _ in check(tmp_path)]
    if expected is None:
        assert [code for _, _, code in rows] == ["GR001"]
    else:
        assert rows == expected


PLUGIN = textwrap.dedent(
    """\
    from jax2onnx.plugins.plugin_system import register_primitive


    @register_primitive(
        context="primitives.lax",
        component="add",
        testcases=[
            {
                "testcase": "add_const",
                "callable": lambda x: x + 1.0,
                "run_only_f32_variant": True,  # guardrails: ignore[GR301]
            },
        ],
    )
    class AddPlugin:
        pass
    """
)


def test_a_suppression_used_by_a_project_rule_cold_and_warm(tmp_path: Path) -> None:
    # GR301 is judged at the project step, against the allowlist: its
    # suppression is used only then, whether the file's result is fresh or cached.
    write_files(
        tmp_path,
        {
            "jax2onnx/plugins/add.py": PLUGIN,
            "jax2onnx/plugins/other.py": (
                "import onnx_ir as ir  # guardrails: ignore[GR101]\n"
            ),
        },
    )
    cold = check(tmp_path)
    assert [(line, code) for line, _, code, _ in cold] == [(1, "GR004")]
    assert list((tmp_path / CACHE_FOLDER).glob("*/*.json"))
    warm = check(tmp_path)
    assert warm == cold
    assert check(tmp_path, "--no-cache") == cold
    # A changed file beside a cached one: the cached suppression is still used.
    write_files(tmp_path, {"jax2onnx/plugins/other.py": "import onnx_ir as ir\n"})
    assert check(tmp_path) == []
    assert check(tmp_path, "--no-cache") == []
    # Without the finding the suppression is unused, cached or not.
    write_files(
        tmp_path,
        {
            "guardrails-allowlist.toml": textwrap.dedent(
                """\
                [[allow]]
                flag = "run_only_f32_variant"
                context = "primitives.lax"
                component = "add"
                testcase = "add_const"
                file = "jax2onnx/plugins/add.py"
                reason = "ORT lacks a float64 Add for constants"
                """
            )
        },
    )
    expected = [
        (11, 44, "GR004", "unused suppression of `GR301`: no such finding on this line")
    ]
    assert check(tmp_path) == expected
    assert check(tmp_path, "--no-cache") == expected
    # GR3 not selected: the suppression is not judged.
    assert check(tmp_path, "--select", "GR1") == []


@pytest.mark.parametrize("output_format", ["json", "github", "sarif"])
def test_the_formats_carry_the_new_codes(tmp_path: Path, output_format: str) -> None:
    plugin(
        tmp_path,
        "import onnx  # guardrails: ignore\nx = 1  # guardrails: ignore[GR101]\n",
    )
    run = run_main("check", "--format", output_format, *FAMILIES, cwd=tmp_path)
    assert run.exit_code == 1
    if output_format == "json":
        findings = json.loads(run.stdout)["findings"]
        assert [(f["code"], f["rule"]) for f in findings] == [
            ("GR101", "onnx-protobuf-import"),
            ("GR003", "invalid-suppression"),
            ("GR004", "unused-suppression"),
        ]
        assert (findings[1]["column"], findings[1]["end_column"]) == (14, 34)
    elif output_format == "github":
        assert run.stdout.splitlines()[1:] == [
            f"::error file=jax2onnx/plugins/x.py,line=1,col=14,title=GR003::{NO_CODES}",
            "::error file=jax2onnx/plugins/x.py,line=2,col=8,title=GR004::"
            "unused suppression of `GR101`: no such finding on this line",
        ]
    else:
        (sarif_run,) = json.loads(run.stdout)["runs"]
        described = {rule["id"] for rule in sarif_run["tool"]["driver"]["rules"]}
        assert {"GR003", "GR004"} <= described
        assert [r["ruleId"] for r in sarif_run["results"]] == [
            "GR101",
            "GR003",
            "GR004",
        ]


def test_a_thousand_codes_and_a_long_line(tmp_path: Path) -> None:
    codes = ", ".join(["GR101"] * 1000 + ["GR999"])
    plugin(tmp_path, f"import onnx  # guardrails: ignore[{codes}]\n" + "#" * 100_000)
    assert [code for _, _, code, _ in check(tmp_path)] == ["GR003"]
