"""The structural spec of an exported model: canonical, human-diffable text.

One file per testcase. A header names the versions that produced it and the opset;
then one section per graph (the top graph, nested subgraphs) and per ONNX function,
each with its inputs, outputs, initializers, op counts and nodes in order (one per
line: op type, scalar attributes, output dtypes and shapes with symbolic dims by name);
last, an `expect_graph` pattern list that jax2onnx's own matcher accepts.

Only duck-typed access to `onnx_ir` objects happens here, so importing this module
stays cheap; the caller hands in the model.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

SPEC_SUFFIX = ".spec"
VERSION_KEYS = ("jax", "jax2onnx", "onnx-ir")
PATTERN_SECTION = "expect_graph"


@dataclass
class Section:
    """One graph or function of the model, already rendered line by line."""

    title: str
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    initializers: list[str] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)

    @property
    def op_counts(self) -> Counter[str]:
        return Counter(node_op(line) for line in self.nodes)

    def lines(self) -> Iterator[str]:
        yield f"== {self.title}"
        for line in self.inputs:
            yield f"input {line}"
        for line in self.outputs:
            yield f"output {line}"
        for line in self.initializers:
            yield f"initializer {line}"
        counts = self.op_counts
        yield "ops " + " ".join(f"{op}:{counts[op]}" for op in sorted(counts))
        for line in self.nodes:
            yield f"node {line}"


@dataclass
class Spec:
    """A parsed or freshly built spec; `render()` gives the file's text."""

    testcase: str
    header: dict[str, str]
    opset_imports: list[str]
    sections: list[Section]
    patterns: str

    def render(self) -> str:
        lines = [
            f"# guardrails gate spec for {self.testcase}",
            f"# regenerate: guardrails gate --update --only '{self.testcase}'",
        ]
        lines += [f"{key} {value}" for key, value in self.header.items()]
        lines += [f"opset-import {entry}" for entry in self.opset_imports]
        for section in self.sections:
            lines.append("")
            lines.extend(section.lines())
        lines += ["", f"== {PATTERN_SECTION}", self.patterns]
        return "\n".join(lines) + "\n"

    def section_map(self) -> dict[str, Section]:
        return {section.title: section for section in self.sections}


def node_op(line: str) -> str:
    """The op of a rendered node line: `custom.Block.1:Block[...] -> ...` -> `Block`."""
    head = line.split(" -> ", 1)[0].split("[", 1)[0]
    return head.rsplit(":", 1)[-1]


# ---------------------------------------------------------------- building


def _dim(dim: Any) -> str:
    if isinstance(dim, int):
        return str(dim)
    value = getattr(dim, "value", dim)
    if value is None:
        return "?"
    return str(value)


def _dtype(value: Any) -> str:
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return "?"
    name = getattr(dtype, "name", None)
    return str(name).lower() if name else str(dtype).lower()


def value_type(value: Any) -> str:
    """`float[B,257,384]`; `?` marks what the exporter left unknown."""
    shape = getattr(value, "shape", None)
    dims = "?" if shape is None else ",".join(_dim(dim) for dim in shape)
    return f"{_dtype(value)}[{dims}]"


def _attribute(attr: Any) -> str | None:
    """A short, stable rendering of a node attribute; graphs are rendered apart."""
    kind = str(getattr(getattr(attr, "type", None), "name", ""))
    value = getattr(attr, "value", None)
    if kind in {"GRAPH", "GRAPHS"}:
        return None
    if kind == "TENSOR":
        return f"tensor {value_type(value)}"
    if kind == "TENSORS":
        return "tensors " + ",".join(value_type(item) for item in value or ())
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_scalar(item) for item in value) + "]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _node_line(node: Any) -> str:
    domain = str(getattr(node, "domain", "") or "")
    op = f"{domain}:{node.op_type}" if domain not in {"", "ai.onnx"} else node.op_type
    attributes = []
    for name in sorted(node.attributes):
        rendered = _attribute(node.attributes[name])
        if rendered is not None:
            attributes.append(f"{name}={rendered}")
    attrs = f"[{' '.join(attributes)}]" if attributes else ""
    outputs = ", ".join(value_type(out) for out in node.outputs)
    return f"{op}{attrs} -> {outputs}"


