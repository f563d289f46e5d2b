"""The gate's verdict cache on real exports: a scratch copy of the installed jax2onnx
package, first on PYTHONPATH, gated in a scratch project in subprocesses, with real
edits to its plugin files; then the cache's own decisions on small real files."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from guardrails.gate.executed import ExecutedFiles
from guardrails.gate.results import TestcaseResult as Result
from guardrails.gate.verdict_cache import VerdictCache, shape_of

REPO = Path(__file__).resolve().parents[1]
ATTENTION = "examples.eqx_dino::AttentionCore::attention_core"
BLOCK = "examples.eqx_dino::Block::transformer_block"
# jax2onnx's GELU lowering writes the ONNX attribute from the equation's parameter.
GELU_ATTRIBUTE = '"tanh" if approximate else "none"'
MISH_LOWER = (
    "    def lower(self, ctx: LoweringContextProtocol, eqn: JaxprEqn) -> None:\n"
)


def _installed_jax2onnx() -> Path:
    spec = importlib.util.find_spec("jax2onnx")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("gate-cache")
    package = root / "site" / "jax2onnx"
    shutil.copytree(
        _installed_jax2onnx(), package, ignore=shutil.ignore_patterns("__pycache__")
    )
    # A frozen guardrails too: its source is part of every verdict's key.
    shutil.copytree(
        REPO / "guardrails",
        root / "site" / "guardrails",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    project = root / "project"
    for testcase in (ATTENTION, BLOCK):
        relative = Path(*testcase.split("::")[:2], testcase.split("::")[2] + ".spec")
        target = project / "specs" / relative
        target.parent.mkdir(parents=True)
        shutil.copy(REPO / "guardrails-specs" / relative, target)
    (project / "pyproject.toml").write_text(
        "[tool.guardrails.gate]\n"
        'examples = ["examples.eqx_dino::AttentionCore", "examples.eqx_dino::Block"]\n'
        'specs = "specs"\n',
        encoding="utf-8",
    )
    return {"package": package, "project": project, "site": root / "site"}


def _gate(scratch: dict[str, Path], *args: str) -> tuple[int, dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(scratch["site"])}
    config = str(scratch["project"] / "pyproject.toml")
    command = [sys.executable, "-m", "guardrails", "gate", "--config", config]
    done = subprocess.run(
        [*command, "--format", "json", *args],
        env=env,
        cwd=scratch["project"],  # `-m` puts the working folder first on the path
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    report = json.loads(done.stdout)
    return done.returncode, {case["id"]: case for case in report["testcases"]}


def _manifest(project: Path) -> dict[str, Any]:
    (path,) = (project / ".guardrails_cache" / "gate").glob("*.json")
    body: dict[str, Any] = json.loads(json.loads(path.read_text("utf-8"))["body"])
    return body


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.slow
def test_verdicts_follow_the_plugin_code_each_export_runs(
    scratch: dict[str, Path],
) -> None:
    package, project = scratch["package"], scratch["project"]
    code, cases = _gate(scratch)
    assert code == 0
    assert {i: (c["status"], c["cached"]) for i, c in cases.items()} == {
        ATTENTION: ("match", False),
        BLOCK: ("match", False),
    }
    # What each export ran, as recorded: the Block's MLP lowers GELU, attention
    # does not; every export runs every plugin's binding_specs, no export lowers Mish.
    usage = {i: e["usage"] for i, e in _manifest(project)["testcases"].items()}
    gelu = str(package / "plugins/jax/nn/gelu.py")
    mish = str(package / "plugins/jax/nn/mish.py")
    assert "lower_gelu" in usage[BLOCK][gelu]["functions"]
    assert "lower_gelu" not in usage[ATTENTION].get(gelu, {}).get("functions", {})
    assert "MishPlugin.binding_specs" in usage[ATTENTION][mish]["functions"]
    assert "MishPlugin.lower" not in usage[BLOCK][mish]["functions"]

    # Nothing changed: both verdicts reused.
    code, cases = _gate(scratch)
    assert code == 0
    assert all(case["cached"] for case in cases.values())

    # A real edit inside a plugin function no gated export runs: nothing re-runs.
    _edit(
        package / "plugins/jax/nn/mish.py",
        MISH_LOWER,
        MISH_LOWER + '        raise RuntimeError("edited")\n',
    )
    code, cases = _gate(scratch)
    assert code == 0
    assert all(case["cached"] for case in cases.values())

    # The GELU lowering forced to tanh: the Block re-runs and drifts; attention,
    # which never lowers a GELU, keeps its verdict.
    _edit(package / "plugins/jax/nn/gelu.py", GELU_ATTRIBUTE, '"tanh"')
    code, cases = _gate(scratch)
    assert code == 1
    assert cases[ATTENTION]["cached"] and cases[ATTENTION]["status"] == "match"
    block = cases[BLOCK]
    assert not block["cached"] and block["status"] != "match"
    assert "Gelu[approximate=tanh]" in block["diff"]

    # --no-cache re-exports everything.
    code, cases = _gate(scratch, "--no-cache")
    assert not any(case["cached"] for case in cases.values())
    assert cases[BLOCK]["status"] != "match"


# The cache's decisions on small real files (no export).


def _module(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plugin.py"
    path.write_text(text, encoding="utf-8")
    return path


PLUGIN = """
REGISTRY = {}


