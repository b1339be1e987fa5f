"""Persistent subscriptions: competing consumers, the store keeps the position.

One :class:`GroupManager` actor per group in a store process, started on
the first connect under the store's persistent-subscription supervisor. It
claims messages from the backend (retries first, then new events), hands
each to one consumer by the group's strategy as ``("on_event", event,
correlation_id)``, and settles them as consumers ack and nack:

* ``ack`` / nack ``"skip"``: settled, never delivered again;
* nack ``"retry"`` (and ``"unknown"``): delivered again, to any consumer,
  with its retry count + 1; once the count has reached ``max_retry_count``
  it is parked instead (at most ``max_retry_count + 1`` deliveries);
* nack ``"park"``: parked at once (listed and replayed on request);
* nack ``"stop"``: this consumer is done: it is disconnected, and the
  message with everything else it had in flight is retried for the others
  (on EventStoreDB ``stop`` silently acts as ``skip``; a consumer that says
  stop should not lose the message);
* no ack within ``message_timeout``: retried (or parked), as a nack
  ``"retry"``; checked every tick of the system clock;
* a consumer that exits (or disconnects): its in-flight messages are
  retried for the others.

Backpressure is the pull model: a consumer has at most ``buffer_size``
(its connect argument) messages in flight; the manager claims only what
its consumers have room for, and holds at most the group's
``buffer_size`` messages in memory.

Checkpoints follow EventStoreDB's rule: after ``checkpoint_max_count``
settled messages, or on a tick once ``checkpoint_after`` seconds have
passed with at least ``checkpoint_min_count`` settled, the position just
before the lowest unsettled message is written. Everything the manager
does is also recorded in the backend as it happens (claims, acks, retry
counts, parked messages), so after a restart of the store the group
resumes with what was not settled: redelivery, never loss.

Callbacks run in the manager's turn (a pool worker or its thread).
"""

from __future__ import annotations

import logging
import zlib
from collections import deque
from typing import Any, Final

import attrs

import actors
from actors.eventstore._core import StoreCore
from actors.eventstore._errors import EventStoreError, GroupNotFound
from actors.eventstore._settings import Delivery, PersistentSettings, RetryOutcome
from actors.eventstore._types import ALL, RecordedEvent
from actors.lowlevel import Process, process_of

__all__ = ["GroupManager", "GroupStats", "PersistentSubscription"]

logger = logging.getLogger("actors.eventstore")

PARK_REASON: Final = "Client explicitly NAK'ed message"
GROUP_DELETED: Final = ("shutdown", "persistent_subscription_deleted")


@attrs.frozen
class PersistentSubscription:
    """One consumer's connection to a group: pass it to ``ack`` and ``nack``.

    ``actors.monitor(subscription)`` watches the group's manager (it ends
    when the group is deleted or the store stops).
    """

    manager: actors.Ref[Any]
    correlation_id: str
    stream: str
    group: str

    def __actor_process__(self) -> Process | None:
        return process_of(self.manager)


@attrs.frozen
class GroupStats:
    """What a manager holds now (``actors.call(manager, ("statistics",))``)."""

    consumers: dict[str, int]
    """In-flight messages per consumer (correlation id)."""
    in_flight: int
    pending: int
    delivered: int
    settled: int


class _Consumer:
    __slots__ = ("capacity", "id", "keys", "monitor", "ref")

    def __init__(self, consumer_id: str, ref: Any, capacity: int, monitor: Any) -> None:
        self.id = consumer_id
        self.ref = ref
        self.capacity = capacity
        self.monitor = monitor
        self.keys: set[int] = set()

    @property
    def free(self) -> int:
        return self.capacity - len(self.keys)


