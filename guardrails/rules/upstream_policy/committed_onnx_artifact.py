"""GR405: no ONNX model is committed (jax2onnx's AGENTS.md; no script checks it)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from guardrails.gitcmd import run_git
from guardrails.pathnames import display_path, matches_any, relative_posix
from guardrails.rules.base import ProjectContext, Rule, Sample
from guardrails.types import Finding

_IGNORED = "*.onnx\n*.onnx.data\n"
_MODULE = "jax2onnx/user_interface.py"
_CODE = "def to_onnx(fn):\n    return fn\n"


def tracked_files(
    targets: Sequence[Path], wanted: Callable[[Path], bool]
) -> tuple[dict[Path, bool], list[str]]:
    """The files in git's index among `targets`, each with whether it is
    committed (in HEAD) or only staged: a folder stands for every file under
    it, a file for itself when `wanted` (so a pre-commit run on Python files
    asks git nothing). Also one note per folder that is in no git work tree, or
    where git could not answer."""
    pathspecs: dict[Path, list[str]] = {}
    for target in targets:
        absolute = Path(os.path.abspath(target))
        if absolute.is_dir():
            pathspecs.setdefault(absolute, []).append(".")
        elif wanted(absolute):
            pathspecs.setdefault(absolute.parent, []).append(absolute.name)
    found: dict[Path, bool] = {}
    notes = []
    # Names are paths, never globs: `model[1].onnx` is that file.
    # git runs nothing the checked repository configures (`gitcmd`).
    environment = {"GIT_LITERAL_PATHSPECS": "1"}
    for folder, names in pathspecs.items():
        try:
            listed = run_git(
                ["ls-files", "-z", "--", *names], folder, environment=environment
            )
            # What HEAD holds; the rest of the index is staged. No HEAD yet (a
            # repository's first commit): everything is staged.
            head = run_git(
                ["ls-tree", "-r", "-z", "--name-only", "HEAD", "--", *names],
                folder,
                environment=environment,
            )
        except (OSError, subprocess.SubprocessError) as error:
            notes.append(f"GR405 needs git ({error}); {folder} was not checked")
            continue
        if listed.returncode != 0:
            said = listed.stderr.decode(errors="replace").strip().splitlines()
            reason = said[0] if said else f"git exited {listed.returncode}"
            if "not a git repository" in reason:
                notes.append(
                    f"GR405 judges what git tracks: {folder} is not in a git work tree"
                )
            else:
                notes.append(f"GR405: git ls-files failed in {folder}: {reason}")
            continue
        committed = set(head.stdout.split(b"\0")) if head.returncode == 0 else set()
        for name in listed.stdout.split(b"\0"):
            if name:
                found.setdefault(folder / os.fsdecode(name), name in committed)
    return found, notes


def _excluded(relative: str, excludes: Sequence[str]) -> bool:
    """Whether the path or a folder above it matches an exclude glob (by its
    path or its name), as the walk for Python files decides."""
    parts = relative.split("/")
    return any(
        matches_any("/".join(parts[:end]), excludes)
        or matches_any(parts[end - 1], excludes)
        for end in range(1, len(parts) + 1)
    )


class CommittedOnnxArtifact(Rule):
    """An ONNX model (`.onnx`, `.onnx.data`) in git's index.

    ## What it does
    Opt-in (`extend-select = ["GR405"]`). Asks git (`git ls-files`) which
    files it tracks, committed or staged, under the checked folders, and reports
    each that matches `artifact-patterns` (`**/*.onnx`, `**/*.onnx.data`) and
    is not under `exclude`/`extend-exclude`. A file named on the command line
    (pre-commit passes the staged ones) is judged alone, and never parsed as
    Python. Outside a git work tree nothing is reported, with a one-line note on
    stderr saying so.

    ## Why is this bad?
    jax2onnx's AGENTS.md: ONNX artifacts, including those under `docs/onnx/`,
    must not land in git; generated models are large binaries that bloat every
    clone for good, even once deleted.

    ## Example
    ```console
    $ git add docs/onnx/model.onnx docs/onnx/model.onnx.data
    ```

    ## Use instead
    Keep generated models local: `git rm --cached` them, and ignore them in
    `.gitignore`:
    ```text
    *.onnx
    *.onnx.data
    ```
    """

    code = "GR405"
    name = "committed-onnx-artifact"
    opt_in = True
    VALID = (
        Sample(_CODE, path=_MODULE),
        # Generated beside the docs, but ignored by git: never committed.
        Sample(
            _CODE,
            path=_MODULE,
            files=((".gitignore", _IGNORED), ("docs/onnx/model.onnx", "model\n")),
            git=True,
        ),
    )
    INVALID = (
        Sample(
            _CODE,
            path=_MODULE,
            files=(("docs/onnx/model.onnx", "model\n"),),
            git=True,
            line=1,
            message=(
                "ONNX artifact `model.onnx` is staged; keep generated models out of "
                "git (git restore --staged, .gitignore)"
            ),
        ),
        Sample(
            _CODE,
            path=_MODULE,
            files=(("tests/data/big_model.onnx.data", "weights\n"),),
            git=True,
            line=1,
            message=(
                "ONNX artifact `big_model.onnx.data` is staged; keep generated "
                "models out of git (git restore --staged, .gitignore)"
            ),
        ),
    )

    @classmethod
    def check_project(cls, project: ProjectContext) -> Iterable[Finding]:
        config = project.config
        cwd = project.cwd or Path.cwd()

        def is_artifact(path: Path) -> bool:
            return matches_any(
                relative_posix(path, config.root), config.artifact_patterns
            )

        tracked, notes = tracked_files(project.targets or (config.root,), is_artifact)
        project.notes.extend(notes)
        for path, committed in tracked.items():
            relative = relative_posix(path, config.root)
            if not is_artifact(path) or _excluded(relative, config.all_excludes):
                continue
            project.index_files.append(path)
            # A model only staged is one `git restore --staged` away from gone.
            how = (
                "is committed; keep generated models out of git (git rm --cached, "
                if committed
                else "is staged; keep generated models out of git (git restore "
                "--staged, "
            )
            yield Finding(
                path=display_path(path, cwd),
                line=1,
                column=1,
                code=cls.code,
                message=f"ONNX artifact `{path.name}` {how}.gitignore)",
                end_line=1,
                end_column=1,
                rule=cls.name,
            )
