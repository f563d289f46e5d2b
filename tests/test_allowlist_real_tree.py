"""GR301-GR303 and `allowlist sync` on a copy of the released jax2onnx 0.17.1 tree.

The tree is copied and synced once for the module; each test edits one file and
puts it back. Checks use the engine's cache, as a developer's runs would, so a
check after an edit re-reads only the edited file.
"""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from guardrails.cli import main
from guardrails.targets import package_source

# The installed release (the `gate` extra pins it), found as `--package` finds it.
RELEASE = package_source("jax2onnx")
FLAG_LINE = '"run_only_f32_variant": True,'


@contextmanager
def working_directory(path: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def guardrails(
    root: Path, capsys: pytest.CaptureFixture[str], *arguments: str
) -> tuple[int, str]:
    capsys.readouterr()
    with working_directory(root):
        status = main(list(arguments))
    return status, capsys.readouterr().out


def check(
    root: Path, capsys: pytest.CaptureFixture[str], *paths: str
) -> tuple[int, list[dict[str, Any]]]:
    status, out = guardrails(
        root, capsys, "check", "--select", "GR3", "--format", "json", *paths
    )
    return status, json.loads(out)["findings"]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("release")
    shutil.copytree(RELEASE, root / "jax2onnx")
    (root / "pyproject.toml").write_text('[project]\nname = "jax2onnx"\n')
    with working_directory(root):
        assert main(["allowlist", "sync", "jax2onnx"]) == 0
    yield root


@contextmanager
def edited(path: Path, old: str, new: str) -> Iterator[int]:
    """Replace the first `old` in the file; yields its line; restores the file."""
    original = path.read_text(encoding="utf-8")
    assert old in original
    try:
        path.write_text(original.replace(old, new, 1), encoding="utf-8")
        yield original[: original.index(old)].count("\n") + 1
    finally:
        path.write_text(original, encoding="utf-8")


def entries(root: Path) -> list[dict[str, str]]:
    text = (root / "guardrails-allowlist.toml").read_text(encoding="utf-8")
    allow: list[dict[str, str]] = tomllib.loads(text)["allow"]
    return allow


def test_the_baseline_covers_every_flag_and_the_check_passes(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, findings = check(tree, capsys, "jax2onnx")
    assert (status, findings) == (0, [])

    allow = entries(tree)
    flags = {entry["flag"] for entry in allow}
    assert flags == {"run_only_f32_variant", "skip_numeric_validation"}
    assert {entry["reason"] for entry in allow} == {"baseline"}
    # Every flag line of the release is covered by an entry naming its file.
    files = {entry["file"] for entry in allow}
    flagged_files = {
        f"jax2onnx/{path.relative_to(RELEASE).as_posix()}"
        for path in RELEASE.rglob("*.py")
        if FLAG_LINE in path.read_text(encoding="utf-8")
    }
    assert flagged_files <= files
    # The dino helper's loop is folded into its four names; MaxText's loop over
    # config files cannot be, and is a glob.
    identities = {(e["context"], e["component"], e["testcase"]) for e in allow}
    for name in ("Ti14", "S14", "B14", "S16"):
        assert (
            "examples.eqx_dino",
            "DINOv3VisionTransformer",
            f"eqx_dinov3_vit_{name}",
        ) in identities
    assert ("examples.maxtext", "MaxText_*", "maxtext_*") in identities

    status, out = guardrails(tree, capsys, "allowlist", "sync", "jax2onnx")
    assert status == 0
    assert out == f"guardrails-allowlist.toml: up to date ({len(allow)} entries)\n"


def test_adding_the_flag_to_a_testcase_gives_one_gr301_at_its_line(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add = tree / "jax2onnx/plugins/jax/lax/add.py"
    old = '"testcase": "add",\n'
    with edited(add, old, old + "            " + FLAG_LINE + "\n") as line:
        status, findings = check(tree, capsys, "jax2onnx")
    assert status == 1
    assert [(f["code"], f["path"], f["line"]) for f in findings] == [
        ("GR301", "jax2onnx/plugins/jax/lax/add.py", line + 1)
    ]
    assert "primitives.lax::add::add" in findings[0]["message"]


def test_deleting_a_flag_gives_gr302_at_its_entry(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mul = tree / "jax2onnx/plugins/jax/lax/mul.py"
    allowlist = (tree / "guardrails-allowlist.toml").read_text().splitlines()
    entry_line = allowlist.index('testcase = "mul_complex64"') - 3
    assert allowlist[entry_line - 1] == "[[allow]]"
    assert allowlist[entry_line + 1] == 'context = "primitives.lax"'
    with edited(mul, "            " + FLAG_LINE + "\n", ""):
        whole = check(tree, capsys, "jax2onnx")
        # A pre-commit run passes the changed file only: same single finding.
        changed = check(tree, capsys, "jax2onnx/plugins/jax/lax/mul.py")
        # ... and a run on another file judges none of the entries of mul.py.
        other = check(tree, capsys, "jax2onnx/plugins/jax/lax/add.py")
    for status, findings in (whole, changed):
        assert status == 1
        assert [(f["code"], f["path"], f["line"]) for f in findings] == [
            ("GR302", "guardrails-allowlist.toml", entry_line)
        ]
        assert "primitives.lax::mul::mul_complex64" in findings[0]["message"]
    assert other == (0, [])


def test_a_single_file_run_reports_no_stale_entries_for_other_files(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, findings = check(tree, capsys, "jax2onnx/plugins/examples/eqx/dino.py")
    assert (status, findings) == (0, [])
    status, findings = check(tree, capsys, "jax2onnx/plugins/jax/lax/add.py")
    assert (status, findings) == (0, [])
