"""The allowlist file, GR301-GR303 on small trees, and `guardrails allowlist sync`."""

from __future__ import annotations

import os
import textwrap
import tomllib
from pathlib import Path

import pytest

from guardrails.allowlist import FlaggedTestcase, load_allowlist, remove_entries
from guardrails.cli import main
from guardrails.config import Config
from guardrails.engine.paths import collect_files
from guardrails.engine.runner import check_files
from guardrails.rules import selected_rules
from guardrails.types import CheckResult, Finding, UsageError
from tests.conftest import check_tree

PLUGIN = textwrap.dedent(
    """\
    from jax2onnx.plugins.plugin_system import register_primitive


    @register_primitive(
        jaxpr_primitive="add",
        context="primitives.lax",
        component="add", since="0.1.0",
        testcases=[
            {"testcase": "add", "callable": lambda x: x + x},
            {
                "testcase": "add_const",
                "callable": lambda x: x + 1.0,
                "run_only_f32_variant": True,
            },
            {
                "testcase": "add_random",
                "callable": lambda x: x,
                "skip_numeric_validation": True,
            },
        ],
    )
    class AddPlugin:
        pass
    """
)
RUN_ONLY_LINE = 13
SKIP_LINE = 18

ENTRY_ADD_CONST = """\
[[allow]]
flag = "run_only_f32_variant"
context = "primitives.lax"
component = "add"
testcase = "add_const"
file = "jax2onnx/plugins/add.py"
reason = "ORT lacks a float64 Add for constants"
"""
ENTRY_ADD_RANDOM = """\
[[allow]]
flag = "skip_numeric_validation"
context = "primitives.lax"
component = "add"
testcase = "add_*"
reason = "random by design"
"""


def gr3(root: Path, select: str = "GR3") -> list[Finding]:
    return [f for f in check_tree(root, [select]).findings if f.code.startswith("GR3")]


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def sync(root: Path, *arguments: str) -> int:
    """`guardrails allowlist sync` run from `root` (its pyproject.toml)."""
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    previous = Path.cwd()
    os.chdir(root)
    try:
        return main(["allowlist", "sync", *arguments])
    finally:
        os.chdir(previous)


# ------------------------------------------------------------------ the rules


def test_without_an_allowlist_every_flag_is_a_finding(tmp_path: Path) -> None:
    write(tmp_path, {"jax2onnx/plugins/add.py": PLUGIN})
    findings = gr3(tmp_path)
    assert [(f.code, f.line) for f in findings] == [
        ("GR301", RUN_ONLY_LINE),
        ("GR303", SKIP_LINE),
    ]
    assert findings[0].message == (
        "run_only_f32_variant on primitives.lax::add::add_const is not in "
        "guardrails-allowlist.toml"
    )


def test_covered_flags_and_used_entries_are_quiet(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "jax2onnx/plugins/add.py": PLUGIN,
            "guardrails-allowlist.toml": "# reviewed\n\n"
            + ENTRY_ADD_CONST
            + "\n"
            + ENTRY_ADD_RANDOM,
        },
    )
    assert gr3(tmp_path) == []


def test_a_whole_context_may_be_allowed(tmp_path: Path) -> None:
    context_wide = (
        '[[allow]]\nflag = "skip_numeric_validation"\n'
        'context = "primitives.*"\nreason = "ORT cannot run these yet"\n'
    )
    write(
        tmp_path,
        {
            "jax2onnx/plugins/add.py": PLUGIN,
            "guardrails-allowlist.toml": ENTRY_ADD_CONST + "\n" + context_wide,
        },
    )
    assert gr3(tmp_path) == []


def test_an_entry_for_the_other_flag_does_not_cover(tmp_path: Path) -> None:
    other_flag = ENTRY_ADD_CONST.replace(
        '"run_only_f32_variant"', '"skip_numeric_validation"'
    ).replace('"add_const"', '"add_*"')
    write(
        tmp_path,
        {"jax2onnx/plugins/add.py": PLUGIN, "guardrails-allowlist.toml": other_flag},
    )
    assert [(f.code, f.line) for f in gr3(tmp_path)] == [("GR301", RUN_ONLY_LINE)]


