"""GR203 against JAX's own key reuse checker.

Every case below is a function `f(key, *flags)`. Its label comes from running it
with a typed key (`jax.random.key(0)`) under `jax.debug_key_reuse(True)` for every
combination of its boolean flags: reuse on any of them is reuse. GR203 must report
exactly the cases the runtime checker rejects.

The runtime checker is blind in two places, and the `BLIND` cases cover them:
iterating over a split array whose elements were already used (by index or by
an earlier loop), and folding the same data into one key twice (`fold_in` makes
a new key without consuming the parent, so the checker sees two fresh keys).
There the checker passes, the draws come out equal, and GR203 reports the reuse.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import jax
import pytest

from tests.conftest import check_tree
from tests.key_reuse_support import load_case, runtime_reuse

# Shared by every case; itself free of reuse.
HEADER = """\
import jax
import jax.random as jr


def draw(key):
    return jr.normal(key, ())


def helper(key):
    return jr.uniform(key, ())


class Layer:
    def __init__(self, key):
        self.weight = jr.normal(key, (2,))
"""

CASES: dict[str, str] = {
    # Two draws, parent after split, same element, alias.
    "two_draws": """
        def f(key):
            return jr.normal(key, ()), jr.uniform(key, ())
    """,
    "parent_after_split": """
        def f(key):
            k1, k2 = jr.split(key)
            return draw(k1), draw(k2), draw(key)
    """,
    "split_parent_twice": """
        def f(key):
            a = jr.split(key)
            b = jr.split(key, 3)
            return a, b
    """,
    "proper_split": """
        def f(key):
            k1, k2 = jr.split(key)
            return draw(k1), draw(k2)
    """,
    "same_element": """
        def f(key):
            keys = jr.split(key, 3)
            return draw(keys[0]), draw(keys[0])
    """,
    "distinct_elements": """
        def f(key):
            keys = jr.split(key, 3)
            return draw(keys[0]), draw(keys[1]), draw(keys[2])
    """,
    "negative_index_same_element": """
        def f(key):
            keys = jr.split(key, 3)
            return draw(keys[2]), draw(keys[-1])
    """,
    "negative_index_distinct": """
        def f(key):
            keys = jr.split(key, 3)
            return draw(keys[0]), draw(keys[-1])
    """,
    "disjoint_slices": """
        def f(key):
            keys = jr.split(key, 4)
            return draw(keys[0]), [draw(k) for k in keys[1:]]
    """,
    "overlapping_slice": """
        def f(key):
            keys = jr.split(key, 4)
            return draw(keys[1]), [draw(k) for k in keys[1:]]
    """,
    "element_after_whole_array": """
        def f(key):
            keys = jr.split(key, 3)
            more = jr.split(keys[0])
            return more, draw(keys[0])
    """,
    "alias_with_original": """
        def f(key):
            k = key
            return draw(k), draw(key)
    """,
    "alias_alone": """
        def f(key):
            k = key
            return draw(k)
    """,
    "swap_pair": """
        def f(key):
            a, b = jr.split(key)
            a, b = b, a
            return draw(a), draw(b)
    """,
    "star_unpacking": """
        def f(key):
            first, *rest = jr.split(key, 4)
            return draw(first), [draw(k) for k in rest]
    """,
    "star_unpacking_reused": """
        def f(key):
            first, *rest = jr.split(key, 4)
            return draw(first), draw(rest[0]), draw(rest[0])
    """,
    # Loops, comprehensions, while.
    "loop_without_split": """
        def f(key):
            return [draw(key) for _ in range(1)] + [helper(key) for _ in range(3)]
    """,
    "for_loop_without_split": """
        def f(key):
            out = []
            for _ in range(3):
                out.append(draw(key))
            return out
    """,
    "for_loop_resplit": """
        def f(key):
            out = []
            for _ in range(3):
                key, sub = jr.split(key)
                out.append(draw(sub))
            return out
    """,
    "comprehension_over_split": """
        def f(key):
            return [draw(k) for k in jr.split(key, 3)]
    """,
    "while_without_split": """
        def f(key):
            i, out = 0, []
            while i < 3:
                out.append(draw(key))
                i += 1
            return out
    """,
    "while_resplit": """
        def f(key):
            i, out = 0, []
            while i < 3:
                key, sub = jr.split(key)
                out.append(draw(sub))
                i += 1
            return out
    """,
    "loop_index_by_counter": """
        def f(key):
            keys = jr.split(key, 3)
            return [draw(keys[i]) for i in range(3)]
    """,
    "loop_index_twice_per_round": """
        def f(key):
            keys = jr.split(key, 3)
            out = []
            for i in range(3):
                out.append(draw(keys[i]) + helper(keys[i]))
            return out
    """,
    "enumerate_split": """
        def f(key):
            return [draw(k) * i for i, k in enumerate(jr.split(key, 3))]
    """,
    "zip_split": """
        def f(key):
            out = []
            for scale, k in zip(range(3), jr.split(key, 3)):
                out.append(scale * draw(k))
            return out
    """,
    "loop_break_after_first_use": """
        def f(key):
            for _ in range(3):
                x = draw(key)
                break
            return x
    """,
    "loop_continue_then_reuse": """
        def f(key):
            out = []
            for i in range(3):
                if i == 0:
                    continue
                out.append(draw(key))
            return out
    """,
    "nested_loop_element_reused": """
        def f(key):
            out = []
            for k in jr.split(key, 2):
                for _ in range(2):
                    out.append(draw(k))
            return out
    """,
    # Branches.
    "branch_then_after": """
        def f(key, flag):
            x = draw(key) if flag else 0.0
            if flag:
                x = draw(key)
            return x
    """,
    "if_branch_then_after": """
        def f(key, flag):
            x = 0.0
            if flag:
                x = draw(key)
            return x + helper(key)
    """,
    "exclusive_branches": """
        def f(key, flag):
            if flag:
                return draw(key)
            else:
                return helper(key)
    """,
    "early_return": """
        def f(key, flag):
            if flag:
                return draw(key)
            return helper(key)
    """,
    "elif_chain": """
        def f(key, flag, other):
            if flag:
                x = draw(key)
            elif other:
                x = helper(key)
            else:
                x = jr.uniform(key, ())
            return x
    """,
    "nested_branch_then_after": """
        def f(key, flag, other):
            x = 0.0
            if flag:
                if other:
                    x = draw(key)
            return x + helper(key)
    """,
    "same_condition_twice": """
        def f(key, flag):
            x = draw(key) if flag else 0.0
            y = helper(key) if not flag else 0.0
            return x + y
    """,
    "correlated_if_statements": """
        def f(key, flag):
            x = y = 0.0
            if flag:
                x = draw(key)
            if not flag:
                y = helper(key)
            return x + y
    """,
    "conjunction_exclusive": """
        def f(key, flag, other):
            x = y = 0.0
            if flag and other:
                x = draw(key)
            if not flag and other:
                y = helper(key)
            return x + y
    """,
    "same_condition_both_uses": """
        def f(key, flag):
            x = y = 0.0
            if flag:
                x = draw(key)
            if flag:
                y = helper(key)
            return x + y
    """,
    "try_handler_alternative": """
        def f(key):
            try:
                x = draw(key)
            except ValueError:
                x = helper(key)
            return x
    """,
    # Rebinding, non-consuming uses, constructors, helpers.
    "rebind_to_fresh_key": """
        def f(key):
            a = draw(key)
            key = jr.key(1)
            return a, draw(key)
    """,
    "rebind_through_split": """
        def f(key):
            key, sub = jr.split(key)
            a = draw(sub)
            return a, draw(key)
    """,
    "non_consuming_uses": """
        def f(key):
            if key is None or not isinstance(key, jax.Array):
                raise TypeError
            assert key.shape == () and key.dtype is not None
            data = jr.key_data(key)
            return data, draw(key)
    """,
    "helper_twice": """
        def f(key):
            return helper(key), helper(key)
    """,
    "constructor_keyword_twice": """
        def f(key):
            return Layer(key=key), Layer(key=key)
    """,
    "draw_then_constructor": """
        def f(key):
            return draw(key), Layer(key)
    """,
    "local_key_drawn_twice": """
        def f(key):
            k = jr.key(7)
            return draw(k), draw(k), draw(key)
    """,
    "closure_called_twice": """
        def f(key):
            def sample():
                return draw(key)
            return sample(), sample()
    """,
    "closure_called_once": """
        def f(key):
            sample = lambda: draw(key)
            return sample()
    """,
    "lambda_drawing_twice": """
        f = lambda key: (draw(key), helper(key))
    """,
    "lambda_splitting": """
        f = lambda key: [draw(k) for k in jr.split(key)]
    """,
    "lambda_inside_function": """
        def f(key):
            pick = lambda k1, k2: (draw(k1), draw(k2))
            a, b = jr.split(key)
            return pick(a, b)
    """,
    "vmap_over_split": """
        def f(key):
            return jax.vmap(draw)(jr.split(key, 3))
    """,
    # fold_in derives without consuming (JAX's checker: a source, no sink).
    "fold_in_distinct_data": """
        def f(key):
            return draw(jr.fold_in(key, 0)), draw(jr.fold_in(key, 1))
    """,
    "fold_in_then_parent": """
        def f(key):
            return draw(jr.fold_in(key, 0)), draw(key)
    """,
    "fold_in_loop_counter": """
        def f(key):
            return [draw(jr.fold_in(key, i)) for i in range(3)]
    """,
    # Dropout-like consumers that ignore their key in inference mode.
    "inference_shares_one_key": """
        def dropout(x, *, inference, key):
            return x if inference else x * jr.bernoulli(key, 0.5, ())

        def f(key, inference):
            if inference:
                k1 = k2 = key
            else:
                k1, k2 = jr.split(key)
            a = dropout(1.0, inference=inference, key=k1)
            return a, dropout(2.0, inference=inference, key=k2)
    """,
    "inference_literal_after_draw": """
        def dropout(x, *, inference, key):
            return x if inference else x * jr.bernoulli(key, 0.5, ())

        def f(key):
            return draw(key), dropout(1.0, inference=True, key=key)
    """,
    "training_parent_after_split": """
        def dropout(x, *, inference, key):
            return x if inference else x * jr.bernoulli(key, 0.5, ())

        def f(key, inference):
            if inference:
                keys = [key, key]
            else:
                keys = jr.split(key)
            out = [dropout(1.0, inference=inference, key=k) for k in keys]
            return out, dropout(2.0, inference=inference, key=key)
    """,
    "inference_unknown_on_path": """
        def dropout(x, *, inference, key):
            return x if inference else x * jr.bernoulli(key, 0.5, ())

        def f(key, inference):
            return dropout(1.0, inference=inference, key=key), dropout(
                2.0, inference=inference, key=key
            )
    """,
    # Same-file callees: what their body does to the key is what the call does.
    "callee_folds_in_its_step": """
        def step(key, i):
            return draw(jr.fold_in(key, i))

        def f(key):
            return [step(key, i) for i in range(3)]
    """,
    "callee_through_jit_and_partial": """
        import functools

        def step(scale, key, i):
            return scale * draw(jr.fold_in(key, i))

        def f(key):
            run = jax.jit(functools.partial(step, 2.0))
            return [run(key, i) for i in range(3)]
    """,
    "callee_draws_every_call": """
        def step(key, i):
            return draw(key) + i

        def f(key):
            return [step(key, i) for i in range(3)]
    """,
    "callee_returns_its_key": """
        def passthrough(key):
            return key

        def f(key):
            return draw(passthrough(key)), draw(key)
    """,
    "callee_folds_fixed_data": """
        def noise(key):
            return draw(jr.fold_in(key, 7))

        def f(key):
            return noise(key), draw(key)
    """,
}

# Reuse the runtime checker cannot see; each returns two equal draws.
BLIND: dict[str, str] = {
    "callee_folds_fixed_data_twice": """
        def noise(key):
            return draw(jr.fold_in(key, 7))

        def f(key):
            return noise(key), noise(key)
    """,
    "iterate_split_array_twice": """
        def f(key):
            keys = jr.split(key, 3)
            first = [draw(k) for k in keys]
            second = [draw(k) for k in keys]
            return first[0], second[0]
    """,
    "element_then_loop_over_array": """
        def f(key):
            keys = jr.split(key, 3)
            return draw(keys[0]), [draw(k) for k in keys][0]
    """,
    "fold_in_same_data_twice": """
        def f(key):
            return draw(jr.fold_in(key, 0)), draw(jr.fold_in(key, 0))
    """,
}


def _module_text(body: str) -> str:
    return HEADER + "\n\n" + textwrap.dedent(body).strip() + "\n"


@pytest.fixture(scope="module")
def static_findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[int]]:
    """GR203's finding lines per case, from one run of the engine."""
    root: Path = tmp_path_factory.mktemp("oracle")
    for name, body in {**CASES, **BLIND}.items():
        (root / f"{name}.py").write_text(_module_text(body), encoding="utf-8")
    found: dict[str, list[int]] = {name: [] for name in {**CASES, **BLIND}}
    for finding in check_tree(root, ["GR203"]).findings:
        found[Path(finding.path).stem].append(finding.line)
    return found


def test_the_corpus_covers_both_labels() -> None:
    labels = [
        runtime_reuse(load_case(name, _module_text(body)))
        for name, body in CASES.items()
    ]
    assert len(CASES) >= 40
    assert labels.count(True) >= 15 and labels.count(False) >= 15


@pytest.mark.parametrize("name", sorted(CASES))
def test_gr203_agrees_with_jax_key_reuse_checker(
    name: str, static_findings: dict[str, list[int]]
) -> None:
    runtime = runtime_reuse(load_case(name, _module_text(CASES[name])))
    reported = bool(static_findings[name])
    assert reported == runtime, (
        f"{name}: jax.debug_key_reuse says {'reuse' if runtime else 'no reuse'}, "
        f"GR203 reported lines {static_findings[name]}"
    )


@pytest.mark.parametrize("name", sorted(BLIND))
def test_gr203_reports_reuse_the_checker_is_blind_to(
    name: str, static_findings: dict[str, list[int]]
) -> None:
    function = load_case(name, _module_text(BLIND[name]))
    assert not runtime_reuse(function), "the checker sees it now: move it to CASES"
    first, second = function(jax.random.key(0))
    assert float(first) == float(second), "equal draws show the key was reused"
    assert static_findings[name], f"GR203 missed {name}"
