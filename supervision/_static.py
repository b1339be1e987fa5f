"""The process of a static supervisor: an ordered list of children.

Started through :class:`supervision.Supervisor`, which validates the
options in the caller's thread first. Every callback runs in the
supervisor's worker (pool) or thread, like any GenServer's; starting a
child runs there too (a pooled child's ``init`` runs inline).
"""

from __future__ import annotations

from typing import Any, ClassVar

import actors
from supervision._children import (
    RESTARTING,
    RUNNING,
    STOPPED,
    Child,
    ChildKeeper,
    Decider,
    start_error,
)
from supervision._errors import (
    AlreadyPresent,
    ChildAlreadyStarted,
    NotFound,
    Restarting,
    Running,
)
from supervision._spec import ChildSpec

__all__ = ["StaticSupervisor"]


class StaticSupervisor(actors.GenServer):
    """Restarts its children by OTP's rules (see :class:`supervision.Supervisor`)."""

    component: ClassVar[str | None] = "Supervisor"

    def init(
        self,
        specs: list[ChildSpec],
        strategy: str,
        max_restarts: int,
        max_seconds: float,
        auto_shutdown: str,
        decider: Decider | None,
    ) -> None:
        """Start the children in order; a failure stops those already started.

        Thread: the thread that called ``Supervisor.start`` (pooled runtime;
        the parent supervisor's worker for a nested supervisor) or the
        supervisor's own thread; each pooled child's ``init`` runs inline in
        it, one child after the other.
        """
        self.trap_exits = True
        self.keeper = ChildKeeper(self, max_restarts, max_seconds, decider)
        self.strategy = strategy
        self.auto_shutdown = auto_shutdown
        self.children: list[Child] = []
        self.by_key: dict[Any, Child] = {}
        for spec in specs:
            child = Child(spec)
            failure = self.keeper.launch(child)
            if failure is not None:
                self._stop_children()
                raise start_error(child, failure)
            if child.status == RUNNING or spec.restart != "temporary":
                self._add(child)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """The supervisor API (``supervision.which_children`` and friends).

        Thread: a pool worker, or the caller's thread when the supervisor is
        idle (an inline call, until one of them waits for a child to stop);
        the supervisor's own thread on the thread runtime. A pooled child's
        ``init`` (``start_child``, ``restart_child``) runs inline in that thread.
        """
        return self.keeper.dispatch(request)

    def handle_info(self, message: Any) -> None:
        """A child's ``EXIT`` (decide, restart, or give up) and the timer
        messages of spaced or backed-off restarts; runs in the supervisor's
        worker or thread, as do the restarts it makes."""
        match message:
            case ("EXIT", ref, reason):
                child = self.keeper.child_of(ref)
                if child is not None and child.status == RUNNING and child.ref == ref:
                    self._child_exited(child, reason)
            case ("$supervision", "retry", child_id, token):
                child = self.by_key.get(child_id)
                if child is not None and child.retry_token == token and child.status == RESTARTING:
                    self._restart(child)
            case _:
                super().handle_info(message)

    def terminate(self, reason: Any) -> None:
        """Stop the children one at a time in reverse start order (OTP's
        shutdown protocol); runs in the supervisor's worker or thread."""
        self.keeper.announce_shutdown(reason)
        self._stop_children()

    # Restarts --------------------------------------------------------------------

    def _child_exited(self, child: Child, reason: Any) -> None:
        keeper = self.keeper
        keeper.forget(child)
        keeper.report_exit(child, reason)
        decision = keeper.decide(child, reason)
        if decision == "escalate":
            self.stop(reason)
            return
        if decision == "restart":
            keeper.mark_restarting(child)
            delay = keeper.backoff_delay(child)
            if delay is None:
                self._restart(child)
            else:
                keeper.schedule_restart(child, delay)
            return
        if child.spec.restart == "temporary":
            self._remove(child)
        if child.spec.significant:
            self._maybe_auto_shutdown()

    def _restart(self, child: Child) -> None:
        keeper = self.keeper
        if not keeper.within_intensity():
            self._remove(child)
            keeper.give_up(child)
            return
        if self.strategy == "one_for_one":
            keeper.start_again(child)
            return
        start = 0 if self.strategy == "one_for_all" else self.children.index(child)
        group = self.children[start:]
        for sibling in reversed(group):
            if sibling is not child and sibling.status != STOPPED:
                keeper.shutdown_child(sibling)
        for sibling in [c for c in group if c is not child and c.spec.restart == "temporary"]:
            self._remove(sibling)
        for member in [c for c in group if c in self.children]:
            if not keeper.start_again(member):
                return  # its retry restarts this group again, from scratch

    def _maybe_auto_shutdown(self) -> None:
        if self.auto_shutdown == "any_significant" or (
            self.auto_shutdown == "all_significant"
            and not any(c.spec.significant and c.status != STOPPED for c in self.children)
        ):
            self.stop("shutdown")

    # Child table -----------------------------------------------------------------

    def _add(self, child: Child) -> None:
        self.children.append(child)
        self.by_key[child.spec.id] = child

    def _remove(self, child: Child) -> None:
        self.keeper.forget(child)
        if child in self.children:
            self.children.remove(child)
        self.by_key.pop(child.spec.id, None)

    def _stop_children(self) -> None:
        """Stop running children one at a time, in reverse start order;
        cancel pending restarts."""
        for child in reversed(self.children):
            if child.status == RUNNING:
                self.keeper.shutdown_child(child)
            else:
                self.keeper.forget(child)

    def _lookup(self, child_id: Any) -> Child:
        child = self.by_key.get(child_id)
        if child is None:
            raise NotFound(child_id)
        return child

    def _lookup_id_or_ref(self, key: Any) -> Child:
        if isinstance(key, actors.Ref):
            child = self.keeper.child_of(key)
            if child is None:
                raise NotFound(key)
            return child
        return self._lookup(key)

    def current(self, child_id: Any) -> Any:
        """The live ref of ``child_id``, or ``None`` (read from other threads
        by :class:`~supervision.ChildHandle`: one dict read)."""
        child = self.by_key.get(child_id)
        return None if child is None else child.ref

    # API operations (called through supervision._api) -------------------------

    def op_which_children(self) -> list[tuple[Any, Any, str]]:
        return [(c.spec.id, c.state(), c.spec.type) for c in self.children]

    def op_count_children(self) -> dict[str, int]:
        return {
            "specs": len(self.children),
            "active": sum(1 for c in self.children if c.status == RUNNING),
            "supervisors": sum(1 for c in self.children if c.spec.type == "supervisor"),
            "workers": sum(1 for c in self.children if c.spec.type == "worker"),
        }

    def op_describe(self) -> list[tuple[Any, Any, str, str, int, str]]:
        return [
            (c.spec.id, c.ref, c.status, c.spec.type, c.restarts, c.spec.label)
            for c in self.children
        ]

    def op_start_child(self, spec: ChildSpec) -> Any:
        if not isinstance(spec, ChildSpec):
            msg = f"start_child needs a ChildSpec, got {type(spec).__name__}"
            raise TypeError(msg)
        if spec.significant and self.auto_shutdown == "never":
            msg = (
                f"child {spec.id!r} is significant but auto_shutdown is 'never' "
                "(OTP bad_combination)"
            )
            raise ValueError(msg)
        existing = self.by_key.get(spec.id)
        if existing is not None:
            if existing.status == RUNNING:
                raise ChildAlreadyStarted(spec.id, existing.ref)
            raise AlreadyPresent(spec.id)
        child = Child(spec)
        failure = self.keeper.launch(child)
        if failure is not None:
            raise start_error(child, failure)
        if child.status == RUNNING or spec.restart != "temporary":
            self._add(child)
        return child.ref

    def op_terminate_child(self, child_id: Any) -> None:
        child = self._lookup_id_or_ref(child_id)
        if child.status == RUNNING:
            self.keeper.shutdown_child(child)
        else:
            self.keeper.forget(child)
        if child.spec.restart == "temporary":
            self._remove(child)

    def op_restart_child(self, child_id: Any) -> Any:
        child = self._lookup(child_id)
        if child.status == RUNNING:
            raise Running(child_id)
        if child.status == RESTARTING:
            raise Restarting(child_id)
        failure = self.keeper.launch(child)
        if failure is not None:
            raise start_error(child, failure)
        return child.ref

    def op_delete_child(self, child_id: Any) -> None:
        child = self._lookup(child_id)
        if child.status == RUNNING:
            raise Running(child_id)
        if child.status == RESTARTING:
            raise Restarting(child_id)
        self._remove(child)

    def op_get_childspec(self, child_id: Any) -> ChildSpec:
        return self._lookup_id_or_ref(child_id).spec
