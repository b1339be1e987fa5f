"""The ``actors`` command line (also ``python -m actors``).

Subcommands:

* ``actors demo``: a small supervised-free actor application that shows
  calls, casts, links, monitors and lifecycle events as they happen.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="actors", description="Erlang/OTP-style actors for Python: demo and tools."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo = commands.add_parser("demo", help="run the demo application")
    demo.add_argument("--quiet", action="store_true", help="print only the summary, not each event")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo":
        from actors.cli._demo import run_demo

        return run_demo(quiet=args.quiet, out=sys.stdout)
    parser.error(f"unknown command {args.command!r}")
    return 2  # pragma: no cover - parser.error exits
