"""Functions that ask a supervisor about its children (OTP's supervisor API).

Each one is a call to the supervisor actor; errors come back as the
exceptions of :mod:`supervision._errors` and never crash the supervisor.
"""

from __future__ import annotations

from typing import Any

import actors
from actors.lowlevel import Process, actor_of, process_of
from supervision._intensity import IntensityStatus
from supervision._spec import ChildSpec

__all__ = [
    "ChildHandle",
    "count_children",
    "delete_child",
    "get_childspec",
    "handle",
    "restart_child",
    "restart_intensity",
    "start_child",
    "terminate_child",
    "which_children",
]

DEFAULT_TIMEOUT = 60.0
"""Operations may wait for a child's shutdown; OTP waits forever, we wait this long."""


def request(sup: Any, operation: str, *args: Any, timeout: float | None = DEFAULT_TIMEOUT) -> Any:
    """Send one API operation to a supervisor and unwrap its answer."""
    result = actors.call(sup, ("$supervision", operation, *args), timeout)
    match result:
        case ("ok", value):
            return value
        case ("error", error) if isinstance(error, BaseException):
            raise error
    msg = f"{sup} did not answer like a supervisor: {result!r}"
    raise TypeError(msg)


def which_children(
    sup: Any, *, timeout: float | None = DEFAULT_TIMEOUT
) -> list[tuple[Any, Any, str]]:
    """``[(id, ref | "restarting" | None, type), ...]`` in start order
    (dynamic supervisors: id ``None``)."""
    result: list[tuple[Any, Any, str]] = request(sup, "which_children", timeout=timeout)
    return result


def restart_intensity(sup: Any, *, timeout: float | None = DEFAULT_TIMEOUT) -> IntensityStatus:
    """How many restarts ``sup`` may still make inside its sliding window
    before it gives up and escalates (answered by the supervisor itself, so
    the figure is consistent with its decisions)."""
    result: IntensityStatus = request(sup, "intensity", timeout=timeout)
    return result


def count_children(sup: Any, *, timeout: float | None = DEFAULT_TIMEOUT) -> dict[str, int]:
    """``{"specs", "active", "supervisors", "workers"}`` (Elixir's map)."""
    result: dict[str, int] = request(sup, "count_children", timeout=timeout)
    return result


def start_child(sup: Any, spec: ChildSpec, *, timeout: float | None = DEFAULT_TIMEOUT) -> Any:
    """Add and start a child; returns its ref (``None`` if its start ignored).

    Raises:
        ChildAlreadyStarted: the id is running (``.ref``).
        AlreadyPresent: the id exists but is not running.
        MaxChildren: a dynamic supervisor is full.
        ChildStartError: the start failed (the spec is discarded).
    """
    return request(sup, "start_child", spec, timeout=timeout)


def terminate_child(sup: Any, child: Any, *, timeout: float | None = DEFAULT_TIMEOUT) -> None:
    """Stop a child by id (or ref) with its shutdown spec, without restarting
    it or counting toward the intensity; its spec is kept unless temporary.

    Raises:
        NotFound: no such child.
    """
    request(sup, "terminate_child", child, timeout=timeout)


def restart_child(sup: Any, child_id: Any, *, timeout: float | None = DEFAULT_TIMEOUT) -> Any:
    """Start a stopped child again from its spec; returns its ref.

    Raises:
        NotFound, Running, Restarting, ChildStartError.
    """
    return request(sup, "restart_child", child_id, timeout=timeout)


def delete_child(sup: Any, child_id: Any, *, timeout: float | None = DEFAULT_TIMEOUT) -> None:
    """Forget the spec of a stopped child.

    Raises:
        NotFound, Running, Restarting.
    """
    request(sup, "delete_child", child_id, timeout=timeout)


def get_childspec(sup: Any, child_id: Any, *, timeout: float | None = DEFAULT_TIMEOUT) -> ChildSpec:
    """The spec of a child.

    Raises:
        NotFound.
    """
    result: ChildSpec = request(sup, "get_childspec", child_id, timeout=timeout)
    return result


class ChildHandle:
    """A stable target for a supervised child: it resolves to the child's
    current incarnation on every use, so it survives restarts.

    Usable wherever a target is accepted (``actors.call(handle, ...)``).
    Resolution reads the supervisor's child table without a round trip.
    """

    __slots__ = ("child_id", "supervisor")

    def __init__(self, supervisor: actors.Ref[Any], child_id: Any) -> None:
        if not isinstance(supervisor, actors.Ref):
            msg = f"handle() needs the supervisor's Ref, got {type(supervisor).__name__}"
            raise TypeError(msg)
        self.supervisor = supervisor
        self.child_id = child_id

    def __actor_process__(self) -> Process | None:
        current = getattr(actor_of(self.supervisor), "current", None)
        ref = None if current is None else current(self.child_id)
        return None if ref is None else process_of(ref)

    def __repr__(self) -> str:
        return f"<ChildHandle {self.child_id!r} of {self.supervisor}>"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ChildHandle)
            and other.supervisor is self.supervisor
            and other.child_id == self.child_id
        )

    def __hash__(self) -> int:
        return hash((id(self.supervisor), self.child_id))


def handle(sup: actors.Ref[Any], child_id: Any) -> ChildHandle:
    """A :class:`ChildHandle` for ``child_id`` of the (static) supervisor ``sup``."""
    return ChildHandle(sup, child_id)
