"""GR202's precision and recall on jax2onnx's repository, each finding labelled.

    python benchmarks/gr202_precision.py --repo PATH [--guardrails COMMAND]

PATH is a checkout of jax2onnx's repository (labels are for commit 3901899d;
another commit is measured, with a warning). Nothing is fetched and nothing in
PATH is written (`--no-cache`). COMMAND runs guardrails (default: this checkout's,
`python -m guardrails`); give another installation's `guardrails` to compare,
e.g. main's before a change.

Each finding is matched to the testcase whose `"callable"` it points at, and
labelled from `gr202_labels.py`: stateful (the construction freezes parameters,
a dtype, a key or `rngs`) or stateless, with the reason. Precision is stateful
findings over all findings; recall is the labelled stateful testcases reported,
over all of them.
"""

from __future__ import annotations

import argparse
import ast
import json
import shlex
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gr202_labels import LABELS

COMMIT = "3901899d7924e431e51758b6b5da60669908fd7f"


def testcase_at(path: Path, line: int) -> str | None:
    """The name of the testcase whose callable starts on `line`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        entries = {
            key.value: value
            for key, value in zip(node.keys, node.values, strict=True)
            if isinstance(key, ast.Constant)
        }
        name, callable_ = entries.get("testcase"), entries.get("callable")
        if (
            isinstance(name, ast.Constant)
            and callable_ is not None
            and callable_.lineno == line
        ):
            return str(name.value)
    return None


def gr202_findings(command: list[str], repo: Path) -> list[dict[str, object]]:
    completed = subprocess.run(
        [
            *command,
            "check",
            "--select",
            "GR202",
            "--format",
            "json",
            "--no-cache",
            "--exit-zero",
            "jax2onnx",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    findings: list[dict[str, object]] = json.loads(completed.stdout)["findings"]
    return findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument(
        "--guardrails",
        default=f"{shlex.quote(sys.executable)} -m guardrails",
        help="command that runs guardrails",
    )
    args = parser.parse_args()
    repo: Path = args.repo.resolve()
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if head != COMMIT:
        print(f"warning: labels are for {COMMIT[:8]}, this is {head[:8] or '?'}")

    findings = gr202_findings(shlex.split(args.guardrails), repo)
    rows, reported = [], set()
    stateful_found = 0
    for finding in findings:
        path, line = str(finding["path"]), int(str(finding["line"]))
        name = testcase_at(repo / path, line)
        label = LABELS.get((path, name or ""))
        reported.add((path, name or ""))
        if label is None:
            verdict, reason = "UNLABELLED", "(no label)"
        else:
            verdict = "stateful" if label[0] else "STATELESS"
            reason = label[1]
            stateful_found += label[0]
        rows.append(f"{path}:{line}  {name}  {verdict}: {reason}")
    print(f"GR202 on {repo} ({args.guardrails})")
    for row in rows:
        print("  " + row)
    stateful = [key for key, (freezes, _) in LABELS.items() if freezes]
    missed = [key for key in stateful if key not in reported]
    for path, name in missed:
        print(f"  MISSED  {path}  {name}: {LABELS[(path, name)][1]}")
    total = len(findings)
    precision = stateful_found / total if total else 1.0
    recall = (len(stateful) - len(missed)) / len(stateful)
    print(
        f"findings {total}, stateful {stateful_found}, stateless or unlabelled "
        f"{total - stateful_found}; precision {precision:.2f}, recall {recall:.2f} "
        f"({len(stateful) - len(missed)}/{len(stateful)} stateful testcases)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
