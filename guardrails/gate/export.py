"""A gated testcase exported the way jax2onnx's test harness does, and judged
as an export: its own `post_check_onnx_graph`, the ONNX checker, and its
structural spec against the committed one.

Imports jax2onnx and onnx: only the gate's runner imports this module.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnx
from jax2onnx import to_onnx  # type: ignore[import-untyped]
from jax2onnx.plugins._post_check_onnx_graph import (  # type: ignore[import-untyped]
    auto_expect_graph_spec,
    expect_graph_from_spec,
)
from jax2onnx.plugins.plugin_system import (  # type: ignore[import-untyped]
    ONNX_FUNCTION_PLUGIN_REGISTRY,
)

from guardrails.gate.diff import diff_specs
from guardrails.gate.results import one_line
from guardrails.gate.spec import (
    SPEC_SUFFIX,
    Spec,
    SpecFormatError,
    build_spec,
    parse_spec,
)

DEFAULT_OPSET = 23  # `to_onnx`'s default opset


@dataclass(frozen=True)
class Testcase:
    """One gated testcase: its identity and its dict in jax2onnx's registry."""

    context: str
    component: str
    name: str
    data: Mapping[str, Any]

    @property
    def id(self) -> str:
        return f"{self.context}::{self.component}::{self.name}"

    def spec_path(self, specs: Path) -> Path:
        return specs / self.context / self.component / f"{self.name}{SPEC_SUFFIX}"

    @property
    def opset(self) -> int:
        return int(self.data.get("opset_version", DEFAULT_OPSET))


def instantiate(testcase: Testcase, dtype: Any) -> Callable[..., Any]:
    target = testcase.data["callable"]
    if getattr(target, "__jax2onnx_factory__", False):
        return target.with_dtype(dtype).instantiate()  # type: ignore[no-any-return]
    return target  # type: ignore[no-any-return]


def export_model(testcase: Testcase, fn: Callable[..., Any], double: bool) -> Any:
    try:
        return to_onnx(
            fn,
            list(testcase.data["input_shapes"]),
            input_params=testcase.data.get("input_params"),
            model_name=testcase.name,
            opset=testcase.opset,
            enable_double_precision=double,
            return_mode="ir",
        )
    finally:
        forget_last_calls()


def forget_last_calls() -> None:
    """Drop the module each `@onnx_function` plugin keeps from its last call.

    jax2onnx's function plugins remember the bound method they last wrapped
    (`_orig_fn`, set again by every call before it is used), so after an export
    they keep that module and all its weights alive: a whole example's, into the
    next testcase, and beside the float64 probe's second instance of the same
    callable (ViT-B/14 in float64: 690 MB).
    """
    for plugin in ONNX_FUNCTION_PLUGIN_REGISTRY.values():
        if getattr(plugin, "_orig_fn", None) is not None:
            plugin._orig_fn = None


def _post_check(testcase: Testcase, model: Any) -> str | None:
    """The testcase's own `expect_graph` check; the matcher's account if it fails."""
    check = testcase.data.get("post_check_onnx_graph")
    if check is None:
        return None
    explanation = io.StringIO()
    try:
        with contextlib.redirect_stdout(explanation):
            passed = bool(check(model))
    except Exception as error:  # a check that crashes has not passed
        return f"post_check_onnx_graph raised {one_line(error)}"
    if passed:
        return None
    lines = [line.strip(" -") for line in explanation.getvalue().splitlines()]
    detail = "; ".join(line for line in lines if line and "FAILED" not in line)
    return f"post_check_onnx_graph failed: {detail or 'no explanation'}"


def patterns_accept(patterns: dict[str, Any], model: Any) -> bool:
    """Whether jax2onnx's matcher accepts `model` under a spec's pattern list."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # inside the matcher
        return bool(expect_graph_from_spec(patterns)(model))


def export_patterns(model: Any) -> dict[str, Any]:
    return auto_expect_graph_spec(  # type: ignore[no-any-return]
        model, graph=None, search_functions=True
    )


def export_problems(
    testcase: Testcase, model: Any, payload: bytes | str
) -> list[tuple[str, str]]:
    """What the testcase's own graph check and the ONNX checker (on the model's
    bytes or saved file) find wrong."""
    problems = []
    failure = _post_check(testcase, model)
    if failure:
        problems.append(("check-failed", failure))
    try:
        onnx.checker.check_model(payload)
    except Exception as error:  # the checker raises several types
        problems.append(("check-failed", f"ONNX checker: {one_line(error)}"))
    return problems


def compare_spec(
    testcase: Testcase,
    model: Any,
    versions: Mapping[str, str],
    path: Path,
    shown: str,
) -> tuple[Spec, str | None, list[tuple[str, str]], str]:
    """The export's structural spec against the one committed at `path` (`shown`
    in messages): the fresh spec, the committed text (None: there is none), the
    problems and the diff."""
    spec = build_spec(
        testcase.id, model, versions, testcase.opset, export_patterns(model)
    )
    if not path.is_file():
        return spec, None, [("missing-spec", f"no spec at {shown}")], ""
    try:
        committed = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:  # not UTF-8: a drift to report
        problem = f"{shown}: unreadable spec: {error}"
        return spec, "", [("drift", problem)], ""
    try:
        old = parse_spec(committed)
    except SpecFormatError as error:
        return (
            spec,
            committed,
            [("drift", f"{shown}: unreadable spec: {error}")],
            "",
        )
    result = diff_specs(old, spec)
    problems = [("drift", result.verdict)] if result.drift else []
    diff = result.text if (result.drift or result.text) else ""
    return spec, committed, problems, diff
