"""Counters of one pub/sub instance and their frozen snapshot (trio style)."""

from __future__ import annotations

import collections
import threading
from typing import Final

import attrs

__all__ = ["InstanceCounters", "InstanceStatistics", "TopicStatistics"]

TOPIC_LIMIT: Final = 10_000
"""Topics counted one by one; the rest are summed under :data:`OTHER_TOPICS`."""
OTHER_TOPICS: Final = "<other topics>"
RATE_WINDOW: Final = 10.0
"""Seconds :attr:`InstanceStatistics.publish_rate` is measured over."""
RATE_SAMPLES: Final = 20
"""Samples kept per window (at most one per ``RATE_WINDOW / RATE_SAMPLES`` s)."""


@attrs.frozen
class TopicStatistics:
    published: int = 0
    delivered: int = 0
    dropped: int = 0
    failed: int = 0
    rejected: int = 0
    dead: int = 0


@attrs.frozen
class InstanceStatistics:
    """A snapshot of an instance, from :meth:`PubSub.statistics`.

    Attributes:
        name: the instance name.
        state: ``"running"``, ``"restarting"`` or ``"stopped"``.
        subscriptions, subscribers: current counts (a subscriber may hold
            several subscriptions).
        published: broadcasts made; ``delivered``: messages put in mailboxes;
        dropped: not delivered or taken back by a drop policy; ``failed``:
            deliveries that timed out under the block policy; ``rejected``:
            refused by the reject policy; ``dead``: deliveries skipped because
            the subscriber had exited (it is then unsubscribed).
        dead_cleaned: subscriptions removed because their subscriber exited.
        publish_rate: broadcasts per second (system clock) over about the
            last :data:`RATE_WINDOW` seconds (since the start, if younger).
            Reading it changes nothing: every reader sees the same rate
            however often anyone takes snapshots.
        largest_mailbox: the deepest subscriber mailbox right now (consumer lag).
        per_topic: the same counters per topic.
        restarts: incarnations of the instance actor after the first.
        forged: external messages the verifier refused (secure instances).
        stalled: subscribers that had no room for ``block_timeout`` and
            have not made room since (publishers do not wait for them).
    """

    name: str
    state: str
    subscriptions: int
    subscribers: int
    published: int
    delivered: int
    dropped: int
    failed: int
    rejected: int
    dead: int
    dead_cleaned: int
    publish_rate: float
    largest_mailbox: int
    per_topic: dict[str, TopicStatistics]
    restarts: int
    forged: int = 0
    stalled: int = 0


class InstanceCounters:
    """Mutable counters: one short critical section per broadcast.

    Per topic: published, delivered, dropped, failed, rejected, dead. Totals
    are summed when a snapshot is taken rather than kept twice.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._topics: dict[str, list[int]] = {}
        self.dead_cleaned = 0
        self.forged = 0
        self.restarts = 0
        # (time, published) samples taken at snapshots, oldest first: just
        # enough history to measure over the last window.
        self._samples: collections.deque[tuple[float, int]] = collections.deque()

    def _counts(self, topic: str) -> list[int]:
        counts = self._topics.get(topic)
        if counts is None:
            key = topic if len(self._topics) < TOPIC_LIMIT else OTHER_TOPICS
            counts = self._topics.setdefault(key, [0, 0, 0, 0, 0, 0])
        return counts

    @property
    def lock(self) -> threading.Lock:
        """Held for every change (the broadcast loop increments a topic's
        :meth:`counts_for` list under it directly)."""
        return self._lock

    def counts_for(self, topic: str) -> list[int]:
        """The live counters of ``topic``: published, delivered, dropped,
        failed, rejected, dead. Change them only under :attr:`lock`."""
        with self._lock:
            return self._counts(topic)

    def delivered(self, topic: str, delivered: int) -> None:
        """The common case: a broadcast that dropped and failed nothing."""
        with self._lock:
            counts = self._counts(topic)
            counts[0] += 1
            counts[1] += delivered

    def record(
        self, topic: str, delivered: int, dropped: int, failed: int, rejected: int, dead: int
    ) -> None:
        with self._lock:
            counts = self._counts(topic)
            counts[0] += 1
            counts[1] += delivered
            counts[2] += dropped
            counts[3] += failed
            counts[4] += rejected
            counts[5] += dead

    def evicted(self, topic: str) -> None:
        """A message delivered earlier on ``topic`` was taken back by the
        ``drop_oldest`` policy: it now counts as dropped, not delivered, so
        that published x targets == delivered + dropped + failed + rejected
        + dead holds at every moment, in total and per topic."""
        with self._lock:
            counts = self._counts(topic)
            counts[1] -= 1
            counts[2] += 1

    def totals(self) -> list[int]:
        with self._lock:
            sums = [0, 0, 0, 0, 0, 0]
            for counts in self._topics.values():
                for i, value in enumerate(counts):
                    sums[i] += value
            return sums

    def add_cleaned(self, n: int) -> None:
        with self._lock:
            self.dead_cleaned += n

    def add_forged(self, n: int = 1) -> None:
        with self._lock:
            self.forged += n

    def add_restart(self) -> None:
        with self._lock:
            self.restarts += 1

    def rate(self, published: int, now: float, started: float) -> float:
        """Broadcasts per second over about the last :data:`RATE_WINDOW`
        seconds, measured from the oldest sample still inside the window
        (``started`` with 0 broadcasts before the first snapshot)."""
        with self._lock:
            samples = self._samples
            if not samples:
                samples.append((started, 0))
            # Keep one sample at least a window old as the base, drop older ones.
            while len(samples) > 1 and now - samples[1][0] >= RATE_WINDOW:
                samples.popleft()
            since, base = samples[0]
            if now - samples[-1][0] >= RATE_WINDOW / RATE_SAMPLES:  # bounds the deque
                samples.append((now, published))
        elapsed = now - since
        return (published - base) / elapsed if elapsed > 0 else 0.0

    def per_topic(self) -> dict[str, TopicStatistics]:
        with self._lock:
            return {topic: TopicStatistics(*counts) for topic, counts in self._topics.items()}
