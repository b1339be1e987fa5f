"""Probe: a mailbox a test can own, send to, link, monitor and receive from."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import TYPE_CHECKING, Any

from actors._api import resolve
from actors._blocking import waiting
from actors._clock import real_monotonic
from actors._current import resolve_system
from actors._process import MonitorRef, Process
from actors._reasons import KILLED, NOPROC
from actors.testing._match import ANY, matches

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = ["Probe", "assert_receive", "refute_receive"]

_numbers = itertools.count(1)


class Probe(Process):
    """A test process: it has a mailbox but no callbacks.

    Anything that accepts a target accepts a probe: actors can send to it,
    link to it and monitor it; pub/sub can deliver to it; calls arrive as
    ``("call", request, caller)`` and casts as ``("cast", request)``.
    A probe traps exits: a linked actor's exit arrives as
    ``("EXIT", ref, reason)``.

    Its waiting methods use real time and, on a pool worker, are
    compensated. Use it as a context manager to close it at the end.

    Args:
        system: the system whose names it resolves (default:
            :func:`actors.current_system`).
        name: optionally register the probe under a name.
    """

    __slots__ = ("_cond", "_messages")

    def __init__(self, system: ActorSystem | None = None, name: Any = None) -> None:
        owner = resolve_system(system)
        super().__init__(owner, name, f"probe-{next(_numbers)}")
        self._cond = threading.Condition(threading.Lock())
        self._messages: deque[Any] = deque()
        self.trap_exits = True
        if name is not None:
            owner.register_name(name, self)

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name is not None else ""
        state = "" if self.alive else " closed"
        return f"<Probe{name} {self.id}{state}>"

    def __enter__(self) -> Probe:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def ref(self) -> Probe:
        return self

    def __actor_process__(self) -> Probe:
        return self

    # Process protocol -----------------------------------------------------------

    def deliver(self, message: Any) -> bool:
        with self._cond:
            if not self._alive:
                return False
            self._messages.append(message)
            self._cond.notify_all()
            return True

    def exit_signal(self, sender: Process | None, reason: Any) -> None:
        self.deliver(("EXIT", None if sender is None else sender.ref, reason))

    def kill(self) -> None:
        self.close(KILLED)

    def close(self, reason: Any = "normal") -> None:
        """Stop receiving; monitors get ``DOWN`` and links the exit signal."""
        relations = self.mark_dead(reason)
        if relations is None:
            return
        if self.name is not None:
            self.system.unregister_name(self.name, self)
        with self._cond:
            self._cond.notify_all()
        self.notify_exit(reason, relations)

    # Relations from the test's side -------------------------------------------------

    def monitor(self, target: Any, target_ref: Any = None) -> MonitorRef:
        """Monitor ``target``; its ``DOWN`` arrives in this probe."""
        proc = target if isinstance(target, Process) else resolve(target, self.system)
        if target_ref is None:
            target_ref = target if proc is None else proc.ref
        return super().monitor(proc, target_ref)

    def link(self, target: Any) -> bool:
        """Link to ``target``; its exit arrives as ``("EXIT", ref, reason)``."""
        proc = target if isinstance(target, Process) else resolve(target, self.system)
        if proc is None or not super().link(proc):
            self.deliver(("EXIT", target, NOPROC))
            return False
        return True

    def unlink(self, target: Any) -> None:
        proc = target if isinstance(target, Process) else resolve(target, self.system)
        if proc is not None:
            super().unlink(proc)

    # Receiving --------------------------------------------------------------------

    def receive(self, timeout: float = 1.0) -> Any:
        """The next message; raises ``AssertionError`` if none arrives in time."""
        return self.expect(ANY, timeout)

    def expect(self, template: Any = ANY, timeout: float = 1.0) -> Any:
        """The first message matching ``template`` (see :func:`matches`),
        waiting up to ``timeout`` real seconds; other messages stay queued.

        Raises:
            AssertionError: nothing matched in time (the message lists what
                did arrive).
        """
        found, message = self._take(template, timeout)
        if not found:
            seen = list(self._messages)
            msg = (
                f"{self!r}: no message matching {template!r} within {timeout}s; "
                f"mailbox holds {seen!r}"
            )
            raise AssertionError(msg)
        return message

    def refute(self, template: Any = ANY, timeout: float = 0.1) -> None:
        """Assert that no message matching ``template`` arrives within ``timeout``."""
        found, message = self._take(template, timeout, remove=False)
        if found:
            msg = f"{self!r}: unexpected message {message!r} (matching {template!r})"
            raise AssertionError(msg)

    def messages(self) -> list[Any]:
        """The messages waiting in the probe, oldest first (they stay there)."""
        with self._cond:
            return list(self._messages)

    def flush(self) -> list[Any]:
        """Remove and return every waiting message."""
        with self._cond:
            out = list(self._messages)
            self._messages.clear()
            return out

    def _take(self, template: Any, timeout: float, *, remove: bool = True) -> tuple[bool, Any]:
        if not timeout >= 0:
            msg = f"timeout must be a non-negative number of seconds, got {timeout!r}"
            raise ValueError(msg)
        deadline = real_monotonic() + timeout
        checked = 0
        with self._cond:
            while True:
                messages = self._messages
                for index in range(checked, len(messages)):
                    message = messages[index]
                    if matches(template, message):
                        if remove:
                            del messages[index]
                        return True, message
                checked = len(messages)
                remaining = deadline - real_monotonic()
                if remaining <= 0:
                    return False, None
                with waiting():
                    self._cond.wait(remaining)


def assert_receive(probe: Probe, template: Any = ANY, timeout: float = 1.0) -> Any:
    """ExUnit's ``assert_receive``: the first matching message, or fail."""
    return probe.expect(template, timeout)


def refute_receive(probe: Probe, template: Any = ANY, timeout: float = 0.1) -> None:
    """ExUnit's ``refute_receive``: fail if a matching message arrives in time."""
    probe.refute(template, timeout)