def _subgraphs(node: Any) -> Iterator[tuple[str, Any]]:
    for name in sorted(node.attributes):
        attr = node.attributes[name]
        kind = str(getattr(getattr(attr, "type", None), "name", ""))
        if kind == "GRAPH":
            yield name, attr.value
        elif kind == "GRAPHS":
            for index, graph in enumerate(attr.value):
                yield f"{name}[{index}]", graph


def _graph_sections(title: str, graph: Any, initializers: bool) -> list[Section]:
    section = Section(title)
    section.inputs = [f"{v.name} {value_type(v)}" for v in graph.inputs]
    section.outputs = [f"{v.name} {value_type(v)}" for v in graph.outputs]
    if initializers:
        section.initializers = [
            f"{name} {value_type(value)}"
            for name, value in sorted(graph.initializers.items())
        ]
    nested: list[Section] = []
    for index, node in enumerate(graph):
        section.nodes.append(_node_line(node))
        for attr_name, subgraph in _subgraphs(node):
            nested += _graph_sections(
                f"{title} / node {index} {node.op_type}.{attr_name}", subgraph, True
            )
    return [section, *nested]


def _natural_key(key: Iterable[str]) -> list[tuple[str, int]]:
    """`custom.Block.2` before `custom.Block.10`."""
    text = "\x00".join(key)
    return [
        (part, 0) if not part.isdigit() else ("", int(part))
        for part in re.split(r"(\d+)", text)
    ]


def _function_title(key: Iterable[str]) -> str:
    domain, name, overload = key
    suffix = f" overload {overload}" if overload else ""
    return f"function {domain}:{name}{suffix}"


def build_spec(
    testcase: str,
    model: Any,
    versions: Mapping[str, str],
    opset: int,
    patterns: Mapping[str, Any],
) -> Spec:
    """Spec of an `onnx_ir.Model`; `patterns` is `auto_expect_graph_spec`'s output."""
    sections = _graph_sections(f"graph {model.graph.name}", model.graph, True)
    for key in sorted(model.functions, key=_natural_key):
        function = model.functions[key]
        sections += _graph_sections(_function_title(key), function, False)
    header = {key: versions[key] for key in VERSION_KEYS}
    header["opset"] = str(opset)
    imports = [
        f"{domain or 'ai.onnx'} {version}"
        for domain, version in sorted(model.opset_imports.items())
    ]
    return Spec(
        testcase=testcase,
        header=header,
        opset_imports=imports,
        sections=sections,
        patterns=json.dumps(patterns, indent=2, sort_keys=True),
    )


# ---------------------------------------------------------------- parsing


class SpecFormatError(ValueError):
    """A committed spec file that this version cannot read."""


_SECTION_PREFIXES = {
    "input ": "inputs",
    "output ": "outputs",
    "initializer ": "initializers",
    "node ": "nodes",
}


def parse_spec(text: str) -> Spec:
    header: dict[str, str] = {}
    imports: list[str] = []
    sections: list[Section] = []
    testcase = ""
    current: Section | None = None
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("# guardrails gate spec for "):
            testcase = line.removeprefix("# guardrails gate spec for ").strip()
            continue
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("== "):
            title = line[3:]
            if title == PATTERN_SECTION:
                patterns = "\n".join(lines[index + 1 :]).strip()
                return Spec(testcase, header, imports, sections, patterns)
            current = Section(title)
            sections.append(current)
            continue
        if current is None:
            key, _, value = line.partition(" ")
            if key == "opset-import":
                imports.append(value)
            else:
                header[key] = value
            continue
        if line.startswith("ops "):
            continue  # derived from the nodes
        for prefix, attribute in _SECTION_PREFIXES.items():
            if line.startswith(prefix):
                getattr(current, attribute).append(line.removeprefix(prefix))
                break
        else:
            raise SpecFormatError(f"line {index + 1}: cannot read {line[:60]!r}")
    raise SpecFormatError(f"no '== {PATTERN_SECTION}' section")


def patterns_of(spec: Spec) -> dict[str, Any]:
    """The spec's `expect_graph` arguments (for `expect_graph_from_spec`)."""
    try:
        data = json.loads(spec.patterns)
    except json.JSONDecodeError as error:
        raise SpecFormatError(f"{PATTERN_SECTION} section: {error}") from None
    if not isinstance(data, dict):
        raise SpecFormatError(f"{PATTERN_SECTION} section must be a JSON object")
    return data
