"""Static testcase identities: every register form jax2onnx uses, and folding."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

# Imported under another name: pytest would take `Test...` classes for tests.
from guardrails.analysis import testcases as analysis
from guardrails.analysis.testcases import extract_testcases
from guardrails.targets import package_source
from tests.conftest import check_tree

# The installed release (the `gate` extra pins it), found as `--package` finds it.
RELEASE = package_source("jax2onnx")


def registered(code: str) -> list[analysis.Testcase]:
    return extract_testcases(cst.parse_module(textwrap.dedent(code)))


def identities(code: str) -> list[tuple[str, str, str, tuple[str, ...]]]:
    return [
        (case.context, case.component, case.testcase, tuple(sorted(case.flags)))
        for case in registered(code)
    ]


def flag_lines(code: str) -> dict[tuple[str, str], int]:
    """(testcase, flag) -> line of the flag, as LibCST locates it."""
    module = cst.parse_module(textwrap.dedent(code))
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return {
        (case.testcase, flag): positions[node].start.line
        for case in extract_testcases(module)
        for flag, node in case.flags.items()
    }


def test_register_primitive_as_class_decorator() -> None:
    code = """
        import jax
        from jax2onnx.plugins.plugin_system import register_primitive

        @register_primitive(
            jaxpr_primitive=jax.lax.add_p.name,
            context="primitives.lax",
            component="add",
            testcases=[
                {"testcase": "add", "callable": lambda x: x + x},
                {
                    "testcase": "add_const",
                    "callable": lambda x: x + 1.0,
                    "run_only_f32_variant": True,
                },
            ],
        )
        class AddPlugin:
            pass
    """
    assert identities(code) == [
        ("primitives.lax", "add", "add", ()),
        ("primitives.lax", "add", "add_const", ("run_only_f32_variant",)),
    ]
    assert flag_lines(code) == {("add_const", "run_only_f32_variant"): 14}


def test_register_example_as_call_and_through_an_attribute() -> None:
    code = """
        from jax2onnx.plugins import plugin_system

        plugin_system.register_example(
            component="MlpExample",
            context="examples.eqx",
            testcases=[{"testcase": "mlp_dropout", "skip_numeric_validation": True}],
        )
    """
    assert identities(code) == [
        ("examples.eqx", "MlpExample", "mlp_dropout", ("skip_numeric_validation",))
    ]


def test_flags_merged_from_module_level_dicts_count_at_the_spread() -> None:
    code = """
        from jax2onnx.plugins.plugin_system import register_example

        _F32_ONLY = {"run_only_f32_variant": True}
        _NO_NUMERICS = dict(skip_numeric_validation=True)
        _BOTH = {**_F32_ONLY, **_NO_NUMERICS}
        _COMMON = {"input_shapes": [(3,)]}

        register_example(
            component="Flags",
            context="examples.flags",
            testcases=[
                {"testcase": "plain", **_COMMON},
                {"testcase": "f32", **_F32_ONLY},
                {"testcase": "both", **_BOTH},
                dict(testcase="kw", run_only_f32_variant=True),
                {"testcase": "off", "run_only_f32_variant": False},
            ],
        )
    """
    assert identities(code) == [
        ("examples.flags", "Flags", "plain", ()),
        ("examples.flags", "Flags", "f32", ("run_only_f32_variant",)),
        (
            "examples.flags",
            "Flags",
            "both",
            ("run_only_f32_variant", "skip_numeric_validation"),
        ),
        ("examples.flags", "Flags", "kw", ("run_only_f32_variant",)),
        ("examples.flags", "Flags", "off", ()),
    ]
    assert flag_lines(code) == {
        ("f32", "run_only_f32_variant"): 14,
        ("both", "run_only_f32_variant"): 15,
        ("both", "skip_numeric_validation"): 15,
        ("kw", "run_only_f32_variant"): 16,
    }


def test_metadata_given_through_a_double_star_dict() -> None:
    code = """
        from jax2onnx.plugins.plugin_system import register_example

        _META = {"context": "examples.meta", "component": "Meta"}
        register_example(
            **_META,
            testcases=[{"testcase": "meta_case", "run_only_f32_variant": True}],
        )
    """
    assert identities(code) == [
        ("examples.meta", "Meta", "meta_case", ("run_only_f32_variant",))
    ]


def test_a_flag_of_unknown_value_counts_and_a_missing_key_is_unknown() -> None:
    code = """
        from jax2onnx.plugins.plugin_system import register_example
        from settings import F32_ONLY

        register_example(
            component="NoContext",
            testcases=[{"testcase": "maybe", "run_only_f32_variant": F32_ONLY}],
        )
    """
    assert identities(code) == [
        ("<unknown>", "NoContext", "maybe", ("run_only_f32_variant",))
    ]


def test_testcase_lists_built_by_concatenation_and_conditions() -> None:
    code = """
        from jax2onnx.plugins.plugin_system import register_primitive

        try:
            import dm_pix as pix
        except ImportError:
            pix = None

        _BASE = [{"testcase": "base"}]
        _PIX = {"testcase": "pix", "run_only_f32_variant": True}
        _EXTRA = [] if pix is None else [_PIX]
        _ALL = _BASE + _EXTRA
        _ALL += [{"testcase": "late", "skip_numeric_validation": True}]

        @register_primitive(context="primitives.dm_pix", component="op", testcases=_ALL)
        class OpPlugin:
            pass
    """
    # Both branches count: `pix` may be installed where the tests run.
    assert sorted(identities(code)) == [
        ("primitives.dm_pix", "op", "base", ()),
        ("primitives.dm_pix", "op", "late", ("skip_numeric_validation",)),
        ("primitives.dm_pix", "op", "pix", ("run_only_f32_variant",)),
    ]


DINO_LIKE = """
    from jax2onnx.plugins.plugin_system import register_example

    def _get_test_cases() -> list[dict[str, object]]:
        test_cases: list[dict[str, object]] = []
        vit_configs = {
            "Ti14": {"patch": 14, "dim": 192},
            "S16": {"patch": 16, "dim": 384},
        }
        for idx, (name, config) in enumerate(vit_configs.items()):
            num_patches = (224 // config["patch"]) ** 2
            test_cases.append(
                {
                    "testcase": f"eqx_dinov3_vit_{name}",
                    "input_shapes": [("B", 3, 224, 224)],
                    "run_only_f32_variant": True,
                }
            )
        return test_cases

    register_example(
        component="DINOv3VisionTransformer",
        context="examples.eqx_dino",
        testcases=_get_test_cases(),
    )
"""


def test_a_helper_building_names_in_a_loop_over_a_literal_dict_is_folded() -> None:
    assert identities(DINO_LIKE) == [
        (
            "examples.eqx_dino",
            "DINOv3VisionTransformer",
            name,
            ("run_only_f32_variant",),
        )
        for name in ("eqx_dinov3_vit_Ti14", "eqx_dinov3_vit_S16")
    ]
    # Both folded testcases set the flag at the one line that gives it.
    assert set(flag_lines(DINO_LIKE).values()) == {16}


def test_a_loop_over_something_unknown_gives_a_glob() -> None:
    code = DINO_LIKE.replace(
        "enumerate(vit_configs.items())", "enumerate(load_configs().items())"
    )
    assert identities(code) == [
        (
            "examples.eqx_dino",
            "DINOv3VisionTransformer",
            "eqx_dinov3_vit_*",
            ("run_only_f32_variant",),
        )
    ]


def test_registrations_inside_a_loop_over_a_parameter() -> None:
    code = """
        from jax2onnx.plugins.plugin_system import register_example

        def _register_examples(configs):
            for config_path in configs:
                model_name = config_path.stem
                component_name = f"MaxText_{model_name.replace('-', '_')}"
                register_example(
                    component=component_name,
                    context="examples.maxtext",
                    testcases=[
                        {
                            "testcase": f"maxtext_{model_name}",
                            "skip_numeric_validation": True,
                        }
                    ],
                )

        _register_examples(iter_model_configs())
    """
    assert identities(code) == [
        ("examples.maxtext", "MaxText_*", "maxtext_*", ("skip_numeric_validation",))
    ]


def test_registrations_in_a_loop_over_literal_names_are_folded() -> None:
    code = """
        from jax2onnx.plugins.plugin_system import register_example

        for size in ("small", "large"):
            register_example(
                component=f"Model_{size.upper()}",
                context="examples.sizes",
                testcases=[{"testcase": f"model_{size}", "run_only_f32_variant": True}],
            )
    """
    assert identities(code) == [
        ("examples.sizes", "Model_SMALL", "model_small", ("run_only_f32_variant",)),
        ("examples.sizes", "Model_LARGE", "model_large", ("run_only_f32_variant",)),
    ]


def test_list_comprehensions_over_literal_names_are_folded() -> None:
    code = """
        from jax2onnx.plugins.plugin_system import register_example

        NAMES = ["a", "b"]
        register_example(
            component="Comp",
            context="examples.comp",
            testcases=[
                {"testcase": f"case_{n}", "run_only_f32_variant": True} for n in NAMES
            ],
        )
    """
    assert [case.testcase for case in registered(code)] == ["case_a", "case_b"]


def test_self_referential_and_recursive_definitions_end() -> None:
    code = """
        from jax2onnx.plugins.plugin_system import register_example

        def _cases():
            return _cases() + [{"testcase": "r", "run_only_f32_variant": True}]

        X = X + [{"testcase": "x"}]
        register_example(component="R", context="examples.r", testcases=_cases())
        register_example(component="X", context="examples.x", testcases=X)
    """
    # Neither list can be known, nothing hangs, and the flag still counts.
    assert identities(code) == [("*", "*", "r", ("run_only_f32_variant",))]


def test_flags_the_registrations_do_not_account_for_still_count() -> None:
    code = """
        from jax2onnx.plugins.plugin_system import register_example
        from .shared import build_cases

        F32_ONLY = {"run_only_f32_variant": True}  # for other modules to merge
        _LOCAL = [
            {"testcase": "moved", "run_only_f32_variant": True},
            {"testcase": "kept", "run_only_f32_variant": False},
        ]
        register_example(
            component="Hidden", context="examples.hidden", testcases=build_cases(_LOCAL)
        )
        make_case(testcase="made", skip_numeric_validation=True)
    """
    assert identities(code) == [
        ("*", "*", "<unknown>", ("run_only_f32_variant",)),
        ("*", "*", "moved", ("run_only_f32_variant",)),
        ("*", "*", "made", ("skip_numeric_validation",)),
    ]


def test_a_merged_flag_is_not_counted_twice() -> None:
    code = """
        from jax2onnx.plugins.plugin_system import register_example

        _F32 = {"run_only_f32_variant": True}
        register_example(
            component="C", context="examples.c", testcases=[{"testcase": "t", **_F32}]
        )
    """
    assert identities(code) == [("examples.c", "C", "t", ("run_only_f32_variant",))]


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        (
            "plugins/examples/eqx/dino.py",
            {
                ("examples.eqx_dino", "DINOv3VisionTransformer", f"eqx_dinov3_vit_{n}")
                for n in ("Ti14", "S14", "B14", "S16")
            },
        ),
        (
            "plugins/examples/maxtext/maxtext_models.py",
            {("examples.maxtext", "MaxText_*", "maxtext_*")},
        ),
        (
            "plugins/dm_pix/depth_to_space.py",
            {("primitives.dm_pix", "depth_to_space", "depth_to_space_nhwc")},
        ),
    ],
)
def test_the_released_helpers(
    relative: str, expected: set[tuple[str, str, str]]
) -> None:
    source = (RELEASE / relative).read_text(encoding="utf-8")
    found = {
        (case.context, case.component, case.testcase)
        for case in extract_testcases(cst.parse_module(source))
        if "run_only_f32_variant" in case.flags
    }
    assert expected <= found


def test_flag_positions_are_libcst_positions_even_after_wide_characters(
    tmp_path: Path,
) -> None:
    source = textwrap.dedent(
        """
        from jax2onnx.plugins.plugin_system import register_example

        _F = {"run_only_f32_variant": True}
        register_example(
            component="Ünïcode",
            context="examples.wide",
            testcases=[
                {"testcase": "ä", "callable": "→→", "run_only_f32_variant": True},
                {"testcase": "b", **_F},
                dict(testcase="c", skip_numeric_validation=True),
            ],
        )
        """
    )
    module = cst.parse_module(source)
    scanner = analysis.TestcaseScanner()
    cst.visit_batched(module, [scanner])
    (tmp_path / "flags.py").write_text(source, encoding="utf-8")
    reported = {
        (f.line, f.column, f.end_line, f.end_column)
        for f in check_tree(tmp_path, ["GR3"]).findings
    }
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    expected = {
        (
            positions[node].start.line,
            positions[node].start.column + 1,
            positions[node].end.line,
            positions[node].end.column + 1,
        )
        for case in scanner.testcases()
        for node in case.flags.values()
    }
    assert reported == expected


# Plain literals, and those LibCST has to evaluate (prefixes, escapes, `\r`).
STRING_LITERALS = (
    *("''", '""', "'a'", '"a\'b"', "'''x'''", '"""y\nz"""', "''''''", "'''a'b'''"),
    *("'\\n'", "b'x'", "r'a\\b'", "u'x'", "'''\r\n'''", "'\\''"),
)


@pytest.mark.parametrize("literal", STRING_LITERALS)
def test_string_values_equal_libcsts_evaluation(literal: str) -> None:
    node = cst.parse_expression(literal)
    assert isinstance(node, cst.SimpleString)
    assert analysis.values.string_value(node) == node.evaluated_value


def test_every_string_literal_of_the_release_evaluates_as_libcst_does() -> None:
    class Strings(cst.CSTVisitor):
        def __init__(self) -> None:
            self.found: list[cst.SimpleString] = []

        def visit_SimpleString(self, node: cst.SimpleString) -> None:
            self.found.append(node)

    strings = Strings()
    for path in sorted(RELEASE.glob("plugins/jax/lax/*.py")):
        cst.parse_module(path.read_text(encoding="utf-8")).visit(strings)
    assert len(strings.found) > 1000
    for node in strings.found:
        assert analysis.values.string_value(node) == node.evaluated_value, node.value
