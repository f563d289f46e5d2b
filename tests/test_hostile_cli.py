"""The command line against hostile use: links, clashing paths, killed parents,
odd package names, silent configuration mistakes and malformed arguments.

Every case runs the real command line on real files built in `tmp_path`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
from pathlib import Path

import pytest

from tests.check_support import run_main, run_process, write_files

PLUGIN = textwrap.dedent(
    """\
    from jax2onnx.plugins.plugin_system import register_primitive


    @register_primitive(
        jaxpr_primitive="add",
        context="primitives.lax",
        component="add",
        testcases=[
            {
                "testcase": "add_const",
                "callable": lambda x: x + 1.0,
                "run_only_f32_variant": True,
            },
        ],
    )
    class AddPlugin:
        pass
    """
)
KEPT_ENTRY = """\
# shared between checkouts
[[allow]]
flag = "skip_numeric_validation"
context = "primitives.other"
reason = "kept as written"
"""


def one_error_line(stderr: str) -> str:
    """The message of the single `guardrails: error:` line that is all of stderr."""
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("guardrails: error: "), stderr
    return stderr.removeprefix("guardrails: error: ").rstrip("\n")


# ------------------------------------------------- allowlist sync through a link


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_sync_writes_through_a_linked_allowlist_and_keeps_the_link(
    tmp_path: Path, relative: bool
) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\n',
            "pkg/plugins/add.py": PLUGIN,
            "shared/allow.toml": KEPT_ENTRY,
        },
    )
    shared = tmp_path / "shared/allow.toml"
    shared.chmod(0o640)
    link = tmp_path / "guardrails-allowlist.toml"
    link.symlink_to(Path("shared/allow.toml") if relative else shared)

    run = run_main("allowlist", "sync", cwd=tmp_path)

    assert run.exit_code == 0, run.stderr
    assert link.is_symlink()
    assert os.readlink(link) == str(Path("shared/allow.toml") if relative else shared)
    text = shared.read_text(encoding="utf-8")
    assert text.startswith(KEPT_ENTRY)
    assert [entry["context"] for entry in tomllib.loads(text)["allow"]] == [
        "primitives.other",
        "primitives.lax",
    ]
    assert shared.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in shared.parent.iterdir()) == ["allow.toml"]


def test_sync_follows_a_chain_of_links_and_refuses_a_loop(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "x"\n',
            "pkg/plugins/add.py": PLUGIN,
            "real.toml": KEPT_ENTRY,
        },
    )
    (tmp_path / "middle.toml").symlink_to("real.toml")
    (tmp_path / "guardrails-allowlist.toml").symlink_to("middle.toml")
    assert run_main("allowlist", "sync", cwd=tmp_path).exit_code == 0
    assert (tmp_path / "middle.toml").is_symlink()
    assert "add_const" in (tmp_path / "real.toml").read_text(encoding="utf-8")

    from guardrails.allowlist import write_atomically
    from guardrails.findings import UsageError

    loop = tmp_path / "loop.toml"
    loop.symlink_to("loop.toml")
    with pytest.raises(UsageError, match="loop.toml: cannot write: "):
        write_atomically(loop, "")
    assert loop.is_symlink()
