"""Which local name an import binds to which qualified name: the one model of a
file's imports, whichever tree it is read from.

`import jax.random as jr` binds `jr` to `jax.random`, so `jr.split` qualifies
as `jax.random.split`; `import jax.random` binds `jax` (to `jax`: chains through
it still resolve); `from jax import random` binds `random` to `jax.random`.
Relative imports (`from . import core`) and star imports bind nothing this
model names. Bindings are file-wide and flow-insensitive: an import inside a
function counts everywhere, which errs towards recognising more names, never
fewer; when two imports bind one name, the one added last wins. Readers add
imports in the order they meet them: `analysis.imports` from LibCST's tree
(the module's own imports first, then each as the walk meets it),
`analysis.syntax_prescans` from CPython's (all of them, in source order). No
LibCST here: the syntax pre-scans ask it before the engine imports LibCST.
"""

from __future__ import annotations


def from_import_target(module: str | None, level: int, name: str) -> str | None:
    """The qualified name `from module import name` binds, or None for a
    relative import (`level` dots) or a star."""
    if level or module is None or name == "*":
        return None
    return f"{module}.{name}"


class ImportBindings:
    """Local name -> the qualified name its import binds."""

    def __init__(self) -> None:
        self.bindings: dict[str, str] = {}
        # Every qualified name an import bound, also those a later one rebinds.
        self.targets: set[str] = set()

    def bind(self, local: str, qualified: str) -> None:
        """`local` bound to `qualified` by an import a reader has read."""
        self.bindings[local] = qualified
        self.targets.add(qualified)

    def bind_import(self, module: str, asname: str | None) -> None:
        """`import module` or `import module as asname`."""
        if asname is not None:
            self.bind(asname, module)
        else:
            top = module.split(".", 1)[0]
            self.bind(top, top)

    def bind_import_from(
        self, module: str | None, level: int, name: str, asname: str | None
    ) -> None:
        """`from module import name [as asname]`, `level` dots before `module`."""
        qualified = from_import_target(module, level, name)
        if qualified is not None:
            self.bind(asname or name, qualified)

    def qualify_dotted(self, name: str) -> str | None:
        """The qualified name of a dotted name whose first part an import
        bound (`jr.split` -> `jax.random.split`), or None."""
        head, _, rest = name.partition(".")
        target = self.bindings.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target
