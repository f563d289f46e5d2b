"""Moved to `guardrails.text.source` (below every layer); importable from here until
code written against the old place is updated."""

from guardrails.text.source import *  # noqa: F403
