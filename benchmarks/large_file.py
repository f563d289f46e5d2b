"""How guardrails' time grows with the size of one generated file, beside ruff.

    python benchmarks/large_file.py [--sizes 1,2,4,8] [--shapes NAME,...] [--runs 1]

For each shape and size it writes one Python file of that many MiB into a
temporary project (as `jax2onnx/plugins/generated/<shape>.py`, so every rule
applies), then times `guardrails check --no-cache FILE` and
`ruff check --no-cache --isolated --select ALL FILE` on it, interleaved, each in
its own process: wall time (median of `--runs`), CPU time and peak memory from
`wait4`. Per-MiB costs make linearity visible: a flat `s/MiB` column down the
sizes of a shape is linear, a growing one is not; the closing lines give the
largest size's CPU s/MiB over the smallest's. On a loaded machine CPU time is
the steadier column.

The shapes are what code generators emit:

- testcases: one `register_primitive(...)` whose `testcases=[...]` holds
  thousands of multi-line testcase dicts, one in three flagged
  `run_only_f32_variant`;
- testcases-one-line: the same dicts all on one line, with non-ASCII text in
  them (a JSON-like dump: CPython's columns are UTF-8 byte offsets);
- registrations: one `register_primitive(...)` call per testcase;
- functions: many small module-level functions (no rule needs their bodies);
- key-functions: many small functions that split and consume PRNG keys, which
  GR203 reads whole: LibCST parses all of it (the costliest shape, about
  0.9 GiB of memory per MiB);
- list: one giant list literal; assignments: many module-level assignments;
  dict: one huge dict display (GR403 has LibCST parse the three whole, to
  report the unannotated names).

guardrails runs from a frozen copy of this checkout's package, so an edit made
while the benchmark runs cannot change the tool halfway.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Run as a script, this folder is on the path: the same frozen copy as bench.py.
from bench import frozen_guardrails

MIB = 1024 * 1024

REGISTER = (
    "import jax.numpy as jnp\n"
    "from jax2onnx.plugins._post_check_onnx_graph import expect_graph as EG\n"
    "from jax2onnx.plugins.plugin_system import register_primitive\n\n"
)


def _testcase(number: int, one_line: bool) -> str:
    """A testcase dict as jax2onnx plugins write them (double quotes, as black
    leaves them), one in three flagged."""
    width = number % 7 + 1
    entries = [
        f'"testcase": "add_{number}"',
        f'"callable": lambda x, y: jnp.add(x, y + {number})',
        f'"input_shapes": [(3, {width}), (3, {width})]',
        f'"post_check_onnx_graph": EG(["Add:3x{width}"])',
        f'"doc": "x + y + {number} (généré)"',
    ]
    if number % 3 == 0:
        entries.insert(3, '"run_only_f32_variant": True')
    if one_line:
        return "{" + ", ".join(entries) + "}"
    inside = "".join(f"            {entry},\n" for entry in entries)
    return "        {\n" + inside + "        },\n"


@dataclass(frozen=True)
class Shape:
    head: str
    item: Callable[[int], str]
    tail: str


SHAPES = {
    "testcases": Shape(
        REGISTER + 'register_primitive(\n    jaxpr_primitive="add",\n'
        '    context="primitives.generated",\n    component="add",\n'
        "    testcases=[\n",
        lambda n: _testcase(n, one_line=False),
        "    ],\n)\n",
    ),
    "testcases-one-line": Shape(
        REGISTER + 'register_primitive(jaxpr_primitive="add", '
        'context="primitives.generated", component="add", testcases=[',
        lambda n: (", " if n else "") + _testcase(n, one_line=True),
        "])\n",
    ),
    "registrations": Shape(
        REGISTER,
        lambda n: (
            f'register_primitive(jaxpr_primitive="p_{n}", '
            f'context="primitives.generated", component="c_{n}",\n'
            f"    testcases=[{_testcase(n, one_line=True)}])\n"
        ),
        "",
    ),
    "functions": Shape(
        "",
        lambda n: (
            f"def function_{n}(x, y={n}):\n    z = x + y * {n}\n"
            f"    return z - {n}\n\n\n"
        ),
        "",
    ),
    "key-functions": Shape(
        "import jax\n\n\n",
        lambda n: (
            f"def sample_{n}(key, x):\n    k1, k2 = jax.random.split(key)\n"
            f"    a = jax.random.normal(k1, (3,))\n"
            f"    return a + jax.random.uniform(k2, (3,)) + x * {n}\n\n\n"
        ),
        "",
    ),
    "list": Shape(
        "DATA = [\n",
        lambda n: f'    ({n}, {n}.5, "name_{n}", [{n}, {n + 1}, {n + 2}]),\n',
        "]\n",
    ),
    "assignments": Shape(
        "",
        lambda n: f'VALUE_{n} = {{"a": {n}, "b": [{n}, {n + 1}], "c": "text_{n}"}}\n',
        "",
    ),
    "dict": Shape(
        "TABLE = {\n", lambda n: f'    "key_{n}": [{n}, {n}.25, "v_{n}"],\n', "}\n"
    ),
}


def write_generated(shape: Shape, size: int, path: Path) -> None:
    """At least `size` bytes of UTF-8 in `shape`, whole items only, written as
    they are made: a child's peak memory from `wait4` starts at this
    process's own (the child is forked from it), which must stay small."""
    with path.open("w", encoding="utf-8") as out:
        out.write(shape.head)
        written = len(shape.head.encode())
        number = 0
        while written < size:
            item = shape.item(number)
            out.write(item)
            written += len(item.encode())
            number += 1
        out.write(shape.tail)


