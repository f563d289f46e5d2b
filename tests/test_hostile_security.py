"""A pull request is hostile input: it must not turn the check off nor run code.

- a cache that came with the checkout (committed with `git add -f`, forged) is
  never trusted: entries are signed with a key kept outside the project;
- a cache folder that is a symbolic link is never written through;
- git runs no command the checked repository configures;
- file contents and names reach the terminal and CI logs with their control
  characters neutralised (no escape sequences, no forged workflow commands);
- the gate's markdown summary escapes testcase ids;
- identifiers Python normalises (NFKC) are the names the rules compare, and a
  CRLF backslash-continued string hides no suppression.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from guardrails.engine.cache import _payload_signature
from guardrails.engine.cache_key import folder_key
from guardrails.gate import results
from guardrails.gate.report import markdown_summary

PROJECT = "[project]\nname = 'hostile'\n\n[tool.guardrails]\n"
CACHE = ".guardrails_cache"
FLAGGED = "import onnx\n"


def guardrails(
    root: Path, *args: str, user_cache: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    if user_cache is not None:
        environment["XDG_CACHE_HOME"] = str(user_cache)
    completed = subprocess.run(
        [sys.executable, "-m", "guardrails", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=environment,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed


def project(root: Path, files: dict[str, str | bytes], settings: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PROJECT + settings, encoding="utf-8")
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="")
    return root


def codes(completed: subprocess.CompletedProcess[str]) -> list[tuple[str, int, str]]:
    assert completed.returncode in (0, 1), completed.stderr
    report = json.loads(completed.stdout)
    return sorted((f["path"], f["line"], f["code"]) for f in report["findings"])


# --- 1. a committed, forged cache ------------------------------------------


def _unkeyed_digest(*parts: str) -> str:
    """What anyone can compute: a plain hash, as an attacker would forge it."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode()
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()


_PAYLOAD = ("findings", "facts", "suppressions", "silenced", "analysed")


def _forge(cache: Path) -> int:
    """Empties every entry's findings and every catalogue's rules (but GR001's),
    re-hashing each as the entry format asks; returns how many were forged."""
    forged = 0
    for entry in cache.rglob("*.json"):
        data = json.loads(entry.read_text(encoding="utf-8"))
        if "rules" in data:
            data["rules"] = [r for r in data["rules"] if r.get("code") == "GR001"]
            data["digest"] = _unkeyed_digest(json.dumps(data["rules"], sort_keys=True))
        elif "findings" in data:
            data["findings"] = []
            payload = {name: data.get(name) for name in _PAYLOAD}
            data["digest"] = _unkeyed_digest(json.dumps(payload, sort_keys=True))
        else:
            continue
        entry.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        forged += 1
    return forged


def test_a_forged_cache_from_the_checkout_is_not_trusted(tmp_path: Path) -> None:
    attacker = project(tmp_path / "attacker", {"jax2onnx/converter/bad.py": FLAGGED})
    made = guardrails(
        attacker, "check", "--format", "json", ".", user_cache=tmp_path / "a"
    )
    assert codes(made) == [("jax2onnx/converter/bad.py", 1, "GR101")]
    assert _forge(attacker / CACHE) >= 2
    # The pull request's checkout, cache included, on the CI machine.
    victim = tmp_path / "victim"
    shutil.copytree(attacker, victim, symlinks=True)
    for user_cache in (tmp_path / "fresh", tmp_path / "a"):
        run = guardrails(
            victim, "check", "--format", "json", ".", user_cache=user_cache
        )
        assert codes(run) == [("jax2onnx/converter/bad.py", 1, "GR101")]
        assert run.returncode == 1


def test_the_signing_key_is_private_and_nothing_is_written_outside(
    tmp_path: Path,
) -> None:
    root = project(tmp_path / "p", {"jax2onnx/converter/bad.py": FLAGGED})
    guardrails(root, "check", "--format", "json", ".", user_cache=tmp_path / "user")
    assert not (tmp_path / "user").exists()
    key = root / CACHE / "signing-key"
    assert key.stat().st_mode & 0o077 == 0


