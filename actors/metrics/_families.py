"""What the exporter reports, read from a system's statistics at scrape time.

Every family is named ``actors_*`` and labelled by ``node`` (and
``instance``, ``supervisor``, ``event``, ``store``, ``group`` where it
applies); never by topic, stream or actor id, whose number is unbounded.
Reading costs nothing per message: snapshots are taken when Prometheus asks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any, Final, Literal

import attrs

import actors
from actors.lowlevel import process_of
from actors.metrics._lifecycle import LifecycleCounters

__all__ = ["DEPTH_BUCKETS", "Family", "gather"]

logger = logging.getLogger("actors.metrics")

DEPTH_BUCKETS: Final = (0, 1, 10, 100, 1_000, 10_000, 100_000)
"""Upper bounds of the mailbox depth histogram (``+Inf`` is added)."""

Kind = Literal["counter", "gauge", "gaugehistogram"]


@attrs.frozen
class Family:
    """One metric family: its samples are ``(labels, value)``; a gauge
    histogram's value is ``(cumulative bucket counts, sum)``."""

    name: str
    kind: Kind
    help: str
    labels: tuple[str, ...]
    samples: tuple[tuple[tuple[str, ...], Any], ...]


def gather(system: actors.ActorSystem, stores: Sequence[Any] = ()) -> list[Family]:
    """Every family for ``system`` (and the event stores ``stores``: handles
    or names), from snapshots taken now. Runs in the scraping thread."""
    node = system.node
    families = _system(system, node)
    families.append(_mailbox_depths(system, node))
    families += _lifecycle(system, node)
    families += _pubsub(system, node)
    families += _eventstores(system, node, stores)
    families += _audit(system, node)
    families += _cluster(system, node)
    return families


def _one(name: str, kind: Kind, text: str, node: str, value: float) -> Family:
    return Family(name, kind, text, ("node",), (((node,), value),))


def _system(system: actors.ActorSystem, node: str) -> list[Family]:
    st = system.statistics()
    return [
        _one("actors_processes", "gauge", "Live actors.", node, st.actors),
        _one(
            "actors_dead_letters",
            "counter",
            "Messages to actors that had exited.",
            node,
            st.dead_letters,
        ),
        _one("actors_pool_workers", "gauge", "Worker threads of the pool.", node, st.pool_workers),
        _one(
            "actors_pool_blocked_workers",
            "gauge",
            "Pool workers blocked (compensated).",
            node,
            st.blocked_workers,
        ),
        _one("actors_run_queue", "gauge", "Actors waiting for a pool worker.", node, st.run_queue),
        _one(
            "actors_pool_stalls",
            "counter",
            "Turns that ran too long without blocking().",
            node,
            st.stalls,
        ),
        _one(
            "actors_actor_threads",
            "gauge",
            "Threads of thread-runtime actors.",
            node,
            st.actor_threads,
        ),
    ]


def _mailbox_depths(system: actors.ActorSystem, node: str) -> Family:
    counts = [0] * (len(DEPTH_BUCKETS) + 1)
    total = 0
    for ref in system.actors():
        proc = process_of(ref)
        depth = proc.queue_len() if proc is not None else 0
        total += depth
        for index, bound in enumerate(DEPTH_BUCKETS):
            if depth <= bound:
                counts[index] += 1
                break
        else:
            counts[-1] += 1
    cumulative = []
    running = 0
    for count in counts:
        running += count
        cumulative.append(running)
    return Family(
        "actors_mailbox_depth",
        "gaugehistogram",
        "Live actors by the number of messages waiting in their mailbox.",
        ("node",),
        (((node,), (tuple(cumulative), total)),),
    )


def _lifecycle(system: actors.ActorSystem, node: str) -> list[Family]:
    events, restarts, crashes = LifecycleCounters.of(system).snapshot()
    return [
        Family(
            "actors_lifecycle_events",
            "counter",
            "Lifecycle events by kind.",
            ("node", "event"),
            _by(node, events),
        ),
        Family(
            "actors_supervisor_restarts",
            "counter",
            "Children restarted, per supervisor.",
            ("node", "supervisor"),
            _by(node, restarts),
        ),
        Family(
            "actors_supervisor_crashes",
            "counter",
            "Children that crashed, per supervisor.",
            ("node", "supervisor"),
            _by(node, crashes),
        ),
    ]


def _by(node: str, counts: dict[str, int]) -> tuple[tuple[tuple[str, ...], Any], ...]:
    return tuple(((node, key), value) for key, value in sorted(counts.items()))


_PUBSUB: Final = (
    ("published", "counter", "Broadcasts made."),
    ("delivered", "counter", "Messages put in subscriber mailboxes."),
    ("dropped", "counter", "Messages dropped by a delivery policy."),
    ("failed", "counter", "Deliveries that timed out waiting for room."),
    ("rejected", "counter", "Deliveries refused by the reject policy."),
    ("dead", "counter", "Deliveries skipped because the subscriber had exited."),
    ("subscribers", "gauge", "Subscribers now."),
    ("subscriptions", "gauge", "Subscriptions now."),
    ("largest_mailbox", "gauge", "Deepest subscriber mailbox now (consumer lag)."),
    ("restarts", "counter", "Restarts of the instance actor."),
)


