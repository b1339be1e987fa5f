"""Registered names of one actor system (Erlang's local name registry).

A name maps to at most one live process. A name whose owner is already dead
(but not yet unregistered, because its exit is in progress), or doomed (an
exit signal reached it while a callback was running: it exits when that
returns), is taken over by the new registration, as Elixir's ``Registry``
does and as OTP frees a name the moment its owner is killed.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from actors._errors import AlreadyStarted

if TYPE_CHECKING:
    from actors._process import Process

__all__ = ["NameRegistry", "check_name"]


def check_name(name: Any) -> None:
    """Reject names that cannot be registered, with an error that says why."""
    if isinstance(name, str):
        if not name:
            msg = "an actor name must not be empty"
            raise ValueError(msg)
        return
    if isinstance(name, tuple):
        try:
            hash(name)
        except TypeError:
            msg = f"an actor name must be hashable; {name!r} is not"
            raise TypeError(msg) from None
        return
    msg = f"an actor name must be a str or a tuple, got {type(name).__name__} {name!r}"
    raise TypeError(msg)


class NameRegistry:
    """Thread-safe map of names to processes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[Any, Process] = {}

    def register(self, name: Any, proc: Process) -> None:
        with self._lock:
            existing = self._names.get(name)
            if (
                existing is not None
                and existing.alive
                and not existing.doomed
                and existing is not proc
            ):
                raise AlreadyStarted(name, existing.ref)
            self._names[name] = proc

    def unregister(self, name: Any, proc: Process) -> None:
        """Remove ``name`` only if it still belongs to ``proc``."""
        with self._lock:
            if self._names.get(name) is proc:
                del self._names[name]

    def lookup(self, name: Any) -> Process | None:
        proc = self._names.get(name)
        if proc is None or not proc.alive:
            return None
        return proc

    def names(self) -> list[Any]:
        with self._lock:
            return [name for name, proc in self._names.items() if proc.alive]

    def __len__(self) -> int:
        return len(self._names)
