"""GR404 against jax2onnx's own `scripts/ensure_path_markers.py`, and `check --fix`.

The upstream script (copied unchanged into tests/fixtures/upstream) runs beside
GR404 on the same files: its verdict must be GR404's for every file, and its
`--fix` output must be what `guardrails check --fix` writes, except where the
upstream rewrite loses text or changes the program (listed below, each with what
guardrails does instead).
"""

from __future__ import annotations

import ast
import importlib.util
import stat
from pathlib import Path
from types import ModuleType

import pytest

from guardrails.analysis.path_markers import fix_path_marker
from guardrails.config import Config, PathMarkerConfig
from guardrails.engine.paths import collect_files
from guardrails.engine.runner import check_files
from guardrails.rules import selected_rules
from guardrails.targets import package_source
from tests.check_support import run_main, write_files
from tests.conftest import run_python
from tests.readme_snippets import git

UPSTREAM_SCRIPT = (
    Path(__file__).parent / "fixtures" / "upstream" / "ensure_path_markers.py"
)
MARKER = "{m}"

# name -> text, with {m} for the file's own marker (`# pkg/<name>.py`).
CASES: dict[str, str] = {
    "ok": "{m}\n\nimport os\n",
    "ok_marker_only": "{m}\n",
    "ok_no_final_newline": "{m}\n\nx = 1",
    "ok_shebang": "#!/usr/bin/env python3\n{m}\n\nprint(1)\n",
    "ok_crlf": "{m}\r\n\r\nimport os\r\n",
    "no_blank_line": "{m}\nimport os\n",
    "whitespace_blank_line": "{m}\n   \nimport os\n",
    "tab_blank_line": "{m}\n\t\nx = 1\n",
    "marker_at_eof": "{m}",
    "marker_trailing_spaces": "{m}  \n\nimport os\n",
    "missing": "import os\n",
    "missing_crlf": "import os\r\nx = 1\r\n",
    "stale": "# pkg/old_name.py\n\nimport os\n",
    "stale_no_blank_line": "# pkg/old_name.py\nimport os\n",
    "shebang_missing": "#!/usr/bin/env python3\nprint(1)\n",
    "shebang_only": "#!/usr/bin/env python3",
    "shebang_stale": "#!/usr/bin/env python3\n# pkg/old.py\n\nprint(1)\n",
    "empty": "",
    "newline_only": "\n",
    "blank_lines_then_marker": "\n\n{m}\n\nimport os\n",
    "docstring_first": '"""Module doc."""\nimport os\n',
    "trailing_blank_lines": "import os\n\n\n\n",
    "no_space_after_hash": "#pkg/x.py\nimport os\n",
    "lone_cr_newlines": "import os\rx = 1\r",
    "ok_lone_cr": "{m}\r\rimport os\r",
    "cr_cr_lf_in_string": 'x = """a\r\r\nb"""\n',
    "bom_unmarked": "\ufeffimport os\n",
    "bom_marked": "\ufeff{m}\n\nimport os\n",
    "string_after_marker": '{m}\nx = """\n\n"""\n',
    "syntax_error": "{m}\ndef broken(:\n",
    # Upstream replaces any `# ` line in the marker's place; GR404 keeps these.
    "coding_cookie": "# -*- coding: utf-8 -*-\nimport os\n",
    "licence_header": "# Copyright 2025 The Authors\n"
    "# SPDX-License-Identifier: Apache-2.0\nimport os\n",
}
# Python reads past a byte-order mark; upstream counts it as text on line 1.
VERDICT_DIFFERS = {"bom_marked"}
# Where guardrails' fix differs from upstream's on purpose: the text it writes.
KEPT_COMMENTS = {
    "coding_cookie": "{m}\n\n# -*- coding: utf-8 -*-\nimport os\n",
    "licence_header": "{m}\n\n# Copyright 2025 The Authors\n"
    "# SPDX-License-Identifier: Apache-2.0\nimport os\n",
    # The mark stays first; upstream writes the marker before it.
    "bom_unmarked": "\ufeff{m}\n\nimport os\n",
}
# No safe fix: a program that does not parse cannot be shown to stay the same.
UNFIXABLE = {"syntax_error"}


