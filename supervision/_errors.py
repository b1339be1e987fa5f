"""Errors of the supervisor API, one class per OTP error result.

OTP returns ``{error, Reason}`` tuples; here every supervisor operation
either returns its value or raises one of these, consistently. Each carries
``reason``, the OTP atom as a string, so code ported from Elixir can match on
it.
"""

from __future__ import annotations

from typing import Any

from actors import ActorError, StartError, format_reason

__all__ = [
    "AlreadyPresent",
    "ChildAlreadyStarted",
    "ChildStartError",
    "MaxChildren",
    "NotFound",
    "NotSupported",
    "Restarting",
    "Running",
    "SupervisorError",
]


class SupervisorError(ActorError):
    """Base of the errors returned by supervisor operations."""

    reason: str = "error"

    def __init__(self, child_id: Any = None, detail: str = "") -> None:
        self.child_id = child_id
        self.detail = detail
        super().__init__(child_id, detail)

    def __str__(self) -> str:
        text = f"{self.reason}: child {self.child_id!r}"
        return f"{text} ({self.detail})" if self.detail else text

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.child_id, self.detail))


class NotFound(SupervisorError):
    """No child with that id (or ref) in this supervisor."""

    reason = "not_found"


class Running(SupervisorError):
    """The child is running; stop it first (``restart_child``, ``delete_child``)."""

    reason = "running"


class Restarting(SupervisorError):
    """The child is between a failed restart and its retry (or backing off)."""

    reason = "restarting"


class AlreadyPresent(SupervisorError):
    """``start_child`` with an id whose spec exists but is not running."""

    reason = "already_present"


class ChildAlreadyStarted(SupervisorError):
    """``start_child`` with an id that is running; ``ref`` is that child."""

    reason = "already_started"

    def __init__(self, child_id: Any = None, ref: Any = None) -> None:
        self.ref = ref
        super().__init__(child_id, f"running as {ref}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.child_id, self.ref))


class MaxChildren(SupervisorError):
    """A DynamicSupervisor already has ``max_children`` children."""

    reason = "max_children"


class NotSupported(SupervisorError):
    """The operation does not apply to this kind of supervisor (OTP's
    ``simple_one_for_one`` error for dynamic supervisors)."""

    reason = "not_supported"


class ChildStartError(StartError):
    """A child could not be started (``start`` of a supervisor, or a restart).

    Attributes:
        child_id: the id from the child spec.
        cause: what its start raised or returned.
    """

    def __init__(self, child_id: Any, cause: Any) -> None:
        self.child_id = child_id
        super().__init__(child_id, cause)

    def __str__(self) -> str:
        return f"could not start child {self.child_id!r}: {format_reason(self.cause)}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.child_id, self.cause))
