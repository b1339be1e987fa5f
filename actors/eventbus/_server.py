"""The bus actor: the one writer of the store, and the sender of shadows.

Everything that changes the bus goes through this actor's mailbox, so it
happens in one order. It runs on the ``"thread"`` runtime: every callback
below runs in its own thread, which is the thread that uses the store (an
SQLite connection, or a database client that blocks on I/O).

**Group commit.** Notifies and marks are not written one by one: each is
added to a batch, and the first one of a batch sends the actor a flush
message, which arrives after everything already in its mailbox. So one
write transaction (one fsync with ``synchronous=FULL``) covers every notify
and mark that queued up meanwhile, up to :data:`MAX_BATCH`. A caller of a
synchronous notify gets its answer once the transaction has committed.
Any other request (a fetch, a subscribe, a ``DOWN``...) writes the batch
first, so it sees every notify and mark that arrived before it.

**Delivery.** After the commit, each subscriber's actor gets its shadow,
``("event", topic, id)`` or ``("event", config, topic, id)``, in subscription
order; the bus monitors the actor. An actor that exits while holding shadows
it has not marked has them marked skipped (reported through the
listener-down hooks and counted); a listener whose actor cannot be found is
skipped at once (counted as undeliverable).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

import attrs

import actors
from actors.eventbus._backend import EventBusBackend, Mark, NewEvent
from actors.eventbus._errors import DuplicateEvent, EventBusStoreError, UnknownTopic
from actors.eventbus._event import Event, EventId, check_topic
from actors.eventbus._metrics import (
    EventBusMetrics,
    ListenerDown,
    ListenerMetrics,
    TopicMetrics,
    Watcher,
)
from actors.eventbus._patterns import Matcher
from actors.eventbus._registry import Registry, Subscription
from actors.eventbus._sqlite import MEMORY, SqliteBackend
from actors.eventbus._subscribers import (
    Subscriber,
    display_of_key,
    is_name_key,
    is_ref_key_of_other_process,
)
from actors.eventbus._tracking import DeliveryKey, Holder, Tracking
from actors.lowlevel import Process, lookup, process_of

__all__ = ["MAX_BATCH", "EventBusServer"]

logger = logging.getLogger("actors.eventbus")

MAX_BATCH: Final = 512
"""Notifies plus marks written in one transaction at most."""
MAX_RETRY_MARKS: Final = 100_000
"""Marks kept for a retry while the store refuses writes; beyond it the
oldest are dropped (and counted as ``marks_lost``)."""
RETRY_INITIAL: Final = 0.05
RETRY_MAX: Final = 5.0


class _Flush:
    """The bus's own flush message (a class, so no user message can look like it)."""

    __slots__ = ("retry",)

    def __init__(self, retry: bool = False) -> None:
        self.retry = retry


@attrs.define
class _QueuedEvent:
    item: NewEvent
    subscriptions: tuple[Subscription, ...]
    caller: actors.Caller | None


@attrs.define
class _QueuedMark:
    mark: Mark
    caller: actors.Caller | None
    origin: str  # "listener", "exit", "undeliverable", "orphan"


