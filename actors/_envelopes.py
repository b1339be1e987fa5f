"""The envelopes that travel through a GenServer's mailbox.

Plain messages are queued as they are (they become ``handle_info``); calls,
casts and control signals are wrapped in these small classes so that the
runner can tell them apart with one class check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actors._process import Process

__all__ = [
    "IDLE_CHECK",
    "Call",
    "Caller",
    "Cast",
    "ContinueSignal",
    "ExitSignal",
    "IdleCheck",
    "Signal",
    "StopRequest",
]


class Caller:
    """Who is waiting for the reply to a call; pass it to :func:`actors.reply`.

    Attributes:
        ref: the calling actor's ref, or ``None`` for a plain thread.
    """

    __slots__ = ("_server", "future", "ref")

    def __init__(self, future: Any, ref: Any = None) -> None:
        self.future = future
        self.ref = ref
        self._server: Any = None

    def __repr__(self) -> str:
        who = self.ref if self.ref is not None else "a thread"
        return f"<Caller {who}>"


class Call:
    __slots__ = ("caller", "request")

    def __init__(self, request: Any, caller: Caller) -> None:
        self.request = request
        self.caller = caller


class Cast:
    __slots__ = ("request",)

    def __init__(self, request: Any) -> None:
        self.request = request


class Signal:
    """Base of the rare control envelopes (stop, exit, continue, idle check)."""

    __slots__ = ()


class StopRequest(Signal):
    __slots__ = ("future", "reason")

    def __init__(self, reason: Any, future: Any = None) -> None:
        self.reason = reason
        self.future = future


class ExitSignal(Signal):
    """An exit signal queued for an actor that traps exits."""

    __slots__ = ("reason", "sender")

    def __init__(self, sender: Process, reason: Any) -> None:
        self.sender = sender
        self.reason = reason


class ContinueSignal(Signal):
    __slots__ = ("arg",)

    def __init__(self, arg: Any) -> None:
        self.arg = arg


class IdleCheck(Signal):
    __slots__ = ()


IDLE_CHECK = IdleCheck()
