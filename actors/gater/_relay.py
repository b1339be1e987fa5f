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
  (the queue was full), ``abandoned`` (still queued when the relay stopped),
  or ``direct`` (no relay was running: broadcast at once in the poster's
  thread with ``wait=False``, so a full blocking subscriber misses it and the
  instance counts it as dropped);
* an overflow is logged at once and reported as a ``SystemAlert`` on
  ``ex_esdb_alerts`` topic ``"pubsub_relay"`` by the relay when it next runs;
* a relayed broadcast that fails is counted (``failed``) and left to the
  instance's own reporting (its ``Error`` names the subscribers, a stalled
  subscriber is reported on ``ex_esdb_alerts``).
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Final

import attrs

import actors
from actors import messages
from actors.gater import instances
from actors.lowlevel import DELIVERED, Process, current_process, resolve_system
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
_TAG: Final = "actors.gater.relay"


@attrs.frozen
class RelayStatistics:
    """What the relay has done (:meth:`Relay.statistics`).

    Attributes:
        posted: messages accepted into the queue.
        relayed: messages broadcast by the relay (successfully or not).
        failed: relayed broadcasts that returned an ``Error``.
        overflowed: messages refused because the queue was full.
        direct: messages broadcast in the poster's thread (no relay running).
        abandoned: messages still queued when a relay incarnation stopped.
        pending: messages queued right now.
        limit: the queue's bound.
    """

    posted: int
    relayed: int
    failed: int
    overflowed: int
    direct: int
    abandoned: int
    pending: int
    limit: int


class Relay:
    """The relay of one actor system: the poster's side, and the counters
    (which outlive a restart of the relay actor). Thread-safe."""

    def __init__(self, system: actors.ActorSystem) -> None:
        self.system = system
        self.limit = RELAY_LIMIT
        self._proc: Process | None = None
        self._lock = threading.Lock()
        self.posted = self.relayed = self.failed = 0
        self.overflowed = self.direct = self.abandoned = 0
        self._unreported = 0

    @classmethod
    def of(cls, system: actors.ActorSystem | None = None) -> Relay:
        system = resolve_system(system)
        relay = system.extensions.get(_EXTENSION)
        if relay is None:
            relay = system.extensions.setdefault(_EXTENSION, cls(system))
        return relay  # type: ignore[no-any-return]

    @property
    def running(self) -> bool:
        proc = self._proc
        return proc is not None and proc.alive

    def post(self, instance: str, topic: str, message: Any, *, local: bool = False) -> bool:
        """Have ``message`` broadcast on ``instance``/``topic`` (``local``:
        this node only) by the relay. Runs in the caller's thread; never
        waits, never raises. Returns whether the relay queued it."""
        item = (_TAG, instance, topic, message, local)
        proc = self._proc
        try:
            if proc is not None and proc.offer(item, self.limit) is DELIVERED:
                with self._lock:
                    self.posted += 1
                return True
            if proc is not None and proc.alive:
                self._overflow(instance, topic)
                return False
            with self._lock:
                self.direct += 1
            self._broadcast(instance, topic, message, local, wait=False)
        except Exception:
            logger.exception("relay: posting to %s %r failed", instance, topic)
        return False

    def _overflow(self, instance: str, topic: str) -> None:
        with self._lock:
            self.overflowed += 1
            self._unreported += 1
            first = self._unreported == 1
        if first:
            logger.error(
                "relay: queue full (%d messages); a message for %s %r was not relayed "
                "(counted; reported on %s when the relay catches up)",
                self.limit,
                instance,
                topic,
                instances.ALERTS,
            )

    def _broadcast(
        self, instance: str, topic: str, message: Any, local: bool, *, wait: bool = True
    ) -> bool:
        handle = PubSubManager.of(self.system).get(instance)
        if handle is None or handle.stopped:
            return False
        if local:
            return bool(handle.local_broadcast(topic, message, wait=wait))
        return bool(handle.broadcast(topic, message, wait=wait))

    def statistics(self) -> RelayStatistics:
        proc = self._proc
        pending = proc.queue_len() if proc is not None and proc.alive else 0
        with self._lock:
            return RelayStatistics(
                self.posted,
                self.relayed,
                self.failed,
                self.overflowed,
                self.direct,
                self.abandoned,
                pending,
                self.limit,
            )

    # The relay actor's side ----------------------------------------------------------

    def attach(self, proc: Process, limit: int) -> None:
        self.limit = limit
        self._proc = proc

    def detach(self, proc: Process) -> None:
        left = proc.queue_len()
        with self._lock:
            if self._proc is proc:
                self._proc = None
            self.abandoned += left
        if left:
            logger.warning("relay: stopped with %d message(s) not relayed", left)

    def relay(self, instance: str, topic: str, message: Any, local: bool) -> None:
        ok = self._broadcast(instance, topic, message, local)
        with self._lock:
            self.relayed += 1
            if not ok:
                self.failed += 1

    def report_overflow(self) -> None:
        """Tell ``ex_esdb_alerts`` about messages refused since the last report."""
        with self._lock:
            missed, self._unreported = self._unreported, 0
            total = self.overflowed
        if not missed:
            return
        alert = messages.system_alert(
            "error",
            "system",
            "Pub/sub relay overflow",
            f"{missed} message(s) were not relayed: the relay's queue of {self.limit} was full",
            RELAY_NAME,
            metadata={"missed": missed, "overflowed_total": total, "limit": self.limit},
            system=self.system,
        )
        self._broadcast(instances.ALERTS, RELAY_TOPIC, (alert.TAG, alert), False)


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
            case (str() as tag, str() as instance, str() as topic, payload, bool() as local) if (
                tag == _TAG
            ):
                self.relay.report_overflow()
                self.relay.relay(instance, topic, payload, local)
                self.relay.report_overflow()
            case ("EXIT", _, _):
                pass  # our parent's exit is handled by the core
            case _:
                super().handle_info(message)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("statistics",):
                return self.relay.statistics()
        return super().handle_call(request, caller)

    def terminate(self, reason: Any) -> None:
        self.relay.detach(self.proc)
