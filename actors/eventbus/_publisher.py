"""Periodic metrics publishing: a small actor that hands snapshots to a callback.

The bus itself never runs publishing code: a slow or failing publisher
must not hold up notifies. Each publisher registered with
:func:`~actors.eventbus.add_metrics_publisher` is one of these, supervised
beside the bus actor; every ``interval`` seconds on the system clock it
asks the bus for :class:`~actors.eventbus.EventBusMetrics` and calls
``publish(snapshot)`` in its own callback (on a pool worker). An exception
in ``publish`` is logged and counted, never fatal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final

import attrs

import actors
from actors.eventbus._metrics import EventBusMetrics

__all__ = ["MetricsPublisher", "PublisherStatistics"]

logger = logging.getLogger("actors.eventbus")

_TICK: Final = ("actors.eventbus.publish_metrics",)


@attrs.frozen
class PublisherStatistics:
    """``actors.call(ref, ("statistics",))`` of a publisher."""

    interval: float
    published: int
    failed: int


class MetricsPublisher(actors.GenServer):
    """See the module docstring. ``init(server, publish, interval)``."""

    def init(self, server: Any, publish: Callable[[EventBusMetrics], Any], interval: float) -> None:
        """Runs in the thread that starts it (a supervisor's, for a child)."""
        self.server = server
        self.publish = publish
        self.interval = interval
        self.published = self.failed = 0
        self._deadline = self.system.clock.monotonic() + interval
        self._timer = actors.send_after(self.ref, _TICK, interval)

    def _arm(self) -> None:
        # Fixed rate on the system clock; after a long gap, skip missed ticks.
        now = self.system.clock.monotonic()
        self._deadline = max(self._deadline + self.interval, now)
        self._timer = actors.send_after(self.ref, _TICK, max(0.0, self._deadline - now))

    def publish_once(self) -> bool:
        try:
            reply = actors.call(self.server, ("metrics",), 10.0)
            match reply:
                case ("ok", EventBusMetrics() as snapshot):
                    self.publish(snapshot)
                case _:
                    msg = f"the bus answered {reply!r}"
                    raise RuntimeError(msg)
        except Exception:
            self.failed += 1
            logger.exception("EventBus metrics publisher %r failed", self.publish)
            return False
        self.published += 1
        return True

    def handle_info(self, message: Any) -> None:
        """Runs in a pool worker."""
        if message == _TICK:
            self._arm()
            self.publish_once()
        else:
            super().handle_info(message)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """Runs in a pool worker, or in the caller's thread when the actor is idle."""
        match request:
            case ("publish_now",):
                return self.publish_once()
            case ("statistics",):
                return PublisherStatistics(self.interval, self.published, self.failed)
        return super().handle_call(request, caller)

    def terminate(self, reason: Any) -> None:
        """Runs in a pool worker, or in the thread of an inline call that ended it."""
        actors.cancel_timer(self._timer)