def test_a_cache_committed_with_its_signing_key_is_not_trusted(tmp_path: Path) -> None:
    """An attacker who signs forged entries with their own cache's key (key file
    included in the commit) convinces their own checkout, and no other: the key is
    bound to the key file's identity, which a checkout or copy cannot keep."""
    made = project(tmp_path / "made", {"jax2onnx/converter/bad.py": FLAGGED})
    assert codes(guardrails(made, "check", "--format", "json", ".")) != []
    key = folder_key(made / CACHE)
    assert key is not None
    forged = 0
    for entry in (made / CACHE).glob("*/*.json"):
        data = json.loads(entry.read_text())
        if data.get("findings"):
            data["findings"] = []
            data["signature"] = _payload_signature(key, data["key"], data)
            entry.write_text(json.dumps(data, sort_keys=True))
            forged += 1
    assert forged == 1
    assert codes(guardrails(made, "check", "--format", "json", ".")) == []
    checkout = tmp_path / "checkout"
    shutil.copytree(made, checkout, symlinks=True)
    run = guardrails(checkout, "check", "--format", "json", ".")
    assert codes(run) == [("jax2onnx/converter/bad.py", 1, "GR101")]


# --- 2. a cache folder that is a link ---------------------------------------


def test_a_linked_cache_folder_is_never_written_through(tmp_path: Path) -> None:
    root = project(tmp_path / "p", {"jax2onnx/converter/bad.py": FLAGGED})
    (root / CACHE).symlink_to(".")
    before = sorted(p.name for p in root.iterdir())
    run = guardrails(root, "check", "--format", "json", ".", user_cache=tmp_path / "u")
    assert codes(run) == [("jax2onnx/converter/bad.py", 1, "GR101")]
    assert sorted(p.name for p in root.iterdir()) == before
    assert (root / CACHE).is_symlink()


def test_a_linked_run_folder_is_never_written_through(tmp_path: Path) -> None:
    root = project(tmp_path / "p", {"jax2onnx/converter/bad.py": FLAGGED})
    guardrails(root, "check", "--format", "json", ".", user_cache=tmp_path / "u")
    outside = tmp_path / "outside"
    outside.mkdir()
    runs = [p for p in (root / CACHE).iterdir() if p.is_dir()]
    assert runs
    for run_folder in runs:
        shutil.rmtree(run_folder)
        run_folder.symlink_to(outside)
    run = guardrails(root, "check", "--format", "json", ".", user_cache=tmp_path / "u")
    assert codes(run) == [("jax2onnx/converter/bad.py", 1, "GR101")]
    assert list(outside.iterdir()) == []


# --- 3. git runs nothing the repository configures ---------------------------


def test_git_runs_no_command_the_repository_configures(tmp_path: Path) -> None:
    root = project(
        tmp_path / "repo",
        {"model.onnx": b"onnx", "a.py": "x = 1\n"},
        'extend-select = ["GR405"]\n',
    )
    marker = tmp_path / "ran"
    script = tmp_path / "hook.sh"
    script.write_text(f"#!/bin/sh\ntouch '{marker}'\n", encoding="utf-8")
    script.chmod(0o755)
    git = ["git", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    for name, value in (
        ("core.fsmonitor", str(script)),
        ("core.hooksPath", str(tmp_path)),
    ):
        subprocess.run(["git", "config", name, value], cwd=root, check=True)
    assert not marker.exists()
    run = guardrails(root, "check", "--format", "json", "--no-cache", ".")
    assert not marker.exists(), "git ran the repository's fsmonitor command"
    assert ("model.onnx", 1, "GR405") in codes(run)


# --- 4. control characters in text and CI logs -------------------------------

HOSTILE_NAME = "a\n::error file=x.py::forged\n::stop-commands::t\x1b[2J.py"
ESCAPES = "\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07\x1b[2J\x9b31m\u202e"


def _assert_neutral(text: str, commands: int = 0) -> None:
    """No control character; `commands` lines, the first ones, are workflow
    commands (GitHub's format), and no other line is."""
    lines = text.splitlines()
    assert all(line.startswith("::error file=") for line in lines[:commands])
    for line in lines[commands:]:
        assert not line.startswith("::"), line
    for line in lines:
        assert all(
            char == "\t" or (char.isprintable() and char not in "\u202e")
            for char in line
        ), repr(line)


def test_control_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    root = project(
        tmp_path / "p",
        {
            # GR404 quotes line 1; GR003 quotes the suppression's codes.
            "jax2onnx/plugins/first.py": f"# {ESCAPES}\nx: int = 1\n",
            "jax2onnx/plugins/codes.py": (
                "# jax2onnx/plugins/codes.py\n"
                f"x: int = 1  # guardrails: ignore[{ESCAPES}]\n"
            ),
            f"jax2onnx/converter/{HOSTILE_NAME}": FLAGGED,
        },
        'extend-select = ["GR404"]\n',
    )
    for format_name in ("text", "github"):
        run = guardrails(root, "check", "--format", format_name, "--no-cache", ".")
        assert run.returncode == 1, run.stderr
        assert "GR404" in run.stdout and "GR003" in run.stdout and "GR101" in run.stdout
        found = len(
            json.loads(guardrails(root, "check", "--format", "json", ".").stdout)[
                "findings"
            ]
        )
        assert found == 5
        # One line per finding (and the text format's summary), no more.
        lines = run.stdout.splitlines()
        assert len(lines) == found + (format_name == "text")
        _assert_neutral(run.stdout, found if format_name == "github" else 0)
        _assert_neutral(run.stderr)
    # Forced colour keeps its own styles, and nothing else.
    coloured = subprocess.run(
        [sys.executable, "-m", "guardrails", "check", "--no-cache", "."],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "FORCE_COLOR": "1"},
    )
    assert "\x1b[1m" in coloured.stdout
    for forbidden in ("\x1b]", "\x1b[2J", "\x07", "\x9b", "\u202e"):
        assert forbidden not in coloured.stdout


