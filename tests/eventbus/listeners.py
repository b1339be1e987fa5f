"""Listener actors for the EventBus tests: they act on each shadow, then tell a probe."""

from __future__ import annotations

from typing import Any

import actors
from actors import eventbus
from actors.testing import Probe


class Listener(actors.GenServer):
    """Handles ``("event", ...)`` shadows as told, then reports to ``probe``.

    Actions: ``"complete"``, ``"skip"``, ``"hold"`` (do nothing), ``"crash"``
    (report, then raise), ``"fetch"`` (fetch the event, report it, complete).
    Marks are made *before* the report, so once a test has the report, a
    later call to the bus sees the mark.

    Args:
        mark_as: the listener part of the subscriber identity to mark with
            (default: the registered name if any, else the ref).
    """

    def init(self, probe: Probe, action: str = "complete", mark_as: Any = None) -> None:
        self.probe = probe
        self.action = action
        self.mark_as = mark_as

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("act", str() as action):
                self.action = action
                return None
        return super().handle_call(request, caller)

    def handle_info(self, message: Any) -> None:
        match message:
            case ("event", str() as topic, event_id):
                subscriber = self._me()
            case ("event", config, str() as topic, event_id):
                subscriber = (self._me(), config)
            case _:
                self.probe.deliver(("unexpected", self.ref, message))
                return
        shadow = (topic, event_id)
        match self.action:
            case "complete":
                eventbus.mark_as_completed((subscriber, shadow))
            case "skip":
                eventbus.mark_as_skipped((subscriber, topic, event_id))
            case "fetch":
                self.probe.deliver(("fetched", self.ref, eventbus.fetch_event(shadow)))
                eventbus.mark_as_completed((subscriber, shadow))
            case "crash":
                self.probe.deliver(("crashing", self.ref, message))
                msg = f"listener crashed on {event_id!r}"
                raise RuntimeError(msg)
        self.probe.deliver(("handled", self.ref, message))

    def _me(self) -> Any:
        if self.mark_as is not None:
            return self.mark_as
        return self.name if self.name is not None else self.ref
