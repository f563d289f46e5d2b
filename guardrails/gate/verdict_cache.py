"""Gate verdicts kept across runs: a testcase is exported again only when code it
executed, or its spec, changed.

What a testcase's verdict depends on, and how each part is checked:

- the run: guardrails' own source, the gate's package versions, the interpreter,
  `XLA_FLAGS` and the whole configuration (examples, modules, known failures): one
  manifest per run key, `.guardrails_cache/gate/<run>.json`;
- what every testcase shares: the listing of jax2onnx's `.py` files; each file's
  skeleton, its syntax tree without function bodies (imports, decorators,
  registrations, class bodies); the functions that ran while the plugins were
  imported; the configured modules' whole text;
- the functions the testcase itself executed (`executed.ExecutedFiles`, by qualified
  name) while it was exported, checked and probed: each one's syntax tree;
- its committed spec, by content.

A file whose bytes are unchanged is not parsed again; an edited one is, and only the
parts above count, so a comment, or an edit inside a function no gated testcase ran,
changes nothing. An entry is used only when all of it still matches and its manifest
carries an HMAC made with the key that signs `guardrails check`'s cache
(`engine.cache_key`: bound to its key file's identity on this machine), so a manifest
copied in or edited by hand is a miss, never a pass. A cache that cannot be read or
written is not used; nothing here makes the gate fail.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import hashlib
import hmac
import importlib.util
import json
import os
import stat
import sys
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from guardrails.atomic import write_atomically
from guardrails.config import Config
from guardrails.engine.cache_key import folder_key
from guardrails.gate.results import TestcaseResult
from guardrails.gate.spec import SPEC_SUFFIX

FORMAT = "1"


def _digest(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little") + data)  # no two lists alike
    return digest.hexdigest()


def file_digest(path: str | Path) -> str | None:
    """The content's digest; None when it is not a readable regular file."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as stream:
            return hashlib.sha256(stream.read()).hexdigest()
    except OSError:
        return None


@dataclass(frozen=True)
class Shape:
    """What of one file's source a verdict can depend on."""

    skeleton: str
    functions: dict[str, str]  # qualified name -> digest of its definitions

    def function(self, name: str, content: str | None) -> str:
        # A name the syntax tree does not define (code made at run time): the file.
        return self.functions.get(name, f"file:{content}")


