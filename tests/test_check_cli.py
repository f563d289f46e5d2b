"""`guardrails check` end to end: exit codes, selection, output options, suppressions.

Everything runs the real engine on real files through the real command line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.check_support import run_main, run_process, write_files

VIOLATIONS = {
    "jax2onnx/plugins/imports.py": (
        "import onnx\n"  # GR101 at 1:8
        "from onnx_ir import tape, _tape\n"  # GR102 at 2:27
        "import importlib\n"
        # Annotated, as GR403 wants module variables in IR-only code.
        'helper: object = importlib.import_module("onnx.helper")\n'  # GR103 at 4:18
        "def f(model):\n"
        "    return onnx.shape_inference.infer_shapes(model)\n"  # GR104 at 6:12
    ),
    "pkg/serde/io.py": "import onnx\nonnx.helper.make_node\n",  # outside IR-only
}
EXPECTED_LINES = [
    "jax2onnx/plugins/imports.py:1:8: GR101 ONNX protobuf import `onnx` in IR-only "
    "code: use `onnx_ir`",
    "jax2onnx/plugins/imports.py:2:27: GR102 private onnx_ir module `onnx_ir._tape` "
    "imported",
    "jax2onnx/plugins/imports.py:4:18: GR103 dynamic import of ONNX protobuf module "
    "`onnx.helper`",
    "jax2onnx/plugins/imports.py:6:12: GR104 ONNX protobuf API "
    "`onnx.shape_inference` used in IR-only code",
]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return write_files(tmp_path, dict(VIOLATIONS))


def codes(stdout: str) -> list[str]:
    return [line.split()[1] for line in stdout.splitlines() if ": GR" in line]


def test_text_output_lists_each_finding_then_a_summary(tree: Path) -> None:
    run = run_main("check", cwd=tree)
    assert run.exit_code == 1
    assert run.stdout.splitlines() == [
        *EXPECTED_LINES,
        "Found 4 findings in 2 files checked.",
    ]
    assert run.stderr == ""


def test_default_path_is_the_working_directory_and_paths_can_be_named(
    tree: Path,
) -> None:
    assert run_main("check", ".", cwd=tree).stdout == run_main("check", cwd=tree).stdout
    named = run_main("check", "pkg/serde/io.py", cwd=tree)
    assert (named.exit_code, named.stdout) == (
        0,
        "All checks passed (1 file checked).\n",
    )


def test_exit_codes_of_the_real_process(tree: Path) -> None:
    clean = run_process("check", "pkg/serde", cwd=tree)
    assert (clean.exit_code, clean.stdout) == (
        0,
        "All checks passed (1 file checked).\n",
    )
    assert run_process("check", cwd=tree).exit_code == 1
    usage = run_process("check", "missing.py", cwd=tree)
    assert usage.exit_code == 2
    assert usage.stdout == ""
    assert usage.stderr == "guardrails: error: missing.py: no such file or directory\n"


def test_exit_zero_keeps_the_report_but_exits_0(tree: Path) -> None:
    run = run_main("check", "--exit-zero", cwd=tree)
    assert run.exit_code == 0
    assert codes(run.stdout) == ["GR101", "GR102", "GR103", "GR104"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--select", "GR101"], ["GR101"]),
        (["--select", "GR101,GR103"], ["GR101", "GR103"]),
        (["--select", "gr10"], ["GR101", "GR102", "GR103", "GR104"]),
        (["--select", "GR1", "--ignore", "GR104"], ["GR101", "GR102", "GR103"]),
        (["--ignore", "GR1"], []),
        (["--ignore", "GR102", "--select", "GR10"], ["GR101", "GR103", "GR104"]),
        (["--select", "GR1", "--ignore", "GR10"], []),
        # The more specific of --select and --ignore wins, as in ruff.
        (["--select", "GR102", "--ignore", "GR1"], ["GR102"]),
        (["--ignore", "GR10", "--select", "GR102"], ["GR102"]),
    ],
)
def test_select_and_ignore_by_code_and_prefix(
    tree: Path, options: list[str], expected: list[str]
) -> None:
    run = run_main("check", *options, cwd=tree)
    assert codes(run.stdout) == expected
    assert run.exit_code == (1 if expected else 0)


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_an_unknown_code_is_a_usage_error(tree: Path, option: str) -> None:
    run = run_main("check", option, "GR999", cwd=tree)
    assert run.exit_code == 2
    assert run.stderr == "guardrails: error: unknown rule code or prefix: GR999\n"


def test_output_writes_the_report_to_a_file(tree: Path) -> None:
    run = run_main("check", "--format", "json", "--output", "report.json", cwd=tree)
    assert (run.exit_code, run.stdout) == (1, "")
    report = json.loads((tree / "report.json").read_text(encoding="utf-8"))
    assert [f["code"] for f in report["findings"]] == [
        "GR101",
        "GR102",
        "GR103",
        "GR104",
    ]
    assert report["files_checked"] == 2


def test_output_into_a_missing_folder_is_a_usage_error(tree: Path) -> None:
    run = run_main("check", "--output", "no/such/folder/report.txt", cwd=tree)
    assert run.exit_code == 2
    assert run.stderr.startswith("guardrails: error: no/such/folder/report.txt: ")
    assert run.stderr.count("\n") == 1


def test_statistics_counts_per_rule_then_the_summary(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "jax2onnx/converter/a.py": (
                "import onnx\nimport onnx.helper\nimport onnx_ir._core\n"
            ),
            "jax2onnx/converter/b.py": "import onnx\n",
        },
    )
    run = run_main("check", "--statistics", cwd=tmp_path)
    assert run.exit_code == 1
    assert run.stdout == (
        "3  GR101  onnx-protobuf-import\n"
        "1  GR102  private-onnx-ir-import\n"
        "Found 4 findings in 2 files checked.\n"
    )
    as_json = json.loads(
        run_main("check", "--statistics", "--format", "json", cwd=tmp_path).stdout
    )
    assert as_json == {
        "statistics": [
            {"code": "GR101", "rule": "onnx-protobuf-import", "count": 3},
            {"code": "GR102", "rule": "private-onnx-ir-import", "count": 1},
        ],
        "files_checked": 2,
    }
    clean = run_main("check", "--statistics", "--ignore", "GR1", cwd=tmp_path)
    assert (clean.exit_code, clean.stdout) == (
        0,
        "All checks passed (2 files checked).\n",
    )


@pytest.mark.parametrize("output_format", ["sarif", "github"])
def test_statistics_is_refused_for_per_finding_formats(
    tree: Path, output_format: str
) -> None:
    run = run_main("check", "--statistics", "--format", output_format, cwd=tree)
    assert run.exit_code == 2
    assert run.stderr == (
        "guardrails: error: --statistics works with --format text or json only\n"
    )


def test_no_cache_is_accepted(tree: Path) -> None:
    assert codes(run_main("check", "--no-cache", cwd=tree).stdout) == codes(
        run_main("check", cwd=tree).stdout
    )


def test_suppression_needs_the_code(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "jax2onnx/plugins/x.py": (
                "import onnx  # guardrails: ignore[GR101]\n"
                "import onnx.helper  # guardrails: ignore\n"
                "import onnx.numpy_helper  # guardrails: ignore[GR102]\n"
                "import onnx.checker  # guardrails: ignore[GR1]\n"
                "import onnx.compose  # guardrails: ignore[GR104, GR101]\n"
                "import onnx.defs  # guardrails ignore[GR101]\n"
                "import onnx.hub  # guardrails: ignore[gr101]\n"
            )
        },
    )
    run = run_main("check", cwd=tmp_path)
    # Bare, it is GR003; naming codes that report nothing there, GR004.
    assert [
        (line.split(":")[1], line.split()[1]) for line in run.stdout.splitlines()[:-1]
    ] == [
        ("2", "GR101"),
        ("2", "GR003"),
        ("3", "GR101"),
        ("3", "GR004"),
        ("5", "GR004"),
        ("6", "GR101"),
    ]


def test_a_suppression_in_a_string_is_only_text_on_that_line(tmp_path: Path) -> None:
    # Only comments suppress: the same text in a string is just text.
    write_files(
        tmp_path,
        {
            "jax2onnx/plugins/x.py": (
                'import onnx; note: str = "guardrails: ignore[GR101]"\n'
            )
        },
    )
    assert codes(run_main("check", cwd=tmp_path).stdout) == ["GR101"]


def test_package_checks_an_installed_package_and_names_a_missing_one(
    tmp_path: Path,
) -> None:
    run = run_main(
        "check", "--package", "jax2onnx.converter", "--select", "GR1", cwd=tmp_path
    )
    assert run.exit_code == 0
    assert run.stdout.startswith("All checks passed (")
    missing = run_main("check", "--package", "no_such_package_here", cwd=tmp_path)
    assert missing.exit_code == 2
    assert missing.stderr == (
        "guardrails: error: package 'no_such_package_here' is not installed\n"
    )


def test_rules_lists_every_rule_and_rule_prints_its_documentation(
    tmp_path: Path,
) -> None:
    listing = run_main("rules", cwd=tmp_path)
    assert listing.exit_code == 0
    listed = [line.split()[0] for line in listing.stdout.splitlines()]
    assert {"GR001", "GR002", "GR101", "GR102", "GR103", "GR104"} <= set(listed)
    assert listed == sorted(listed)

    doc = run_main("rule", "gr101", cwd=tmp_path)
    assert doc.exit_code == 0
    assert doc.stdout.startswith("# GR101 onnx-protobuf-import\n")
    for heading in (
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
    ):
        assert heading in doc.stdout

    unknown = run_main("rule", "GR999", cwd=tmp_path)
    assert (unknown.exit_code, unknown.stderr) == (
        2,
        "guardrails: error: unknown rule: GR999\n",
    )


@pytest.mark.parametrize(
    "arguments",
    [["check", "--format", "xml"], ["check", "--bogus"], [], ["frobnicate"]],
    ids=["bad-format", "unknown-option", "no-command", "unknown-command"],
)
def test_a_bad_command_line_exits_2_without_a_traceback(
    tree: Path, arguments: list[str]
) -> None:
    run = run_process(*arguments, cwd=tree)
    assert (run.exit_code, run.stdout) == (2, "")
    assert re.match(r"guardrails( check)?: error: ", run.stderr.splitlines()[-1])
    assert "Traceback" not in run.stderr
