"""What the IR-only rules share: which names are ONNX's protobuf library or
onnx_ir's internals, and the paths the rules look at."""

from __future__ import annotations

import re

from guardrails.rules.base import FileInfo, Rule

# `onnx` only as a name that can be imported or start an attribute chain: not
# after `.` or `://`, followed by a space, `.`, `,`, `;`, `#`, `\` or `)` (as in
# `(onnx).helper`), never by `=` (skips `onnx=[...]` metadata and URLs such as
# https://onnx.ai/onnx/). GR101's and GR104's text pre-scan.
ONNX_NAME = re.compile(r"onnx(?<![\w.]onnx)(?<!://onnx)(?=[\s.,;#\\)]|\Z)(?!\s*=(?!=))")


def is_onnx(name: str) -> bool:
    return name == "onnx" or name.startswith("onnx.")


def is_private(part: str) -> bool:
    # `__version__` and friends are public dunders, not private modules.
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def private_onnx_ir(name: str) -> bool:
    head, *rest = name.split(".")
    return head == "onnx_ir" and any(is_private(part) for part in rest)


class IROnlyRule(Rule):
    """A rule that looks only at the IR-only paths (`ir-only-paths`)."""

    @classmethod
    def applies_to(cls, file: FileInfo) -> bool:
        return file.in_ir_only_paths
