"""Which actor system an operation means when it is not told.

One resolver for the whole library: an explicit ``system=`` argument, else
the system of the actor whose callback is running, else the *current*
system (the innermost ``with ActorSystem() as s:`` block of this context),
else :func:`~actors.default_system`.

The current system lives in a :class:`contextvars.ContextVar`, so:

* code inside the ``with`` block, and functions it calls, see it;
* asyncio tasks created inside the block see it (a task copies the context
  it was created in);
* a :class:`threading.Thread` started inside the block does **not**: a new
  thread starts with an empty context. Run its target through
  ``contextvars.copy_context().run`` or pass ``system=`` explicitly;
* actor callbacks always see their own actor's system, whichever thread
  runs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

from actors._process import current_process

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = ["current_system", "enter_system", "exit_system", "resolve_system", "using_system"]

_current: ContextVar[ActorSystem | None] = ContextVar("actors_current_system", default=None)


def current_system() -> ActorSystem:
    """The system an operation uses when given none (see the module docstring).

    Inside an actor's callback: that actor's system. Inside ``with
    ActorSystem() as s:``: ``s``. Otherwise the process-wide default system,
    created on first use.
    """
    proc = current_process()
    if proc is not None:
        return proc.system
    system = _current.get()
    if system is not None:
        return system
    return _default_system()


def resolve_system(system: ActorSystem | None) -> ActorSystem:
    """``system`` itself, or :func:`current_system` when it is ``None``.

    Raises:
        TypeError: ``system`` is neither ``None`` nor an ``ActorSystem``.
    """
    if system is None:
        return current_system()
    if system.__class__ is not _system_class[0] and not isinstance(system, _system_class[0]):
        kind = type(system).__name__
        msg = f"system must be an actors.ActorSystem or None, got {kind} {system!r}"
        raise TypeError(msg)
    return system


_system_class: list[type] = [type(None)]
"""``[ActorSystem]`` once :mod:`actors._system` is imported (it imports this
module, so the class is filled in from there rather than imported here)."""


def _default_system() -> ActorSystem:
    from actors._system import default_system

    return default_system()


def enter_system(system: ActorSystem) -> Token[ActorSystem | None]:
    """Make ``system`` current in this context; returns the token for :func:`exit_system`."""
    return _current.set(system)


def exit_system(token: Token[ActorSystem | None]) -> None:
    """Restore the system that was current before :func:`enter_system`."""
    try:
        _current.reset(token)
    except ValueError:
        # The token belongs to another context (the block was entered in one
        # thread or task and left in another): clear rather than fail.
        _current.set(None)


@contextmanager
def using_system(system: ActorSystem) -> Iterator[ActorSystem]:
    """Make ``system`` current for the block without shutting it down after."""
    token = enter_system(system)
    try:
        yield system
    finally:
        exit_system(token)