def register(name):
    def wrap(cls):
        REGISTRY[name] = cls
        return cls
    return wrap


@register("used")
class Plugin:
    def lower(self):
        return "lowered"

    def spare(self):
        return "spare"
"""


def _cache(tmp_path: Path, package: Path, key: bytes = b"k" * 32) -> VerdictCache:
    return VerdictCache(
        tmp_path / "cache.json", "run", key, package, tmp_path / "specs"
    )


def _stored(tmp_path: Path, package: Path, path: Path) -> None:
    cache = _cache(tmp_path, package)
    with ExecutedFiles([package]) as importing:
        spec = importlib.util.spec_from_file_location("scratch_plugin", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    with ExecutedFiles([package]) as running:
        module.REGISTRY["used"]().lower()
    assert running.called == {str(path): {"Plugin.lower"}}
    assert str(path) in importing.called  # `register` and `wrap` ran at import
    result = Result(id="c::C::t", status="match")
    usage = {"c::C::t": running.called}
    cache.store(["c::C::t"], importing.called, [], usage, [result])


@pytest.mark.parametrize(
    ("old", "new", "reused"),
    [
        ("# nothing", "# nothing", True),
        ('return "spare"', 'return "edited"', True),  # a function nothing ran
        ('return "lowered"', 'return "edited"', False),  # the function the run ran
        ('@register("used")', '@register("other")', False),  # import-time shape
        ("REGISTRY = {}", "REGISTRY = {}\nEXTRA = 1", False),  # module code
        ("REGISTRY[name] = cls", "REGISTRY[name] = None", False),  # ran at import
    ],
)
def test_cache_reuses_only_while_the_code_that_ran_is_unchanged(
    tmp_path: Path, old: str, new: str, reused: bool
) -> None:
    package = tmp_path / "package"
    path = _module(package, PLUGIN + "# nothing\n")
    _stored(tmp_path, package, path)
    assert _cache(tmp_path, package).lookup(["c::C::t"])
    _edit(path, old, new)
    assert bool(_cache(tmp_path, package).lookup(["c::C::t"])) is reused


def test_cache_entries_are_tied_to_the_machine_key(tmp_path: Path) -> None:
    package = tmp_path / "package"
    _stored(tmp_path, package, _module(package, PLUGIN))
    assert _cache(tmp_path, package).replay(None) is not None
    assert _cache(tmp_path, package, key=b"o" * 32).replay(None) is None
    # An entry edited in place (a failing verdict turned into a pass) is refused.
    manifest = tmp_path / "cache.json"
    document = json.loads(manifest.read_text("utf-8"))
    document["body"] = document["body"].replace('"match"', '"drift"')
    manifest.write_text(json.dumps(document), encoding="utf-8")
    assert _cache(tmp_path, package).replay(None) is None


def test_a_new_file_in_the_package_reruns_everything(tmp_path: Path) -> None:
    package = tmp_path / "package"
    _stored(tmp_path, package, _module(package, PLUGIN))
    (package / "new_plugin.py").write_text("X = 1\n", encoding="utf-8")
    assert _cache(tmp_path, package).replay(None) is None


def test_shape_names_functions_as_cpython_qualifies_them(tmp_path: Path) -> None:
    path = _module(tmp_path, PLUGIN + "f = lambda: 0\n")
    shape = shape_of(path)
    assert {"register", "register.<locals>.wrap", "Plugin.lower", "<lambda>"} <= set(
        shape.functions
    )
    # A comment or a blank line changes neither the skeleton nor a function.
    _edit(path, "def lower(self):", "def lower(self):  # a comment\n")
    edited = shape_of(path)
    assert (edited.skeleton, edited.functions) == (shape.skeleton, shape.functions)


def test_a_reused_result_is_the_stored_one(tmp_path: Path) -> None:
    package = tmp_path / "package"
    _stored(tmp_path, package, _module(package, PLUGIN))
    (replayed,) = _cache(tmp_path, package).replay(None) or []
    assert replayed == Result(id="c::C::t", status="match", cached=True)
    assert type(replayed.f64).__name__ == "F64Probe"  # nested results rebuilt
