"""How full a subscriber's mailbox is: the one place that looks.

Subscriptions stop handing events to a subscriber whose mailbox holds
``mailbox_limit`` messages and go on when it has room. The actor core has
no public accessor for a process's mailbox depth yet, so this reads the
process record's queue (what pub/sub's delivery policies use too).
"""

from __future__ import annotations

from typing import Any

__all__ = ["mailbox_depth", "wait_for_room"]


def mailbox_depth(proc: Any) -> int:
    """Messages queued for ``proc`` (0 for processes without a mailbox
    queue, such as test probes, which are never throttled)."""
    # TODO(lowlevel): a public Process.mailbox_depth() in actors.lowlevel.
    queue = getattr(proc, "queue", None)
    return 0 if queue is None else len(queue)


def wait_for_room(proc: Any, limit: int, timeout: float) -> bool:
    """Block (compensated, real seconds) until ``proc`` holds fewer than
    ``limit`` messages; whether it does."""
    waiter = getattr(proc, "wait_for_space", None)
    if waiter is None:
        return True
    return bool(waiter(limit, timeout))
