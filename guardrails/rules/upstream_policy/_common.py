"""Helpers the GR4 rules share: rules decided on CPython's tree, where
jax2onnx's plugins live, and small readings of LibCST nodes."""

from __future__ import annotations

import ast
from collections.abc import Iterable

import libcst as cst

from guardrails.analysis.syntax_prescans import FileSyntax
from guardrails.analysis.testcases.values import string_value
from guardrails.rules.base import NO_BODIES, FileInfo, Rule


class SyntaxDecidedRule(Rule):
    """A rule decided on CPython's tree, as jax2onnx's `ast` scripts decide
    (GR401-GR403): it reports what `decide` finds and reads no LibCST node,
    so every function body and dict value may be left out of the parse. A
    file this Python cannot parse (newer syntax) gets none of its findings,
    as the scripts give none."""

    body_prescan = NO_BODIES
    value_keys = frozenset[str]()

    def decide(self, syntax: FileSyntax) -> Iterable[tuple[ast.AST, str]]:
        """Each node to report, with its message."""
        raise NotImplementedError

    def visit_Module(self, node: cst.Module) -> None:
        if self.context.syntax is not None:
            for found, message in self.decide(self.context.syntax):
                self.report(found, message)


# jax2onnx's plugin tree, wherever the package lies (a checkout, site-packages).
PLUGIN_PATHS = ("**/jax2onnx/plugins/**",)
# Where the samples of plugin-scoped rules live.
PLUGIN_SAMPLE = "jax2onnx/plugins/sample.py"


def in_plugins(file: FileInfo) -> bool:
    return file.matches(PLUGIN_PATHS)


def literal_text(node: cst.BaseExpression) -> str | None:
    """The text of a string literal (implicit concatenation too), else None."""
    if isinstance(node, cst.SimpleString):
        value: str | bytes | None = string_value(node)
    elif isinstance(node, cst.ConcatenatedString):
        value = node.evaluated_value
    else:
        return None
    return value if isinstance(value, str) else None


def callee_name(call: cst.Call) -> str | None:
    """The last name of what is called: `f` of `f(...)` and of `a.b.f(...)`."""
    func = call.func
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next(
        (arg for arg in call.args if arg.keyword and arg.keyword.value == name), None
    )


def has_double_star(call: cst.Call) -> bool:
    return any(arg.star == "**" for arg in call.args)


def module_globs(module: str) -> tuple[str, str]:
    """Where the module `a.b.c` lives: `a/b/c.py`, or the package `a/b/c/`."""
    path = module.replace(".", "/")
    return f"**/{path}.py", f"**/{path}/**"


def in_compat_module(file: FileInfo) -> bool:
    """Whether `file` is jax2onnx's compatibility module (`compat-module`)."""
    return file.matches(module_globs(file.config.compat_module))
