"""The ``events`` and ``subscriptions`` arguments, apart from their commands
so that building the parser (``actors --help``, ``actors audit``) does not
import the event store."""

from __future__ import annotations

from typing import Any, Final

__all__ = ["DEFAULT_EVENTS", "add_commands"]

DEFAULT_EVENTS: Final = "./actors-events.db"


def add_commands(commands: Any) -> None:
    """Register ``events`` and ``subscriptions`` on the ``actors`` parser."""
    events = commands.add_parser("events", help="list an event store's streams, or print one")
    events.add_argument("path", nargs="?", default=DEFAULT_EVENTS, metavar="PATH")
    events.add_argument("stream", nargs="?", metavar="STREAM", help="a stream, or $all")
    events.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    events.add_argument("--follow", action="store_true", help="keep printing new events")
    subscriptions = commands.add_parser(
        "subscriptions", help="persistent subscription groups: lag, in flight, parked"
    )
    subscriptions.add_argument("path", nargs="?", default=DEFAULT_EVENTS, metavar="PATH")
    subscriptions.add_argument(
        "--replay-parked",
        nargs=2,
        metavar=("STREAM", "GROUP"),
        help="send the group's parked messages again",
    )
    subscriptions.add_argument("--json", action="store_true", help="JSON lines instead of a table")
