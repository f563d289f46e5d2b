"""Fuzz `guardrails check` for longer than the test suite does, and report figures.

    python scripts/fuzz.py --programs 2000 --seed 1

Programs come from four sources (as in tests/test_fuzz_check.py): Python's grammar
(hypothesmith), LibCST node types spliced into every rule's samples, mutated real
jax2onnx files, and raw bytes. They are checked in batches (one tree of many files
per run, so the run's own start-up is paid once); a batch that breaks a guarantee
is re-checked file by file, and each failing file is minimized (lines, then
characters) while it still fails the same way. Prints programs tried, failures
found, and the first few minimized inputs; exit 1 if anything failed.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz_harness import (
    JAX2ONNX_SOURCE,
    NESTING_DEPTHS,
    check_files,
    jax2onnx_files,
    mutate,
    nested_program,
    random_mutations,
    rule_samples,
    splice,
)

SOURCES = ("grammar", "cst", "mutation", "bytes", "nesting")
# Sources whose programs could crash the interpreter itself: checked in a
# separate process only, so a crash is a failure to report, not the end of this run.
OUT_OF_PROCESS = frozenset({"nesting"})

Program = tuple[str, str | bytes]  # (relative path, content)


def hypothesis_programs(source: str, count: int, seed: int) -> list[Program]:
    """`count` programs drawn by Hypothesis (generation only, no shrinking)."""
    import hypothesmith
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    programs: list[Program] = []
    strategy: st.SearchStrategy[Program]
    if source == "grammar":
        strategy = hypothesmith.from_grammar().map(
            lambda code: ("jax2onnx/plugins/generated.py", code)
        )
    else:
        strategy = st.builds(
            lambda sample, code, where: (sample[0], splice(sample[1], code, where)),
            st.sampled_from(rule_samples()),
            hypothesmith.from_node(),
            st.floats(0, 1),
        )

    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(program: Program) -> None:
        programs.append(program)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings from compile() probes
        collect()
    return programs[:count]


def mutated_programs(count: int, rng: random.Random) -> list[Program]:
    files = jax2onnx_files()
    programs: list[Program] = []
    for _ in range(count):
        relative = rng.choice(files)
        source = (JAX2ONNX_SOURCE.parent / relative).read_text(encoding="utf-8")
        mutations = random_mutations(rng, rng.randint(1, 6))
        programs.append((relative, mutate(source, mutations)))
    return programs


def byte_programs(count: int, rng: random.Random) -> list[Program]:
    programs: list[Program] = []
    for _ in range(count):
        if rng.random() < 0.5:
            content = rng.randbytes(rng.randint(0, 3000))
        else:  # mostly text, with a few odd bytes among it
            text = "".join(
                rng.choice("abc def():[]{}\n\t\r\\'\"#=+-*é\u2028λ0123456789.,")
                for _ in range(rng.randint(0, 3000))
            )
            content = b"import onnx\n" + text.encode("utf-8")
        programs.append(("jax2onnx/plugins/junk.py", content))
    return programs


def programs_from(source: str, count: int, seed: int) -> list[Program]:
    rng = random.Random(f"{source}:{seed}")
    if source in ("grammar", "cst"):
        return hypothesis_programs(source, count, seed)
    if source == "mutation":
        return mutated_programs(count, rng)
    if source == "nesting":
        return [
            (
                "jax2onnx/plugins/deep.py",
                nested_program(rng, rng.choice(NESTING_DEPTHS)),
            )
            for _ in range(count)
        ]
    return byte_programs(count, rng)


# --- checking and minimizing ---------------------------------------------------------


def failure_of(program: Program, in_process: bool = True) -> str | None:
    with tempfile.TemporaryDirectory() as folder:
        return check_files(Path(folder), dict([program]), in_process=in_process)


def signature(problem: str) -> str:
    """The kind of failure, without the details that change as inputs shrink."""
    return problem.splitlines()[-1][:120] if problem else problem


def batch_failures(
    batch: Sequence[Program], in_process: bool
) -> Iterator[tuple[Program, str]]:
    """Failing programs of a batch: the batch runs as one tree; only if it fails
    are its programs run one by one (distinct names: same paths would collide)."""
    files = {
        f"b{index:04d}/{path}": content for index, (path, content) in enumerate(batch)
    }
    with tempfile.TemporaryDirectory() as folder:
        problem = check_files(Path(folder), files, in_process=in_process)
    if problem is None:
        return
    found_any = False
    for program in batch:
        single = failure_of(program, in_process)
        if single is not None:
            found_any = True
            yield program, single
    if not found_any:  # only the combination fails (a project rule, say)
        yield ("<batch>", repr(sorted(files))[:200]), problem


def minimize(
    program: Program, problem: str, budget_seconds: float, in_process: bool
) -> Program:
    """Shortest content (by lines, then characters) failing with the same
    signature, within a time budget."""
    path, content = program
    wanted = signature(problem)
    deadline = time.monotonic() + budget_seconds

    def still_fails(candidate: str | bytes) -> bool:
        found = failure_of((path, candidate), in_process)
        return found is not None and signature(found) == wanted

    for split in (_lines, _characters):
        content = _reduce(content, split, still_fails, deadline)
    return path, content


def _lines(content: str | bytes) -> list[str | bytes]:
    return list(content.splitlines(keepends=True))


def _characters(content: str | bytes) -> list[str | bytes]:
    if isinstance(content, bytes):
        return [content[i : i + 1] for i in range(len(content))]
    return list(content)


def _reduce(
    content: str | bytes,
    split: Callable[[str | bytes], list[str | bytes]],
    still_fails: Callable[[str | bytes], bool],
    deadline: float,
) -> str | bytes:
    """Delta debugging lite: remove chunks, halving the chunk size."""
    parts = split(content)
    empty: str | bytes = b"" if isinstance(content, bytes) else ""
    chunk = max(len(parts) // 2, 1)
    while chunk >= 1 and time.monotonic() < deadline:
        index = 0
        while index < len(parts) and time.monotonic() < deadline:
            candidate_parts = parts[:index] + parts[index + chunk :]
            candidate = empty.join(candidate_parts)  # type: ignore[arg-type]
            if still_fails(candidate):
                parts = candidate_parts
            else:
                index += chunk
        chunk //= 2
    return empty.join(parts)  # type: ignore[arg-type]


@dataclass
class Figures:
    tried: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, Program, str]] = field(default_factory=list)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=1000, help="per source")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sources", default=",".join(SOURCES))
    parser.add_argument("--batch", type=int, default=25, help="programs per run")
    parser.add_argument(
        "--subprocess-every",
        type=int,
        default=10,
        help="every Nth batch runs in a separate process (the rest in-process)",
    )
    parser.add_argument("--show", type=int, default=3, help="minimized failures shown")
    parser.add_argument("--minimize-seconds", type=float, default=60)
    args = parser.parse_args(argv)

    started = time.monotonic()
    figures = Figures()
    batches = 0
    for source in args.sources.split(","):
        generated_at = time.monotonic()
        programs = programs_from(source, args.programs, args.seed)
        generation = time.monotonic() - generated_at
        checked_at = time.monotonic()
        for start in range(0, len(programs), args.batch):
            batch = programs[start : start + args.batch]
            batches += 1
            in_process = (
                batches % args.subprocess_every != 0 and source not in OUT_OF_PROCESS
            )
            figures.tried[source] += len(batch)
            for program, problem in batch_failures(batch, in_process):
                figures.failed[source] += 1
                figures.failures.append((source, program, problem))
        print(
            f"{source:>9}: {figures.tried[source]} programs, "
            f"{figures.failed[source]} failures "
            f"(generated in {generation:.0f} s, checked in "
            f"{time.monotonic() - checked_at:.0f} s)",
            flush=True,
        )

    total_tried = sum(figures.tried.values())
    total_failed = sum(figures.failed.values())
    kinds = Counter(signature(problem) for _, _, problem in figures.failures)
    print(
        f"total: {total_tried} programs tried, {total_failed} failures "
        f"({len(kinds)} distinct), {time.monotonic() - started:.0f} s, seed {args.seed}"
    )
    shown: set[str] = set()
    for source, program, problem in figures.failures:
        if len(shown) >= args.show or signature(problem) in shown:
            continue
        shown.add(signature(problem))
        path, content = (
            program
            if program[0] == "<batch>"
            else minimize(
                program,
                problem,
                args.minimize_seconds,
                in_process=source not in OUT_OF_PROCESS,
            )
        )
        print(f"\n--- {source} failure: {signature(problem)}")
        print(f"{path}: {content!r}"[:2000])
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
