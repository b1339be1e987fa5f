"""Child specifications: what to start, and what to do when it exits."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Final, Literal

import attrs

import actors

__all__ = [
    "RESTART_TYPES",
    "SHUTDOWN_WORDS",
    "Backoff",
    "ChildSpec",
    "child_spec",
]

Restart = Literal["permanent", "transient", "temporary"]
ChildType = Literal["worker", "supervisor"]
Shutdown = float | Literal["brutal_kill", "infinity"]

RESTART_TYPES: Final = ("permanent", "transient", "temporary")
SHUTDOWN_WORDS: Final = ("brutal_kill", "infinity")
CHILD_TYPES: Final = ("worker", "supervisor")


@attrs.frozen
class Backoff:
    """Delays between restarts of one child (Akka's BackoffSupervisor idea).

    The n-th consecutive restart waits ``min(max_s, min_s * 2**n)`` clock
    seconds, times ``1 + random() * jitter``. The count goes back to 0 once the
    child has stayed up for ``reset_after`` seconds (default ``max_s``).
    """

    min_s: float
    max_s: float
    jitter: float = 0.0
    reset_after: float | None = None

    def __attrs_post_init__(self) -> None:
        for field, value in (("min_s", self.min_s), ("max_s", self.max_s)):
            if not _number(value) or not value > 0:
                msg = f"backoff {field} must be a positive number of seconds, got {value!r}"
                raise ValueError(msg)
        if self.max_s < self.min_s:
            msg = f"backoff max_s ({self.max_s}) must not be below min_s ({self.min_s})"
            raise ValueError(msg)
        if not _number(self.jitter) or not 0 <= self.jitter <= 1:
            msg = f"backoff jitter must be between 0 and 1, got {self.jitter!r}"
            raise ValueError(msg)
        if self.reset_after is not None and (
            not _number(self.reset_after) or not self.reset_after > 0
        ):
            msg = f"backoff reset_after must be positive seconds, got {self.reset_after!r}"
            raise ValueError(msg)

    @property
    def reset_period(self) -> float:
        return self.max_s if self.reset_after is None else self.reset_after

    def delay(self, attempt: int, random_unit: float = 0.0) -> float:
        """Seconds before restart number ``attempt`` (0-based), for a random
        number ``random_unit`` in ``[0, 1)``."""
        base = self.max_s if attempt >= 60 else min(self.max_s, self.min_s * 2**attempt)
        return base * (1.0 + random_unit * self.jitter)


@attrs.frozen
class ChildSpec:
    """How a supervisor starts and restarts one child.

    Attributes:
        id: unique within its supervisor (any hashable).
        start: a GenServer class (started with ``start_link(*args, **kwargs)``)
            or a callable returning a started ref (the supervisor links to
            it), or ``None`` to be ignored (kept with no process, as OTP's
            ``ignore``).
        args, kwargs: passed to ``start``.
        restart: ``"permanent"`` (always restarted), ``"transient"`` (only
            after an abnormal exit) or ``"temporary"`` (never; its spec is
            dropped when it exits).
        shutdown: seconds to wait for it to stop before killing it,
            ``"brutal_kill"``, or ``"infinity"`` (the default for supervisors).
        type: ``"worker"`` or ``"supervisor"``.
        significant: its own exit can shut the supervisor down
            (``auto_shutdown``); not allowed for permanent children.
        backoff: delay restarts of this child (see :class:`Backoff`).
    """

    id: Any
    start: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = attrs.field(factory=dict)
    restart: Restart = "permanent"
    shutdown: Shutdown = 5.0
    type: ChildType = "worker"
    significant: bool = False
    backoff: Backoff | None = None

    def __attrs_post_init__(self) -> None:
        try:
            hash(self.id)
        except TypeError:
            msg = f"a child id must be hashable, got {self.id!r}"
            raise TypeError(msg) from None
        if not callable(self.start):
            msg = (
                f"child {self.id!r}: start must be a GenServer class or a callable, "
                f"got {self.start!r}"
            )
            raise TypeError(msg)
        if self.restart not in RESTART_TYPES:
            msg = (
                f"child {self.id!r}: restart must be one of {', '.join(RESTART_TYPES)}, "
                f"got {self.restart!r}"
            )
            raise ValueError(msg)
        if self.type not in CHILD_TYPES:
            msg = f"child {self.id!r}: type must be 'worker' or 'supervisor', got {self.type!r}"
            raise ValueError(msg)
        shutdown: object = self.shutdown
        if shutdown not in SHUTDOWN_WORDS and not (
            isinstance(shutdown, int | float)
            and not isinstance(shutdown, bool)
            and 0 <= shutdown < math.inf
        ):
            msg = (
                f"child {self.id!r}: shutdown must be seconds >= 0, 'brutal_kill' or "
                f"'infinity', got {shutdown!r}"
            )
            raise ValueError(msg)
        if not isinstance(self.significant, bool):
            msg = f"child {self.id!r}: significant must be True or False"
            raise TypeError(msg)
        if self.significant and self.restart == "permanent":
            msg = (
                f"child {self.id!r}: a permanent child cannot be significant (OTP bad_combination)"
            )
            raise ValueError(msg)
        if self.backoff is not None and not isinstance(self.backoff, Backoff):
            msg = f"child {self.id!r}: backoff must be a Backoff, got {self.backoff!r}"
            raise TypeError(msg)

    @property
    def label(self) -> str:
        """The child's class (or callable) name, for events and trees."""
        return getattr(self.start, "__name__", type(self.start).__name__)

    def launch(self) -> Any:
        """Start the child from inside its supervisor; returns a ref or ``None``.

        A class with a ``start_link`` classmethod (a GenServer, a
        :class:`~supervision.Supervisor`) is started with it; any other
        callable must return a started ref (the supervisor then links to
        it) or ``None``.
        """
        start = self.start
        start_link = getattr(start, "start_link", None) if isinstance(start, type) else None
        if callable(start_link):
            result = start_link(*self.args, **self.kwargs)
        else:
            result = start(*self.args, **self.kwargs)
        if result is None:
            return None
        if not isinstance(result, actors.Ref):
            msg = (
                f"child {self.id!r}: start returned {type(result).__name__} {result!r}; "
                "it must return a started Ref (or None to be ignored)"
            )
            raise TypeError(msg)
        return result


def child_spec(
    id: Any,
    start: Callable[..., Any],
    *args: Any,
    restart: Restart | str = "permanent",
    shutdown: Shutdown | str | None = None,
    type: ChildType | str = "worker",
    significant: bool = False,
    backoff: Backoff | tuple[float, float] | tuple[float, float, float] | None = None,
    **kwargs: Any,
) -> ChildSpec:
    """Build a :class:`ChildSpec`; extra positional and keyword arguments go to ``start``.

    ``shutdown`` defaults to 5 seconds for workers and ``"infinity"`` for
    supervisors; ``backoff`` may be a ``(min_s, max_s[, jitter])`` tuple.
    """
    if shutdown is None:
        shutdown = "infinity" if type == "supervisor" else 5.0
    if isinstance(backoff, tuple):
        backoff = Backoff(*backoff)
    # ChildSpec checks the words at run time (a str from a config file is
    # as good as a literal in the source).
    return ChildSpec(
        id=id,
        start=start,
        args=args,
        kwargs=kwargs,
        restart=restart,  # type: ignore[arg-type]
        shutdown=shutdown,  # type: ignore[arg-type]
        type=type,  # type: ignore[arg-type]
        significant=significant,
        backoff=backoff,
    )


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