def _text(name: str) -> str:
    return CASES[name].replace(MARKER, f"# pkg/{name}.py")


def _upstream() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ensure_path_markers", UPSTREAM_SCRIPT
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_cases(root: Path) -> None:
    for name in CASES:
        target = root / "pkg" / f"{name}.py"
        target.parent.mkdir(parents=True, exist_ok=True)
        # Bytes as written: no newline translation.
        target.write_bytes(_text(name).encode("utf-8"))


def _flagged(root: Path, config: Config | None = None) -> set[str]:
    config = config or Config(root=root)
    files = collect_files([root], config.root, config.all_excludes)
    result = check_files(files, config, selected_rules(["GR404"], ()), root)
    return {finding.path for finding in result.findings if finding.code == "GR404"}


def _upstream_failures(root: Path) -> set[str]:
    upstream = _upstream()
    return {
        path.relative_to(root).as_posix()
        for path in upstream.iter_python_files(root)
        if not upstream.ensure_marker(path, upstream.expected_marker(root, path), False)
    }


# Parity with the upstream script.


def test_verdicts_match_the_upstream_script_file_by_file(tmp_path: Path) -> None:
    _write_cases(tmp_path)
    upstream = _upstream_failures(tmp_path)
    differs = {f"pkg/{name}.py" for name in VERDICT_DIFFERS}
    assert _flagged(tmp_path) == upstream - differs
    assert differs <= upstream
    # The matrix covers both verdicts.
    assert "pkg/ok.py" not in upstream and "pkg/missing.py" in upstream


def test_fixes_match_the_upstream_script_but_keep_comments_and_programs(
    tmp_path: Path,
) -> None:
    theirs, ours = tmp_path / "upstream", tmp_path / "guardrails"
    _write_cases(theirs)
    _write_cases(ours)
    assert _upstream().process(theirs, fix=True) == 0
    result = run_main("check", "--no-cache", "--select", "GR404", "--fix", cwd=ours)

    for name in CASES:
        relative = f"pkg/{name}.py"
        written = (ours / relative).read_bytes()
        expected = (theirs / relative).read_bytes()
        if name in VERDICT_DIFFERS:
            assert written == _text(name).encode(), name
        elif name in UNFIXABLE:
            assert written == _text(name).encode(), name
            assert f"{relative}:" in result.stdout
        elif name in KEPT_COMMENTS:
            kept = KEPT_COMMENTS[name].replace(MARKER, f"# {relative}")
            assert written == kept.encode(), name
            assert written != expected
        else:
            assert written == expected, name
    # Upstream's fixes of the byte-order-mark files do not parse any more.
    for name in ("bom_unmarked", "bom_marked"):
        with pytest.raises(SyntaxError):
            ast.parse((theirs / f"pkg/{name}.py").read_bytes())
        ast.parse((ours / f"pkg/{name}.py").read_bytes())
    # Every file fixed passes upstream's own check, but those with a mark,
    # which never can.
    assert _upstream_failures(ours) == {
        f"pkg/{name}.py" for name in {*UNFIXABLE, "bom_unmarked", "bom_marked"}
    }


def test_upstream_skips_are_skipped(tmp_path: Path) -> None:
    unmarked = "import os\n"
    write_files(
        tmp_path,
        {
            "jax2onnx/plugins/add.py": unmarked,
            "tests/examples/test_generated.py": unmarked,
            "tests/primitives/test_generated.py": unmarked,
            "tmp/maxtext/model.py": unmarked,
            "python-venv/lib/site.py": unmarked,
            "debugvenv/lib/site.py": unmarked,
            "build/lib/jax2onnx/add.py": unmarked,
            "tests/test_kept.py": unmarked,
            "scripts/tool.sh": "echo not python\n",
        },
    )
    (tmp_path / "jax2onnx/plugins/link.py").symlink_to(tmp_path / "tests/test_kept.py")
    (tmp_path / "linked").symlink_to(tmp_path / "jax2onnx", target_is_directory=True)
    expected = {"jax2onnx/plugins/add.py", "tests/test_kept.py"}
    assert _upstream_failures(tmp_path) == expected
    assert _flagged(tmp_path) == expected


