"""GR404 beside jax2onnx's own `scripts/ensure_path_markers.py`, file by file.

    python benchmarks/path_marker_parity.py CHECKOUT [--runs 5] [--quiet]

CHECKOUT is a jax2onnx checkout (`git clone https://github.com/enpasos/jax2onnx`).
The upstream script is the checkout's own (`scripts/ensure_path_markers.py`, or
the copy in tests/fixtures/upstream when it has none), imported and asked for
its verdict on every file it walks; guardrails checks the same tree with
`--select GR404`. Three trees:

- the checkout as it is;
- a copy with every fifth file broken in one of five ways (marker removed,
  replaced by an old path, blank line after it removed, a shebang put above the
  code, the file emptied), so both verdicts occur;
- that copy fixed twice, by `ensure_path_markers.py --fix` and by
  `guardrails check --fix`, compared byte for byte.

Each file is printed as `agree` or `DISAGREE` with both verdicts (`--quiet`:
disagreements only), then a summary. Speed, on the checkout: the median wall
time of `--runs` interleaved runs of `ruff check --select ALL --no-cache`, the
upstream script, `guardrails check --no-cache --select GR404`, and guardrails'
every rule with and without GR404 (what GR404 adds to a real check), as ratios to
ruff measured in the same invocation.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

REPOSITORY = Path(__file__).resolve().parents[1]
VENDORED = REPOSITORY / "tests" / "fixtures" / "upstream" / "ensure_path_markers.py"
BREAKAGES = ("removed", "old path", "no blank line", "shebang above", "emptied")


def upstream_script(checkout: Path) -> Path:
    own = checkout / "scripts" / "ensure_path_markers.py"
    return own if own.is_file() else VENDORED


def load(script: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("ensure_path_markers", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upstream_verdicts(module: ModuleType, root: Path) -> dict[str, bool]:
    """relative path -> passes, for every file the script walks."""
    return {
        path.relative_to(root).as_posix(): module.ensure_marker(
            path, module.expected_marker(root, path), False
        )
        for path in module.iter_python_files(root)
    }


def guardrails(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    return subprocess.run(
        [sys.executable, "-m", "guardrails", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def guardrails_flagged(root: Path) -> tuple[set[str], int]:
    """The files GR404 flags, and how many files it checked."""
    run = guardrails(
        "check", "--no-cache", "--select", "GR404", "--format", "json", cwd=root
    )
    if run.returncode not in (0, 1):
        sys.exit(f"guardrails failed: {run.stderr.strip()}")
    report = json.loads(run.stdout)
    flagged = {f["path"] for f in report["findings"] if f["code"] == "GR404"}
    return flagged, report["files_checked"]


def compare(title: str, root: Path, module: ModuleType, quiet: bool) -> int:
    """Print each file's two verdicts; returns the number of disagreements."""
    upstream = upstream_verdicts(module, root)
    flagged, checked = guardrails_flagged(root)
    disagree = 0
    print(f"\n== {title}")
    for path in sorted(upstream.keys() | flagged):
        theirs = (
            "pass" if upstream.get(path) else "fail" if path in upstream else "skip"
        )
        ours = "fail" if path in flagged else "pass"
        agree = theirs == ours
        disagree += not agree
        if not agree or not quiet:
            word = "agree   " if agree else "DISAGREE"
            print(f"{word} upstream={theirs} guardrails={ours} {path}")
    failing = sum(not ok for ok in upstream.values())
    print(
        f"{title}: {len(upstream)} files walked by upstream ({failing} failing), "
        f"{checked} checked by guardrails; {len(upstream) - disagree} agree, "
        f"{disagree} disagree"
    )
    return disagree


