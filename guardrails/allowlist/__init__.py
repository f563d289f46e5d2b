"""The testcase allowlist (see `toml_text`)."""

from guardrails.allowlist.toml_text import (
    Allowlist,
    CheckedFile,
    Entry,
    FlaggedTestcase,
    allowlist_name,
    load_allowlist,
    parse_allowlist,
    remove_entries,
    run_sync,
    stale_entries,
    write_atomically,
)

__all__ = [
    "Allowlist",
    "CheckedFile",
    "Entry",
    "FlaggedTestcase",
    "allowlist_name",
    "load_allowlist",
    "parse_allowlist",
    "remove_entries",
    "run_sync",
    "stale_entries",
    "write_atomically",
]
