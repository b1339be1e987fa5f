"""Supervisor: a static, ordered list of children restarted by OTP's rules."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final, Self, TypeVar

import actors
from actors._intensity import RestartIntensity
from actors._process import Process
from actors._system import ActorSystem
from supervision._base import RESTARTING, RUNNING, Child, Decider, SupervisorBase, start_error
from supervision._errors import (
    AlreadyPresent,
    ChildAlreadyStarted,
    ChildStartError,
    NotFound,
    Restarting,
    Running,
)
from supervision._spec import ChildSpec

__all__ = ["AUTO_SHUTDOWN", "STRATEGIES", "Supervisor"]

T = TypeVar("T")

STRATEGIES: Final = ("one_for_one", "one_for_all", "rest_for_one")
AUTO_SHUTDOWN: Final = ("never", "any_significant", "all_significant")


class Supervisor(SupervisorBase):
    """Starts children in order and restarts them as OTP's ``supervisor`` does.

    Strategies: ``"one_for_one"`` restarts the child that exited;
    ``"one_for_all"`` stops the others (reverse order) and restarts all;
    ``"rest_for_one"`` restarts the child and those started after it.
    Temporary children taken down with a sibling are not restarted.

    More than ``max_restarts`` restarts within ``max_seconds`` (on the system
    clock) and the supervisor stops every child in reverse start order and
    exits with ``"shutdown"``, emitting ``max_restarts_reached``; its own
    supervisor then applies its rules to it (escalation).

    Callbacks run in the supervisor's worker like any GenServer's; a child's
    start runs there too (``init`` of a pooled child runs inline).
    """

    @classmethod
    def start(  # type: ignore[override]
        cls,
        children: Iterable[ChildSpec],
        *,
        strategy: str = "one_for_one",
        max_restarts: int = 3,
        max_seconds: float = 5,
        auto_shutdown: str = "never",
        decider: Decider | None = None,
        name: Any = None,
        system: ActorSystem | None = None,
        runtime: str | None = None,
    ) -> actors.Ref[Self]:
        """Start the supervisor and, in order, its children.

        Raises:
            ValueError, TypeError: bad specs or options (nothing is started).
            ChildStartError: a child failed to start; the children already
                started were stopped in reverse order (``.child_id``, ``.cause``).
            AlreadyStarted: ``name`` is taken.
        """
        specs = _checked(children, strategy, max_restarts, max_seconds, auto_shutdown, decider)
        return _unwrap_child_error(
            lambda: super(Supervisor, cls).start(
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
    def start_link(  # type: ignore[override]
        cls,
        children: Iterable[ChildSpec],
        *,
        strategy: str = "one_for_one",
        max_restarts: int = 3,
        max_seconds: float = 5,
        auto_shutdown: str = "never",
        decider: Decider | None = None,
        name: Any = None,
        system: ActorSystem | None = None,
        runtime: str | None = None,
    ) -> actors.Ref[Self]:
        """Like :meth:`start`, linked to the calling actor (a parent supervisor)."""
        specs = _checked(children, strategy, max_restarts, max_seconds, auto_shutdown, decider)
        return _unwrap_child_error(
            lambda: super(Supervisor, cls).start_link(
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

    # Callbacks -------------------------------------------------------------------

    def init(
        self,
        specs: list[ChildSpec],
        strategy: str,
        max_restarts: int,
        max_seconds: float,
        auto_shutdown: str,
        decider: Decider | None,
    ) -> None:
        self._setup_base(max_restarts, max_seconds, decider)
        self.strategy = strategy
        self.auto_shutdown = auto_shutdown
        self.children: list[Child] = []
        self.by_id: dict[Any, Child] = {}
        for spec in specs:
            child = Child(spec)
            failure = self._launch(child)
            if failure is not None:
                self._stop_children(reverse=True)
                raise start_error(child, failure)
            if child.status == RUNNING or spec.restart != "temporary":
                self._add(child)

    def handle_info(self, message: Any) -> None:
        match message:
            case ("EXIT", ref, reason):
                child = self.by_proc.get(ref._process) if isinstance(ref, actors.Ref) else None
                if child is not None:
                    self._child_exited(child, reason)
            case ("$supervision", "retry", child_id, token):
                child = self.by_id.get(child_id)
                if child is not None and child.retry_token == token and child.status == RESTARTING:
                    self._restart(child)
            case _:
                super().handle_info(message)

    def terminate(self, reason: Any) -> None:
        self._shutting_down = True
        self._stop_children(reverse=True)
        self._announce_shutdown(reason)

    # Restarts --------------------------------------------------------------------

    def _child_exited(self, child: Child, reason: Any) -> None:
        self._forget(child)
        self._report_exit(child, reason)
        decision = self._decide(child, reason)
        if decision == "escalate":
            self.stop(reason)
            return
        if decision == "restart":
            delay = self._backoff_delay(child)
            if delay is None:
                self._restart(child)
            else:
                self._schedule_restart(child, delay)
            return
        if child.spec.restart == "temporary":
            self._remove(child)
        if child.spec.significant:
            self._maybe_auto_shutdown()

    def _restart(self, child: Child) -> None:
        if not self._within_intensity():
            self._remove(child)
            self._give_up(child)
            return
        if self.strategy == "one_for_one":
            self._start_again(child)
            return
        start = 0 if self.strategy == "one_for_all" else self.children.index(child)
        group = self.children[start:]
        for sibling in reversed(group):
            if sibling is not child and sibling.status != "stopped":
                self._shutdown_child(sibling)
        for sibling in [c for c in group if c is not child and c.spec.restart == "temporary"]:
            self._remove(sibling)
        for member in [c for c in group if c in self.children]:
            if not self._start_again(member):
                return  # its retry restarts this group again, from scratch

    def _maybe_auto_shutdown(self) -> None:
        if self.auto_shutdown == "any_significant" or (
            self.auto_shutdown == "all_significant"
            and not any(c.spec.significant and c.status != "stopped" for c in self.children)
        ):
            self.stop("shutdown")

    # Child table -----------------------------------------------------------------

    def _add(self, child: Child) -> None:
        self.children.append(child)
        self.by_id[child.spec.id] = child

    def _remove(self, child: Child) -> None:
        self._forget(child)
        if child in self.children:
            self.children.remove(child)
        self.by_id.pop(child.spec.id, None)

    def _stop_children(self, *, reverse: bool) -> None:
        """Stop running children one at a time; cancel pending restarts."""
        for child in reversed(self.children) if reverse else list(self.children):
            if child.status == RUNNING:
                self._shutdown_child(child)
            else:
                self._forget(child)

    def _lookup(self, child_id: Any) -> Child:
        child = self.by_id.get(child_id)
        if child is None:
            raise NotFound(child_id)
        return child

    # API operations (called through supervision._api) -------------------------

    def _op_which_children(self) -> list[tuple[Any, Any, str]]:
        return [(c.spec.id, c.state(), c.spec.type) for c in self.children]

    def _op_count_children(self) -> dict[str, int]:
        return {
            "specs": len(self.children),
            "active": sum(1 for c in self.children if c.status == RUNNING),
            "supervisors": sum(1 for c in self.children if c.spec.type == "supervisor"),
            "workers": sum(1 for c in self.children if c.spec.type == "worker"),
        }

    def _op_describe(self) -> list[tuple[Any, Any, str, str, int, str]]:
        return [
            (c.spec.id, c.ref, c.status, c.spec.type, c.restarts, c.spec.label)
            for c in self.children
        ]

    def _op_start_child(self, spec: ChildSpec) -> Any:
        if not isinstance(spec, ChildSpec):
            msg = f"start_child needs a ChildSpec, got {type(spec).__name__}"
            raise TypeError(msg)
        existing = self.by_id.get(spec.id)
        if existing is not None:
            if existing.status == RUNNING:
                raise ChildAlreadyStarted(spec.id, existing.ref)
            raise AlreadyPresent(spec.id)
        child = Child(spec)
        failure = self._launch(child)
        if failure is not None:
            raise start_error(child, failure)
        if child.status == RUNNING or spec.restart != "temporary":
            self._add(child)
        return child.ref

    def _op_terminate_child(self, child_id: Any) -> None:
        child = self._lookup_id_or_ref(child_id)
        if child.status == RUNNING:
            self._shutdown_child(child)
        else:
            self._forget(child)
        if child.spec.restart == "temporary":
            self._remove(child)

    def _op_restart_child(self, child_id: Any) -> Any:
        child = self._lookup(child_id)
        if child.status == RUNNING:
            raise Running(child_id)
        if child.status == RESTARTING:
            raise Restarting(child_id)
        failure = self._launch(child)
        if failure is not None:
            raise start_error(child, failure)
        return child.ref

    def _op_delete_child(self, child_id: Any) -> None:
        child = self._lookup(child_id)
        if child.status == RUNNING:
            raise Running(child_id)
        if child.status == RESTARTING:
            raise Restarting(child_id)
        self._remove(child)

    def _op_get_childspec(self, child_id: Any) -> ChildSpec:
        return self._lookup(child_id).spec

    def _lookup_id_or_ref(self, key: Any) -> Child:
        if isinstance(key, actors.Ref):
            child = self.by_proc.get(key._process)
            if child is None:
                raise NotFound(key)
            return child
        return self._lookup(key)

    def current(self, child_id: Any) -> Process | None:
        """The live process of ``child_id`` (read from other threads by handles)."""
        child = self.by_id.get(child_id)
        return None if child is None else child.process


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
    RestartIntensity(max_restarts, max_seconds)  # raises on bad values
    if decider is not None and not callable(decider):
        msg = f"decider must be callable, got {type(decider).__name__}"
        raise TypeError(msg)
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


def _unwrap_child_error(start: Callable[[], T]) -> T:
    """Raise a child's ChildStartError itself rather than wrapped in the
    supervisor's StartError: the caller wants to know which child failed."""
    try:
        return start()
    except actors.StartError as exc:
        if isinstance(exc.cause, ChildStartError):
            raise exc.cause from None
        raise
