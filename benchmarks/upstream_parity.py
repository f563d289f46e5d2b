"""GR401-GR403 beside the jax2onnx scripts they replace, file by file, and the time
of one guardrails run against the scripts together.

    python benchmarks/upstream_parity.py [--upstream DIR | --mirror GIT_DIR]
                                         [--runs 3] [--verbose]

Trees, each checked as jax2onnx's pre-commit hooks check a checkout (the scripts
with no arguments, from the tree's root; `--diff` aside):

- the jax2onnx checkout `--upstream DIR`, or a clone of the repository
  `--mirror GIT_DIR` (a bare mirror works), with its own `scripts/`;
- the installed jax2onnx release (its source, found without importing it), with
  the scripts vendored in tests/fixtures/upstream_parity/;
- a copy of the release with a violation put into every fifth file of
  `converter/` and `plugins/`, cycling through the kinds below, so both verdicts
  occur (the script cannot see two of them: GR401's extensions).

Per script: the files it walks, the files it flags and the files the rule flags,
and every file where they differ (`--verbose`: every flagged file), with the
reason when it is one of GR401's deliberate extensions. GR406 has no script; its
findings are listed. Speed, per tree: the median wall time of `--runs` runs of
each script, of the scripts together, of one `guardrails check --no-cache` with
GR401-GR403 and GR406 selected, of one with every GR4 rule (GR404/GR405 too),
and of `ruff check --select ALL --no-cache` on the same package folder, as ratios
to ruff measured in the same invocation.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
VENDORED = REPOSITORY / "tests" / "fixtures" / "upstream_parity"
FLAG = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+): ", re.MULTILINE)
MINE = "GR401,GR402,GR403,GR406"


@dataclass(frozen=True)
class Script:
    name: str
    code: str
    folders: tuple[str, ...]  # what it walks by default, under the tree's root
    skips: str  # file names it passes over

    def walks(self, root: Path) -> list[str]:
        found = {
            path.relative_to(root).as_posix()
            for folder in self.folders
            for path in (root / folder).rglob("*.py")
            if not re.fullmatch(self.skips, path.name)
        }
        return sorted(found)


SCRIPTS = (
    Script("check_forbidden_reflection", "GR401", ("jax2onnx/converter",), r"(?!)"),
    Script(
        "check_ir_builder_usage",
        "GR402",
        ("jax2onnx/converter", "jax2onnx/plugins"),
        r".*_pb2\.py",
    ),
    Script(
        "check_variable_annotations",
        "GR403",
        ("jax2onnx/converter", "jax2onnx/plugins"),
        r"__init__\.py",
    ),
)

# What the seeded copy appends to a module, in turn.
SEEDS = (
    ("getattr shim", "\n\ndef _seeded(graph):\n    return getattr(graph, 'nodes')\n"),
    ("hasattr shim", "\n\ndef _seeded(graph):\n    return hasattr(graph, 'nodes')\n"),
    (
        "isinstance tuple",
        "\n\ndef _seeded(graph):\n"
        "    return isinstance(graph, (ir.Function, ir.Graph))\n",
    ),
    (
        "unnamed initializer",
        "\n\ndef _seeded(ctx, x):\n    return ctx.builder.initializer(x)\n",
    ),
    (
        "string _outputs",
        "\n\ndef _seeded(ctx, x):\n    return ctx.builder.Relu(x, _outputs='y')\n",
    ),
    ("unannotated variable", "\n\n_seeded_limit = 3\n"),
    (
        "jax.core API",
        "\n\nimport jax.core as _seeded_core\n\n\n"
        "def _seeded(eqn: _seeded_core.JaxprEqn) -> None:\n    pass\n",
    ),
)


def script_path(tree: Path, script: Script, own: bool) -> Path:
    if own and (tree / "scripts" / f"{script.name}.py").is_file():
        return tree / "scripts" / f"{script.name}.py"
    return VENDORED / f"{script.name}.py"


def timed(command: Sequence[str], cwd: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds (the process and the workers it waited for, from
    `wait4`), and what it printed."""
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env=environment, stdout=output, stderr=output
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        output.seek(0)
        printed = output.read()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit(f"{' '.join(command)} failed ({code}):\n{printed}")
    return elapsed, usage.ru_utime + usage.ru_stime, printed


