"""Which delivery class each pub/sub instance uses across nodes.

Two classes: ``"ephemeral"`` (Redis Pub/Sub, at most once, gaps reported)
and ``"durable"`` (Redis Streams, at least once, resumed after a
disconnect, no duplicates to subscribers). An instance's class must be the
same on every node, so it comes from code and configuration, never from
the instance's runtime state: the system's ``config["cluster_delivery"]``
first, then the defaults registered here by applications (the gater
registers its ten instances), then ``"ephemeral"`` (Phoenix's behaviour).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from actors.cluster._settings import DELIVERY_CLASSES, DURABLE, EPHEMERAL

__all__ = ["default_delivery", "register_default_delivery"]

_lock = threading.Lock()
_defaults: dict[str, str] = {}


def register_default_delivery(classes: Mapping[str, str]) -> None:
    """Declare the delivery class of instances (``{"ex_esdb_events":
    "durable"}``) for every system of this process; config overrides it.

    Raises:
        ValueError: a class that is neither ``"ephemeral"`` nor ``"durable"``.
    """
    for instance, kind in classes.items():
        if kind not in DELIVERY_CLASSES:
            msg = f"delivery class of {instance!r} must be 'ephemeral' or 'durable', got {kind!r}"
            raise ValueError(msg)
    with _lock:
        _defaults.update(classes)


def default_delivery() -> dict[str, str]:
    """The registered defaults, by instance."""
    with _lock:
        return dict(_defaults)


def delivery_class(instance: str, overrides: Mapping[str, str]) -> str:
    kind = overrides.get(instance)
    if kind is None:
        kind = _defaults.get(instance, EPHEMERAL)
    return kind


def durable_instances(overrides: Mapping[str, str]) -> set[str]:
    with _lock:
        names = set(_defaults) | set(overrides)
    return {name for name in names if delivery_class(name, overrides) == DURABLE}
