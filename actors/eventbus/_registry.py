"""The bus's state that outlives its actor: topics, subscriptions, counters, hooks.

The bus actor is the only writer (every change happens in its thread, in
the order its mailbox gives), and it publishes an immutable
:class:`Snapshot` after each change, so ``topics()``, ``topic_exist()`` and
``subscribers()`` read it in the caller's thread without a message. Because
a change is published before the call that made it returns, a ``notify``
right after ``register_topic`` or ``subscribe`` sees it (event_bus does the
subscription step as a cast, so it can miss it).

When the supervisor restarts a crashed bus actor, the new one finds the
subscriptions here and carries on with them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

import attrs

import actors
from actors.eventbus._metrics import Counters, ListenerDown
from actors.eventbus._patterns import Matcher
from actors.eventbus._settings import Settings
from actors.eventbus._subscribers import Subscriber
from actors.eventbus._tracking import Tracking

__all__ = ["EMPTY", "ListenerDownHook", "Registry", "Snapshot", "Subscription"]

logger = logging.getLogger("actors.eventbus")

ListenerDownHook = Callable[[ListenerDown], object]
"""``hook(report)``: called in the bus actor's thread when a listener exits
holding deliveries; it must be quick and never raise."""


@attrs.frozen(eq=False)
class Subscription:
    """A subscriber and its compiled patterns."""

    subscriber: Subscriber
    matcher: Matcher

    @property
    def key(self) -> str:
        return self.subscriber.key


@attrs.frozen
class Snapshot:
    """Topics and subscriptions at one moment (never mutated).

    Attributes:
        topics: registered topics, oldest registration first.
        topic_set: the same, for membership tests.
        subscriptions: every subscription, oldest first (a re-subscribe
            keeps its place and replaces its patterns).
        by_topic: each registered topic's matching subscriptions, in
            subscription order: the order shadows are sent in.
        by_key: subscriptions by subscriber key.
    """

    topics: tuple[str, ...]
    topic_set: frozenset[str]
    subscriptions: tuple[Subscription, ...]
    by_topic: Mapping[str, tuple[Subscription, ...]]
    by_key: Mapping[str, Subscription]


EMPTY = Snapshot((), frozenset(), (), {}, {})


class Registry:
    """See the module docstring. One per running EventBus."""

    def __init__(self, system: actors.ActorSystem, settings: Settings) -> None:
        self.system = system
        self.settings = settings
        self.snapshot: Snapshot = EMPTY
        self.counters = Counters()
        self.tracking = Tracking()
        self.incarnations = 0
        self.backend: Any = None
        """The open backend, kept across restarts of the bus actor."""
        self.owns_backend = False
        self._hooks: tuple[ListenerDownHook, ...] = ()
        self._hooks_lock = threading.Lock()

    # Hooks (any thread) -----------------------------------------------------------------

    def add_listener_down_hook(self, hook: ListenerDownHook) -> Callable[[], None]:
        if not callable(hook):
            msg = f"a listener-down hook must be callable, got {type(hook).__name__} {hook!r}"
            raise TypeError(msg)
        with self._hooks_lock:
            self._hooks = (*self._hooks, hook)

        def remove() -> None:
            with self._hooks_lock:
                self._hooks = tuple(h for h in self._hooks if h is not hook)

        return remove

    def listener_down(self, report: ListenerDown) -> None:
        """Run every hook (in the bus thread); a failing hook is logged and counted."""
        for hook in self._hooks:
            try:
                hook(report)
            except Exception:
                self.counters.bus["hook_failures"] += 1
                logger.exception("EventBus: listener-down hook %r failed", hook)

    # Changes (the bus actor's thread only) ---------------------------------------------

    def set_topics(self, topics: list[str]) -> None:
        snap = self.snapshot
        by_topic = {
            t: snap.by_topic[t]
            if t in snap.by_topic
            else tuple(s for s in snap.subscriptions if s.matcher.matches(t))
            for t in topics
        }
        self._publish(tuple(topics), snap.subscriptions, by_topic)

    def add_topic(self, topic: str) -> None:
        snap = self.snapshot
        if topic in snap.topic_set:
            return
        by_topic = dict(snap.by_topic)
        by_topic[topic] = tuple(s for s in snap.subscriptions if s.matcher.matches(topic))
        self._publish((*snap.topics, topic), snap.subscriptions, by_topic)

    def remove_topic(self, topic: str) -> None:
        snap = self.snapshot
        if topic not in snap.topic_set:
            return
        by_topic = {t: subs for t, subs in snap.by_topic.items() if t != topic}
        self._publish(tuple(t for t in snap.topics if t != topic), snap.subscriptions, by_topic)

    def subscribe(self, subscription: Subscription) -> bool:
        """Add it, or replace the patterns of the same subscriber in place;
        returns whether it is new."""
        snap = self.snapshot
        key = subscription.key
        if key not in snap.by_key:
            subscriptions = (*snap.subscriptions, subscription)
            by_topic = {
                t: (*subs, subscription) if subscription.matcher.matches(t) else subs
                for t, subs in snap.by_topic.items()
            }
            self._publish(snap.topics, subscriptions, by_topic)
            return True
        subscriptions = tuple(subscription if s.key == key else s for s in snap.subscriptions)
        by_topic = {t: tuple(s for s in subscriptions if s.matcher.matches(t)) for t in snap.topics}
        self._publish(snap.topics, subscriptions, by_topic)
        return False

    def unsubscribe(self, key: str) -> Subscription | None:
        snap = self.snapshot
        found = snap.by_key.get(key)
        if found is None:
            return None
        subscriptions = tuple(s for s in snap.subscriptions if s.key != key)
        by_topic = {t: tuple(s for s in subs if s.key != key) for t, subs in snap.by_topic.items()}
        self._publish(snap.topics, subscriptions, by_topic)
        return found

    def _publish(
        self,
        topics: tuple[str, ...],
        subscriptions: tuple[Subscription, ...],
        by_topic: Mapping[str, tuple[Subscription, ...]],
    ) -> None:
        self.snapshot = Snapshot(
            topics=topics,
            topic_set=frozenset(topics),
            subscriptions=subscriptions,
            by_topic=by_topic,
            by_key={s.key: s for s in subscriptions},
        )
