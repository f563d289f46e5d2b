"""A file's imports read from LibCST's tree, into the one model of what they
bind (`analysis.import_bindings`): `jr.split` with `import jax.random as jr`
qualifies as `jax.random.split`. The module's own imports are known before
the walk starts; `ImportTracker` adds each import as the walk meets it.
"""

from __future__ import annotations

import libcst as cst

from guardrails.analysis.import_bindings import ImportBindings, from_import_target


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


def _asname(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


def from_import_targets(node: cst.ImportFrom) -> list[tuple[cst.ImportAlias, str]]:
    """Each name `from module import ...` binds, with the qualified name it
    binds (`from_import_target`): none for a relative or a star import."""
    if isinstance(node.names, cst.ImportStar):
        return []
    module = None if node.module is None else module_name(node.module)
    level = len(node.relative)
    found = []
    for alias in node.names:
        target = from_import_target(module, level, module_name(alias.name))
        if target is not None:
            found.append((alias, target))
    return found


class ImportMap(ImportBindings):
    """The file's `ImportBindings`, fed from LibCST's nodes and asked of them."""

    def add_import(self, node: cst.Import) -> None:
        for alias in node.names:
            self.bind_import(module_name(alias.name), _asname(alias))

    def add_import_from(self, node: cst.ImportFrom) -> None:
        for alias, target in from_import_targets(node):
            self.bind(_asname(alias) or module_name(alias.name), target)

    def qualify(self, node: cst.BaseExpression) -> str | None:
        """The qualified name of a Name/Attribute chain rooted in an import, or None."""
        name = dotted_name(node)
        return None if name is None else self.qualify_dotted(name)

    def qualify_or_local(self, node: cst.BaseExpression) -> str | None:
        """Like `qualify`, but unimported names come back as written."""
        name = dotted_name(node)
        return None if name is None else self.qualify_dotted(name) or name


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
