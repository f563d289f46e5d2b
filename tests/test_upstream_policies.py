"""GR407-GR418 on real jax2onnx code: the known sites, and parity with
jax2onnx's own policy tests where there is one.

The excerpts in tests/fixtures/upstream_policies/<commit>/ are quoted from
jax2onnx's repository (origins in its README): the main branch (3901899d),
the commit before JAX 0.11 support (d4a2d341) and the commit before the IR-only
converter (4df18bd9). They are checked at their repository paths, as a
jax2onnx checkout would be, with `extend-select = ["GR4"]`.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from guardrails.config import Config
from guardrails.engine.paths import collect_files
from guardrails.engine.runner import check_files
from guardrails.rules import selected_rules
from guardrails.targets import package_source
from tests.check_support import run_main
from tests.conftest import run_python

FIXTURES = Path(__file__).parent / "fixtures" / "upstream_policies"
NEW_CODES = {f"GR{number}" for number in range(407, 419)}
PYPROJECT = '[tool.guardrails]\nextend-select = ["GR4"]\n'

# (path, code, text on the reported line): every finding of GR407-GR418.
MAIN_BRANCH_SITES = {
    (
        "jax2onnx/plugins/examples/maxtext/maxtext_models.py",
        "GR407",
        "register_example(",
    ),
    (
        "jax2onnx/plugins/examples/maxdiffusion/maxdiffusion_models.py",
        "GR407",
        "register_example(",
    ),
    (
        "jax2onnx/plugins/jax/numpy/sum.py",
        "GR408",
        "ad.primitive_transposes[JnpSumPlugin._PRIM] = _sum_transpose_rule",
    ),
    (
        "jax2onnx/plugins/jax/numpy/stack.py",
        "GR408",
        "ad.primitive_transposes[JnpStackPlugin._PRIM] = _stack_transpose_rule",
    ),
    (
        "jax2onnx/plugins/flax/nnx/einsum.py",
        "GR409",
        "def _patched(self: nnx.Einsum, x: Any) -> Any:",
    ),
    (
        "jax2onnx/plugins/jax/core/jit.py",
        "GR410",
        "from jax._src import core as jcore",
    ),
    (
        "jax2onnx/plugins/jax/image/resize.py",
        "GR410",
        "from jax._src.image.scale import _resize as jax_resize_impl",
    ),
    (
        "jax2onnx/plugins/examples/maxtext/maxtext_models.py",
        "GR410",
        "import jax._src.random as _random",
    ),
    (
        "tests/extra_tests/helpers/issue52_scatter_payload_fixture.py",
        "GR410",
        "from jax._src.flattree import FTTuple, nones",
    ),
    (
        "tests/extra_tests/helpers/issue52_scatter_payload_fixture.py",
        "GR411",
        'if "num_consts" not in params:',
    ),
    (
        "tests/extra_tests/helpers/issue52_scatter_payload_fixture.py",
        "GR411",
        'num_consts = int(params["num_consts"])',
    ),
    (
        "tests/extra_tests/helpers/issue52_scatter_payload_fixture.py",
        "GR411",
        'num_carry = int(params["num_carry"])',
    ),
    ("jax2onnx/plugins/jax/lax/_index_utils.py", "GR416", "node = ir.Node("),
    (
        "jax2onnx/plugins/jax/lax/_index_utils.py",
        "GR418",
        'getattr(builder, "initializers", None)',
    ),
    (
        "jax2onnx/plugins/jax/lax/div.py",
        "GR418",
        'inputs = list(getattr(node, "inputs", ()))',
    ),
}


def _checkout(tmp_path: Path, commit: str) -> Path:
    root = tmp_path / commit
    shutil.copytree(FIXTURES / commit, root)
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    return root


def _sites(root: Path) -> set[tuple[str, str, str]]:
    """`guardrails check .` in `root`: GR407-GR418's findings, each with the
    text of its line, which must be there."""
    run = run_main("check", ".", "--format", "json", "--no-cache", cwd=root)
    assert run.exit_code in (0, 1), run.stderr
    sites = set()
    for finding in json.loads(run.stdout)["findings"]:
        if finding["code"] not in NEW_CODES:
            continue
        lines = (root / finding["path"]).read_text(encoding="utf-8").splitlines()
        sites.add((finding["path"], finding["code"], lines[finding["line"] - 1]))
    return sites


def _matches(
    sites: set[tuple[str, str, str]], expected: set[tuple[str, str, str]]
) -> None:
    """Each expected site is found once, by path, code and text, and nothing else."""
    unmatched = set(sites)
    for path, code, text in expected:
        found = {s for s in unmatched if s[:2] == (path, code) and text in s[2]}
        assert len(found) == 1, (path, code, text, sorted(sites))
        unmatched -= found
    assert unmatched == set()


def test_the_main_branch_reports_each_known_site(tmp_path: Path) -> None:
    _matches(_sites(_checkout(tmp_path, "3901899d")), MAIN_BRANCH_SITES)


def test_the_code_before_jax_0_11_support_reports_its_unwraps_and_scan_reads(
    tmp_path: Path,
) -> None:
    # jax2onnx fixed these in 7b7b7281 ("Guard the recursive jaxpr walks in the
    # scan plugin", "derive the scan arity from ft_in").
    scan = "jax2onnx/plugins/jax/lax/scan.py"
    _matches(
        _sites(_checkout(tmp_path, "d4a2d341")),
        {
            (scan, "GR412", "return _jaxpr_contains_scatter(jpr_like.jaxpr)"),
            (scan, "GR412", "return _static_scatter_extent(jpr_like.jaxpr)"),
            (scan, "GR411", 'num_carry = int(params.get("num_carry", 0))'),
            (scan, "GR411", 'num_consts = int(params.get("num_consts", 0) or 0)'),
        },
    )


def test_the_old_converter_toggled_dynamic_shapes_at_import(tmp_path: Path) -> None:
    _matches(
        _sites(_checkout(tmp_path, "4df18bd9")),
        {
            (
                "jax2onnx/converter/user_interface.py",
                "GR417",
                'config.update("jax_dynamic_shapes", True)',
            )
        },
    )


@pytest.mark.parametrize("commit", ["3901899d", "d4a2d341", "4df18bd9"])
def test_the_excerpts_find_the_same_with_and_without_prescans(
    tmp_path: Path, commit: str
) -> None:
    root = _checkout(tmp_path, commit)
    config = Config(root=root)
    files = collect_files([root], config.root, config.all_excludes)
    rules = selected_rules(sorted(NEW_CODES), ())
    scanned, exhaustive = (
        check_files(files, config, rules, root, use_prescan=use_prescan)
        for use_prescan in (True, False)
    )
    assert scanned.findings == exhaustive.findings
    # Each tree has sites, so the comparison is not vacuous.
    assert scanned.findings


def test_the_legacy_payload_helper_takes_a_suppression_with_a_reason(
    tmp_path: Path,
) -> None:
    root = _checkout(tmp_path, "3901899d")
    helper = root / "tests/extra_tests/helpers/issue52_scatter_payload_fixture.py"
    reason = "  # guardrails: ignore[GR411] translates a recorded pre-0.11 payload"
    lines = helper.read_text(encoding="utf-8").splitlines()
    reads = [n for n, line in enumerate(lines) if re.search(r"[\"']num_c", line)]
    reads = [n for n in reads if "pop(" not in lines[n]]
    assert len(reads) == 3
    for n in reads:
        lines[n] += reason
    helper.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sites = _sites(root)
    assert not any(code == "GR411" for _, code, _ in sites)
    run = run_main("check", ".", "--select", "GR004,GR411", "--no-cache", cwd=root)
    assert run.exit_code == 0, run.stdout


# --- parity with jax2onnx's own policy tests -------------------------------------

# tests/extra_tests/framework/test_ad_registration_helpers_only.py, its logic.
_AD_JVP_WRITE = re.compile(r"\bad\.primitive_jvps\s*\[")


def _ad_registration_offenders(package: Path) -> set[str]:
    """The upstream test's verdict: plugin files but the helper whose text
    matches its pattern, relative to the package's parent."""
    plugins = package / "plugins"
    helper = plugins / "jax" / "_autodiff_utils.py"
    return {
        path.relative_to(package.parent).as_posix()
        for path in sorted(plugins.rglob("*.py"))
        if path != helper and _AD_JVP_WRITE.search(path.read_text(encoding="utf-8"))
    }


