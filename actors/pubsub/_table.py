"""The subscription table of one pub/sub instance.

Subscribers (any thread) write it under its lock; any number of publishers
read it. Readers get an immutable :class:`Targets` per topic from a cache:
one dict lookup on the broadcast path, and a topic found there is known to
be valid. A write invalidates only what it touches (one topic's entry, or
every entry when a pattern changes) and the next broadcast on that topic
rebuilds it, so subscribing 100,000 actors one by one stays linear. The
table belongs to the instance's :class:`PubSub` handle, not to its actor, so
it survives a restart of the actor.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Container
from typing import Any, Final

from actors.lowlevel import Process
from actors.pubsub._topics import PatternTrie, is_pattern, validate_topic

__all__ = ["Policy", "Subscription", "SubscriptionTable", "Targets"]

CACHE_LIMIT: Final = 50_000
"""Distinct topics whose targets are cached before the cache starts over."""

_NO_QUEUE: Final[tuple[()]] = ()
"""The depth an unbounded subscription is checked against: always 0."""


class Policy:
    """A subscription's delivery policy, shared by every subscription with
    the same one (:meth:`of`), so the broadcast loop touches one hot object
    instead of each subscription's own."""

    __slots__ = ("block_timeout", "limit", "overflow")

    def __init__(self, overflow: str, limit: int, block_timeout: float) -> None:
        self.overflow = overflow
        self.limit = limit
        self.block_timeout = block_timeout

    @classmethod
    def of(cls, overflow: str, limit: int, block_timeout: float) -> Policy:
        key = (overflow, limit, block_timeout)
        with _POLICY_LOCK:
            policy = _POLICIES.get(key)
            if policy is None:
                if len(_POLICIES) >= CACHE_LIMIT:
                    _POLICIES.clear()
                policy = _POLICIES[key] = cls(overflow, limit, block_timeout)
            return policy

    def __repr__(self) -> str:
        return f"<Policy {self.overflow} limit={self.limit} block_timeout={self.block_timeout}>"


_POLICIES: dict[tuple[str, int, float], Policy] = {}
_POLICY_LOCK = threading.Lock()


class Subscription:
    """One subscription: a subscriber, a topic or pattern, and its policy.

    ``offer`` is the subscriber's bounded-delivery entry point
    (:meth:`~actors.lowlevel.Process.offer`); ``push(proc, message)``
    appends to its mailbox without a bound (the class's function, shared by
    every subscriber of that class: one object fewer to touch per delivery
    than a bound method); ``queue`` is what the broadcast loop measures the
    depth of (an empty tuple when nothing is bounded).
    """

    __slots__ = (
        "block_timeout",
        "bounded",
        "key",
        "limit",
        "metadata",
        "offer",
        "overflow",
        "policy",
        "proc",
        "push",
        "queue",
    )

    def __init__(
        self,
        proc: Process,
        key: str | re.Pattern[str],
        metadata: Any,
        limit: int | None,
        overflow: str,
        block_timeout: float,
    ) -> None:
        self.proc = proc
        self.key = key
        self.metadata = metadata
        self.overflow = overflow
        self.block_timeout = block_timeout
        # A GenServer's push is its mailbox append; probes deliver.
        kind = type(proc)
        push: Callable[[Any, Any], bool] = getattr(kind, "push", kind.deliver)
        self.push = push
        self.offer: Callable[..., str] = proc.offer
        # TODO(lowlevel): the mailbox deque of a GenServer process, read
        # with len() in the broadcast loop: 30 ns where queue_len() costs a
        # Python call (~60 ns) per delivery. Probes have no bound.
        queue = getattr(proc, "queue", None)
        self.bounded = limit is not None and queue is not None
        self.queue: Any = queue if self.bounded else _NO_QUEUE
        self.limit = limit if limit is not None and self.bounded else 1
        self.policy = Policy.of(overflow, self.limit, block_timeout)

    @property
    def ref(self) -> Any:
        return self.proc.ref

    def __repr__(self) -> str:
        return f"<Subscription {self.key!r} by {self.proc}>"


class Targets:
    """The immutable answer for one topic, laid out for the broadcast loop.

    Attributes:
        subs: every subscription a broadcast on the topic reaches.
        pushes: ``(push, process)`` per subscription when none is bounded
            and none stalled (the loop is then one call per subscriber),
            else ``None``.
        plan: ``(push, process, queue, limit, policy)`` per subscription
            that is not stalled: the loop delivers while ``len(queue) <
            limit``. Nothing in an entry is particular to the subscription
            object, which the loop therefore never touches.
        stalled: ``(process, policy)`` of the subscriptions whose subscriber
            is stalled (see :meth:`PubSub.dispatch`): each broadcast checks
            them for room.
        evicting: some subscription drops the oldest message, so the
            broadcast's message must be remembered to be recognised later.
    """

    __slots__ = ("counts", "evicting", "plan", "pushes", "stalled", "subs")

    def __init__(self, subs: tuple[Subscription, ...], stalled: Container[Process]) -> None:
        self.subs = subs
        held = tuple(
            sub for sub in subs if sub.bounded and sub.overflow == "block" and sub.proc in stalled
        )
        self.stalled = tuple((sub.proc, sub.policy) for sub in held)
        moving = tuple(sub for sub in subs if sub not in held) if held else subs
        self.plan = tuple((sub.push, sub.proc, sub.queue, sub.limit, sub.policy) for sub in moving)
        self.pushes: tuple[tuple[Callable[[Any, Any], bool], Process], ...] | None = (
            tuple((sub.push, sub.proc) for sub in subs)
            if not self.stalled and not any(sub.bounded for sub in subs)
            else None
        )
        self.evicting = any(sub.bounded and sub.overflow == "drop_oldest" for sub in subs)
        self.counts: list[int] | None = None
        """The topic's live counters, fetched by the first broadcast."""


