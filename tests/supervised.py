"""Workers for the supervision tests: they report their life to a probe."""

from __future__ import annotations

import threading
from typing import Any

import actors
from actors.testing import ANY, Probe


class Worker(actors.GenServer):
    """Sends ("started", tag, ref) from init and ("terminated", tag, reason)
    from terminate; exits on command."""

    def init(
        self,
        probe: Any,
        tag: str,
        *,
        trap: bool = False,
        fail_init: Any = None,
        hold_terminate: threading.Event | None = None,
    ) -> None:
        self.probe = probe
        self.tag = tag
        self.trap_exits = trap
        self.hold_terminate = hold_terminate
        if callable(fail_init) and fail_init():
            raise RuntimeError(f"{tag} cannot start")
        actors.send(probe, ("started", tag, self.ref))

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("ping",):
                return self.tag
            case ("raise", exc):
                raise exc
        return None

    def handle_cast(self, request: Any) -> None:
        match request:
            case ("raise", exc):
                raise exc
            case ("stop", reason):
                self.stop(reason)

    def terminate(self, reason: Any) -> None:
        if self.hold_terminate is not None:
            with actors.blocking():
                self.hold_terminate.wait(30)
        actors.send(self.probe, ("terminated", self.tag, reason))


def started(probe: Probe, tag: str, timeout: float = 5.0) -> Any:
    """Wait for ``tag`` to (re)start; returns its new ref."""
    return probe.expect(("started", tag, ANY), timeout)[2]


def exit_child(ref: Any, reason: Any) -> None:
    """Make a Worker exit with ``reason`` (an exception is raised in it)."""
    if isinstance(reason, BaseException):
        actors.cast(ref, ("raise", reason))
    else:
        actors.cast(ref, ("stop", reason))


class Boom(Exception):
    pass
