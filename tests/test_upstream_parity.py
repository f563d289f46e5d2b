"""GR401-GR403 against the jax2onnx scripts they replace, run for real.

jax2onnx enforces three AGENTS.md rules with scripts of its own, wired as local
pre-commit hooks: `check_forbidden_reflection.py`, `check_ir_builder_usage.py`
and `check_variable_annotations.py` (vendored unmodified, with their licence, in
tests/fixtures/upstream_parity/). Each test writes a jax2onnx-shaped tree, runs
a script on it exactly as the hook does (default targets, from the tree's root)
and guardrails with the matching rule, and compares every (file, line) flagged.

They must agree everywhere but on GR401's two deliberate extensions, which the
script misses and which are the same shims: `hasattr(obj, "nodes")` and a banned
type inside a tuple, `isinstance(obj, (ir.Function, ir.Graph))`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shutil
import sys
import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

from guardrails.config import Config, config_from_table
from guardrails.targets import package_source
from guardrails.types import UsageError
from tests.conftest import check_tree
from tests.readme_snippets import readme_block

SCRIPTS = Path(__file__).parent / "fixtures" / "upstream_parity"
JAX2ONNX = package_source("jax2onnx")
# `path:line: message`, as all three scripts print a finding.
_FLAG = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+): ", re.MULTILINE)

Flags = set[tuple[str, int]]

REFLECTION = {
    "getattr_banned": "def f(g):\n    return getattr(g, 'nodes')\n",
    "getattr_every_name": "".join(
        f"v{n} = getattr(g, {name!r}, None)\n"
        for n, name in enumerate(
            [
                "node",
                "_nodes",
                "nodes",
                "input",
                "inputs",
                "output",
                "outputs",
                "initializer",
                "initializers",
            ]
        )
    ),
    "getattr_allowed": (
        "a = getattr(g, 'name')\nb = getattr(g, attr)\nc = getattr(g)\n"
        "d = getattr(*args)\ne = getattr(g, *rest)\nf = getattr(g, **kw)\n"
        "h = getattr(g, b'nodes')\ni = getattr(g, f'nodes')\n"
        "j = builtins.getattr(g, 'nodes')\nk = obj.getattr(g, 'nodes')\n"
    ),
    "getattr_spelled": (
        "a = getattr(g, 'in' 'puts')\nb = getattr(\n    g,\n    'outputs',\n)\n"
        "c = (\n    getattr(g, 'node')\n)\n"
    ),
    "getattr_nested": (
        "class A:\n    @property\n    def n(self):\n"
        "        return [getattr(x, 'output') for x in (lambda: self)()]\n"
        "\n@decorate(getattr(g, 'nodes'))\ndef f(x=getattr(g, 'inputs')):\n"
        "    return lambda: getattr(x, 'initializers')\n"
    ),
    "isinstance_banned": (
        "a = isinstance(g, ir.Graph)\nb = isinstance(g, Graph)\n"
        "c = isinstance(g, onnx_ir.Graph)\nd = isinstance(g, 'Graph')\n"
        "e = isinstance(g, f().Graph)\nh = isinstance(g, types[0].Graph)\n"
        "i = isinstance(g, (ir).Graph)\n"
    ),
    "isinstance_allowed": (
        "a = isinstance(g, ir.Function)\nb = isinstance(g)\n"
        "c = isinstance(g, ir.Graph, 1)\nd = isinstance(g, None)\n"
        "e = isinstance(g, x.ir.Graph)\nf = isinstance(g, *types)\n"
        "h = isinstance(g, cls=ir.Graph)\n"
    ),
    "extension_hasattr": "def f(g):\n    return hasattr(g, 'nodes')\n",
    "extension_tuple": "ok = isinstance(g, (ir.Function, ir.Graph))\n",
}

BUILDER = {
    "initializer_unnamed": (
        "w = ctx.builder.initializer(a)\n"
        "v = ctx.builder.add_initializer_from_array('w', a)\n"
        "u = builder.add_initializer_from_scalar(value=1)\n"
        "t = ctx.builder.initializer(a, **options)\n"
        "s = builder.sub.initializer(a)\n"
        "r = self.builder.add_initializer_from(a)\n"
        "q = (\n    ctx.builder.initializer(a)\n)\n"
    ),
    "initializer_fine": (
        "w = ctx.builder.initializer(a, name='w')\n"
        "v = builder.add_initializer_from_array(name='v', array=a)\n"
        "u = ctx._builder.initializer(a)\nt = ctx.builders.initializer(a)\n"
        "s = initializer(a)\nr = f().builder.initializer(a)\n"
        "q = ctx.builder.initializer_list(a)\np = builder(a)\n"
    ),
    "outputs_strings": (
        "a = op(x, _outputs='y')\nb = op(x, _outputs=('y'))\n"
        "c = op(x, _outputs='a' 'b')\n"
        "d = ctx.builder.Relu(\n    x,\n    _outputs=(\n        'y'\n    ),\n)\n"
    ),
    "outputs_fine": (
        "a = op(x, _outputs=['y'])\nb = op(x, _outputs=('y',))\n"
        "c = op(x, _outputs={'a': 1})\nd = op(x, _outputs=names)\n"
        "e = op(x, _outputs=f(y))\ng = op(x, _outputs=o.names)\n"
        "h = op(x, _outputs=n[0])\ni = op(x, _outputs=None)\n"
        "j = op(x, _outputs=2)\nk = op(x, _outputs=b'y')\n"
        "m = op(x, _outputs=...)\nn = op(x, _outputs=True)\n"
        "p = op(x, **{'_outputs': 'y'})\n"
    ),
    "outputs_unexpected": (
        "a = op(x, _outputs=f'{n}')\nb = op(x, _outputs=[a] if c else [b])\n"
        "c = op(x, _outputs=[o for o in n])\nd = op(x, _outputs={a})\n"
        "e = op(x, _outputs=a + b)\ng = op(x, _outputs=-1)\n"
        "h = op(x, _outputs=lambda: 1)\ni = op(x, _outputs=(n := ['a']))\n"
        "j = op(x, _outputs='a' f'{b}')\nk = op(x, _outputs=not n)\n"
    ),
    "in_methods": (
        "class Plugin:\n    def lower(self, ctx, a, b):\n"
        "        ctx.builder.initializer(a)\n"
        "        return ctx.builder.Add(a, b, _outputs='s')\n"
    ),
}

ANNOTATIONS = {
    "names": (
        "limit = 3\nLIMIT = 4\n_limit = 5\n__limit__ = 6\nF = 7\n_ = 1\n__ = 2\n"
        "Foo = 3\n_Foo = 4\n__all__ = []\n__version__ = '1'\n"
    ),
    "annotated": "limit: int = 3\nother: int\n",
    "targets": (
        "a, b = 1, 2\n[c] = [3]\nx.y = 1\nz[0] = 2\nw += 1\n(p) = 4\nq = r = 5\n"
    ),
    "values": (
        "a = cast(int, x)\nb = typing.cast(int, x)\nc = CAST(int, x)\n"
        "d = Union[int, str]\ne = 'list[int]'\nf = SomeProtocol()\n"
        "g = (cast(int, x))\nh = (cast(int, x), 1)\ni = TYPEVAR('T')\n"
        "j = mod.Optional [int]\nk = lambda: 1\nm = (\n    cast(int, x)\n)\n"
    ),
    "comments": "a = [  # list[int]\n    1,\n]\nb = [1]  # list[int]\n",
    "blocks": (
        "if x:\n    a = 1\nelif y:\n    b = 2\nelse:\n    c = 3\n"
        "try:\n    d = 4\nexcept E:\n    e = 5\nelse:\n    f = 6\nfinally:\n    g = 7\n"
        "for i in r:\n    h = 8\nelse:\n    i2 = 9\nwhile w:\n    j = 10\n"
        "with m:\n    k = 11\nmatch v:\n    case 1:\n        n = 12\n"
        "try:\n    pass\nexcept* E:\n    p = 13\n"
    ),
    "scopes": (
        "def f():\n    a = 1\n\nasync def g():\n    b = 2\n\nclass C:\n    c = 3\n\n"
        "    def m(self):\n        d = 4\n\nafter = 5\n"
    ),
    "unicode": "name = 'é' + 'ü'\nalias = 'ä' ; other = list[int]\nlast = 'ö'\n",
    "crlf": "a = 1\r\nb = [\r\n    1,  # list[x]\r\n]\r\nc = 'x'\r\n",
    "string_value": 'doc = """\nlist[int]\n"""\nplain = """\ntext\n"""\n',
}


@cache
def _load(name: str) -> ModuleType:
    qualified = f"upstream_parity_{name}"
    spec = importlib.util.spec_from_file_location(qualified, SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def run_script(name: str, root: Path, monkeypatch: pytest.MonkeyPatch) -> Flags:
    """What the script flags, run as jax2onnx's hook runs it: no arguments
    (`--diff` aside), from the repository root."""
    monkeypatch.chdir(root)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = _load(name).main([])
    flags = {
        (Path(match["path"]).as_posix(), int(match["line"]))
        for match in _FLAG.finditer(out.getvalue() + err.getvalue())
    }
    assert status == (1 if flags else 0)
    return flags


def run_rule(code: str, root: Path) -> Flags:
    return {
        (finding.path, finding.line)
        for finding in check_tree(root, [code]).findings
        if finding.code == code
    }


def _write(root: Path, files: Mapping[str, str]) -> None:
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode())


def _spread(snippets: Mapping[str, str]) -> dict[str, str]:
    """Each snippet in the converter, deep in the plugins and outside both,
    plus package `__init__.py` files and a protobuf module holding them all."""
    everything = "\n".join(snippets.values())
    files = {
        "jax2onnx/converter/__init__.py": everything,
        "jax2onnx/plugins/__init__.py": everything,
        "jax2onnx/plugins/onnx_pb2.py": everything,
    }
    for name, text in snippets.items():
        files[f"jax2onnx/converter/{name}.py"] = text
        files[f"jax2onnx/plugins/jax/lax/{name}.py"] = text
        files[f"jax2onnx/sandbox/{name}.py"] = text
        files[f"tests/{name}.py"] = text
    return files


def test_reflection_agrees_with_check_forbidden_reflection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, _spread(REFLECTION))
    script = run_script("check_forbidden_reflection", tmp_path, monkeypatch)
    rule = run_rule("GR401", tmp_path)
    assert script - rule == set()
    # Only the two extensions, and only where the script looks: the converter,
    # its `__init__.py` (which holds every snippet) included.
    init = "jax2onnx/converter/__init__.py"
    init_text = (tmp_path / init).read_text(encoding="utf-8").splitlines()
    extensions = {
        ("jax2onnx/converter/extension_hasattr.py", 2),
        ("jax2onnx/converter/extension_tuple.py", 1),
        *(
            (init, number)
            for number, line in enumerate(init_text, start=1)
            if "hasattr(" in line or "(ir.Function, ir.Graph)" in line
        ),
    }
    assert len(extensions) == 4
    assert rule - script == extensions
    assert {path.split("/")[1] for path, _ in rule} == {"converter"}
    assert len(script) > 30


def test_builder_usage_agrees_with_check_ir_builder_usage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, _spread(BUILDER))
    script = run_script("check_ir_builder_usage", tmp_path, monkeypatch)
    rule = run_rule("GR402", tmp_path)
    assert rule == script
    assert {path.split("/")[1] for path, _ in rule} == {"converter", "plugins"}
    assert not any(path.endswith("_pb2.py") for path, _ in rule)
    assert len(script) > 40


def test_module_annotations_agree_with_check_variable_annotations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, _spread(ANNOTATIONS))
    script = run_script("check_variable_annotations", tmp_path, monkeypatch)
    rule = run_rule("GR403", tmp_path)
    assert rule == script
    assert not any(path.endswith("__init__.py") for path, _ in rule)
    assert {path.split("/")[1] for path, _ in rule} == {"converter", "plugins"}
    assert len(script) > 40


def _copy_with_violations(source: Path, target: Path) -> None:
    """A real jax2onnx module with one of each violation appended."""
    text = source.read_text(encoding="utf-8").rstrip("\n")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        text + "\n\n\n_injected_limit = 3\n\n\ndef _injected(ctx, graph, x):\n"
        "    nodes = getattr(graph, 'nodes', [])\n"
        "    weight = ctx.builder.initializer(x)\n"
        "    return ctx.builder.Relu(weight, _outputs='y'), nodes\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    ("script", "code"),
    [
        ("check_forbidden_reflection", "GR401"),
        ("check_ir_builder_usage", "GR402"),
        ("check_variable_annotations", "GR403"),
    ],
)
def test_real_modules_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, code: str
) -> None:
    """The released converter and a slice of its plugins, as shipped and with a
    violation of each kind appended: the same verdicts, line for line."""
    package = tmp_path / "jax2onnx"
    shutil.copytree(JAX2ONNX / "converter", package / "converter")
    plugins = sorted((JAX2ONNX / "plugins").rglob("*.py"))[::8]
    for plugin in plugins:
        relative = plugin.relative_to(JAX2ONNX)
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(plugin, package / relative)
    as_shipped = run_script(script, tmp_path, monkeypatch)
    assert run_rule(code, tmp_path) == as_shipped

    modules = sorted(package.rglob("*.py"))
    for module in modules[::3]:
        _copy_with_violations(module, module)
    injected = run_script(script, tmp_path, monkeypatch)
    assert len(injected) > len(as_shipped)
    assert run_rule(code, tmp_path) == injected


def test_readme_configuration_shows_the_defaults() -> None:
    table = tomllib.loads(readme_block("upstream-policy-config"))["tool"]["guardrails"]
    assert set(table) == {
        "reflection-paths",
        "reflection-attributes",
        "reflection-types",
        "jax-compat-apis",
        "compat-module",
    }
    assert config_from_table(Path(), None, table) == Config(root=Path())


def test_configured_lists_change_what_is_flagged(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "jax2onnx/converter/a.py": "x = getattr(g, 'nodes')\n",
            "jax2onnx/ops/b.py": (
                "y = hasattr(g, 'values')\nz = isinstance(g, ir.Node)\n"
            ),
            "jax2onnx/c.py": "import jax\nw = jax.numpy.float0\nv = jax.core.Literal\n",
            "jax2onnx/shims/jax.py": "import jax\nw = jax.numpy.float0\n",
        },
    )
    config = Config(
        root=tmp_path,
        reflection_paths=("**/ops/**",),
        reflection_attributes=("values",),
        reflection_types=("ir.Node",),
        jax_compat_apis=("jax.numpy.float0",),
        compat_module="jax2onnx.shims.jax",
    )
    found = {
        (finding.path, finding.line, finding.code)
        for finding in check_tree(tmp_path, ["GR401", "GR406"], config).findings
    }
    assert found == {
        ("jax2onnx/ops/b.py", 1, "GR401"),
        ("jax2onnx/ops/b.py", 2, "GR401"),
        ("jax2onnx/c.py", 2, "GR406"),
    }


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("reflection-types", ["ir.Graph", "ir..Graph"], "not a dotted name"),
        ("jax-compat-apis", "jax.core.Literal", "must be a list of strings"),
        ("compat-module", "jax2onnx/_compat/jax.py", "not a dotted name"),
        ("reflection-paths", ["[converter"], "unbalanced"),
    ],
)
def test_bad_values_are_one_line_errors(key: str, value: object, message: str) -> None:
    with pytest.raises(UsageError, match=message) as error:
        config_from_table(Path(), None, {key: value})
    assert key in str(error.value) and "\n" not in str(error.value)


def test_annotations_of_syntax_this_python_may_not_parse(tmp_path: Path) -> None:
    # `type` statements are Python 3.12. GR403 judges CPython's tree, as the
    # script does: on 3.11 neither reads this file, and GR403 reports nothing;
    # on 3.12 and later the values' text is judged as CPython spans it.
    _write(
        tmp_path,
        {
            "jax2onnx/plugins/new.py": (
                "type Alias = int\na = (cast(int, x))\nb = ((1, cast(int, x)))\n"
                "c = (\n    Optional[int]\n)\nd = 1\n"
            )
        },
    )
    parsed = sys.version_info >= (3, 12)
    expected = {("jax2onnx/plugins/new.py", 3), ("jax2onnx/plugins/new.py", 7)}
    assert run_rule("GR403", tmp_path) == (expected if parsed else set())