def test_a_stale_entry_is_reported_at_its_line(tmp_path: Path) -> None:
    stale = ENTRY_ADD_CONST.replace('"add_const"', '"add_gone"')
    allowlist = "# header\n\n" + ENTRY_ADD_CONST + "\n" + ENTRY_ADD_RANDOM + "\n"
    allowlist += "# removed in 0.18\n" + stale
    write(
        tmp_path,
        {"jax2onnx/plugins/add.py": PLUGIN, "guardrails-allowlist.toml": allowlist},
    )
    findings = gr3(tmp_path)
    stale_line = allowlist.splitlines().index("# removed in 0.18") + 2
    assert [(f.path, f.code, f.line, f.column) for f in findings] == [
        ("guardrails-allowlist.toml", "GR302", stale_line, 1)
    ]
    assert (
        "primitives.lax::add::add_gone in jax2onnx/plugins/add.py"
        in findings[0].message
    )


def test_entries_of_unchecked_files_are_not_judged(tmp_path: Path) -> None:
    """A pre-commit run passes a few files: the rest of the allowlist is not stale."""
    other = PLUGIN.replace('component="add"', 'component="mul"')
    entries = (
        ENTRY_ADD_CONST
        + "\n"
        + ENTRY_ADD_CONST.replace('"add"', '"mul"')
        .replace("add.py", "mul.py")
        .replace("add_const", "add_gone")
    )
    write(
        tmp_path,
        {
            "jax2onnx/plugins/add.py": PLUGIN,
            "jax2onnx/plugins/mul.py": other,
            "guardrails-allowlist.toml": entries + "\n" + ENTRY_ADD_RANDOM,
        },
    )
    config = Config(root=tmp_path)
    rules = selected_rules(["GR3"], ())

    def run(*names: str) -> CheckResult:
        files = collect_files([tmp_path / name for name in names], tmp_path, ())
        return check_files(files, config, rules, tmp_path)

    assert run("jax2onnx/plugins/add.py").findings == []
    # mul.py's own stale entry shows once mul.py is checked, beside its flags.
    assert [(f.code, f.path) for f in run("jax2onnx/plugins/mul.py").findings] == [
        ("GR302", "guardrails-allowlist.toml"),
        ("GR301", "jax2onnx/plugins/mul.py"),
        ("GR303", "jax2onnx/plugins/mul.py"),
    ]


def test_an_entry_file_is_compared_as_a_normalised_path(tmp_path: Path) -> None:
    spelled = ENTRY_ADD_CONST.replace(
        '"jax2onnx/plugins/add.py"', '"./pkg//plugins/add.py"'
    )
    write(
        tmp_path,
        {
            "jax2onnx/plugins/add.py": PLUGIN.replace('"add_const"', '"other"'),
            "guardrails-allowlist.toml": spelled,
        },
    )
    assert [f.code for f in gr3(tmp_path, "GR302")] == ["GR302"]


def test_entries_of_deleted_files_are_stale(tmp_path: Path) -> None:
    gone = ENTRY_ADD_CONST.replace("add.py", "deleted.py")
    write(
        tmp_path,
        {
            "jax2onnx/plugins/add.py": PLUGIN.replace('"add_const"', '"other"'),
            "guardrails-allowlist.toml": gone,
        },
    )
    assert [f.code for f in gr3(tmp_path, "GR302")] == ["GR302"]


def test_an_entry_without_file_is_judged_by_its_component(tmp_path: Path) -> None:
    no_file = ENTRY_ADD_CONST.replace('file = "jax2onnx/plugins/add.py"\n', "")
    unrelated = no_file.replace('"add"', '"sub"')
    write(
        tmp_path,
        {
            "jax2onnx/plugins/add.py": PLUGIN.replace('"add_const"', '"other"'),
            "guardrails-allowlist.toml": no_file + "\n" + unrelated,
        },
    )
    # `add` still flags testcases in a checked file, so its entry is judged;
    # nothing checked belongs to `sub`, so that entry is left alone.
    assert [(f.code, f.line) for f in gr3(tmp_path, "GR302")] == [("GR302", 1)]


def test_entries_of_a_file_that_cannot_be_parsed_are_not_judged(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "jax2onnx/plugins/add.py": PLUGIN + "\ndef broken(:\n",
            "guardrails-allowlist.toml": ENTRY_ADD_CONST,
        },
    )
    findings = check_tree(tmp_path, ["GR3"]).findings
    assert [f.code for f in findings] == ["GR001"]