class SubscriptionTable:
    """Exact topics, wildcard patterns and regex patterns, with a target cache.

    ``stalled`` is the instance's set of stalled subscriber processes, read
    when targets are built; whoever changes it calls :meth:`invalidate`.
    """

    def __init__(self, stalled: Container[Process] = frozenset()) -> None:
        self._lock = threading.Lock()
        # Insertion-ordered dicts used as ordered sets: removing one of
        # 10,000 subscriptions costs O(1), not a list scan (10,000 exiting
        # subscribers were 50 million comparisons in the instance actor).
        self._exact: dict[str, dict[Subscription, None]] = {}
        self._patterns: dict[Subscription, None] = {}  # wildcard and regex
        self._by_proc: dict[Process, list[Subscription]] = {}
        self.cache: dict[str, Targets] = {}
        """Read without the lock by publishers: ``cache.get(topic)``."""
        self._trie: PatternTrie | None = None
        self._regexes: tuple[Subscription, ...] = ()
        self._stalled = stalled
        self.count = 0

    # Reading (any thread) ---------------------------------------------------------

    def targets(self, topic: str) -> Targets:
        """Who receives a broadcast on ``topic``: every exact subscription,
        then each pattern subscriber once (however many of its patterns match).

        Raises:
            InvalidTopic: ``topic`` cannot be broadcast on.
        """
        try:
            cached = self.cache.get(topic)
        except TypeError:  # unhashable: not a topic (validate_topic says why)
            cached = None
        if cached is not None:
            return cached
        validate_topic(topic)
        with self._lock:
            exact = tuple(self._exact.get(topic, ()))
            if self._patterns:
                if self._trie is None:
                    self._index_patterns()
                subs = exact + self._pattern_targets(topic)
            else:
                subs = exact
            if len(self.cache) >= CACHE_LIMIT:
                self.cache.clear()
            targets = self.cache[topic] = Targets(subs, self._stalled)
            return targets

    def _index_patterns(self) -> None:
        trie = PatternTrie()
        regexes = []
        for sub in self._patterns:
            if isinstance(sub.key, re.Pattern):
                regexes.append(sub)
            else:
                trie.add(sub.key, sub)
        self._trie = trie
        self._regexes = tuple(regexes)

    def _pattern_targets(self, topic: str) -> tuple[Subscription, ...]:
        assert self._trie is not None
        chosen: dict[Process, Subscription] = {}
        for sub in self._trie.match(topic):
            chosen.setdefault(sub.proc, sub)
        for sub in self._regexes:
            if sub.proc not in chosen and sub.key.fullmatch(topic) is not None:  # type: ignore[union-attr]
                chosen[sub.proc] = sub
        # Keep subscription order stable: the order in which they were made.
        order = {id(sub): i for i, sub in enumerate(self._patterns)}
        return tuple(sorted(chosen.values(), key=lambda s: order[id(s)]))

    def subscribers(self) -> list[Process]:
        with self._lock:
            return list(self._by_proc)

    def has(self, proc: Process) -> bool:
        """Whether ``proc`` holds any subscription here."""
        with self._lock:
            return proc in self._by_proc

    def subscriptions_of(self, proc: Process) -> list[Subscription]:
        with self._lock:
            return list(self._by_proc.get(proc, ()))

    def all_subscriptions(self) -> list[Subscription]:
        with self._lock:
            return [sub for subs in self._by_proc.values() for sub in subs]

    # Writing (any thread) ------------------------------------------------------------

    def add(self, sub: Subscription) -> bool:
        """Add ``sub``; returns whether its subscriber is new to this table."""
        with self._lock:
            key = sub.key
            if isinstance(key, str) and not is_pattern(key):
                self._exact.setdefault(key, {})[sub] = None
                self.cache.pop(key, None)
            else:
                self._patterns[sub] = None
                self._trie = None
                self.cache.clear()
            subs = self._by_proc.get(sub.proc)
            new = subs is None
            if subs is None:
                subs = self._by_proc[sub.proc] = []
            subs.append(sub)
            self.count += 1
            return new

    def remove(self, proc: Process, key: str | re.Pattern[str] | None) -> tuple[int, bool]:
        """Remove ``proc``'s subscriptions to ``key`` (all of them if ``None``).

        Returns (how many were removed, whether ``proc`` has none left).
        """
        with self._lock:
            subs = self._by_proc.get(proc)
            if not subs:
                return 0, True
            going = [s for s in subs if key is None or _same_key(s.key, key)]
            if not going:
                return 0, False
            for sub in going:
                subs.remove(sub)
                self._drop(sub)
            self.count -= len(going)
            if not subs:
                del self._by_proc[proc]
                return len(going), True
            return len(going), False

    def invalidate(self) -> None:
        """Forget every cached target (the stalled set changed)."""
        with self._lock:
            self.cache.clear()

    def _drop(self, sub: Subscription) -> None:
        key = sub.key
        if isinstance(key, str) and not is_pattern(key):
            entries = self._exact.get(key)
            if entries is not None:
                entries.pop(sub, None)
                if not entries:
                    del self._exact[key]
            self.cache.pop(key, None)
        else:
            self._patterns.pop(sub, None)
            self._trie = None
            self.cache.clear()


def _same_key(a: str | re.Pattern[str], b: str | re.Pattern[str]) -> bool:
    if isinstance(a, re.Pattern) and isinstance(b, re.Pattern):
        return a.pattern == b.pattern and a.flags == b.flags
    return a == b
