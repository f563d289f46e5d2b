"""GR407: every registered plugin and example says since which release it
exists (jax2onnx's tests/extra_tests/framework/test_since_equal_in_convert.py)."""

from __future__ import annotations

import re

import libcst as cst

from guardrails.rules.base import Rule, Sample
from guardrails.rules.upstream_policy._common import (
    callee_name,
    has_double_star,
    keyword,
    literal_text,
)
from guardrails.rules.upstream_policy.prescans import (
    REGISTER_FUNCTIONS,
    SEMVER,
    may_lack_since,
)


class MissingSince(Rule):
    """A `register_primitive` / `register_example` without a `since="X.Y.Z"`.

    ## What it does
    Flags each call of `register_primitive(...)` or `register_example(...)`, as a
    call or a decorator, that has no `since=` keyword, or whose `since=` is a
    string literal that is not a concrete `X.Y.Z` version. A `since=` that is not
    a literal, or a call that passes `**metadata`, is not judged.

    ## Why is this bad?
    jax2onnx's documentation and coverage tables say which release added each
    primitive and example; `test_since_equal_in_convert.py` requires a
    non-empty semantic version on every registered plugin. That test sees only
    what registers when it runs: the placeholder examples MaxText and
    MaxDiffusion register when they fail to import
    (`*_Environment_Error`) never register where those libraries are
    installed, so the test never sees them. Read from the source, every
    registration is seen.

    ## Example
    ```python
    register_example(
        component="MaxText_Environment_Error",
        context="examples.maxtext",
        testcases=[],
    )
    ```

    ## Use instead
    ```python
    register_example(
        component="MaxText_Environment_Error",
        context="examples.maxtext",
        since="0.11.0",
        testcases=[],
    )
    ```
    """

    code = "GR407"
    name = "missing-since"
    # `\bregister_(?:primitive|example)\b`, the literal first.
    prescan = re.compile(r"register_(?<!\wregister_)(?:primitive|example)\b")
    syntax_prescan = staticmethod(may_lack_since)
    # Registrations inside functions (MaxText's) keep their bodies; the
    # `since=` value is read, so it is never left out of the parse.
    body_prescan = prescan
    value_keys = frozenset({"since"})
    value_calls = REGISTER_FUNCTIONS
    VALID = (
        Sample(
            "@register_primitive(jaxpr_primitive='add', since='0.1.0')\n"
            "class AddPlugin:\n    pass\n"
        ),
        Sample("register_example(component='m', since='0.12.1', testcases=[])\n"),
        Sample("register_example(**METADATA)\n"),
        Sample("register_example(component='m', since=SINCE)\n"),
        Sample("def register_example(**metadata):\n    return metadata\n"),
    )
    INVALID = (
        Sample(
            "@register_primitive(jaxpr_primitive='add')\nclass AddPlugin:\n    pass\n",
            line=1,
            message='`register_primitive(...)` without `since="X.Y.Z"`',
        ),
        Sample(
            "try:\n    import MaxText\nexcept ImportError:\n"
            "    register_example(\n        component='MaxText_Environment_Error',\n"
            "        context='examples.maxtext',\n        testcases=[],\n    )\n",
            line=4,
            message='`register_example(...)` without `since="X.Y.Z"`',
        ),
        Sample(
            "def _register(configs):\n    for config in configs:\n"
            "        register_example(component=config.name, since='v0.9')\n",
            line=3,
            message=(
                "`register_example(...)` has `since='v0.9'`: not a concrete "
                "`X.Y.Z` version"
            ),
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        name = callee_name(node)
        if name not in REGISTER_FUNCTIONS or has_double_star(node):
            return
        since = keyword(node, "since")
        if since is None:
            self.report(node, f'`{name}(...)` without `since="X.Y.Z"`')
            return
        value = literal_text(since.value)
        if value is not None and SEMVER.fullmatch(value.strip()) is None:
            self.report(
                node,
                f"`{name}(...)` has `since={value!r}`: not a concrete `X.Y.Z` version",
            )
