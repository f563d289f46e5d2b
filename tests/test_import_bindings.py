"""The one model of what a file's imports bind, read from either tree.

The rules ask LibCST's reading (`analysis.imports`, as the walk meets each
import); the syntax pre-scans ask CPython's (`SyntaxIndex.imports`, all of them
in source order). Both must bind the same names to the same qualified names.
"""

from __future__ import annotations

import ast

import libcst as cst
import pytest

from guardrails.analysis.import_bindings import ImportBindings
from guardrails.analysis.imports import ImportMap, ImportTracker, imports_of
from guardrails.analysis.syntax_prescans import SyntaxIndex

CASES = {
    "dotted": ("import jax.random\n", {"jax": "jax"}),
    "dotted as": ("import jax.random as jr\n", {"jr": "jax.random"}),
    "from": ("from jax import random\n", {"random": "jax.random"}),
    "from as": (
        "from jax.core import Literal as JaxLiteral\n",
        {"JaxLiteral": "jax.core.Literal"},
    ),
    "relative": ("from . import core\nfrom .jax import core as c\n", {}),
    "star": ("from jax.core import *\n", {}),
    "several": (
        "import numpy as np, jax\nfrom flax import nnx, linen as nn\n",
        {"np": "numpy", "jax": "jax", "nnx": "flax.nnx", "nn": "flax.linen"},
    ),
    "in a function": (
        "def f():\n    import jax.numpy as jnp\n    return jnp\n",
        {"jnp": "jax.numpy"},
    ),
    "guarded": (
        "try:\n    from jax.extend.core import Literal\n"
        "except ImportError:\n    from jax.core import Literal\n",
        {"Literal": "jax.core.Literal"},
    ),
    "rebound later": (
        "import jax.random as r\n\ndef f():\n    import numpy.random as r\n",
        {"r": "numpy.random"},
    ),
}


def _libcst_reading(source: str) -> ImportMap:
    module = cst.parse_module(source)
    imports = imports_of(module)
    module.visit(_Tracking(imports))
    return imports


class _Tracking(cst.CSTVisitor):
    """`ImportTracker`'s methods, as the engine's batched walk calls them."""

    def __init__(self, imports: ImportMap) -> None:
        super().__init__()
        self.tracker = ImportTracker(imports)

    def visit_Import(self, node: cst.Import) -> None:
        self.tracker.visit_Import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.tracker.visit_ImportFrom(node)


@pytest.mark.parametrize("source, bound", CASES.values(), ids=list(CASES))
def test_both_trees_bind_the_same_names(source: str, bound: dict[str, str]) -> None:
    from_libcst = _libcst_reading(source)
    from_cpython = SyntaxIndex.of(ast.parse(source)).imports
    assert from_libcst.bindings == from_cpython.bindings == bound
    assert from_libcst.targets == from_cpython.targets


def test_every_binding_stays_a_target_after_a_rebinding() -> None:
    imports = SyntaxIndex.of(ast.parse(CASES["guarded"][0])).imports
    assert imports.targets == {"jax.extend.core.Literal", "jax.core.Literal"}


def test_qualify_follows_a_chain_from_its_first_name() -> None:
    imports = ImportBindings()
    imports.bind_import("jax.random", "jr")
    imports.bind_import_from("jax", 0, "core", None)
    assert imports.qualify_dotted("jr.split") == "jax.random.split"
    assert imports.qualify_dotted("core.Literal.x") == "jax.core.Literal.x"
    assert imports.qualify_dotted("jr") == "jax.random"
    assert imports.qualify_dotted("other.core") is None
    read = imports_of(cst.parse_module("import jax.random as jr\n"))
    assert read.qualify(cst.parse_expression("jr.split")) == "jax.random.split"
    assert read.qualify(cst.parse_expression("f().split")) is None
    assert read.qualify_or_local(cst.parse_expression("k.x")) == "k.x"