def _findings(root: Path, target: Path, code: str) -> set[tuple[str, int]]:
    config = Config(root=root)
    files = collect_files([target], config.root, config.all_excludes)
    result = check_files(files, config, selected_rules([code], ()), root)
    return {(f.path, f.line) for f in result.findings if f.code == code}


def test_ad_registry_writes_agree_with_upstreams_test_and_see_what_it_misses(
    tmp_path: Path,
) -> None:
    released = package_source("jax2onnx")
    # The release: the upstream test passes (nothing matches its pattern),
    # GR408 finds the transpose stores the pattern cannot see.
    assert _ad_registration_offenders(released) == set()
    found = _findings(released.parent, released, "GR408")
    assert {path for path, _ in found} == {
        "jax2onnx/plugins/jax/numpy/sum.py",
        "jax2onnx/plugins/jax/numpy/stack.py",
    }
    # A jvp store the upstream test does see: GR408 reports it too, and in
    # the helper module neither does.
    root = _checkout(tmp_path, "3901899d")
    plugin = root / "jax2onnx/plugins/jax/numpy/sum.py"
    plugin.write_text(
        plugin.read_text(encoding="utf-8")
        + "ad.primitive_jvps[JnpSumPlugin._PRIM] = _sum_transpose_rule\n",
        encoding="utf-8",
    )
    offenders = _ad_registration_offenders(root / "jax2onnx")
    assert offenders == {"jax2onnx/plugins/jax/numpy/sum.py"}
    flagged = {path for path, _ in _findings(root, root / "jax2onnx", "GR408")}
    assert offenders <= flagged
    assert flagged - offenders == {"jax2onnx/plugins/jax/numpy/stack.py"}


