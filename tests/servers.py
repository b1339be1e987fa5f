"""Small GenServers shared by the tests."""

from __future__ import annotations

import threading
from typing import Any

import actors


class Counter(actors.GenServer):
    def init(self, start: int = 0) -> None:
        self.count = start

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("get",):
                return self.count
            case ("add", n):
                self.count += n
                return self.count
            case ("crash", reason):
                raise RuntimeError(reason)
            case ("stop", reason, reply):
                self.stop(reason)
                return reply
            case ("echo", value):
                return value
        raise ValueError(f"unknown call {request!r}")

    def handle_cast(self, request: Any) -> None:
        match request:
            case ("add", n):
                self.count += n
            case ("crash", reason):
                raise RuntimeError(reason)
            case ("stop", reason):
                self.stop(reason)

    def handle_info(self, message: Any) -> None:
        match message:
            case ("add", n):
                self.count += n
            case ("crash", reason):
                raise RuntimeError(reason)


class Forwarder(actors.GenServer):
    """Forwards every info message (and its own events) to a probe."""

    def init(self, probe: Any, *, trap_exits: bool = False) -> None:
        self.probe = probe
        self.trap_exits = trap_exits
        actors.send(probe, ("init", self.ref))

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("monitor", target):
                return actors.monitor(target)
            case ("link", target):
                actors.link(target)
                return "ok"
            case ("unlink", target):
                actors.unlink(target)
                return "ok"
            case ("start_link", cls, args):
                return cls.start_link(*args)
            case ("call", target, req, timeout):
                try:
                    return ("ok", actors.call(target, req, timeout))
                except actors.CallError as e:
                    return ("error", e.reason)
            case ("crash", reason):
                raise RuntimeError(reason)
            case ("raise", exc):
                raise exc
            case ("stop", reason):
                self.stop(reason)
                return "stopping"
            case ("self",):
                return actors.current()
        return ("unknown", request)

    def handle_cast(self, request: Any) -> None:
        match request:
            case ("crash", reason):
                raise RuntimeError(reason)
            case ("raise", exc):
                raise exc
            case ("stop", reason):
                self.stop(reason)

    def handle_info(self, message: Any) -> None:
        match message:
            case ("crash", reason):
                raise RuntimeError(reason)
        actors.send(self.probe, ("info", message))

    def terminate(self, reason: Any) -> None:
        actors.send(self.probe, ("terminate", self.name, reason))


class Gate(actors.GenServer):
    """Blocks in handle_call until the test opens ``gate``; sets ``entered``
    when a call starts, so tests know the actor is busy. Its calls may block,
    so they are never run inline in the caller's thread."""

    inline_calls = False

    def init(self, gate: threading.Event, entered: threading.Event | None = None) -> None:
        self.gate = gate
        self.entered = entered

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        if self.entered is not None:
            self.entered.set()
        with actors.blocking():
            self.gate.wait(10)
        match request:
            case ("crash", reason):
                raise RuntimeError(reason)
        return request

    def handle_info(self, message: Any) -> None:
        match message:
            case ("crash", reason):
                raise RuntimeError(reason)
