"""The commit feed of a PostgreSQL store: other processes' commits, as callbacks.

Every append and delete commits a ``NOTIFY`` on the store's channel with
``"<commit_seq> <last_position> <instance> <stream>"``; ``commit_seq`` is
gap-free in commit order (assigned under the same lock as positions). One
:class:`CommitFeed` per backend holds a dedicated connection that
``LISTEN``\\ s, and calls the backend's commit callbacks for commits made by
*other* instances (the backend calls them itself, in the committing
thread, for its own).

Nothing depends on a notification arriving, because followers read the
store from their own cursor; a notification only says "read now". So a
lost one costs latency, never an event:

* a notification whose ``commit_seq`` is not the next one, a poll every
  ``poll_interval`` seconds that finds ``commit_seq`` ahead of the last
  seen, and every reconnect, all *catch up*: one statement reads the
  streams whose ``changed_seq`` is above the last seen and wakes their
  followers;
* a dropped connection (``pg_terminate_backend``, a server restart, a
  network cut) is reconnected with exponential backoff (50 ms doubling to
  2 s, forever, until the backend is closed), then ``LISTEN`` again and
  catch up from the last commit seen.

The same connection beats the instance's heartbeat every
``heartbeat_interval`` seconds (server time), which is how other
processes tell that this one's consumers are alive.

Runs one daemon thread per backend (``actors-pg-feed``); callbacks run in it.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections.abc import Callable
from typing import Any, Final

import attrs
import psycopg

from actors.eventstore._pg_url import PgTarget

__all__ = ["CommitFeed", "FeedStats", "parse_payload"]

logger = logging.getLogger("actors.eventstore")

_MIN_BACKOFF: Final = 0.05
_MAX_BACKOFF: Final = 2.0

Deliver = Callable[[tuple[str, ...], int], None]


@attrs.frozen
class FeedStats:
    """A snapshot of a feed's counters."""

    notifications: int
    """Commit notifications received (all instances)."""
    catch_ups: int
    """Reads of the changed streams (after a gap, a poll that found news, a reconnect)."""
    reconnects: int
    """Times the listener connection was lost and made again."""
    connected: bool
    last_seen: int
    """The last ``commit_seq`` seen."""


def parse_payload(payload: str) -> tuple[str, int, int, str, str] | None:
    """``(kind, commit_seq, last_position, instance, stream)``; ``None`` if malformed.

    ``kind`` is ``"commit"`` or ``"wake"`` (group work handed to another
    process, no commit: ``commit_seq`` and ``last_position`` are ``-1``).
    """
    parts = payload.split(" ", 3)
    if len(parts) != 4:
        return None
    if parts[0] == "wake":
        return ("wake", -1, -1, parts[2], parts[3]) if parts[1] == "-" else None
    try:
        return ("commit", int(parts[0]), int(parts[1]), parts[2], parts[3])
    except ValueError:
        return None


