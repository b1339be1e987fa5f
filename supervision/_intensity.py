"""Restart intensity: OTP's sliding window of restart times.

Before each restart attempt a supervisor drops the restart times older
than ``max_seconds``, adds now, and gives up when more than ``max_restarts``
remain (``supervisor:add_restart/3``). OTP counts in whole seconds; here the
clock's float seconds are kept, with the same inclusive boundary: a restart
exactly ``max_seconds`` ago still counts.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import attrs

__all__ = ["IntensityStatus", "RestartIntensity", "check_intensity"]


def check_intensity(max_restarts: Any, max_seconds: Any) -> tuple[int, float]:
    """Validate a supervisor's intensity settings; returns them normalised.

    Raises:
        ValueError: ``max_restarts`` is not an integer >= 0, or
            ``max_seconds`` is not a finite number of seconds > 0 (an
            infinite window would never forget a restart: OTP requires an
            integer period).
    """
    if isinstance(max_restarts, bool) or not isinstance(max_restarts, int) or max_restarts < 0:
        msg = f"max_restarts must be an integer >= 0, got {max_restarts!r}"
        raise ValueError(msg)
    if (
        isinstance(max_seconds, bool)
        or not isinstance(max_seconds, int | float)
        or not 0 < max_seconds < math.inf
    ):
        msg = f"max_seconds must be a finite number of seconds > 0, got {max_seconds!r}"
        raise ValueError(msg)
    return max_restarts, float(max_seconds)


@attrs.frozen
class IntensityStatus:
    """Where a supervisor stands against its restart intensity, now.

    Attributes:
        max_restarts: restarts allowed inside the window.
        max_seconds: the sliding window, in the system clock's seconds.
        recent: restarts inside the window now (the boundary inclusive).
        headroom: restarts it may still make; one more than this and it
            gives up (``reached_max_restart_intensity``) and escalates.
    """

    max_restarts: int
    max_seconds: float
    recent: int
    headroom: int


class RestartIntensity:
    """The restart history of one supervisor. Not thread-safe: it lives in
    one actor and is only touched from its callbacks."""

    def __init__(self, max_restarts: int, max_seconds: float) -> None:
        self.max_restarts, self.max_seconds = check_intensity(max_restarts, max_seconds)
        self._times: deque[float] = deque()

    def add_restart(self, now: float) -> bool:
        """Record a restart at ``now``; ``False`` means the limit is exceeded."""
        times = self._times
        horizon = now - self.max_seconds
        while times and times[0] < horizon:
            times.popleft()
        times.append(now)
        return len(times) <= self.max_restarts

    def recent(self) -> list[float]:
        """The restart times recorded, oldest first (a later restart drops
        the ones that have left the window)."""
        return list(self._times)

    def status(self, now: float) -> IntensityStatus:
        """The window as it stands at ``now``, without changing it."""
        horizon = now - self.max_seconds
        recent = sum(1 for t in self._times if t >= horizon)
        return IntensityStatus(
            self.max_restarts, self.max_seconds, recent, max(0, self.max_restarts - recent)
        )
