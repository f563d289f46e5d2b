"""What the fuzz tests and `scripts/fuzz.py` share: program sources and one oracle.

The oracle runs the whole `guardrails check` path (command line, configuration,
file walk, reading, parsing, every rule, project rules, JSON report) over a tree
holding the fuzzed file and a sibling `jax2onnx/plugins/bad.py` whose GR101 must
always be found, and returns what went wrong, or None. Nothing the fuzzers make
may end in an exception, an exit code other than 0 or 1, or a malformed report.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import re
import subprocess
import sys
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from guardrails.cli import main
from guardrails.targets import package_source

# The installed release (the gate extra pins it), found without importing it.
JAX2ONNX_SOURCE = package_source("jax2onnx")
SIBLING_PATH = "jax2onnx/plugins/bad.py"
SIBLING_SOURCE = "import onnx\n"
PROJECT = "[project]\nname = 'fuzzed'\n\n[tool.guardrails]\n"
CODE = re.compile(r"GR\d{3}\Z")
FINDING_FIELDS = {
    "path": str,
    "line": int,
    "column": int,
    "end_line": int,
    "end_column": int,
    "code": str,
    "rule": str,
    "message": str,
}


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> None:
    """`files` plus the sibling and a project file, under `root`."""
    (root / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    for name, content in {SIBLING_PATH: SIBLING_SOURCE, **files}.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="")


# The tree's own configuration, so a checkout's pyproject.toml never applies.
ARGUMENTS = ("check", "--format", "json", "--no-cache", "--config", "pyproject.toml")


def run_in_process(root: Path) -> tuple[int, str, str]:
    """`guardrails check --format json --no-cache` through `guardrails.cli.main`.
    An exception escaping it is returned as its traceback on stderr, exit 99."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with (
        contextlib.chdir(root),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        try:
            exit_code = main([*ARGUMENTS, "."])
        except BaseException:  # the property under test: nothing escapes
            return 99, stdout.getvalue(), traceback.format_exc()
    return exit_code, stdout.getvalue(), stderr.getvalue()


def run_in_subprocess(root: Path, timeout: float = 120) -> tuple[int, str, str]:
    """The same in a separate process; no result within `timeout` is a hang."""
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "guardrails", *ARGUMENTS, "."],
            cwd=root,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return -1, "", f"no result within {timeout:.0f} s"
    return (
        completed.returncode,
        completed.stdout.decode("utf-8", "replace"),
        completed.stderr.decode("utf-8", "replace"),
    )


def problem_with(
    exit_code: int, stdout: str, stderr: str, files: Sequence[str]
) -> str | None:
    """What is wrong with a run over `files` (plus the sibling), or None."""
    if exit_code not in (0, 1):
        return f"exit code {exit_code}: {stderr.strip()[-2000:]}"
    if stderr:
        return f"unexpected stderr: {stderr.strip()[-2000:]}"
    try:
        report: Any = json.loads(stdout)
    except ValueError as error:
        return f"report is not JSON ({error}): {stdout[:200]!r}"
    if not isinstance(report, dict) or set(report) != {"findings", "files_checked"}:
        return f"report has the wrong shape: {stdout[:200]!r}"
    checked = {SIBLING_PATH, *files}
    if report["files_checked"] != len(checked):
        return f"{report['files_checked']} files checked, expected {len(checked)}"
    findings = report["findings"]
    if not isinstance(findings, list):
        return "findings is not a list"
    for finding in findings:
        problem = _finding_problem(finding, checked)
        if problem is not None:
            return problem
    if not any(
        f["path"] == SIBLING_PATH and f["code"] == "GR101" and f["line"] == 1
        for f in findings
    ):
        return "the sibling's GR101 was lost"
    if (exit_code == 1) != bool(findings):
        return f"exit code {exit_code} with {len(findings)} findings"
    return None


def _finding_problem(finding: Any, checked: set[str]) -> str | None:
    if not isinstance(finding, dict) or set(finding) != set(FINDING_FIELDS):
        return f"malformed finding {finding!r}"
    for name, kind in FINDING_FIELDS.items():
        if not isinstance(finding[name], kind):
            return f"finding field {name} is not {kind.__name__}: {finding!r}"
    if not CODE.match(finding["code"]):
        return f"bad code in {finding!r}"
    if min(finding["line"], finding["column"]) < 1 or (
        finding["end_line"],
        finding["end_column"],
    ) < (finding["line"], finding["column"]):
        return f"bad position in {finding!r}"
    if not finding["message"] or "\n" in finding["message"]:
        return f"message is not one line: {finding!r}"
    if finding["path"] not in checked and not finding["path"].endswith(".toml"):
        return f"finding for a file that was not checked: {finding!r}"
    return None


