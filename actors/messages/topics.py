"""Topic names for stores and the cluster (the original's ``ExESDBGater.Topics``).

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

from collections.abc import Callable
from typing import Any, Final

from actors import Error

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


def _for_stores(sub: str) -> Callable[[str], str]:
    def topic(store_id: str) -> str:
        return store_topic(store_id, sub)

    topic.__name__ = topic.__qualname__ = f"store_{sub}"
    topic.__doc__ = f'``"<store_id>:{sub}"`` (see :func:`store_topic`).'
    return topic


def _for_cluster(sub: str) -> Callable[[], str]:
    def topic() -> str:
        return cluster_topic(sub)

    topic.__name__ = topic.__qualname__ = f"cluster_{sub}"
    topic.__doc__ = f'``"cluster:{sub}"``.'
    return topic


store_health: Final = _for_stores("health")
store_lifecycle: Final = _for_stores("lifecycle")
store_streams: Final = _for_stores("streams")
store_replicas: Final = _for_stores("replicas")
store_events: Final = _for_stores("events")
store_alerts: Final = _for_stores("alerts")
store_performance: Final = _for_stores("performance")
store_subscriptions: Final = _for_stores("subscriptions")
cluster_health: Final = _for_cluster("health")
cluster_topology: Final = _for_cluster("topology")
cluster_leader: Final = _for_cluster("leader")
cluster_discovery: Final = _for_cluster("discovery")
cluster_alerts: Final = _for_cluster("alerts")
cluster_performance: Final = _for_cluster("performance")


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
