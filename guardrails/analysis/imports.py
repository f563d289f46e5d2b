"""Resolve local names to the dotted names they were imported as.

`import jax.random as jr` makes `jr.split` resolve to `jax.random.split`;
`from jax import random` makes `random.PRNGKey` resolve to `jax.random.PRNGKey`.
Bindings are file-wide and flow-insensitive: an alias imported inside a function
counts everywhere, which errs towards recognising more calls, never fewer.
"""

from __future__ import annotations

import libcst as cst


def dotted_name(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def module_name(node: cst.Attribute | cst.Name) -> str:
    name = dotted_name(node)
    assert name is not None  # import targets are always Name/Attribute chains
    return name


class ImportMap:
    """Local name -> fully qualified name, filled by `ImportTracker` as it walks."""

    def __init__(self) -> None:
        self.bindings: dict[str, str] = {}

    def add_import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = module_name(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.bindings[alias.asname.name.value] = full
            else:
                # `import jax.random` binds `jax`; chains through it still resolve.
                top = full.split(".", 1)[0]
                self.bindings[top] = top

    def add_import_from(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            return
        if isinstance(node.names, cst.ImportStar):
            return
        base = module_name(node.module)
        for alias in node.names:
            imported = module_name(alias.name)
            local = imported
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.bindings[local] = f"{base}.{imported}"

    def qualify(self, node: cst.BaseExpression) -> str | None:
        """The qualified name of a Name/Attribute chain rooted in an import, or None."""
        name = dotted_name(node)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        target = self.bindings.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target

    def qualify_or_local(self, node: cst.BaseExpression) -> str | None:
        """Like `qualify`, but unimported names come back as written."""
        return self.qualify(node) or dotted_name(node)


class ImportTracker(cst.BatchableCSTVisitor):
    """Runs first in every batch so rules see the imports made so far."""

    def __init__(self, imports: ImportMap) -> None:
        super().__init__()
        self.imports = imports

    def visit_Import(self, node: cst.Import) -> None:
        self.imports.add_import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.imports.add_import_from(node)


def _top_level_imports(body: object) -> list[cst.Import | cst.ImportFrom]:
    found: list[cst.Import | cst.ImportFrom] = []
    statements = list(body) if isinstance(body, (list, tuple)) else []
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            found += [
                s for s in statement.body if isinstance(s, cst.Import | cst.ImportFrom)
            ]
        elif isinstance(statement, cst.If | cst.Try | cst.With):
            # `if TYPE_CHECKING:` / `try: import x except ImportError:` guards.
            inner = statement.body
            found += _top_level_imports(getattr(inner, "body", ()))
            for extra in (
                getattr(statement, "orelse", None),
                *getattr(statement, "handlers", ()),
            ):
                if extra is not None:
                    found += _top_level_imports(getattr(extra.body, "body", ()))
    return found


def imports_of(module: cst.Module) -> ImportMap:
    """The module-level imports, known before any rule looks at a use."""
    imports = ImportMap()
    for statement in _top_level_imports(module.body):
        if isinstance(statement, cst.Import):
            imports.add_import(statement)
        else:
            imports.add_import_from(statement)
    return imports