def test_suppressing_a_flag_in_the_source(tmp_path: Path) -> None:
    suppressed = PLUGIN.replace(
        '"run_only_f32_variant": True,',
        '"run_only_f32_variant": True,  # guardrails: ignore[GR301]',
    )
    write(tmp_path, {"jax2onnx/plugins/add.py": suppressed})
    assert [f.code for f in gr3(tmp_path)] == ["GR303"]


def test_positions_when_ast_cannot_read_the_file(tmp_path: Path) -> None:
    # Python 3.12 syntax: LibCST parses it, this interpreter's ast does not, so
    # the collector falls back to LibCST positions.
    write(tmp_path, {"jax2onnx/plugins/add.py": "type Alias = int\n" + PLUGIN})
    assert [(f.code, f.line) for f in gr3(tmp_path)] == [
        ("GR301", RUN_ONLY_LINE + 1),
        ("GR303", SKIP_LINE + 1),
    ]


# ----------------------------------------------------------- the file itself


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            ENTRY_ADD_CONST.replace('"ORT lacks a float64 Add for constants"', '"  "'),
            "guardrails-allowlist.toml:1: allowlist entry 1: reason must be a "
            "non-empty string",
        ),
        (
            ENTRY_ADD_CONST.replace(
                'reason = "ORT lacks a float64 Add for constants"\n', ""
            ),
            "guardrails-allowlist.toml:1: allowlist entry 1: reason must be a "
            "non-empty string",
        ),
        (
            "# two\n\n"
            + ENTRY_ADD_CONST
            + "\n"
            + ENTRY_ADD_CONST.replace('"run_only_f32_variant"', '"run_only_f64"'),
            "guardrails-allowlist.toml:11: allowlist entry 2: flag must be one of "
            "run_only_f32_variant, skip_numeric_validation",
        ),
        (
            ENTRY_ADD_CONST + 'owner = "me"\n',
            "guardrails-allowlist.toml:1: allowlist entry 1: unknown key 'owner' "
            "(known: flag, context, component, testcase, file, reason)",
        ),
        (
            ENTRY_ADD_CONST.replace('"add_const"', "3"),
            "guardrails-allowlist.toml:1: allowlist entry 1: testcase must be a string",
        ),
        (
            ENTRY_ADD_CONST.replace('context = "primitives.lax"\n', ""),
            "guardrails-allowlist.toml:1: allowlist entry 1: context must be a "
            "non-empty string",
        ),
        (
            'allow = [{flag = "run_only_f32_variant", context = "c", reason = "r"}]\n',
            "guardrails-allowlist.toml: write each entry as its own [[allow]] table "
            "(found 0 headers for 1 entries)",
        ),
        (
            "[[allow]\n",
            "guardrails-allowlist.toml: invalid TOML: Expected ']]' at the end of an "
            "array declaration (at line 1, column 8)",
        ),
        (
            "version = 2\n",
            "guardrails-allowlist.toml: unknown key 'version' (entries are [[allow]] "
            "tables)",
        ),
    ],
)
def test_a_bad_allowlist_is_one_line_naming_the_entry_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    text: str,
    message: str,
) -> None:
    write(
        tmp_path,
        {"jax2onnx/plugins/add.py": PLUGIN, "guardrails-allowlist.toml": text},
    )
    with pytest.raises(UsageError) as raised:
        check_tree(tmp_path, ["GR3"])
    assert str(raised.value) == message.replace(
        "guardrails-allowlist.toml", str(tmp_path / "guardrails-allowlist.toml")
    )

    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        status = main(["check", "--select", "GR3", "--no-cache", "jax2onnx"])
    finally:
        os.chdir(previous)
    error = capsys.readouterr().err
    assert status == 2
    assert error == f"guardrails: error: {message}\n"


def test_an_unreadable_allowlist_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path, {"jax2onnx/plugins/add.py": PLUGIN})
    (tmp_path / "guardrails-allowlist.toml").mkdir()
    with pytest.raises(UsageError, match="allowlist is not a file"):
        check_tree(tmp_path, ["GR3"])
    (tmp_path / "guardrails-allowlist.toml").rmdir()
    (tmp_path / "guardrails-allowlist.toml").write_bytes(b"reason = '\xff'\n")
    with pytest.raises(UsageError, match="allowlist is not UTF-8"):
        check_tree(tmp_path, ["GR3"])