class GroupManager(actors.GenServer):
    """See the module docstring; started by ``connect_to_persistent_subscription``."""

    def init(self, core: StoreCore, stream: str, group: str) -> None:
        """Runs in the thread that starts it (a supervisor's, for a child)."""
        self.trap_exits = True
        self.core, self.stream, self.group = core, stream, group
        self.owner = f"{self.system.node}:{core.name}"
        backend = core.backend
        self.settings: PersistentSettings = backend.get_group(stream, group).settings
        # Claims of a crashed predecessor in this process come back, uncounted.
        backend.release(stream, group, self.owner)
        self.consumers: dict[str, _Consumer] = {}
        self.inflight: dict[int, tuple[Delivery, str]] = {}
        self.pending: deque[Delivery] = deque()
        self.next_round_robin = 0
        self.delivered = 0
        self.settled = 0
        self.settled_since_checkpoint = 0
        self.last_checkpoint = self.system.clock.monotonic()
        self.waiter = core.hub.add(process_of(self.ref), None if stream == ALL else stream)
        self.to_ack: list[int] = []
        self.flush_scheduled = False
        self._tick()

    # Time ---------------------------------------------------------------------------

    def _tick_interval(self) -> float:
        s = self.settings
        return max(0.05, min(1.0, s.message_timeout / 2, s.checkpoint_after / 2))

    def _tick(self) -> None:
        actors.send_after(self.ref, ("tick",), self._tick_interval())

    def _on_tick(self) -> None:
        now = self.system.clock.now()
        self._forget(self.core.backend.expire(self.stream, self.group, now))
        s = self.settings
        elapsed = self.system.clock.monotonic() - self.last_checkpoint
        if (
            elapsed >= s.checkpoint_after
            and self.settled_since_checkpoint >= s.checkpoint_min_count
        ):
            self._checkpoint()
        self._pump()

    def _checkpoint(self) -> None:
        self._flush_acks()
        self.core.backend.checkpoint(self.stream, self.group)
        self.settled_since_checkpoint = 0
        self.last_checkpoint = self.system.clock.monotonic()

    # Dispatch ----------------------------------------------------------------------

    def _key(self, event: RecordedEvent) -> int:
        return event.position if self.stream == ALL else event.version

    def _choose(self, delivery: Delivery) -> _Consumer | None:
        consumers = list(self.consumers.values())
        if not consumers:
            return None
        strategy = self.settings.consumer_strategy
        if strategy == "pinned":
            target = consumers[zlib.crc32(delivery.event.stream.encode()) % len(consumers)]
            return target if target.free > 0 else None
        if strategy == "dispatch_to_single":
            return next((c for c in consumers if c.free > 0), None)
        n = len(consumers)
        for step in range(n):
            candidate = consumers[(self.next_round_robin + step) % n]
            if candidate.free > 0:
                self.next_round_robin = (self.next_round_robin + step + 1) % n
                return candidate
        return None

    def _deliver(self, consumer: _Consumer, delivery: Delivery) -> None:
        self.inflight[delivery.key] = (delivery, consumer.id)
        consumer.keys.add(delivery.key)
        self.delivered += 1
        actors.send(consumer.ref, ("on_event", delivery.event, consumer.id))

    def _pump(self) -> None:
        backend = self.core.backend
        while True:
            while self.pending:
                consumer = self._choose(self.pending[0])
                if consumer is None:
                    return
                self._deliver(consumer, self.pending.popleft())
            free = sum(max(0, c.free) for c in self.consumers.values())
            room = self.settings.buffer_size - len(self.inflight)
            limit = min(free, room, self.settings.read_batch_size)
            if limit <= 0:
                return
            self.waiter.clear()
            claimed = backend.claim(
                self.stream, self.group, self.owner, limit, self.system.clock.now()
            )
            if not claimed:
                return
            self.pending.extend(claimed)

    def _forget(self, outcome: RetryOutcome) -> None:
        """Messages the backend took back (retried or parked) leave memory."""
        gone = set(outcome.retried) | set(outcome.parked)
        if not gone:
            return
        for key in gone:
            entry = self.inflight.pop(key, None)
            if entry is not None:
                consumer = self.consumers.get(entry[1])
                if consumer is not None:
                    consumer.keys.discard(key)
        if self.pending:
            self.pending = deque(d for d in self.pending if d.key not in gone)
        self._settled(len(outcome.parked))

    def _settled(self, count: int) -> None:
        if not count:
            return
        self.settled += count
        self.settled_since_checkpoint += count
        if self.settled_since_checkpoint >= self.settings.checkpoint_max_count:
            self._checkpoint()

    def _take(self, keys: list[int]) -> list[int]:
        """Remove ``keys`` from memory; the ones that were in flight."""
        taken = []
        for key in keys:
            entry = self.inflight.pop(key, None)
            if entry is None:
                continue
            taken.append(key)
            consumer = self.consumers.get(entry[1])
            if consumer is not None:
                consumer.keys.discard(key)
        return taken

    def _disconnect(self, consumer: _Consumer, reason: str) -> None:
        self.consumers.pop(consumer.id, None)
        actors.demonitor(consumer.monitor)
        backend = self.core.backend
        keys = sorted(consumer.keys)
        self._take(keys)
        if keys:
            self._forget(
                backend.retry(self.stream, self.group, keys, self.system.clock.now(), reason)
            )
        backend.unregister_consumer(self.stream, self.group, consumer.id)
        if not self.consumers and self.pending:
            # Nobody to give them to: hand the claims back, uncounted.
            self.pending.clear()
            backend.release(self.stream, self.group, self.owner)

    # Callbacks -----------------------------------------------------------------------

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """Runs in a pool worker, or in the caller's thread when the actor is idle."""
        match request:
            case ("connect", subscriber, int(capacity), str(consumer_id)):
                try:
                    self.core.backend.register_consumer(
                        self.stream, self.group, consumer_id, self.system.clock.now()
                    )
                except EventStoreError as exc:
                    return ("error", exc)
                monitor = actors.monitor(subscriber)
                self.consumers[consumer_id] = _Consumer(consumer_id, subscriber, capacity, monitor)
                self._pump()
                return (
                    "ok",
                    PersistentSubscription(self.ref, consumer_id, self.stream, self.group),
                )
            case ("disconnect", str(consumer_id)):
                consumer = self.consumers.get(consumer_id)
                if consumer is not None:
                    self._disconnect(consumer, "consumer disconnected")
                    self._pump()
                return "ok"
            case ("statistics",):
                self._flush_acks()
                return GroupStats(
                    {c.id: len(c.keys) for c in self.consumers.values()},
                    len(self.inflight),
                    len(self.pending),
                    self.delivered,
                    self.settled,
                )
        msg = f"unknown persistent subscription request {request!r}"
        raise ValueError(msg)

    def handle_cast(self, request: Any) -> None:
        """Runs in a pool worker."""
        try:
            self._handle_cast(request)
        except GroupNotFound:
            self.stop(GROUP_DELETED)  # deleted from elsewhere (another handle, a tool)

    def _handle_cast(self, request: Any) -> None:
        backend = self.core.backend
        now = self.system.clock.now()
        match request:
            case ("ack", str(_), list(keys)):
                # Batched: every ack queued before the flush goes in one commit,
                # and the consumers' freed room is refilled by one claim.
                self.to_ack.extend(self._take(keys))
                if not self.flush_scheduled:
                    self.flush_scheduled = True
                    actors.send(self.ref, ("flush",))
                return
            case ("nack", str(consumer_id), list(keys), str(action), str(reason)):
                taken = self._take(keys)
                if action in ("skip",):
                    if taken:
                        backend.ack(self.stream, self.group, taken)
                        self._settled(len(taken))
                elif action == "park":
                    if taken:
                        backend.park(self.stream, self.group, taken, reason or PARK_REASON, now)
                        self._settled(len(taken))
                elif action == "stop":
                    if taken:
                        self._forget(
                            backend.retry(self.stream, self.group, taken, now, reason or "stop")
                        )
                    consumer = self.consumers.get(consumer_id)
                    if consumer is not None:
                        self._disconnect(consumer, "consumer stopped")
                        actors.send(consumer.ref, ("extreme", "unsubscribed"))
                elif taken:  # retry, unknown
                    self._forget(
                        backend.retry(self.stream, self.group, taken, now, reason or "retry")
                    )
            case _:
                msg = f"unknown persistent subscription message {request!r}"
                raise ValueError(msg)
        self._pump()

    def handle_info(self, message: Any) -> None:
        """Runs in a pool worker."""
        try:
            self._handle_info(message)
        except GroupNotFound:
            self.stop(GROUP_DELETED)

    def _flush_acks(self) -> None:
        keys, self.to_ack = self.to_ack, []
        if keys:
            self.core.backend.ack(self.stream, self.group, keys)
            self._settled(len(keys))

    def _handle_info(self, message: Any) -> None:
        match message:
            case ("flush",):
                self.flush_scheduled = False
                self._flush_acks()
                self._pump()
            case ("$eventstore_wake",) | ("wake",):
                self._pump()
            case ("tick",):
                self._on_tick()
                self._tick()
            case ("DOWN", mref, "process", _, _):
                for consumer in list(self.consumers.values()):
                    if consumer.monitor is mref:
                        self._disconnect(consumer, "consumer exited")
                self._pump()
            case ("settings_changed",):
                self.settings = self.core.backend.get_group(self.stream, self.group).settings
                self._pump()
            case ("EXIT", _, reason):
                self.stop(reason)
            case _:
                super().handle_info(message)

    def terminate(self, reason: Any) -> None:
        """Runs in a pool worker, or in the thread of an inline call that ended it."""
        self.core.hub.remove(self.waiter)
        if reason == GROUP_DELETED:
            for consumer in self.consumers.values():
                actors.demonitor(consumer.monitor)
                actors.send(consumer.ref, ("extreme", "persistent_subscription_deleted"))
            return
        backend = self.core.backend
        try:
            self._flush_acks()  # acked messages must not be handed back
            for consumer in self.consumers.values():
                backend.unregister_consumer(self.stream, self.group, consumer.id)
            # What was claimed and not acked waits for the next run, uncounted.
            backend.release(self.stream, self.group, self.owner)
            backend.checkpoint(self.stream, self.group)
        except (GroupNotFound, EventStoreError) as exc:
            logger.warning("%s: could not hand back its messages: %s", self, exc)
