from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from guardrails.allowlist import checked_file, load_allowlist, stale_entries
from guardrails.pathnames import display_path
from guardrails.rules.base import ProjectContext, Rule, Sample
from guardrails.rules.testcase_metadata import COLLECTOR_NAME, FLAG_PRESCAN
from guardrails.rules.testcase_metadata._common import EXAMPLE, covering_allowlist
from guardrails.rules.testcase_metadata.collector import TestcaseFlagsCollector
from guardrails.types import Finding


class StaleAllowlistEntry(Rule):
    """An allowlist entry that covers no flagged testcase.

    ## What it does
    Reports, at its `[[allow]]` line in the allowlist file, an entry that matches
    no testcase setting its flag. Only entries for modules that were part of the
    check are judged: an entry's `file` (written by `guardrails allowlist sync`)
    must have been checked or no longer exist; an entry without `file` is judged
    when a checked file flags a testcase of its context and component. So a
    pre-commit run on a few changed files never reports the rest of the
    allowlist.

    ## Why is this bad?
    A stale entry silently allows the flag back: when someone re-adds
    `run_only_f32_variant` to that testcase later, nothing asks why. The
    allowlist should list exactly the exceptions that exist.

    ## Example
    ```toml
    [[allow]]  # the testcase no longer sets the flag
    flag = "run_only_f32_variant"
    context = "primitives.lax"
    component = "add"
    testcase = "add_const"
    file = "jax2onnx/plugins/jax/lax/add.py"
    reason = "baseline"
    ```

    ## Use instead
    Delete the entry, or let `guardrails allowlist sync --prune` delete every
    stale entry among the checked files.
    """

    code = "GR302"
    name = "stale-allowlist-entry"
    # Staleness is judged per project; a file is only parsed for its flags.
    prescan = FLAG_PRESCAN
    collector = TestcaseFlagsCollector
    VALID = (
        Sample(EXAMPLE % ""),
        Sample(
            EXAMPLE % '            "run_only_f32_variant": True,\n',
            files=covering_allowlist("run_only_f32_variant"),
        ),
    )
    INVALID = (
        Sample(
            EXAMPLE % "",
            files=(
                (
                    "guardrails-allowlist.toml",
                    "# mlp_batched used to skip float64\n"
                    "\n"
                    "[[allow]]\n"
                    'flag = "run_only_f32_variant"\n'
                    'context = "examples.eqx"\n'
                    'component = "MlpExample"\n'
                    'testcase = "mlp_batched"\n'
                    'file = "jax2onnx/plugins/sample.py"\n'
                    'reason = "baseline"\n',
                ),
            ),
            line=3,
            message=(
                "stale allowlist entry: run_only_f32_variant "
                "examples.eqx::MlpExample::mlp_batched in jax2onnx/plugins/sample.py "
                "covers no flagged testcase; delete it (guardrails allowlist sync "
                "--prune)"
            ),
        ),
    )

    @classmethod
    def check_project(cls, project: ProjectContext) -> Iterable[Finding]:
        config = project.config
        allowlist = load_allowlist(
            config.allowlist_path, required=config.allowlist_required
        )
        if not allowlist.entries:
            return
        shown_paths = _display_paths(project)
        checked = []
        for path in project.checked_files:
            facts = project.facts.get(shown_paths[path], {}).get(COLLECTOR_NAME)
            checked.append(checked_file(path, facts, config.root))
        shown_allowlist = display_path(config.allowlist_path, _display_base(project))
        lines = allowlist.text.splitlines()
        for entry in stale_entries(allowlist, checked, config.root):
            yield Finding(
                path=shown_allowlist,
                line=entry.line,
                column=1,
                code=cls.code,
                message=(
                    f"stale allowlist entry: {entry.describe()} covers no flagged "
                    "testcase; delete it (guardrails allowlist sync --prune)"
                ),
                end_line=entry.line,
                end_column=len(lines[entry.line - 1]) + 1,
                rule=cls.name,
            )


def _display_paths(project: ProjectContext) -> dict[Path, str]:
    """Each checked file's display path: the engine keys facts by it, one per
    file, in the order of `checked_files`."""
    if len(project.facts) == len(project.checked_files):
        return dict(zip(project.checked_files, project.facts, strict=True))
    return {path: display_path(path, Path.cwd()) for path in project.checked_files}


def _display_base(project: ProjectContext) -> Path:
    """The folder display paths are relative to, so the allowlist is shown the
    way the checked files are."""
    for path, shown in _display_paths(project).items():
        if not Path(shown).is_absolute() and path.as_posix().endswith("/" + shown):
            return Path(path.as_posix()[: -len(shown) - 1] or "/")
    return Path.cwd()