def test_a_missing_allowlist_is_empty(tmp_path: Path) -> None:
    allowlist = load_allowlist(tmp_path / "guardrails-allowlist.toml")
    assert allowlist.entries == ()
    flagged = FlaggedTestcase("run_only_f32_variant", "c", "k", "t", 1, 1, 1, 2)
    assert not allowlist.covers(flagged)


def test_a_glob_fact_is_covered_only_by_an_entry_as_wide(tmp_path: Path) -> None:
    path = tmp_path / "allow.toml"
    entries = [
        ENTRY_ADD_CONST.replace('"add_const"', f'"{pattern}"')
        for pattern in ("maxtext_llama", "maxtext_*")
    ]
    path.write_text(entries[0], encoding="utf-8")
    glob = FlaggedTestcase(
        "run_only_f32_variant", "primitives.lax", "add", "maxtext_*", 1, 1, 1, 2
    )
    assert not load_allowlist(path).covers(glob)
    path.write_text(entries[1], encoding="utf-8")
    assert load_allowlist(path).covers(glob)


def test_removing_an_entry_keeps_everything_else_byte_for_byte() -> None:
    reason = '"""two\n[[allow]]\nlines"""'
    text = (
        "# header comment\n\n"
        + ENTRY_ADD_CONST
        + "\n# about the second\n"
        + ENTRY_ADD_RANDOM.replace('"random by design"', reason)
        + "\n# footer\n"
    )
    second = text.splitlines().index("# about the second") + 2
    assert remove_entries(text, [second]) == (
        "# header comment\n\n" + ENTRY_ADD_CONST + "\n# footer\n"
    )
    assert remove_entries(text, [3]) == (
        "# header comment\n\n# about the second\n"
        + ENTRY_ADD_RANDOM.replace('"random by design"', reason)
        + "\n# footer\n"
    )
    assert tomllib.loads(remove_entries(text, [3]))["allow"][0]["reason"] == (
        "two\n[[allow]]\nlines"
    )


# ---------------------------------------------------------------------- sync


def test_sync_writes_a_baseline_that_makes_the_check_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {"jax2onnx/plugins/add.py": PLUGIN})
    assert sync(tmp_path) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "+ run_only_f32_variant primitives.lax::add::add_const "
        f"(jax2onnx/plugins/add.py:{RUN_ONLY_LINE})",
        "+ skip_numeric_validation primitives.lax::add::add_random "
        f"(jax2onnx/plugins/add.py:{SKIP_LINE})",
        "guardrails-allowlist.toml: added 2, removed 0, 2 entries",
    ]
    data = tomllib.loads((tmp_path / "guardrails-allowlist.toml").read_text())
    assert data["allow"][0] == {
        "flag": "run_only_f32_variant",
        "context": "primitives.lax",
        "component": "add",
        "testcase": "add_const",
        "file": "jax2onnx/plugins/add.py",
        "reason": "baseline",
    }
    assert gr3(tmp_path) == []
    assert sync(tmp_path) == 0
    assert capsys.readouterr().out == (
        "guardrails-allowlist.toml: up to date (2 entries)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "guardrails-allowlist.toml",
        "jax2onnx",
        "pyproject.toml",
    ]
    # Written through a temporary file, yet with a new file's usual mode.
    umask = os.umask(0)
    os.umask(umask)
    mode = (tmp_path / "guardrails-allowlist.toml").stat().st_mode & 0o777
    assert mode == 0o666 & ~umask


def test_sync_keeps_entries_reasons_order_and_comments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = ENTRY_ADD_CONST.replace('"add_const"', '"add_gone"')
    existing = (
        "# Reviewed by the numerics group.\n\n"
        + ENTRY_ADD_RANDOM
        + "\n# gone since 0.18\n"
        + stale
        + "\n# trailing note\n"
    )
    write(
        tmp_path,
        {"jax2onnx/plugins/add.py": PLUGIN, "guardrails-allowlist.toml": existing},
    )
    assert sync(tmp_path) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("+ run_only_f32_variant primitives.lax::add::add_const")
    assert out[1] == "1 stale entries kept (use --prune to remove them)"
    text = (tmp_path / "guardrails-allowlist.toml").read_text()
    assert text.startswith(existing)
    added = text[len(existing) :]
    assert added == "\n" + ENTRY_ADD_CONST.replace(
        '"ORT lacks a float64 Add for constants"', '"baseline"'
    )

    assert sync(tmp_path, "--prune") == 0
    out = capsys.readouterr().out.splitlines()
    stale_line = existing.splitlines().index("# gone since 0.18") + 2
    assert out == [
        "- run_only_f32_variant primitives.lax::add::add_gone in "
        "jax2onnx/plugins/add.py "
        f"(guardrails-allowlist.toml:{stale_line})",
        "guardrails-allowlist.toml: added 0, removed 1, 2 entries",
    ]
    pruned = (tmp_path / "guardrails-allowlist.toml").read_text()
    assert pruned == (
        "# Reviewed by the numerics group.\n\n"
        + ENTRY_ADD_RANDOM
        + "\n# trailing note\n"
        + added
    )
    assert gr3(tmp_path) == []


