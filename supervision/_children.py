"""The child-management machinery both supervisors are built from.

A :class:`ChildKeeper` belongs to one supervisor process (composition: the
static and the dynamic supervisor each own one) and does what OTP's
``supervisor`` does for a child: start it (handing it a
:class:`~actors.lowlevel.StartContext`), stop it with the shutdown protocol,
decide what its exit means, count restarts against the intensity, delay
restarts with backoff, and report all of it as lifecycle events.

Threads: every method runs in the supervisor's own callbacks (its pool
worker, its thread, or a caller's thread running an API call inline), one
message at a time, so the child table needs no lock. The one exception is
the crash hook handed to each child, which runs in the *child's* thread
(whichever thread ran its failing callback) when one of them raises: it calls the
supervisor's decider once for that crash and leaves the verdict in the
child's :class:`Verdict`, which the supervisor reads when the child's
``EXIT`` arrives (the verdict is written before the exit is sent).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import Any, Final

import actors
from actors.lowlevel import StartContext, adopt, handing_over, process_of
from supervision import _events as events
from supervision._errors import ChildAlreadyStarted, ChildStartError
from supervision._intensity import IntensityStatus, RestartIntensity
from supervision._spec import ChildSpec

__all__ = [
    "DIRECTIVES",
    "RESTARTING",
    "RUNNING",
    "STOPPED",
    "Child",
    "ChildKeeper",
    "Decider",
    "Verdict",
    "start_error",
]

logger = logging.getLogger("supervision")

RUNNING: Final = "running"
RESTARTING: Final = "restarting"
STOPPED: Final = "stopped"

DIRECTIVES: Final = ("restart", "stop", "escalate", "resume")

RETRY_MIN: Final = 0.005
RETRY_MAX: Final = 0.5
"""A failed restart is retried after RETRY_MIN clock-seconds, doubling up to
RETRY_MAX. Each attempt counts toward the restart intensity, as OTP's
``try_again_restart`` does, but attempts are spaced rather than run back to
back in one turn, so a transient cause (a name still held by an actor that is
exiting) can clear before the intensity is used up."""

INFINITY_WARNING_EVERY: Final = 5.0
"""Real seconds between warnings while waiting on a child with shutdown="infinity"."""

Decider = Callable[[BaseException], str]


class Verdict:
    """What the decider said about the last crash of one child incarnation."""

    __slots__ = ("directive", "exc")

    def __init__(self) -> None:
        self.exc: BaseException | None = None
        self.directive = "restart"


class Child:
    """A supervisor's record of one child (its current incarnation, if any)."""

    __slots__ = (
        "failed_starts",
        "failures",
        "key",
        "last_id",
        "ref",
        "restarts",
        "retry_token",
        "spec",
        "started_at",
        "status",
        "verdict",
    )

    def __init__(self, spec: ChildSpec, key: Any = None) -> None:
        self.spec = spec
        self.key = spec.id if key is None else key
        self.ref: Any = None
        self.last_id: str | None = None  # the id of the incarnation that last ran
        self.status = STOPPED
        self.restarts = 0
        self.failures = 0  # consecutive, for backoff
        self.failed_starts = 0  # consecutive failed restart attempts
        self.started_at = 0.0
        self.retry_token = 0
        self.verdict = Verdict()

    def state(self) -> Any:
        """What ``which_children`` shows: the ref, ``"restarting"`` or ``None``."""
        if self.status == RUNNING:
            return self.ref
        if self.status == RESTARTING:
            return "restarting"
        return None


def start_error(child: Child, cause: Any) -> ChildStartError | ChildAlreadyStarted:
    """The API error for a child that could not start.

    A registered name held by a live actor gives :class:`ChildAlreadyStarted`
    carrying that actor's ref (OTP's ``{already_started, Pid}``); anything
    else :class:`ChildStartError` with the reason (an exception, or the
    reason an ``init`` refused with).
    """
    if isinstance(cause, actors.AlreadyStarted):
        taken = ChildAlreadyStarted(child.spec.id, cause.ref)
        taken.__cause__ = cause
        return taken
    error = ChildStartError(child.spec.id, cause)
    if isinstance(cause, BaseException):
        error.__cause__ = cause
    return error


