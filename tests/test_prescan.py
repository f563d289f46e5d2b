"""Pre-scans only ever save work: every finding is the same without them.

Each comparison runs the real engine twice over the same files, with every rule
selected: once as shipped, once with `use_prescan=False` (every rule walks every
file it applies to). On every rule's samples and on two real code bases, the
installed jax2onnx release and equimo, the findings must be identical.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import guardrails.rules
from guardrails.config import Config
from guardrails.engine.paths import collect_files
from guardrails.engine.runner import check_files
from guardrails.rules import all_rules
from guardrails.rules.base import Rule, Sample
from guardrails.targets import package_source
from guardrails.types import CheckResult
from tests.conftest import run_python

SAMPLES = [
    pytest.param(rule, sample, id=f"{rule.code}-{n}")
    for rule in all_rules()
    for n, sample in enumerate((*rule.VALID, *rule.INVALID))
]


# The second-stage pre-scans of each rule family, beside its rules.
PRESCAN_MODULES = sorted(
    f"guardrails.rules.{path.parent.name}.prescans"
    for path in Path(guardrails.rules.__file__).parent.glob("*/prescans.py")
)


def _check(target: Path, root: Path, cwd: Path, *, use_prescan: bool) -> CheckResult:
    config = Config(root=root)
    files = collect_files([target], config.root, config.all_excludes)
    return check_files(files, config, all_rules(), cwd, use_prescan=use_prescan)


def _assert_same_with_and_without_prescans(
    root: Path, cwd: Path, target: Path | None = None
) -> CheckResult:
    """Check `target` (default: all of `root`), configured at `root`."""
    target = target or root
    scanned = _check(target, root, cwd, use_prescan=True)
    exhaustive = _check(target, root, cwd, use_prescan=False)
    assert scanned.files_checked == exhaustive.files_checked
    missed = sorted(set(exhaustive.findings) - set(scanned.findings))
    extra = sorted(set(scanned.findings) - set(exhaustive.findings))
    assert (missed, extra) == ([], [])
    return scanned


def _default_rule_codes(result: CheckResult) -> list[str]:
    """The codes found, but the opt-in rules': compared with and without
    pre-scans like every rule, but GR404 flags every file here (no path marker)."""
    return [
        f.code
        for f in result.findings
        if not any(rule.opt_in for rule in all_rules() if rule.code == f.code)
    ]


def _write(root: Path, relative: str, text: str) -> None:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("rule", "sample"), SAMPLES)
def test_samples_find_the_same_with_and_without_prescans(
    tmp_path: Path, rule: type[Rule], sample: Sample
) -> None:
    _write(tmp_path, sample.path, sample.code)
    for relative, text in sample.files:
        _write(tmp_path, relative, text)
    _assert_same_with_and_without_prescans(tmp_path, tmp_path)


def test_ir_only_prescans_skip_urls_and_metadata_keywords(tmp_path: Path) -> None:
    # What most jax2onnx plugin files say about onnx: nothing a GR1 rule can flag.
    _write(
        tmp_path,
        "jax2onnx/plugins/relu.py",
        '"""See https://onnx.ai/onnx/operators/onnx__Relu.html."""\n'
        'register_primitive(onnx=[{"component": "Relu"}], since="0.1")\n',
    )
    for code in ("GR101", "GR104"):
        rule = next(rule for rule in all_rules() if rule.code == code)
        assert rule.prescan is not None
        assert (
            rule.prescan.search((tmp_path / "jax2onnx/plugins/relu.py").read_text())
            is None
        )


