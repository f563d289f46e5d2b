"""The engine's walk and positions are LibCST's, event for event and number for number.

`guardrails.engine.traverse.visit_batched` must call every visitor method that
`libcst.visit_batched` calls, on the same node objects, in the same order; and
`guardrails.analysis.positions.positions_of` must give every node the range
`PositionProvider` gives it. Both are checked on real code (the installed
jax2onnx release, every third file, and equimo) and on odd constructs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from guardrails.analysis.positions import NodePositions
from guardrails.engine import traverse
from guardrails.targets import package_source

Event = tuple[str, str, int]

ODD_SOURCES = {
    "fstrings": 'a = f"{x!r:>{width}} {y=} {z:{w}.{p}f}" f"{q}"\n',
    "imports": "from . import a\nfrom .. b import (c as d,)\nfrom x import *\n"
    "import a.b.c as e, f\n",
    "decorated": "@a\n# c\n@b.c(d)\nclass K(Base, metaclass=M):\n    @property\n"
    "    async def f(self, /, a: int = 1, *args, b, **kw) -> None:\n"
    "        async with x as y, z:\n            await y\n",
    "match": "match p:\n    case [1, *rest] if rest:\n        pass\n"
    "    case {'k': v, **others}:\n        pass\n    case Point(x=0) | None:\n"
    "        pass\n",
    "comprehensions": "r = [x for x in y if x async for z in w]\n"
    "s = {k: v for k, v in d.items()}\nt = (lambda *a, **k: (yield))\n",
    "statements": "global g\ndel a[1:2, ::3]\nassert x, 'm'\nwhile 1:\n    break\n"
    "else:\n    pass\ntry:\n    raise E from e\nexcept* (A, B) as err:\n"
    "    pass\nfinally:\n    x += 1\n",
    "crlf_and_continuations": "x = 1 + \\\r\n    2\r\ny = (\r\n  3)\r\n",
    "type_parameters": "type A[T] = list[T]\ndef f[T: int, *Ts, **P](x: T) -> T:\n"
    "    return x\n",
    "walrus_and_star": "if (n := len(a)) > 10:\n    print(*a, **b, sep='')\n",
}


def _recorder_class() -> type[cst.BatchableCSTVisitor]:
    """A visitor with a visit_ and a leave_ method for every node type."""
    methods: dict[str, Callable[..., None]] = {}
    for name, value in vars(cst).items():
        if isinstance(value, type) and issubclass(value, cst.CSTNode):
            for kind in ("visit", "leave"):

                def record(
                    self: Any, node: cst.CSTNode, _tag: str = f"{kind}_{name}"
                ) -> None:
                    self.events.append((_tag, type(node).__name__, id(node)))

                record.__name__ = f"{kind}_{name}"
                methods[record.__name__] = record
    return type("Recorder", (cst.BatchableCSTVisitor,), methods)


Recorder = _recorder_class()


def _events(
    module: cst.Module,
    walk: Callable[[cst.Module, Sequence[cst.BatchableCSTVisitor]], object],
) -> list[Event]:
    recorder: Any = Recorder()
    recorder.events = []
    walk(module, [recorder])
    return list(recorder.events)


def _real_paths() -> list[Path]:
    jax2onnx = sorted(package_source("jax2onnx").rglob("*.py"))[::3]
    return [*jax2onnx, *sorted(package_source("equimo").rglob("*.py"))]


@pytest.mark.parametrize("name", sorted(ODD_SOURCES))
def test_odd_constructs_walk_and_locate_as_libcst_does(name: str) -> None:
    _assert_same_walk_and_positions(cst.parse_module(ODD_SOURCES[name]))


@pytest.mark.slow
def test_real_code_walks_and_locates_as_libcst_does() -> None:
    paths = _real_paths()
    assert len(paths) > 100
    for path in paths:
        _assert_same_walk_and_positions(cst.parse_module(path.read_text("utf-8")))


def _assert_same_walk_and_positions(module: cst.Module) -> None:
    expected = _events(module, cst.visit_batched)
    assert expected, "the recorder saw nothing"
    assert _events(module, traverse.visit_batched) == expected
    reference = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    fast = NodePositions(module)
    assert len(fast) == len(reference)
    assert all(fast[node] == where for node, where in reference.items())


HOOKS = [
    ("FunctionDef", "body"),
    ("FunctionDef", "decorators"),
    ("For", "body"),
    ("For", "orelse"),
    ("Call", "args"),
    ("Call", "func"),
    ("FormattedStringExpression", "format_spec"),
    ("FormattedStringExpression", "equal"),
    ("ImportFrom", "names"),
    ("ImportFrom", "module"),
    ("Param", "default"),
]


def _hook_recorder_class() -> type[cst.BatchableCSTVisitor]:
    methods: dict[str, Callable[..., None]] = {}
    for type_name, field_name in HOOKS:
        for kind in ("visit", "leave"):
            name = f"{kind}_{type_name}_{field_name}"

            def record(self: Any, node: cst.CSTNode, _tag: str = name) -> None:
                self.events.append((_tag, type(node).__name__, id(node)))

            record.__name__ = name
            methods[name] = record
    return type("HookRecorder", (Recorder,), methods)


HookRecorder = _hook_recorder_class()


def test_attribute_hooks_fire_as_in_libcst() -> None:
    sources = [*ODD_SOURCES.values()]
    sources += [path.read_text("utf-8") for path in _real_paths()[::10]]
    for source in sources:
        module = cst.parse_module(source)
        events = []
        for walk in (cst.visit_batched, traverse.visit_batched):
            recorder: Any = HookRecorder()
            recorder.events = []
            walk(module, [recorder])
            events.append(recorder.events)
        assert events[0] == events[1]


def test_visitors_that_compose_their_own_methods_are_honoured() -> None:
    class Names(cst.BatchableCSTVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.names: list[str] = []

        def visit_Name(self, node: cst.Name) -> None:
            self.names.append(node.value)

    class Delegating(cst.BatchableCSTVisitor):
        """Hands the walk's calls to a helper, as the GR3 collector does."""

        def __init__(self) -> None:
            super().__init__()
            self.helper = Names()
            self.left = False

        def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
            return {**self.helper.get_visitors(), "leave_Module": self._done}

        def _done(self, node: cst.CSTNode) -> None:
            self.left = True

    module = cst.parse_module("a = b(c)\n")
    ours, theirs = Delegating(), Delegating()
    traverse.visit_batched(module, [ours])
    cst.visit_batched(module, [theirs])
    assert ours.helper.names == theirs.helper.names == ["a", "b", "c"]
    assert ours.left and theirs.left
