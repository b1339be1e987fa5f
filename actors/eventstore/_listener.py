"""``Listener`` and ``FanoutListener``: Extreme's two listener behaviours.

``Listener`` is a catch-up consumer with a checkpoint *you* keep: it asks
``get_last_event(stream)`` where it stopped, reads from the next event,
hands each to ``process_push(event, stream)`` (which returns
``("ok", event_number)``), and does so again after any restart, so it
resumes at checkpoint + 1. Keep the checkpoint in the same transaction as
the projection's own writes (:class:`ProjectionDB` does that for SQLite)
and every event is applied exactly once, crashes included.

``FanoutListener`` is live only (no history, no checkpoint): for forwarding
events, to web sockets for instance. Events committed while it is down are
not seen by it.

Both are GenServers: place them in a supervisor *after* the store. Their
callbacks run in the listener's own turn (a pool worker, or its thread
with ``runtime = "thread"``).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import actors
from actors.eventstore._api import read_and_stay_subscribed, subscribe_to, unsubscribe
from actors.eventstore._store import resolve_store
from actors.eventstore._subscription import DEFAULT_PAGE_SIZE
from actors.eventstore._types import ALL, EventFilter, RecordedEvent
from actors.eventstore._validate import check_stream

__all__ = ["FanoutListener", "Listener", "ProjectionDB", "pause", "resume"]

logger = logging.getLogger("actors.eventstore")


class Listener(actors.GenServer):
    """A catch-up consumer with a client-side checkpoint (Extreme.Listener).

    Subclass it and define :meth:`get_last_event` and :meth:`process_push`
    (optionally :meth:`caught_up` and :meth:`on_init`)::

        class MyListener(eventstore.Listener):
            def on_init(self, db):
                self.db = db

            def get_last_event(self, stream):
                return self.db.last_event(stream)          # -1 if none

            def process_push(self, event, stream):
                with self.db.transaction(stream, event.version) as conn:
                    conn.execute("INSERT INTO people VALUES (?)", (event.data["name"],))
                return ("ok", event.version)

        sv.child_spec("my_listener", MyListener, store, "people", db, name="MyListener")

    Start arguments: ``(store, stream, *args, page_size=500, filter=None,
    **kwargs)``; ``args``/``kwargs`` go to :meth:`on_init`. ``stream`` may
    be ``"$all"`` (the event numbers are then positions).

    A push that is not ``("ok", n)``, or an exception, crashes the listener;
    its supervisor restarts it and it resumes after its checkpoint (the
    failed event is redelivered). Pushes it has already processed (numbers
    up to its last checkpoint, e.g. still queued from an old subscription)
    are skipped.
    """

    page_size: ClassVar[int] = DEFAULT_PAGE_SIZE

    def init(
        self,
        store: Any,
        stream: str,
        *args: Any,
        page_size: int | None = None,
        filter: EventFilter | None = None,
        **kwargs: Any,
    ) -> None:
        """Runs in the thread that starts it (in its own thread with ``runtime = "thread"``)."""
        self.store = resolve_store(store, self.system)
        self.stream = check_stream(stream, allow_all=True)
        self.filter = filter
        self._page_size = page_size or self.page_size
        self.last_event = -1
        self.mode = "starting"
        self._subscription: Any = None
        self._monitor: actors.MonitorRef | None = None
        self.on_init(*args, **kwargs)
        self.continue_with(("subscribe",))

    # Hooks for subclasses ------------------------------------------------------------

    def on_init(self, *args: Any, **kwargs: Any) -> None:
        """Set up your state; receives the extra start arguments.

        Runs inside ``init``: in the thread that starts the listener (a
        supervisor's, for a child), or its own thread with ``runtime = "thread"``.
        """
        if args or kwargs:
            msg = f"{type(self).__name__}.on_init() takes no arguments; define it to accept them"
            raise TypeError(msg)

    def get_last_event(self, stream: str) -> int:
        """The last event number processed on ``stream``, ``-1`` if none.

        Called before every (re)subscription, in the listener's turn: a pool
        worker, or its own thread with ``runtime = "thread"``.
        """
        raise NotImplementedError(f"{type(self).__name__} must define get_last_event(stream)")

    def process_push(self, event: RecordedEvent, stream: str) -> tuple[str, int]:
        """Process one event; return ``("ok", event_number)``.

        Runs in the listener's turn (``handle_info``): a pool worker, or its
        own thread with ``runtime = "thread"``; one event at a time, in order.
        """
        raise NotImplementedError(f"{type(self).__name__} must define process_push(event, stream)")

    def caught_up(self) -> None:
        """Called once the history is processed (optional), in the listener's
        turn (a pool worker, or its own thread with ``runtime = "thread"``)."""

    # Machinery ----------------------------------------------------------------------

    def _key(self, event: RecordedEvent) -> int:
        return event.position if self.stream == ALL else event.version

    def _subscribe(self) -> None:
        last = self.get_last_event(self.stream)
        if isinstance(last, bool) or not isinstance(last, int) or last < -1:
            msg = f"{type(self).__name__}.get_last_event() must return an int >= -1, got {last!r}"
            raise TypeError(msg)
        self.last_event = last
        self._subscription = read_and_stay_subscribed(
            self.store,
            self.stream,
            last + 1,
            self.ref,
            filter=self.filter,
            page_size=self._page_size,
        )
        self._monitor = actors.monitor(self._subscription)
        self.mode = "live"

    def _unsubscribe(self) -> None:
        if self._monitor is not None:
            actors.demonitor(self._monitor)
            self._monitor = None
        if self._subscription is not None:
            unsubscribe(self._subscription)
            self._subscription = None

    def handle_continue(self, arg: Any) -> None:
        """Runs in a pool worker (its own thread with ``runtime = "thread"``)."""
        if self.mode != "paused":
            self._subscribe()

    def handle_info(self, message: Any) -> None:
        """Runs in a pool worker (its own thread with ``runtime = "thread"``)."""
        match message:
            case ("on_event", RecordedEvent() as event):
                if self.mode != "live" or self._key(event) <= self.last_event:
                    return
                result = self.process_push(event, self.stream)
                match result:
                    case ("ok", int(number)) if not isinstance(number, bool):
                        self.last_event = number
                    case _:
                        msg = (
                            f"{type(self).__name__}.process_push() must return "
                            f"('ok', event_number), got {result!r}"
                        )
                        raise TypeError(msg)
            case ("caught_up",):
                if self.mode == "live":
                    self.caught_up()
            case ("DOWN", ref, "process", _, reason) if ref is self._monitor:
                self._monitor = self._subscription = None
                if self.mode == "live":
                    logger.info("%s: subscription ended (%r), subscribing again", self, reason)
                    self.continue_with(("subscribe",))
            case ("extreme", "unsubscribed") | ("extreme", "warn", "no_stream", _):
                pass  # not a problem for a listener: it catches up when events come
            case ("extreme", *problem):
                logger.warning("%s: %s", self, problem)
            case _:
                super().handle_info(message)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """Runs in a pool worker or, when the actor is idle, in the caller's thread
        (in its own thread with ``runtime = "thread"``)."""
        match request:
            case ("pause",):
                self.mode = "paused"
                self._unsubscribe()
                return ("ok", self.last_event)
            case ("resume",):
                if self.mode == "paused":
                    self._subscribe()
                return "ok"
            case ("last_event",):
                return self.last_event
        msg = f"{type(self).__name__} received an unknown call {request!r}"
        raise ValueError(msg)


def pause(listener: Any, *, system: actors.ActorSystem | None = None) -> tuple[str, int]:
    """Stop a listener's subscription; returns ``("ok", last_event)``.
    Events committed meanwhile are processed after :func:`resume`."""
    result: tuple[str, int] = actors.call(listener, ("pause",), system=system)
    return result


def resume(listener: Any, *, system: actors.ActorSystem | None = None) -> str:
    """Subscribe a paused listener again from ``get_last_event() + 1``; returns ``"ok"``."""
    result: str = actors.call(listener, ("resume",), system=system)
    return result


class FanoutListener(actors.GenServer):
    """A live-only listener for forwarding (Extreme.FanoutListener).

    Define :meth:`process_push` (and optionally :meth:`on_init`). It
    subscribes in ``init`` (so it is subscribed once ``start`` returns) and
    again whenever its subscription goes down. Start arguments as for
    :class:`Listener`.
    """

    def init(
        self,
        store: Any,
        stream: str,
        *args: Any,
        filter: EventFilter | None = None,
        **kwargs: Any,
    ) -> None:
        """Runs in the thread that starts it (in its own thread with ``runtime = "thread"``)."""
        self.store = resolve_store(store, self.system)
        self.stream = check_stream(stream, allow_all=True)
        self.filter = filter
        self._subscription: Any = None
        self._monitor: actors.MonitorRef | None = None
        self.on_init(*args, **kwargs)
        self._subscribe()

    def on_init(self, *args: Any, **kwargs: Any) -> None:
        """Set up your state; runs inside ``init``, in the thread that starts
        the listener (its own thread with ``runtime = "thread"``)."""
        if args or kwargs:
            msg = f"{type(self).__name__}.on_init() takes no arguments; define it to accept them"
            raise TypeError(msg)

    def process_push(self, event: RecordedEvent) -> Any:
        """Forward one live event; the return value is ignored.

        Runs in the listener's turn: a pool worker, or its own thread with
        ``runtime = "thread"``.
        """
        raise NotImplementedError(f"{type(self).__name__} must define process_push(event)")

    def _subscribe(self) -> None:
        self._subscription = subscribe_to(self.store, self.stream, self.ref, filter=self.filter)
        self._monitor = actors.monitor(self._subscription)

    def handle_info(self, message: Any) -> None:
        """Runs in a pool worker (its own thread with ``runtime = "thread"``)."""
        match message:
            case ("on_event", RecordedEvent() as event):
                if self._subscription is not None:
                    self.process_push(event)
            case ("DOWN", ref, "process", _, _) if ref is self._monitor:
                self._monitor = self._subscription = None
                self._subscribe()
            case ("extreme", *_):
                pass
            case _:
                super().handle_info(message)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """Runs in a pool worker or, when the actor is idle, in the caller's thread
        (in its own thread with ``runtime = "thread"``)."""
        match request:
            case ("unsubscribe",):
                if self._monitor is not None:
                    actors.demonitor(self._monitor)
                    self._monitor = None
                if self._subscription is not None:
                    unsubscribe(self._subscription)
                    self._subscription = None
                return "ok"
            case ("resubscribe",):
                if self._subscription is None:
                    self._subscribe()
                return "ok"
        msg = f"{type(self).__name__} received an unknown call {request!r}"
        raise ValueError(msg)


class ProjectionDB:
    """A projection's SQLite file that keeps its listener's checkpoints in
    the same transactions as the projection's writes (exactly-once).

    ``transaction(stream, event_number)`` opens ``BEGIN IMMEDIATE``, gives
    you the connection for your writes, then records the checkpoint and
    commits; an exception rolls everything back (the event is then
    delivered again after the listener restarts). Thread-safe: one lock
    around the connection.

    Args:
        path: the projection's file (WAL, ``synchronous=FULL``), or ``":memory:"``.
        listener: whose checkpoints these are (several listeners can share a file).
    """

    def __init__(self, path: str | os.PathLike[str], listener: str = "default") -> None:
        self.path = os.fspath(path)
        self.listener = listener
        self._lock = threading.RLock()
        self.connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        if self.path != ":memory:":
            self.connection.execute("PRAGMA journal_mode=WAL").fetchone()
            self.connection.execute("PRAGMA synchronous=FULL")
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS es_checkpoints (listener TEXT NOT NULL, "
            "stream TEXT NOT NULL, last_event INTEGER NOT NULL, PRIMARY KEY (listener, stream))"
        )

    def __enter__(self) -> ProjectionDB:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def last_event(self, stream: str) -> int:
        """The checkpoint of ``stream``: the last event number committed, ``-1`` if none."""
        with self._lock:
            row = self.connection.execute(
                "SELECT last_event FROM es_checkpoints WHERE listener = ? AND stream = ?",
                (self.listener, stream),
            ).fetchone()
        return -1 if row is None else int(row[0])

    @contextmanager
    def transaction(self, stream: str, event_number: int) -> Iterator[sqlite3.Connection]:
        """Your writes and the checkpoint ``event_number``, committed together."""
        with self._lock:
            conn = self.connection
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute(
                    "INSERT INTO es_checkpoints (listener, stream, last_event) VALUES (?, ?, ?) "
                    "ON CONFLICT (listener, stream) DO UPDATE SET last_event = excluded.last_event",
                    (self.listener, stream, event_number),
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            self.connection.close()
