"""GR203 against the labelled corpus of real code (`benchmarks/gr203_corpus/`).

Every line labelled as a reuse is reported (recall 1.0), and nothing else is
reported but the labelled policy breaches (`latent`) and the one deliberate reuse
whose escape is a suppression. `benchmarks/gr203_precision.py` prints the figures
and runs JAX's own checker on the cases that can run.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks.gr203_labels import (
    CORPUS,
    Case,
    gr203_lines,
    problems,
    read_case,
    read_corpus,
    score,
)


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return read_corpus()


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[int]]:
    copy = tmp_path_factory.mktemp("corpus") / "gr203_corpus"
    shutil.copytree(CORPUS, copy)
    return gr203_lines(copy)


def test_every_case_names_its_origin_and_justifies_its_labels(
    cases: list[Case],
) -> None:
    assert len(cases) >= 20
    for case in cases:
        assert problems(case) == [], case.name
    sources = {case.name.split("_", 1)[0] for case in cases}
    assert {"jax2onnx", "equimo", "equinox", "flax"} <= sources
    labels = {label for case in cases for label in case.labels.values()}
    assert {"reuse", "latent", "gated", "clean", "deliberate"} <= labels


def test_recall_on_labelled_reuse_is_one(
    cases: list[Case], found: dict[str, set[int]]
) -> None:
    result = score(cases, found)
    assert result.marked["reuse"] >= 15
    assert result.missed == []
    assert result.recall("reuse") == 1.0


def test_nothing_unlabelled_is_reported(
    cases: list[Case], found: dict[str, set[int]]
) -> None:
    result = score(cases, found)
    assert result.false_positives == []
    assert result.precision("reuse", "latent") >= 0.9


def test_keys_gated_by_inference_are_not_reported(
    cases: list[Case], found: dict[str, set[int]]
) -> None:
    gated = [case for case in cases if "gated" in case.labels.values()]
    assert {case.name for case in gated} >= {
        "jax2onnx_upstream_export_dinov3_pretrained",
        "jax2onnx_upstream_convert_dinov3_from_equimo",
    }
    for case in gated:
        assert found[case.name] <= case.markers.keys(), case.name


def test_a_suppression_with_a_reason_is_the_escape_for_deliberate_reuse(
    tmp_path: Path,
) -> None:
    name = "jax2onnx_upstream_test_equinox_interop_regressions.py"
    case = read_case(CORPUS / name)
    (line,) = [n for n, label in case.markers.items() if label == "deliberate"]
    lines = (CORPUS / name).read_text(encoding="utf-8").splitlines()
    lines[line - 1] = lines[line - 1].replace(
        "# gr203: deliberate",
        "# guardrails: ignore[GR203] the same key object must reach the call",
    )
    (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert gr203_lines(tmp_path) == {Path(name).stem: set()}


# The upstream cases the issue names, under JAX's own checker (the rest run in
# `benchmarks/gr203_precision.py`, which takes a minute or two).
ORACLE_CASES = [
    "jax2onnx_upstream_export_dinov3_pretrained",
    "jax2onnx_upstream_test_gpt_oss_components",
    "jax2onnx_upstream_test_equinox_interop_regressions",
]


@pytest.mark.parametrize("name", ORACLE_CASES)
def test_jax_key_reuse_checker_agrees_with_the_labels(name: str) -> None:
    from benchmarks import gr203_oracles

    case = read_case(CORPUS / f"{name}.py")
    assert case.oracles
    for kind, call, rejects in case.oracles:
        if kind == "excerpt":
            rejected = gr203_oracles.run_excerpt_call(case.path, call)
        else:
            rejected = gr203_oracles.DRIVERS[call](case.path)
        assert rejected == rejects, f"{name}: {call}"


# Realistic code written for the benchmark, labelled by JAX's checker: the
# corpus the analysis of issue 18 was built against, and a fresh one written
# after it (`benchmarks/gr203_precision.py --corpus ...` prints the figures).
LABELLED_CORPORA = ["gr203_unseen", "gr203_fresh"]


@pytest.mark.parametrize("name", LABELLED_CORPORA)
def test_realistic_corpora_keep_recall_and_precision(name: str, tmp_path: Path) -> None:
    corpus = CORPUS.parent / name
    cases = read_corpus(corpus)
    assert len(cases) >= 8
    for case in cases:
        assert problems(case) == [], case.name
    copy = tmp_path / name
    shutil.copytree(corpus, copy)
    result = score(cases, gr203_lines(copy))
    assert result.recall("reuse") >= 0.95, result.missed
    assert result.precision("reuse") >= 0.9, result.false_positives
