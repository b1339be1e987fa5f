"""Counters of one node's cluster traffic and their frozen snapshot."""

from __future__ import annotations

import threading
from collections import Counter

import attrs

__all__ = ["ClusterStatistics", "Counters"]


@attrs.frozen(kw_only=True)
class ClusterStatistics:
    """A snapshot of one node's part in the cluster (``actors.cluster.statistics(system)``).

    Attributes:
        node: this node's name.
        incarnation: this run's unique id (a restart under the same name is new).
        state: ``"connected"``, ``"disconnected"`` (Redis unreachable, the
            outbox holds what is sent meanwhile) or ``"closed"``.
        nodes: the other nodes currently up.
        outbox: messages waiting for Redis now, a batch being sent included.
        outbox_limit: the outbox's bound.
        outbox_peak: the most messages the outbox held at once.
        dropped: publishes and sends refused because the outbox was full
            (each publisher got an ``Error``; each sender ``False``).
        lost_in_flight: ephemeral messages that were on a connection when it
            broke (not resent: at most once; receivers report them as gaps).
        published: broadcasts handed to Redis (both delivery classes).
        sent: remote-actor messages handed to Redis (sends, casts, calls, replies).
        received: envelopes from other nodes accepted.
        duplicates: envelopes dropped because their sequence number was seen
            already (an injected replay, or an ephemeral message that came
            after its gap was reported).
        gaps: gaps reported (``pubsub_gap``).
        missed: messages those gaps cover.
        malformed: wire entries that were not valid envelopes (dropped, logged).
        refused: envelopes a secure instance refused (forged, replayed, expired).
        disconnects: times the node lost Redis.
        reconnects: times it got Redis back.
        pending_calls: remote calls waiting for a reply.
        tracked_origins: sequence counters kept for gap/duplicate detection.
        reply_channels: reply channels made (each a Redis connection on
            which one synchronous caller at a time reads its reply).
        channel_replies: replies read off a reply channel (the others came
            through the inbox: calls from coroutines, traced calls, or every
            channel was in use).
        late_replies: replies to calls that had timed out, skipped by the
            next call of their reply channel.
    """

    node: str
    incarnation: str
    state: str
    nodes: int
    outbox: int
    outbox_limit: int
    outbox_peak: int
    dropped: int
    lost_in_flight: int
    published: int
    sent: int
    received: int
    duplicates: int
    gaps: int
    missed: int
    malformed: int
    refused: int
    disconnects: int
    reconnects: int
    pending_calls: int
    tracked_origins: int
    reply_channels: int
    channel_replies: int
    late_replies: int


class Counters:
    """Thread-safe named counters (any thread adds; snapshots read them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: Counter[str] = Counter()

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._values[name] += n

    def get(self, name: str) -> int:
        return self._values[name]