def guardrails_command(select: str, config: Path) -> list[str]:
    # An empty configuration file: the defaults, whatever pyproject.toml is above.
    return [
        sys.executable,
        "-m",
        "guardrails",
        "check",
        "--no-cache",
        "--select",
        select,
        "--format",
        "json",
        "--exit-zero",
        "--config",
        str(config),
        "jax2onnx",
    ]


def script_flags(output: str) -> dict[str, set[int]]:
    flags: dict[str, set[int]] = {}
    for match in FLAG.finditer(output):
        flags.setdefault(Path(match["path"]).as_posix(), set()).add(int(match["line"]))
    return flags


def rule_flags(report: dict[str, object], code: str) -> dict[str, set[int]]:
    flags: dict[str, set[int]] = {}
    findings = report["findings"]
    assert isinstance(findings, list)
    for finding in findings:
        if finding["code"] == code:
            flags.setdefault(finding["path"], set()).add(finding["line"])
    return flags


def explain(tree: Path, path: str, lines: Iterable[int]) -> str:
    """Why GR401 flags a line the script does not: its two extensions."""
    text = (tree / path).read_text(encoding="utf-8").splitlines()
    reasons = set()
    for line in lines:
        source = text[line - 1] if line <= len(text) else ""
        if "hasattr(" in source:
            reasons.add("GR401 extension: hasattr, which the script does not check")
        elif re.search(r"isinstance\(.*,\s*\(", source):
            reasons.add("GR401 extension: a banned type inside a tuple")
        else:
            reasons.add("UNEXPLAINED")
    return "; ".join(sorted(reasons))


def compare(
    tree: Path, script: Script, theirs: str, report: dict[str, object], verbose: bool
) -> tuple[int, int]:
    """Print the comparison; return (disagreements, unexplained ones)."""
    walked = script.walks(tree)
    upstream = script_flags(theirs)
    ours = rule_flags(report, script.code)
    disagree = unexplained = 0
    print(
        f"  {script.name}.py vs {script.code}: {len(walked)} files walked; "
        f"flagged by the script {len(upstream)}, by guardrails {len(ours)}"
    )
    for path in sorted(set(walked) | upstream.keys() | ours.keys()):
        mine, its = ours.get(path, set()), upstream.get(path, set())
        if mine == its:
            if verbose and mine:
                print(f"    agree     {path}: lines {sorted(mine)}")
            continue
        disagree += 1
        reason = explain(tree, path, mine - its) if not its - mine else "UNEXPLAINED"
        unexplained += "UNEXPLAINED" in reason
        print(
            f"    DISAGREE  {path}: script {sorted(its)}, guardrails {sorted(mine)}"
            f" ({reason})"
        )
    agree = len(set(walked) | upstream.keys() | ours.keys()) - disagree
    print(f"    {agree} files agree, {disagree} disagree ({unexplained} unexplained)")
    return disagree, unexplained