def test_the_released_jax2onnx_carries_its_markers_as_upstream_judges() -> None:
    """Every file of the installed release, judged by both, from site-packages
    (the folder its markers are relative to) with no configuration."""
    package = package_source("jax2onnx")
    upstream = _upstream()
    files = sorted(package.rglob("*.py"))
    assert len(files) > 500
    failing = {
        path.relative_to(package.parent).as_posix()
        for path in files
        if not upstream.ensure_marker(
            path, upstream.expected_marker(package.parent, path), False
        )
    }
    result = run_main(
        "check",
        "--no-cache",
        "--select",
        "GR404",
        "--package",
        "jax2onnx",
        cwd=Path.cwd(),
    )
    assert failing == set()
    assert result.exit_code == 0, result.stdout
    assert f"All checks passed ({len(files)} files checked)." in result.stdout


# --fix: only when asked, printed, atomic, the rest reported.


def test_without_fix_nothing_is_written_and_fixable_findings_are_marked(
    tmp_path: Path,
) -> None:
    _write_cases(tmp_path)
    before = {path: path.read_bytes() for path in tmp_path.rglob("*.py")}
    result = run_main("check", "--no-cache", "--select", "GR404", cwd=tmp_path)
    assert {path: path.read_bytes() for path in tmp_path.rglob("*.py")} == before
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert (
        "pkg/missing.py:1:1: GR404 missing path marker `# pkg/missing.py` as line 1 [*]"
        in lines
    )
    assert (
        "pkg/stale.py:1:1: GR404 path marker `# pkg/old_name.py` should be "
        "`# pkg/stale.py` [*]"
    ) in lines
    unfixable = [line for line in lines if "syntax_error" in line]
    assert unfixable and not unfixable[0].endswith("[*]")
    marked = [line for line in lines if line.endswith(" [*]")]
    flagged = len(_upstream_failures(tmp_path)) - len(VERDICT_DIFFERS)
    assert len(marked) == flagged - len(UNFIXABLE)
    # GR001 is always on: the file that does not parse is reported twice.
    assert (
        f"Found {flagged + 1} findings in {len(CASES)} files checked; "
        f"{len(marked)} fixable with --fix."
    ) in lines


def test_fix_prints_each_fix_and_reports_what_remains(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pkg/missing.py": "import os\n",
            "pkg/stale.py": "# pkg/old.py\n\nimport os\n",
            "pkg/ok.py": "# pkg/ok.py\n\nimport os\n",
            "pkg/broken.py": "def broken(:\n",
        },
    )
    fixed = run_main("check", "--select", "GR404", "--fix", cwd=tmp_path)
    assert sorted(fixed.stderr.splitlines()) == [
        "Fixed pkg/missing.py:1:1: GR404 missing path marker `# pkg/missing.py` "
        "as line 1",
        "Fixed pkg/stale.py:1:1: GR404 path marker `# pkg/old.py` should be "
        "`# pkg/stale.py`",
    ]
    # The report is of the files as they are now: only what could not be fixed.
    assert fixed.stdout.splitlines()[:1] == [
        "pkg/broken.py:1:1: GR404 missing path marker `# pkg/broken.py` as line 1"
    ]
    assert fixed.exit_code == 1
    assert (
        tmp_path / "pkg/missing.py"
    ).read_text() == "# pkg/missing.py\n\nimport os\n"
    again = run_main("check", "--select", "GR404", "--fix", cwd=tmp_path)
    assert again.stderr == ""
    assert again.stdout == fixed.stdout


