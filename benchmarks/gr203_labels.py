"""The labelled GR203 corpus (`gr203_corpus/`): reading it, and scoring GR203 on it.

Each corpus file is an excerpt of real code. Its header names the origin and the
licence, labels each function it holds (`# case NAME: LABEL - why`) and says how
the label was checked (`# oracle: ...`). A line where a key is consumed a second
time ends with a marker, `# gr203: reuse` (the same random bits are drawn twice),
`# gr203: latent` (one key handed to two consumers that take it for randomness,
one of which never draws in the shipped configuration: AGENTS.md's "split
before handing keys on" is broken, the numbers are not) or `# gr203: deliberate`
(handed twice on purpose; the escape is a suppression with a reason). Functions
labelled `gated` (reused only where the consumers ignore the key) and `clean`
have no marker: any finding there is a false positive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from guardrails.config import Config
from guardrails.engine.paths import collect_files
from guardrails.engine.runner import check_files
from guardrails.rules import selected_rules

CORPUS = Path(__file__).resolve().parent / "gr203_corpus"
LABELS = ("reuse", "latent", "deliberate", "gated", "clean")
# Markers: the labels a finding can carry.
MARKED = ("reuse", "latent", "deliberate")

_MARKER = re.compile(r"#\s*gr203:\s*(\w+)\s*$")
_CASE = re.compile(r"#\s*case (?P<names>.+?): (?P<label>\w+) -(?:\s|$)")
_FIELD = re.compile(r"#\s*(origin|licence|oracle):\s*(.*)")
_DRIVER = re.compile(r"(driver|excerpt|witness):(\S+)\s+(rejects|passes)")


@dataclass
class Case:
    """One corpus file."""

    path: Path
    origin: str = ""
    licence: str = ""
    oracle: str = ""
    labels: dict[str, str] = field(default_factory=dict)  # function(s) -> label
    markers: dict[int, str] = field(default_factory=dict)  # line -> marked label

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def oracles(self) -> list[tuple[str, str, bool]]:
        """(`driver`, name, or `excerpt`, call, and whether JAX's checker is
        expected to reject it; or `witness`, a call returning two draws, and
        whether they are expected bit-identical: value-equal keys, which the
        checker cannot see); empty for `none`."""
        return [
            (m.group(1), m.group(2), m.group(3) == "rejects")
            for m in _DRIVER.finditer(self.oracle)
        ]


def read_case(path: Path) -> Case:
    case = Case(path)
    last: str | None = None
    in_header = True
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if in_header and not line.startswith("#"):
            in_header = False
        if in_header:
            case_match = _CASE.match(line)
            field_match = _FIELD.match(line)
            if case_match:
                case.labels[case_match["names"]] = case_match["label"]
                last = None
            elif field_match:
                last = field_match[1]
                setattr(case, last, field_match[2].strip())
            elif last and line.startswith("#   "):
                setattr(case, last, f"{getattr(case, last)} {line[4:].strip()}")
            continue
        marker = _MARKER.search(line)
        if marker:
            case.markers[number] = marker[1]
    return case


def read_corpus(corpus: Path = CORPUS) -> list[Case]:
    return [read_case(path) for path in sorted(corpus.glob("*.py"))]


def problems(case: Case) -> list[str]:
    """What is missing or inconsistent in a case's labels."""
    found = []
    if not case.origin or not case.licence or not case.oracle:
        found.append("needs origin, licence and oracle lines")
    if not case.labels:
        found.append("labels no function (`# case NAME: LABEL - why`)")
    for names, label in case.labels.items():
        if label not in LABELS:
            found.append(f"{names}: unknown label {label!r}")
    for line, marked in case.markers.items():
        if marked not in MARKED:
            found.append(f"line {line}: unknown marker {marked!r}")
        elif marked not in case.labels.values():
            found.append(f"line {line}: marked {marked} but no case says so")
    for label in MARKED:
        if label in case.labels.values() and label not in case.markers.values():
            found.append(f"a case is {label} but no line is marked {label}")
    return found


def gr203_lines(corpus: Path = CORPUS) -> dict[str, set[int]]:
    """The lines GR203 reports, per corpus file (by stem), from one engine run."""
    config = Config(root=corpus)
    files = collect_files([corpus], config.root, config.all_excludes)
    result = check_files(files, config, selected_rules(["GR203"], ()), corpus)
    found: dict[str, set[int]] = {path.stem: set() for path in files}
    for finding in result.findings:
        if finding.code == "GR203":
            found.setdefault(Path(finding.path).stem, set()).add(finding.line)
    return found


@dataclass
class Score:
    """Findings against markers, over the whole corpus."""

    findings: int = 0
    on: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MARKED, 0))
    marked: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MARKED, 0))
    false_positives: list[tuple[str, int]] = field(default_factory=list)
    missed: list[tuple[str, int, str]] = field(default_factory=list)

    def precision(self, *labels: str) -> float:
        hits = sum(self.on[label] for label in labels)
        return hits / self.findings if self.findings else 1.0

    def recall(self, label: str) -> float:
        return self.on[label] / self.marked[label] if self.marked[label] else 1.0


def score(cases: list[Case], found: dict[str, set[int]]) -> Score:
    result = Score()
    for case in cases:
        lines = found.get(case.name, set())
        result.findings += len(lines)
        for line, marked in case.markers.items():
            result.marked[marked] += 1
            if line in lines:
                result.on[marked] += 1
            else:
                result.missed.append((case.name, line, marked))
        result.false_positives += [
            (case.name, line) for line in sorted(lines - case.markers.keys())
        ]
    return result
