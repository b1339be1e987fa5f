"""What static and dynamic supervisors share: starting, stopping and
restarting children with OTP's rules, and reporting it.

Everything here runs in the supervisor's own callbacks (its pool worker or
thread), one message at a time, so the child table needs no lock; the only
cross-thread readers are :class:`ChildHandle` lookups, which read a dict.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any, Final

import actors
from actors import _lifecycle as lifecycle
from actors._intensity import RestartIntensity
from actors._process import Process
from actors._reasons import format_reason, is_normal_exit
from actors._server import ServerProcess
from supervision._errors import ChildStartError
from supervision._spec import ChildSpec

__all__ = ["DIRECTIVES", "Child", "SupervisorBase"]

logger = logging.getLogger("supervision")

RUNNING: Final = "running"
RESTARTING: Final = "restarting"
STOPPED: Final = "stopped"

DIRECTIVES: Final = ("restart", "stop", "escalate", "resume")

INFINITY_WARNING_EVERY: Final = 5.0
"""Real seconds between warnings while waiting on a child with shutdown="infinity"."""

Decider = Callable[[BaseException], str]


class Child:
    """A supervisor's record of one child (its current incarnation, if any)."""

    __slots__ = (
        "failures",
        "key",
        "ref",
        "restarts",
        "retry_token",
        "spec",
        "started_at",
        "status",
    )

    def __init__(self, spec: ChildSpec, key: Any = None) -> None:
        self.spec = spec
        self.key = spec.id if key is None else key
        self.ref: Any = None
        self.status = STOPPED
        self.restarts = 0
        self.failures = 0  # consecutive, for backoff
        self.started_at = 0.0
        self.retry_token = 0

    @property
    def process(self) -> ServerProcess | None:
        return None if self.ref is None else self.ref._process

    def state(self) -> Any:
        """What ``which_children`` shows: the ref, ``"restarting"`` or ``None``."""
        if self.status == RUNNING:
            return self.ref
        if self.status == RESTARTING:
            return "restarting"
        return None