def test_fix_replaces_files_atomically_keeping_their_mode(tmp_path: Path) -> None:
    target = tmp_path / "pkg" / "tool.py"
    write_files(tmp_path, {"pkg/tool.py": "#!/usr/bin/env python3\nprint(1)\n"})
    target.chmod(0o751)
    inode = target.stat().st_ino
    result = run_main("check", "--select", "GR404", "--fix", "--no-cache", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert target.read_text() == "#!/usr/bin/env python3\n# pkg/tool.py\n\nprint(1)\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o751
    # A new file renamed over the old one, and no temporary file left behind.
    assert target.stat().st_ino != inode
    assert sorted(path.name for path in target.parent.iterdir()) == ["tool.py"]


def test_fix_keeps_a_byte_order_mark_and_leaves_other_encodings(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pkg/bom.py": "\ufeffimport os\n".encode(),
            "pkg/latin.py": "# -*- coding: latin-1 -*-\ns = 'é'\n".encode("latin-1"),
        },
    )
    result = run_main("check", "--select", "GR404", "--fix", "--no-cache", cwd=tmp_path)
    assert (tmp_path / "pkg/bom.py").read_bytes() == (
        "\ufeff# pkg/bom.py\n\nimport os\n".encode()
    )
    # Reported, not marked fixable, not touched: the fix is written as UTF-8.
    assert (tmp_path / "pkg/latin.py").read_bytes() == (
        "# -*- coding: latin-1 -*-\ns = 'é'\n".encode("latin-1")
    )
    assert result.stdout.splitlines()[0] == (
        "pkg/latin.py:1:1: GR404 missing path marker `# pkg/latin.py` as line 1"
    )


def test_a_fixed_file_is_not_reported_from_the_cache(tmp_path: Path) -> None:
    write_files(tmp_path, {"pkg/a.py": "import os\n"})
    assert run_main("check", "--select", "GR404", cwd=tmp_path).exit_code == 1
    assert run_main("check", "--select", "GR404", "--fix", cwd=tmp_path).exit_code == 0
    assert run_main("check", "--select", "GR404", cwd=tmp_path).exit_code == 0
    # And a file broken again is reported again, cache or not.
    (tmp_path / "pkg/a.py").write_text("import os\n")
    assert run_main("check", "--select", "GR404", cwd=tmp_path).exit_code == 1


def test_json_output_is_unchanged_by_fixability(tmp_path: Path) -> None:
    import json

    write_files(tmp_path, {"pkg/a.py": "import os\n"})
    result = run_main("check", "--select", "GR404", "--format", "json", cwd=tmp_path)
    (finding,) = json.loads(result.stdout)["findings"]
    assert set(finding) == {
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "code",
        "rule",
        "message",
    }
    assert (finding["line"], finding["end_column"], finding["rule"]) == (
        1,
        10,
        "missing-path-marker",
    )


# Opt-in, and configuration.


def test_gr404_runs_only_when_selected_by_name(tmp_path: Path) -> None:
    write_files(tmp_path, {"pkg/a.py": "import os\n"})
    assert run_main("check", cwd=tmp_path).exit_code == 0
    assert "GR404" in run_main("check", "--select", "GR4", cwd=tmp_path).stdout
    write_files(
        tmp_path, {"pyproject.toml": '[tool.guardrails]\nextend-select = ["GR404"]\n'}
    )
    assert "pkg/a.py:1:1: GR404" in run_main("check", cwd=tmp_path).stdout
    # --select on the command line replaces the configuration, extend-select too.
    assert run_main("check", "--select", "GR1", cwd=tmp_path).exit_code == 0
    assert run_main("check", "--ignore", "GR404", cwd=tmp_path).exit_code == 0


def test_marker_root_is_the_config_root_site_packages_or_a_work_tree_top(
    tmp_path: Path,
) -> None:
    write_files(
        tmp_path,
        {
            "repo/pkg/a.py": "# pkg/a.py\n\n",
            # A work tree nested in the checkout changes nothing, as upstream.
            "repo/vendor/lib/b.py": "# vendor/lib/b.py\n\n",
            "repo/.venv/lib/python3.11/site-packages/dep/c.py": "# dep/c.py\n\n",
            "repo/pkg/wrong.py": "import os\n",
            # Outside the configuration root: its own work tree's top.
            "elsewhere/tool/d.py": "# tool/d.py\n\n",
            "elsewhere/tool/e.py": "# elsewhere/tool/e.py\n\n",
        },
    )
    git("init", "--quiet", cwd=tmp_path / "repo/vendor")
    git("init", "--quiet", cwd=tmp_path / "elsewhere")
    root = tmp_path / "repo"
    config = Config(root=root, exclude=())
    files = collect_files([root, tmp_path / "elsewhere"], root, ())
    found = check_files(files, config, selected_rules(["GR404"], ()), root).findings
    assert sorted(finding.path for finding in found) == [
        str(tmp_path / "elsewhere/tool/e.py"),
        "pkg/wrong.py",
    ]
    # A configured root wins; files outside it are not judged.
    config = Config(root=root, exclude=(), path_marker=PathMarkerConfig(root="pkg"))
    write_files(root, {"pkg/a.py": "# a.py\n\n"})
    assert _flagged(root, config) == {"pkg/wrong.py"}


