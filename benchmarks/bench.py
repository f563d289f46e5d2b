"""Side-by-side speed of guardrails, ruff, Fixit and a bare LibCST parse.

    python benchmarks/bench.py [--tree DIR] [--runs 5] [--fixit-runs 1]

Every tool checks the same tree (default: the installed jax2onnx release's
source) in its own process, each measured as the median wall time of several
runs, with CPU time and peak memory from `wait4` (the largest resident set of
the process and the workers it waited for). Ratios are against ruff's median
from the same invocation, so they hold up when other work loads the machine.

- guardrails cold: `check --no-cache`, every rule;
- guardrails warm: `check` again with nothing changed (the cache is filled by an
  untimed run first);
- guardrails one file: `check FILE` with a cache-warm tree, FILE changed before
  every run (what a pre-commit hook does after an edit);
- ruff: `check --select ALL --no-cache`;
- Fixit: `fixit lint` with its default rules, from its own virtual environment
  (it pins an older click than jax2onnx's stack accepts); created with pip if
  missing;
- LibCST parse: `libcst.parse_module` over every file in one process.

guardrails runs from a frozen, byte-compiled copy of this checkout's package,
so an edit made while the benchmark runs cannot change the tool (and its cache
key) halfway.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
# Fixit's own environment, made on first use and kept between runs.
DEFAULT_FIXIT = Path(tempfile.gettempdir()) / "guardrails-bench-fixit" / "bin" / "fixit"
DEFAULT_ONE_FILE = "plugins/jax/lax/add.py"
PARSE_PROGRAM = """\
import pathlib, sys
import libcst
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.py")):
    libcst.parse_module(path.read_text(encoding="utf-8"))
"""


@dataclass
class Measurement:
    name: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    peak_kib: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.walls)


def run_once(
    command: Sequence[str], cwd: Path, env: dict[str, str], measurement: Measurement
) -> None:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{errors!r}")
    measurement.walls.append(wall)
    measurement.cpus.append(usage.ru_utime + usage.ru_stime)
    measurement.peak_kib = max(measurement.peak_kib, usage.ru_maxrss)


def output_of(command: Sequence[str], cwd: Path, env: dict[str, str]) -> str:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False
    ).stdout


def ensure_fixit(fixit: Path) -> Path:
    if fixit.exists():
        return fixit
    venv = fixit.parent.parent
    print(f"creating {venv} with Fixit (its own environment)...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", "fixit"], check=True
    )
    return fixit


def frozen_guardrails(workdir: Path) -> dict[str, str]:
    """An environment that imports guardrails from a copy taken now,
    byte-compiled as pip compiles an installed package (with
    PYTHONDONTWRITEBYTECODE set, every run would compile it again)."""
    snapshot = workdir / "snapshot"
    shutil.copytree(
        REPOSITORY / "guardrails",
        snapshot / "guardrails",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    compileall.compile_dir(snapshot, quiet=1)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(snapshot)
    return env


def installed_tree(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{package} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def table(measurements: Sequence[Measurement], ruff: Measurement) -> str:
    header = (
        "| run | median s | min s | runs | vs ruff | CPU s | CPU vs ruff | peak MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    )
    ruff_cpu = statistics.median(ruff.cpus)
    rows = [
        f"| {m.name} | {m.median:.2f} | {min(m.walls):.2f} | {len(m.walls)} | "
        f"{m.median / ruff.median:.2f} | {statistics.median(m.cpus):.2f} | "
        f"{statistics.median(m.cpus) / ruff_cpu:.1f} | {m.peak_kib / 1024:.0f} |"
        for m in measurements
    ]
    return "\n".join([*header, *rows])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, help="default: installed jax2onnx")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per tool")
    parser.add_argument("--fixit-runs", type=int, default=1)
    parser.add_argument("--fixit", type=Path, default=DEFAULT_FIXIT)
    parser.add_argument(
        "--ruff", type=Path, default=Path(sys.executable).with_name("ruff")
    )
    parser.add_argument(
        "--one-file",
        default=DEFAULT_ONE_FILE,
        help=f"file of the tree for the one-file run (default {DEFAULT_ONE_FILE})",
    )
    args = parser.parse_args()
    tree = (args.tree or installed_tree("jax2onnx")).resolve()
    fixit = ensure_fixit(args.fixit) if args.fixit_runs > 0 else None
    python = sys.executable

    with tempfile.TemporaryDirectory(prefix="guardrails-bench-") as scratch:
        workdir = Path(scratch)
        env = frozen_guardrails(workdir)
        # A folder of its own: the configuration root, so the cache lands here.
        project = workdir / "project"
        project.mkdir()
        (project / "pyproject.toml").write_text("[tool.guardrails]\n")
        one_file = project / tree.name / args.one_file
        one_file.parent.mkdir(parents=True)
        original = (tree / args.one_file).read_text(encoding="utf-8")

        guardrails = [python, "-m", "guardrails", "check", "--exit-zero"]
        cold = Measurement("guardrails cold (--no-cache)")
        warm = Measurement("guardrails warm (cache, nothing changed)")
        single = Measurement(f"guardrails one changed file ({args.one_file})")
        ruff = Measurement("ruff check --select ALL --no-cache")
        fixit_run = Measurement("Fixit lint (default rules)")
        parse = Measurement("libcst.parse_module over the tree (1 process)")

        cold_command = [*guardrails, "--no-cache", str(tree)]
        warm_command = [*guardrails, str(tree)]
        ruff_command = [str(args.ruff), "check", "--isolated", "--select", "ALL"]
        ruff_command += ["--no-cache", "--exit-zero", str(tree)]
        cold_output = output_of(cold_command, project, env)
        # Fill the cache for the tree, and for the one file's folder.
        warm_output = output_of(warm_command, project, env)
        if cold_output != warm_output:
            sys.exit("cold and warm runs disagree")
        for run in range(args.runs):
            # Interleaved, so a burst of load on the machine hits every tool.
            run_once(cold_command, project, env, cold)
            run_once(warm_command, project, env, warm)
            one_file.write_text(f"{original}\n# edit {run}\n", encoding="utf-8")
            run_once([*guardrails, str(one_file)], project, env, single)
            run_once(ruff_command, project, env, ruff)
            run_once([python, "-c", PARSE_PROGRAM, str(tree)], project, env, parse)
        if fixit is not None:
            for _ in range(args.fixit_runs):
                run_once([str(fixit), "lint", str(tree)], project, env, fixit_run)

    findings = cold_output.strip().splitlines()[-1] if cold_output else "?"
    measured = [cold, warm, single, ruff, parse]
    if fixit_run.walls:
        measured.append(fixit_run)
    print(f"tree: {tree} ({sum(1 for _ in tree.rglob('*.py'))} files)")
    print(f"cores: {len(os.sched_getaffinity(0))}, load before: {os.getloadavg()}")
    print(f"guardrails: {findings}; cold and warm output identical")
    print()
    print(table(measured, ruff))
    print()
    verdicts = [
        ("cold ≤ 8x ruff", cold.median <= 8 * ruff.median),
        ("warm < ruff", warm.median < ruff.median),
        ("one file ≤ 0.5 s", single.median <= 0.5),
    ]
    for target, met in verdicts:
        print(f"{target}: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
