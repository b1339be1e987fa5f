"""The two supervisors users start: :class:`Supervisor` and :class:`DynamicSupervisor`.

They are small front doors, not GenServer subclasses: ``start`` validates
everything in the caller's thread (a bad option raises ``ValueError`` or
``TypeError`` there, before anything runs) and then starts the supervisor
process (:class:`~supervision._static.StaticSupervisor` or
:class:`~supervision._dynamic.DynamicSupervisorServer`), each built from a
:class:`~supervision._children.ChildKeeper`. Both classes can stand as the
``start`` of a child spec (``child_spec("workers", Supervisor, [...],
type="supervisor")``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final, TypeVar

import actors
from supervision._children import Decider
from supervision._dynamic import DynamicSupervisorServer
from supervision._errors import ChildAlreadyStarted, ChildStartError
from supervision._intensity import check_intensity
from supervision._spec import ChildSpec
from supervision._static import StaticSupervisor

__all__ = ["AUTO_SHUTDOWN", "STRATEGIES", "DynamicSupervisor", "Supervisor"]

T = TypeVar("T")

STRATEGIES: Final = ("one_for_one", "one_for_all", "rest_for_one")
AUTO_SHUTDOWN: Final = ("never", "any_significant", "all_significant")


class Supervisor:
    """Starts children in order and restarts them as OTP's ``supervisor`` does.

    Strategies: ``"one_for_one"`` restarts the child that exited;
    ``"one_for_all"`` stops the others (reverse order) and restarts all;
    ``"rest_for_one"`` restarts the child and those started after it.
    Temporary children taken down with a sibling are not restarted.

    More than ``max_restarts`` restarts within ``max_seconds`` (on the system
    clock) and the supervisor stops every child in reverse start order and
    exits with ``"shutdown"``, emitting ``max_restarts_reached``; its own
    supervisor then applies its rules to it (escalation).

    The optional ``decider(exc)`` returns ``"restart"`` (the restart type's
    rule), ``"stop"``, ``"escalate"`` or ``"resume"``. It is called exactly
    once per crash of a child, **in the crashing child's thread** (the
    thread that ran the failing callback: its pool worker, its own thread,
    or the caller's thread for a call run inline), before the child's
    ``terminate``, for the ``Exception`` the child's own callbacks raise
    (not ``SystemExit``/``KeyboardInterrupt``); an exit that reaches the
    child through a link follows the restart type's rule. Keep it quick and
    side-effect free; it must not call the supervisor. A decider that raises
    or returns anything else means ``"restart"`` (logged).

    The supervisor's callbacks run in its pool worker (or its own thread,
    or an idle supervisor's caller's thread for API calls); a child's start
    runs there too (``init`` of a pooled child runs inline, one child after
    the other). :meth:`start` itself validates the specs and options in the
    caller's thread before anything runs.
    """

    @classmethod
    def start(
        cls,
        children: Iterable[ChildSpec],
        *,
        strategy: str = "one_for_one",
        max_restarts: int = 3,
        max_seconds: float = 5,
        auto_shutdown: str = "never",
        decider: Decider | None = None,
        name: Any = None,
        system: actors.ActorSystem | None = None,
        runtime: str | None = None,
    ) -> actors.Ref[StaticSupervisor]:
        """Start the supervisor and, in order, its children.

        Raises:
            ValueError, TypeError: bad specs or options (nothing is started).
            ChildStartError: a child failed to start; the children already
                started were stopped in reverse order (``.child_id``, ``.cause``).
            ChildAlreadyStarted: a child's registered name is held by a live
                actor (``.ref`` is that actor).
            AlreadyStarted: ``name`` is taken.
        """
        specs = _checked(children, strategy, max_restarts, max_seconds, auto_shutdown, decider)
        return _unwrap_child_error(
            lambda: StaticSupervisor.start(
                specs,
                strategy,
                max_restarts,
                max_seconds,
                auto_shutdown,
                decider,
                name=name,
                system=system,
                runtime=runtime,
            )
        )

    @classmethod
    def start_link(
        cls,
        children: Iterable[ChildSpec],
        *,
        strategy: str = "one_for_one",
        max_restarts: int = 3,
        max_seconds: float = 5,
        auto_shutdown: str = "never",
        decider: Decider | None = None,
        name: Any = None,
        system: actors.ActorSystem | None = None,
        runtime: str | None = None,
    ) -> actors.Ref[StaticSupervisor]:
        """Like :meth:`start`, linked to the calling actor (a parent supervisor)."""
        specs = _checked(children, strategy, max_restarts, max_seconds, auto_shutdown, decider)
        return _unwrap_child_error(
            lambda: StaticSupervisor.start_link(
                specs,
                strategy,
                max_restarts,
                max_seconds,
                auto_shutdown,
                decider,
                name=name,
                system=system,
                runtime=runtime,
            )
        )


class DynamicSupervisor:
    """Elixir's DynamicSupervisor: ``one_for_one`` over children added with
    :func:`~supervision.start_child`, addressed by ref (child ids are
    ignored). On shutdown every child is told to stop at once, then each is
    waited for up to its own ``shutdown`` seconds. The ``decider`` works as
    :class:`Supervisor`'s.
    """

    @classmethod
    def start(
        cls,
        *,
        max_restarts: int = 3,
        max_seconds: float = 5,
        max_children: int | None = None,
        extra_arguments: tuple[Any, ...] = (),
        decider: Decider | None = None,
        name: Any = None,
        system: actors.ActorSystem | None = None,
        runtime: str | None = None,
    ) -> actors.Ref[DynamicSupervisorServer]:
        """Start an empty dynamic supervisor.

        Raises:
            ValueError, TypeError: bad options.
            AlreadyStarted: ``name`` is taken.
        """
        _check_dynamic(max_restarts, max_seconds, max_children, extra_arguments, decider)
        return DynamicSupervisorServer.start(
            max_restarts,
            max_seconds,
            max_children,
            tuple(extra_arguments),
            decider,
            name=name,
            system=system,
            runtime=runtime,
        )

    @classmethod
    def start_link(
        cls,
        *,
        max_restarts: int = 3,
        max_seconds: float = 5,
        max_children: int | None = None,
        extra_arguments: tuple[Any, ...] = (),
        decider: Decider | None = None,
        name: Any = None,
        system: actors.ActorSystem | None = None,
        runtime: str | None = None,
    ) -> actors.Ref[DynamicSupervisorServer]:
        """Like :meth:`start`, linked to the calling actor (a parent supervisor)."""
        _check_dynamic(max_restarts, max_seconds, max_children, extra_arguments, decider)
        return DynamicSupervisorServer.start_link(
            max_restarts,
            max_seconds,
            max_children,
            tuple(extra_arguments),
            decider,
            name=name,
            system=system,
            runtime=runtime,
        )


def _check_decider(decider: Decider | None) -> None:
    if decider is not None and not callable(decider):
        msg = f"decider must be callable, got {type(decider).__name__}"
        raise TypeError(msg)


def _checked(
    children: Iterable[ChildSpec],
    strategy: str,
    max_restarts: int,
    max_seconds: float,
    auto_shutdown: str,
    decider: Decider | None,
) -> list[ChildSpec]:
    """Validate everything before anything starts."""
    if strategy not in STRATEGIES:
        msg = f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}"
        raise ValueError(msg)
    if auto_shutdown not in AUTO_SHUTDOWN:
        msg = f"unknown auto_shutdown {auto_shutdown!r}; expected one of {', '.join(AUTO_SHUTDOWN)}"
        raise ValueError(msg)
    check_intensity(max_restarts, max_seconds)
    _check_decider(decider)
    if isinstance(children, ChildSpec) or not isinstance(children, Iterable):
        msg = "children must be a list of ChildSpec (use supervision.child_spec(...))"
        raise TypeError(msg)
    specs = list(children)
    seen: set[Any] = set()
    for spec in specs:
        if not isinstance(spec, ChildSpec):
            msg = f"children must be ChildSpec objects (use supervision.child_spec), got {spec!r}"
            raise TypeError(msg)
        if spec.id in seen:
            msg = f"duplicate child id {spec.id!r}"
            raise ValueError(msg)
        seen.add(spec.id)
        if spec.significant and auto_shutdown == "never":
            msg = (
                f"child {spec.id!r} is significant but auto_shutdown is 'never' "
                "(OTP bad_combination)"
            )
            raise ValueError(msg)
    return specs


def _check_dynamic(
    max_restarts: int,
    max_seconds: float,
    max_children: int | None,
    extra_arguments: Any,
    decider: Decider | None,
) -> None:
    check_intensity(max_restarts, max_seconds)
    if max_children is not None and (
        isinstance(max_children, bool) or not isinstance(max_children, int) or max_children < 0
    ):
        msg = f"max_children must be an integer >= 0 or None, got {max_children!r}"
        raise ValueError(msg)
    if not isinstance(extra_arguments, tuple | list):
        msg = f"extra_arguments must be a tuple, got {type(extra_arguments).__name__}"
        raise TypeError(msg)
    _check_decider(decider)


def _unwrap_child_error(start: Callable[[], T]) -> T:
    """Raise a child's ChildStartError itself rather than wrapped in the
    supervisor's StartError: the caller wants to know which child failed."""
    try:
        return start()
    except actors.StartError as exc:
        if isinstance(exc.cause, ChildStartError | ChildAlreadyStarted):
            raise exc.cause from None
        raise