@pytest.mark.parametrize(
    "text",
    [
        "import os,onnx\n",
        "import os, \\\n    onnx\n",
        "x = (onnx  # the module\n     .helper)\n",
        "x = onnx .helper\n",
        "y = 1/onnx.helper.make_node\n",
        "if onnx == None:\n    pass\n",
    ],
)
def test_ir_only_prescans_keep_odd_but_valid_spellings(
    tmp_path: Path, text: str
) -> None:
    _write(tmp_path, "jax2onnx/plugins/odd.py", text)
    _assert_same_with_and_without_prescans(tmp_path, tmp_path)
    rule = next(rule for rule in all_rules() if rule.code == "GR104")
    assert rule.prescan is not None and rule.prescan.search(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "import onnx_ir . _core\n",
        "from onnx_ir import tape, \\\n    _tape\n",
        "from \\\n  onnx_ir import _tape\n",
    ],
)
def test_private_onnx_ir_prescan_keeps_spaced_and_continued_imports(
    tmp_path: Path, text: str
) -> None:
    _write(tmp_path, "jax2onnx/plugins/private.py", text)
    scanned = _assert_same_with_and_without_prescans(tmp_path, tmp_path)
    assert _default_rule_codes(scanned) == ["GR102"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A syntax error in a file no rule's pre-scan matches is still GR001...
        ("def broken(:\n    pass\n", ["GR001"]),
        ("x = (\n", ["GR001"]),
        # ...but syntax newer than this interpreter, which LibCST reads, is not,
        (
            "type Alias = list[int]\n\n"
            "def first[T](items: list[T]) -> T:\n    return items[0]\n",
            [],
        ),
        # nor what only CPython's compiler refuses, as LibCST does not check it.
        ("return 1\n", []),
    ],
)
def test_files_no_rule_parses_are_still_syntax_checked(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    _write(tmp_path, "pkg/tools/skipped.py", text)
    scanned = _assert_same_with_and_without_prescans(tmp_path, tmp_path)
    assert _default_rule_codes(scanned) == expected


@pytest.mark.parametrize("package", ["jax2onnx", "equimo"])
@pytest.mark.slow
def test_real_code_bases_find_the_same_with_and_without_prescans(package: str) -> None:
    # Configured at site-packages, so `jax2onnx/plugins/...` is IR-only code.
    source = package_source(package)
    scanned = _assert_same_with_and_without_prescans(
        source.parent, source.parent, target=source
    )
    assert scanned.files_checked == len(list(source.rglob("*.py")))


def test_a_callable_key_split_in_two_strings_keeps_gr202s_finding(
    tmp_path: Path,
) -> None:
    # CPython joins `"call" "able"` into a second "callable" key, which wins in
    # its dict; LibCST, which the rule reads, sees one "callable": the module.
    _write(
        tmp_path,
        "jax2onnx/plugins/split_key.py",
        "import equinox as eqx\n\nregister_primitive(testcases=[\n"
        '    {"testcase": "t", "callable": eqx.nn.PReLU(), "call" "able": len},\n'
        "])\n",
    )
    scanned = _assert_same_with_and_without_prescans(tmp_path, tmp_path)
    assert [(f.code, f.line) for f in scanned.findings if f.code == "GR202"] == [
        ("GR202", 4)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # GR201: seeders reached through aliases, entries and unpacking.
        ("import jax\n_jr = jax.random\n_K = _jr.PRNGKey(0)\n", [("GR201", 3)]),
        (
            "from jax.random import PRNGKey as P\n_F = [P]\n_G = _F\n_K = _G[0](0)\n",
            [("GR201", 4)],
        ),
        (
            "import numpy as np\n_R, _S = np.random, 1\n"
            '_T = {"r": _R.default_rng}\n_K = _T["r"](0)\n',
            [("GR201", 4)],
        ),
        # GR202: testcase callables reached the same ways.
        (
            "import equinox as eqx\n_H = [eqx.nn.Identity(), eqx.nn.LayerNorm(2)]\n"
            "_A, _B = _H\n"
            'CASES = [{"testcase": "t", "callable": _B},\n'
            '         {"testcase": "u", "callable": _H[0]}]\n',
            [("GR202", 4)],
        ),
        (
            "import equinox as eqx\n"
            '_M = dict(ln=(eqx.nn.RMSNorm(2),))\n_N = _M["ln"]\n'
            'CASES = [{"testcase": "t", "callable": _N[-1]}]\n',
            [("GR202", 4)],
        ),
    ],
)
def test_bindings_the_randomness_rules_follow_survive_the_prescans(
    tmp_path: Path, text: str, expected: list[tuple[str, int]]
) -> None:
    _write(tmp_path, "jax2onnx/plugins/bound.py", text)
    scanned = _assert_same_with_and_without_prescans(tmp_path, tmp_path)
    found = [(f.code, f.line) for f in scanned.findings if f.code in {"GR201", "GR202"}]
    assert found == expected


