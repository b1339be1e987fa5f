"""The lifecycle events supervisors add to the core's started/stopped/crashed.

Registered with the core at import, so readers of lifecycle events (the
audit log, its command line) know them without importing ``supervision``.
"""

from __future__ import annotations

from typing import Final

from actors.lowlevel import register_event_type

__all__ = [
    "CHILD_START_FAILED",
    "EVENT_TYPES",
    "MAX_RESTARTS_REACHED",
    "RESTARTED",
    "SHUTDOWN",
]

RESTARTED: Final = register_event_type("restarted")
"""A child was started again after it exited (carries the restart count)."""
CHILD_START_FAILED: Final = register_event_type("child_start_failed")
"""A child's start (first or restart) raised or refused."""
MAX_RESTARTS_REACHED: Final = register_event_type("max_restarts_reached")
"""The restart intensity was exceeded: the supervisor is giving up."""
SHUTDOWN: Final = register_event_type("shutdown")
"""A supervisor begins stopping its children (its own exit follows)."""

EVENT_TYPES: Final = frozenset({RESTARTED, CHILD_START_FAILED, MAX_RESTARTS_REACHED, SHUTDOWN})
