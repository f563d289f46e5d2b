"""Every ref the README and the docs pages (and the reusable workflow's own
example) tell a user to pin names one release, exists, and holds the tool main has.

The discipline: `pyproject.toml`'s version is the release. The README pins
pre-commit's `rev:` and `pip install …@` to the tag `v<version>`, and the
workflow's `uses: …@` and `guardrails-ref` to the full SHA of the commit that tag
names (zizmor wants a SHA; the comment says which release it is). Until the tag
is made (`git tag v<version> <SHA>`, after merging), the version must be newer
than every tag, and the SHA must already be a commit of main's history. The
pinned commit must hold the tool main has wherever a user can tell: the
package's metadata, the hook manifest, the reusable workflow, every command's
options, the rules, and the README's configuration examples. When main moves past
that, this test fails: pin a newer commit (before the tag is made) or bump the
version for a new release.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.version import InvalidVersion, Version

from guardrails import __version__
from tests.readme_snippets import REPOSITORY_ROOT, documents, published_repository

WORKFLOWS = REPOSITORY_ROOT / ".github" / "workflows"
MANIFEST = ".pre-commit-hooks.yaml"
REUSABLE = ".github/workflows/guardrails.yml"
TAG = f"v{__version__}"
_PIP_PIN = re.compile(
    rf"git\+https://github\.com/{re.escape(published_repository())}@(?P<ref>[^'\"\s]+)"
)
_WORKFLOW_PATH = r"/\.github/workflows/guardrails\.yml"
_USES_PIN = re.compile(
    rf"uses:[ \t]*{re.escape(published_repository())}{_WORKFLOW_PATH}"
    r"@(?P<ref>\S+)(?P<comment>[^\n]*)"
)
_REF_INPUT = re.compile(r"guardrails-ref:[ \t]*(?P<ref>[^\s$]\S*)")
_FULL_SHA = re.compile(r"[0-9a-f]{40}")


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    return subprocess.run(
        ["git", *args],
        cwd=REPOSITORY_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def _documents() -> dict[str, str]:
    """The README, every docs page and every workflow file (their comments
    hold an example)."""
    texts = {
        path.relative_to(REPOSITORY_ROOT).as_posix(): path.read_text(encoding="utf-8")
        for path in documents()
    }
    for path in sorted(WORKFLOWS.glob("*.y*ml")):
        texts[path.relative_to(REPOSITORY_ROOT).as_posix()] = path.read_text("utf-8")
    return texts


def _pre_commit_revs(text: str) -> list[str]:
    """The `rev:` of every pre-commit entry for this repository in the text's
    YAML code blocks."""
    revs = []
    for block in re.findall(r"```yaml\n(.*?)\n```", text, re.DOTALL):
        loaded = yaml.safe_load(block)
        if not isinstance(loaded, dict):
            continue
        for repo in loaded.get("repos", []):
            if repo.get("repo") == f"https://github.com/{published_repository()}":
                revs.append(str(repo["rev"]))
    return revs


def _commit_pins() -> list[tuple[str, str, str]]:
    """(document, ref, comment) of every workflow `uses:` and `guardrails-ref`
    pin; `${{ … }}` expressions (this repository's own CI) are no pins."""
    pins = []
    for name, text in _documents().items():
        pins += [
            (name, m["ref"], m["comment"].strip()) for m in _USES_PIN.finditer(text)
        ]
        pins += [(name, m["ref"], "") for m in _REF_INPUT.finditer(text)]
    return pins


def _readme_commit() -> str:
    pinned = [ref for name, ref, _ in _commit_pins() if name.endswith(".md")]
    assert pinned, "the README pins no commit of the reusable workflow"
    return pinned[0]


def test_the_readme_pins_the_release_of_pyprojects_version() -> None:
    pages = [text for name, text in _documents().items() if name.endswith(".md")]
    revs = [rev for text in pages for rev in _pre_commit_revs(text)]
    installs = [m["ref"] for text in pages for m in _PIP_PIN.finditer(text)]
    assert len(revs) >= 2 and installs, "the README's pins moved: update this test"
    assert set(revs) == set(installs) == {TAG}
    sha = _readme_commit()
    assert _FULL_SHA.fullmatch(sha), sha
    for name, ref, comment in _commit_pins():
        if name.endswith(".md"):
            assert ref == sha, (name, ref)
            if comment:
                assert comment == f"# {TAG}", (name, comment)
        else:
            # The reusable workflow's header example: the release's tag.
            assert ref in (sha, TAG), (name, ref)


def test_the_pinned_commit_exists_and_the_tag_names_it() -> None:
    sha = _readme_commit()
    resolved = _git("rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}")
    assert resolved.returncode == 0, f"{sha} is no commit of this repository"
    ancestor = _git("merge-base", "--is-ancestor", sha, "HEAD")
    assert ancestor.returncode == 0, f"{sha} is not in HEAD's history"
    tag = _git("rev-parse", "--verify", "--quiet", f"{TAG}^{{commit}}")
    if tag.returncode == 0:
        assert tag.stdout.strip() == sha, (
            f"tag {TAG} names {tag.stdout.strip()}, the README pins {sha}"
        )
        return
    # Not tagged yet: a release being prepared, newer than every one made.
    tags = _git("tag", "--list", "v*").stdout.split()
    released = []
    for name in tags:
        try:
            released.append(Version(name.removeprefix("v")))
        except InvalidVersion:
            continue
    assert all(version < Version(__version__) for version in released), (
        f"{TAG} is not tagged, but a newer release is: {sorted(released)}"
    )


@pytest.fixture(scope="module")
def pinned_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pinned commit's files, as `git archive` gives them."""
    sha = _readme_commit()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", sha],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        check=True,
    )
    target = tmp_path_factory.mktemp("pinned")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    return target


