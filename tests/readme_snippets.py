"""The documentation's copy-paste snippets, read the way a reader copies them.

A snippet is the fenced block right after an HTML comment marker such as
`<!-- pre-commit-config -->`, in the README or a page of the docs site
(`docs/`), so the tests run exactly what a reader is shown, wherever it is. Each
marker appears once across them all.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
README = REPOSITORY_ROOT / "README.md"
DOCS = REPOSITORY_ROOT / "docs"
REUSABLE_WORKFLOW = REPOSITORY_ROOT / ".github" / "workflows" / "guardrails.yml"


def documents() -> list[Path]:
    """The README and every page of the docs site."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def marked_text(marker: str) -> str:
    """The text of the one document that holds `<!-- marker -->`."""
    line = re.compile(rf"^<!-- {re.escape(marker)} -->$", re.MULTILINE)
    holders = [
        path for path in documents() if line.search(path.read_text(encoding="utf-8"))
    ]
    assert len(holders) == 1, f"<!-- {marker} --> is in {holders or 'no document'}"
    return holders[0].read_text(encoding="utf-8")


def readme_block(marker: str) -> str:
    """The body of the fenced block that follows `<!-- marker -->`."""
    text = marked_text(marker)
    pattern = re.compile(
        rf"<!-- {re.escape(marker)} -->\s*\n"
        r"(?P<fence>```+)[^\n]*\n(?P<body>.*?)\n(?P=fence)",
        re.DOTALL,
    )
    found = pattern.search(text)
    assert found is not None, f"README.md has no fenced block after <!-- {marker} -->"
    return found.group("body") + "\n"


def readme_table(marker: str) -> list[list[str]]:
    """The cells of the markdown table right after `<!-- marker -->`, header and
    separator rows left out."""
    text = marked_text(marker)
    _, found, after = text.partition(f"<!-- {marker} -->\n")
    assert found, f"README.md has no <!-- {marker} -->"
    rows = []
    for line in after.splitlines():
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows[2:]


@cache
def reusable_workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(REUSABLE_WORKFLOW.read_text("utf-8"))
    return loaded


def workflow_trigger(workflow: dict[str, Any]) -> Any:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    return workflow.get("on", workflow.get(True))


def published_repository() -> str:
    """`owner/name` where guardrails is published: the reusable workflow's default."""
    inputs = workflow_trigger(reusable_workflow())["workflow_call"]["inputs"]
    repository: str = inputs["guardrails-repository"]["default"]
    return repository


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()
