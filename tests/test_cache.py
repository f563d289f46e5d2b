"""The result cache: reused when nothing changed, never trusted when anything did.

Every test drives the real `guardrails check` command in a subprocess (so each
run starts as a user's would, with nothing imported) over a small tree with its
own pyproject.toml, and compares against a `--no-cache` run of the same tree.
A run that reuses every file's result is recognised by its never loading the
engine's parse-and-walk module; without project rules it imports no LibCST at all.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import guardrails
from guardrails.engine.cache import CACHE_FOLDER
from guardrails.targets import package_source

ONNX_IMPORT = "import onnx\n"
CLEAN = "import onnx_ir as ir\n\n\ndef f(x):\n    return ir.tensor(x)\n"
# Runs the CLI in-process and reports whether any file was parsed or walked
# (the engine's walk module loads only then) and whether LibCST was imported.
_DRIVER = (
    "import sys\n"
    "from guardrails.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "sys.stderr.write('analysed=%s\\n' % ('guardrails.engine.walk' in sys.modules))\n"
    "sys.stderr.write('libcst=%s\\n' % ('libcst' in sys.modules))\n"
    "sys.exit(code)\n"
)

EXAMPLE = """\
from jax2onnx.plugins.plugin_system import register_example

register_example(
    component="{component}",
    context="examples.eqx", since="0.1.0",
    testcases=[
        {{
            "testcase": "{testcase}",
            "callable": lambda x: x,
{flag}        }},
    ],
)
"""
FLAG = '            "run_only_f32_variant": True,\n'


def _allow(component: str, testcase: str, file: str) -> str:
    return (
        "[[allow]]\n"
        'flag = "run_only_f32_variant"\n'
        'context = "examples.eqx"\n'
        f'component = "{component}"\n'
        f'testcase = "{testcase}"\n'
        f'file = "{file}"\n'
        'reason = "no float64 kernel"\n\n'
    )


@dataclass(frozen=True)
class Run:
    exit_code: int
    output: str
    analysed: bool


@pytest.fixture(scope="module", autouse=True)
def frozen_guardrails(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Runs import guardrails from a copy taken now: the cache key covers the
    tool's own source, so an edit to the checkout during a test (a developer
    saving a file) must not turn a warm run cold."""
    copy = tmp_path_factory.mktemp("frozen")
    shutil.copytree(
        Path(guardrails.__file__).parent,
        copy / "guardrails",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    _ENVIRONMENT["PYTHONPATH"] = str(copy)
    yield
    _ENVIRONMENT.pop("PYTHONPATH")


_ENVIRONMENT: dict[str, str] = {}


def _start(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _DRIVER, "check", *args],
        cwd=root,
        env={**os.environ, **_ENVIRONMENT},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str]) -> Run:
    out, err = process.communicate(timeout=600)
    assert "Traceback" not in err, err
    return Run(process.returncode, out, "analysed=True" in err)


def _run(root: Path, *args: str) -> Run:
    return _finish(_start(root, *args))


def _tree(root: Path, files: dict[str, str]) -> Path:
    (root / "pyproject.toml").write_text("[tool.guardrails]\n", encoding="utf-8")
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def _entries(root: Path) -> list[Path]:
    return sorted((root / CACHE_FOLDER).glob("*/*.json"))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return _tree(
        tmp_path,
        {"jax2onnx/plugins/bad.py": ONNX_IMPORT, "jax2onnx/plugins/clean.py": CLEAN},
    )


def test_a_warm_run_reuses_every_result(tree: Path) -> None:
    cold = _run(tree)
    assert cold.exit_code == 1 and "GR101" in cold.output and cold.analysed
    warm = _run(tree)
    assert warm == Run(cold.exit_code, cold.output, analysed=False)
    assert _run(tree, "--no-cache").output == cold.output


def test_without_project_rules_a_warm_run_imports_no_libcst(tree: Path) -> None:
    # Project rules (GR3) run every time, and they are LibCST visitors.
    _run(tree, "--select", "GR1")
    process = _start(tree, "--select", "GR1")
    out, err = process.communicate(timeout=600)
    assert "GR101" in out
    assert "analysed=False" in err and "libcst=False" in err


def test_a_changed_file_is_checked_again_and_only_it(tree: Path) -> None:
    _run(tree)
    before = set(_entries(tree))
    (tree / "jax2onnx/plugins/clean.py").write_text(
        CLEAN + ONNX_IMPORT, encoding="utf-8"
    )
    changed = _run(tree)
    assert changed.analysed
    assert changed.output.count("GR101") == 2
    assert changed.output == _run(tree, "--no-cache").output
    added = set(_entries(tree)) - before
    assert len(added) == 1  # one new entry: the changed file's new content
    # Back to the old content: its old entry is still valid.
    (tree / "jax2onnx/plugins/clean.py").write_text(CLEAN, encoding="utf-8")
    assert not _run(tree).analysed


def test_a_configuration_change_invalidates(tree: Path) -> None:
    assert "GR101" in _run(tree).output
    (tree / "pyproject.toml").write_text(
        '[tool.guardrails]\nir-only-paths = ["**/converter/**"]\n', encoding="utf-8"
    )
    moved = _run(tree)
    assert moved.exit_code == 0 and "GR101" not in moved.output
    assert moved.output == _run(tree, "--no-cache").output


