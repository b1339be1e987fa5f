"""The Auditor: an actor that writes lifecycle and audit events to an audit store.

Producers never wait for it: they only :func:`~actors.send` to it (its
mailbox is unbounded), and nothing it does waits on them. It keeps events in
a backlog and writes them in batches, one transaction each: when
``batch_size`` (500) events are pending, or ``flush_interval`` (100 ms) on the
system clock after the first pending one, and when it terminates. An event
is *acknowledged* once its batch is committed: then ``on_commit(count,
last_seq)`` runs and :func:`stats` counts it.

When a write fails (a locked database, a full disk), the batch stays in the
backlog, new events keep being accepted (up to ``max_backlog``; beyond it the
oldest are dropped and counted), and the write is retried with exponential
backoff on the system clock (50 ms, doubling, at most 5 s). Each failure
episode is reported once through ``on_alert("error", ...)`` when it starts
and ``on_alert("info", ...)`` when writes succeed again; dropping events is
reported with severity ``"critical"``.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

import attrs

from actors._api import call as _call
from actors._api import cancel_timer, send, send_after
from actors._envelopes import Caller
from actors._errors import NoProcError
from actors._genserver import GenServer
from actors._lifecycle import ProcessLifecycle
from actors._reasons import format_reason
from actors._result import Error
from actors._system import ActorSystem
from actors._timers import TimerRef
from actors.audit._encode import encode_payload
from actors.audit._errors import AuditStoreError
from actors.audit._records import AuditEvent, AuditRecord
from actors.audit._store import AuditStore, SqliteAuditStore

__all__ = [
    "DEFAULT_PATH",
    "LIFECYCLE_TAG",
    "PATH_CONFIG_KEY",
    "Auditor",
    "AuditorStats",
    "attach",
    "flush",
    "stats",
]

logger = logging.getLogger("actors.audit")

DEFAULT_PATH: Final = "./actors-audit.db"
"""Where an Auditor writes when given neither a path nor a store nor config."""
PATH_CONFIG_KEY: Final = "audit_path"
"""``system.config[PATH_CONFIG_KEY]`` overrides :data:`DEFAULT_PATH`."""
LIFECYCLE_TAG: Final = "process_lifecycle_event"
"""The tag of lifecycle messages: ``("process_lifecycle_event", ProcessLifecycle)``."""

Encoder = Callable[[Any], dict[str, Any]]
CommitHook = Callable[[int, int], None]
AlertHook = Callable[[str, str, dict[str, Any]], None]


@attrs.frozen(kw_only=True)
class AuditorStats:
    """A snapshot of an auditor, from :func:`stats` (the ``("stats",)`` call).

    Attributes:
        received: events accepted since it started.
        committed: events acknowledged (their batch was committed).
        pending: events in the backlog, not yet committed.
        dropped: events lost: the oldest ones pushed out of a full backlog,
            and any that could not be written when it terminated.
        failures: failed write attempts (every retry counts).
        last_committed_seq: the ``seq`` of the last acknowledged event (until
            the first commit: the store's last ``seq`` when the auditor started).
        batches: committed transactions.
        failing: whether writes are failing right now (a retry is scheduled).
        retry_delay: clock-seconds between the last failure and the next
            retry, while failing.
        encode_failures: payloads the encoder could not encode (they are
            stored as their ``repr``).
    """

    received: int
    committed: int
    pending: int
    dropped: int
    failures: int
    last_committed_seq: int
    batches: int
    failing: bool
    retry_delay: float | None
    encode_failures: int


@attrs.frozen
class _Tick:
    """A timer message of the auditor's own (never confused with audited ones)."""

    kind: str  # "flush" or "retry"
    token: int


class Auditor(GenServer):
    """Writes ``("process_lifecycle_event", event)`` and other ``(tag,
    payload)`` messages to a durable audit log, in batches.

    Start it before the actors it audits (a system shuts down in reverse
    start order, so it then records their last events), and feed it with
    :func:`attach` or a pub/sub subscription::

        with actors.ActorSystem() as system:
            auditor = Auditor.start("audit.db", name="auditor", system=system)
            attach(system, auditor)
            ...

    It runs on the ``"thread"`` runtime, so every callback below runs in its
    own thread, the one that owns the SQLite connection (created in
    ``init``); the hooks ``on_commit`` and ``on_alert`` run there too and
    must be quick.

    Messages (``handle_info``):

    * ``("process_lifecycle_event", ProcessLifecycle)``: a lifecycle event;
    * an :class:`~actors.audit.AuditEvent`: a generic entry as it is;
    * any other ``(tag, payload)`` with a ``str`` tag: a generic entry whose
      payload is encoded with ``encode``; its timestamp is the payload's
      ``timestamp`` (if an aware datetime), else the system clock's.

    Calls: ``("stats",)`` returns :class:`AuditorStats`; ``("flush",)``
    writes the backlog now and returns the stats after it.

    The auditor's own ``stopped`` event is emitted after it has closed its
    store, so it never appears in its log.
    """

    runtime = "thread"

    def init(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        store: AuditStore | Callable[[], AuditStore] | None = None,
        encode: Encoder = encode_payload,
        batch_size: int = 500,
        flush_interval: float = 0.1,
        max_backlog: int = 100_000,
        retry_initial: float = 0.05,
        retry_max: float = 5.0,
        busy_timeout: float = 0.2,
        on_commit: CommitHook | None = None,
        on_alert: AlertHook | None = None,
    ) -> None:
        """Open the store; runs in the auditor's own thread.

        Args:
            path: the SQLite file (``":memory:"`` for a throw-away one);
                default ``system.config["audit_path"]``, else
                ``./actors-audit.db``.
            store: instead of ``path``, a store or a zero-argument factory
                (called here, in the auditor's thread). The auditor closes
                the stores it opens or makes, not one given ready-made.
            encode: turns a generic payload into a JSON-safe dict.
            batch_size: write as soon as this many events are pending.
            flush_interval: clock-seconds after the first pending event at
                which a partial batch is written.
            max_backlog: events kept while writes fail; beyond it the oldest
                are dropped (and counted). At least ``batch_size``.
            retry_initial, retry_max: the first retry comes ``retry_initial``
                clock-seconds after a failure; each further failure doubles
                the delay, up to ``retry_max``.
            busy_timeout: real seconds an SQLite write waits for another
                connection's lock before counting as a failure.
            on_commit: ``on_commit(count, last_seq)`` after each commit.
            on_alert: ``on_alert(severity, message, context)`` for failure
                episodes (``"error"``), recovery (``"info"``) and lost events
                (``"critical"``); ``context`` is a JSON-safe dict.

        Raises:
            ValueError, TypeError: a bad option, or a runtime other than
                ``"thread"``.
            AuditStoreError: the file cannot be used (the start fails with
                :class:`~actors.StartError` whose ``cause`` is this).
        """
        if self._proc.runtime != "thread":
            msg = (
                "Auditor must run on the 'thread' runtime (its SQLite connection is "
                f"bound to its thread), not {self._proc.runtime!r}"
            )
            raise ValueError(msg)
        self._batch_size = _positive_int("batch_size", batch_size)
        self._flush_interval = _positive_seconds("flush_interval", flush_interval)
        self._max_backlog = _positive_int("max_backlog", max_backlog)
        if self._max_backlog < self._batch_size:
            msg = f"max_backlog ({max_backlog}) must be at least batch_size ({batch_size})"
            raise ValueError(msg)
        self._retry_initial = _positive_seconds("retry_initial", retry_initial)
        self._retry_max = _positive_seconds("retry_max", retry_max)
        if self._retry_max < self._retry_initial:
            msg = f"retry_max ({retry_max}) must not be below retry_initial ({retry_initial})"
            raise ValueError(msg)
        for hook_name, hook in (
            ("encode", encode),
            ("on_commit", on_commit),
            ("on_alert", on_alert),
        ):
            if hook is not None and not callable(hook):
                msg = f"{hook_name} must be callable, got {type(hook).__name__}"
                raise TypeError(msg)
        self._encode = encode
        self._on_commit = on_commit
        self._on_alert = on_alert
        self._store, self._owns_store = self._open_store(path, store, busy_timeout)

        self._backlog: deque[AuditRecord] = deque()
        self._received = 0
        self._committed = 0
        self._dropped = 0
        self._failures = 0
        self._batches = 0
        self._encode_failures = 0
        self._last_seq = self._store.last_seq()
        self._flush_timer: TimerRef | None = None
        self._flush_token = 0
        self._retry_timer: TimerRef | None = None
        self._retry_token = 0
        self._retry_delay: float | None = None
        self._failing = False
        self._episode_failures = 0
        self._episode_dropped = 0
        self._overflowing = False

    def _open_store(
        self,
        path: str | os.PathLike[str] | None,
        store: AuditStore | Callable[[], AuditStore] | None,
        busy_timeout: float,
    ) -> tuple[AuditStore, bool]:
        if store is not None:
            if path is not None:
                msg = "give an Auditor either a path or a store, not both"
                raise ValueError(msg)
            if isinstance(store, type) or not hasattr(store, "append_batch"):
                if not callable(store):
                    msg = f"store must be an AuditStore or a factory, got {store!r}"
                    raise TypeError(msg)
                made = store()
                if not isinstance(made, AuditStore):
                    msg = f"the store factory returned {made!r}, not an AuditStore"
                    raise TypeError(msg)
                return made, True
            assert isinstance(store, AuditStore)
            return store, False
        if path is None:
            path = self.system.config.get(PATH_CONFIG_KEY, DEFAULT_PATH)
        if not isinstance(path, str | os.PathLike):
            msg = f"the audit path must be a str or a path, got {path!r}"
            raise TypeError(msg)
        return SqliteAuditStore(path, busy_timeout=_seconds("busy_timeout", busy_timeout)), True

    # Messages ------------------------------------------------------------------------

    def handle_info(self, message: Any) -> None:
        """Accept an event, or act on one of the auditor's own timers."""
        match message:
            case (str() as tag, payload) if tag == LIFECYCLE_TAG and isinstance(
                payload, ProcessLifecycle
            ):
                self._accept(payload)
            case _Tick("flush", token):
                if token == self._flush_token and self._flush_timer is not None:
                    self._flush_timer = None
                    if not self._failing:
                        self._write()
            case _Tick("retry", token):
                if token == self._retry_token and self._retry_timer is not None:
                    self._retry_timer = None
                    self._write()
            case AuditEvent():
                self._accept(message)
            case (str() as tag, payload):
                self._accept(self._audit_event(tag, payload))
            case _:
                logger.warning("%s ignored a message it cannot audit: %r", self, message)

    def handle_call(self, request: Any, caller: Caller) -> Any:
        """``("stats",)`` and ``("flush",)``; anything else gets an ``Error``."""
        match request:
            case ("stats",):
                return self._stats()
            case ("flush",):
                if self._backlog:
                    self._write()
                return self._stats()
        return Error("unknown_request", request=request)

    def terminate(self, reason: Any) -> None:
        """Write what is pending (once, without retrying), then close the store."""
        self._cancel_flush()
        self._cancel_retry()
        try:
            if self._backlog:
                self._write(final=True)
        finally:
            if self._owns_store:
                self._store.close()

    # Accepting -------------------------------------------------------------------------

    def _audit_event(self, tag: str, payload: Any) -> AuditEvent:
        try:
            encoded = self._encode(payload)
            if not isinstance(encoded, dict):
                msg = f"encode returned {type(encoded).__name__}, not a dict"
                raise TypeError(msg)
        except Exception as exc:
            self._encode_failures += 1
            logger.warning("%s could not encode a %r payload: %s", self, tag, format_reason(exc))
            encoded = {"unencoded": repr(payload), "encode_error": format_reason(exc)}
        stamp = getattr(payload, "timestamp", None)
        if not isinstance(stamp, datetime) or stamp.utcoffset() is None:
            stamp = self.system.timestamp()
        return AuditEvent(tag=tag, kind=type(payload).__name__, payload=encoded, timestamp=stamp)

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
            self._flush_timer = send_after(
                self.ref, _Tick("flush", self._flush_token), self._flush_interval
            )

    # Writing ---------------------------------------------------------------------------

    def _write(self, *, final: bool = False) -> bool:
        """Commit the whole backlog as one batch; returns whether it worked."""
        self._cancel_flush()
        backlog = self._backlog
        if not backlog:
            return True
        batch = list(backlog)
        try:
            last = self._store.append_batch(batch)
        except AuditStoreError as exc:
            self._write_failed(exc, final=final)
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

    def _write_failed(self, exc: AuditStoreError, *, final: bool) -> None:
        self._failures += 1
        self._episode_failures += 1
        if final:
            lost = len(self._backlog)
            self._backlog.clear()
            self._dropped += lost
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
            self._alert(
                "error",
                f"audit log writes are failing, keeping events in memory and retrying: {exc}",
                self._context(error=str(exc), retry_in_s=delay),
            )
        else:
            assert self._retry_delay is not None
            delay = min(self._retry_delay * 2, self._retry_max)
            logger.warning(
                "%s: audit write failed again (attempt %d, %d pending), retrying in %.3gs: %s",
                self,
                self._episode_failures,
                len(self._backlog),
                delay,
                exc,
            )
        self._retry_delay = delay
        self._cancel_retry()
        self._retry_token += 1
        self._retry_timer = send_after(self.ref, _Tick("retry", self._retry_token), delay)

    def _recovered(self, written: int) -> None:
        failed = self._episode_failures
        self._failing = False
        self._retry_delay = None
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
            cancel_timer(timer)

    def _cancel_retry(self) -> None:
        timer = self._retry_timer
        if timer is not None:
            self._retry_timer = None
            cancel_timer(timer)

    # Reporting -------------------------------------------------------------------------

    def _context(self, **extra: Any) -> dict[str, Any]:
        return {
            "auditor": self.ref.id,
            "store": getattr(self._store, "path", repr(self._store)),
            "pending": len(self._backlog),
            "failures": self._failures,
            "dropped": self._dropped,
            **extra,
        }

    def _alert(self, severity: str, message: str, context: dict[str, Any]) -> None:
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
            failures=self._failures,
            last_committed_seq=self._last_seq,
            batches=self._batches,
            failing=self._failing,
            retry_delay=self._retry_delay,
            encode_failures=self._encode_failures,
        )


