"""Lifecycle events: the record every start, stop, crash and restart produces.

The actor core emits ``started``, ``stopped`` and ``crashed``; layers above
register the event types they add (supervisors: ``restarted``,
``child_start_failed``, ``max_restarts_reached``, ``shutdown``; the cluster:
node events) with :func:`register_event_type`, so that readers such as the
audit log know every type without importing those layers. Listeners
registered on an :class:`~actors.ActorSystem` receive each record; the
gater turns them into broadcasts on its lifecycle instance and the auditor
writes them to the audit log.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import ClassVar, Final

import attrs

__all__ = [
    "CORE_EVENT_TYPES",
    "CRASHED",
    "STALLED",
    "STARTED",
    "STOPPED",
    "ProcessLifecycle",
    "event_types",
    "register_event_type",
]

STARTED: Final = "started"
STOPPED: Final = "stopped"
CRASHED: Final = "crashed"
STALLED: Final = "stalled"
"""A pooled actor held its worker for one turn longer than the stall threshold."""

CORE_EVENT_TYPES: Final = frozenset({STARTED, STOPPED, CRASHED, STALLED})

_types_lock = threading.Lock()
_event_types: frozenset[str] = CORE_EVENT_TYPES


def register_event_type(event_type: str) -> str:
    """Declare a lifecycle event type a layer emits; returns it. Idempotent.

    Raises:
        ValueError: ``event_type`` is not a non-empty lowercase identifier.
    """
    global _event_types
    if not isinstance(event_type, str) or not event_type.isidentifier() or not event_type.islower():
        msg = f"a lifecycle event type must be a lowercase identifier, got {event_type!r}"
        raise ValueError(msg)
    with _types_lock:
        _event_types = _event_types | {event_type}
    return event_type


def event_types() -> frozenset[str]:
    """Every lifecycle event type registered so far (the core's included)."""
    return _event_types


@attrs.frozen(kw_only=True)
class ProcessLifecycle:
    """What happened to one actor, when, and why.

    Attributes:
        event_type: one of :func:`event_types`.
        component: the actor's class name (ExESDB calls it ``module``).
        actor_id: the actor's URN (ExESDB calls it ``pid``).
        name: its registered name, if any.
        node: the node of the actor system.
        reason: the exit reason on one line (``"normal"``, ``"shutdown"``,
            ``"ValueError: bad input"``); ``None`` for starts.
        exception_type: the qualified exception class for crashes.
        traceback: the formatted traceback for crashes.
        supervisor: the name (or id) of the supervisor involved, if any.
        child_id: the child id in that supervisor's spec, if any.
        restart_count: restarts of this child so far (supervisor events).
        timestamp: when, from the system clock (UTC, millisecond precision).
    """

    KIND: ClassVar[str] = "process_lifecycle"
    """The message catalogue's wire tag for this class (see :mod:`actors.messages`)."""
    TAG: ClassVar[str] = "process_lifecycle_event"
    """Broadcast as ``("process_lifecycle_event", event)``."""
    SCHEMA: ClassVar[int] = 2
    """Schema 1 was ExESDB's shape (``pid``, ``module``, ``event``); 2 is this one."""

    event_type: str
    component: str
    actor_id: str
    name: str | None = None
    node: str = ""
    reason: str | None = None
    exception_type: str | None = None
    traceback: str | None = None
    supervisor: str | None = None
    child_id: str | None = None
    restart_count: int = 0
    timestamp: datetime

    @property
    def pid(self) -> str:
        """ExESDB's name for :attr:`actor_id`."""
        return self.actor_id

    @property
    def module(self) -> str:
        """ExESDB's name for :attr:`component`."""
        return self.component

    @property
    def event(self) -> str:
        """ExESDB's name for :attr:`event_type`."""
        return self.event_type
