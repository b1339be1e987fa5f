"""The ``actors`` command line (also ``python -m actors``).

* ``actors demo [--duration S] [--audit PATH]``: the demo application, live.
* ``actors audit [PATH] [--since 10m] [--type crashed] [--name X] [--run ID]
  [--json]``, ``actors audit --summary`` and ``actors audit --runs``: the
  lifecycle audit log.
* ``actors tree [--after S]``: the demo application's supervision tree.
* ``actors events [PATH] [STREAM] [--json] [--follow]`` and
  ``actors subscriptions [PATH] [--replay-parked STREAM GROUP]``: an event store.
* ``actors dashboard [--demo] [--port N] [--allow-actions]``: the web dashboard.
* ``actors store init|migrate|status URL``: a PostgreSQL event store's schema.
* ``actors --version``.

Bad arguments print one error line and exit with status 2; a missing,
unreadable or unusable audit log prints one line and exits with status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import NoReturn

import actors
from actors.audit import known_event_types
from actors.cli._render import parse_duration

__all__ = ["main"]

DEFAULT_AUDIT = "./actors-audit.db"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``actors: error: ...`` and status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _seconds(text: str) -> float:
    seconds = _duration(text).total_seconds()
    if seconds <= 0:
        msg = f"must be more than zero: {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return seconds


def _event_types(text: str) -> tuple[str, ...]:
    """``crashed``, ``Crashed`` or ``crashed,restarted``."""
    types = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    known = known_event_types()
    unknown = [t for t in types if t not in known]
    if unknown or not types:
        msg = f"unknown event type {text!r} (one or more of: {', '.join(sorted(known))})"
        raise argparse.ArgumentTypeError(msg)
    return types


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"must be a positive integer: {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="actors", description="Erlang/OTP-style actors for Python: demo and tools."
    )
    parser.add_argument("--version", action="version", version=f"actors {actors.__version__}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )

    demo = commands.add_parser("demo", help="run the demo application (live view on a terminal)")
    demo.add_argument(
        "--duration", type=_seconds, default=10.0, metavar="S", help="how long (default 10s)"
    )
    demo.add_argument(
        "--audit",
        default=DEFAULT_AUDIT,
        metavar="PATH|URL",
        help=f"audit log: a file, or a postgresql:// URL (default {DEFAULT_AUDIT})",
    )

    audit = commands.add_parser("audit", help="show the lifecycle audit log")
    audit.add_argument("path", nargs="?", default=DEFAULT_AUDIT, metavar="PATH")
    audit.add_argument("--since", type=_duration, metavar="AGE", help="e.g. 10m, 2h, 1d")
    audit.add_argument(
        "--type",
        dest="event_type",
        type=_event_types,
        metavar="EVENT",
        help=f"one or more (comma-separated) of: {', '.join(sorted(known_event_types()))}",
    )
    audit.add_argument("--name", metavar="NAME", help="registered name or child id (as shown)")
    audit.add_argument("--component", metavar="CLASS", help="actor class name")
    audit.add_argument(
        "--supervisor", metavar="NAME", help="children of this supervisor (name or child id)"
    )
    audit.add_argument(
        "--run", metavar="ID", help="only this run (see --runs; 'last' for the latest)"
    )
    audit.add_argument("--limit", type=_positive_int, metavar="N", help="only the latest N")
    audit.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    shown = audit.add_mutually_exclusive_group()
    shown.add_argument(
        "--summary", action="store_true", help="event counts, restarts and top crash reasons"
    )
    shown.add_argument("--runs", action="store_true", help="the runs that wrote the log")

    tree = commands.add_parser("tree", help="print the demo application's supervision tree")
    tree.add_argument(
        "--after",
        type=_duration,
        default=timedelta(0),
        metavar="S",
        help="let it run (traffic, crashes) this long first",
    )
    from actors.cli._events_args import add_commands as add_event_commands

    add_event_commands(commands)
    from actors.cli._dashboard_cmd import add_command as add_dashboard_command

    add_dashboard_command(commands)
    from actors.cli._store_cmd import add_commands as add_store_commands

    add_store_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    out = sys.stdout
    _escape_unencodable(out)
    _escape_unencodable(sys.stderr)
    try:
        if args.command == "demo":
            from actors.cli._demo import run_demo

            return run_demo(duration=args.duration, audit=args.audit, out=out)
        if args.command == "audit":
            from actors.cli._audit_cmd import run_audit

            return run_audit(
                args.path,
                since=args.since,
                event_type=args.event_type,
                name=args.name,
                component=args.component,
                supervisor=args.supervisor,
                run=args.run,
                limit=args.limit,
                as_json=args.json,
                summary=args.summary,
                runs=args.runs,
                out=out,
            )
        if args.command == "dashboard":
            from actors.cli._dashboard_cmd import run as run_dashboard

            return run_dashboard(args, out)
        if args.command in ("events", "subscriptions"):
            from actors.cli._events_cmd import run as run_event_command

            return run_event_command(args, out)
        if args.command == "store":
            from actors.cli._store_cmd import run as run_store_command

            return run_store_command(args, out)
        from actors.cli._tree_cmd import run_tree

        return run_tree(after=args.after.total_seconds(), out=out)
    except KeyboardInterrupt:
        print("actors: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _escape_unencodable(stream: object) -> None:
    """Print what the terminal's encoding cannot show as escapes, not a traceback."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors="backslashreplace")
        except (ValueError, OSError):
            pass
