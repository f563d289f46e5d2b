"""GR3: testcase metadata. `run_only_f32_variant` and `skip_numeric_validation` hide
coverage, so each use must be listed, with a reason, in the allowlist.

The names here are what `allowlist sync` reads too; importing them imports
neither LibCST nor the allowlist."""

from __future__ import annotations

import re

COLLECTOR_NAME = "testcase-flags"
# Every flag is spelled out somewhere in the file that sets it (a literal key, a
# keyword argument or a module-level dict merged in), so files without either
# name cannot hold one and are not parsed.
FLAG_PRESCAN = re.compile(r"run_only_f32_variant|skip_numeric_validation")
