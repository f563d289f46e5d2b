"""Moved to `guardrails.text.columns` (below every layer); importable from here until
code written against the old place is updated."""

from guardrails.text.columns import *  # noqa: F403
