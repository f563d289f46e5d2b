"""Readable differences between a committed spec and a fresh export's spec.

Per graph or function: which ops appeared or vanished, which op counts changed,
which node shapes or attributes changed (nodes aligned by op sequence), the inputs,
outputs and initializers that changed (numbered functions that changed alike shown
once, `grouping`); then a one-line verdict. Version lines in the
header are reported but are not drift by themselves: the graph is what is gated.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass

from guardrails.gate.grouping import grouped_sections
from guardrails.gate.spec import VERSION_KEYS, Section, Spec, node_op

MAX_NODE_LINES = 30


@dataclass(frozen=True)
class SpecDiff:
    drift: bool
    text: str
    verdict: str


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{op} x{counter[op]}" for op in sorted(counter))


def _set_changes(kind: str, old: list[str], new: list[str]) -> list[str]:
    gone = [line for line in old if line not in set(new)]
    added = [line for line in new if line not in set(old)]
    return [f"  - {kind} {line}" for line in gone] + [
        f"  + {kind} {line}" for line in added
    ]


def _node_changes(old: list[str], new: list[str]) -> list[str]:
    matcher = difflib.SequenceMatcher(
        a=[node_op(line) for line in old],
        b=[node_op(line) for line in new],
        autojunk=False,
    )
    changes: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset in range(i2 - i1):
                before, after = old[i1 + offset], new[j1 + offset]
                if before != after:
                    changes.append(f"  ~ node {i1 + offset}: {before}  =>  {after}")
            continue
        changes += [f"  - node {i}: {old[i]}" for i in range(i1, i2)]
        changes += [f"  + node {j}: {new[j]}" for j in range(j1, j2)]
    if len(changes) > MAX_NODE_LINES:
        hidden = len(changes) - MAX_NODE_LINES
        changes = [*changes[:MAX_NODE_LINES], f"  … {hidden} more node changes"]
    return changes


def _section_changes(old: Section, new: Section) -> tuple[list[str], Counter[str]]:
    """Lines describing the changes, and op count deltas (positive = appeared)."""
    lines: list[str] = []
    old_counts, new_counts = old.op_counts, new.op_counts
    vanished = Counter({op: n for op, n in old_counts.items() if op not in new_counts})
    appeared = Counter({op: n for op, n in new_counts.items() if op not in old_counts})
    if vanished:
        lines.append(f"  ops vanished: {_counts(vanished)}")
    if appeared:
        lines.append(f"  ops appeared: {_counts(appeared)}")
    changed = [
        f"{op} {old_counts[op]}→{new_counts[op]}"
        for op in sorted(set(old_counts) & set(new_counts))
        if old_counts[op] != new_counts[op]
    ]
    if changed:
        lines.append(f"  op counts changed: {', '.join(changed)}")
    lines += _set_changes("input", old.inputs, new.inputs)
    lines += _set_changes("output", old.outputs, new.outputs)
    lines += _set_changes("initializer", old.initializers, new.initializers)
    lines += _node_changes(old.nodes, new.nodes)
    delta = Counter(new_counts)
    delta.subtract(old_counts)
    return lines, delta


def diff_specs(old: Spec, new: Spec) -> SpecDiff:
    out: list[str] = []
    drift_parts: list[str] = []
    notes = [
        f"{key} {old.header.get(key, '?')} → {new.header.get(key, '?')}"
        for key in VERSION_KEYS
        if old.header.get(key) != new.header.get(key)
    ]
    if notes:
        out.append("versions: " + "; ".join(notes))
    if old.header.get("opset") != new.header.get("opset"):
        out.append(f"opset: {old.header.get('opset')} → {new.header.get('opset')}")
        drift_parts.append("opset changed")
    imports = _set_changes("opset-import", old.opset_imports, new.opset_imports)
    if imports:
        out += ["opset imports:", *imports]
        drift_parts.append("opset imports changed")

    old_sections, new_sections = old.section_map(), new.section_map()
    total: Counter[str] = Counter()
    changed_sections: list[str] = []
    for title in old_sections.keys() - new_sections.keys():
        section = old_sections[title]
        out.append(f"{title}: vanished ({len(section.nodes)} nodes)")
        changed_sections.append(title)
    for title in new_sections.keys() - old_sections.keys():
        section = new_sections[title]
        out.append(f"{title}: appeared ({len(section.nodes)} nodes)")
        changed_sections.append(title)
    changes: list[tuple[str, list[str]]] = []
    for title in new_sections:
        if title not in old_sections:
            continue
        lines, delta = _section_changes(old_sections[title], new_sections[title])
        if lines:
            changes.append((title, lines))
            changed_sections.append(title)
            total.update(delta)
    for title, lines in grouped_sections(changes):
        out += [f"{title}:", *lines]
    if old.patterns != new.patterns and not changed_sections:
        out.append("expect_graph patterns changed")
        drift_parts.append("expect_graph patterns changed")

    if changed_sections:
        count = len(changed_sections)
        noun = "graph or function" if count == 1 else "graphs or functions"
        drift_parts.insert(0, f"{count} {noun} changed")
        ops = [f"+{op}" for op in sorted(total) if total[op] > 0]
        ops += [f"-{op}" for op in sorted(total) if total[op] < 0]
        if ops:
            drift_parts.append("ops " + " ".join(ops))
    drift = bool(drift_parts)
    verdict = "drift: " + "; ".join(drift_parts) if drift else "match"
    if notes and not drift:
        verdict = "match (graph unchanged; " + "; ".join(notes) + ")"
    return SpecDiff(drift=drift, text="\n".join(out), verdict=verdict)
