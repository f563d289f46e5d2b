"""GR201-GR203 on released code: the installed jax2onnx 0.17.1 and Equimo 1.1.0.

Every finding pinned here was read and judged a true positive (the verdicts are in
the issue note); a change in these sets is either a fix or a regression to look at.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from guardrails.types import CheckResult
from tests.conftest import check_tree


def _installed(package: str) -> Path:
    # find_spec locates the package without importing it.
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, (
        f"{package} is part of the `gate` extra the tests install"
    )
    return Path(next(iter(spec.submodule_search_locations)))


def _by_file(result: CheckResult, code: str) -> Counter[str]:
    # `check_tree` shows paths relative to the folder it checked.
    return Counter(
        Path(finding.path).as_posix()
        for finding in result.findings
        if finding.code == code
    )


@pytest.fixture(scope="module")
def jax2onnx_root() -> Path:
    return _installed("jax2onnx")


@pytest.fixture(scope="module")
def import_time_seeding(jax2onnx_root: Path) -> Counter[str]:
    return _by_file(check_tree(jax2onnx_root, ["GR201"]), "GR201")


def test_gr201_finds_exactly_these_files_in_jax2onnx(
    import_time_seeding: Counter[str],
) -> None:
    assert dict(import_time_seeding) == {
        # Equinox example modules built at import with `key=jax.random.PRNGKey(n)`.
        "plugins/equinox/eqx/nn/conv.py": 1,
        "plugins/equinox/eqx/nn/linear.py": 3,
        "plugins/equinox/eqx/nn/recurrent.py": 2,
        "plugins/equinox/eqx/nn/spectral_norm.py": 2,
        "plugins/equinox/eqx/nn/weight_norm.py": 2,
        # A seeded NumPy generator evaluated in `register_primitive` metadata.
        "plugins/flax/nnx/dot_product_attention.py": 1,
        # Keys as `input_values` in `register_primitive` metadata.
        "plugins/jax/nn/initializers/truncated_normal.py": 3,
        # Scripts that build and export at import, without a `__main__` guard.
        "sandbox/example_1.py": 1,
        "sandbox/example_2.py": 1,
        "sandbox/issue_145/issue_145.py": 1,
        "sandbox/issue_173/export_onnx.py": 1,
        "sandbox/issue_206.py": 1,
    }


def test_gr201_leaves_keys_inside_lambdas_alone(
    import_time_seeding: Counter[str], jax2onnx_root: Path
) -> None:
    normal = jax2onnx_root / "plugins/jax/random/normal.py"
    assert "jax.random.PRNGKey(0)" in normal.read_text(encoding="utf-8")
    assert "plugins/jax/random/normal.py" not in import_time_seeding
    assert "plugins/jax/random/random_bits.py" not in import_time_seeding


def test_gr201_points_at_the_module_level_keys(jax2onnx_root: Path) -> None:
    result = check_tree(jax2onnx_root / "plugins/equinox/eqx/nn", ["GR201"])
    lines = {(Path(f.path).name, f.line) for f in result.findings if f.code == "GR201"}
    assert {("conv.py", 130), ("linear.py", 33), ("linear.py", 34)} <= lines
    assert ("linear.py", 36) in lines


def test_gr202_flags_the_equinox_modules_built_at_import(jax2onnx_root: Path) -> None:
    layers = jax2onnx_root / "plugins/equinox/eqx/nn"
    result = check_tree(layers, ["GR202"])
    found = _by_file(result, "GR202")
    # Every construction that holds parameters or a key; none of those that
    # hold nothing (pooling, Dropout, Identity, Lambda, their Sequential,
    # LayerNorm / RMSNorm / GroupNorm without affine parameters).
    assert found["layer_norm.py"] == 7
    assert found["rms_norm.py"] == 5
    assert found["group_norm.py"] == 2
    assert found["linear.py"] == 5
    assert found["conv.py"] == 2
    assert sum(found.values()) == 31
    stateless = {"identity.py", "lambda.py", "dropout.py", "sequential.py"}
    stateless |= {"pool.py", "avg_pool.py", "max_pool.py", "adaptive_pool.py"}
    assert stateless.isdisjoint(found)
    # construct_and_call testcases (multihead attention, rotary embedding) pass.
    assert "multihead_attention.py" not in found
    assert "rotary_positional_embedding.py" not in found
    messages = [f.message for f in result.findings if f.path.endswith("conv.py")]
    assert any("key=with_prng_key(0)" in message for message in messages)


def test_gr202_on_nnx_examples(jax2onnx_root: Path) -> None:
    examples = jax2onnx_root / "plugins/examples/nnx"
    found = _by_file(check_tree(examples, ["GR202"]), "GR202")
    # `nnx.Sequential(nnx.relu, nnx.relu)` holds two functions: nothing to vary.
    assert dict(found) == {}


@pytest.mark.parametrize("folder", ["plugins/equinox", "plugins/examples/eqx"])
def test_gr203_finds_no_reuse_in_jax2onnx_models(
    jax2onnx_root: Path, folder: str
) -> None:
    result = check_tree(jax2onnx_root / folder, ["GR203"])
    assert [f for f in result.findings if f.code == "GR203"] == []


def test_gr203_findings_in_equimo() -> None:
    root = _installed("equimo")
    result = check_tree(root, ["GR203"])
    found = {
        (Path(f.path).as_posix(), f.line) for f in result.findings if f.code == "GR203"
    }
    assert found == {
        # The same key handed to every block of a loop.
        ("experimental/text.py", 186),
        ("layers/attention.py", 2224),
        # The parent key used after it was split.
        ("layers/attention.py", 1961),
        ("layers/convolution.py", 298),
        ("layers/convolution.py", 1558),
        ("layers/convolution.py", 1568),
        ("layers/convolution.py", 1863),
        ("layers/convolution.py", 2461),
        ("models/fastervit.py", 244),
        ("models/partialformer.py", 150),
        # One key given to two submodules.
        ("layers/convolution.py", 1909),
        ("layers/generic.py", 145),
        ("layers/posemb.py", 1149),
        ("models/reduceformer.py", 225),
        ("models/reduceformer.py", 255),
    }


def test_gr201_in_equimo_is_default_keys() -> None:
    root = _installed("equimo")
    result = check_tree(root / "models", ["GR201"])
    found = [f for f in result.findings if f.code == "GR201"]
    # `key: PRNGKeyArray = jr.PRNGKey(42)` defaults of `features` / `__call__`.
    assert len(found) == 22
    for finding in found:
        line = (root / "models" / finding.path).read_text("utf-8").splitlines()
        assert line[finding.line - 1].strip() == "key: PRNGKeyArray = jr.PRNGKey(42),"
    assert check_tree(root / "layers", ["GR201"]).findings == []
