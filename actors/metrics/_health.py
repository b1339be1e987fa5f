"""``/alive`` and ``/ready``: liveness of the actor system, readiness of the
application (the gater tree, its auditor, the event stores it serves)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import actors

__all__ = ["alive", "readiness"]


def alive(system: actors.ActorSystem) -> bool:
    """Whether the actor system is running (not shutting down)."""
    return system.running


def readiness(system: actors.ActorSystem, stores: Sequence[Any] = ()) -> dict[str, bool]:
    """What must run for the application to serve: ``{"gater": ..., "auditor":
    ..., "store:<name>": ...}``; ready when every value is ``True``."""
    from actors.eventstore import EventStore, EventStoreError
    from actors.gater import AUDITOR_NAME, DEFAULT_NAME

    def running(name: str) -> bool:
        ref = actors.whereis(name, system)
        return ref is not None and ref.is_alive()

    checks = {
        "system": system.running,
        "gater": running(DEFAULT_NAME),
        "auditor": running(AUDITOR_NAME),
    }
    for store in stores:
        name = store.name if isinstance(store, EventStore) else str(store)
        try:
            EventStore.connect(name, system).last_position()
        except EventStoreError:
            checks[f"store:{name}"] = False
        else:
            checks[f"store:{name}"] = True
    return checks
