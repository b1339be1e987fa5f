"""The process of a dynamic supervisor: children started on demand.

Started through :class:`supervision.DynamicSupervisor`. Callbacks run in
the supervisor's worker or thread; see :mod:`supervision._children`.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, ClassVar

import attrs

import actors
from supervision._children import RESTARTING, RUNNING, Child, ChildKeeper, Decider, start_error
from supervision._errors import MaxChildren, NotFound, NotSupported
from supervision._spec import ChildSpec

__all__ = ["DynamicSupervisorServer"]


class DynamicSupervisorServer(actors.GenServer):
    """Elixir's DynamicSupervisor (see :class:`supervision.DynamicSupervisor`)."""

    component: ClassVar[str | None] = "DynamicSupervisor"

    def init(
        self,
        max_restarts: int,
        max_seconds: float,
        max_children: int | None,
        extra_arguments: tuple[Any, ...],
        decider: Decider | None,
    ) -> None:
        """Start empty; runs in the thread that called ``DynamicSupervisor.start``
        (pooled runtime) or the supervisor's own thread."""
        self.trap_exits = True
        self.keeper = ChildKeeper(self, max_restarts, max_seconds, decider)
        self.max_children = max_children
        self.extra_arguments = extra_arguments
        self.children: dict[int, Child] = {}
        self._keys = itertools.count(1)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """The supervisor API (``supervision.start_child`` and friends).

        Thread: a pool worker, or the caller's thread when the supervisor is
        idle (an inline call, until one of them waits for a child to stop);
        the supervisor's own thread on the thread runtime. A pooled child's
        ``init`` runs inline in that thread.
        """
        return self.keeper.dispatch(request)

    def handle_info(self, message: Any) -> None:
        """A child's ``EXIT`` and the timer messages of delayed restarts; runs
        in the supervisor's worker or thread, as do the restarts it makes."""
        match message:
            case ("EXIT", ref, reason):
                child = self.keeper.child_of(ref)
                if child is not None and child.status == RUNNING and child.ref == ref:
                    self._child_exited(child, reason)
            case ("$supervision", "retry", key, token):
                child = self.children.get(key)
                if child is not None and child.retry_token == token and child.status == RESTARTING:
                    self._restart(child)
            case _:
                super().handle_info(message)

    def terminate(self, reason: Any) -> None:
        """Stop all children at once, then wait for each (OTP's dynamic
        shutdown); runs in the supervisor's worker or thread."""
        keeper = self.keeper
        keeper.announce_shutdown(reason)
        pending = []
        for child in list(self.children.values()):
            ref = keeper.forget(child)
            if ref is not None:
                keeper.signal_shutdown(ref, child.spec)
                pending.append((ref, child.spec))
        started = time.monotonic()
        for ref, spec in pending:
            if isinstance(spec.shutdown, int | float):
                left = max(0.0, float(spec.shutdown) - (time.monotonic() - started))
                keeper.await_exit(ref, spec, deadline=left)
            else:
                keeper.await_exit(ref, spec)
        self.children.clear()

    def _child_exited(self, child: Child, reason: Any) -> None:
        keeper = self.keeper
        keeper.forget(child)
        keeper.report_exit(child, reason)
        decision = keeper.decide(child, reason)
        if decision == "escalate":
            self.stop(reason)
        elif decision == "restart":
            keeper.mark_restarting(child)
            delay = keeper.backoff_delay(child)
            if delay is None:
                self._restart(child)
            else:
                keeper.schedule_restart(child, delay)
        else:
            self._drop(child)

    def _restart(self, child: Child) -> None:
        keeper = self.keeper
        if not keeper.within_intensity():
            self._drop(child)
            keeper.give_up(child)
            return
        if keeper.start_again(child) and child.ref is None:
            self._drop(child)  # the restart returned "ignore": OTP forgets the child

    def _drop(self, child: Child) -> None:
        self.keeper.forget(child)
        self.children.pop(child.key, None)

    def _find(self, ref: Any) -> Child:
        if not isinstance(ref, actors.Ref):
            msg = "a DynamicSupervisor addresses children by ref, not by id"
            raise NotSupported(ref, msg)
        child = self.keeper.child_of(ref)
        if child is None or child.key not in self.children:
            raise NotFound(ref)
        return child

    # API operations --------------------------------------------------------------

    def op_start_child(self, spec: ChildSpec) -> Any:
        if not isinstance(spec, ChildSpec):
            msg = f"start_child needs a ChildSpec, got {type(spec).__name__}"
            raise TypeError(msg)
        if spec.significant:
            msg = f"child {spec.id!r}: a DynamicSupervisor does not take significant children"
            raise ValueError(msg)
        if self.max_children is not None and len(self.children) >= self.max_children:
            raise MaxChildren(spec.id, f"max_children={self.max_children}")
        if self.extra_arguments:
            spec = attrs.evolve(spec, args=(*self.extra_arguments, *spec.args))
        child = Child(spec, key=next(self._keys))
        failure = self.keeper.launch(child)
        if failure is not None:
            raise start_error(child, failure)
        if child.status == RUNNING:
            self.children[child.key] = child
        return child.ref

    def op_terminate_child(self, ref: Any) -> None:
        """Stop a child by the ref of its current incarnation, or of the last
        one while it waits to be restarted (OTP and Elixir allow both)."""
        child = self._find(ref)
        if child.status == RUNNING:
            self.keeper.shutdown_child(child)
        self._drop(child)

    def op_which_children(self) -> list[tuple[Any, Any, str]]:
        return [(None, c.state(), c.spec.type) for c in self.children.values()]

    def op_count_children(self) -> dict[str, int]:
        children = list(self.children.values())
        return {
            "specs": len(children),
            "active": sum(1 for c in children if c.status == RUNNING),
            "supervisors": sum(1 for c in children if c.spec.type == "supervisor"),
            "workers": sum(1 for c in children if c.spec.type == "worker"),
        }

    def op_describe(self) -> list[tuple[Any, Any, str, str, int, str]]:
        return [
            (c.spec.id, c.ref, c.status, c.spec.type, c.restarts, c.spec.label)
            for c in self.children.values()
        ]

    def op_restart_child(self, child_id: Any) -> Any:
        raise NotSupported(child_id, "a DynamicSupervisor restarts children itself")

    def op_delete_child(self, child_id: Any) -> None:
        raise NotSupported(child_id, "a DynamicSupervisor keeps no stopped children")

    def op_get_childspec(self, ref: Any) -> ChildSpec:
        """The spec a child was started from (with the extra arguments), by ref."""
        return self._find(ref).spec