def _project(root: Path) -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads(
        (root / "pyproject.toml").read_text(encoding="utf-8")
    )["project"]
    return project


def _yaml(root: Path, name: str) -> Any:
    return yaml.safe_load((root / name).read_text(encoding="utf-8"))


def _guardrails(source: Path, *args: str, cwd: Path) -> tuple[int, str]:
    """`guardrails ARGS` run from the package in `source`."""
    environment = {**os.environ, "COLUMNS": "100", "PYTHONPATH": str(source)}
    environment.pop("GUARDRAILS_GATE_JAX_CACHE", None)
    done = subprocess.run(
        [sys.executable, "-m", "guardrails", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def test_the_pinned_commit_holds_mains_package_hooks_and_workflow(
    pinned_tree: Path,
) -> None:
    assert _project(pinned_tree) == _project(REPOSITORY_ROOT)
    # Comments aside (the workflow's header example may name the pin).
    for name in (MANIFEST, REUSABLE):
        assert _yaml(pinned_tree, name) == _yaml(REPOSITORY_ROOT, name), name


@pytest.mark.parametrize(
    "command",
    [
        ("--version",),
        ("rules",),
        ("check", "--help"),
        ("gate", "--help"),
        ("allowlist", "sync", "--help"),
    ],
    ids=" ".join,
)
def test_the_pinned_commit_has_mains_commands_and_rules(
    pinned_tree: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    pinned = _guardrails(pinned_tree, *command, cwd=tmp_path)
    main = _guardrails(REPOSITORY_ROOT, *command, cwd=tmp_path)
    assert pinned == main
    assert pinned[0] == 0, pinned[1]


def _readme_configurations() -> list[str]:
    """Every `[tool.guardrails]` example of the README and the docs pages."""
    blocks = [
        block
        for path in documents()
        for block in re.findall(r"```toml\n(.*?)\n```", path.read_text("utf-8"), re.S)
    ]
    return [block + "\n" for block in blocks if "[tool.guardrails" in block]


def test_the_readmes_configuration_works_with_the_pinned_tool(
    pinned_tree: Path, tmp_path: Path
) -> None:
    """The old pin exited 2 on the README's own pyproject
    (`unknown key 'tool.guardrails.extend-select'`)."""
    configurations = _readme_configurations()
    assert len(configurations) >= 5
    for index, configuration in enumerate(configurations):
        project = tmp_path / f"project{index}"
        (project / "jax2onnx" / "plugins").mkdir(parents=True)
        (project / "jax2onnx" / "plugins" / "ok.py").write_text(
            "# jax2onnx/plugins/ok.py\n\nimport onnx_ir as ir\n", encoding="utf-8"
        )
        (project / "pyproject.toml").write_text(configuration, encoding="utf-8")
        status, output = _guardrails(
            pinned_tree, "check", "--no-cache", "jax2onnx", cwd=project
        )
        assert status != 2, f"{configuration}\n{output}"
