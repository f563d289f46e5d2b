"""`allowlist sync --package jax2onnx` on the installed release: the entries name
files as the package's source tree does, never by one machine's site-packages path,
and `check --package` judges them from wherever the package is installed."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from guardrails.cli import main
from guardrails.targets import package_source


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("synced")
    previous = Path.cwd()
    os.chdir(folder)
    try:
        # An installed package's entries are written only into a named allowlist.
        arguments = [
            "--package",
            "jax2onnx",
            "--allowlist",
            "guardrails-allowlist.toml",
        ]
        assert main(["allowlist", "sync", *arguments]) == 0
        yield folder
    finally:
        os.chdir(previous)


def check(folder: Path, capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    capsys.readouterr()
    previous = Path.cwd()
    os.chdir(folder)
    try:
        main(["check", "--select", "GR3", "--format", "json", *args])
    finally:
        os.chdir(previous)
    findings = json.loads(capsys.readouterr().out)["findings"]
    return [f"{f['code']} {f['message']}" for f in findings]


def test_entries_name_files_relative_to_the_package(synced: Path) -> None:
    text = (synced / "guardrails-allowlist.toml").read_text(encoding="utf-8")
    files = {entry["file"] for entry in tomllib.loads(text)["allow"]}
    installed = package_source("jax2onnx")
    assert files
    assert str(installed.parent) not in text
    assert all(name.startswith("jax2onnx/plugins/") for name in files), files
    assert all((installed.parent / name).is_file() for name in files)


def test_the_synced_allowlist_passes_on_the_package_and_its_parts(
    synced: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check(synced, capsys, "--package", "jax2onnx") == []
    # Entries of files left out of the check are not judged stale.
    assert check(synced, capsys, "--package", "jax2onnx.plugins.jax") == []


def test_an_entry_for_a_file_gone_from_the_package_is_stale(
    synced: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    allowlist = synced / "guardrails-allowlist.toml"
    original = allowlist.read_text(encoding="utf-8")
    gone = (
        '\n[[allow]]\nflag = "run_only_f32_variant"\ncontext = "primitives.gone"\n'
        'file = "jax2onnx/plugins/gone.py"\nreason = "r"\n'
    )
    allowlist.write_text(original + gone, encoding="utf-8")
    try:
        found = check(synced, capsys, "--package", "jax2onnx.plugins.jax")
    finally:
        allowlist.write_text(original, encoding="utf-8")
    assert len(found) == 1 and found[0].startswith("GR302 ")
    assert "jax2onnx/plugins/gone.py" in found[0]
