"""Lifecycle events: the record every start, stop, crash and restart produces (D12).

The actor core emits ``started``, ``stopped`` and ``crashed``; supervisors add
``restarted``, ``child_start_failed``, ``max_restarts_reached`` and
``shutdown``. Listeners registered on an :class:`~actors.ActorSystem` receive
each record synchronously, in the thread where the event happened; the
pub/sub layer turns them into broadcasts on the lifecycle instance and the
auditor writes them to the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Final

import attrs

__all__ = [
    "CHILD_START_FAILED",
    "CRASHED",
    "EVENT_TYPES",
    "MAX_RESTARTS_REACHED",
    "RESTARTED",
    "SHUTDOWN",
    "STARTED",
    "STOPPED",
    "ProcessLifecycle",
]

STARTED: Final = "started"
STOPPED: Final = "stopped"
CRASHED: Final = "crashed"
RESTARTED: Final = "restarted"
CHILD_START_FAILED: Final = "child_start_failed"
MAX_RESTARTS_REACHED: Final = "max_restarts_reached"
SHUTDOWN: Final = "shutdown"

EVENT_TYPES: Final = frozenset(
    {STARTED, STOPPED, CRASHED, RESTARTED, CHILD_START_FAILED, MAX_RESTARTS_REACHED, SHUTDOWN}
)


@attrs.frozen(kw_only=True)
class ProcessLifecycle:
    """What happened to one actor, when, and why.

    Attributes:
        event_type: one of :data:`EVENT_TYPES`.
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
    INSTANCE: ClassVar[str] = "ex_esdb_lifecycle"

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
