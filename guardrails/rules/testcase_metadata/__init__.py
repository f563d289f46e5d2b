"""GR3: testcase metadata. `run_only_f32_variant` and `skip_numeric_validation` hide
coverage, so each use must be listed, with a reason, in the allowlist.

The names here are what `allowlist sync` reads too; importing them imports
neither LibCST nor the allowlist."""

from __future__ import annotations

from guardrails.analysis.harness import FLAG_TEXT

COLLECTOR_NAME = "testcase-flags"
# Files without a flag's name cannot set one and are not parsed; the allowlist
# judges a file without facts by the same text (`allowlist.checked_file`).
FLAG_PRESCAN = FLAG_TEXT