class EventBusServer(actors.GenServer):
    """See the module docstring. Started by :meth:`EventBus.start
    <actors.eventbus.EventBus.start>` under its supervisor; not meant to be
    started by hand."""

    runtime = "thread"

    def init(self, registry: Registry) -> None:
        """Open (or, after a restart, take over) the store and reconcile.

        Runs in the bus actor's own thread.
        """
        self.trap_exits = True  # a supervisor's shutdown runs terminate: the batch is written
        self.registry = registry
        registry.incarnations += 1
        if registry.incarnations > 1:
            registry.counters.bus["restarts"] += 1
        self.tracking: Tracking = registry.tracking
        self.backend: EventBusBackend = self._open_backend()
        self._events: list[_QueuedEvent] = []
        self._marks: list[_QueuedMark] = []
        self._flush_sent = False
        self._retry_delay: float | None = None
        self._by_mref: dict[actors.MonitorRef, Holder] = {}
        self._load()

    # The store -------------------------------------------------------------------------

    def _open_backend(self) -> EventBusBackend:
        registry = self.registry
        source = registry.settings.path
        old = registry.backend
        if old is not None:
            keep = not registry.owns_backend or source == MEMORY
            if keep:
                return old  # type: ignore[no-any-return]
            registry.backend = None
            old.close()
        if isinstance(source, str) and source.startswith(("postgresql://", "postgres://")):
            backend: Any = _open_postgres(source)
            owns = True
        elif isinstance(source, str | os.PathLike):
            backend = SqliteBackend(source)
            owns = True
        elif isinstance(source, EventBusBackend):
            backend, owns = source, False
        elif callable(source):
            backend, owns = source(), True
            if not isinstance(backend, EventBusBackend):
                msg = f"the EventBus store factory {source!r} returned {backend!r}, not a backend"
                raise TypeError(msg)
        else:
            msg = f"cannot make an EventBus store of {source!r}"
            raise TypeError(msg)
        registry.backend, registry.owns_backend = backend, owns
        return backend  # type: ignore[no-any-return]

    def _load(self) -> None:
        """Bring topics, tracking and the store into agreement."""
        registry, backend, tracking = self.registry, self.backend, self.tracking
        now = self._wall()
        for topic in (*registry.snapshot.topics, *registry.settings.topics):
            backend.add_topic(topic, now)
        registry.set_topics(backend.topics())

        tracking.unprocessed.clear()
        for stored in backend.stored():
            tracking.stored(stored.topic, stored.id, stored.stored_at)
        old_holders = dict(tracking.holder_of)
        tracking.holders.clear()
        tracking.holder_of.clear()
        tracking.by_key.clear()
        tracking.recovered.clear()
        subscribed = registry.snapshot.by_key
        resend: list[tuple[Subscription, str, EventId, float]] = []
        for row in backend.pending():
            key = row.subscriber
            tracking.add(key, row.topic, row.id, row.stored_at)
            delivery = (key, row.topic, row.id)
            holder = old_holders.get(delivery)
            if holder is not None:
                # Sent by the previous incarnation: watch its holder again (a
                # holder that died meanwhile is reported with noproc at once).
                tracking.hold(self._watch(holder.proc, holder.listener), delivery)
            elif key in subscribed:
                # Stored but never handed over (the previous incarnation
                # crashed between its commit and the sending).
                resend.append((subscribed[key], row.topic, row.id, row.stored_at))
            elif not backend.shared and is_ref_key_of_other_process(key):
                self._queue_mark(Mark(row.topic, row.id, key, "skipped"), None, "orphan")
            else:
                tracking.recovered.setdefault(key, {})[(row.topic, row.id)] = None
        for subscription, topic, event_id, stored_at in resend:
            self._deliver(subscription.subscriber, topic, event_id, stored_at)
        for subscription in registry.snapshot.subscriptions:
            self._watch_ref_subscriber(subscription.subscriber)
        if self._marks:
            orphans = sum(1 for m in self._marks if m.origin == "orphan")
            if orphans:
                logger.warning(
                    "EventBus (%s): skipping %d stored deliveries to actors of an earlier process",
                    backend.description,
                    orphans,
                )
            self._flush()

    # Callbacks -------------------------------------------------------------------------

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """Requests from :mod:`actors.eventbus`'s functions; answers are
        ``("ok", value)`` or ``("error", exception)``.

        Runs in the bus actor's own thread.
        """
        match request:
            case ("notify", Event() as event):
                return self._notify(event, caller)
            case ("mark", Mark() as mark):
                self._queue_mark(mark, caller, "listener")
                return actors.NO_REPLY
        self._flush()
        try:
            return ("ok", self._request(request))
        except (EventBusStoreError, UnknownTopic, TypeError, ValueError) as exc:
            return ("error", exc)

    def handle_cast(self, request: Any) -> None:
        """``notify`` and marks that do not wait for the store.

        Runs in the bus actor's own thread.
        """
        match request:
            case ("notify", Event() as event):
                self._notify(event, None)
            case ("mark", Mark() as mark):
                self._queue_mark(mark, None, "listener")
            case _:
                logger.warning("EventBus ignored an unknown cast: %r", request)

    def handle_info(self, message: Any) -> None:
        """The flush message, and ``DOWN`` of monitored listener actors.

        Runs in the bus actor's own thread.
        """
        match message:
            case _Flush():
                self._flush_sent = False
                if message.retry or self._retry_delay is None:
                    self._flush()
            case ("DOWN", actors.MonitorRef() as mref, "process", _, reason):
                self._flush()
                self._down(mref, reason)
                self._flush()
            case _:
                logger.warning("EventBus ignored an unexpected message: %r", message)

    def terminate(self, reason: Any) -> None:
        """Write what is queued; close the store on a stop (not on a crash,
        so the next incarnation can take an in-memory store over).

        Runs in the bus actor's own thread.
        """
        try:
            if self._events or self._marks:
                self._retry_delay = None
                self._flush()
        finally:
            if actors.is_normal_exit(reason) and self.registry.owns_backend:
                backend, self.registry.backend = self.registry.backend, None
                if backend is not None:
                    backend.close()

    # Requests --------------------------------------------------------------------------

    def _request(self, request: Any) -> Any:
        registry = self.registry
        match request:
            case ("register_topic", str() as topic):
                if self.backend.add_topic(check_topic(topic), self._wall()):
                    registry.add_topic(topic)
                else:
                    registry.set_topics(self.backend.topics())
                return None
            case ("refresh_topics",):
                registry.set_topics(self.backend.topics())
                return None
            case ("unregister_topic", str() as topic):
                dropped = self.backend.remove_topic(topic)
                registry.remove_topic(topic)
                self.tracking.drop_topic(topic)
                if dropped:
                    logger.info(
                        "EventBus: unregistering %r dropped %d unprocessed events", topic, dropped
                    )
                return dropped
            case ("subscribe", Subscriber() as subscriber, tuple() as patterns):
                return self._subscribe(subscriber, patterns)
            case ("unsubscribe", str() as key):
                removed = registry.unsubscribe(key)
                if removed is not None:
                    self._maybe_unwatch(removed.subscriber)
                    self._prune(key)
                return removed is not None
            case ("fetch", str() as topic, event_id):
                return self.backend.fetch(topic, event_id)
            case ("watchers", str() as topic):
                return self._watchers(topic)
            case ("metrics",):
                return self._metrics()
            case ("sync",):
                return None
        msg = f"EventBus received an unknown request {request!r}"
        raise TypeError(msg)

    def _subscribe(self, subscriber: Subscriber, patterns: tuple[str, ...]) -> bool:
        matcher = Matcher(patterns)
        if matcher.regex is None:
            logger.warning(
                "EventBus: the patterns %r of %r do not compile as one expression (%s); "
                "it matches no topic",
                list(patterns),
                subscriber.spec,
                matcher.error,
            )
        self.tracking.specs[subscriber.key] = subscriber.spec
        new = self.registry.subscribe(Subscription(subscriber, matcher))
        self._watch_ref_subscriber(subscriber)
        proc = self._resolve(subscriber)
        if proc is not None:
            self._send_owed(subscriber, proc)
        return new

    # Notify ----------------------------------------------------------------------------

    def _notify(self, event: Event, caller: actors.Caller | None) -> Any:
        snapshot = self.registry.snapshot
        topic = event.topic
        counters = self.registry.counters
        if topic not in snapshot.topic_set and self._refresh_shared_topics():
            snapshot = self.registry.snapshot  # another process may have registered it
        if topic not in snapshot.topic_set:
            counters.bus["unknown_topic"] += 1
            error = UnknownTopic(topic)
            if caller is not None:
                return ("error", error)
            logger.warning("EventBus dropped event %r: %s", event.id, error)
            return None
        subscriptions = snapshot.by_topic.get(topic, ())
        if not subscriptions:
            counters.of_topic(topic)["no_subscribers"] += 1
            logger.info(
                "EventBus: topic %r has no subscribers; event %r not stored", topic, event.id
            )
            return ("ok", 0) if caller is not None else None
        item = NewEvent(event, tuple(s.key for s in subscriptions), self._wall())
        self._events.append(_QueuedEvent(item, subscriptions, caller))
        self._schedule()
        return actors.NO_REPLY

    def _refresh_shared_topics(self) -> bool:
        """Re-read the topics of a store other processes share (PostgreSQL);
        ``False`` for a private store, or when the store cannot answer now."""
        if not self.backend.shared:
            return False
        try:
            self.registry.set_topics(self.backend.topics())
        except EventBusStoreError as exc:
            logger.warning("EventBus: could not re-read the shared topics: %s", exc)
            return False
        return True

    def _queue_mark(self, mark: Mark, caller: actors.Caller | None, origin: str) -> None:
        self._marks.append(_QueuedMark(mark, caller, origin))
        self._schedule()

    def _schedule(self) -> None:
        if len(self._events) + len(self._marks) >= MAX_BATCH and self._retry_delay is None:
            self._flush()
        elif not self._flush_sent:
            self._flush_sent = True
            actors.send(self.ref, _Flush())

    def _flush(self) -> None:
        """Write everything queued, in as many transactions as it takes."""
        while self._events or self._marks:
            events = self._events[:MAX_BATCH]
            marks = self._marks[: MAX_BATCH - len(events)]
            del self._events[: len(events)]
            del self._marks[: len(marks)]
            try:
                stored, marked = self.backend.write(
                    [q.item for q in events], [q.mark for q in marks]
                )
            except EventBusStoreError as exc:
                self._write_failed(exc, events, marks)
                return
            self._retry_delay = None
            self.registry.counters.bus["transactions"] += 1
            for queued_event, outcome in zip(events, stored, strict=True):
                self._stored(queued_event, outcome)
            for queued_mark, mark_outcome in zip(marks, marked, strict=True):
                self._marked(queued_mark, mark_outcome)

    def _write_failed(
        self, exc: EventBusStoreError, events: list[_QueuedEvent], marks: list[_QueuedMark]
    ) -> None:
        counters = self.registry.counters
        counters.bus["store_failures"] += 1
        lost = 0
        for queued in events:
            if queued.caller is not None:
                actors.reply(queued.caller, ("error", exc))
            else:
                lost += 1
        counters.bus["events_lost"] += lost
        # Marks are kept and retried: applying one twice is harmless (the
        # second is a duplicate), losing one leaves an event stored forever.
        retry = [m for m in marks if m.caller is None]
        for queued_mark in marks:
            if queued_mark.caller is not None:
                actors.reply(queued_mark.caller, ("error", exc))
        self._marks[:0] = retry
        overflow = len(self._marks) - MAX_RETRY_MARKS
        if overflow > 0:
            del self._marks[:overflow]
            counters.bus["marks_lost"] += overflow
        delay = (
            RETRY_INITIAL if self._retry_delay is None else min(self._retry_delay * 2, RETRY_MAX)
        )
        logger.error(
            "EventBus (%s): a write failed (%s); %d notified events refused%s, %d marks kept "
            "and retried in %.3gs",
            self.backend.description,
            exc,
            len(events),
            f" ({lost} of them sent without waiting, so lost)" if lost else "",
            len(self._marks),
            delay,
        )
        # Events queued later fail the same way until the store heals;
        # marks wait for the retry timer.
        pending_events, self._events = self._events, []
        for queued in pending_events:
            if queued.caller is not None:
                actors.reply(queued.caller, ("error", exc))
            else:
                counters.bus["events_lost"] += 1
        self._retry_delay = delay
        if self._marks:
            actors.send_after(self.ref, _Flush(retry=True), delay)

    def _stored(self, queued: _QueuedEvent, outcome: str) -> None:
        event = queued.item.event
        topic, event_id = event.topic, event.id
        topic_counters = self.registry.counters.of_topic(topic)
        if outcome == "stored":
            topic_counters["notified"] += 1
            self.tracking.stored(topic, event_id, queued.item.stored_at)
            for subscription in queued.subscriptions:
                self._deliver(subscription.subscriber, topic, event_id, queued.item.stored_at)
            if queued.caller is not None:
                actors.reply(queued.caller, ("ok", len(queued.subscriptions)))
            return
        topic_counters["rejected"] += 1
        error: Exception = (
            DuplicateEvent(topic, event_id) if outcome == "duplicate" else UnknownTopic(topic)
        )
        if queued.caller is not None:
            actors.reply(queued.caller, ("error", error))
        else:
            logger.warning("EventBus refused event %r of %r: %s", event_id, topic, error)

    def _marked(self, queued: _QueuedMark, outcome: str) -> None:
        mark = queued.mark
        counters = self.registry.counters
        if outcome in ("applied", "finished"):
            self.tracking.release((mark.subscriber, mark.topic, mark.id))
            counters.of_topic(mark.topic)[mark.status] += 1
            key_counters = counters.of_key(mark.subscriber)
            key_counters[mark.status] += 1
            if queued.origin != "listener":
                key_counters["skipped_on_exit"] += 1
                counters.bus[f"{queued.origin}_skipped"] += 1
            if outcome == "finished":
                counters.of_topic(mark.topic)["finished"] += 1
                self.tracking.finished(mark.topic, mark.id)
            self._prune(mark.subscriber)
        elif outcome == "duplicate":
            counters.bus["duplicate_marks"] += 1
        elif outcome == "not_subscriber":
            counters.bus["stray_marks"] += 1
            logger.info(
                "EventBus ignored a mark of %r by %s, which is not one of its subscribers",
                (mark.topic, mark.id),
                display_of_key(mark.subscriber),
            )
        else:
            counters.bus["unknown_marks"] += 1
        if queued.caller is not None:
            actors.reply(queued.caller, ("ok", outcome))

    def _prune(self, key: str) -> None:
        """Forget a subscriber that is gone and owes nothing (its per-listener
        counters and spec), so short-lived listeners do not pile up."""
        if key in self.registry.snapshot.by_key or key in self.tracking.by_key:
            return
        self.registry.counters.key.pop(key, None)
        self.tracking.specs.pop(key, None)

    # Delivery and monitoring -----------------------------------------------------------

    def _resolve(self, subscriber: Subscriber) -> Process | None:
        listener = subscriber.listener
        proc = (
            lookup(listener, self.system)
            if isinstance(listener, str)
            else process_of(listener, self.system)
        )
        return proc if proc is not None and proc.alive else None

    def _send_owed(self, subscriber: Subscriber, proc: Process) -> None:
        """Send a subscriber the stored deliveries nobody holds for it: those
        found in the store at start, and those a named listener's previous
        actor held when it was stopped."""
        owed = self.tracking.recovered.pop(subscriber.key, None)
        if not owed:
            return
        logger.info("EventBus: sending %r %d deliveries it is owed", subscriber.spec, len(owed))
        unprocessed = self.tracking.unprocessed
        for topic, event_id in owed:
            if event_id in unprocessed.get(topic, {}):
                self._send(subscriber, proc, topic, event_id)

    def _deliver(
        self, subscriber: Subscriber, topic: str, event_id: EventId, stored_at: float
    ) -> None:
        tracking = self.tracking
        key = subscriber.key
        tracking.add(key, topic, event_id, stored_at)
        tracking.specs.setdefault(key, subscriber.spec)
        proc = self._resolve(subscriber)
        if proc is not None:
            if subscriber.by_name:
                self._send_owed(subscriber, proc)
            if self._send(subscriber, proc, topic, event_id):
                return
        self.registry.counters.bus["undeliverable"] += 1
        logger.warning(
            "EventBus: no live actor for %r; skipping its delivery of %r",
            subscriber.spec,
            (topic, event_id),
        )
        self._queue_mark(Mark(topic, event_id, key, "skipped"), None, "undeliverable")

    def _send(self, subscriber: Subscriber, proc: Process, topic: str, event_id: EventId) -> bool:
        """Hand one shadow to ``proc`` and record it as the holder."""
        delivery: DeliveryKey = (subscriber.key, topic, event_id)
        holder = self._watch(proc, subscriber.listener)
        self.tracking.hold(holder, delivery)
        if actors.send(proc.ref, subscriber.shadow(topic, event_id)):
            counters = self.registry.counters
            counters.of_topic(topic)["delivered"] += 1
            counters.of_key(subscriber.key)["delivered"] += 1
            return True
        self.tracking.holder_of.pop(delivery, None)
        holder.deliveries.pop(delivery, None)
        return False

    def _watch(self, proc: Process, listener: Any) -> Holder:
        holder = self.tracking.holders.get(proc.id)
        if holder is None:
            holder = self.tracking.holders[proc.id] = Holder(proc, listener)
        if holder.mref is None or holder.mref not in self._by_mref:
            holder.mref = actors.monitor(proc)
            self._by_mref[holder.mref] = holder
        return holder

    def _watch_ref_subscriber(self, subscriber: Subscriber) -> None:
        """Monitor an actor subscribed by ref, so its exit unsubscribes it."""
        if subscriber.by_name:
            return
        proc = process_of(subscriber.listener, self.system)
        if proc is not None:
            self._watch(proc, subscriber.listener)

    def _maybe_unwatch(self, subscriber: Subscriber) -> None:
        if subscriber.by_name:
            return
        proc = process_of(subscriber.listener, self.system)
        if proc is None:
            return
        holder = self.tracking.holders.get(proc.id)
        if holder is None or holder.deliveries:
            return
        still = any(
            not s.subscriber.by_name and process_of(s.subscriber.listener, self.system) is proc
            for s in self.registry.snapshot.subscriptions
        )
        if not still:
            del self.tracking.holders[proc.id]
            if holder.mref is not None:
                self._by_mref.pop(holder.mref, None)
                actors.demonitor(holder.mref)

    def _down(self, mref: actors.MonitorRef, reason: Any) -> None:
        holder = self._by_mref.pop(mref, None)
        if holder is None:
            return
        tracking = self.tracking
        tracking.holders.pop(holder.proc.id, None)
        registry = self.registry
        for subscription in registry.snapshot.subscriptions:
            subscriber = subscription.subscriber
            if (
                not subscriber.by_name
                and process_of(subscriber.listener, self.system) is holder.proc
            ):
                registry.unsubscribe(subscription.key)
                if not any(d[0] == subscription.key for d in holder.deliveries):
                    self._prune(subscription.key)
        # A named listener stopped on purpose (normal, shutdown) may come back
        # under its name: what it held waits for the next actor holding it.
        # A crash, or a ref (which never comes back), skips them.
        keep_named = actors.is_normal_exit(reason)
        skipped: list[tuple[Any, str, EventId]] = []
        kept = 0
        for delivery in list(holder.deliveries):
            key, topic, event_id = delivery
            tracking.holder_of.pop(delivery, None)
            if keep_named and is_name_key(key):
                tracking.recovered.setdefault(key, {})[(topic, event_id)] = None
                kept += 1
                continue
            self._queue_mark(Mark(topic, event_id, key, "skipped"), None, "exit")
            skipped.append((tracking.specs.get(key, display_of_key(key)), topic, event_id))
        holder.deliveries.clear()
        if kept:
            logger.info(
                "EventBus: listener %r stopped (%s) holding %d deliveries; they wait for the "
                "next actor registered under its name",
                holder.listener,
                actors.format_reason(reason),
                kept,
            )
        if not skipped:
            return
        registry.counters.bus["listeners_down"] += 1
        text = actors.format_reason(reason)
        logger.warning(
            "EventBus: listener %r exited (%s) holding %d unmarked deliveries; skipping them",
            holder.listener,
            text,
            len(skipped),
        )
        registry.listener_down(
            ListenerDown(
                listener=holder.listener,
                actor_id=holder.proc.id,
                reason=text,
                skipped=tuple(skipped),
                timestamp=self.system.clock.now(),
            )
        )

    # Queries ---------------------------------------------------------------------------

    def _spec(self, key: str) -> Any:
        found = self.registry.snapshot.by_key.get(key)
        if found is not None:
            return found.subscriber.spec
        return self.tracking.specs.get(key, display_of_key(key))

    def _watchers(self, topic: str) -> list[Watcher]:
        spec = self._spec
        out = []
        for record in self.backend.watchers(check_topic(topic)):
            done = {*record.completers, *record.skippers}
            out.append(
                Watcher(
                    topic=record.topic,
                    id=record.id,
                    subscribers=tuple(spec(k) for k in record.subscribers),
                    completers=tuple(spec(k) for k in record.completers),
                    skippers=tuple(spec(k) for k in record.skippers),
                    pending=tuple(spec(k) for k in record.subscribers if k not in done),
                    stored_at=datetime.fromtimestamp(record.stored_at, UTC),
                )
            )
        return out

    def _metrics(self) -> EventBusMetrics:
        registry, tracking = self.registry, self.tracking
        snapshot, counters = registry.snapshot, registry.counters
        now_dt = self.system.clock.now()
        now = now_dt.timestamp()

        def lag(waiting: dict[Any, float] | None) -> float:
            if not waiting:
                return 0.0
            return max(0.0, now - next(iter(waiting.values())))

        topics = []
        for topic in snapshot.topics:
            tc: Mapping[str, int] = counters.topic.get(topic, {})
            waiting = tracking.unprocessed.get(topic)
            topics.append(
                TopicMetrics(
                    topic=topic,
                    subscribers=len(snapshot.by_topic.get(topic, ())),
                    notified=tc.get("notified", 0),
                    no_subscribers=tc.get("no_subscribers", 0),
                    rejected=tc.get("rejected", 0),
                    delivered=tc.get("delivered", 0),
                    completed=tc.get("completed", 0),
                    skipped=tc.get("skipped", 0),
                    finished=tc.get("finished", 0),
                    unprocessed=len(waiting or ()),
                    lag=lag(waiting),
                )
            )
        keys = [s.key for s in snapshot.subscriptions]
        keys += [k for k in tracking.by_key if k not in snapshot.by_key]
        listeners = []
        for key in keys:
            c: Mapping[str, int] = counters.key.get(key, {})
            subscription = snapshot.by_key.get(key)
            pending = tracking.by_key.get(key)
            listeners.append(
                ListenerMetrics(
                    subscriber=self._spec(key),
                    key=key,
                    patterns=subscription.matcher.patterns if subscription else (),
                    topics=tuple(
                        t for t in snapshot.topics if subscription in snapshot.by_topic.get(t, ())
                    )
                    if subscription
                    else (),
                    delivered=c.get("delivered", 0),
                    completed=c.get("completed", 0),
                    skipped=c.get("skipped", 0),
                    skipped_on_exit=c.get("skipped_on_exit", 0),
                    unprocessed=len(pending or ()),
                    lag=lag(pending),
                )
            )
        bus = counters.bus
        return EventBusMetrics(
            topics=tuple(topics),
            listeners=tuple(listeners),
            notified=sum(t.notified for t in topics),
            delivered=sum(t.delivered for t in topics),
            completed=sum(t.completed for t in topics),
            skipped=sum(t.skipped for t in topics),
            finished=sum(t.finished for t in topics),
            unprocessed=sum(t.unprocessed for t in topics),
            duplicate_marks=bus["duplicate_marks"],
            stray_marks=bus["stray_marks"],
            unknown_marks=bus["unknown_marks"],
            undeliverable=bus["undeliverable"],
            listeners_down=bus["listeners_down"],
            orphans_skipped=bus["orphan_skipped"],
            store_failures=bus["store_failures"],
            transactions=bus["transactions"],
            restarts=bus["restarts"],
            timestamp=now_dt,
        )

    def _wall(self) -> float:
        return self.system.clock.now().timestamp()


def _open_postgres(url: str) -> EventBusBackend:
    """The PostgreSQL backend (imported here: psycopg is an optional extra)."""
    try:
        from actors.eventbus._postgres import PostgresBackend
    except ImportError as exc:
        from actors.eventstore import mask_url

        msg = (
            f"the EventBus on PostgreSQL ({mask_url(url)}) needs psycopg ({exc.name} is "
            "missing): pip install 'actors-otp[postgres]'"
        )
        raise EventBusStoreError(msg, path=mask_url(url)) from None
    return PostgresBackend(url)
