"""Topic names for stores and the cluster (reference §2.12, ``ExESDBGater.Topics``).

Topics are exact strings ``"<scope>:<sub>"``: ``"<store_id>:health"`` for a
store, ``"cluster:health"`` for the cluster::

    >>> from actors.messages import topics
    >>> topics.store_health("vehicle_store")
    'vehicle_store:health'
    >>> topics.parse_topic("cluster:leader")
    ('cluster', None, 'leader')

Store ids are non-empty strings without ``":"`` (the original allowed any
atom, so ``"a:b"`` made topics that parse back as store ``"a"``).
"""

from __future__ import annotations

from typing import Any, Final

from actors._result import Error

__all__ = [
    "CLUSTER_SUB_TOPICS",
    "STORE_SUB_TOPICS",
    "all_cluster_topics",
    "all_store_topics",
    "cluster_alerts",
    "cluster_discovery",
    "cluster_health",
    "cluster_leader",
    "cluster_performance",
    "cluster_sub_topics",
    "cluster_topic",
    "cluster_topology",
    "parse_topic",
    "store_alerts",
    "store_events",
    "store_health",
    "store_lifecycle",
    "store_performance",
    "store_replicas",
    "store_streams",
    "store_sub_topics",
    "store_subscriptions",
    "store_topic",
    "valid_store_id",
    "valid_topic",
]

STORE_SUB_TOPICS: Final = (
    "health",
    "lifecycle",
    "streams",
    "replicas",
    "events",
    "alerts",
    "performance",
    "subscriptions",
)
CLUSTER_SUB_TOPICS: Final = ("health", "topology", "leader", "discovery", "alerts", "performance")


def valid_store_id(store_id: Any) -> bool:
    """Whether ``store_id`` is a non-empty string without ``":"``."""
    return isinstance(store_id, str) and store_id != "" and ":" not in store_id


def _check_store(store_id: Any) -> str:
    if not isinstance(store_id, str):
        msg = f"store id must be a str, got {type(store_id).__name__}"
        raise TypeError(msg)
    if not valid_store_id(store_id):
        msg = f"store id must be non-empty and contain no ':', got {store_id!r}"
        raise ValueError(msg)
    return store_id


def _check_sub(sub: Any) -> str:
    if not isinstance(sub, str):
        msg = f"sub-topic must be a str, got {type(sub).__name__}"
        raise TypeError(msg)
    return sub


def store_topic(store_id: str, sub: str) -> str:
    """``"<store_id>:<sub>"``.

    Raises:
        TypeError: if either argument is not a string.
        ValueError: if ``store_id`` is not :func:`valid <valid_store_id>`.
    """
    return f"{_check_store(store_id)}:{_check_sub(sub)}"


def cluster_topic(sub: str) -> str:
    """``"cluster:<sub>"``."""
    return f"cluster:{_check_sub(sub)}"


def store_health(store_id: str) -> str:
    """``"<store_id>:health"``."""
    return store_topic(store_id, "health")


def store_lifecycle(store_id: str) -> str:
    """``"<store_id>:lifecycle"``."""
    return store_topic(store_id, "lifecycle")


def store_streams(store_id: str) -> str:
    """``"<store_id>:streams"``."""
    return store_topic(store_id, "streams")


def store_replicas(store_id: str) -> str:
    """``"<store_id>:replicas"``."""
    return store_topic(store_id, "replicas")


def store_events(store_id: str) -> str:
    """``"<store_id>:events"``."""
    return store_topic(store_id, "events")


def store_alerts(store_id: str) -> str:
    """``"<store_id>:alerts"``."""
    return store_topic(store_id, "alerts")


def store_performance(store_id: str) -> str:
    """``"<store_id>:performance"``."""
    return store_topic(store_id, "performance")


def store_subscriptions(store_id: str) -> str:
    """``"<store_id>:subscriptions"``."""
    return store_topic(store_id, "subscriptions")


def cluster_health() -> str:
    """``"cluster:health"``."""
    return cluster_topic("health")


def cluster_topology() -> str:
    """``"cluster:topology"``."""
    return cluster_topic("topology")


def cluster_leader() -> str:
    """``"cluster:leader"``."""
    return cluster_topic("leader")


def cluster_discovery() -> str:
    """``"cluster:discovery"``."""
    return cluster_topic("discovery")


def cluster_alerts() -> str:
    """``"cluster:alerts"``."""
    return cluster_topic("alerts")


def cluster_performance() -> str:
    """``"cluster:performance"``."""
    return cluster_topic("performance")


def store_sub_topics() -> tuple[str, ...]:
    """The sub-topics every store has."""
    return STORE_SUB_TOPICS


def cluster_sub_topics() -> tuple[str, ...]:
    """The sub-topics of the cluster."""
    return CLUSTER_SUB_TOPICS


def all_store_topics(store_id: str) -> list[str]:
    """Every store topic of ``store_id``, in :data:`STORE_SUB_TOPICS` order."""
    return [store_topic(store_id, sub) for sub in STORE_SUB_TOPICS]


def all_cluster_topics() -> list[str]:
    """Every cluster topic, in :data:`CLUSTER_SUB_TOPICS` order."""
    return [cluster_topic(sub) for sub in CLUSTER_SUB_TOPICS]


def valid_topic(topic: Any) -> bool:
    """Whether ``topic`` is a string with at least one ``":"``.

    As in the original, only the first colon splits: ``"too:many:colons"``
    is valid, ``""`` and ``"invalid"`` are not.
    """
    return isinstance(topic, str) and ":" in topic


def parse_topic(topic: Any) -> tuple[str, str | None, str] | Error:
    """Split a topic into ``(scope, store_id, sub)``.

    ``"cluster:x"`` gives ``("cluster", None, "x")``; ``"a:b"`` gives
    ``("store", "a", "b")``; the sub-topic keeps everything after the first
    colon. Anything else gives ``Error("invalid_format")``.
    """
    if not valid_topic(topic):
        return Error("invalid_format")
    scope, sub = topic.split(":", 1)
    if scope == "cluster":
        return ("cluster", None, sub)
    return ("store", scope, sub)