def test_a_different_rule_selection_is_cached_apart(tree: Path) -> None:
    everything = _run(tree)
    assert "GR101" in everything.output
    only_attributes = _run(tree, "--select", "GR104")
    assert only_attributes.exit_code == 0 and "GR101" not in only_attributes.output
    assert _run(tree, "--select", "GR104") == Run(
        0, only_attributes.output, analysed=False
    )
    assert _run(tree).output == everything.output


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda text: "", id="empty"),
        pytest.param(lambda text: text[: len(text) // 2], id="truncated"),
        pytest.param(lambda text: "\x00\xff garbage {", id="garbage"),
        pytest.param(lambda text: "[]", id="wrong-shape"),
        pytest.param(
            lambda text: text.replace('"line": ', '"line": "one", "x": '),
            id="wrong-types",
        ),
        pytest.param(
            lambda text: text.replace("jax2onnx/plugins/", "elsewhere/"),
            id="other-file",
        ),
    ],
)
def test_a_damaged_cache_is_ignored_and_rebuilt(tree: Path, damage: object) -> None:
    assert callable(damage)
    cold = _run(tree)
    for entry in [*_entries(tree), *(tree / CACHE_FOLDER).glob("catalogue-*.json")]:
        entry.write_text(damage(entry.read_text(encoding="utf-8")), encoding="utf-8")
    rebuilt = _run(tree)
    assert (rebuilt.exit_code, rebuilt.output) == (cold.exit_code, cold.output)
    for entry in _entries(tree):
        json.loads(entry.read_text(encoding="utf-8"))  # rewritten whole
    assert _run(tree) == Run(cold.exit_code, cold.output, analysed=False)


def test_no_cache_neither_reads_nor_writes(tree: Path) -> None:
    no_cache = _run(tree, "--no-cache")
    assert not (tree / CACHE_FOLDER).exists()
    _run(tree)
    for entry in _entries(tree):
        entry.write_text("{}", encoding="utf-8")
    before = {entry: entry.read_text(encoding="utf-8") for entry in _entries(tree)}
    assert _run(tree, "--no-cache").output == no_cache.output
    assert {e: e.read_text(encoding="utf-8") for e in _entries(tree)} == before


def test_the_cache_folder_ignores_itself_for_git(tree: Path) -> None:
    _run(tree)
    assert (tree / CACHE_FOLDER / ".gitignore").read_text().splitlines()[-1] == "*"


def test_two_concurrent_runs_agree_and_leave_a_valid_cache(tmp_path: Path) -> None:
    # Enough real files that both runs write entries at the same time.
    plugins = package_source("jax2onnx") / "plugins"
    files = sorted(plugins.glob("jax/lax/*.py"))[:40]
    assert len(files) == 40
    root = _tree(tmp_path, {})
    for file in files:
        shutil.copy(file, root / file.name)
    expected = _run(root, "--no-cache")
    first, second = _start(root), _start(root)
    results = [_finish(first), _finish(second)]
    for result in results:
        assert (result.exit_code, result.output) == (
            expected.exit_code,
            expected.output,
        )
    entries = _entries(root)
    assert len([e for e in entries if not e.name.startswith("project-")]) == len(files)
    for entry in entries:
        json.loads(entry.read_text(encoding="utf-8"))
    assert list((root / CACHE_FOLDER).rglob("*.tmp")) == []
    assert _run(root) == Run(expected.exit_code, expected.output, analysed=False)


def test_stale_allowlist_entries_stay_right_with_part_of_the_tree_cached(
    tmp_path: Path,
) -> None:
    root = _tree(
        tmp_path,
        {
            "jax2onnx/plugins/a.py": EXAMPLE.format(
                component="A", testcase="a1", flag=FLAG
            ),
            "jax2onnx/plugins/b.py": EXAMPLE.format(
                component="B", testcase="b1", flag=FLAG
            ),
            "guardrails-allowlist.toml": _allow("A", "a1", "jax2onnx/plugins/a.py")
            + _allow("B", "b1", "jax2onnx/plugins/b.py"),
        },
    )
    assert _run(root).exit_code == 0
    # a.py drops its flag; b.py's result comes from the cache, a.py's is new.
    (root / "jax2onnx/plugins/a.py").write_text(
        EXAMPLE.format(component="A", testcase="a1", flag=""), encoding="utf-8"
    )
    partial = _run(root)
    assert partial.output == _run(root, "--no-cache").output
    stale = [line for line in partial.output.splitlines() if "GR302" in line]
    assert len(stale) == 1 and stale[0].startswith("guardrails-allowlist.toml:1:")
    # Only the allowlist changes: every file is cached, the project rule is not.
    (root / "guardrails-allowlist.toml").write_text(
        _allow("B", "b1", "jax2onnx/plugins/b.py"), encoding="utf-8"
    )
    fixed = _run(root)
    assert fixed.exit_code == 0 and "GR302" not in fixed.output
    # A pre-commit style run of b.py alone judges no entry of a.py.
    (root / "guardrails-allowlist.toml").write_text(
        _allow("A", "a1", "jax2onnx/plugins/a.py")
        + _allow("B", "b1", "jax2onnx/plugins/b.py"),
        encoding="utf-8",
    )
    only_b = _run(root, "jax2onnx/plugins/b.py")
    assert only_b.exit_code == 0, only_b.output
    assert "GR302" in _run(root).output