def _qualified_functions(tree: ast.AST) -> dict[str, list[str]]:
    """Each function's and lambda's definitions by `__qualname__`, as CPython names
    them (`Class.method`, `outer.<locals>.inner`, `<lambda>`)."""
    found: dict[str, list[str]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                name = prefix + getattr(child, "name", "<lambda>")
                found.setdefault(name, []).append(ast.dump(child))
                visit(child, f"{name}.<locals>.")
            elif isinstance(child, ast.ClassDef):
                found.setdefault(prefix + child.name, [])
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def shape_of(path: str | Path) -> Shape:
    """The file's skeleton and function digests; an unparsable file is its bytes."""
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError, RecursionError):
        return Shape(f"unparsable:{file_digest(path)}", {})
    functions = {
        name: _digest(*dumps) for name, dumps in _qualified_functions(tree).items()
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node.body = [ast.Pass()]
        elif isinstance(node, ast.Lambda):
            node.body = ast.Constant(None)
    return Shape(_digest(ast.dump(tree, include_attributes=False)), functions)


def package_folder() -> Path | None:
    """jax2onnx's package folder, found without importing it."""
    try:
        spec = importlib.util.find_spec("jax2onnx")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _result_from_json(data: Any) -> TestcaseResult:
    """A result as `to_json` wrote it; nested dataclasses (also optional ones)
    rebuilt from their field types."""
    hints = typing.get_type_hints(TestcaseResult)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(TestcaseResult):
        value = data[field.name]
        kind = hints[field.name]
        nested = [
            candidate
            for candidate in (kind, *typing.get_args(kind))
            if isinstance(candidate, type) and dataclasses.is_dataclass(candidate)
        ]
        if nested and isinstance(value, dict):
            value = nested[0](**value)
        values[field.name] = value
    return TestcaseResult(**values)


class VerdictCache:
    """The manifest of one run key: shared-source state and per-testcase entries."""

    def __init__(
        self, path: Path, run: str, key: bytes, package: Path, specs: Path
    ) -> None:
        self.path = path
        self.run = run
        self._key = key
        self.package = package
        self.specs = specs
        self._manifest = self._load()
        self._digests: dict[str, str | None] = {}
        self._shapes: dict[str, Shape] = {}

    @classmethod
    def open(
        cls, config: Config, versions: Mapping[str, str], cache_folder: Path | None
    ) -> VerdictCache | None:
        from guardrails.engine.catalogue import tool_fingerprint

        package = package_folder()
        if package is None or cache_folder is None:
            return None
        key = folder_key(cache_folder)  # the one that signs `guardrails check`'s cache
        if key is None:
            return None
        folder = cache_folder / "gate"
        try:
            folder.mkdir(exist_ok=True)
        except OSError:
            return None
        run = _digest(
            FORMAT,
            tool_fingerprint(),
            json.dumps(dict(versions), sort_keys=True),
            sys.version,
            os.environ.get("XLA_FLAGS", ""),
            repr(config),
            str(package),
        )
        specs = config.root / config.gate.specs
        return cls(folder / f"{run[:32]}.json", run, key, package, specs)

    # ------------------------------------------------------------ the manifest

    def _mac(self, body: str) -> str:
        message = b"gate verdicts\0" + body.encode()  # never a check entry's
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def _load(self) -> dict[str, Any]:
        try:
            if not stat.S_ISREG(self.path.stat().st_mode):
                return {}
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            return {}
        if not isinstance(document, dict):
            return {}
        body, mac = document.get("body"), document.get("mac")
        if not isinstance(body, str) or not isinstance(mac, str):
            return {}
        if not hmac.compare_digest(mac, self._mac(body)):
            return {}  # written elsewhere or edited: not ours
        try:
            manifest = json.loads(body)
        except (ValueError, RecursionError):
            return {}
        if not isinstance(manifest, dict) or manifest.get("run") != self.run:
            return {}
        return manifest

    def _save(self) -> None:
        body = json.dumps(self._manifest, sort_keys=True)
        document = json.dumps({"body": body, "mac": self._mac(body)})
        with contextlib.suppress(OSError):
            write_atomically(self.path, document, follow_links=False, durable=False)

    # ------------------------------------------------------------ sources

    def digest_of(self, path: str) -> str | None:
        if path not in self._digests:
            self._digests[path] = file_digest(path)
        return self._digests[path]

    def shape(self, path: str) -> Shape:
        if path not in self._shapes:
            self._shapes[path] = shape_of(path)
        return self._shapes[path]

    def _listing(self) -> list[str]:
        return sorted(str(path) for path in self.package.rglob("*.py"))

    def _usage_record(self, usage: Mapping[str, Iterable[str]]) -> dict[str, Any]:
        """What `usage` (file -> functions run) depends on, as it is now."""
        record: dict[str, Any] = {}
        for path in sorted(usage):
            content = self.digest_of(path)
            shape = self.shape(path)
            names = sorted(set(usage[path]))
            record[path] = {
                "content": content,
                "functions": {name: shape.function(name, content) for name in names},
            }
        return record

    def _usage_holds(self, record: Any) -> bool:
        """Whether every function a record names is still defined alike."""
        if not isinstance(record, dict):
            return False
        for path, used in record.items():
            functions = used.get("functions") if isinstance(used, dict) else None
            if not isinstance(functions, dict):
                return False
            content = self.digest_of(path)
            if content is not None and content == used.get("content"):
                continue
            if content is None:
                return False
            shape = self.shape(path)
            for name, digest in functions.items():
                if shape.function(name, content) != digest:
                    return False
        return True

    def _shared_record(
        self, imports: Mapping[str, Iterable[str]], modules: Iterable[str]
    ) -> dict[str, Any]:
        """What every testcase shares, as it is now (skeletons parsed only for files
        whose bytes changed since the manifest's)."""
        known = self._manifest.get("skeletons")
        known = known if isinstance(known, dict) else {}
        skeletons: dict[str, list[str | None]] = {}
        for path in self._listing():
            content = self.digest_of(path)
            recorded = known.get(path)
            if isinstance(recorded, list) and recorded[:1] == [content]:
                skeletons[path] = [content, str(recorded[1])]
            else:
                skeletons[path] = [content, self.shape(path).skeleton]
        return {
            "skeletons": skeletons,
            "imports": self._usage_record(imports),
            "modules": {path: self.digest_of(path) for path in sorted(set(modules))},
        }

    def _shared_holds(self) -> bool:
        skeletons = self._manifest.get("skeletons")
        modules = self._manifest.get("modules")
        if not isinstance(skeletons, dict) or not isinstance(modules, dict):
            return False
        listing = self._listing()
        if listing != sorted(skeletons):
            return False  # a file added or removed: imports may differ
        for path in listing:
            content, skeleton = (skeletons[path] + [None, None])[:2]
            if (
                self.digest_of(path) != content
                and self.shape(path).skeleton != skeleton
            ):
                return False
        if any(self.digest_of(path) != digest for path, digest in modules.items()):
            return False
        return self._usage_holds(self._manifest.get("imports"))

    def _spec_digest(self, testcase_id: str) -> str | None:
        context, component, name = testcase_id.split("::", 2)
        spec = self.specs / context / component / f"{name}{SPEC_SUFFIX}"
        return self.digest_of(str(spec))

    # ------------------------------------------------------------ use

    @property
    def selection(self) -> list[str]:
        """Every gated testcase id of the last run that selected them, in order."""
        ids = self._manifest.get("selection")
        return [str(i) for i in ids] if isinstance(ids, list) else []

    def replay(self, only: str | None) -> list[TestcaseResult] | None:
        """Every selected testcase's verdict when all are still valid, else None:
        the answer without importing jax or jax2onnx."""
        ids = [i for i in self.selection if only is None or fnmatchcase(i, only)]
        if not ids:
            return None
        found = self.lookup(ids)
        return [found[i] for i in ids] if len(found) == len(ids) else None

    def lookup(self, ids: Iterable[str]) -> dict[str, TestcaseResult]:
        """The still-valid verdicts among `ids`."""
        entries = self._manifest.get("testcases")
        if not isinstance(entries, dict) or not self._shared_holds():
            return {}
        found: dict[str, TestcaseResult] = {}
        for testcase_id in ids:
            entry = entries.get(testcase_id)
            if not isinstance(entry, dict):
                continue
            if entry.get("spec") != self._spec_digest(testcase_id):
                continue
            if not self._usage_holds(entry.get("usage")):
                continue
            try:
                result = _result_from_json(entry["result"])
            except (KeyError, TypeError, ValueError):
                continue
            found[testcase_id] = dataclasses.replace(result, cached=True)
        return found

    def store(
        self,
        selection: list[str],
        imports: Mapping[str, Iterable[str]],
        modules: Iterable[str],
        usage: Mapping[str, Mapping[str, Iterable[str]]],
        results: Iterable[TestcaseResult],
    ) -> None:
        """Record this run: the shared state, each fresh result with the functions
        its testcase executed, each reused one with its functions as they are now
        (it was valid at the start of this run); entries of testcases this run did
        not see are dropped."""
        self._digests.clear()  # --update may have written specs meanwhile
        self._shapes.clear()
        old = self._manifest.get("testcases")
        kept = old if isinstance(old, dict) else {}
        entries: dict[str, Any] = {}
        for result in results:
            if result.cached and isinstance(kept.get(result.id), dict):
                used = kept[result.id].get("usage", {})
                names = {
                    path: list(value.get("functions", {}))
                    for path, value in used.items()
                }
                entries[result.id] = {
                    **kept[result.id],
                    "usage": self._usage_record(names),
                    "spec": self._spec_digest(result.id),
                }
            elif result.id in usage and not result.cached:
                entries[result.id] = {
                    "spec": self._spec_digest(result.id),
                    "usage": self._usage_record(usage[result.id]),
                    "result": result.to_json(),
                }
        self._manifest = {
            "run": self.run,
            "selection": selection,
            **self._shared_record(imports, modules),
            "testcases": entries,
        }
        self._save()
