"""DynamicSupervisor: children started on demand, all alike, stopped together."""

from __future__ import annotations

import itertools
import time
from typing import Any, Self

import actors
from actors._intensity import RestartIntensity
from actors._system import ActorSystem
from supervision._base import RESTARTING, RUNNING, Child, Decider, SupervisorBase, start_error
from supervision._errors import MaxChildren, NotFound, NotSupported
from supervision._spec import ChildSpec

__all__ = ["DynamicSupervisor"]


class DynamicSupervisor(SupervisorBase):
    """Elixir's DynamicSupervisor: ``one_for_one`` over children added with
    :func:`~supervision.start_child`. Child ids are ignored; children are
    addressed by ref. On shutdown every child is told to stop at once, then
    each is waited for up to its own ``shutdown`` seconds.
    """

    @classmethod
    def start(  # type: ignore[override]
        cls,
        *,
        max_restarts: int = 3,
        max_seconds: float = 5,
        max_children: int | None = None,
        extra_arguments: tuple[Any, ...] = (),
        decider: Decider | None = None,
        name: Any = None,
        system: ActorSystem | None = None,
        runtime: str | None = None,
    ) -> actors.Ref[Self]:
        _check(max_restarts, max_seconds, max_children, extra_arguments, decider)
        return super().start(
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
    def start_link(  # type: ignore[override]
        cls,
        *,
        max_restarts: int = 3,
        max_seconds: float = 5,
        max_children: int | None = None,
        extra_arguments: tuple[Any, ...] = (),
        decider: Decider | None = None,
        name: Any = None,
        system: ActorSystem | None = None,
        runtime: str | None = None,
    ) -> actors.Ref[Self]:
        _check(max_restarts, max_seconds, max_children, extra_arguments, decider)
        return super().start_link(
            max_restarts,
            max_seconds,
            max_children,
            tuple(extra_arguments),
            decider,
            name=name,
            system=system,
            runtime=runtime,
        )

    def init(
        self,
        max_restarts: int,
        max_seconds: float,
        max_children: int | None,
        extra_arguments: tuple[Any, ...],
        decider: Decider | None,
    ) -> None:
        self._setup_base(max_restarts, max_seconds, decider)
        self.max_children = max_children
        self.extra_arguments = extra_arguments
        self.children: dict[int, Child] = {}
        self._keys = itertools.count(1)

    def handle_info(self, message: Any) -> None:
        match message:
            case ("EXIT", ref, reason):
                child = self.by_proc.get(ref._process) if isinstance(ref, actors.Ref) else None
                if child is not None:
                    self._child_exited(child, reason)
            case ("$supervision", "retry", key, token):
                child = self.children.get(key)
                if child is not None and child.retry_token == token and child.status == RESTARTING:
                    self._restart(child)
            case _:
                super().handle_info(message)

    def terminate(self, reason: Any) -> None:
        """Stop all children at once, then wait for each (OTP's dynamic shutdown)."""
        self._shutting_down = True
        pending = []
        for child in list(self.children.values()):
            proc = self._forget(child)
            if proc is not None:
                self._signal_shutdown(proc, child.spec)
                pending.append((proc, child.spec))
        started = time.monotonic()
        for proc, spec in pending:
            if isinstance(spec.shutdown, int | float):
                left = max(0.0, float(spec.shutdown) - (time.monotonic() - started))
                self._await_exit(proc, spec, deadline=left)
            else:
                self._await_exit(proc, spec)
        self.children.clear()
        self._announce_shutdown(reason)

    def _child_exited(self, child: Child, reason: Any) -> None:
        self._forget(child)
        self._report_exit(child, reason)
        decision = self._decide(child, reason)
        if decision == "escalate":
            self.stop(reason)
        elif decision == "restart":
            delay = self._backoff_delay(child)
            if delay is None:
                self._restart(child)
            else:
                self._schedule_restart(child, delay)
        else:
            self._drop(child)

    def _restart(self, child: Child) -> None:
        if not self._within_intensity():
            self._drop(child)
            self._give_up(child)
            return
        self._start_again(child)

    def _drop(self, child: Child) -> None:
        self._forget(child)
        self.children.pop(child.key, None)

    # API operations --------------------------------------------------------------

    def _op_start_child(self, spec: ChildSpec) -> Any:
        if not isinstance(spec, ChildSpec):
            msg = f"start_child needs a ChildSpec, got {type(spec).__name__}"
            raise TypeError(msg)
        if spec.significant:
            msg = f"child {spec.id!r}: a DynamicSupervisor does not take significant children"
            raise ValueError(msg)
        if self.max_children is not None and len(self.children) >= self.max_children:
            raise MaxChildren(spec.id, f"max_children={self.max_children}")
        if self.extra_arguments:
            spec = ChildSpec(
                id=spec.id,
                start=spec.start,
                args=(*self.extra_arguments, *spec.args),
                kwargs=spec.kwargs,
                restart=spec.restart,
                shutdown=spec.shutdown,
                type=spec.type,
                significant=spec.significant,
                backoff=spec.backoff,
            )
        child = Child(spec, key=next(self._keys))
        failure = self._launch(child)
        if failure is not None:
            raise start_error(child, failure)
        if child.status == RUNNING:
            self.children[child.key] = child
        return child.ref

    def _op_terminate_child(self, ref: Any) -> None:
        if not isinstance(ref, actors.Ref):
            msg = "a DynamicSupervisor terminates children by ref, not by id"
            raise NotSupported(ref, msg)
        child = self.by_proc.get(ref._process)
        if child is None:
            raise NotFound(ref)
        self._shutdown_child(child)
        self._drop(child)

    def _op_which_children(self) -> list[tuple[Any, Any, str]]:
        return [(None, c.state(), c.spec.type) for c in self.children.values()]

    def _op_count_children(self) -> dict[str, int]:
        children = list(self.children.values())
        return {
            "specs": len(children),
            "active": sum(1 for c in children if c.status == RUNNING),
            "supervisors": sum(1 for c in children if c.spec.type == "supervisor"),
            "workers": sum(1 for c in children if c.spec.type == "worker"),
        }

    def _op_describe(self) -> list[tuple[Any, Any, str, str, int, str]]:
        return [
            (c.spec.id, c.ref, c.status, c.spec.type, c.restarts, c.spec.label)
            for c in self.children.values()
        ]

    def _op_restart_child(self, child_id: Any) -> Any:
        raise NotSupported(child_id, "a DynamicSupervisor restarts children itself")

    def _op_delete_child(self, child_id: Any) -> None:
        raise NotSupported(child_id, "a DynamicSupervisor keeps no stopped children")

    def _op_get_childspec(self, child_id: Any) -> ChildSpec:
        raise NotSupported(child_id, "a DynamicSupervisor has no child ids")


def _check(
    max_restarts: int,
    max_seconds: float,
    max_children: int | None,
    extra_arguments: Any,
    decider: Decider | None,
) -> None:
    RestartIntensity(max_restarts, max_seconds)
    if max_children is not None and (
        isinstance(max_children, bool) or not isinstance(max_children, int) or max_children < 0
    ):
        msg = f"max_children must be an integer >= 0 or None, got {max_children!r}"
        raise ValueError(msg)
    if not isinstance(extra_arguments, tuple | list):
        msg = f"extra_arguments must be a tuple, got {type(extra_arguments).__name__}"
        raise TypeError(msg)
    if decider is not None and not callable(decider):
        msg = f"decider must be callable, got {type(decider).__name__}"
        raise TypeError(msg)