class SupervisorBase(actors.GenServer):
    """Child bookkeeping shared by :class:`~supervision.Supervisor` and
    :class:`~supervision.DynamicSupervisor`. Not used directly."""

    by_proc: dict[Process, Child]

    def _setup_base(self, max_restarts: int, max_seconds: float, decider: Decider | None) -> None:
        self.trap_exits = True
        self.intensity = RestartIntensity(max_restarts, max_seconds)
        self.by_proc = {}
        self.decider = decider
        self._proc.child_decider = decider
        self._rng = random.Random()
        self._shutting_down = False

    # Naming --------------------------------------------------------------------

    @property
    def label(self) -> Any:
        """How events name this supervisor: its registered name, else its id."""
        return self.name if self.name is not None else self.ref.id

    # Starting ------------------------------------------------------------------

    def _launch(self, child: Child) -> BaseException | None:
        """Start ``child``; returns the failure, or ``None`` (started or ignored)."""
        # Read the clock before the child's init runs: "up since" must not
        # include time that passed while it was starting.
        starting_at = self.system.clock.monotonic()
        self._proc.starting_child = child.spec.id  # picked up by the child's process
        try:
            ref = child.spec.launch()
        except actors.StartError as exc:
            return self._start_failed(child, exc.cause if exc.cause is not None else exc)
        except Exception as exc:
            return self._start_failed(child, exc)
        finally:
            self._proc.starting_child = None
        if ref is None:
            child.ref = None
            child.status = STOPPED
            return None
        proc = ref._process
        if proc.parent is None:
            proc.parent = self._proc  # started by a callable: we are its supervisor
            proc.child_id = child.spec.id
        child.ref = ref
        child.status = RUNNING
        child.started_at = starting_at
        self.by_proc[proc] = child
        return None

    def _start_failed(self, child: Child, cause: BaseException) -> BaseException:
        child.ref = None
        logger.error(
            "supervisor %s: child %r failed to start: %s",
            self.label,
            child.spec.id,
            format_reason(cause),
        )
        self.system.lifecycle(
            lifecycle.CHILD_START_FAILED,
            component=child.spec.label,
            reason=cause,
            supervisor=self.label,
            child_id=child.spec.id,
            restart_count=child.restarts,
        )
        return cause

    def _start_again(self, child: Child) -> bool:
        """Restart ``child``; on failure schedule a retry (which counts toward
        the restart intensity, as OTP's ``try_again_restart`` does)."""
        failure = self._launch(child)
        if failure is None:
            child.restarts += 1
            proc = child.process
            if proc is not None:
                self.system.emit_lifecycle(
                    proc,
                    lifecycle.RESTARTED,
                    supervisor=self.label,
                    child_id=child.spec.id,
                    restart_count=child.restarts,
                )
            return True
        child.status = RESTARTING
        child.retry_token += 1
        actors.send(self.ref, ("$supervision", "retry", child.key, child.retry_token))
        return False

    # Stopping ------------------------------------------------------------------

    def _forget(self, child: Child) -> ServerProcess | None:
        """Detach ``child``'s process so its EXIT, when it comes, is ignored."""
        proc = child.process
        if proc is not None:
            self.by_proc.pop(proc, None)
        child.ref = None
        child.status = STOPPED
        child.retry_token += 1  # cancels a pending retry or backoff timer
        return proc

    def _shutdown_child(self, child: Child) -> None:
        """OTP's shutdown protocol for one child (B.7), waiting at most its
        ``shutdown`` seconds before killing it."""
        proc = self._forget(child)
        if proc is not None:
            self._signal_shutdown(proc, child.spec)
            self._await_exit(proc, child.spec)

    def _signal_shutdown(self, proc: ServerProcess, spec: ChildSpec) -> None:
        if spec.shutdown == "brutal_kill":
            proc.kill()
        else:
            # A child trapping exits runs terminate("shutdown") after its
            # queued messages; one that does not exits at its next message.
            proc.exit_signal(self._proc, "shutdown")

    def _await_exit(
        self, proc: ServerProcess, spec: ChildSpec, deadline: float | None = None
    ) -> None:
        shutdown = spec.shutdown
        if shutdown == "brutal_kill":
            return
        if shutdown == "infinity":
            with actors.blocking():
                while not proc.stopped.wait(INFINITY_WARNING_EVERY):
                    logger.warning(
                        "supervisor %s: still waiting for child %r to stop (shutdown='infinity')",
                        self.label,
                        spec.id,
                    )
            return
        timeout = float(shutdown) if deadline is None else deadline
        with actors.blocking():
            stopped = proc.stopped.wait(timeout)
        if not stopped:
            logger.error(
                "supervisor %s: child %r did not stop within %ss; killing it",
                self.label,
                spec.id,
                shutdown,
            )
            proc.kill()

    # Exits -----------------------------------------------------------------------

    def _decide(self, child: Child, reason: Any) -> str:
        """``"restart"``, ``"stop"`` or ``"escalate"`` for a child's exit (B.3 and
        the optional decider)."""
        if self.decider is not None and isinstance(reason, Exception):
            try:
                directive = self.decider(reason)
            except Exception:
                logger.exception("supervisor %s: decider raised; restarting", self.label)
                directive = "restart"
            if directive == "escalate":
                return "escalate"
            if directive == "stop":
                return "stop"
        restart = child.spec.restart
        if restart == "permanent":
            return "restart"
        if restart == "transient" and not is_normal_exit(reason):
            return "restart"
        return "stop"

    def _give_up(self, child: Child) -> None:
        """Too many restarts: stop everything and exit with "shutdown"."""
        logger.error(
            "supervisor %s: child %r reached the restart intensity (%d in %ss); shutting down",
            self.label,
            child.spec.id,
            self.intensity.max_restarts,
            self.intensity.max_seconds,
        )
        self.system.lifecycle(
            lifecycle.MAX_RESTARTS_REACHED,
            component=child.spec.label,
            name=child.spec.kwargs.get("name"),
            reason="reached_max_restart_intensity",
            supervisor=self.label,
            child_id=child.spec.id,
            restart_count=child.restarts,
        )
        self.stop("shutdown")

    def _within_intensity(self) -> bool:
        return self.intensity.add_restart(self.system.clock.monotonic())

    def _backoff_delay(self, child: Child) -> float | None:
        backoff = child.spec.backoff
        if backoff is None:
            return None
        if self.system.clock.monotonic() - child.started_at >= backoff.reset_period:
            child.failures = 0
        delay = backoff.delay(child.failures, self._rng.random())
        child.failures += 1
        return delay

    def _schedule_restart(self, child: Child, delay: float) -> None:
        child.status = RESTARTING
        child.retry_token += 1
        actors.send_after(self.ref, ("$supervision", "retry", child.key, child.retry_token), delay)

    def _report_exit(self, child: Child, reason: Any) -> None:
        if not is_normal_exit(reason) or child.spec.restart == "permanent":
            logger.warning(
                "supervisor %s: child %r exited: %s",
                self.label,
                child.spec.id,
                format_reason(reason),
            )

    # Lifecycle -----------------------------------------------------------------

    def _announce_shutdown(self, reason: Any) -> None:
        self.system.emit_lifecycle(self._proc, lifecycle.SHUTDOWN, reason)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """API requests answer ``("ok", value)`` or ``("error", exc)``, so a bad
        request never crashes the supervisor."""
        match request:
            case ("$supervision", operation, *args):
                handler = getattr(self, f"_op_{operation}", None)
                if handler is None:
                    return ("error", ValueError(f"unknown supervisor operation {operation!r}"))
                try:
                    return ("ok", handler(*args))
                except (actors.ActorError, ValueError, TypeError) as exc:
                    return ("error", exc)
        return ("error", ValueError(f"unexpected call to a supervisor: {request!r}"))


def start_error(child: Child, cause: BaseException) -> ChildStartError:
    error = ChildStartError(child.spec.id, cause)
    error.__cause__ = cause
    return error
