"""The gater's relay: broadcasts on behalf of threads that must never wait.

Lifecycle events happen in supervisors and crashing actors; stall and
forgery reports happen in publishers. None of those threads may wait for a
pub/sub subscriber, yet the instances they report to (``ex_esdb_lifecycle``,
``ex_esdb_alerts``, ``ex_esdb_security``) never drop, so a broadcast there
can wait up to ``block_timeout``. :meth:`Relay.post` hands the message to the
relay actor's mailbox instead: a bounded queue (:data:`RELAY_LIMIT`) that
never waits and counts everything it refuses. The actor, on its own thread,
broadcasts each message with the instance's own policy, in the order posted.

Guarantees:

* ``post`` never waits and never raises;
* every posted message is relayed, in order, or counted: ``overflowed``
  (the queue was full) or ``direct`` (no relay was running: broadcast at
  once in the poster's thread with ``wait=False``, so a full blocking
  subscriber misses it and the instance counts it as dropped);
* a stopping relay broadcasts what is still queued with ``wait=False``
  (``drained``) instead of abandoning it, so its stop never waits and an
  unbounded subscriber (the auditor) still gets everything; if it was
  killed instead, the next poster does that before its own message;
* :meth:`Relay.flush` waits until everything posted before is broadcast;
* an overflow is logged at once and reported as a ``SystemAlert`` on
  ``ex_esdb_alerts`` topic ``"pubsub_relay"`` by the relay when it next runs;
* a relayed broadcast that fails is counted (``failed``) and left to the
  instance's own reporting (its ``Error`` names the subscribers, a stalled
  subscriber is reported on ``ex_esdb_alerts``).
"""

from __future__ import annotations

import collections
import logging
import threading
from typing import Any, Final

import attrs

import actors
from actors import messages
from actors.gater import instances
from actors.lowlevel import Process, current_process, resolve_system
from actors.pubsub import PubSubManager

__all__ = [
    "RELAY_LIMIT",
    "RELAY_NAME",
    "RELAY_TOPIC",
    "Relay",
    "RelayServer",
    "RelayStatistics",
]

logger = logging.getLogger("actors.gater")

RELAY_NAME: Final = "ex_esdb_relay"
RELAY_LIMIT: Final = 100_000
"""Messages the relay's queue holds before ``post`` refuses (and counts) more."""
RELAY_TOPIC: Final = "pubsub_relay"
"""The ``ex_esdb_alerts`` topic overflow reports go to."""

_EXTENSION: Final = "actors.gater.relay"
_WAKE: Final = ("actors.gater.relay.wake",)


@attrs.frozen
class RelayStatistics:
    """What the relay has done (:meth:`Relay.statistics`).

    Attributes:
        posted: messages accepted into the queue.
        relayed: messages broadcast by the relay (successfully or not).
        failed: relayed broadcasts that returned an ``Error``.
        overflowed: messages refused because the queue was full.
        direct: messages broadcast in the poster's thread (no relay running).
        drained: queued messages broadcast with ``wait=False`` because the
            relay stopped before relaying them: by the stopping relay, or
            (if it was killed) by the next poster, before its own message.
        pending: messages queued right now.
        limit: the queue's bound.
    """

    posted: int
    relayed: int
    failed: int
    overflowed: int
    direct: int
    drained: int
    pending: int
    limit: int


_Item = tuple[str, str, Any, bool, Any]
"""(instance, topic, message, local, exclude)"""


