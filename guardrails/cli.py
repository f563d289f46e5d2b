"""Argument parsing only: dispatches to check, rules, rule, gate and allowlist."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from guardrails import __version__
from guardrails.terminal import printable
from guardrails.types import UsageError

FORMATS = ("text", "json", "sarif", "github")


def _codes(value: str) -> list[str]:
    codes = [code.strip().upper() for code in value.split(",")]
    if not all(codes):
        # An empty code would be a prefix of every code: select everything.
        raise argparse.ArgumentTypeError(f"empty rule code in {value!r}")
    return codes


class _Parser(argparse.ArgumentParser):
    """Errors as the README promises: one line on stderr, exit 2, no usage dump.
    Subcommand parsers are of this class too (`add_subparsers` uses the parent's)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"guardrails: error: {' '.join(message.split())}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="guardrails",
        description="Policy checker and export gate for the jax2onnx code base.",
    )
    parser.add_argument(
        "--version", action="version", version=f"guardrails {__version__}"
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    check = commands.add_parser(
        "check", help="check Python files against the guardrails"
    )
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="default: .")
    check.add_argument(
        "--package", metavar="NAME", help="check an installed package's source"
    )
    check.add_argument(
        "--select", type=_codes, metavar="CODES", help="codes or prefixes"
    )
    check.add_argument(
        "--ignore", type=_codes, metavar="CODES", help="codes or prefixes"
    )
    check.add_argument(
        "--format", "--output-format", dest="format", choices=FORMATS, default="text"
    )
    check.add_argument(
        "--output", type=Path, metavar="FILE", help="write the report here"
    )
    check.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even with findings"
    )
    check.add_argument(
        "--statistics", action="store_true", help="count findings per rule"
    )
    check.add_argument(
        "--no-cache", action="store_true", help="do not read or write the cache"
    )
    check.add_argument(
        "--force-exclude",
        action="store_true",
        help="skip excluded files even when named explicitly (for pre-commit)",
    )
    check.add_argument(
        "--fix", action="store_true", help="apply the safe fixes, then report the rest"
    )
    check.add_argument(
        "--add-ignore",
        dest="add_ignore",
        action="store_const",
        const="",
        help="append `# guardrails: ignore[CODES]` to each finding's line "
        "(--add-ignore=REASON adds a reason), then report the rest",
    )
    # `--add-ignore=REASON` arrives here (see _reason_after_equals).
    check.add_argument("--add-ignore-reason", dest="add_ignore", help=argparse.SUPPRESS)
    check.add_argument("--config", type=Path, metavar="FILE", help="configuration file")

    commands.add_parser("rules", help="list every rule")
    rule = commands.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code")

    gate = commands.add_parser(
        "gate", help="export the gated examples and diff their specs"
    )
    gate.add_argument(
        "--update", action="store_true", help="write or refresh spec files"
    )
    gate.add_argument(
        "--only", metavar="PATTERN", help="testcase ids matching this glob"
    )
    gate.add_argument(
        "--format",
        "--output-format",
        dest="format",
        choices=("text", "json"),
        default="text",
    )
    gate.add_argument(
        "--summary", type=Path, metavar="FILE", help="markdown summary here"
    )
    gate.add_argument(
        "--no-cache",
        action="store_true",
        help="export every testcase, reusing no earlier verdict",
    )
    gate.add_argument(
        "--parallel",
        action="store_true",
        help="probe float64 in a second process beside the float32 work "
        "(faster on two cores; the two processes' memory together)",
    )
    gate.add_argument("--config", type=Path, metavar="FILE", help="configuration file")

    allowlist = commands.add_parser("allowlist", help="maintain the testcase allowlist")
    allowlist_commands = allowlist.add_subparsers(
        dest="allowlist_command", required=True, metavar="COMMAND", parser_class=_Parser
    )
    sync = allowlist_commands.add_parser("sync", help="add new entries, keep the rest")
    sync.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="default: .")
    sync.add_argument(
        "--package", metavar="NAME", help="scan an installed package's source"
    )
    sync.add_argument("--prune", action="store_true", help="remove stale entries")
    sync.add_argument(
        "--allowlist",
        type=Path,
        metavar="FILE",
        help="the allowlist to write (default: the configured one); needed for "
        "an installed package's flags",
    )
    sync.add_argument("--config", type=Path, metavar="FILE", help="configuration file")
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.command == "check":
        from guardrails.check import run_check

        return run_check(args)
    if args.command == "rules":
        from guardrails.rules import all_rules

        for rule in all_rules():
            print(f"{rule.code}  {rule.name:<28} {rule.summary()}")
        return 0
    if args.command == "rule":
        from guardrails.rules import rule_by_code

        found = rule_by_code(args.code)
        if found is None:
            raise UsageError(f"unknown rule: {args.code}")
        print(f"# {found.code} {found.name}\n\n{found.documentation()}")
        return 0
    if args.command == "gate":
        from guardrails.config import load_config
        from guardrails.gate import run_gate

        return run_gate(load_config(args.config), args)
    if args.command == "allowlist":
        from guardrails.sync import run_sync

        return run_sync(args)
    raise AssertionError(args.command)


def _reason_after_equals(argv: Sequence[str]) -> list[str]:
    """`--add-ignore` takes a reason only as `--add-ignore=REASON`, as ruff's
    `--add-noqa` takes none: `--add-ignore .` is the flag and a path."""
    words = list(argv)
    for index, word in enumerate(words):
        if word == "--":
            break
        if word.startswith("--add-ignore="):
            reason = word.removeprefix("--add-ignore=")
            words[index] = f"--add-ignore-reason={reason}"
    return words


def main(argv: Sequence[str] | None = None) -> int:
    # A file name that is not UTF-8 reaches a report as surrogates: written as
    # escapes, never an encoding error halfway through the output.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    parser = _parser()
    try:
        args = parser.parse_args(
            _reason_after_equals(sys.argv[1:] if argv is None else argv)
        )
    except SystemExit as done:  # --help, --version, or a bad command line
        return int(done.code or 0)
    try:
        return _run(args)
    except UsageError as error:
        # One line, whatever path or value the error quotes.
        print(f"guardrails: error: {printable(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130  # as a shell reports a command Ctrl-C stopped, quietly
    except BrokenPipeError:
        # `guardrails rules | head -1`: the reader has gone. Nothing more can be
        # said, and Python's own flush at exit must not fail again.
        with contextlib.suppress(OSError, ValueError):  # no descriptor: no flush
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        return 141  # as a shell reports a command SIGPIPE stopped