def _pubsub(system: actors.ActorSystem, node: str) -> list[Family]:
    from actors.pubsub import PubSubManager

    stats = [pubsub.statistics() for pubsub in PubSubManager.of(system).instances().values()]
    return [
        Family(
            f"actors_pubsub_{field}",
            kind,  # type: ignore[arg-type]
            text,
            ("node", "instance"),
            tuple(((node, st.name), getattr(st, field)) for st in stats),
        )
        for field, kind, text in _PUBSUB
    ]


def _eventstores(system: actors.ActorSystem, node: str, stores: Iterable[Any]) -> list[Family]:
    from actors.eventstore import EventStore, EventStoreError

    appended = []
    streams = []
    group_rows: dict[str, list[tuple[tuple[str, ...], Any]]] = {
        "lag": [],
        "in_flight": [],
        "parked": [],
        "consumers": [],
    }
    for store in stores:
        try:
            handle = store if isinstance(store, EventStore) else EventStore.connect(store, system)
            position = handle.last_position()
            listed = handle.list_streams()
            groups = handle.list_persistent_subscriptions()
        except EventStoreError as exc:
            logger.debug("metrics: event store %r not readable: %s", store, exc)
            continue
        appended.append(((node, handle.name), position + 1))
        streams.append(((node, handle.name), sum(1 for s in listed if s.state == "live")))
        totals: dict[str, dict[str, int]] = {}
        for g in groups:
            row = totals.setdefault(
                g.group, {"lag": 0, "in_flight": 0, "parked": 0, "consumers": 0}
            )
            row["lag"] += g.lag
            row["in_flight"] += g.in_flight
            row["parked"] += g.parked
            row["consumers"] += g.consumers
        for group, row in sorted(totals.items()):
            for field, value in row.items():
                group_rows[field].append(((node, handle.name, group), value))
    families = [
        Family(
            "actors_eventstore_appended",
            "counter",
            "Events appended (the $all head).",
            ("node", "store"),
            tuple(appended),
        ),
        Family(
            "actors_eventstore_streams", "gauge", "Live streams.", ("node", "store"), tuple(streams)
        ),
    ]
    texts = {
        "lag": "Events of the source not settled by the group.",
        "in_flight": "Messages delivered to the group's consumers and not acked.",
        "parked": "Parked messages of the group.",
        "consumers": "Consumers connected to the group.",
    }
    for field, rows in group_rows.items():
        families.append(
            Family(
                f"actors_eventstore_group_{field}",
                "gauge",
                texts[field],
                ("node", "store", "group"),
                tuple(rows),
            )
        )
    return families


def _audit(system: actors.ActorSystem, node: str) -> list[Family]:
    from actors.audit import stats
    from actors.gater import AUDITOR_NAME

    if actors.whereis(AUDITOR_NAME, system) is None:
        return []
    try:
        st = stats(AUDITOR_NAME, 2.0, system=system)
    except actors.CallError as exc:
        logger.debug("metrics: the auditor did not answer: %s", exc)
        return []
    return [
        _one(
            "actors_audit_backlog",
            "gauge",
            "Audit events accepted and not yet committed.",
            node,
            st.pending,
        ),
        _one("actors_audit_committed", "counter", "Audit events committed.", node, st.committed),
        _one(
            "actors_audit_dropped",
            "counter",
            "Audit events lost.",
            node,
            st.dropped + st.mailbox_dropped,
        ),
        _one(
            "actors_audit_failures", "counter", "Failed audit writes or opens.", node, st.failures
        ),
    ]


_CLUSTER: Final = (
    ("nodes", "gauge", "Other nodes up."),
    ("outbox", "gauge", "Messages waiting for Redis (a batch being sent included)."),
    ("pending_calls", "gauge", "Remote calls waiting for a reply."),
    ("published", "counter", "Broadcasts handed to Redis."),
    ("sent", "counter", "Remote-actor messages handed to Redis."),
    ("received", "counter", "Envelopes from other nodes accepted."),
    ("dropped", "counter", "Publishes and sends refused: the outbox was full."),
    ("lost_in_flight", "counter", "Ephemeral messages on a connection when it broke."),
    ("duplicates", "counter", "Envelopes dropped as already seen."),
    ("gaps", "counter", "Gaps in other nodes' sequence numbers reported."),
    ("missed", "counter", "Messages those gaps cover."),
    ("malformed", "counter", "Wire entries that were not valid envelopes."),
    ("refused", "counter", "Envelopes a secure instance refused."),
    ("disconnects", "counter", "Times this node lost Redis."),
    ("reconnects", "counter", "Times this node got Redis back."),
)


def _cluster(system: actors.ActorSystem, node: str) -> list[Family]:
    """The Redis cluster's counters, when the system is in one."""
    if system.remote is None:
        return []
    from actors import cluster

    try:
        st = cluster.statistics(system)
    except RuntimeError:  # another transport than the Redis cluster
        return []
    return [
        _one(f"actors_cluster_{field}", kind, text, node, getattr(st, field))  # type: ignore[arg-type]
        for field, kind, text in _CLUSTER
    ]
