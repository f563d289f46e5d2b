"""GR203 on the lead's held-out cases, scored per case (function or class).

    python benchmarks/gr203_holdout/score.py [GUARDRAILS_COMMAND]

Two batches of realistic code (training loops, RL, objects, state records,
streams, everyday idioms) written without looking at the rule's corpora, each
case labelled by JAX's runtime checker (`oracle.py`; `labels*.txt` hold its
output). A case counts as reported when GR203 reports any line inside it (or a
helper the case drives). One case the runtime checker cannot see (a key
broadcast by `vmap(..., in_axes=None)`) is left out.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ALSO = {
    "streams_and_values.two_draws_from_stream_bad": ["key_stream_bad"],
    "streams_and_values.two_draws_from_stream_good": ["key_stream_good"],
}
SKIP = {"closures.vmap_noise_reuse"}


def score(command: list[str], batch: str, labels_file: str) -> tuple[int, int, int, int]:
    labels = {}
    for line in (HERE / labels_file).read_text().splitlines():
        name, verdict = line.split(" ", 1)
        if name not in SKIP:
            labels[name] = verdict.startswith("reuse")
    spans = {}
    for path in (HERE / batch).glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                spans[f"{path.stem}.{node.name}"] = (path.stem, node.lineno, node.end_lineno)
    run = subprocess.run(
        [*command, "check", "--no-cache", "--select", "GR203", "--format", "json", str(HERE / batch)],
        capture_output=True,
        text=True,
        check=False,
    )
    hits: dict[str, list[int]] = {}
    for finding in json.loads(run.stdout)["findings"]:
        stem = Path(finding["path"]).stem
        for name, (where, first, last) in spans.items():
            if where == stem and first <= finding["line"] <= (last or first):
                hits.setdefault(name, []).append(finding["line"])
    tp = fp = fn = tn = 0
    for name, reuse in sorted(labels.items()):
        names = [name] + [f"{name.split('.')[0]}.{x}" for x in ALSO.get(name, [])]
        found = any(n in hits for n in names)
        tp, fp, fn, tn = tp + (reuse and found), fp + (found and not reuse), fn + (reuse and not found), tn + (not reuse and not found)
        if found != reuse:
            print(f"  {'false alarm' if found else 'missed'}: {name}")
    return tp, fp, fn, tn


if __name__ == "__main__":
    command = sys.argv[1:] or [sys.executable, "-m", "guardrails"]
    total = [0, 0, 0, 0]
    for batch, labels in (("batch1", "labels1.txt"), ("batch2", "labels2.txt")):
        tp, fp, fn, tn = score(command, batch, labels)
        total = [a + b for a, b in zip(total, (tp, fp, fn, tn), strict=True)]
        print(f"{batch}: {tp + fp + fn + tn} cases, precision {tp / max(tp + fp, 1):.2f} ({tp}/{tp + fp}), recall {tp / max(tp + fn, 1):.2f} ({tp}/{tp + fn})")
    tp, fp, fn, tn = total
    print(f"all: precision {tp / max(tp + fp, 1):.2f} ({tp}/{tp + fp}), recall {tp / max(tp + fn, 1):.2f} ({tp}/{tp + fn})")