class Relay:
    """The relay of one actor system: the queue, the poster's side, and the
    counters, which all outlive a restart of the relay actor. Thread-safe."""

    def __init__(self, system: actors.ActorSystem) -> None:
        self.system = system
        self.limit = RELAY_LIMIT
        self._proc: Process | None = None
        self._queue: collections.deque[_Item] = collections.deque()
        self._woken = False  # a wake-up is in the actor's mailbox
        self._lock = threading.Lock()
        self.posted = self.relayed = self.failed = 0
        self.overflowed = self.direct = self.drained = 0
        self._unreported = 0

    @classmethod
    def of(cls, system: actors.ActorSystem | None = None) -> Relay:
        """The relay of ``system`` (created on first use)."""
        system = resolve_system(system)
        relay = system.extensions.get(_EXTENSION)
        if relay is None:
            relay = system.extensions.setdefault(_EXTENSION, cls(system))
        return relay  # type: ignore[no-any-return]

    @property
    def running(self) -> bool:
        proc = self._proc
        return proc is not None and proc.alive

    def post(
        self,
        instance: str,
        topic: str,
        message: Any,
        *,
        local: bool = False,
        exclude: Any = None,
    ) -> bool:
        """Have ``message`` broadcast on ``instance``/``topic`` (``local``:
        this node only; ``exclude``: not to that subscriber, as
        ``broadcast_from``) by the relay. Runs in the caller's thread; never
        waits, never raises. Returns whether the relay queued it."""
        try:
            queued = wake = first_overflow = False
            orphans: list[_Item] = []
            with self._lock:
                proc = self._proc
                if proc is None or not proc.alive:
                    proc = None
                    self.direct += 1
                    # Left by a relay that was killed mid-queue: first, in order.
                    orphans = list(self._queue)
                    self._queue.clear()
                    self.drained += len(orphans)
                elif len(self._queue) < self.limit:
                    self._queue.append((instance, topic, message, local, exclude))
                    self.posted += 1
                    queued, wake = True, not self._woken
                    self._woken = True
                else:
                    self.overflowed += 1
                    self._unreported += 1
                    first_overflow = self._unreported == 1
            if proc is None:
                for item in orphans:
                    self._relay(item, wait=False)
                self._broadcast(instance, topic, message, local, exclude, wait=False)
            elif wake:
                proc.deliver(_WAKE)  # unbounded, and one at a time
            elif first_overflow:
                logger.error(
                    "relay: queue full (%d messages); a message for %s %r was not relayed "
                    "(counted; reported on %s when the relay catches up)",
                    self.limit,
                    instance,
                    topic,
                    instances.ALERTS,
                )
            return queued
        except Exception:
            logger.exception("relay: posting to %s %r failed", instance, topic)
            return False

    def flush(self, timeout: float = 10.0) -> RelayStatistics:
        """Wait until the relay has broadcast everything posted before (and
        reported any overflow); returns the statistics then. Without a
        running relay, the statistics at once.

        Raises:
            CallError: the relay did not finish within ``timeout``.
        """
        proc = self._proc
        if proc is None or not proc.alive:
            return self.statistics()
        stats: RelayStatistics = actors.call(proc.ref, ("flush",), timeout=timeout)
        return stats

    def _broadcast(
        self,
        instance: str,
        topic: str,
        message: Any,
        local: bool,
        exclude: Any = None,
        *,
        wait: bool = True,
    ) -> bool:
        handle = PubSubManager.of(self.system).get(instance)
        if handle is None or handle.stopped:
            return False
        if exclude is not None:
            if local:
                return bool(handle.local_broadcast_from(exclude, topic, message, wait=wait))
            return bool(handle.broadcast_from(exclude, topic, message, wait=wait))
        if local:
            return bool(handle.local_broadcast(topic, message, wait=wait))
        return bool(handle.broadcast(topic, message, wait=wait))

    def statistics(self) -> RelayStatistics:
        with self._lock:
            return RelayStatistics(
                self.posted,
                self.relayed,
                self.failed,
                self.overflowed,
                self.direct,
                self.drained,
                len(self._queue),
                self.limit,
            )

    # The relay actor's side ----------------------------------------------------------

    def attach(self, proc: Process, limit: int) -> None:
        with self._lock:
            self.limit = limit
            self._proc = proc
            self._woken = bool(self._queue)
        if self._queue:
            proc.deliver(_WAKE)  # left by an incarnation that crashed

    def detach(self, proc: Process) -> None:
        """The relay actor stops: what it has not relayed yet is broadcast
        now, with ``wait=False``, so the stop never waits for a subscriber."""
        with self._lock:
            if self._proc is proc:
                self._proc = None
        while (item := self._pop()) is not None:
            self._relay(item, wait=False)
            with self._lock:
                self.drained += 1
        self.report_overflow()

    def _pop(self) -> _Item | None:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            self._woken = False
            return None

    def _relay(self, item: _Item, *, wait: bool = True) -> None:
        instance, topic, message, local, exclude = item
        ok = self._broadcast(instance, topic, message, local, exclude, wait=wait)
        with self._lock:
            self.relayed += 1
            if not ok:
                self.failed += 1

    def drain(self, batch: int | None) -> bool:
        """Relay up to ``batch`` queued messages (all with ``None``); returns
        whether more are queued (the relay actor's thread)."""
        done = 0
        proc = self._proc
        while batch is None or done < batch:
            if proc is None or not proc.alive:
                return False  # killed while relaying: posters take the rest over
            item = self._pop()
            if item is None:
                self.report_overflow()
                return False
            self._relay(item)
            done += 1
        self.report_overflow()
        return True

    def report_overflow(self) -> None:
        """Tell ``ex_esdb_alerts`` about messages refused since the last report."""
        with self._lock:
            missed, self._unreported = self._unreported, 0
            total = self.overflowed
        if not missed:
            return
        alert = messages.new(
            messages.SystemAlert,
            "error",
            "system",
            "Pub/sub relay overflow",
            f"{missed} message(s) were not relayed: the relay's queue of {self.limit} was full",
            RELAY_NAME,
            metadata={"missed": missed, "overflowed_total": total, "limit": self.limit},
            system=self.system,
        )
        self._broadcast(instances.ALERTS, RELAY_TOPIC, (alert.TAG, alert), False, None)


BATCH: Final = 256
"""Messages the relay broadcasts per turn before it lets other requests
(a stop, a flush, statistics) in."""


class RelayServer(actors.GenServer):
    """The relay actor. Runs on its own thread (it may wait for room in a
    subscriber's mailbox); ``init``, the handlers and ``terminate`` run there."""

    runtime = "thread"

    def init(self, relay: Relay, limit: int = RELAY_LIMIT) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            msg = f"the relay's limit must be a positive int, got {limit!r}"
            raise ValueError(msg)
        self.trap_exits = True
        self.relay = relay
        proc = current_process()
        assert proc is not None
        self.proc = proc
        relay.attach(proc, limit)

    def handle_info(self, message: Any) -> None:
        match message:
            case (str() as tag,) if tag == _WAKE[0]:
                if self.relay.drain(BATCH):
                    self.proc.deliver(_WAKE)  # the rest after whatever else is queued
            case ("EXIT", _, _):
                pass  # our parent's exit is handled by the core
            case _:
                super().handle_info(message)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("flush",):
                self.relay.drain(None)
                return self.relay.statistics()
            case ("statistics",):
                return self.relay.statistics()
        return super().handle_call(request, caller)

    def terminate(self, reason: Any) -> None:
        self.relay.detach(self.proc)
