"""What `guardrails gate` costs as a pre-push hook: wall, CPU and peak memory.

    python benchmarks/gate_cost.py [--only GLOB]

Runs the gate of this repository's configuration (its examples, modules, known
failures and committed specs, copied into a scratch project) against a scratch copy
of the installed jax2onnx package, first on PYTHONPATH, in four situations:

- full: `--no-cache`, every testcase exported (and the verdicts recorded);
- unchanged: the same again without `--no-cache`;
- unrelated plugin edited: a statement added to the lowering in
  `plugins/jax/nn/mish.py`, which no gated testcase runs;
- used plugin edited: an equivalent expression in the lowering in
  `plugins/jax/nn/gelu.py`, which every testcase with a GELU runs (a comment alone
  would change no syntax tree, and re-run nothing).

Each is one process tree; CPU time is the tree's (from `wait4`, which counts the
float64 worker the gate waited for); peak memory is the largest sum of the tree's
resident sets, sampled every 50 ms from /proc (the gate and its worker run side by
side), beside `wait4`'s largest single process. XLA's compilation cache is the
user's, as in normal use: run the benchmark twice for warm figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOWER = "    def lower(self, ctx: LoweringContextProtocol, eqn: JaxprEqn) -> None:\n"
UNRELATED = (Path("plugins/jax/nn/mish.py"), LOWER, LOWER + "        _ = 0\n")
GELU = '"tanh" if approximate else "none"'
USED = (
    Path("plugins/jax/nn/gelu.py"),
    GELU,
    GELU.replace("approximate", "bool(approximate)"),
)


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            text = (task / "children").read_text()
        except OSError:
            continue
        found += [int(child) for child in text.split()]
    return found


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree_rss(pid: int) -> int:
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += _rss_kib(current)
        todo += _children(current)
    return total


def measure(
    command: list[str], env: dict[str, str], cwd: Path
) -> dict[str, float | int]:
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    last = output.strip().splitlines()[-1] if output.strip() else ""
    return {
        "exit": process.returncode,
        "wall": time.perf_counter() - started,
        "cpu": usage.ru_utime + usage.ru_stime,
        "tree_peak_mib": peak / 1024,
        "process_peak_mib": usage.ru_maxrss / 1024,
        "verdict": last,  # type: ignore[dict-item]
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="testcase ids matching this glob")
    args = parser.parse_args()
    spec = importlib.util.find_spec("jax2onnx")
    assert spec is not None and spec.submodule_search_locations
    installed = Path(next(iter(spec.submodule_search_locations)))
    sys.path.insert(0, str(ROOT))
    from guardrails.config import load_config

    config = load_config(ROOT / "pyproject.toml")
    with tempfile.TemporaryDirectory(prefix="gate-cost-") as scratch:
        site = Path(scratch) / "site"
        package = site / "jax2onnx"
        shutil.copytree(
            installed, package, ignore=shutil.ignore_patterns("__pycache__")
        )
        # A frozen guardrails: an edit meanwhile would change every verdict's key.
        shutil.copytree(
            ROOT / "guardrails",
            site / "guardrails",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        project = Path(scratch) / "project"
        project.mkdir()
        shutil.copy(ROOT / "pyproject.toml", project / "pyproject.toml")
        shutil.copytree(config.root / config.gate.specs, project / config.gate.specs)
        env = {**os.environ, "PYTHONPATH": str(site)}
        gate = [sys.executable, "-m", "guardrails", "gate", "--config"]
        gate.append(str(project / "pyproject.toml"))
        if args.only:
            gate += ["--only", args.only]

        def edit(change: tuple[Path, str, str]) -> None:
            relative, old, new = change
            text = (package / relative).read_text(encoding="utf-8")
            assert text.count(old) == 1, relative
            (package / relative).write_text(text.replace(old, new), encoding="utf-8")

        runs = [
            ("full (--no-cache)", [*gate, "--no-cache"], None),
            ("unchanged", gate, None),
            ("unrelated plugin edited", gate, UNRELATED),
            ("used plugin edited", gate, USED),
        ]
        print(
            f"{'situation':<26}{'wall s':>8}{'CPU s':>8}{'tree MiB':>10}"
            f"{'proc MiB':>10}  verdict"
        )
        for name, command, edited in runs:
            if edited is not None:
                edit(edited)
            # Run from the project: `-m` puts the working folder first on the path.
            row = measure(command, env, project)
            print(
                f"{name:<26}{row['wall']:>8.1f}{row['cpu']:>8.1f}"
                f"{row['tree_peak_mib']:>10.0f}{row['process_peak_mib']:>10.0f}"
                f"  {row['verdict']}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
