"""Counters fed by lifecycle events: events by kind, restarts and crashes per supervisor."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Final

import actors

__all__ = ["LifecycleCounters", "supervisor_label"]

_EXTENSION: Final = "actors.metrics.lifecycle"
_CREATE_LOCK = threading.Lock()
NO_SUPERVISOR: Final = "none"
UNNAMED: Final = "unnamed"


def supervisor_label(supervisor: str | None) -> str:
    """A low-cardinality label for a supervisor: its registered name;
    ``"unnamed"`` for one known only by its id (ids change on every
    restart); ``"none"`` for top-level actors."""
    if supervisor is None:
        return NO_SUPERVISOR
    if supervisor.startswith("urn:uuid:"):
        return UNNAMED
    return supervisor


class LifecycleCounters:
    """Counts a system's lifecycle events as they happen (the emitting
    thread runs :meth:`record`: one lock, three dict increments)."""

    def __init__(self, system: actors.ActorSystem) -> None:
        self._lock = threading.Lock()
        self._events: Counter[str] = Counter()
        self._restarts: Counter[str] = Counter()
        self._crashes: Counter[str] = Counter()
        self.remove = system.add_lifecycle_listener(self.record)

    @classmethod
    def of(cls, system: actors.ActorSystem) -> LifecycleCounters:
        """The counters of ``system``, listening from the first call on."""
        with _CREATE_LOCK:
            found = system.extensions.get(_EXTENSION)
            if found is None:
                found = system.extensions[_EXTENSION] = cls(system)
            return found

    def record(self, event: actors.ProcessLifecycle) -> None:
        kind = event.event_type
        with self._lock:
            self._events[kind] += 1
            if kind == "restarted":
                self._restarts[supervisor_label(event.supervisor)] += 1
            elif kind == "crashed":
                self._crashes[supervisor_label(event.supervisor)] += 1

    def snapshot(self) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        """``(events by kind, restarts by supervisor, crashes by supervisor)``."""
        with self._lock:
            return dict(self._events), dict(self._restarts), dict(self._crashes)