def break_markers(root: Path, module: ModuleType) -> None:
    """Every fifth file the script walks, broken in turn in each of five ways."""
    files = sorted(module.iter_python_files(root))
    for number, path in enumerate(files[::5]):
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")
        marker = module.expected_marker(root, path)
        at = 1 if lines[0].startswith("#!") else 0
        kind = BREAKAGES[number % len(BREAKAGES)]
        if kind == "removed" and lines[at : at + 1] == [marker]:
            del lines[at]
        elif kind == "old path":
            lines[at : at + 1] = [f"# old/{path.name}"]
        elif kind == "no blank line" and lines[at + 1 : at + 2] == [""]:
            del lines[at + 1]
        elif kind == "shebang above" and at == 0:
            lines.insert(0, "#!/usr/bin/env python3")
        elif kind == "emptied":
            lines = [""]
        path.write_text("\n".join(lines), encoding="utf-8")


def compare_fixes(root: Path, script: Path, quiet: bool) -> int:
    theirs, ours = root.parent / "fixed-upstream", root.parent / "fixed-guardrails"
    shutil.copytree(root, theirs, symlinks=True)
    shutil.copytree(root, ours, symlinks=True)
    subprocess.run(
        [sys.executable, str(script), "--root", str(theirs), "--fix"], check=True
    )
    guardrails("check", "--no-cache", "--select", "GR404", "--fix", cwd=ours)
    disagree = 0
    files = sorted(p.relative_to(theirs) for p in theirs.rglob("*.py"))
    print("\n== fixed by both")
    for relative in files:
        same = (theirs / relative).read_bytes() == (ours / relative).read_bytes()
        disagree += not same
        if not same or not quiet:
            print(f"{'agree   ' if same else 'DISAGREE'} {relative.as_posix()}")
    print(
        f"fixed by both: {len(files)} files, {len(files) - disagree} identical, "
        f"{disagree} differ"
    )
    return disagree


def speed(checkout: Path, script: Path, runs: int) -> None:
    """Median wall times, the commands interleaved run by run."""
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    check = [sys.executable, "-m", "guardrails", "check", "--no-cache", "--exit-zero"]
    every_rule = [*check, "--select", "GR"]
    commands = {
        "ruff check --select ALL --no-cache": [
            *(ruff, "check", "--select", "ALL", "--no-cache", "--exit-zero", "."),
        ],
        "ensure_path_markers.py (upstream)": [
            *(sys.executable, str(script), "--root", "."),
        ],
        "guardrails check --select GR404": [*check, "--select", "GR404"],
        "guardrails, every rule but GR404/GR405": [
            *(*every_rule, "--ignore", "GR404,GR405"),
        ],
        "guardrails, every rule but GR405": [*every_rule, "--ignore", "GR405"],
    }
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, cwd=checkout, env=environment, capture_output=True)
            walls[name].append(time.perf_counter() - start)
    seconds = {name: statistics.median(values) for name, values in walls.items()}
    reference = seconds["ruff check --select ALL --no-cache"]
    print(f"\n== speed on the checkout (median of {runs} interleaved runs)")
    print("| run | median s | vs ruff |\n|---|---:|---:|")
    for name, value in seconds.items():
        print(f"| {name} | {value:.2f} | {value / reference:.2f} |")
    added = (
        seconds["guardrails, every rule but GR405"]
        - seconds["guardrails, every rule but GR404/GR405"]
    )
    print(f"GR404 adds {added:+.2f} s to a cold check of every rule")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="a jax2onnx checkout")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quiet", action="store_true", help="disagreements only")
    args = parser.parse_args(argv)
    checkout = args.checkout.resolve()
    script = upstream_script(checkout)
    module = load(script)
    print(f"upstream script: {script}")
    disagree = compare("the checkout", checkout, module, args.quiet)
    with tempfile.TemporaryDirectory() as scratch:
        broken = Path(scratch) / "broken"
        shutil.copytree(
            checkout, broken, symlinks=True, ignore=shutil.ignore_patterns(".git")
        )
        break_markers(broken, module)
        disagree += compare("every fifth file broken", broken, module, args.quiet)
        disagree += compare_fixes(broken, script, args.quiet)
    speed(checkout, script, args.runs)
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