def check_files(
    root: Path, files: Mapping[str, str | bytes], *, in_process: bool = True
) -> str | None:
    """Write `files` under the empty folder `root`, check them, judge the run."""
    write_tree(root, files)
    if in_process:
        outcome = run_in_process(root)
    else:  # two minutes a file is already far too slow: a hang
        outcome = run_in_subprocess(root, timeout=120 * (len(files) + 1))
    return problem_with(*outcome, files=list(files))


# --- program sources ------------------------------------------------------------


@lru_cache(maxsize=1)
def rule_samples() -> tuple[tuple[str, str], ...]:
    """(path, code) of every rule's VALID and INVALID samples: code every rule's
    pre-scan matches, so splicing fuzz into it makes the rules walk the fuzz."""
    from guardrails.rules import all_rules

    samples = []
    for rule in all_rules():
        for sample in (*rule.VALID, *rule.INVALID):
            samples.append((sample.path, sample.code))
    return tuple(sorted(set(samples)))


def splice(host: str, guest: str, line_fraction: float) -> str:
    """`guest` inserted into `host` before a line, indented as that line is."""
    lines = host.splitlines(keepends=True)
    index = min(int(line_fraction * (len(lines) + 1)), len(lines))
    following = lines[index] if index < len(lines) else ""
    indent = following[: len(following) - len(following.lstrip(" \t"))]
    guest_lines = [
        indent + line if line.strip() else line
        for line in guest.splitlines(keepends=True)
    ]
    if guest_lines and not guest_lines[-1].endswith(("\n", "\r")):
        guest_lines[-1] += "\n"
    return "".join(lines[:index] + guest_lines + lines[index:])


@lru_cache(maxsize=1)
def jax2onnx_files() -> tuple[str, ...]:
    """Relative paths (under the jax2onnx package) of the real files to mutate."""
    return tuple(
        sorted(
            path.relative_to(JAX2ONNX_SOURCE.parent).as_posix()
            for path in JAX2ONNX_SOURCE.rglob("*.py")
        )
    )


# Tokens that break Python in instructive ways: brackets, block keywords, string
# and line-ending oddities, an encoding trap and a NUL.
MUTATION_TOKENS = (
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    ".",
    "=",
    ";",
    "@",
    "*",
    "**",
    "->",
    ":=",
    "\\",
    "'",
    '"',
    '"""',
    "'''",
    "#",
    "lambda",
    "def",
    "class",
    "if",
    "else",
    "return",
    "yield",
    "await",
    "async",
    "import onnx",
    "from onnx import *",
    "jax.random.PRNGKey(0)",
    "\t",
    "\x0c",
    "\r",
    "\r\n",
    "\n",
    "    ",
    "é",
    "\u2028",
    "\ufeff",
    "f'{",
    "}'",
    "0x",
    "1e",
    "\x00",
)
# Names that rules care about (PRNG keys, ONNX, testcase keys): renaming a word
# into one of these keeps the syntax and changes what the rules see.
NAME_TOKENS = (
    "key",
    "rng",
    "subkey",
    "k1",
    "onnx",
    "jax",
    "jr",
    "np",
    "jnp",
    "random",
    "PRNGKey",
    "split",
    "fold_in",
    "normal",
    "seed",
    "testcase",
    "callable",
    "run_only_f32_variant",
    "skip_numeric_validation",
    "register_primitive",
    "register_example",
    "True",
    "None",
    "self",
    "x",
    "lambda",
)
# Whole statements, inserted at a line with its indentation: mostly valid code
# that wakes rules up inside arbitrary places.
STATEMENTS = (
    "import onnx",
    "from onnx import helper",
    "import jax.random as jr",
    "key = jax.random.PRNGKey(0)",
    "x = jax.random.normal(key, (3,))",
    "y = jax.random.uniform(key)",
    "key, subkey = jax.random.split(key)",
    "np.random.seed(0)",
    "jax.random.fold_in(key, 1)",
    "model = eqx.nn.Linear(3, 4, key=jax.random.PRNGKey(0))",
    '_T = {"testcase": "t", "callable": lambda x: x, "run_only_f32_variant": True}',
    # Module-level bindings GR201 / GR202 follow (aliases, elements, unpacking).
    "_jr = jax.random",
    "_HEADS = [eqx.nn.LayerNorm(3), _jr.key(1)]",
    "_A, _B = _HEADS",
    '_T = {"testcase": "t", "callable": _HEADS[0], "input_values": [_B]}',
    "pass",
    "return key",
    "del key",
    "for key in keys: pass",
)
LINE_MUTATIONS = ("delete", "duplicate", "swap", "indent", "dedent", "statement")
TOKEN_MUTATIONS = ("insert", "delete_token", "replace_token", "rename")
_TOKEN = re.compile(r"\w+|[^\w\s]|\s+")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Mutation:
    kind: str
    where: float  # 0..1: a position in the file
    other: float  # 0..1: the second position (swaps) or the pick of a token
    token: str  # for insert and replace_token


