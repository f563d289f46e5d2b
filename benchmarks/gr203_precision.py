"""GR203's precision and recall on a labelled corpus of real code.

    python benchmarks/gr203_precision.py [--no-oracle] [--corpus DIR]

The corpus (`benchmarks/gr203_corpus/`, described in `gr203_labels.py`) holds
excerpts of the jax2onnx release and upstream repository, Equimo, Equinox and
Flax's examples, each function labelled with the reason. GR203 runs over it
through the engine; every finding is matched against the markers:

- precision (draws): findings on `reuse` lines, where the same random bits
  are drawn twice, over all findings;
- precision (policy): findings on `reuse` or `latent` lines, where one key is
  handed to two consumers without a split (AGENTS.md), over all findings;
- recall: `reuse` lines GR203 reports, over all `reuse` lines.

Two more corpora hold realistic code written for the benchmark (training
loops, sampling, init, RL; plain JAX, Equinox, Flax linen and NNX), every
function labelled by running it under JAX's checker: `gr203_unseen/`, the code
the containers / closures / carries / precision analysis was built against,
and `gr203_fresh/`, written after it as a held-out estimate. Score either with
`--corpus benchmarks/gr203_unseen` or `--corpus benchmarks/gr203_fresh`.

Then JAX's runtime checker (`jax.debug_key_reuse`) runs where the code can, and
each verdict is compared with the one the case's header expects (`--no-oracle`
skips it: it imports jax, Equimo, Equinox and Flax and takes a minute or two).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gr203_labels import (
    CORPUS,
    MARKED,
    Case,
    gr203_lines,
    problems,
    read_corpus,
    score,
)


def verdicts(case: Case, found: set[int]) -> list[str]:
    lines = []
    for line in sorted(found | case.markers.keys()):
        marked = case.markers.get(line)
        if line in found and marked == "reuse":
            lines.append(f"    line {line}: reported, reuse")
        elif line in found and marked:
            lines.append(f"    line {line}: reported, {marked} (not a repeated draw)")
        elif line in found:
            lines.append(f"    line {line}: reported, FALSE POSITIVE (unmarked)")
        else:
            lines.append(f"    line {line}: MISSED, marked {marked}")
    return lines


def run_oracles(cases: list[Case]) -> tuple[int, list[str]]:
    import gr203_oracles

    ran, disagreements = 0, []
    for case in cases:
        for kind, name, expected in case.oracles:
            started = time.perf_counter()
            if kind == "excerpt":
                rejected = gr203_oracles.run_excerpt_call(case.path, name)
            elif kind == "witness":
                rejected = gr203_oracles.run_witness_call(case.path, name)
            else:
                rejected = gr203_oracles.DRIVERS[name](case.path)
            ran += 1
            seconds = time.perf_counter() - started
            said = "rejects" if rejected else "passes"
            if kind == "witness":
                said = "draws equal" if rejected else "draws differ"
            agrees = rejected == expected
            print(
                f"  {case.name}: {kind}:{name}: checker {said}"
                f" ({'as labelled' if agrees else 'NOT as labelled'}, {seconds:.1f}s)"
            )
            if not agrees:
                disagreements.append(f"{case.name}: {name}")
    return ran, disagreements


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--no-oracle", action="store_true")
    args = parser.parse_args(argv)

    cases = read_corpus(args.corpus)
    broken = [f"{case.name}: {issue}" for case in cases for issue in problems(case)]
    if broken:
        print("corpus labels are inconsistent:", *broken, sep="\n  ")
        return 2
    found = gr203_lines(args.corpus)

    print(f"GR203 on {len(cases)} corpus files")
    for case in cases:
        labels = ", ".join(f"{names}: {label}" for names, label in case.labels.items())
        print(f"  {case.name}  [{labels}]")
        for line in verdicts(case, found.get(case.name, set())):
            print(line)

    result = score(cases, found)
    functions = [label for case in cases for label in case.labels.values()]
    counts = ", ".join(
        f"{label} {functions.count(label)}" for label in sorted(set(functions))
    )
    print()
    print(f"labelled functions (or groups): {len(functions)} ({counts})")
    on = ", ".join(f"{label} {result.on[label]}" for label in MARKED)
    unmarked = len(result.false_positives)
    print(f"findings: {result.findings} (on lines marked {on}; unmarked {unmarked})")
    rows = [
        (
            "precision (draws: same bits drawn twice)",
            result.on["reuse"],
            result.findings,
        ),
        (
            "precision (policy: reuse or latent)",
            result.on["reuse"] + result.on["latent"],
            result.findings,
        ),
        ("recall on reuse", result.on["reuse"], result.marked["reuse"]),
        ("recall on latent", result.on["latent"], result.marked["latent"]),
    ]
    for title, hits, total in rows:
        print(f"{title + ':':44}{hits / total if total else 1.0:.2f} ({hits}/{total})")

    if not args.no_oracle:
        print()
        print("JAX's key reuse checker where the code runs:")
        ran, disagreements = run_oracles(cases)
        print(f"oracle runs: {ran}, as labelled: {ran - len(disagreements)}")
        if disagreements:
            print("not as labelled:", *disagreements, sep="\n  ")
            return 1
    return 0 if not result.missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