def test_sync_on_some_files_prunes_only_their_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = PLUGIN.replace('component="add"', 'component="mul"')
    mul_stale = (
        ENTRY_ADD_CONST.replace('"add"', '"mul"')
        .replace("add.py", "mul.py")
        .replace("add_const", "mul_gone")
    )
    write(
        tmp_path,
        {
            "jax2onnx/plugins/add.py": PLUGIN,
            "jax2onnx/plugins/mul.py": other,
            "guardrails-allowlist.toml": mul_stale,
        },
    )
    assert sync(tmp_path, "--prune", "jax2onnx/plugins/add.py") == 0
    capsys.readouterr()
    text = (tmp_path / "guardrails-allowlist.toml").read_text()
    assert text.startswith(mul_stale)
    assert "mul.py" not in text[len(mul_stale) :]


def test_sync_leaves_entries_of_unparsable_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        {
            "jax2onnx/plugins/add.py": PLUGIN + "\ndef broken(:\n",
            "guardrails-allowlist.toml": ENTRY_ADD_CONST,
        },
    )
    assert sync(tmp_path, "--prune") == 0
    captured = capsys.readouterr()
    assert "jax2onnx/plugins/add.py:" in captured.err
    assert "its flags are not synced" in captured.err
    assert (tmp_path / "guardrails-allowlist.toml").read_text() == ENTRY_ADD_CONST


def test_sync_refuses_a_bad_allowlist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = ENTRY_ADD_CONST.replace('"ORT lacks a float64 Add for constants"', '""')
    write(
        tmp_path, {"jax2onnx/plugins/add.py": PLUGIN, "guardrails-allowlist.toml": bad}
    )
    assert sync(tmp_path) == 2
    assert capsys.readouterr().err == (
        "guardrails: error: guardrails-allowlist.toml:1: allowlist entry 1: "
        "reason must be a non-empty string\n"
    )
    assert (tmp_path / "guardrails-allowlist.toml").read_text() == bad


def test_check_and_sync_agree_on_what_was_analysed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What GR302 calls stale is what `sync --prune` removes: a file with a
    syntax error keeps its entries only when it mentions a flag; a file without
    flags, broken or not, cannot set the flag its entry names."""

    def entry(name: str, file: str) -> str:
        return ENTRY_ADD_CONST.replace("add_const", name).replace("add.py", file)

    write(
        tmp_path,
        {
            "jax2onnx/plugins/add.py": PLUGIN + "\ndef broken(:\n",
            "jax2onnx/plugins/mul.py": "def broken(:\n",
            "jax2onnx/plugins/sub.py": "VALUE = 1\n",
            "guardrails-allowlist.toml": "\n".join(
                [
                    entry("add_const", "add.py"),
                    entry("mul_gone", "mul.py"),
                    entry("sub_gone", "sub.py"),
                ]
            ),
        },
    )
    entries = load_allowlist(tmp_path / "guardrails-allowlist.toml").entries
    by_line = {entry.line: entry.testcase for entry in entries}
    stale_by_check = {by_line[f.line] for f in gr3(tmp_path, "GR302")}

    assert sync(tmp_path, "--prune") == 0
    assert "jax2onnx/plugins/mul.py:" in capsys.readouterr().err
    kept = load_allowlist(tmp_path / "guardrails-allowlist.toml").entries
    pruned_by_sync = {entry.testcase for entry in entries} - {
        entry.testcase for entry in kept
    }
    assert stale_by_check == pruned_by_sync == {"mul_gone", "sub_gone"}