# Helpers for the other side -------------------------------------------------------------


def attach(system: ActorSystem, auditor: Any) -> Callable[[], None]:
    """Send every lifecycle event of ``system`` to ``auditor``; returns a remover.

    The listener runs in the thread where each event happens and only
    enqueues ``("process_lifecycle_event", event)`` (it never waits). With a
    registered name as ``auditor``, events reach whichever incarnation holds
    the name; events while nobody does are counted as dead letters.
    """

    def forward(event: ProcessLifecycle) -> None:
        try:
            send(auditor, (LIFECYCLE_TAG, event), system=system)
        except NoProcError:
            system.count_dead_letters()

    return system.add_lifecycle_listener(forward)


def stats(
    auditor: Any, timeout: float | None = 5.0, *, system: ActorSystem | None = None
) -> AuditorStats:
    """The auditor's :class:`AuditorStats` (a call: it answers after the
    messages already in its mailbox)."""
    result: AuditorStats = _call(auditor, ("stats",), timeout, system=system)
    return result


def flush(
    auditor: Any, timeout: float | None = 5.0, *, system: ActorSystem | None = None
) -> AuditorStats:
    """Make the auditor write everything sent to it before this call; returns
    its :class:`AuditorStats` afterwards (``pending == 0`` unless writes fail)."""
    result: AuditorStats = _call(auditor, ("flush",), timeout, system=system)
    return result


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
