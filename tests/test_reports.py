"""Every output format, from the real engine over the same real files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import jsonschema
import pytest

from tests.check_support import run_main, write_files

# The OASIS SARIF 2.1.0 schema (a copy of ../shared/schemas/, so a fresh clone has it).
SARIF_SCHEMA = Path(__file__).parent / "fixtures/sarif-schema-2.1.0.json"

# RFC 3986 characters, with `%` only as the start of a percent-encoding. jsonschema
# checks "uri"/"uri-reference" only with optional extra packages, so the test
# brings its own checks rather than let those formats pass unexamined.
_URI_CHARACTERS = re.compile(
    r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*"
)


def _is_uri_reference(value: object) -> bool:
    return not isinstance(value, str) or _URI_CHARACTERS.fullmatch(value) is not None


def _is_uri(value: object) -> bool:
    return not isinstance(value, str) or (
        _is_uri_reference(value) and bool(urlsplit(value).scheme)
    )


FORMAT_CHECKER = jsonschema.FormatChecker()
FORMAT_CHECKER.checks("uri")(_is_uri)
FORMAT_CHECKER.checks("uri-reference")(_is_uri_reference)

FILES = {
    "work/jax2onnx/plugins/imports.py": "import os\nimport onnx.helper as oh\n",
    "work/jax2onnx/plugins/odd name #1.py": "from onnx_ir import _tape\n",
    "work/jax2onnx/plugins/comma,colon:.py": "import onnx\n",
    "work/jax2onnx/plugins/broken.py": "def broken(:\n",
    "elsewhere/jax2onnx/plugins/outside.py": (
        "import importlib\nimportlib.import_module('onnx')\n"
    ),
}


@pytest.fixture
def work(tmp_path: Path) -> Path:
    write_files(tmp_path, dict(FILES))
    return tmp_path / "work"


def report(work: Path, output_format: str, *extra: str) -> str:
    run = run_main(
        "check", ".", "../elsewhere", "--format", output_format, *extra, cwd=work
    )
    assert run.exit_code == 1
    assert run.stderr == ""
    return run.stdout


def test_json_shape_and_paths(work: Path) -> None:
    payload = json.loads(report(work, "json"))
    assert set(payload) == {"findings", "files_checked"}
    assert payload["files_checked"] == 5
    outside = (work.parent / "elsewhere/jax2onnx/plugins/outside.py").as_posix()
    assert [(f["path"], f["code"]) for f in payload["findings"]] == [
        (outside, "GR103"),
        ("jax2onnx/plugins/broken.py", "GR001"),
        ("jax2onnx/plugins/comma,colon:.py", "GR101"),
        ("jax2onnx/plugins/imports.py", "GR101"),
        ("jax2onnx/plugins/odd name #1.py", "GR102"),
    ]
    assert payload["findings"][3] == {
        "path": "jax2onnx/plugins/imports.py",
        "line": 2,
        "column": 8,
        "end_line": 2,
        "end_column": 25,
        "code": "GR101",
        "rule": "onnx-protobuf-import",
        "message": "ONNX protobuf import `onnx.helper` in IR-only code: use `onnx_ir`",
    }


def test_text_and_json_agree(work: Path) -> None:
    findings = json.loads(report(work, "json"))["findings"]
    lines = report(work, "text").splitlines()
    assert lines[:-1] == [
        f"{f['path']}:{f['line']}:{f['column']}: {f['code']} {f['message']}"
        for f in findings
    ]
    assert lines[-1] == "Found 5 findings in 5 files checked."


def test_github_annotations(work: Path) -> None:
    lines = report(work, "github").splitlines()
    outside = (work.parent / "elsewhere/jax2onnx/plugins/outside.py").as_posix()
    assert lines == [
        f"::error file={outside},line=2,col=1,title=GR103::"
        "dynamic import of ONNX protobuf module `onnx`",
        "::error file=jax2onnx/plugins/broken.py,line=1,col=12,title=GR001::"
        "syntax error: invalid syntax",
        # `,` and `:` would end a property; GitHub's escapes keep the name whole.
        "::error file=jax2onnx/plugins/comma%2Ccolon%3A.py,line=1,col=8,title=GR101::"
        "ONNX protobuf import `onnx` in IR-only code: use `onnx_ir`",
        "::error file=jax2onnx/plugins/imports.py,line=2,col=8,title=GR101::"
        "ONNX protobuf import `onnx.helper` in IR-only code: use `onnx_ir`",
        "::error file=jax2onnx/plugins/odd name #1.py,line=1,col=21,title=GR102::"
        "private onnx_ir module `onnx_ir._tape` imported",
    ]


def test_github_prints_nothing_when_clean(work: Path) -> None:
    run = run_main(
        "check",
        "jax2onnx/plugins/imports.py",
        "--format",
        "github",
        "--select",
        "GR104",
        cwd=work,
    )
    assert (run.exit_code, run.stdout) == (0, "")


def validate_sarif(log: dict[str, Any]) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator_class(schema, format_checker=FORMAT_CHECKER).validate(log)


def artifact_path(location: dict[str, Any], run: dict[str, Any]) -> Path:
    """The file a SARIF artifact location names, resolved as a viewer would."""
    uri = location["uri"]
    if "uriBaseId" in location:
        uri = urljoin(run["originalUriBaseIds"][location["uriBaseId"]]["uri"], uri)
    parts = urlsplit(uri)
    assert parts.scheme == "file"
    return Path(url2pathname(unquote(parts.path)))


def test_sarif_validates_and_points_at_the_real_files(work: Path) -> None:
    log = json.loads(report(work, "sarif"))
    validate_sarif(log)
    (run,) = log["runs"]
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == work.as_uri() + "/"

    findings = json.loads(report(work, "json"))["findings"]
    results = run["results"]
    assert len(results) == len(findings)
    descriptors = run["tool"]["driver"]["rules"]
    for result, finding in zip(results, findings, strict=True):
        assert descriptors[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["ruleId"] == finding["code"]
        assert result["message"]["text"] == finding["message"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["region"] == {
            "startLine": finding["line"],
            "startColumn": finding["column"],
            "endLine": finding["end_line"],
            "endColumn": finding["end_column"],
        }
        artifact = physical["artifactLocation"]
        path = artifact_path(artifact, run)
        assert path.is_file()
        assert path.resolve() == (work / finding["path"]).resolve()
        # Under the working directory: relative to %SRCROOT%; elsewhere absolute.
        assert ("uriBaseId" in artifact) == (not Path(finding["path"]).is_absolute())
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in results]
    assert uris[0]["uri"].startswith("file:///")
    assert uris[4] == {
        "uri": "jax2onnx/plugins/odd%20name%20%231.py",
        "uriBaseId": "%SRCROOT%",
    }


def test_sarif_lists_the_selected_rules_and_any_bad_input_rule(work: Path) -> None:
    log = json.loads(report(work, "sarif", "--select", "GR102"))
    validate_sarif(log)
    (run,) = log["runs"]
    descriptors = run["tool"]["driver"]["rules"]
    assert [d["id"] for d in descriptors] == [
        "GR001",
        "GR002",
        "GR003",
        "GR004",
        "GR102",
    ]
    assert sorted(r["ruleId"] for r in run["results"]) == ["GR001", "GR102"]
    gr102 = descriptors[4]
    assert gr102["name"] == "private-onnx-ir-import"
    assert gr102["shortDescription"]["text"] == (
        "An import of a private `onnx_ir` module."
    )
    assert gr102["fullDescription"]["text"].startswith("Flags `import onnx_ir._core`")
    for heading in ("## What it does", "## Why is this bad?", "## Example"):
        assert heading in gr102["help"]["markdown"]


def test_sarif_without_findings_validates(work: Path) -> None:
    run = run_main(
        "check",
        "jax2onnx/plugins/imports.py",
        "--format",
        "sarif",
        "--select",
        "GR104",
        cwd=work,
    )
    assert run.exit_code == 0
    log = json.loads(run.stdout)
    validate_sarif(log)
    assert log["runs"][0]["results"] == []


def test_the_uri_checks_reject_what_a_uri_cannot_hold() -> None:
    # The checks above must not pass everything, or the validation proves nothing.
    assert not _is_uri_reference("odd name.py")
    assert not _is_uri_reference("100%.py")
    assert not _is_uri("relative/path.py")
    assert _is_uri("file:///tmp/odd%20name.py")
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif(
            {
                "version": "2.1.0",
                "runs": [
                    {
                        "tool": {"driver": {"name": "guardrails"}},
                        "results": [
                            {
                                "message": {"text": "x"},
                                "locations": [
                                    {
                                        "physicalLocation": {
                                            "artifactLocation": {"uri": "a b.py"}
                                        }
                                    }
                                ],
                            }
                        ],
                    }
                ],
            }
        )