def mutate(source: str, mutations: Sequence[Mutation]) -> str:
    for mutation in mutations:
        source = _apply(source, mutation)
    return source


def _pick(choices: Sequence[str], fraction: float) -> str:
    return choices[min(int(fraction * len(choices)), len(choices) - 1)]


def _apply(source: str, mutation: Mutation) -> str:
    if mutation.kind in LINE_MUTATIONS:
        return _apply_to_lines(source, mutation)
    pattern = _WORD if mutation.kind == "rename" else _TOKEN
    spans = [match.span() for match in pattern.finditer(source)]
    if mutation.kind == "insert" or not spans:
        at = min(int(mutation.where * (len(source) + 1)), len(source))
        return source[:at] + mutation.token + source[at:]
    start, end = spans[min(int(mutation.where * len(spans)), len(spans) - 1)]
    replacement = {
        "delete_token": "",
        "replace_token": mutation.token,
        "rename": _pick(NAME_TOKENS, mutation.other),
    }[mutation.kind]
    return source[:start] + replacement + source[end:]


def _apply_to_lines(source: str, mutation: Mutation) -> str:
    lines = source.splitlines(keepends=True)
    if not lines:
        return source
    index = min(int(mutation.where * len(lines)), len(lines) - 1)
    line = lines[index]
    if mutation.kind == "delete":
        del lines[index]
    elif mutation.kind == "duplicate":
        lines.insert(index, line)
    elif mutation.kind == "swap":
        other = min(int(mutation.other * len(lines)), len(lines) - 1)
        lines[index], lines[other] = lines[other], line
    elif mutation.kind == "indent":
        lines[index] = "    " + line
    elif mutation.kind == "dedent":
        lines[index] = line[4:] if line.startswith("    ") else line.lstrip()
    else:
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        lines.insert(index, f"{indent}{_pick(STATEMENTS, mutation.other)}\n")
    return "".join(lines)


def random_mutations(rng: random.Random, count: int) -> list[Mutation]:
    return [
        Mutation(
            rng.choice(LINE_MUTATIONS + TOKEN_MUTATIONS),
            rng.random(),
            rng.random(),
            rng.choice(MUTATION_TOKENS),
        )
        for _ in range(count)
    ]


# --- deep nesting ------------------------------------------------------------------

# (prefix, suffix) around an expression: each adds a level to the syntax tree.
# LibCST's native parser spends a different amount of machine stack per kind, so
# mixtures near CPython's own bound are where an overflow would hide.
NESTING_LEVELS = (
    ("(", ")"),
    ("[", "]"),
    ("{", "}"),
    ("{1: ", "}"),
    ("-", ""),
    ("not ", ""),
    ("lambda: ", ""),
    ("lambda a=", ": 1"),
    ("", ".b"),
    ("", "()"),
    ("", "[0]"),
    ("f(", ")"),
    ("f(*", ")"),
    ("{**", "}"),
    ("", " if 1 else 1"),
    ("1 if ", " else 1"),
    ("[", " for a in b]"),
    ("2 ** ", ""),
    ("", " + 1"),
    ("1 + ", ""),
    ("(", ",)"),
    ("(x := ", ")"),
    ("a[", "]"),
    ("await ", ""),
)
NESTING_DEPTHS = (10, 100, 199, 201, 300, 500, 990, 1000, 1010, 2990, 6000, 100_000)


def nested_program(rng: random.Random, depth: int) -> str:
    """`depth` levels of randomly mixed nesting (runs of one kind, then another)."""
    prefixes: list[str] = []
    suffixes: list[str] = []
    while len(prefixes) < depth:
        prefix, suffix = rng.choice(NESTING_LEVELS)
        run = min(rng.choice((1, 3, 50, depth)), depth - len(prefixes))
        prefixes += [prefix] * run
        suffixes += [suffix] * run
    body = "".join(prefixes) + "x" + "".join(reversed(suffixes))
    return f"import onnx\n\n\nasync def f():\n    return {body}\n"