def test_include_and_exclude_are_configurable(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": "[tool.guardrails.path-marker]\n"
            'include = ["jax2onnx/**"]\nexclude = ["jax2onnx/sandbox/**"]\n',
            "jax2onnx/a.py": "import os\n",
            "jax2onnx/sandbox/b.py": "import os\n",
            "scripts/c.py": "import os\n",
        },
    )
    result = run_main("check", "--select", "GR404", cwd=tmp_path)
    assert [line.split(":")[0] for line in result.stdout.splitlines()[:-1]] == [
        "jax2onnx/a.py"
    ]


@pytest.mark.parametrize(
    ("setting", "error"),
    [
        (
            "[tool.guardrails.path-marker]\nroots = 'x'\n",
            "unknown key 'tool.guardrails.path-marker.roots'",
        ),
        (
            "[tool.guardrails.path-marker]\ninclude = 'x'\n",
            "path-marker.include must be a list of strings",
        ),
        (
            "[tool.guardrails]\npath-marker = 1\n",
            "tool.guardrails.path-marker must be a table",
        ),
        (
            "[tool.guardrails]\nextend-select = ['GR9']\n",
            "extend-select: unknown rule code or prefix: GR9",
        ),
    ],
)
def test_bad_settings_are_one_line_errors(
    tmp_path: Path, setting: str, error: str
) -> None:
    write_files(tmp_path, {"pyproject.toml": setting, "a.py": "import os\n"})
    result = run_main("check", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("guardrails: error: ") and error in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_fix_function_refuses_what_it_cannot_keep_safe(tmp_path: Path) -> None:
    config = Config(root=tmp_path)
    path = tmp_path / "a.py"
    path.write_text("")

    def fix(data: bytes) -> str | None:
        return fix_path_marker(data, path, "a.py", config)

    assert fix(b"") == "# a.py\n"
    assert fix(b"# a.py\n\nx = 1\n") is None  # nothing to fix
    assert fix(b"x = '\xff'\n") is None  # not UTF-8
    assert fix(b"def broken(:\n") is None  # no program to compare
    # A cookie pushed off line 2 by the marker: only safe when UTF-8 anyway.
    assert fix(b"#!/bin/python\n# coding: utf-8\nx = 1\n") is not None
    assert fix(b"#!/bin/python\n# coding: latin-1\nx = '\xe9'\n") is None


def test_the_upstream_script_copy_is_unchanged_from_its_commit() -> None:
    # The reference must be upstream's code, not an edited copy: its own marker
    # and the rules this file mirrors are where upstream has them.
    text = UPSTREAM_SCRIPT.read_text(encoding="utf-8")
    assert text.startswith(
        "#!/usr/bin/env python3\n# scripts/ensure_path_markers.py\n\n"
    )
    assert 'if lines[insert_at].startswith("# "):' in text
    assert '("tests", "examples"),' in text


def test_gr404_needs_no_parse_and_no_libcst(tmp_path: Path) -> None:
    """The pre-commit path: with the rule catalogue cached, a changed file is
    judged from its text; neither LibCST nor a rule module is imported."""
    write_files(tmp_path, {"pkg/a.py": "import os\n", "pkg/b.py": "# pkg/b.py\n\n"})
    assert run_main("check", "--select", "GR404", cwd=tmp_path).exit_code == 1
    (tmp_path / "pkg/a.py").write_text("import sys\n")
    probe = (
        "import sys\n"
        "from guardrails.cli import main\n"
        "code = main(['check', '--select', 'GR404'])\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] == 'libcst']\n"
        "rules = [m for m in sys.modules if m.startswith('guardrails.rules.')]\n"
        "print(code, loaded, rules)\n"
    )
    result = run_python(probe, tmp_path)
    assert result.stdout.splitlines()[-1] == "1 [] []", result.stdout + result.stderr
