"""How full a subscriber's mailbox is: the one place that looks.

Subscriptions stop handing events to a subscriber whose mailbox holds
``mailbox_limit`` messages and go on when it has room, through the process
record's public depth and wait (``actors.lowlevel.Process``), which pub/sub's
delivery policies use too.
"""

from __future__ import annotations

from actors.lowlevel import Process

__all__ = ["mailbox_depth", "wait_for_room"]


def mailbox_depth(proc: Process) -> int:
    """Messages queued for ``proc`` (0 for processes without a mailbox
    queue, such as test probes, which are never throttled)."""
    return proc.queue_len()


def wait_for_room(proc: Process, limit: int, timeout: float) -> bool:
    """Block (compensated, real seconds) until ``proc`` holds fewer than
    ``limit`` messages; whether it does."""
    return proc.wait_for_space(limit, timeout)
