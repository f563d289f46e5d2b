"""jax2onnx's own skip lists: honoured by GR303, imported by `allowlist sync`.

The module is jax2onnx's `test_do_not_skip_numeric_validation.py` (a copy in
tests/fixtures/upstream), put back at its path in a temporary jax2onnx-like tree.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from guardrails.allowlist.upstream_skip_lists import (
    CASES,
    CONTEXTS,
    UnreadableSkipLists,
    parse_skip_lists,
)
from guardrails.config import DEFAULT_UPSTREAM_SKIP_LISTS
from tests.check_support import run_main, write_files

UPSTREAM_MODULE = (
    Path(__file__).parent
    / "fixtures"
    / "upstream"
    / "do_not_skip_numeric_validation.py"
)
ORIGIN = DEFAULT_UPSTREAM_SKIP_LISTS


def _plugin(context: str, component: str, testcase: str) -> str:
    return (
        "from jax2onnx.plugins.plugin_system import register_example\n\n"
        "register_example(\n"
        f"    component={component!r},\n"
        f"    context={context!r},\n"
        "    testcases=[\n"
        "        {\n"
        f"            'testcase': {testcase!r},\n"
        "            'callable': lambda x: x,\n"
        "            'skip_numeric_validation': True,\n"
        "        },\n"
        "    ],\n"
        ")\n"
    )


PLUGINS = {
    # Listed by jax2onnx, case by case.
    "jax2onnx/plugins/equinox/eqx/nn/dropout.py": _plugin(
        "primitives.eqx", "dropout", "eqx_dropout_training_mode"
    ),
    # Listed as a whole context.
    "jax2onnx/plugins/examples/maxtext/models.py": _plugin(
        "examples.maxtext", "Llama", "maxtext_llama"
    ),
    # Listed nowhere.
    "jax2onnx/plugins/jax/lax/add.py": _plugin("primitives.lax", "add", "add_skip"),
}


def _tree(root: Path, module: str | None = None) -> Path:
    text = UPSTREAM_MODULE.read_text(encoding="utf-8") if module is None else module
    return write_files(root, {ORIGIN: text, **PLUGINS})


def _gr303(root: Path, *args: str) -> list[str]:
    result = run_main("check", "--select", "GR303", *args, cwd=root)
    return [
        line.split(":")[0] for line in result.stdout.splitlines() if " GR303 " in line
    ]


def _literal(source: str, name: str) -> set[object]:
    """The set as Python itself evaluates the literal: the reference."""
    for statement in ast.parse(source).body:
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and statement.target.id == name
            and statement.value is not None
        ):
            value: set[object] = ast.literal_eval(statement.value)
            return value
    raise AssertionError(name)


def test_reads_every_entry_of_jax2onnx_module_with_its_comment() -> None:
    source = UPSTREAM_MODULE.read_text(encoding="utf-8")
    entries = parse_skip_lists(source, ORIGIN)
    cases = {
        (e.context, e.component, e.testcase) for e in entries if e.component != "*"
    }
    contexts = {e.context for e in entries if e.component == "*"}
    assert cases == _literal(source, CASES)
    assert contexts == _literal(source, CONTEXTS) == {"examples.maxtext"}
    assert len(entries) == len(cases) + len(contexts) > 30
    assert {e.flag for e in entries} == {"skip_numeric_validation"}
    reasons = {(e.context, e.component, e.testcase): e.reason for e in entries}
    # No comment of its own: where it came from.
    assert reasons["primitives.lax", "reduce_max", "reduce_max_axes_input"] == (
        f"imported from {ORIGIN}"
    )
    # A comment above applies to every entry up to the next comment.
    cumprod = (
        f"imported from {ORIGIN}: ORT on the CI/default setup cannot execute ONNX "
        "CumProd at the current default opset yet; keep structural coverage while "
        "runtime support catches up."
    )
    assert reasons["primitives.lax", "cumprod", "cumprod_i32_axis2"] == cumprod
    assert reasons["primitives.jnp", "cumprod", "jnp_cumprod_dtype_cast"] == cumprod
    assert reasons["primitives.jnp", "clip", "clip_keyword_legacy_a_min_a_max_aliases"]
    # A comment at the end of the line is that entry's.
    assert reasons["examples.maxtext", "*", "*"] == (
        f"imported from {ORIGIN}: ORT cannot execute MaxText graphs yet."
    )


def test_gr303_honours_jax2onnx_lists_until_they_are_imported(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert _gr303(tmp_path) == ["jax2onnx/plugins/jax/lax/add.py"]
    # Without them, every flag is a finding.
    write_files(
        tmp_path, {"pyproject.toml": '[tool.guardrails]\nupstream-skip-lists = ""\n'}
    )
    assert _gr303(tmp_path) == sorted(PLUGINS)


def test_gr303_honours_them_when_only_some_files_are_checked(tmp_path: Path) -> None:
    # The pre-commit case: the module is not among the files given.
    _tree(tmp_path)
    dropout = "jax2onnx/plugins/equinox/eqx/nn/dropout.py"
    assert _gr303(tmp_path, dropout) == []


def test_lists_that_are_not_literals_are_not_honoured_and_say_so(
    tmp_path: Path,
) -> None:
    _tree(
        tmp_path,
        "from cases import load\n\n"
        "_ALLOWED_SKIP_CASES: set[tuple[str, str, str]] = set(load())\n"
        "_ALLOWED_SKIP_CONTEXTS: set[str] = {'examples.maxtext'}\n",
    )
    result = run_main("check", "--select", "GR303", cwd=tmp_path)
    assert result.stderr.splitlines()[0] == (
        f"guardrails: note: {ORIGIN}: _ALLOWED_SKIP_CASES (line 3) is not a literal "
        "set; its skip lists are not honoured (GR303)"
    )
    assert _gr303(tmp_path) == sorted(PLUGINS)


def test_unreadable_module_is_a_note_not_a_crash(tmp_path: Path) -> None:
    _tree(tmp_path, "_ALLOWED_SKIP_CASES = {(\n")
    result = run_main("check", "--select", "GR303", cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"guardrails: note: {ORIGIN}: cannot parse it: ")
    for bad, problem in [
        ("_ALLOWED_SKIP_CASES = {('a', 'b')}\n", "(context, component, testcase)"),
        ("_ALLOWED_SKIP_CONTEXTS = {('a',)}\n", "a context"),
        ("_ALLOWED_SKIP_CONTEXTS = {CONTEXT}\n", "a context"),
    ]:
        try:
            parse_skip_lists(bad, ORIGIN)
        except UnreadableSkipLists as error:
            assert problem in str(error)
        else:
            raise AssertionError(bad)


def test_sync_imports_them_into_the_one_allowlist(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = run_main("allowlist", "sync", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        "+ skip_numeric_validation primitives.eqx::dropout::eqx_dropout_training_mode "
        f"in jax2onnx/plugins/equinox/eqx/nn/dropout.py (imported from {ORIGIN})"
    ) in lines
    assert (
        "+ skip_numeric_validation examples.maxtext::*::* (imported from "
        f"{ORIGIN}: ORT cannot execute MaxText graphs yet.)"
    ) in lines
    assert any(
        line.startswith("+ skip_numeric_validation primitives.lax::add::")
        for line in lines
    )
    allow = tomllib.loads((tmp_path / "guardrails-allowlist.toml").read_text())["allow"]
    assert {(a["context"], a.get("component"), a["reason"]) for a in allow} == {
        ("primitives.eqx", "dropout", f"imported from {ORIGIN}"),
        (
            "examples.maxtext",
            None,
            f"imported from {ORIGIN}: ORT cannot execute MaxText graphs yet.",
        ),
        ("primitives.lax", "add", "baseline"),
    }
    # jax2onnx's entries no testcase here uses are left out, and counted.
    source = UPSTREAM_MODULE.read_text(encoding="utf-8")
    unused = len(_literal(source, CASES)) - 1
    assert (
        f"{unused} entries of {ORIGIN} cover no flagged testcase among these files "
        "(not imported)"
    ) in lines

    # One allowlist: with jax2onnx's module gone, nothing changes.
    (tmp_path / ORIGIN).unlink()
    assert _gr303(tmp_path) == []
    assert run_main("check", "--select", "GR3", cwd=tmp_path).exit_code == 0
    again = run_main("allowlist", "sync", cwd=tmp_path)
    assert "guardrails-allowlist.toml: up to date (3 entries)" in again.stdout