class CommitFeed:
    """See the module docstring.

    Args:
        target: where the store is.
        connect: makes a new autocommit connection (the backend's settings).
        instance: this backend's instance id (its own commits are skipped).
        deliver: ``deliver(streams, last_position)``, called in the feed's thread.
        beat: ``beat(conn)`` writes the heartbeat (and re-registers the
            instance if another process reaped it).
    """

    def __init__(
        self,
        target: PgTarget,
        connect: Callable[[], psycopg.Connection[Any]],
        instance: str,
        deliver: Deliver,
        beat: Callable[[psycopg.Connection[Any]], None],
        *,
        poll_interval: float,
        heartbeat_interval: float,
    ) -> None:
        self._target = target
        self._connect = connect
        self._instance = instance
        self._deliver = deliver
        self._beat = beat
        self._poll_interval = poll_interval
        self._heartbeat_interval = heartbeat_interval
        s = f'"{target.schema}"'
        self._catch_up_sql = (
            f"SELECT m.commit_seq, m.last_position, ARRAY(SELECT stream FROM {s}.streams "
            "WHERE changed_seq > %s AND changed_by IS DISTINCT FROM %s ORDER BY changed_seq) "
            f"FROM {s}.es_meta m"
        )
        self._seq_sql = f"SELECT commit_seq FROM {s}.es_meta"
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._conn: psycopg.Connection[Any] | None = None
        self._last_seen = -1
        self._last_position = -1
        self._notifications = 0
        self._catch_ups = 0
        self._reconnects = 0
        self._thread: threading.Thread | None = None

    # Life ------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect, ``LISTEN`` and start the thread; commits from now on are
        fed. Raises the driver's error if the first connection fails."""
        conn = self._open()
        row = conn.execute(self._catch_up_sql, (2**62, self._instance)).fetchone()
        assert row is not None
        self._last_seen, self._last_position = int(row[0]), int(row[1])
        self._conn = conn
        self._thread = threading.Thread(target=self._run, name="actors-pg-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and close the connection; idempotent."""
        if self._stop.is_set():
            return
        self._stop.set()
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10.0)
        self._close_conn()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def stats(self) -> FeedStats:
        return FeedStats(
            self._notifications,
            self._catch_ups,
            self._reconnects,
            self._conn is not None,
            self._last_seen,
        )

    @property
    def backend_pid(self) -> int | None:
        """The server process of the listener connection (tests terminate it)."""
        conn = self._conn
        return None if conn is None else conn.info.backend_pid

    # The thread ----------------------------------------------------------------------------

    def _open(self) -> psycopg.Connection[Any]:
        conn = self._connect()
        try:
            conn.execute(f'LISTEN "{self._target.channel}"')
            self._beat(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _close_conn(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def _run(self) -> None:
        delay = _MIN_BACKOFF
        while not self._stop.is_set():
            conn = self._conn
            if conn is None:
                try:
                    conn = self._open()
                    self._conn = conn
                    self._catch_up(conn)
                except psycopg.Error as exc:
                    self._close_conn()
                    logger.debug(
                        "event store feed %s: reconnect failed: %s",
                        self._target.masked,
                        self._target.scrub(str(exc).splitlines()[0] if str(exc) else ""),
                    )
                    self._stop.wait(delay)
                    delay = min(delay * 2, _MAX_BACKOFF)
                    continue
                logger.info("event store feed %s: reconnected", self._target.masked)
                delay = _MIN_BACKOFF
            try:
                self._serve(conn)
            except (psycopg.Error, OSError, ValueError) as exc:
                if self._stop.is_set():
                    break
                self._reconnects += 1
                text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                logger.warning(
                    "event store feed %s lost its connection (%s); reconnecting",
                    self._target.masked,
                    self._target.scrub(text),
                )
                self._close_conn()
            except Exception:
                # A callback that raised: logged, and the feed goes on.
                logger.exception(
                    "event store feed %s: a commit callback failed", self._target.masked
                )

    def _serve(self, conn: psycopg.Connection[Any]) -> None:
        now = time.monotonic()
        next_poll = now + self._poll_interval
        next_beat = now + self._heartbeat_interval
        sock = conn.fileno()
        while not self._stop.is_set():
            timeout = max(0.0, min(next_poll, next_beat) - time.monotonic())
            ready, _, _ = select.select([sock, self._wake_r], [], [], timeout)
            if self._stop.is_set():
                return
            if sock in ready:
                got = list(conn.notifies(timeout=0))
                for notify in got:
                    self._handle(conn, notify.payload)
                if not got:
                    # Readable with nothing to show: a partial message, or the
                    # server closing the connection; a query tells which.
                    self._poll(conn)
            now = time.monotonic()
            if now >= next_poll:
                self._poll(conn)
                next_poll = now + self._poll_interval
            if now >= next_beat:
                self._beat(conn)
                next_beat = now + self._heartbeat_interval

    def _handle(self, conn: psycopg.Connection[Any], payload: str) -> None:
        parsed = parse_payload(payload)
        if parsed is None:
            logger.warning(
                "event store feed %s: ignoring notification %r", self._target.masked, payload[:200]
            )
            return
        kind, seq, position, instance, stream = parsed
        if kind == "wake":
            if instance != self._instance:
                self._deliver((stream,), self._last_position)
            return
        self._notifications += 1
        if seq <= self._last_seen:
            return  # already covered by a catch-up
        if seq != self._last_seen + 1:
            self._catch_up(conn)  # some were lost (sent while we reconnected)
            return
        self._last_seen = seq
        self._last_position = max(self._last_position, position)
        if instance != self._instance:
            self._deliver((stream,), position)

    def _poll(self, conn: psycopg.Connection[Any]) -> None:
        row = conn.execute(self._seq_sql).fetchone()
        if row is not None and int(row[0]) > self._last_seen:
            self._catch_up(conn)

    def _catch_up(self, conn: psycopg.Connection[Any]) -> None:
        row = conn.execute(self._catch_up_sql, (self._last_seen, self._instance)).fetchone()
        if row is None:
            return
        seq, position, streams = int(row[0]), int(row[1]), tuple(row[2])
        self._catch_ups += 1
        self._last_seen = max(self._last_seen, seq)
        self._last_position = max(self._last_position, position)
        if streams:
            self._deliver(streams, position)
