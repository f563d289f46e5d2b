"""`[tool.guardrails]`: discovery, defaults, every key's effect, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.check_support import run_main, run_process, write_files

VIOLATION = "import onnx\n"


def reported(cwd: Path, *args: str) -> list[str]:
    run = run_main("check", "--select", "GR101", *args, cwd=cwd)
    assert run.stderr == ""
    return [line.split(":")[0] for line in run.stdout.splitlines()[:-1]]


def test_defaults_cover_jax2onnx_own_converter_and_plugins(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "jax2onnx/converter/a.py": VIOLATION,
            "jax2onnx/plugins/jax/lax/b.py": VIOLATION,
            "src/jax2onnx/plugins/c.py": VIOLATION,
            # The upstream repository's tests mirror the package's folder names.
            "tests/extra_tests/converter/t.py": VIOLATION,
            "tests/plugins/u.py": VIOLATION,
            "deep/er/plugins/v.py": VIOLATION,
            "jax2onnx/serde/d.py": VIOLATION,
            "jax2onnx/plugins_extra/e.py": VIOLATION,
            "jax2onnx/converter.py": VIOLATION,
        },
    )
    assert reported(tmp_path) == [
        "jax2onnx/converter/a.py",
        "jax2onnx/plugins/jax/lax/b.py",
        "src/jax2onnx/plugins/c.py",
    ]


def test_defaults_find_the_package_checked_from_inside_it(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {"jax2onnx/plugins/a.py": VIOLATION, "jax2onnx/serde/b.py": VIOLATION},
    )
    assert reported(tmp_path / "jax2onnx") == ["plugins/a.py"]


def test_default_excludes_skip_vcs_environments_build_output_and_caches(
    tmp_path: Path,
) -> None:
    skipped = [
        ".git/plugins/x.py",
        ".venv/lib/python3.11/site-packages/jax2onnx/plugins/x.py",
        "venv/plugins/x.py",
        ".tox/py311/plugins/x.py",
        "build/lib/jax2onnx/plugins/x.py",
        "dist/plugins/x.py",
        "jax2onnx/plugins/__pycache__/x.py",
        ".mypy_cache/plugins/x.py",
        "pkg.egg-info/plugins/x.py",
    ]
    write_files(
        tmp_path, {name: VIOLATION for name in [*skipped, "jax2onnx/plugins/x.py"]}
    )
    assert reported(tmp_path) == ["jax2onnx/plugins/x.py"]


def test_nearest_pyproject_is_found_upward_and_anchors_the_globs(
    tmp_path: Path,
) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": (
                "[project]\nname = 'x'\n\n[tool.guardrails]\n"
                'ir-only-paths = ["src/ir/**"]\n'
                'extend-exclude = ["src/ir/generated"]\n'
            ),
            "src/ir/a.py": VIOLATION,
            "src/ir/generated/b.py": VIOLATION,
            "src/plugins/c.py": VIOLATION,
        },
    )
    assert reported(tmp_path / "src") == ["ir/a.py"]
    assert reported(tmp_path / "src/ir") == ["a.py"]


def test_a_pyproject_without_the_section_keeps_the_defaults(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": "[tool.guardrails]\nir-only-paths = ['nothing/**']\n",
            "inner/pyproject.toml": "[project]\nname = 'inner'\n",
            "inner/jax2onnx/plugins/a.py": VIOLATION,
        },
    )
    # The inner project has no section, so the search goes on to the outer one.
    assert reported(tmp_path / "inner") == []
    assert reported(tmp_path / "inner", "--config", "pyproject.toml") == [
        "jax2onnx/plugins/a.py"
    ]


def test_exclude_replaces_the_defaults(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": '[tool.guardrails]\nexclude = ["**/legacy"]\n',
            "legacy/jax2onnx/plugins/a.py": VIOLATION,
            "build/jax2onnx/plugins/b.py": VIOLATION,
        },
    )
    assert reported(tmp_path) == ["build/jax2onnx/plugins/b.py"]


def test_select_and_ignore_from_the_configuration(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": (
                '[tool.guardrails]\nselect = ["GR10"]\nignore = ["GR102"]\n'
            ),
            "jax2onnx/plugins/a.py": "import onnx\nimport onnx_ir._core\n",
        },
    )

    def codes(*args: str) -> list[str]:
        run = run_main("check", *args, cwd=tmp_path)
        return [line.split()[1] for line in run.stdout.splitlines()[:-1]]

    assert codes() == ["GR101"]
    # --select on the command line replaces the configured one; ignores add up.
    assert codes("--select", "GR102") == []
    assert codes("--select", "GR1", "--ignore", "GR101") == []


def test_config_option_reads_a_dedicated_file_with_top_level_keys(
    tmp_path: Path,
) -> None:
    write_files(
        tmp_path,
        {
            "guardrails.toml": 'ir-only-paths = ["lib/**"]\n',
            "lib/a.py": VIOLATION,
            "jax2onnx/plugins/b.py": VIOLATION,
        },
    )
    assert reported(tmp_path, "--config", "guardrails.toml") == ["lib/a.py"]
    assert reported(tmp_path) == ["jax2onnx/plugins/b.py"]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            "[tool.guardrails]\nir-only-path = []\n",
            "pyproject.toml: unknown key 'tool.guardrails.ir-only-path' (known: "
            "allowlist, artifact-patterns, compat-module, exclude, extend-exclude, "
            "extend-select, gate, ignore, ir-only-paths, jax-compat-apis, key-names, "
            "path-marker, reflection-attributes, reflection-paths, reflection-types, "
            "select, upstream-skip-lists)",
        ),
        (
            '[tool.guardrails]\nir-only-paths = "plugins/**"\n',
            "pyproject.toml: tool.guardrails.ir-only-paths must be a list of strings",
        ),
        (
            "[tool.guardrails]\nexclude = [1, 2]\n",
            "pyproject.toml: tool.guardrails.exclude must be a list of strings",
        ),
        (
            "[tool.guardrails]\nallowlist = ['a.toml']\n",
            "pyproject.toml: tool.guardrails.allowlist must be a string",
        ),
        (
            "[tool.guardrails]\ngate = 'yes'\n",
            "pyproject.toml: tool.guardrails.gate must be a table",
        ),
        (
            "[tool.guardrails.gate]\nspecz = 'x'\n",
            "pyproject.toml: unknown key 'tool.guardrails.gate.specz' (known: "
            "examples, known-failures, modules, specs)",
        ),
        (
            "[tool]\nguardrails = 1\n",
            "pyproject.toml: tool.guardrails must be a table",
        ),
        (
            "[tool.guardrails]\nselect = [\n",
            "pyproject.toml: invalid TOML: Invalid value (at end of document)",
        ),
        (
            "[tool.guardrails\n",
            "pyproject.toml: invalid TOML: Expected ']' at the end of a table "
            "declaration (at line 1, column 17)",
        ),
    ],
    ids=[
        "unknown-key",
        "string-not-list",
        "list-of-ints",
        "list-not-string",
        "gate-not-table",
        "unknown-gate-key",
        "section-not-table",
        "unterminated-array",
        "bad-table-header",
    ],
)
def test_configuration_errors_are_one_line_exit_2(
    tmp_path: Path, toml: str, message: str
) -> None:
    write_files(tmp_path, {"pyproject.toml": toml, "jax2onnx/plugins/a.py": VIOLATION})
    run = run_main("check", cwd=tmp_path)
    assert (run.exit_code, run.stdout) == (2, "")
    assert run.stderr == f"guardrails: error: {message}\n"


def test_configuration_error_from_the_real_process(tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": "[tool.guardrails]\nbogus = 1\n"})
    run = run_process("check", cwd=tmp_path / ".")
    assert run.exit_code == 2
    assert run.stderr.startswith(
        "guardrails: error: pyproject.toml: unknown key 'tool.guardrails.bogus'"
    )
    assert run.stderr.count("\n") == 1
    assert "Traceback" not in run.stderr


def test_errors_in_a_config_file_name_it(tmp_path: Path) -> None:
    write_files(tmp_path, {"ci/guardrails.toml": "select = 'GR1'\n"})
    run = run_main("check", "--config", "ci/guardrails.toml", cwd=tmp_path)
    assert run.exit_code == 2
    assert run.stderr == (
        "guardrails: error: ci/guardrails.toml: select must be a list of strings\n"
    )
    missing = run_main("check", "--config", "nowhere.toml", cwd=tmp_path)
    assert missing.exit_code == 2
    assert missing.stderr == (
        "guardrails: error: nowhere.toml: cannot read: No such file or directory\n"
    )


def test_an_unknown_code_in_the_configuration_is_a_usage_error(
    tmp_path: Path,
) -> None:
    write_files(tmp_path, {"pyproject.toml": "[tool.guardrails]\nignore = ['XY1']\n"})
    run = run_main("check", cwd=tmp_path)
    assert run.exit_code == 2
    assert run.stderr.count("\n") == 1
    assert "XY1" in run.stderr
