"""What a parent hands to the actor it starts: the start context.

A supervisor (or any library that starts and watches actors) describes the
child it is about to start with a :class:`StartContext` and hands it over
with :func:`handing_over`; the first ``start_link`` the parent makes inside
that block takes it. The core reads it for two things only: the labels it
puts on the child's lifecycle events (``supervisor``, ``child_id``), and
the crash hook it calls when one of the child's callbacks raises. The core
never interprets it further, so it knows nothing of supervisors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from actors._process import current_process

if TYPE_CHECKING:
    from actors._server import ServerProcess

__all__ = ["CrashHook", "StartContext", "adopt", "handing_over"]

CrashHook = Callable[[Exception], bool]
"""``hook(exc) -> resume``: called once per crash, in the crashing actor's
thread, before its ``terminate``; ``True`` keeps the actor alive with its
state (the failing message is dropped and its caller gets ``CallError``)."""


class StartContext:
    """Handed from a parent to the actor it starts.

    Attributes:
        supervisor: how lifecycle events name the parent (default: the
            parent's registered name, else its id).
        child_id: the child's id in its parent, put on its lifecycle events.
        on_crash: see :data:`CrashHook`; ``None`` means a crash is a crash.
    """

    __slots__ = ("child_id", "on_crash", "supervisor")

    def __init__(
        self,
        *,
        supervisor: str | None = None,
        child_id: Any = None,
        on_crash: CrashHook | None = None,
    ) -> None:
        if on_crash is not None and not callable(on_crash):
            msg = f"on_crash must be callable, got {type(on_crash).__name__}"
            raise TypeError(msg)
        self.supervisor = supervisor
        self.child_id = child_id
        self.on_crash = on_crash

    def __repr__(self) -> str:
        return f"<StartContext child_id={self.child_id!r} supervisor={self.supervisor!r}>"


@contextmanager
def handing_over(context: StartContext) -> Iterator[StartContext]:
    """Hand ``context`` to the next actor the calling actor starts with
    ``start_link`` inside the block (one actor takes it).

    Raises:
        RuntimeError: not called from inside an actor's callback.
    """
    parent = _starting_parent()
    previous = parent.handover
    parent.handover = context
    try:
        yield context
    finally:
        parent.handover = previous


def _starting_parent() -> ServerProcess:
    from actors._server import ServerProcess

    proc = current_process()
    if not isinstance(proc, ServerProcess):
        msg = "handing_over() must be used inside an actor's callback (the parent)"
        raise RuntimeError(msg)
    return proc


def adopt(target: Any, context: StartContext) -> None:
    """Make the calling actor the parent of an actor that was started
    without it (``start`` rather than ``start_link``): link them and give it
    ``context``. Does nothing more than link if it already has a parent.

    Raises:
        RuntimeError: not called from inside an actor's callback.
        TypeError: ``target`` is not a GenServer's ref.
    """
    from actors._api import resolve
    from actors._server import ServerProcess

    parent = _starting_parent()
    proc = resolve(target)
    if not isinstance(proc, ServerProcess):
        msg = f"adopt() takes a GenServer's ref, got {type(target).__name__}"
        raise TypeError(msg)
    if proc.context is context:
        return  # it took the context at start_link: already ours
    if proc.parent is None:
        proc.parent = parent
        proc.context = context
    if not parent.link(proc):
        parent.exit_signal(proc, proc.exit_reason)