@dataclass
class Measurement:
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    peak_kib: int = 0
    output: str = ""

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)


def run_once(
    command: Sequence[str], cwd: Path, env: dict[str, str], measurement: Measurement
) -> None:
    with tempfile.TemporaryFile() as stdout:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.PIPE
        )
        assert process.stderr is not None
        errors = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        # The end says how many findings: a few lines, where all of the
        # output can be hundreds of MiB (ruff's, with its code frames).
        stdout.seek(max(0, stdout.seek(0, os.SEEK_END) - 4096))
        output = stdout.read().decode(errors="replace")
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{errors!r}")
    measurement.walls.append(wall)
    measurement.cpus.append(usage.ru_utime + usage.ru_stime)
    measurement.peak_kib = max(measurement.peak_kib, usage.ru_maxrss)
    measurement.output = output


@dataclass
class Row:
    shape: str
    mib: float
    guardrails: Measurement
    ruff: Measurement

    @property
    def summary(self) -> str:
        """guardrails' closing count of findings."""
        for line in reversed(self.guardrails.output.splitlines()):
            if line.startswith(("Found ", "All checks passed")):
                return line
        return "?"


def table(rows: Sequence[Row]) -> str:
    header = (
        "| shape | MiB | guardrails s | ruff s | vs ruff | guardrails s/MiB | "
        "CPU s/MiB | ruff CPU s/MiB | CPU vs ruff | peak MiB | guardrails says |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    )
    lines = [
        f"| {row.shape} | {row.mib:.3g} | {row.guardrails.wall:.2f} | "
        f"{row.ruff.wall:.2f} | {row.guardrails.wall / row.ruff.wall:.1f} | "
        f"{row.guardrails.wall / row.mib:.2f} | {row.guardrails.cpu / row.mib:.2f} | "
        f"{row.ruff.cpu / row.mib:.3f} | {row.guardrails.cpu / row.ruff.cpu:.1f} | "
        f"{row.guardrails.peak_kib / 1024:.0f} | {row.summary} |"
        for row in rows
    ]
    return "\n".join([*header, *lines])


def growth(rows: Sequence[Row]) -> list[str]:
    """Per shape: CPU s/MiB at its largest size over that at its smallest, for
    guardrails and for ruff (1.00 is linear)."""
    found = []
    for shape in dict.fromkeys(row.shape for row in rows):
        mine = sorted((row for row in rows if row.shape == shape), key=lambda r: r.mib)
        if len(mine) < 2:
            continue
        small, large = mine[0], mine[-1]
        scale = small.mib / large.mib
        ours = large.guardrails.cpu / small.guardrails.cpu * scale
        theirs = large.ruff.cpu / small.ruff.cpu * scale
        found.append(
            f"{shape}: CPU s/MiB at {large.mib:.3g} MiB over {small.mib:.3g} MiB: "
            f"guardrails {ours:.2f}x, ruff {theirs:.2f}x (1.00 is linear)"
        )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="1,2,4,8", help="comma-separated MiB (default 1,2,4,8)"
    )
    parser.add_argument(
        "--shapes", default=",".join(SHAPES), help="comma-separated, default all"
    )
    parser.add_argument("--runs", type=int, default=1, help="timed runs per tool")
    parser.add_argument(
        "--ruff", type=Path, default=Path(sys.executable).with_name("ruff")
    )
    args = parser.parse_args()
    sizes = [float(size) for size in args.sizes.split(",")]
    shapes = args.shapes.split(",")
    unknown = [shape for shape in shapes if shape not in SHAPES]
    if unknown:
        parser.error(f"unknown shapes {unknown}; known: {', '.join(SHAPES)}")

    rows = []
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="guardrails-large-") as scratch:
        workdir = Path(scratch)
        env = frozen_guardrails(workdir)
        project = workdir / "project"
        folder = project / "jax2onnx" / "plugins" / "generated"
        folder.mkdir(parents=True)
        (project / "pyproject.toml").write_text("[tool.guardrails]\n")
        for shape in shapes:
            for size in sizes:
                path = folder / f"{shape.replace('-', '_')}.py"
                write_generated(SHAPES[shape], int(size * MIB), path)
                row = Row(
                    shape, path.stat().st_size / MIB, Measurement(), Measurement()
                )
                guardrails = [sys.executable, "-m", "guardrails", "check"]
                guardrails += ["--no-cache", str(path)]
                ruff = [str(args.ruff), "check", "--no-cache", "--isolated"]
                ruff += ["--select", "ALL", str(path)]
                for _ in range(args.runs):
                    # Interleaved, so a burst of load hits both tools.
                    run_once(guardrails, project, env, row.guardrails)
                    run_once(ruff, project, env, row.ruff)
                rows.append(row)
                print(
                    f"{shape} {row.mib:.3g} MiB: guardrails "
                    f"{row.guardrails.wall:.2f} s, ruff {row.ruff.wall:.2f} s",
                    file=sys.stderr,
                    flush=True,
                )

    print(
        f"cores: {len(os.sched_getaffinity(0))}, load before: {load}, "
        f"after: {os.getloadavg()}"
    )
    print()
    print(table(rows))
    print()
    for line in growth(rows):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