_REGISTER = "from jax2onnx.plugins.plugin_system import register_example\n"


@pytest.mark.parametrize(
    "text",
    [
        # A helper called only from a method that is left out, and one called
        # from the registration: the second's body is evaluated.
        _REGISTER + "def name():\n    return 'from_helper'\n"
        "class P:\n    def lower(self):\n        return other()\n"
        "def other():\n    return 'x'\n"
        "register_example(context='c', component='k', testcases=[\n"
        "    {'testcase': name(), 'run_only_f32_variant': True}])\n",
        # Names read out of a dict by subscript, or through `.items()`.
        _REGISTER + "CFG = {'label': 'sub', 'input_shapes': [(3,)]}\n"
        "register_example(context='c', component='k', testcases=[\n"
        "    {'testcase': CFG['label'], 'run_only_f32_variant': True}])\n",
        _REGISTER + "CFG = {'a': 'one', 'b': 'two'}\n"
        "register_example(context='c', component='k', testcases=[\n"
        "    {'testcase': v, 'run_only_f32_variant': True} for k, v in CFG.items()])\n",
        # A flag under a key no rule reads, a spread, a walrus, and a list grown
        # from inside a value.
        _REGISTER + "BASE = {'run_only_f32_variant': True, 'input_shapes': [(2,)]}\n"
        "CASES = []\n"
        "register_example(context='c', component='k', doc=(n := 'w'), testcases=[\n"
        "    {'testcase': 'spread', **BASE},\n"
        "    {'testcase': n, 'extra': {'run_only_f32_variant': True}},\n"
        "    {'testcase': 'grow', 'post': [CASES.append(1)]},\n"
        "] + CASES)\n",
        # Keyword arguments of a local helper decide the testcase's name.
        _REGISTER + "def make(prefix, suffix):\n"
        "    return {'testcase': prefix + suffix, 'run_only_f32_variant': True}\n"
        "register_example(context='c', component='k',\n"
        "    testcases=[make(prefix='p_', suffix='s')])\n",
    ],
)
def test_left_out_bodies_and_values_change_no_testcase(
    tmp_path: Path, text: str
) -> None:
    _write(tmp_path, "jax2onnx/plugins/cases.py", text)
    scanned = _assert_same_with_and_without_prescans(tmp_path, tmp_path)
    assert any(f.code == "GR301" for f in scanned.findings)


def test_syntax_prescans_live_in_their_familys_prescans_module() -> None:
    families = set()
    for rule in all_rules():
        if rule.syntax_prescan is not None:
            family = rule.__module__.rsplit(".", 1)[0]
            assert rule.syntax_prescan.__module__ == f"{family}.prescans", rule.code
            families.add(rule.syntax_prescan.__module__)
    assert sorted(families) == PRESCAN_MODULES
    assert len(PRESCAN_MODULES) == 2


@pytest.mark.parametrize(
    "module", ["guardrails.analysis.syntax_prescans", *PRESCAN_MODULES]
)
def test_prescan_modules_import_neither_libcst_nor_a_rule(
    tmp_path: Path, module: str
) -> None:
    # The engine asks them before it decides whether a file needs LibCST.
    probe = (
        f"import sys, {module}\n"
        "print([m for m in sys.modules if m.split('.')[0] == 'libcst'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('guardrails.rules.')))\n"
    )
    result = run_python(probe, tmp_path, check=True)
    libcst, rules = result.stdout.splitlines()
    assert libcst == "[]"
    # Only the module itself and its family package: no rule module.
    family = module.rsplit(".", 1)[0]
    expected = [family, module] if family.startswith("guardrails.rules.") else []
    assert rules == repr(expected)
