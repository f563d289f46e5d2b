"""GR203 on keys kept across calls, labelled by JAX's runtime checker.

`benchmarks/gr203_objects/` holds realistic code for each family of issue 24,
one file or more per family, each with reuse and clean variants; its labels
come from JAX's key reuse checker (typed keys, every branch run), and for keys
equal by value, which that checker cannot see, from a numeric witness (the two
draws are bit-identical). `benchmarks/gr203_objects_fresh/` was written after the
analysis, as a held-out check. The oracle tests re-run those labels here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks import gr203_oracles
from benchmarks.gr203_labels import Case, gr203_lines, problems, read_corpus

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
OBJECTS = BENCHMARKS / "gr203_objects"
FRESH = BENCHMARKS / "gr203_objects_fresh"

# Issue 24's families, and the corpus files that hold each.
FAMILIES = {
    "keys on objects": [
        "eqx_noisy_linear",
        "data_loader",
        "vae_methods",
        "rl_actor",
        "nnx_variable_key",
        "keys_consumed_once",
    ],
    "keys in state records": [
        "train_state_namedtuple",
        "gan_dataclass_state",
        "helper_returns_key",
    ],
    "generators and streams": ["key_generators", "nnx_rngs_streams", "linen_make_rng"],
    "module-level keys": ["module_level_key"],
    "control flow closures": ["control_flow_closures"],
    "value-equal keys": ["value_equal_keys"],
}


@pytest.fixture(scope="module")
def cases() -> dict[str, Case]:
    return {case.name: case for case in read_corpus(OBJECTS)}


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[int]]:
    copy = tmp_path_factory.mktemp("objects") / "gr203_objects"
    shutil.copytree(OBJECTS, copy)
    return gr203_lines(copy)


def test_every_family_has_reuse_and_clean_cases(cases: dict[str, Case]) -> None:
    assert sorted(cases) == sorted(
        name for names in FAMILIES.values() for name in names
    )
    for family, names in FAMILIES.items():
        labels = {label for name in names for label in cases[name].labels.values()}
        assert {"reuse", "clean"} <= labels, family
        for name in names:
            assert problems(cases[name]) == [], name


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_gr203_reports_exactly_the_labelled_reuse(
    family: str, cases: dict[str, Case], found: dict[str, set[int]]
) -> None:
    for name in FAMILIES[family]:
        marked = {
            line for line, label in cases[name].markers.items() if label == "reuse"
        }
        assert found[name] == marked, name


def test_fresh_cases_have_no_false_alarm(tmp_path: Path) -> None:
    """The held-out cases: every finding is on a labelled reuse."""
    copy = tmp_path / "gr203_fresh"
    shutil.copytree(FRESH, copy)
    found = gr203_lines(copy)
    for case in read_corpus(FRESH):
        assert problems(case) == [], case.name
        assert found[case.name] <= set(case.markers), case.name


@pytest.mark.parametrize(
    "path",
    sorted([*OBJECTS.glob("*.py"), *FRESH.glob("*.py")]),
    ids=lambda path: f"{path.parent.name}/{path.stem}",
)
def test_labels_agree_with_the_runtime_checker_or_the_witness(path: Path) -> None:
    case = next(case for case in read_corpus(path.parent) if case.path == path)
    assert case.oracles, case.name
    for kind, call, expected in case.oracles:
        if kind == "witness":
            equal = gr203_oracles.run_witness_call(path, call)
            assert equal == expected, f"{case.name}: {call}"
        else:
            assert kind == "excerpt"
            assert gr203_oracles.run_excerpt_call(path, call) == expected, call