def test_an_error_naming_a_hostile_path_is_one_neutral_line(tmp_path: Path) -> None:
    root = project(tmp_path / "p", {})
    run = guardrails(root, "check", "--config", f"missing{ESCAPES}\n::error::x.toml")
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("guardrails: error:")
    _assert_neutral(run.stderr)


# --- 5. the gate's markdown summary ------------------------------------------


def test_the_summary_escapes_testcase_ids() -> None:
    hostile = "a|b\n## forged <img src=x onerror=alert(1)> `x` [l](http://e)\x1b[2J"
    summary = markdown_summary(
        [results.TestcaseResult(id=hostile, status="match")], "ok"
    )
    rows = summary.splitlines()
    assert len(rows) == 7, rows
    row = rows[4]
    # Five cells: no `|` of the id splits one.
    assert row.replace("\\|", "").count("|") == 6, row
    assert "<img" not in row and "\x1b" not in row and "`x`" not in row


# --- 6. policy bypasses ------------------------------------------------------


def test_nfkc_equivalent_names_are_the_names_python_binds(tmp_path: Path) -> None:
    source = (
        "import \uff4fnnx\n"  # `import onnx`, as Python binds it
        "import jax\n"
        "key = \uff4aax.random.PRNGKey(0)\n"
        "proto = \uff4fnnx.TensorProto\n"
    )
    root = project(tmp_path / "p", {"jax2onnx/converter/evil.py": source})
    run = guardrails(root, "check", "--format", "json", "--no-cache", ".")
    found = {(line, code) for _, line, code in codes(run)}
    assert {(1, "GR101"), (3, "GR201"), (4, "GR104")} <= found, found


def test_a_crlf_continued_string_hides_no_suppression(tmp_path: Path) -> None:
    source = (
        'import jax\r\nx: str = "abc\\\r\n'
        '# guardrails: ignore[GR201]"; k: object = jax.random.PRNGKey(0)\r\n'
    )
    root = project(tmp_path / "p", {"jax2onnx/converter/crlf.py": source})
    run = guardrails(root, "check", "--format", "json", "--no-cache", ".")
    assert ("jax2onnx/converter/crlf.py", 3, "GR201") in codes(run)
    # The same bytes with LF line ends: the same verdict.
    (root / "jax2onnx/converter/crlf.py").write_text(
        source.replace("\r\n", "\n"), encoding="utf-8", newline=""
    )
    run = guardrails(root, "check", "--format", "json", "--no-cache", ".")
    assert ("jax2onnx/converter/crlf.py", 3, "GR201") in codes(run)


def test_the_fixture_probes_are_real() -> None:
    """Python itself binds the fullwidth names as ASCII ones."""
    namespace: dict[str, object] = {}
    exec("\uff4fnnx = 1", namespace)
    assert "onnx" in namespace