class ChildKeeper:
    """Starting, stopping and restarting the children of one supervisor."""

    def __init__(
        self,
        server: actors.GenServer,
        max_restarts: int,
        max_seconds: float,
        decider: Decider | None,
    ) -> None:
        self.server = server
        self.intensity = RestartIntensity(max_restarts, max_seconds)
        self.decider = decider
        self.by_id: dict[str, Child] = {}
        """Children by the id (URN) of their current or last incarnation."""
        self.rng = random.Random()
        self.shutting_down = False

    # Naming --------------------------------------------------------------------

    @property
    def label(self) -> Any:
        """How events name this supervisor: its registered name, else its id."""
        server = self.server
        return server.name if server.name is not None else server.ref.id

    @property
    def label_text(self) -> str:
        label = self.label
        return label if isinstance(label, str) else repr(label)

    def child_of(self, ref: Any) -> Child | None:
        """The child whose current or last incarnation is ``ref``."""
        child_id = getattr(ref, "id", None)
        return None if child_id is None else self.by_id.get(child_id)

    # Starting ------------------------------------------------------------------

    def launch(self, child: Child) -> Any:
        """Start ``child``; returns the failure, or ``None`` (started or ignored).

        The child takes a start context naming it and this supervisor; with
        a decider, the context carries the crash hook that consults it.
        """
        system = self.server.system
        # Read the clock before the child's init runs: "up since" must not
        # include time that passed while it was starting.
        starting_at = system.clock.monotonic()
        verdict = Verdict()
        context = StartContext(
            supervisor=self.label_text,
            child_id=child.spec.id,
            on_crash=None if self.decider is None else self._crash_hook(verdict),
        )
        try:
            with handing_over(context):
                ref = child.spec.launch()
            if ref is not None:
                adopt(ref, context)
        except actors.AlreadyStarted as exc:
            return self._start_failed(child, exc)
        except actors.StartError as exc:
            return self._start_failed(child, exc.cause if exc.cause is not None else exc)
        except Exception as exc:
            return self._start_failed(child, exc)
        except BaseException as exc:
            # SystemExit / KeyboardInterrupt from a child's start: a failed
            # start of that child, never the supervisor's own crash...
            failure = self._start_failed(child, exc)
            if threading.current_thread() is threading.main_thread():
                raise  # ... but Ctrl-C in the main thread still reaches the program
            return failure
        self._forget(child)
        if ref is None:
            child.status = STOPPED
            return None
        child.ref = ref
        child.last_id = ref.id
        child.status = RUNNING
        child.started_at = starting_at
        child.verdict = verdict
        self.by_id[ref.id] = child
        return None

    def _crash_hook(self, verdict: Verdict) -> Callable[[Exception], bool]:
        decider = self.decider
        assert decider is not None
        label = self.label

        def on_crash(exc: Exception) -> bool:
            # Runs in the crashing child's thread, once per crash.
            try:
                directive = decider(exc)
            except BaseException:
                logger.exception("supervisor %s: decider raised; restarting", label)
                directive = "restart"
            if directive not in DIRECTIVES:
                logger.error(
                    "supervisor %s: decider returned %r, not one of %s; restarting",
                    label,
                    directive,
                    ", ".join(DIRECTIVES),
                )
                directive = "restart"
            verdict.exc = exc
            verdict.directive = directive
            return directive == "resume"

        return on_crash

    def _start_failed(self, child: Child, cause: Any) -> Any:
        child.ref = None
        logger.error(
            "supervisor %s: child %r failed to start: %s",
            self.label,
            child.spec.id,
            actors.format_reason(cause),
        )
        self.server.system.lifecycle(
            events.CHILD_START_FAILED,
            component=child.spec.label,
            reason=cause,
            supervisor=self.label,
            child_id=child.spec.id,
            restart_count=child.restarts,
        )
        return cause

    def start_again(self, child: Child) -> bool:
        """Restart ``child``; on failure schedule a retry (which counts toward
        the restart intensity, as OTP's ``try_again_restart`` does)."""
        failure = self.launch(child)
        if failure is None:
            child.failed_starts = 0
            child.restarts += 1
            proc = None if child.ref is None else process_of(child.ref)
            if proc is not None:
                self.server.system.emit_lifecycle(
                    proc,
                    events.RESTARTED,
                    supervisor=self.label,
                    child_id=child.spec.id,
                    restart_count=child.restarts,
                )
            return True
        child.status = RESTARTING
        child.retry_token += 1
        delay = min(RETRY_MAX, RETRY_MIN * 2 ** min(child.failed_starts, 16))
        child.failed_starts += 1
        actors.send_after(
            self.server.ref, ("$supervision", "retry", child.key, child.retry_token), delay
        )
        return False

    # Stopping ------------------------------------------------------------------

    def _forget(self, child: Child) -> Any:
        """Detach ``child``'s incarnation so its EXIT, when it comes, is ignored."""
        ref = child.ref
        if ref is not None:
            self.by_id.pop(ref.id, None)
        elif child.last_id is not None:
            self.by_id.pop(child.last_id, None)
        child.ref = None
        child.status = STOPPED
        child.retry_token += 1  # cancels a pending retry or backoff timer
        return ref

    def forget(self, child: Child) -> Any:
        """Public form of :meth:`_forget`: returns the ref it held, if any."""
        return self._forget(child)

    def shutdown_child(self, child: Child) -> None:
        """OTP's shutdown protocol for one child, waiting at most its
        ``shutdown`` seconds before killing it."""
        ref = self._forget(child)
        if ref is not None:
            self.signal_shutdown(ref, child.spec)
            self.await_exit(ref, child.spec)

    def signal_shutdown(self, ref: Any, spec: ChildSpec) -> None:
        """Send the child its shutdown signal (from this supervisor, its parent)."""
        # A child trapping exits runs terminate("shutdown") after its queued
        # messages; one that does not exits at once.
        actors.exit(ref, "kill" if spec.shutdown == "brutal_kill" else "shutdown")

    def await_exit(self, ref: Any, spec: ChildSpec, deadline: float | None = None) -> None:
        shutdown = spec.shutdown
        if shutdown == "brutal_kill":
            return
        stopped = ref.actor_stopped
        if shutdown == "infinity":
            with actors.blocking():
                while not stopped.wait(INFINITY_WARNING_EVERY):
                    logger.warning(
                        "supervisor %s: still waiting for child %r to stop (shutdown='infinity')",
                        self.label,
                        spec.id,
                    )
            return
        timeout = float(shutdown) if deadline is None else deadline
        with actors.blocking():
            done = stopped.wait(timeout)
        if not done:
            logger.error(
                "supervisor %s: child %r did not stop within %ss; killing it",
                self.label,
                spec.id,
                shutdown,
            )
            actors.exit(ref, "kill")

    # Exits -----------------------------------------------------------------------

    def decide(self, child: Child, reason: Any) -> str:
        """``"restart"``, ``"stop"`` or ``"escalate"`` for a child's exit.

        OTP's table (restart type by exit reason), unless the decider already gave
        a verdict on this very crash in the child's thread.
        """
        verdict = child.verdict
        if verdict.exc is reason and verdict.directive in ("escalate", "stop"):
            return verdict.directive
        restart = child.spec.restart
        if restart == "permanent":
            return "restart"
        if restart == "transient" and not actors.is_normal_exit(reason):
            return "restart"
        return "stop"

    def give_up(self, child: Child) -> None:
        """Too many restarts: stop everything and exit with "shutdown"."""
        logger.error(
            "supervisor %s: child %r reached the restart intensity (%d in %ss); shutting down",
            self.label,
            child.spec.id,
            self.intensity.max_restarts,
            self.intensity.max_seconds,
        )
        self.server.system.lifecycle(
            events.MAX_RESTARTS_REACHED,
            component=child.spec.label,
            name=child.spec.kwargs.get("name"),
            reason="reached_max_restart_intensity",
            supervisor=self.label,
            child_id=child.spec.id,
            restart_count=child.restarts,
        )
        self.server.stop("shutdown")

    def within_intensity(self) -> bool:
        return self.intensity.add_restart(self.server.system.clock.monotonic())

    def backoff_delay(self, child: Child) -> float | None:
        backoff = child.spec.backoff
        if backoff is None:
            return None
        if self.server.system.clock.monotonic() - child.started_at >= backoff.reset_period:
            child.failures = 0
        delay = backoff.delay(child.failures, self.rng.random())
        child.failures += 1
        return delay

    def schedule_restart(self, child: Child, delay: float) -> None:
        child.status = RESTARTING
        child.retry_token += 1
        actors.send_after(
            self.server.ref, ("$supervision", "retry", child.key, child.retry_token), delay
        )

    def mark_restarting(self, child: Child) -> None:
        """Keep the last incarnation's id pointing at ``child`` while it waits
        for its restart, so ``terminate_child(sup, old_ref)`` still finds it."""
        if child.last_id is not None:
            self.by_id[child.last_id] = child

    def report_exit(self, child: Child, reason: Any) -> None:
        if not actors.is_normal_exit(reason) or child.spec.restart == "permanent":
            logger.warning(
                "supervisor %s: child %r exited: %s",
                self.label,
                child.spec.id,
                actors.format_reason(reason),
            )

    # Lifecycle -----------------------------------------------------------------

    def announce_shutdown(self, reason: Any) -> None:
        """Emit ``shutdown`` as the supervisor begins stopping its children."""
        self.shutting_down = True
        proc = process_of(self.server.ref)
        if proc is not None:
            self.server.system.emit_lifecycle(proc, events.SHUTDOWN, reason)

    def op_intensity(self) -> IntensityStatus:
        """The restart window as it stands (both kinds of supervisor)."""
        return self.intensity.status(self.server.system.clock.monotonic())

    def dispatch(self, request: Any) -> Any:
        """Answer an API request with ``("ok", value)`` or ``("error", exc)``,
        so a bad request never crashes the supervisor."""
        match request:
            case ("$supervision", operation, *args):
                handler = getattr(self.server, f"op_{operation}", None) or getattr(
                    self, f"op_{operation}", None
                )
                if handler is None:
                    return ("error", ValueError(f"unknown supervisor operation {operation!r}"))
                try:
                    return ("ok", handler(*args))
                except (actors.ActorError, ValueError, TypeError) as exc:
                    return ("error", exc)
        return ("error", ValueError(f"unexpected call to a supervisor: {request!r}"))
