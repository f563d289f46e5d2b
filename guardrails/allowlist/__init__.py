"""The testcase allowlist: which testcases may set `run_only_f32_variant` or
`skip_numeric_validation`, and why.

The file (`guardrails-allowlist.toml` beside the configuration by default) holds
`[[allow]]` tables::

    [[allow]]
    flag = "run_only_f32_variant"
    context = "primitives.lax"
    component = "add"          # optional, default "*"
    testcase = "add_const"     # exact name or glob, optional, default "*"
    file = "jax2onnx/plugins/jax/lax/add.py"  # optional: where the flag lives
    reason = "ORT has no float64 Add kernel on CPU"

An entry covers a flagged testcase when the flags are equal and context, component
and testcase match (globs with `fnmatch` rules). Leaving out component and testcase
allows a whole context, as jax2onnx does for `examples.maxtext`.

`file` scopes staleness (GR302): an entry is judged only when its file was part of
the check (or no longer exists), so a pre-commit run on a few files never calls the
rest of the allowlist stale. An entry without `file` is judged when a checked file
flags a testcase of its context and component.

A missing allowlist file is an empty allowlist: every flag is then a finding. TOML
readers cannot keep comments, so `allowlist sync` edits the text block by block:
existing entries, their order and comments stay as written.

By concern: `model` (entries, flagged testcases, checked files), `toml_text`
(reading, checking and editing the file's text), `staleness` (GR302's verdict)
and `upstream_skip_lists` (jax2onnx's own skip list, read statically). The
`allowlist sync` command drives the check engine, so it lives above it, in
`guardrails.sync`; this package is data the rules read.
"""

from guardrails.allowlist.model import (
    Allowlist,
    CheckedFile,
    Entry,
    FlaggedTestcase,
    allowlist_name,
    checked_file,
)
from guardrails.allowlist.staleness import stale_entries
from guardrails.allowlist.toml_text import (
    load_allowlist,
    parse_allowlist,
    remove_entries,
    write_atomically,
)

__all__ = [
    "Allowlist",
    "CheckedFile",
    "Entry",
    "FlaggedTestcase",
    "allowlist_name",
    "checked_file",
    "load_allowlist",
    "parse_allowlist",
    "remove_entries",
    "stale_entries",
    "write_atomically",
]