# tests/extra_tests/framework/test_since_equal_in_convert.py, its logic, run on
# the installed release's registries (importing jax2onnx: in a process of its own).
_SINCE_PROBE = """
import json, re
from jax2onnx.plugins.plugin_system import (
    EXAMPLE_REGISTRY, PLUGIN_REGISTRY, import_all_plugins,
)
import_all_plugins()

def verdict(items):
    missing, invalid = [], []
    for name, metadata in items:
        if not isinstance(metadata, dict):
            continue
        since = metadata.get("since")
        if not isinstance(since, str) or not since.strip():
            missing.append(name)
        elif re.fullmatch(r"\\d+\\.\\d+\\.\\d+", since.strip()) is None:
            invalid.append(name)
    return missing, invalid

print(json.dumps({
    "primitives": verdict(
        (name, getattr(plugin, "metadata", None))
        for name, plugin in PLUGIN_REGISTRY.items()
    ),
    "examples": verdict(EXAMPLE_REGISTRY.items()),
    "example_contexts": sorted(
        {str(m.get("context")) for m in EXAMPLE_REGISTRY.values()}
    ),
    "primitive_count": len(PLUGIN_REGISTRY),
}))
"""


def test_since_metadata_agrees_with_upstreams_test_and_sees_unregistered_examples(
    tmp_path: Path,
) -> None:
    probe = run_python(_SINCE_PROBE, tmp_path, check=True)
    runtime = json.loads(probe.stdout.strip().splitlines()[-1])
    released = package_source("jax2onnx")
    found = _findings(released.parent, released, "GR407")
    # Every registered primitive and example has its `since`: the upstream
    # test passes, and GR407 reports none of them.
    assert runtime["primitives"] == [[], []]
    assert runtime["examples"] == [[], []]
    assert runtime["primitive_count"] > 500
    # GR407's findings are the two placeholder examples registered only when
    # MaxText / MaxDiffusion fail to import under JAX2ONNX_*_SRC, which the
    # runtime registry here never holds.
    assert {path for path, _ in found} == {
        "jax2onnx/plugins/examples/maxtext/maxtext_models.py",
        "jax2onnx/plugins/examples/maxdiffusion/maxdiffusion_models.py",
    }
    assert not {"examples.maxtext", "examples.maxdiffusion"} & set(
        runtime["example_contexts"]
    )
