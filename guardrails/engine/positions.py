"""Moved to `guardrails.analysis.positions`; importable from here until code
written against the old place is updated."""

from guardrails.analysis.positions import *  # noqa: F403
