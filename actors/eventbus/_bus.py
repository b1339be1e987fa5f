"""The EventBus handle and the functions with event_bus's names.

:meth:`EventBus.start` starts a supervisor with the bus actor (it owns the
store) and records the handle in the actor system; the module-level
functions (``register_topic``, ``notify``...) resolve the system
(explicit ``system=``, the calling actor's, the current ``with`` block's,
else the default) and act on its bus.

Which thread runs what: arguments are checked in the caller's thread (so
bad input raises there, before anything reaches the bus); reads of topics
and subscribers use the bus's published snapshot in the caller's thread;
everything else is a message to the bus actor, handled in its own thread.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any, Final

import actors
import supervision as sv
from actors.eventbus._backend import Mark, MarkOutcome, MarkStatus
from actors.eventbus._errors import EventBusError, EventBusStoreError, NotRunning, UnknownTopic
from actors.eventbus._event import Event, EventId, check_event_id, check_shadow, check_topic
from actors.eventbus._metrics import EventBusMetrics, ListenerDown, Watcher
from actors.eventbus._patterns import check_patterns
from actors.eventbus._publisher import MetricsPublisher
from actors.eventbus._registry import ListenerDownHook, Registry
from actors.eventbus._server import EventBusServer
from actors.eventbus._settings import IdGenerator, Settings, resolve_settings
from actors.eventbus._subscribers import Subscriber, parse_subscriber
from actors.lowlevel import process_of, resolve_system

__all__ = [
    "SERVER_NAME",
    "SUPERVISOR_NAME",
    "EventBus",
    "add_metrics_publisher",
    "fetch_event",
    "fetch_event_data",
    "mark_as_completed",
    "mark_as_skipped",
    "metrics",
    "notify",
    "on_listener_down",
    "register_topic",
    "subscribe",
    "subscribers",
    "topic_exist",
    "topics",
    "unregister_topic",
    "unsubscribe",
    "watchers",
]

logger = logging.getLogger("actors.eventbus")

SUPERVISOR_NAME: Final = "eventbus"
"""The registered name of the bus's supervisor."""
SERVER_NAME: Final = "eventbus_server"
"""The registered name of the bus actor (the current incarnation holds it)."""

_EXTENSION: Final = "actors.eventbus"
_START_LOCK = threading.Lock()
_publisher_ids = itertools.count(1)


