"""GR403: module-level variables in converter and plugins carry a type annotation
(jax2onnx's scripts/check_variable_annotations.py, as a rule)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from guardrails.analysis.syntax_prescans import FileSyntax
from guardrails.rules.base import FileInfo, Sample
from guardrails.rules.upstream_policy._common import SyntaxDecidedRule
from guardrails.rules.upstream_policy.prescans import (
    may_leave_unannotated,
    unannotated_variables,
)


class UnannotatedModuleVariable(SyntaxDecidedRule):
    """A module-level variable without a type annotation in IR-only code.

    ## What it does
    Flags `name = value` outside functions and classes (in `if`, `try`, `for`,
    `with` and `match` blocks too) under the IR-only paths, `__init__.py` files
    aside, as jax2onnx's `scripts/check_variable_annotations.py` does. It leaves
    alone what the script leaves alone: annotated assignments, targets that are
    not a plain name, CamelCase names (type aliases, class sentinels), `_`,
    module dunders such as `__all__`, and values that are casts or whose text
    names a typing construct (`Optional[`, `list[`, `TypeVar(`, `Protocol`...).

    ## Why is this bad?
    jax2onnx type-checks its converter and plugins with mypy, which types an
    unannotated module variable by what its first value happens to be: a
    registry that starts as `{}` or a placeholder that starts as `None` ends up
    typed too narrowly or not at all, and nothing records what the name is meant
    to hold. jax2onnx's pre-commit hook requires the annotation so the intended
    type is written down where the variable is made.

    ## Example
    ```python
    _SUPPORTED_DTYPES = (np.float32, np.float64)
    logger = logging.getLogger(__name__)
    ```

    ## Use instead
    ```python
    _SUPPORTED_DTYPES: Final[tuple[type[np.generic], ...]] = (np.float32, np.float64)
    logger: logging.Logger = logging.getLogger(__name__)
    ```
    """

    code = "GR403"
    name = "unannotated-module-variable"
    prescan = re.compile(r"=")
    syntax_prescan = staticmethod(may_leave_unannotated)
    VALID = (
        Sample("_LIMIT: int = 3\n"),
        Sample("DtypeMap = dict\n_Alias = Union[int, str]\n__all__ = ['f']\n_ = 1\n"),
        Sample("HANDLERS = dict[str, int]\nlimit = cast(int, x)\n"),
        Sample("shape = typing.Optional[int]\nkinds = SomeProtocol.members\n"),
        Sample("a, b = 1, 2\nx.y = 3\nz[0] = 4\nw += 5\n"),
        Sample("def f():\n    limit = 3\n\nclass C:\n    limit = 3\n"),
        Sample("limit = 3\n", path="jax2onnx/plugins/__init__.py"),
        Sample("limit = 3\n", path="jax2onnx/sandbox/x.py"),
        Sample("mapping = {\n    'a': 1,  # list[int] in a comment counts\n}\n"),
    )
    INVALID = (
        Sample(
            "limit = 3\n",
            line=1,
            message="module-level variable `limit` has no type annotation",
        ),
        Sample(
            "import logging\nlogger = logging.getLogger(__name__)\n",
            line=2,
            message="module-level variable `logger` has no type annotation",
        ),
        Sample(
            "LIMIT = 3\n",
            line=1,
            message="module-level variable `LIMIT` has no type annotation",
        ),
        Sample(
            "try:\n    import jax\nexcept ImportError:\n    jax = None\n",
            line=4,
            message="module-level variable `jax` has no type annotation",
        ),
        Sample(
            "if True:\n    _cache = {}\n",
            line=2,
            message="module-level variable `_cache` has no type annotation",
        ),
        Sample(
            "a = Alias = []\n",
            line=1,
            message="module-level variable `a` has no type annotation",
        ),
        Sample(
            "shape = (cast(int, x), 1)\n",
            line=1,
            message="module-level variable `shape` has no type annotation",
        ),
        Sample(
            "def f():\n    return 1\n\nregistry = {'relu': f}\n",
            line=4,
            message="module-level variable `registry` has no type annotation",
        ),
    )

    @classmethod
    def applies_to(cls, file: FileInfo) -> bool:
        return file.in_ir_only_paths and file.path.name != "__init__.py"

    def decide(self, syntax: FileSyntax) -> Iterable[tuple[ast.AST, str]]:
        return unannotated_variables(syntax.tree, self.context.source)