def check_tree(
    title: str, tree: Path, own_scripts: bool, runs: int, verbose: bool, config: Path
) -> int:
    """Verdicts and times for one tree; returns the unexplained disagreements."""
    print(f"\n== {title}: {tree}")
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    commands = {
        script.name: [sys.executable, str(script_path(tree, script, own_scripts))]
        for script in SCRIPTS
    }
    commands["guardrails " + MINE] = guardrails_command(MINE, config)
    commands["guardrails GR4"] = guardrails_command("GR4", config)
    commands["ruff"] = [
        ruff,
        "check",
        "--select",
        "ALL",
        "--no-cache",
        "--exit-zero",
        "--quiet",
        "jax2onnx",
    ]
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    outputs: dict[str, str] = {}
    for _ in range(runs):  # interleaved, so load changes hit every tool alike
        for name, command in commands.items():
            wall, cpu, outputs[name] = timed(command, tree)
            walls[name].append(wall)
            cpus[name].append(cpu)

    report = json.loads(outputs["guardrails " + MINE])
    unexplained = 0
    for script in SCRIPTS:
        unexplained += compare(tree, script, outputs[script.name], report, verbose)[1]
    compat = rule_flags(report, "GR406")
    print(f"  GR406 (no script): {sum(map(len, compat.values()))} findings")
    for path, lines in sorted(compat.items()):
        print(f"    {path}: lines {sorted(lines)}")

    wall = {name: statistics.median(values) for name, values in walls.items()}
    cpu = {name: statistics.median(values) for name, values in cpus.items()}
    names = [script.name for script in SCRIPTS]
    wall["the three scripts together"] = sum(wall[name] for name in names)
    cpu["the three scripts together"] = sum(cpu[name] for name in names)
    print(
        f"  speed, median of {runs} runs (seconds; ratio to ruff's):\n"
        f"    {'':44} {'wall':>6} {'x ruff':>7} {'CPU':>6} {'x ruff':>7}"
    )
    rows = [*names, "the three scripts together", "guardrails " + MINE]
    for name in [*rows, "guardrails GR4", "ruff"]:
        label = name + ".py" if name in names else name
        print(
            f"    {label:44} {wall[name]:6.2f} {wall[name] / wall['ruff']:6.2f}x"
            f" {cpu[name]:6.2f} {cpu[name] / cpu['ruff']:6.2f}x"
        )
    together, ours = "the three scripts together", "guardrails " + MINE
    print(
        f"    one guardrails run vs the scripts together: "
        f"{wall[together] / wall[ours]:.1f}x less wall time, "
        f"{cpu[together] / cpu[ours]:.1f}x less CPU time"
    )
    return unexplained


def seeded_copy(source: Path, into: Path) -> Path:
    """The package under `into/jax2onnx`, every fifth converter/plugins module
    with one violation appended (kinds in turn)."""
    package = into / "jax2onnx"
    shutil.copytree(source, package, ignore=shutil.ignore_patterns("__pycache__"))
    modules = sorted(
        path
        for folder in ("converter", "plugins")
        for path in (package / folder).rglob("*.py")
        if path.name != "__init__.py"
    )
    for number, path in enumerate(modules[::5]):
        _, text = SEEDS[number % len(SEEDS)]
        path.write_text(
            path.read_text(encoding="utf-8").rstrip("\n") + "\n" + text,
            encoding="utf-8",
        )
    return into


def released_package() -> Path:
    from guardrails.targets import package_source

    return package_source("jax2onnx")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--upstream", type=Path, help="a jax2onnx checkout")
    where.add_argument("--mirror", type=Path, help="a jax2onnx git repository")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="guardrails-upstream-parity-"))
    config = scratch / "guardrails.toml"
    config.write_text("", encoding="utf-8")
    unexplained = 0
    try:
        checkout = args.upstream
        if args.mirror is not None:
            checkout = scratch / "jax2onnx-checkout"
            subprocess.run(
                ["git", "clone", "-q", str(args.mirror), str(checkout)], check=True
            )
        if checkout is not None:
            unexplained += check_tree(
                "jax2onnx checkout", checkout, True, args.runs, args.verbose, config
            )
        package = released_package()
        unexplained += check_tree(
            "released jax2onnx", package.parent, False, args.runs, args.verbose, config
        )
        seeded = seeded_copy(package, scratch / "seeded")
        unexplained += check_tree(
            "released jax2onnx, seeded", seeded, False, args.runs, args.verbose, config
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\nunexplained disagreements: {unexplained}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