class EventBus:
    """The running bus of one actor system. Get it from :meth:`start` or :meth:`of`.

    Its methods are the module-level functions without ``system=``.

    Attributes:
        system: the actor system.
        supervisor: the ref of the bus's supervisor (registered as
            ``"eventbus"``); the bus actor is its child ``"server"``,
            registered as ``"eventbus_server"``.
        settings: the resolved settings.
    """

    def __init__(self, system: actors.ActorSystem, registry: Registry, supervisor: Any) -> None:
        self.system = system
        self.supervisor = supervisor
        self._registry = registry

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<EventBus of {self.system.name!r} {state} on {self._registry.settings.path!r}>"

    @property
    def settings(self) -> Settings:
        return self._registry.settings

    @property
    def running(self) -> bool:
        """Whether its supervisor is alive."""
        proc = process_of(self.supervisor, self.system)
        return proc is not None and proc.alive

    # Starting and stopping -------------------------------------------------------------

    @classmethod
    def start(
        cls,
        path_or_store: Any = None,
        *,
        system: actors.ActorSystem | None = None,
        topics: list[str] | tuple[str, ...] | None = None,
        ttl: int | None = None,
        source: str | None = None,
        time_unit: str | None = None,
        id_generator: IdGenerator | None = None,
        on_listener_down: ListenerDownHook | None = None,
        max_restarts: int = 3,
        max_seconds: float = 5.0,
    ) -> EventBus:
        """Start the bus of ``system``: a supervisor and the bus actor.

        Args:
            path_or_store: an SQLite file (it may be shared with other parts
                of the application: the bus's tables are ``eventbus_*``),
                ``":memory:"`` (the default when the config names no
                ``path``: nothing survives the process), an
                :class:`~actors.eventbus.EventBusBackend`, or a
                zero-argument factory of one (called in the bus's thread).
            topics: registered at start, with those of
                ``system.config["eventbus"]["topics"]`` and those already in
                the store.
            ttl, source, time_unit, id_generator: defaults for
                :class:`~actors.eventbus.EventSource` (see
                :class:`~actors.eventbus.Settings`).
            on_listener_down: a hook for :class:`~actors.eventbus.ListenerDown`
                reports (see :func:`on_listener_down`).
            max_restarts, max_seconds: the supervisor's restart intensity.

        Raises:
            EventBusError: a bus already runs in ``system``.
            EventBusStoreError: the store cannot be opened.
            TypeError, ValueError: a bad setting (named).
        """
        system = resolve_system(system)
        settings = resolve_settings(
            system,
            {
                "path": path_or_store,
                "topics": topics,
                "ttl": ttl,
                "source": source,
                "time_unit": time_unit,
                "id_generator": id_generator,
            },
        )
        with _START_LOCK:
            existing = system.extensions.get(_EXTENSION)
            if isinstance(existing, EventBus) and existing.running:
                msg = f"an EventBus is already running in actor system {system.name!r}"
                raise EventBusError(msg)
            registry = Registry(system, settings)
            if on_listener_down is not None:
                registry.add_listener_down_hook(on_listener_down)
            spec = sv.child_spec("server", EventBusServer, registry, name=SERVER_NAME)
            try:
                supervisor = sv.Supervisor.start(
                    [spec],
                    strategy="one_for_one",
                    max_restarts=max_restarts,
                    max_seconds=max_seconds,
                    name=SUPERVISOR_NAME,
                    system=system,
                )
            except actors.StartError as exc:
                cause = _root_cause(exc)
                if isinstance(cause, EventBusStoreError | TypeError | ValueError):
                    raise cause from exc
                raise
            bus = cls(system, registry, supervisor)
            system.extensions[_EXTENSION] = bus
        return bus

    @classmethod
    def of(cls, system: actors.ActorSystem | None = None) -> EventBus:
        """The running bus of ``system`` (resolved as usual).

        Raises:
            NotRunning: no bus runs there.
        """
        system = resolve_system(system)
        bus = system.extensions.get(_EXTENSION)
        if not isinstance(bus, EventBus) or not bus.running:
            msg = (
                f"no EventBus is running in actor system {system.name!r}; "
                "start one with actors.eventbus.EventBus.start(...)"
            )
            raise NotRunning(msg)
        return bus

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the bus (queued notifies and marks are written first) and
        close the store it opened. Idempotent."""
        if self.running:
            try:
                actors.stop(self.supervisor, "shutdown", timeout, system=self.system)
            except actors.CallError as exc:
                if exc.reason != "noproc":
                    raise
        registry = self._registry
        backend, registry.backend = registry.backend, None
        if backend is not None and registry.owns_backend:
            backend.close()
        if self.system.extensions.get(_EXTENSION) is self:
            del self.system.extensions[_EXTENSION]

    def __enter__(self) -> EventBus:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Talking to the bus actor ----------------------------------------------------------

    def _call(self, request: Any, timeout: float | None = 10.0) -> Any:
        try:
            reply = actors.call(SERVER_NAME, request, timeout, system=self.system)
        except actors.CallError as exc:
            if exc.reason == "noproc":
                raise self._not_running() from None
            raise
        match reply:
            case ("ok", value):
                return value
            case ("error", BaseException() as error):
                raise error
        msg = f"the EventBus answered {reply!r}"
        raise EventBusError(msg)

    def _cast(self, request: Any) -> None:
        try:
            actors.cast(SERVER_NAME, request, system=self.system)
        except actors.NoProcError:
            raise self._not_running() from None

    def _not_running(self) -> NotRunning:
        return NotRunning(
            f"the EventBus of actor system {self.system.name!r} is not running "
            "(stopped, or being restarted after a crash)"
        )

    # Topics ----------------------------------------------------------------------------

    def register_topic(self, topic: str) -> None:
        """Register ``topic`` (nothing happens if it already is). When this
        returns, subscribers whose patterns match it are attached."""
        self._call(("register_topic", check_topic(topic)))

    def unregister_topic(self, topic: str) -> None:
        """Unregister ``topic`` and **drop its unprocessed events and
        watchers** (event_bus's "it also deletes the related topic tables").
        Subscribers keep their patterns, so registering it again re-attaches
        them. An unknown topic is ignored."""
        self._call(("unregister_topic", check_topic(topic)))

    def topic_exist(self, topic: str) -> bool:
        """Whether ``topic`` is registered (on a shared store, by any process)."""
        topic = check_topic(topic)
        return topic in self._registry.snapshot.topic_set or self._knows(topic)

    def topics(self) -> list[str]:
        """Registered topics, oldest registration first (on a shared store,
        re-read: other processes may have registered some)."""
        if self._shared():
            self._call(("refresh_topics",))
        return list(self._registry.snapshot.topics)

    def _shared(self) -> bool:
        backend = self._registry.backend
        return backend is not None and backend.shared

    def _knows(self, topic: str) -> bool:
        """Whether a topic this process has not seen was registered by another
        one sharing the store (a round trip to the bus, then the database; a
        private store answers ``False`` at once)."""
        if not self._shared():
            return False
        self._call(("refresh_topics",))
        return topic in self._registry.snapshot.topic_set

    # Subscriptions ---------------------------------------------------------------------

    def subscribe(self, subscription: tuple[Any, list[str] | tuple[str, ...]]) -> None:
        """``subscribe((listener, patterns))`` or ``subscribe(((listener, config), patterns))``.

        A subscriber already subscribed gets its patterns replaced (it keeps
        its place in the order). Patterns are combined into one regular
        expression (see :mod:`actors.eventbus`); one that does not compile
        matches no topic (a warning is logged). When this returns, the
        subscriber is attached to every registered topic it matches.

        Raises:
            TypeError, ValueError: not a ``(subscriber, patterns)`` pair, a
                listener that is not a Ref, name or Probe, a config that is
                not JSON, patterns that are not a non-empty list of str, or
                a ref to an actor that has exited.
        """
        subscriber, patterns = _pair(subscription, "subscribe")
        parsed = parse_subscriber(subscriber, "subscribe")
        checked = check_patterns(patterns)
        _check_alive(parsed, self.system)
        self._call(("subscribe", parsed, checked))

    def unsubscribe(self, subscriber: Any) -> None:
        """Remove exactly that subscriber: ``unsubscribe(listener)`` leaves
        ``(listener, config)`` subscribed. Deliveries it still holds stay
        its to mark. An unknown subscriber is ignored."""
        self._call(("unsubscribe", parse_subscriber(subscriber, "unsubscribe").key))

    def subscribers(self, topic: str | None = None) -> list[Any]:
        """Without ``topic``: ``[(subscriber, patterns), ...]`` in subscription
        order. With it: the subscribers attached to it, in the order shadows
        are sent (``[]`` for an unregistered topic)."""
        snapshot = self._registry.snapshot
        if topic is None:
            return [(s.subscriber.spec, list(s.matcher.patterns)) for s in snapshot.subscriptions]
        return [s.subscriber.spec for s in snapshot.by_topic.get(check_topic(topic), ())]

    # Events ----------------------------------------------------------------------------

    def notify(
        self, event: Event, *, wait: bool = True, timeout: float | None = 30.0
    ) -> int | None:
        """Store ``event`` and send every subscriber of its topic the shadow.

        Subscribers get ``("event", topic, id)``, or ``("event", config,
        topic, id)`` if subscribed with a config, in subscription order. With
        no subscriber, nothing is stored (an info line is logged and the
        topic's ``no_subscribers`` counts it).

        Args:
            wait: ``True`` (default) returns once the event is committed to
                the store, with the number of subscribers it went to (0: not
                stored); ``False`` returns ``None`` at once (event_bus's cast):
                a refused event is then only logged and counted.
            timeout: real seconds to wait for the commit.

        Raises:
            TypeError: ``event`` is not an :class:`Event`.
            UnknownTopic: its topic is not registered.
            DuplicateEvent: an event with that id is still unprocessed on
                that topic (``wait=True`` only); the stored one is untouched.
            EventBusStoreError: the store refused the write (``wait=True``).
        """
        if type(event) is not Event:
            msg = (
                f"notify() takes an actors.eventbus.Event, got {type(event).__name__} {event!r:.80}"
            )
            raise TypeError(msg)
        if event.topic not in self._registry.snapshot.topic_set and not self._knows(event.topic):
            raise UnknownTopic(event.topic)
        if not wait:
            self._cast(("notify", event))
            return None
        result: int = self._call(("notify", event), timeout)
        return result

    def fetch_event(self, shadow: tuple[str, EventId]) -> Event | None:
        """The stored event of ``(topic, id)``, or ``None`` if it is not stored
        (never notified, already processed by every subscriber, or its topic
        was unregistered)."""
        topic, event_id = check_shadow(shadow)
        found: Event | None = self._call(("fetch", topic, event_id))
        return found

    def fetch_event_data(self, shadow: tuple[str, EventId]) -> Any:
        """The ``data`` of :meth:`fetch_event`, or ``None``."""
        event = self.fetch_event(shadow)
        return None if event is None else event.data

    def mark_as_completed(self, mark: tuple[Any, ...], *, wait: bool = False) -> MarkOutcome | None:
        """``mark_as_completed((subscriber, (topic, id)))`` or
        ``((subscriber, topic, id))``: the subscriber has processed the event.

        ``subscriber`` must be exactly what was subscribed (``listener`` or
        ``(listener, config)``). When every subscriber of the event has
        completed or skipped it, the event and its watcher are deleted. A
        second mark by the same subscriber, a mark by a non-subscriber and a
        mark of an event not stored are ignored (and counted in the metrics).

        Args:
            wait: ``False`` (default) returns at once (event_bus's cast);
                ``True`` waits until it is written and returns the outcome:
                ``"applied"``, ``"finished"`` (it was the last one and the
                event was deleted), ``"duplicate"``, ``"not_subscriber"`` or
                ``"unknown_event"``.

        Raises:
            TypeError, ValueError: a malformed mark.
        """
        return self._mark(mark, "completed", wait)

    def mark_as_skipped(self, mark: tuple[Any, ...], *, wait: bool = False) -> MarkOutcome | None:
        """Like :meth:`mark_as_completed`: the subscriber skipped the event."""
        return self._mark(mark, "skipped", wait)

    def _mark(self, mark: tuple[Any, ...], status: MarkStatus, wait: bool) -> MarkOutcome | None:
        subscriber, topic, event_id = _parse_mark(mark, f"mark_as_{status}")
        request = ("mark", Mark(topic, event_id, subscriber.key, status))
        if not wait:
            self._cast(request)
            return None
        outcome: MarkOutcome = self._call(request)
        return outcome

    # Watching --------------------------------------------------------------------------

    def watchers(self, topic: str) -> list[Watcher]:
        """The unprocessed events of ``topic``, oldest first, each with its
        subscribers, completers and skippers (``[]`` for an unknown topic)."""
        found: list[Watcher] = self._call(("watchers", check_topic(topic)))
        return found

    def metrics(self) -> EventBusMetrics:
        """A snapshot of the bus: per topic, per listener, and totals."""
        found: EventBusMetrics = self._call(("metrics",))
        return found

    def sync(self, timeout: float | None = 10.0) -> None:
        """Return once the bus has handled (and written) everything sent to it
        before this call by this thread."""
        self._call(("sync",), timeout)

    def on_listener_down(self, hook: Callable[[ListenerDown], object]) -> Callable[[], None]:
        """Call ``hook(report)`` whenever a listener actor exits while holding
        deliveries (they are marked skipped first). Returns a remover.

        The hook runs in the bus actor's thread: keep it quick (hand the
        report to an actor or a non-blocking broadcast). An exception in it
        is logged and ignored.
        """
        return self._registry.add_listener_down_hook(hook)

    def add_metrics_publisher(
        self, publish: Callable[[EventBusMetrics], Any], *, interval: float = 5.0
    ) -> Callable[[], None]:
        """Every ``interval`` seconds (system clock), call ``publish(metrics)``.

        ``publish`` runs in a small supervised actor beside the bus (a pool
        worker), never in the bus's thread; an exception in it is logged and
        counted. Returns a remover that stops the publisher.

        Raises:
            TypeError, ValueError: ``publish`` not callable, or ``interval``
                not a positive number of seconds.
        """
        if not callable(publish):
            msg = f"publish must be callable, got {type(publish).__name__} {publish!r}"
            raise TypeError(msg)
        if isinstance(interval, bool) or not isinstance(interval, int | float) or not interval > 0:
            msg = f"interval must be a positive number of seconds, got {interval!r}"
            raise ValueError(msg)
        child_id = ("metrics_publisher", next(_publisher_ids))
        spec = sv.child_spec(child_id, MetricsPublisher, SERVER_NAME, publish, float(interval))
        sv.start_child(self.supervisor, spec)

        def remove() -> None:
            try:
                sv.terminate_child(self.supervisor, child_id)
                sv.delete_child(self.supervisor, child_id)
            except (sv.NotFound, actors.CallError):
                pass

        return remove


# Argument checks (caller's thread) -----------------------------------------------------


def _root_cause(exc: BaseException) -> BaseException:
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nxt = getattr(exc, "cause", None) or exc.__cause__
        if nxt is None:
            break
        exc = nxt
    return exc


def _pair(value: Any, what: str) -> tuple[Any, Any]:
    if type(value) is not tuple or len(value) != 2:
        msg = (
            f"{what}() takes one (subscriber, patterns) tuple, e.g. "
            f'{what}((listener, [".*"])), got {type(value).__name__} {value!r:.80}'
        )
        raise TypeError(msg)
    return value[0], value[1]


def _check_alive(subscriber: Subscriber, system: actors.ActorSystem) -> None:
    if subscriber.by_name:
        return
    proc = process_of(subscriber.listener, system)
    if proc is None or not proc.alive:
        msg = f"cannot subscribe {subscriber.listener!r}: that actor has exited"
        raise ValueError(msg)


def _parse_mark(mark: Any, what: str) -> tuple[Subscriber, str, EventId]:
    if type(mark) is tuple and len(mark) == 3:
        subscriber, topic, event_id = mark
        return (
            parse_subscriber(subscriber, what),
            check_topic(topic, f"{what}: the topic"),
            check_event_id(event_id, f"{what}: the event id"),
        )
    if type(mark) is tuple and len(mark) == 2:
        subscriber, shadow = mark
        topic, event_id = check_shadow(shadow)
        return parse_subscriber(subscriber, what), topic, event_id
    msg = (
        f"{what}() takes (subscriber, (topic, id)) or (subscriber, topic, id), "
        f"got {type(mark).__name__} {mark!r:.80}"
    )
    raise TypeError(msg)


# Module-level functions (event_bus's facade) ---------------------------------------------


def register_topic(topic: str, *, system: actors.ActorSystem | None = None) -> None:
    """:meth:`EventBus.register_topic` on the system's bus."""
    EventBus.of(system).register_topic(topic)


def unregister_topic(topic: str, *, system: actors.ActorSystem | None = None) -> None:
    """:meth:`EventBus.unregister_topic` on the system's bus."""
    EventBus.of(system).unregister_topic(topic)


def topic_exist(topic: str, *, system: actors.ActorSystem | None = None) -> bool:
    """:meth:`EventBus.topic_exist` on the system's bus."""
    return EventBus.of(system).topic_exist(topic)


def topics(*, system: actors.ActorSystem | None = None) -> list[str]:
    """:meth:`EventBus.topics` on the system's bus."""
    return EventBus.of(system).topics()


def subscribe(
    subscription: tuple[Any, list[str] | tuple[str, ...]],
    *,
    system: actors.ActorSystem | None = None,
) -> None:
    """:meth:`EventBus.subscribe` on the system's bus."""
    EventBus.of(system).subscribe(subscription)


def unsubscribe(subscriber: Any, *, system: actors.ActorSystem | None = None) -> None:
    """:meth:`EventBus.unsubscribe` on the system's bus."""
    EventBus.of(system).unsubscribe(subscriber)


def subscribers(topic: str | None = None, *, system: actors.ActorSystem | None = None) -> list[Any]:
    """:meth:`EventBus.subscribers` on the system's bus."""
    return EventBus.of(system).subscribers(topic)


def notify(
    event: Event,
    *,
    wait: bool = True,
    timeout: float | None = 30.0,
    system: actors.ActorSystem | None = None,
) -> int | None:
    """:meth:`EventBus.notify` on the system's bus."""
    return EventBus.of(system).notify(event, wait=wait, timeout=timeout)


def fetch_event(
    shadow: tuple[str, EventId], *, system: actors.ActorSystem | None = None
) -> Event | None:
    """:meth:`EventBus.fetch_event` on the system's bus."""
    return EventBus.of(system).fetch_event(shadow)


def fetch_event_data(
    shadow: tuple[str, EventId], *, system: actors.ActorSystem | None = None
) -> Any:
    """:meth:`EventBus.fetch_event_data` on the system's bus."""
    return EventBus.of(system).fetch_event_data(shadow)


def mark_as_completed(
    mark: tuple[Any, ...], *, wait: bool = False, system: actors.ActorSystem | None = None
) -> MarkOutcome | None:
    """:meth:`EventBus.mark_as_completed` on the system's bus."""
    return EventBus.of(system).mark_as_completed(mark, wait=wait)


def mark_as_skipped(
    mark: tuple[Any, ...], *, wait: bool = False, system: actors.ActorSystem | None = None
) -> MarkOutcome | None:
    """:meth:`EventBus.mark_as_skipped` on the system's bus."""
    return EventBus.of(system).mark_as_skipped(mark, wait=wait)


def watchers(topic: str, *, system: actors.ActorSystem | None = None) -> list[Watcher]:
    """:meth:`EventBus.watchers` on the system's bus."""
    return EventBus.of(system).watchers(topic)


def metrics(*, system: actors.ActorSystem | None = None) -> EventBusMetrics:
    """:meth:`EventBus.metrics` on the system's bus."""
    return EventBus.of(system).metrics()


def on_listener_down(
    hook: Callable[[ListenerDown], object], *, system: actors.ActorSystem | None = None
) -> Callable[[], None]:
    """:meth:`EventBus.on_listener_down` on the system's bus."""
    return EventBus.of(system).on_listener_down(hook)


def add_metrics_publisher(
    publish: Callable[[EventBusMetrics], Any],
    *,
    interval: float = 5.0,
    system: actors.ActorSystem | None = None,
) -> Callable[[], None]:
    """:meth:`EventBus.add_metrics_publisher` on the system's bus."""
    return EventBus.of(system).add_metrics_publisher(publish, interval=interval)
