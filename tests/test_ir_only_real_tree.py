"""GR1 on the real jax2onnx 0.17.1 release: the installed tree as it is, and copies
of its files with every form of violation added at known lines."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from guardrails.targets import package_source
from tests.check_support import run_main

JAX2ONNX = package_source("jax2onnx")
HEAVY_PACKAGES = {
    "jax",
    "jaxlib",
    "jax2onnx",
    "onnx",
    "onnx_ir",
    "onnxruntime",
    "onnxscript",
    "equinox",
    "flax",
}
# One process runs the shipped command line on the installed release and then
# reports which packages it had imported.
_CHECK_INSTALLED_RELEASE = f"""
import json, sys
from guardrails.cli import main
exit_code = main(["check", "--package", "jax2onnx", "--select", "GR1",
                  "--format", "json", "--output", sys.argv[1], "--no-cache"])
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {sorted(HEAVY_PACKAGES)!r})
print(json.dumps({{"exit_code": exit_code, "heavy_modules": heavy}}))
"""


@pytest.fixture(scope="module")
def installed_release_check(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("installed-release")
    report = folder / "report.json"
    completed = subprocess.run(
        [sys.executable, "-c", _CHECK_INSTALLED_RELEASE, str(report)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    outcome: dict[str, Any] = json.loads(completed.stdout)
    outcome["report"] = json.loads(report.read_text(encoding="utf-8"))
    return outcome


def test_installed_release_has_exactly_one_gr1_finding(
    installed_release_check: dict[str, Any],
) -> None:
    """The one finding is a true positive jax2onnx's own policy test misses: a
    testcase's post-check lambda in a plugin imports onnx by `__import__`."""
    report = installed_release_check["report"]
    python_files = [
        path for path in JAX2ONNX.rglob("*.py") if "__pycache__" not in path.parts
    ]
    assert report["files_checked"] == len(python_files) == 559
    scatter_add = JAX2ONNX / "plugins/jax/lax/scatter_add.py"
    assert report["findings"] == [
        {
            "path": scatter_add.as_posix(),
            "line": 280,
            "column": 17,
            "end_line": 280,
            "end_column": 35,
            "code": "GR103",
            "rule": "dynamic-onnx-import",
            "message": "dynamic import of ONNX protobuf module `onnx`",
        }
    ]
    line = scatter_add.read_text(encoding="utf-8").splitlines()[279]
    assert line.strip() == '__import__("onnx").checker.check_model(m) or True'
    assert installed_release_check["exit_code"] == 1


def test_checking_imports_no_heavy_package(
    installed_release_check: dict[str, Any],
) -> None:
    assert installed_release_check["heavy_modules"] == []


@dataclass(frozen=True)
class Insertion:
    """Code to add right after the one line of a real file that matches `anchor`,
    indented like the line that follows it. `# expect: CODE` marks a line where
    exactly that finding must be reported."""

    anchor: str
    code: str


def insert(source: str, insertion: Insertion) -> str:
    lines = source.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if re.search(insertion.anchor, line)]
    assert len(hits) == 1, f"anchor {insertion.anchor!r} matched {len(hits)} lines"
    after = hits[0]
    following = next(line for line in lines[after + 1 :] if line.strip())
    indent = following[: len(following) - len(following.lstrip())]
    block = textwrap.indent(textwrap.dedent(insertion.code), indent)
    return "".join(lines[: after + 1]) + block + "".join(lines[after + 1 :])


