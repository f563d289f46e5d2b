"""Fuzzing the whole `guardrails check` path with every rule on.

Programs come from Python's grammar (hypothesmith), from LibCST node types spliced
into every rule's own samples (so the rules' pre-scans match and they walk the
fuzz), from mutated real jax2onnx files, and from raw bytes. Whatever comes in,
no exception escapes, the exit code is 0 or 1, the JSON report is well formed and
the sibling file's finding is still there. Bounded and derandomized here;
`scripts/fuzz.py` runs the same oracle for longer.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz_harness import (
    JAX2ONNX_SOURCE,
    LINE_MUTATIONS,
    MUTATION_TOKENS,
    NESTING_DEPTHS,
    TOKEN_MUTATIONS,
    Mutation,
    check_files,
    jax2onnx_files,
    mutate,
    nested_program,
    random_mutations,
    rule_samples,
    splice,
)

# hypothesmith probes its programs with compile(): "'int' object is not callable".
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the suite is repeatable; scripts/fuzz.py explores
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


def assert_check_holds(files: dict[str, str | bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        problem = check_files(Path(folder), files)
    assert problem is None, problem


@FUZZ
@given(program=hypothesmith.from_grammar())
def test_programs_from_the_grammar(program: str) -> None:
    assert_check_holds({"jax2onnx/plugins/generated.py": program})


@FUZZ
@given(
    sample=st.sampled_from(rule_samples()),
    program=hypothesmith.from_node(),
    where=st.floats(0, 1),
)
def test_programs_from_cst_nodes_inside_every_rules_samples(
    sample: tuple[str, str], program: str, where: float
) -> None:
    path, host = sample
    assert_check_holds({path: splice(host, program, where)})


mutations = st.builds(
    Mutation,
    kind=st.sampled_from(LINE_MUTATIONS + TOKEN_MUTATIONS),
    where=st.floats(0, 1),
    other=st.floats(0, 1),
    token=st.sampled_from(MUTATION_TOKENS),
)


@FUZZ
@given(
    relative=st.sampled_from(jax2onnx_files()),
    changes=st.lists(mutations, min_size=1, max_size=6),
)
def test_mutated_jax2onnx_files(relative: str, changes: list[Mutation]) -> None:
    source = (JAX2ONNX_SOURCE.parent / relative).read_text(encoding="utf-8")
    assert_check_holds({relative: mutate(source, changes)})


@FUZZ
@given(content=st.binary(max_size=4000))
def test_arbitrary_bytes(content: bytes) -> None:
    assert_check_holds({"jax2onnx/plugins/junk.py": content})


@FUZZ
@given(text=st.text(st.characters(codec="utf-8"), max_size=2000))
def test_arbitrary_text_after_a_violation(text: str) -> None:
    assert_check_holds({"jax2onnx/plugins/text.py": "import onnx\n" + text})


def test_many_mutants_in_one_subprocess_run() -> None:
    """The same guarantee from a separate process over one tree of many mutants
    (and a worker pool, since there is enough to parse)."""
    rng = random.Random(20261126)
    files: dict[str, str | bytes] = {}
    for relative in rng.sample(jax2onnx_files(), 40):
        source = (JAX2ONNX_SOURCE.parent / relative).read_text(encoding="utf-8")
        files[relative] = mutate(source, random_mutations(rng, rng.randint(1, 5)))
    with tempfile.TemporaryDirectory() as folder:
        problem = check_files(Path(folder), files, in_process=False)
    assert problem is None, problem


def test_mixed_deep_nesting_in_one_subprocess_run() -> None:
    """Randomly mixed nesting of every kind at depths around CPython's bounds, in a
    separate process: an overflow of LibCST's native stack would kill it."""
    rng = random.Random(20261127)
    files: dict[str, str | bytes] = {
        f"jax2onnx/plugins/deep_{index:02d}.py": nested_program(rng, depth)
        for index, depth in enumerate(
            [*NESTING_DEPTHS, *(rng.choice(NESTING_DEPTHS) for _ in range(8))]
        )
    }
    with tempfile.TemporaryDirectory() as folder:
        problem = check_files(Path(folder), files, in_process=False)
    assert problem is None, problem
