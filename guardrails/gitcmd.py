"""Run git on a checked tree so that nothing the tree configures runs.

A repository's `.git/config` is the checked project's, and a checked project is
hostile input (a pull request): `core.fsmonitor`, hooks, `diff.external` and
the like name commands git would run. The command line's `-c` settings come
last and win, so they switch each of them off; the system configuration is not
read, nor the repository's `safe.directory` exceptions trusted.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

# Every setting that makes a read-only command (`ls-files`, `rev-parse`) run a
# program, turned off.
_SAFE_SETTINGS = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.untrackedCache=false",
    "core.askPass=",
    "core.sshCommand=",
    "diff.external=",
    "credential.helper=",
)


def git_command(arguments: Sequence[str]) -> list[str]:
    """`git` with the safe settings, then `arguments`."""
    settings = [part for setting in _SAFE_SETTINGS for part in ("-c", setting)]
    return ["git", "--no-pager", *settings, *arguments]


def git_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    environment = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",  # a read never rewrites the index
        **(extra or {}),
    }
    # What the caller's environment says about other repositories is not ours.
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_EXTERNAL_DIFF"):
        environment.pop(name, None)
    return environment


def run_git(
    arguments: Sequence[str],
    cwd: Path,
    *,
    environment: Mapping[str, str] | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[bytes]:
    """`git ARGUMENTS` in `cwd`, no input, output captured. Raises `OSError`
    and `subprocess.SubprocessError` as `subprocess.run` does."""
    return subprocess.run(
        git_command(arguments),
        cwd=cwd,
        env=git_environment(environment),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
