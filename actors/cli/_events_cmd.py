"""``actors events`` and ``actors subscriptions``: look into an event store file.

* ``actors events [PATH]``: the streams, with their state and counts.
* ``actors events PATH STREAM [--json] [--follow]``: a stream's events
  (``$all`` for every stream); ``--follow`` keeps printing new ones.
* ``actors subscriptions [PATH]``: persistent subscription groups with lag,
  in-flight, waiting and parked counts.
* ``actors subscriptions PATH --replay-parked STREAM GROUP``: send a
  group's parked messages to its consumers again.

The file (or a ``postgresql://`` URL: a PostgreSQL store) is opened as a
tool (never created, no recovery), so these commands can run beside the
processes that own the store. A missing file,
a file that is not an event store, an unknown stream or group: one line on
stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from datetime import UTC, datetime
from typing import Any, Final, TextIO

from actors.cli._events_args import DEFAULT_EVENTS
from actors.cli._render import Style, table
from actors.eventstore import (
    ALL,
    Backend,
    EventStoreError,
    RecordedEvent,
    SqliteBackend,
    StreamDeleted,
    StreamNotFound,
    encode,
    is_postgres_url,
    open_postgres,
)

__all__ = ["DEFAULT_EVENTS", "run", "run_events", "run_subscriptions"]

PAGE: Final = 1000
DATA_WIDTH: Final = 60
POLL: Final = 0.2


def run(args: argparse.Namespace, out: TextIO, err: TextIO = sys.stderr) -> int:
    """Dispatch a parsed ``events`` / ``subscriptions`` command."""
    if args.command == "events":
        if args.follow and args.stream is None:
            print("actors events: --follow needs a STREAM", file=err)
            return 2
        return run_events(
            args.path, args.stream, as_json=args.json, follow=args.follow, out=out, err=err
        )
    return run_subscriptions(
        args.path, replay=args.replay_parked, as_json=args.json, out=out, err=err
    )


def _open(path: str, command: str, err: TextIO) -> Backend | None:
    try:
        if is_postgres_url(path):
            # A PostgreSQL store: a tool's connection (no commit feed; --follow polls).
            return open_postgres(path, listen=False, role="tool")
        return SqliteBackend(path, create=False)
    except (EventStoreError, ValueError) as exc:
        print(f"actors {command}: {exc}", file=err)
        return None


def _json_text(value: Any) -> str:
    return encode(value)[0] if value is not None else "null"


def _event_json(event: RecordedEvent) -> str:
    return json.dumps(
        {
            "stream": event.stream,
            "version": event.version,
            "position": event.position,
            "id": event.id,
            "type": event.type,
            "created": event.created.isoformat(),
            "data": json.loads(_json_text(event.data)),
            "metadata": json.loads(_json_text(event.metadata)),
        },
        sort_keys=True,
    )


def _short(text: str) -> str:
    return text if len(text) <= DATA_WIDTH else text[: DATA_WIDTH - 1] + "…"


def _header(everything: bool) -> str:
    head = f"{'position':>8}  {'stream':<20}" if everything else f"{'version':>8}"
    return f"{head}  {'created':<23}  {'type':<24}  data"


def _event_line(event: RecordedEvent, everything: bool) -> str:
    """One event on one line, in fixed columns (``--follow`` adds lines later)."""
    when = event.created.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    head = f"{event.position:>8}  {event.stream:<20}" if everything else f"{event.version:>8}"
    return f"{head}  {when:<23}  {event.type:<24}  {_short(_json_text(event.data))}"


def run_events(
    path: str,
    stream: str | None,
    *,
    as_json: bool,
    follow: bool,
    out: TextIO,
    err: TextIO = sys.stderr,
    stop: threading.Event | None = None,
) -> int:
    backend = _open(path, "events", err)
    if backend is None:
        return 1
    try:
        if stream is None:
            return _list_streams(backend, as_json, out)
        return _print_stream(backend, stream, as_json, follow, out, err, stop or threading.Event())
    finally:
        backend.close()


def _list_streams(backend: Backend, as_json: bool, out: TextIO) -> int:
    streams = backend.list_streams()
    if as_json:
        for s in streams:
            print(
                json.dumps(
                    {
                        "stream": s.stream,
                        "state": s.state,
                        "events": s.count,
                        "last_version": s.last_version,
                        "last_position": s.last_position,
                    }
                ),
                file=out,
            )
        return 0
    if not streams:
        print("no streams", file=out)
        return 0
    rows = [(s.stream, s.state, s.count, s.last_version, s.last_position) for s in streams]
    print(
        table(
            ["stream", "state", "events", "last version", "last position"], rows, right=[2, 3, 4]
        ),
        file=out,
    )
    return 0


def _print_stream(
    backend: Backend,
    stream: str,
    as_json: bool,
    follow: bool,
    out: TextIO,
    err: TextIO,
    stop: threading.Event,
) -> int:
    everything = stream == ALL
    cursor = 0
    printed_header = False
    style = Style(out)
    while True:
        try:
            if everything:
                page = backend.read_all(cursor, PAGE, False, None)
                events, cursor, end = list(page.events), page.next_position, page.end_of_all
            else:
                found = backend.read_stream(stream, cursor, PAGE, False, datetime.now(UTC))
                events, cursor, end = list(found.events), found.next_version, found.end_of_stream
        except StreamNotFound as exc:
            if not follow:
                print(f"actors events: {exc}", file=err)
                return 1
            events, end = [], True
        except StreamDeleted as exc:
            print(f"actors events: {exc}", file=err)
            return 1
        if as_json:
            for event in events:
                print(_event_json(event), file=out)
        elif events:
            if not printed_header:
                print(style(_header(everything), "bold"), file=out)
                printed_header = True
            for event in events:
                print(_event_line(event, everything), file=out)
        out.flush()
        if end:
            if not follow:
                if not printed_header and not as_json:
                    print(style("no events", "dim"), file=out)
                return 0
            if stop.wait(POLL):
                return 0


def run_subscriptions(
    path: str,
    *,
    replay: list[str] | None,
    as_json: bool,
    out: TextIO,
    err: TextIO = sys.stderr,
) -> int:
    backend = _open(path, "subscriptions", err)
    if backend is None:
        return 1
    try:
        if replay is not None:
            stream, group = replay
            try:
                count = backend.replay_parked(stream, group)
            except EventStoreError as exc:
                print(f"actors subscriptions: {exc}", file=err)
                return 1
            noun = "message" if count == 1 else "messages"
            print(f"replayed {count} parked {noun} of group {group!r} on {stream!r}", file=out)
            return 0
        groups = backend.list_groups()
    except EventStoreError as exc:
        print(f"actors subscriptions: {exc}", file=err)
        return 1
    finally:
        backend.close()
    if as_json:
        for g in groups:
            print(
                json.dumps(
                    {
                        "stream": g.stream,
                        "group": g.group,
                        "strategy": g.settings.consumer_strategy,
                        "consumers": g.consumers,
                        "checkpoint": g.checkpoint,
                        "last": g.last_key,
                        "lag": g.lag,
                        "in_flight": g.in_flight,
                        "waiting": g.waiting,
                        "parked": g.parked,
                    }
                ),
                file=out,
            )
        return 0
    if not groups:
        print("no persistent subscriptions", file=out)
        return 0
    rows = [
        (
            g.stream,
            g.group,
            g.settings.consumer_strategy,
            g.consumers,
            g.checkpoint,
            g.last_key,
            g.lag,
            g.in_flight,
            g.waiting,
            g.parked,
        )
        for g in groups
    ]
    headers = [
        "stream",
        "group",
        "strategy",
        "consumers",
        "checkpoint",
        "last",
        "lag",
        "in flight",
        "waiting",
        "parked",
    ]
    print(table(headers, rows, right=list(range(3, 10))), file=out)
    return 0
