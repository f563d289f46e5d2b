"""Parity with jax2onnx's own IR-only policy test.

jax2onnx guards its IR-only area with
`tests/extra_tests/framework/test_no_onnx_in_converter_plugins.py`. Its detection,
re-implemented here independently with `ast` (`policy_flags`): in `converter/` and
`plugins/` it flags `import onnx` / `import onnx.x`, `from onnx[.x] import …`, and
attribute chains whose first two names are `onnx.ModelProto`, `onnx.helper` or
`onnx.shape_inference`. Everything it flags, GR101/GR104 flag at the same place;
the dynamic imports it cannot see, GR103 flags.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from guardrails.targets import package_source
from tests.check_support import run_main, write_files

JAX2ONNX = package_source("jax2onnx")
POLICY_CHAINS = {
    ("onnx", "ModelProto"),
    ("onnx", "helper"),
    ("onnx", "shape_inference"),
}


@dataclass(frozen=True)
class PolicyFlag:
    line: int
    end_line: int
    kind: str  # "import" or "attribute"


def _is_onnx(module: str) -> bool:
    return module == "onnx" or module.startswith("onnx.")


def _chain(node: ast.Attribute) -> list[str]:
    parts = [node.attr]
    value = node.value
    while isinstance(value, ast.Attribute):
        parts.append(value.attr)
        value = value.value
    if isinstance(value, ast.Name):
        parts.append(value.id)
        return parts[::-1]
    return []  # rooted in a call or subscript: not a name chain


def policy_flags(source: str) -> list[PolicyFlag]:
    """What the policy test's textual `ast` scan flags in one file."""
    flags = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            hit = any(_is_onnx(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            hit = node.level == 0 and node.module is not None and _is_onnx(node.module)
        elif isinstance(node, ast.Attribute):
            if tuple(_chain(node)[:2]) in POLICY_CHAINS:
                flags.append(PolicyFlag(node.lineno, node.lineno, "attribute"))
            continue
        else:
            continue
        if hit:
            flags.append(
                PolicyFlag(node.lineno, node.end_lineno or node.lineno, "import")
            )
    return sorted(set(flags), key=lambda flag: (flag.line, flag.kind))


# Forms the policy flags; each must be flagged by guardrails too.
POLICY_CORPUS = {
    "plain_import": "import onnx\n",
    "submodule_import": "import onnx.helper\n",
    "aliased_submodule": "import onnx.helper as oh\n",
    "second_of_two": "import os, onnx.numpy_helper\n",
    "from_import": "from onnx import helper\n",
    "from_submodule": "from onnx.numpy_helper import to_array\n",
    "parenthesised": "from onnx import (\n    helper,\n    TensorProto,\n)\n",
    "in_function": (
        "def f():\n    import onnx\n    return onnx.helper.make_node('Relu', [], [])\n"
    ),
    "in_try": "try:\n    import onnx\nexcept ImportError:\n    onnx = None\n",
    "type_checking": (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import onnx\n"
    ),
    "chain_without_import": (
        "def f(model):\n    return onnx.shape_inference.infer_shapes(model)\n"
    ),
    "model_proto": "import onnx\nmodel = onnx.ModelProto()\n",
    "in_comprehension": (
        "import onnx\n"
        "infos = [onnx.helper.make_tensor_value_info(n, 1, None) for n in names]\n"
    ),
    "in_method": "class P:\n    def lower(self):\n        return onnx.helper\n",
    "split_chain": "value = (\n    onnx\n    .helper\n    .make_node\n)\n",
    "in_lambda": (
        "import onnx\ncheck = lambda m: onnx.shape_inference.infer_shapes(m)\n"
    ),
    "async_function": "async def f():\n    from onnx import shape_inference\n",
    "alias": "import onnx as ox\nnode = ox.helper.make_node('Relu', [], [])\n",
}
# Dynamic imports the policy cannot see: (source, line GR103 must flag).
DYNAMIC_CORPUS = {
    "import_module": (
        "import importlib\nonnx_module = importlib.import_module('onnx')\n",
        2,
    ),
    "imported_import_module": (
        "from importlib import import_module\nhelper = import_module('onnx.helper')\n",
        2,
    ),
    "dunder_import": ("checker = __import__('onnx').checker\n", 1),
    "chained_proto": (
        "import importlib\nmodel = importlib.import_module('onnx').ModelProto()\n",
        2,
    ),
    "post_check_lambda": (
        "post_check = lambda m: __import__('onnx').checker.check_model(m) or True\n",
        1,
    ),
    "helper_by_keyword": (
        "import importlib\nh = importlib.import_module(name='onnx.helper').make_node\n",
        2,
    ),
}


def guardrails_findings(root: Path) -> dict[str, list[tuple[int, str]]]:
    run = run_main("check", "--select", "GR1", "--format", "json", cwd=root)
    assert run.stderr == ""
    by_path: dict[str, list[tuple[int, str]]] = {}
    for finding in json.loads(run.stdout)["findings"]:
        by_path.setdefault(finding["path"], []).append(
            (finding["line"], finding["code"])
        )
    return by_path


@pytest.mark.parametrize("area", ["converter", "plugins/jax/lax"])
def test_everything_the_policy_flags_guardrails_flags(
    tmp_path: Path, area: str
) -> None:
    write_files(
        tmp_path,
        {f"jax2onnx/{area}/{name}.py": code for name, code in POLICY_CORPUS.items()},
    )
    found = guardrails_findings(tmp_path)
    for name, code in POLICY_CORPUS.items():
        flags = policy_flags(code)
        assert flags, f"{name}: the corpus entry must be something the policy flags"
        path = f"jax2onnx/{area}/{name}.py"
        for flag in flags:
            wanted = "GR101" if flag.kind == "import" else "GR104"
            assert any(
                code == wanted and flag.line <= line <= flag.end_line
                for line, code in found.get(path, [])
            ), f"{name}: policy flags line {flag.line}, guardrails does not"


def test_guardrails_flags_the_dynamic_imports_the_policy_misses(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            f"jax2onnx/plugins/{name}.py": code
            for name, (code, _) in DYNAMIC_CORPUS.items()
        },
    )
    found = guardrails_findings(tmp_path)
    for name, (code, line) in DYNAMIC_CORPUS.items():
        assert policy_flags(code) == [], name
        assert found[f"jax2onnx/plugins/{name}.py"] == [(line, "GR103")], name


def test_on_the_released_tree_the_policy_is_silent_and_misses_a_real_import(
    tmp_path: Path,
) -> None:
    for area in ("converter", "plugins"):
        for path in sorted((JAX2ONNX / area).rglob("*.py")):
            flags = policy_flags(path.read_text(encoding="utf-8"))
            assert flags == [], f"{path}: {flags}"
    # ... while a plugin imports onnx dynamically in a testcase's post-check.
    scatter_add = JAX2ONNX / "plugins/jax/lax/scatter_add.py"
    copy = tmp_path / "jax2onnx/plugins/jax/lax/scatter_add.py"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(scatter_add.read_bytes())
    assert guardrails_findings(tmp_path) == {
        "jax2onnx/plugins/jax/lax/scatter_add.py": [(280, "GR103")]
    }


def test_the_policy_reimplementation_sees_what_it_should() -> None:
    """The reference must itself be right, or the parity proves nothing."""
    assert (
        policy_flags("import onnx_ir\nimport onnxruntime\nfrom . import onnx\n") == []
    )
    assert policy_flags("x = onnx.TensorProto.FLOAT\n") == []  # not in its chain list
    assert policy_flags("x = onnx.helper.make_node\n") == [
        PolicyFlag(1, 1, "attribute")
    ]
    assert policy_flags("from onnx import (\n    helper,\n)\n") == [
        PolicyFlag(1, 3, "import")
    ]
