"""What reading `# guardrails: ignore[...]` comments costs, beside ruff.

    python benchmarks/suppression_scan.py [--tree DIR] [--runs 5]

Two copies of the tree (default: the installed jax2onnx release's source): as
it is, and "marked", every file ending in a suppression that GR004 reports
(`x = 1  # guardrails: ignore[GR101]  # noqa: E501`), so every file is lexed
for comments and judged. Medians of several runs:

- the comment scan alone (`suppressions_of`) over every file, in one process,
  and the same done with the standard library's `tokenize`, the obvious way;
- `guardrails check --no-cache --select GR1` on both copies (end to end, GR004
  reported for every marked file);
- `ruff check --no-cache --select RUF100` on the marked copy, the reference:
  ratios are against its median from the same invocation.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tokenize
from collections.abc import Callable, Sequence
from pathlib import Path

from guardrails.engine.suppressions import suppressions_of
from guardrails.targets import package_source

MARK = "\nx = 1  # guardrails: ignore[GR101]  # noqa: E501\n"


def median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def tokenize_comments(sources: Sequence[str]) -> int:
    found = 0
    for source in sources:
        readline = io.StringIO(source).readline
        for token in tokenize.generate_tokens(readline):
            found += token.type == tokenize.COMMENT
    return found


def run(*command: str | Path, cwd: Path) -> None:
    subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, check=False
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    tree = args.tree or package_source("jax2onnx")
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    guardrails = str(Path(sys.executable).with_name("guardrails"))

    with tempfile.TemporaryDirectory() as scratch:
        plain, marked = Path(scratch, "plain"), Path(scratch, "marked")
        shutil.copytree(tree, plain / tree.name)
        shutil.copytree(tree, marked / tree.name)
        for path in sorted(marked.rglob("*.py")):
            with path.open("a", encoding="utf-8") as handle:
                handle.write(MARK)
        plain_sources = [p.read_text("utf-8") for p in sorted(plain.rglob("*.py"))]
        marked_sources = [p.read_text("utf-8") for p in sorted(marked.rglob("*.py"))]

        rows: list[tuple[str, float]] = []
        for name, action in [
            (
                "suppressions_of, tree as is",
                lambda: [suppressions_of(s) for s in plain_sources],
            ),
            (
                "suppressions_of, marked",
                lambda: [suppressions_of(s) for s in marked_sources],
            ),
            ("tokenize comments, marked", lambda: tokenize_comments(marked_sources)),
            (
                "guardrails check --select GR1, as is",
                lambda: run(
                    guardrails, "check", "--no-cache", "--select", "GR1", ".", cwd=plain
                ),
            ),
            (
                "guardrails check --select GR1, marked",
                lambda: run(
                    guardrails,
                    "check",
                    "--no-cache",
                    "--select",
                    "GR1",
                    ".",
                    cwd=marked,
                ),
            ),
            (
                "ruff check --select RUF100, marked",
                lambda: run(
                    ruff, "check", "--no-cache", "--select", "RUF100", ".", cwd=marked
                ),
            ),
        ]:
            rows.append((name, median_seconds(action, args.runs)))

    reference = rows[-1][1]
    print(f"{len(marked_sources)} files of {tree}, median of {args.runs} runs\n")
    print("| run | median ms | vs ruff |")
    print("|---|---:|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1000:.1f} | {seconds / reference:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
