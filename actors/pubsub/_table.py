"""The subscription table of one pub/sub instance.

One writer (the instance actor) changes it; any number of publishers read
it. Readers get an immutable tuple of targets per topic from a cache: one
dict lookup on the broadcast path. A write invalidates only what it touches
(one topic's entry, or every entry when a pattern changes) and the next
broadcast on that topic rebuilds it, so subscribing 100,000 actors one by one
stays linear. The table belongs to the instance's :class:`PubSub` handle, not
to the actor, so it survives a restart of the actor.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable
from typing import Any, Final

from actors.lowlevel import Process
from actors.pubsub._topics import PatternTrie, is_pattern

__all__ = ["Subscription", "SubscriptionTable", "Targets"]

CACHE_LIMIT: Final = 50_000
"""Distinct topics whose targets are cached before the cache starts over."""

UNBOUNDED: Final = sys.maxsize


class Subscription:
    """One subscription: a subscriber, a topic or pattern, and its policy.

    ``offer`` is the subscriber's bounded-delivery entry point (``None`` for
    an unbounded subscription, which is delivered with ``push``).
    """

    __slots__ = (
        "block_timeout",
        "key",
        "limit",
        "metadata",
        "offer",
        "overflow",
        "proc",
        "push",
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
        self.limit = UNBOUNDED if limit is None else limit
        self.offer: Callable[..., str] | None = None if limit is None else proc.offer
        # A GenServer's push is its mailbox append; probes deliver.
        push: Callable[[Any], bool] = getattr(proc, "push", proc.deliver)
        self.push = push

    @property
    def ref(self) -> Any:
        return self.proc.ref

    def __repr__(self) -> str:
        return f"<Subscription {self.key!r} by {self.proc}>"


class Targets:
    """The immutable answer for one topic: its subscriptions, and their push
    functions when none of them has a bound (the fast path)."""

    __slots__ = ("evicting", "plan", "pushes", "subs")

    def __init__(self, subs: tuple[Subscription, ...]) -> None:
        self.subs = subs
        # What the general fan-out loop reads per subscriber, unpacked once.
        self.plan = tuple((sub.push, sub.offer, sub.limit, sub) for sub in subs)
        self.pushes: tuple[Callable[[Any], bool], ...] | None = (
            tuple(sub.push for sub in subs) if all(sub.offer is None for sub in subs) else None
        )
        # drop_oldest must later recognise the messages of this broadcast.
        self.evicting = any(sub.offer is not None and sub.overflow == "drop_oldest" for sub in subs)


class SubscriptionTable:
    """Exact topics, wildcard patterns and regex patterns, with a target cache."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exact: dict[str, list[Subscription]] = {}
        self._patterns: list[Subscription] = []  # wildcard and regex
        self._by_proc: dict[Process, list[Subscription]] = {}
        self._cache: dict[str, Targets] = {}
        self._trie: PatternTrie | None = None
        self._regexes: tuple[Subscription, ...] = ()
        self.count = 0

    # Reading (any thread) ---------------------------------------------------------

    def targets(self, topic: str) -> Targets:
        """Who receives a broadcast on ``topic``: every exact subscription,
        then each pattern subscriber once (however many of its patterns match)."""
        cached = self._cache.get(topic)
        if cached is not None:
            return cached
        with self._lock:
            exact = tuple(self._exact.get(topic, ()))
            if self._patterns:
                if self._trie is None:
                    self._index_patterns()
                subs = exact + self._pattern_targets(topic)
            else:
                subs = exact
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
            targets = self._cache[topic] = Targets(subs)
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

    def subscriptions_of(self, proc: Process) -> list[Subscription]:
        with self._lock:
            return list(self._by_proc.get(proc, ()))

    def all_subscriptions(self) -> list[Subscription]:
        with self._lock:
            return [sub for subs in self._by_proc.values() for sub in subs]

    # Writing (the instance actor only) ---------------------------------------------

    def add(self, sub: Subscription) -> bool:
        """Add ``sub``; returns whether its subscriber is new to this table."""
        with self._lock:
            key = sub.key
            if isinstance(key, str) and not is_pattern(key):
                self._exact.setdefault(key, []).append(sub)
                self._cache.pop(key, None)
            else:
                self._patterns.append(sub)
                self._trie = None
                self._cache.clear()
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

    def _drop(self, sub: Subscription) -> None:
        key = sub.key
        if isinstance(key, str) and not is_pattern(key):
            entries = self._exact.get(key)
            if entries is not None:
                entries.remove(sub)
                if not entries:
                    del self._exact[key]
            self._cache.pop(key, None)
        else:
            self._patterns.remove(sub)
            self._trie = None
            self._cache.clear()


def _same_key(a: str | re.Pattern[str], b: str | re.Pattern[str]) -> bool:
    if isinstance(a, re.Pattern) and isinstance(b, re.Pattern):
        return a.pattern == b.pattern and a.flags == b.flags
    return a == b