# Every form of the issue, in two real files, at module level, inside functions,
# methods and nested functions, in `try` and `if TYPE_CHECKING:` blocks; plus
# lookalikes that must stay silent.
IR_BUILDER_INSERTIONS = (
    Insertion(
        r"^from onnx_ir\.tape import Tape$",
        """\
        import onnx  # expect: GR101
        import onnx.helper as oh  # expect: GR101
        from onnx import numpy_helper, TensorProto  # expect: GR101
        from onnx.numpy_helper import to_array  # expect: GR101
        from onnx_ir import tape, _tape  # expect: GR102
        import onnx_ir._core as core  # expect: GR102
        from onnx_ir._tape import Builder  # expect: GR102
        from onnx_ir import (
            serde,
            _convenience,  # expect: GR102
        )
        import onnxruntime
        import onnxscript
        import onnx_ir.passes.common
        from onnx_ir.tape import Tape as PublicTape
        from another_package import _tape as other_tape
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from onnx import ModelProto  # expect: GR101
        try:
            import onnx.shape_inference  # expect: GR101
        except ImportError:
            pass
        NOTE = "import onnx; onnx.helper.make_node"  # import onnx
        """,
    ),
    Insertion(
        r"^    source_version = _source_tree_producer_version\(\)$",
        """\
        import onnx as ox  # expect: GR101
        float_type = ox.TensorProto.FLOAT  # expect: GR104
        inferred = onnx.shape_inference.infer_shapes(None)  # expect: GR104
        relu = oh.make_node("Relu", ["x"], ["y"])  # expect: GR104
        empty = TensorProto()  # an imported name, not an attribute chain
        """,
    ),
    Insertion(
        r"^    def __getattr__\(self, op_type: str\) -> Any:$",
        """\
        proto = importlib.import_module("onnx")  # expect: GR103
        runtime = importlib.import_module("onnxruntime")
        dynamic = importlib.import_module(op_type)
        """,
    ),
)
ADD_PLUGIN_INSERTIONS = (
    Insertion(
        r"^from jax2onnx\.plugins\.plugin_system import ",
        """\
        from importlib import import_module as load
        """,
    ),
    Insertion(
        r'^    """Shared lowering routine for lax/jnp Add plugins\."""$',
        """\
        try:
            from onnx import helper  # expect: GR101
        except ImportError:
            helper = None
        checker = load("onnx.checker")  # expect: GR103
        numpy_helper_module = __import__("onnx.numpy_helper")  # expect: GR103
        def _to_array(tensor):
            import onnx.numpy_helper as nh  # expect: GR101
            return nh.to_array(tensor)  # expect: GR104
        model_type = onnx.ModelProto  # expect: GR104
        """,
    ),
    Insertion(
        r"^        aval_dtype = getattr\(getattr\(var, \"aval\", None\), ",
        """\
        from onnx.helper import make_tensor  # expect: GR101
        """,
    ),
)
MUTATED = {
    "jax2onnx/converter/ir_builder.py": (
        "converter/ir_builder.py",
        IR_BUILDER_INSERTIONS,
    ),
    "jax2onnx/plugins/jax/lax/add.py": (
        "plugins/jax/lax/add.py",
        ADD_PLUGIN_INSERTIONS,
    ),
}
_EXPECT = re.compile(r"# expect: (GR\d+)$")


def write_mutated(
    root: Path, relocate: dict[str, str] | None = None
) -> set[tuple[str, int, str]]:
    """Write the mutated copies under `root`; return where each finding must be."""
    expected = set()
    for target, (original, insertions) in MUTATED.items():
        source = (JAX2ONNX / original).read_text(encoding="utf-8")
        for insertion in insertions:
            source = insert(source, insertion)
        shown = (relocate or {}).get(target, target)
        path = root / shown
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
        for number, line in enumerate(source.splitlines(), start=1):
            match = _EXPECT.search(line)
            if match:
                expected.add((shown, number, match.group(1)))
    return expected


def found(root: Path) -> set[tuple[str, int, str]]:
    run = run_main("check", "--select", "GR1", "--format", "json", cwd=root)
    assert run.stderr == ""
    return {
        (f["path"], f["line"], f["code"]) for f in json.loads(run.stdout)["findings"]
    }


def test_the_unmodified_copies_are_clean(tmp_path: Path) -> None:
    for target, (original, _) in MUTATED.items():
        (tmp_path / target).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / target).write_bytes((JAX2ONNX / original).read_bytes())
    assert found(tmp_path) == set()


def test_every_added_violation_is_found_at_its_line_and_nothing_else(
    tmp_path: Path,
) -> None:
    expected = write_mutated(tmp_path)
    assert {code for _, _, code in expected} == {"GR101", "GR102", "GR103", "GR104"}
    assert len(expected) == 22
    assert found(tmp_path) == expected


def test_the_same_violations_outside_converter_and_plugins_are_not_reported(
    tmp_path: Path,
) -> None:
    write_mutated(
        tmp_path,
        relocate={
            "jax2onnx/converter/ir_builder.py": "jax2onnx/serde/ir_builder.py",
            "jax2onnx/plugins/jax/lax/add.py": "jax2onnx/utils/jax/lax/add.py",
        },
    )
    assert found(tmp_path) == set()
