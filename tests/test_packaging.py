"""The package's metadata as setuptools reads it: the licence as an SPDX
expression with its file (a table is deprecated, and setuptools warns on every
install), and one version in pyproject.toml and the package."""

from __future__ import annotations

import tomllib
from typing import Any

from guardrails import __version__
from tests.readme_snippets import REPOSITORY_ROOT


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((REPOSITORY_ROOT / "pyproject.toml").read_text("utf-8"))


def test_license_is_an_spdx_expression_with_its_file() -> None:
    pyproject = _pyproject()
    project = pyproject["project"]
    assert project["license"] == "Apache-2.0"
    for name in project["license-files"]:
        text = (REPOSITORY_ROOT / name).read_text(encoding="utf-8")
        assert "Apache License" in text and "Version 2.0" in text
    # SPDX strings and license-files arrived in setuptools 77.
    assert "setuptools>=77" in pyproject["build-system"]["requires"]
    assert not any(
        "License ::" in classifier for classifier in project.get("classifiers", [])
    )


def test_one_version() -> None:
    assert _pyproject()["project"]["version"] == __version__
