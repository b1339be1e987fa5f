"""The Auditor: an actor that writes lifecycle and audit events to an audit store.

Producers never wait for it. Lifecycle events reach it from the system's
lifecycle listener (:func:`attach`, or ``listen=True``), which checks the
auditor's mailbox against ``mailbox_limit`` and, beyond it, drops the event
and counts it instead of queueing it: memory stays bounded however fast
events come, and every loss is counted and alerted. It keeps accepted events
in a backlog and writes them in batches, one transaction each: when
``batch_size`` (500) events are pending, or ``flush_interval`` (100 ms) on the
system clock after the first pending one, and when it terminates. An event
is *acknowledged* once its batch is committed: then ``on_commit(count,
last_seq)`` runs and :func:`stats` counts it.

It traps exits: its supervisor's ``"shutdown"`` (and a system shutdown)
runs ``terminate``, which writes every event that reached its mailbox before
the shutdown signal, then marks the run closed.

When a write fails (a locked database, a full disk), the batch stays in the
backlog, new events keep being accepted (up to ``max_backlog``; beyond it the
oldest are dropped and counted), and the write is retried with exponential
backoff on the system clock (50 ms, doubling, at most 5 s). A file that
cannot be opened (corrupt, another application's, a directory, no
permission) does not fail the start: the auditor starts *failing*, keeps
events in memory the same way, and retries; a corrupt file is moved aside
(``<name>.corrupt-<time>``) and a new one started, unless
``on_corrupt="retry"``. A file deleted or replaced while in use is noticed
before the next batch and a new one is started. Each failure episode is
reported once through ``on_alert("error", ...)`` when it starts and
``on_alert("info", ...)`` when writes succeed again; lost events are
reported with severity ``"critical"``.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final, Literal

import attrs

import actors
from actors import Caller, Error, GenServer, ProcessLifecycle, TimerRef, format_reason
from actors.audit._errors import AuditStoreError
from actors.audit._records import AuditEvent, AuditRecord
from actors.audit._sanitize import (
    MAX_DEPTH,
    MAX_PAYLOAD_CHARS,
    TRUNCATED_KEY,
    Cleaned,
    bounded_payload,
    clean_audit_event,
    clean_lifecycle,
    escape_text,
    safe_repr,
)
from actors.audit._store import AuditStore, RunAwareStore, SqliteAuditStore
from actors.lowlevel import current_process, lookup

__all__ = [
    "DEFAULT_MAILBOX_LIMIT",
    "DEFAULT_PATH",
    "LIFECYCLE_TAG",
    "PATH_CONFIG_KEY",
    "Auditor",
    "AuditorStats",
    "attach",
    "flush",
    "move_aside",
    "run_id_of",
    "stats",
]

logger = logging.getLogger("actors.audit")

DEFAULT_PATH: Final = "./actors-audit.db"
"""Where an Auditor writes when given neither a path nor a store nor config."""
PATH_CONFIG_KEY: Final = "audit_path"
"""``system.config[PATH_CONFIG_KEY]`` overrides :data:`DEFAULT_PATH`."""
LIFECYCLE_TAG: Final = "process_lifecycle_event"
"""The tag of lifecycle messages: ``("process_lifecycle_event", ProcessLifecycle)``."""
DEFAULT_MAILBOX_LIMIT: Final = 50_000
"""Messages an auditor's mailbox may hold before lifecycle events are dropped.
A full mailbox is written in about a second under a crash storm, well within
the 10 s a system shutdown waits; crash events carry their tracebacks, so in
memory it takes some tens of MiB."""
_RUN_KEY: Final = "actors.audit.run_id"

Encoder = Callable[[Any], dict[str, Any]]
CommitHook = Callable[[int, int], None]
AlertHook = Callable[[str, str, dict[str, Any]], None]
OnCorrupt = Literal["move_aside", "retry"]


@attrs.frozen(kw_only=True)
class AuditorStats:
    """A snapshot of an auditor, from :func:`stats` (the ``("stats",)`` call).

    Attributes:
        received: events accepted since it started.
        committed: events acknowledged (their batch was committed).
        pending: events in the backlog, not yet committed.
        dropped: accepted events lost: the oldest ones pushed out of a full
            backlog, and any that could not be written when it terminated.
        mailbox_dropped: lifecycle events never accepted because the
            auditor's mailbox held ``mailbox_limit`` messages (counted by its
            lifecycle listeners).
        failures: failed attempts to open the store or write (every retry counts).
        last_committed_seq: the ``seq`` of the last acknowledged event (until
            the first commit: the store's last ``seq`` when it opened).
        batches: committed transactions.
        failing: whether opening or writing is failing right now (a retry is
            scheduled).
        retry_delay: clock-seconds between the last failure and the next
            retry, while failing.
        encode_failures: payloads the encoder raised on (they are stored as
            the default encoder's bounded rendering).
        truncated: records stored with a value cut to the bounds (nesting
            depth, payload size, text length).
        escaped: records whose text had characters UTF-8 cannot hold (lone
            surrogates), stored escaped.
        malformed: records with fields of the wrong type, or messages the
            auditor could not take apart, stored with replacement values.
        store_open: whether a store is open (``False`` while a file cannot be
            opened).
        run_id: the run its entries are stamped with.
        moved_aside: files it moved aside because they were corrupt.
        last_error: the last store error, while failing.
    """

    received: int
    committed: int
    pending: int
    dropped: int
    mailbox_dropped: int
    failures: int
    last_committed_seq: int
    batches: int
    failing: bool
    retry_delay: float | None
    encode_failures: int
    truncated: int
    escaped: int
    malformed: int
    store_open: bool
    run_id: str
    moved_aside: tuple[str, ...]
    last_error: str | None


@attrs.frozen
class _Tick:
    """A timer message of the auditor's own (never confused with audited ones)."""

    kind: str  # "flush", "retry" or "rearm"
    token: int


class _MailboxGuard:
    """Shared by a lifecycle listener (any thread) and the auditor (its own
    thread): how many events the listener dropped at the mailbox limit, and
    whether the auditor was already told of the current episode."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self.dropped = 0
        self._notified = False

    def drop(self) -> bool:
        """Count one drop; ``True`` if this one starts a new episode."""
        with self._lock:
            self.dropped += 1
            if self._notified:
                return False
            self._notified = True
            return True

    def rearm(self) -> None:
        """The episode is over: the next drop starts a new one."""
        with self._lock:
            self._notified = False


@attrs.frozen(eq=False)
class _Overflow:
    """Sent (past the limit, once per episode) by a listener that dropped events."""

    guard: _MailboxGuard


class Auditor(GenServer):
    """Writes ``("process_lifecycle_event", event)`` and other ``(tag,
    payload)`` messages to a durable audit log, in batches.

    Start it before the actors it audits (a system and a supervisor stop
    their children in reverse start order, so it then records their last
    events), and feed it with ``listen=True``, :func:`attach` or a pub/sub
    subscription::

        with actors.ActorSystem() as system:
            auditor = Auditor.start("audit.db", listen=True, system=system)
            ...

    It runs on the ``"thread"`` runtime, so every callback below runs in its
    own thread, the one that owns the SQLite connection (created in
    ``init``); the hooks ``on_commit`` and ``on_alert`` run there too and
    must be quick. Its lifecycle listeners run in the threads where events
    happen and never wait.

    Messages (``handle_info``):

    * ``("process_lifecycle_event", ProcessLifecycle)``: a lifecycle event;
    * an :class:`~actors.audit.AuditEvent`: a generic entry as it is;
    * any other ``(tag, payload)`` with a ``str`` tag: a generic entry whose
      payload is encoded with ``encode``; its timestamp is the payload's
      ``timestamp`` (if an aware datetime), else the system clock's.

    Whatever a message holds, it never crashes the auditor: text UTF-8
    cannot hold is escaped, payloads are cut at ``max_depth`` levels and
    about ``max_payload_chars`` characters (and marked), wrong types are
    replaced, and each is counted in :class:`AuditorStats`.

    Calls: ``("stats",)`` returns :class:`AuditorStats`; ``("flush",)``
    writes the backlog now and returns the stats after it.

    Every entry carries the run id of the auditor's system (see
    :func:`run_id_of`); ``terminate`` marks the run closed after its last
    batch. The auditor's own ``stopped`` event, and anything after it (its
    supervisor's stop), comes after the store is closed and is never in its
    log: readers take a closed run's processes as ended when it closed.
    """

    runtime = "thread"

    def init(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        store: AuditStore | Callable[[], AuditStore] | None = None,
        encode: Encoder | None = None,
        listen: bool = False,
        mailbox_limit: int | None = DEFAULT_MAILBOX_LIMIT,
        batch_size: int = 500,
        flush_interval: float = 0.1,
        max_backlog: int = 100_000,
        on_corrupt: OnCorrupt = "move_aside",
        retry_initial: float = 0.05,
        retry_max: float = 5.0,
        busy_timeout: float = 0.2,
        alert_interval: float = 60.0,
        max_depth: int = MAX_DEPTH,
        max_payload_chars: int = MAX_PAYLOAD_CHARS,
        run_id: str | None = None,
        on_commit: CommitHook | None = None,
        on_alert: AlertHook | None = None,
    ) -> None:
        """Check the options and open the store; runs in the auditor's own thread.

        Args:
            path: the SQLite file (``":memory:"`` for a throw-away one);
                default ``system.config["audit_path"]``, else
                ``./actors-audit.db``.
            store: instead of ``path``, a store or a zero-argument factory
                (called here, in the auditor's thread, and again to reopen).
                The auditor closes the stores it opens or makes, not one
                given ready-made.
            encode: turns a generic payload into a JSON-safe dict (default
                :func:`~actors.audit.encode_payload`); what it returns is
                bounded again, and if it raises, the default one is used.
            listen: receive every lifecycle event of the auditor's system
                straight from its lifecycle listener (added here, removed
                when the auditor exits).
            mailbox_limit: messages the mailbox may hold before lifecycle
                listeners drop (and count) new events; ``None``: unbounded.
            batch_size: write as soon as this many events are pending.
            flush_interval: clock-seconds after the first pending event at
                which a partial batch is written.
            max_backlog: events kept while writes fail; beyond it the oldest
                are dropped (and counted). At least ``batch_size``.
            on_corrupt: what to do with a file SQLite says is corrupt (at
                start or while writing): ``"move_aside"`` (default) renames
                it (and its ``-wal``/``-shm``) to ``<name>.corrupt-<UTC
                time>`` and starts a new file at once; ``"retry"`` leaves it
                where it is, keeps events in memory and retries, for someone
                to repair or replace it. Another application's database or
                a newer schema is never moved: always retried.
            retry_initial, retry_max: the first retry comes ``retry_initial``
                clock-seconds after a failure; each further failure doubles
                the delay, up to ``retry_max``.
            busy_timeout: real seconds an SQLite write waits for another
                connection's lock before counting as a failure.
            alert_interval: clock-seconds between two alerts about a full
                mailbox (one per episode, at most one per interval).
            max_depth, max_payload_chars: bounds of a stored payload.
            run_id: the id entries are stamped with; default the system's
                (:func:`run_id_of`).
            on_commit: ``on_commit(count, last_seq)`` after each commit.
            on_alert: ``on_alert(severity, message, context)`` for failure
                episodes (``"error"``), recovery (``"info"``) and lost events
                (``"critical"``); ``context`` is a JSON-safe dict.

        Raises:
            ValueError, TypeError: a bad option, or a runtime other than
                ``"thread"``. A file that cannot be used never fails the
                start (see the module's description).
        """
        runtime = getattr(current_process(), "runtime", None)
        if runtime != "thread":
            msg = (
                "Auditor must run on the 'thread' runtime (its SQLite connection is "
                f"bound to its thread), not {runtime!r}"
            )
            raise ValueError(msg)
        self._batch_size = _positive_int("batch_size", batch_size)
        self._flush_interval = _positive_seconds("flush_interval", flush_interval)
        self._max_backlog = _positive_int("max_backlog", max_backlog)
        if self._max_backlog < self._batch_size:
            msg = f"max_backlog ({max_backlog}) must be at least batch_size ({batch_size})"
            raise ValueError(msg)
        self.mailbox_limit = (
            None if mailbox_limit is None else _positive_int("mailbox_limit", mailbox_limit)
        )
        if on_corrupt not in ("move_aside", "retry"):
            msg = f"on_corrupt must be 'move_aside' or 'retry', got {on_corrupt!r}"
            raise ValueError(msg)
        self._on_corrupt = on_corrupt
        self._retry_initial = _positive_seconds("retry_initial", retry_initial)
        self._retry_max = _positive_seconds("retry_max", retry_max)
        if self._retry_max < self._retry_initial:
            msg = f"retry_max ({retry_max}) must not be below retry_initial ({retry_initial})"
            raise ValueError(msg)
        self._alert_interval = _positive_seconds("alert_interval", alert_interval)
        self._max_depth = _positive_int("max_depth", max_depth)
        self._max_payload_chars = _positive_int("max_payload_chars", max_payload_chars)
        for hook_name, hook in (
            ("encode", encode),
            ("on_commit", on_commit),
            ("on_alert", on_alert),
        ):
            if hook is not None and not callable(hook):
                msg = f"{hook_name} must be callable, got {type(hook).__name__}"
                raise TypeError(msg)
        if run_id is not None and (not isinstance(run_id, str) or not run_id):
            msg = f"run_id must be a non-empty str, got {run_id!r}"
            raise ValueError(msg)
        self._encode = encode
        self._on_commit = on_commit
        self._on_alert = on_alert
        self._make_store, self._owns_store, self._path = self._store_maker(
            path, store, busy_timeout
        )
        self._file = self._path if self._path != ":memory:" else None
        self.run_id = run_id if run_id is not None else run_id_of(self.system)
        self.trap_exits = True  # the supervisor's "shutdown" runs terminate

        self._store: AuditStore | None = None
        self._backlog: deque[AuditRecord] = deque()
        self._received = 0
        self._committed = 0
        self._dropped = 0
        self._failures = 0
        self._batches = 0
        self._encode_failures = 0
        self._truncated = 0
        self._escaped = 0
        self._malformed = 0
        self._last_seq = 0
        self._flush_timer: TimerRef | None = None
        self._flush_token = 0
        self._retry_timer: TimerRef | None = None
        self._retry_token = 0
        self._retry_delay: float | None = None
        self._failing = False
        self._last_error: str | None = None
        self._episode_failures = 0
        self._episode_dropped = 0
        self._overflowing = False
        self._moved_aside: list[str] = []
        self._guards: list[_MailboxGuard] = []
        self._guard_seen: dict[_MailboxGuard, int] = {}
        self._rearm_token = 0
        self._detach: Callable[[], None] | None = None
        if listen:
            self._detach, guard = _attach(self.system, self.ref, self.mailbox_limit)
            self._guards.append(guard)
        self._open()

    def _store_maker(
        self,
        path: str | os.PathLike[str] | None,
        store: AuditStore | Callable[[], AuditStore] | None,
        busy_timeout: float,
    ) -> tuple[Callable[[], AuditStore], bool, str | None]:
        """How to (re)open the store, whether the auditor owns (closes) what
        it opens, and the file path if it is an SQLite file it opens."""
        if store is not None:
            if path is not None:
                msg = "give an Auditor either a path or a store, not both"
                raise ValueError(msg)
            if isinstance(store, type) or not hasattr(store, "append_batch"):
                if not callable(store):
                    msg = f"store must be an AuditStore or a factory, got {store!r}"
                    raise TypeError(msg)
                factory = store

                def make() -> AuditStore:
                    made = factory()
                    if not isinstance(made, AuditStore):
                        msg = f"the store factory returned {made!r}, not an AuditStore"
                        raise TypeError(msg)
                    return made

                return make, True, None
            if not isinstance(store, AuditStore):
                msg = f"store must be an AuditStore or a factory, got {store!r}"
                raise TypeError(msg)
            given = store
            return (lambda: given), False, None
        if path is None:
            path = self.system.config.get(PATH_CONFIG_KEY, DEFAULT_PATH)
        if not isinstance(path, str | os.PathLike):
            msg = f"the audit path must be a str or a path, got {path!r}"
            raise TypeError(msg)
        target = os.fspath(path)
        timeout = _seconds("busy_timeout", busy_timeout)
        if target.startswith(("postgresql://", "postgres://")):
            return (lambda: _postgres_store(target)), True, None
        return (lambda: SqliteAuditStore(target, busy_timeout=timeout)), True, target

    # Messages ------------------------------------------------------------------------

    def handle_info(self, message: Any) -> None:
        """Accept an event, or act on one of the auditor's own timers and notices.

        Runs in the auditor's own thread.
        """
        match message:
            case (str() as tag, payload) if tag == LIFECYCLE_TAG and isinstance(
                payload, ProcessLifecycle
            ):
                self._accept_lifecycle(payload)
            case _Tick("flush", token):
                if token == self._flush_token and self._flush_timer is not None:
                    self._flush_timer = None
                    if not self._failing:
                        self._write()
            case _Tick("retry", token):
                if token == self._retry_token and self._retry_timer is not None:
                    self._retry_timer = None
                    self._write(retrying=True)
            case _Tick("rearm", token):
                if token == self._rearm_token:
                    self._rearm()
            case _Overflow(guard):
                self._overflowed(guard)
            case ("EXIT", _, _):
                pass  # a link of someone else's; the parent's exit is the core's to handle
            case _:
                self._accept_other(message)

    def handle_call(self, request: Any, caller: Caller) -> Any:
        """``("stats",)`` and ``("flush",)``; anything else gets an ``Error``.

        Runs in the auditor's own thread.
        """
        match request:
            case ("stats",):
                return self._stats()
            case ("flush",):
                if self._backlog:
                    self._write()
                return self._stats()
        return Error("unknown_request", request=request)

    def terminate(self, reason: Any) -> None:
        """Write what is pending (once, without retrying), mark the run closed,
        then close the store. Runs on a supervisor's or the system's shutdown
        too (the auditor traps exits), after the messages already queued.

        Runs in the auditor's own thread.
        """
        self._cancel_flush()
        self._cancel_retry()
        detach, self._detach = self._detach, None
        if detach is not None:
            detach()
        try:
            if self._backlog:
                self._write(final=True)
            store = self._store
            if isinstance(store, RunAwareStore):
                try:
                    store.close_run(self.system.timestamp())
                except AuditStoreError as exc:
                    logger.warning("%s: could not mark run %s closed: %s", self, self.run_id, exc)
        finally:
            self._close_store()

    # Accepting -------------------------------------------------------------------------

    def _count(self, what: Cleaned) -> None:
        if what:
            self._truncated += what.truncated
            self._escaped += what.escaped
            self._malformed += what.replaced

    def _accept_lifecycle(self, event: ProcessLifecycle) -> None:
        try:
            event, what = clean_lifecycle(event, self.system.timestamp)
        except Exception as exc:  # nothing a publisher sends may crash the auditor
            self._accept_unauditable(event, exc)
            return
        self._count(what)
        self._accept(event)

    def _accept_other(self, message: Any) -> None:
        try:
            match message:
                case AuditEvent():
                    event, what = clean_audit_event(
                        message,
                        self.system.timestamp,
                        max_depth=self._max_depth,
                        max_chars=self._max_payload_chars,
                    )
                    self._count(what)
                    self._accept(event)
                case (str() as tag, payload):
                    self._accept(self._audit_event(tag, payload))
                case _:
                    logger.warning(
                        "%s ignored a message it cannot audit: %s", self, safe_repr(message)
                    )
        except Exception as exc:
            self._accept_unauditable(message, exc)

    def _accept_unauditable(self, message: Any, exc: Exception) -> None:
        """Keep a trace of a message that could not be taken apart at all."""
        self._malformed += 1
        logger.warning("%s could not audit a message: %s", self, safe_repr(exc))
        self._accept(
            AuditEvent(
                tag="unauditable",
                kind=type(message).__name__,
                payload={"repr": safe_repr(message), "error": safe_repr(exc)},
                timestamp=self.system.timestamp(),
            )
        )

    def _audit_event(self, tag: str, payload: Any) -> AuditEvent:
        depth, chars = self._max_depth, self._max_payload_chars
        if self._encode is None:
            encoded, what = bounded_payload(payload, max_depth=depth, max_chars=chars)
        else:
            try:
                raw = self._encode(payload)
                if not isinstance(raw, dict):
                    msg = f"encode returned {type(raw).__name__}, not a dict"
                    raise TypeError(msg)
            except Exception as exc:  # RecursionError on a deep payload included
                self._encode_failures += 1
                logger.warning(
                    "%s could not encode a %r payload: %s", self, tag, safe_repr(exc)[:200]
                )
                raw, _ = bounded_payload(payload, max_depth=depth, max_chars=chars)
                raw["encode_error"] = _reason_text(exc)
            encoded, what = bounded_payload(raw, max_depth=depth, max_chars=chars)
            if TRUNCATED_KEY in raw and not what.truncated:  # cut by the encoder itself
                what = attrs.evolve(what, truncated=True)
        self._count(what)
        stamp = getattr(payload, "timestamp", None)
        if not isinstance(stamp, datetime) or stamp.utcoffset() is None:
            stamp = self.system.timestamp()
        event, what = clean_audit_event(
            AuditEvent(tag=tag, kind=type(payload).__name__, payload=encoded, timestamp=stamp),
            self.system.timestamp,
            payload_checked=True,
        )
        self._count(what)
        return event

    def _accept(self, event: AuditRecord) -> None:
        self._received += 1
        backlog = self._backlog
        if len(backlog) >= self._max_backlog:
            backlog.popleft()
            self._dropped += 1
            self._episode_dropped += 1
            if not self._overflowing:
                self._overflowing = True
                self._alert(
                    "critical",
                    f"audit backlog is full ({self._max_backlog} events): dropping the oldest",
                    self._context(),
                )
        backlog.append(event)
        if self._failing:
            return  # the retry timer writes the backlog
        if len(backlog) >= self._batch_size:
            self._write()
        elif self._flush_timer is None:
            self._flush_token += 1
            self._flush_timer = actors.send_after(
                self.ref, _Tick("flush", self._flush_token), self._flush_interval
            )

    # The mailbox limit -----------------------------------------------------------------

    def _overflowed(self, guard: _MailboxGuard) -> None:
        if guard not in self._guards:
            self._guards.append(guard)  # a listener added with attach()
        self._guard_seen[guard] = guard.dropped
        self._alert(
            "critical",
            f"audit mailbox is full ({guard.limit} messages): new lifecycle events are "
            f"being dropped ({guard.dropped} so far)",
            self._context(mailbox_limit=guard.limit),
        )
        self._rearm_token += 1
        actors.send_after(self.ref, _Tick("rearm", self._rearm_token), self._alert_interval)

    def _rearm(self) -> None:
        still = False
        for guard, seen in list(self._guard_seen.items()):
            if guard.dropped > seen:
                still = True
                logger.warning(
                    "%s: audit mailbox still full: %d more lifecycle events dropped (%d in all)",
                    self,
                    guard.dropped - seen,
                    guard.dropped,
                )
                self._guard_seen[guard] = guard.dropped
            else:
                del self._guard_seen[guard]
                logger.info(
                    "%s: audit mailbox drops stopped (%d lifecycle events dropped in all)",
                    self,
                    guard.dropped,
                )
                guard.rearm()
        if still:
            self._rearm_token += 1
            actors.send_after(self.ref, _Tick("rearm", self._rearm_token), self._alert_interval)

    # Opening ---------------------------------------------------------------------------

    def _open(self, *, final: bool = False) -> AuditStore | None:
        """Open the store and start (or resume) the run; on failure enter or
        continue a failure episode (``final``: just report it)."""
        try:
            store = self._open_once()
        except AuditStoreError as exc:
            movable = exc.kind == "corrupt" and self._on_corrupt == "move_aside" and self._file
            if movable and self._move_corrupt(exc):
                try:
                    store = self._open_once()
                except AuditStoreError as again:
                    self._failed(again, "open", final=final)
                    return None
                return self._opened(store)
            self._failed(exc, "open", final=final)
            return None
        except Exception as exc:  # a store factory that fails some other way
            self._failed(AuditStoreError(_reason_text(exc), kind="other"), "open", final=final)
            return None
        return self._opened(store)

    def _open_once(self) -> AuditStore:
        store = self._make_store()
        if isinstance(store, RunAwareStore):
            try:
                store.open_run(self.run_id, node=self.system.node, opened=self.system.timestamp())
            except BaseException:
                if self._owns_store:
                    store.close()
                raise
        return store

    def _opened(self, store: AuditStore) -> AuditStore:
        self._store = store
        self._last_seq = store.last_seq()
        if isinstance(store, SqliteAuditStore) and store.path != ":memory:":
            self._file = store.path
        return store

    def _move_corrupt(self, exc: AuditStoreError) -> bool:
        target = self._file
        assert target is not None
        try:
            moved = move_aside(target, self.system.clock.now())
        except OSError as error:
            logger.error("%s: could not move the corrupt %r aside: %s", self, target, error)
            return False
        self._moved_aside.append(moved)
        self._alert(
            "error",
            f"audit log {target!r} is corrupt ({exc}); moved it to {moved!r} and started a new one",
            self._context(error=str(exc), moved_to=moved),
        )
        return True

    def _close_store(self) -> None:
        store, self._store = self._store, None
        if store is not None and self._owns_store:
            try:
                store.close()
            except Exception:
                logger.exception("%s: closing the audit store failed", self)

    # Writing ---------------------------------------------------------------------------

    def _write(self, *, final: bool = False, retrying: bool = False, moved: bool = False) -> bool:
        """Commit the whole backlog as one batch; returns whether it worked."""
        self._cancel_flush()
        backlog = self._backlog
        if not backlog and not (retrying and self._store is None):
            return True
        store = self._store
        if store is None:
            store = self._open(final=final)
            if store is None:
                return False
            if not backlog:
                self._recovered(0)
                return True
        if isinstance(store, RunAwareStore):
            try:
                store.verify()
            except AuditStoreError as exc:
                store = self._replace_lost_store(exc, final=final)
                if store is None:
                    return False
        batch = list(backlog)
        try:
            last = store.append_batch(batch)
        except AuditStoreError as exc:
            if (
                exc.kind == "corrupt"
                and self._on_corrupt == "move_aside"
                and self._file
                and not moved
            ):
                self._close_store()
                if self._move_corrupt(exc):
                    return self._write(final=final, moved=True)
            self._failed(exc, "write", final=final)
            return False
        # Only this thread touches the backlog: nothing arrived meanwhile.
        backlog.clear()
        count = len(batch)
        self._committed += count
        self._batches += 1
        self._last_seq = last
        self._overflowing = False
        if self._failing:
            self._recovered(count)
        if self._on_commit is not None:
            try:
                self._on_commit(count, last)
            except Exception:
                logger.exception("%s: on_commit hook %r failed", self, self._on_commit)
        return True

    def _replace_lost_store(self, exc: AuditStoreError, *, final: bool) -> AuditStore | None:
        """The file was deleted or replaced under the open store: start anew."""
        self._alert(
            "error",
            f"{exc}: entries committed to it since then are lost with it; "
            "starting a new audit log there",
            self._context(error=str(exc)),
        )
        self._close_store()
        return self._open(final=final)

    def _failed(self, exc: AuditStoreError, what: str, *, final: bool) -> None:
        self._failures += 1
        self._episode_failures += 1
        self._last_error = str(exc)
        if final:
            lost = len(self._backlog)
            self._backlog.clear()
            self._dropped += lost
            if lost:
                self._alert(
                    "critical",
                    f"audit log closing with {lost} events that could not be written: {exc}",
                    self._context(error=str(exc), lost=lost),
                )
            return
        if not self._failing:
            self._failing = True
            self._episode_failures = 1
            self._episode_dropped = 0
            delay = self._retry_initial
            doing = "cannot be opened" if what == "open" else "writes are failing"
            self._alert(
                "error",
                f"audit log {doing}, keeping events in memory and retrying: {exc}",
                self._context(error=str(exc), kind=exc.kind, retry_in_s=delay),
            )
        else:
            assert self._retry_delay is not None
            delay = min(self._retry_delay * 2, self._retry_max)
            logger.warning(
                "%s: audit %s failed again (attempt %d, %d pending), retrying in %.3gs: %s",
                self,
                what,
                self._episode_failures,
                len(self._backlog),
                delay,
                exc,
            )
        self._retry_delay = delay
        self._cancel_retry()
        self._retry_token += 1
        self._retry_timer = actors.send_after(self.ref, _Tick("retry", self._retry_token), delay)

    def _recovered(self, written: int) -> None:
        if not self._failing:
            return
        failed = self._episode_failures
        self._failing = False
        self._retry_delay = None
        self._last_error = None
        self._cancel_retry()
        self._alert(
            "info",
            f"audit log writes recovered after {failed} failed attempts; {written} events written",
            self._context(failed_attempts=failed, written=written, lost=self._episode_dropped),
        )
        self._episode_failures = 0
        self._episode_dropped = 0

    def _cancel_flush(self) -> None:
        timer = self._flush_timer
        if timer is not None:
            self._flush_timer = None
            actors.cancel_timer(timer)

    def _cancel_retry(self) -> None:
        timer = self._retry_timer
        if timer is not None:
            self._retry_timer = None
            actors.cancel_timer(timer)

    # Reporting -------------------------------------------------------------------------

    def _context(self, **extra: Any) -> dict[str, Any]:
        store = self._store
        where = self._path or (repr(store) if store is not None else None)
        return {
            "auditor": self.ref.id,
            "store": getattr(store, "path", where),
            "run_id": self.run_id,
            "pending": len(self._backlog),
            "failures": self._failures,
            "dropped": self._dropped,
            "mailbox_dropped": sum(g.dropped for g in self._guards),
            **extra,
        }

    def _alert(self, severity: str, message: str, context: dict[str, Any]) -> None:
        # A file name decoded with surrogateescape must not break the report.
        message = escape_text(message)
        context, _ = bounded_payload(context)
        level = {"info": logging.INFO, "error": logging.ERROR}.get(severity, logging.CRITICAL)
        logger.log(level, "%s: %s", self, message)
        if self._on_alert is not None:
            try:
                self._on_alert(severity, message, context)
            except Exception:
                logger.exception("%s: on_alert hook %r failed", self, self._on_alert)

    def _stats(self) -> AuditorStats:
        return AuditorStats(
            received=self._received,
            committed=self._committed,
            pending=len(self._backlog),
            dropped=self._dropped,
            mailbox_dropped=sum(g.dropped for g in self._guards),
            failures=self._failures,
            last_committed_seq=self._last_seq,
            batches=self._batches,
            failing=self._failing,
            retry_delay=self._retry_delay,
            encode_failures=self._encode_failures,
            truncated=self._truncated,
            escaped=self._escaped,
            malformed=self._malformed,
            store_open=self._store is not None,
            run_id=self.run_id,
            moved_aside=tuple(self._moved_aside),
            last_error=self._last_error,
        )


# Helpers for the other side -------------------------------------------------------------


def run_id_of(system: actors.ActorSystem) -> str:
    """The run id of ``system``: made once per system (12 hex digits) and
    stamped on every entry its auditors write, so runs that share an audit
    file can be told apart (``actors audit --run``)."""
    found = system.extensions.get(_RUN_KEY)
    if found is None:
        found = system.extensions.setdefault(_RUN_KEY, uuid.uuid4().hex[:12])
    return str(found)


def move_aside(path: str | os.PathLike[str], now: datetime) -> str:
    """Rename the file ``path`` (and its ``-wal``, ``-shm`` and ``-journal``
    files) to ``<path>.corrupt-<UTC time>``; returns the new name.

    Raises:
        OSError: it could not be renamed.
    """
    source = os.fspath(path)
    base = f"{source}.corrupt-{now.strftime('%Y%m%dT%H%M%S')}"
    target, n = base, 1
    while os.path.lexists(target):
        n += 1
        target = f"{base}-{n}"
    os.replace(source, target)
    for suffix in ("-wal", "-shm", "-journal"):
        if os.path.lexists(source + suffix):
            os.replace(source + suffix, target + suffix)
    return target


def _attach(
    system: actors.ActorSystem, auditor: Any, limit: int | None
) -> tuple[Callable[[], None], _MailboxGuard]:
    guard = _MailboxGuard(limit)
    fixed = auditor if isinstance(auditor, actors.Ref) else None
    removers: list[Callable[[], None]] = []

    def forward(event: ProcessLifecycle) -> None:
        ref = fixed
        if ref is None:
            proc = lookup(auditor, system)
            if proc is None:
                system.count_dead_letters()  # between two incarnations
                return
            ref = proc.ref
        elif not ref.is_alive():
            while removers:
                removers.pop()()  # its own last event: it will get no more
            return
        if limit is not None and ref.message_queue_len() >= limit:
            if guard.drop():
                actors.send(ref, _Overflow(guard))
            return
        actors.send(ref, (LIFECYCLE_TAG, event))

    remove = system.add_lifecycle_listener(forward)
    removers.append(remove)
    return remove, guard


def attach(
    system: actors.ActorSystem,
    auditor: Any,
    *,
    mailbox_limit: int | None = DEFAULT_MAILBOX_LIMIT,
) -> Callable[[], None]:
    """Send every lifecycle event of ``system`` to ``auditor``; returns a remover.

    The listener runs in the thread where each event happens and never
    waits: it only enqueues ``("process_lifecycle_event", event)``, and when
    the auditor's mailbox already holds ``mailbox_limit`` messages it drops
    the event instead, counts it (``AuditorStats.mailbox_dropped``) and has
    the auditor alert once per episode. With a registered name as
    ``auditor``, events reach whichever incarnation holds the name; events
    while nobody does are counted as dead letters. Given a ref, the listener
    removes itself once that auditor has exited.
    """
    if mailbox_limit is not None:
        _positive_int("mailbox_limit", mailbox_limit)
    remove, _ = _attach(system, auditor, mailbox_limit)
    return remove


def stats(
    auditor: Any, timeout: float | None = 5.0, *, system: actors.ActorSystem | None = None
) -> AuditorStats:
    """The auditor's :class:`AuditorStats` (a call: it answers after the
    messages already in its mailbox)."""
    result: AuditorStats = actors.call(auditor, ("stats",), timeout, system=system)
    return result


def flush(
    auditor: Any, timeout: float | None = 5.0, *, system: actors.ActorSystem | None = None
) -> AuditorStats:
    """Make the auditor write everything sent to it before this call; returns
    its :class:`AuditorStats` afterwards (``pending == 0`` unless writes fail)."""
    result: AuditorStats = actors.call(auditor, ("flush",), timeout, system=system)
    return result


def _reason_text(exc: BaseException) -> str:
    try:
        return format_reason(exc)
    except Exception:
        return safe_repr(exc)


def _positive_int(what: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        msg = f"{what} must be a positive int, got {value!r}"
        raise ValueError(msg)
    return value


def _positive_seconds(what: str, value: Any) -> float:
    seconds = _seconds(what, value)
    if not seconds > 0:
        msg = f"{what} must be a positive number of seconds, got {value!r}"
        raise ValueError(msg)
    return seconds


def _seconds(what: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        msg = f"{what} must be a non-negative number of seconds, got {value!r}"
        raise ValueError(msg)
    return float(value)


def _postgres_store(url: str) -> AuditStore:
    """The audit log on PostgreSQL (imported here: psycopg is an optional extra)."""
    try:
        from actors.audit._pg_store import PostgresAuditStore
    except ImportError as exc:
        msg = (
            f"an audit log on PostgreSQL needs psycopg ({exc.name} is missing): "
            "pip install 'actors-otp[postgres]'"
        )
        raise AuditStoreError(msg) from None
    return PostgresAuditStore(url)
