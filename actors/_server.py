"""The process behind a GenServer: runs its callbacks with OTP's failure semantics.

One :class:`ServerProcess` per GenServer incarnation. Whatever runtime drives
it (a pool worker or the actor's own thread) calls :meth:`run_turn` while
holding the mailbox's scheduling lock, so callbacks of one actor never run
concurrently and messages are handled in arrival order.

Exit paths, all funnelled into :meth:`ServerProcess._finalize` so each runs
exactly once:

* a callback raises → ``terminate(exc)``, exit with the exception (crash);
* ``self.stop(reason)`` or :func:`actors.stop` → ``terminate(reason)``;
* an exit signal from a link while not trapping exits → exit at the next
  message boundary, without ``terminate`` (OTP);
* ``exit(target, "kill")`` → exit at once from the killer's thread; the
  callback that may still be running finishes as a zombie whose results are
  dropped (a Python thread cannot be killed).

On exit the name is released, then the lifecycle event is emitted, then
monitors get ``DOWN``, links get the exit signal, pending callers get a
:class:`~actors.CallError` with the reason, and queued plain messages are
counted as dead letters.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, ClassVar, Final

from actors import _lifecycle as lifecycle
from actors import _tracing
from actors._envelopes import (
    IDLE_CHECK,
    Call,
    Caller,
    Cast,
    ContinueSignal,
    ExitSignal,
    IdleCheck,
    Signal,
    StopRequest,
)
from actors._errors import CallError, StartError
from actors._mailbox import Mailbox
from actors._process import CurrentSlot, Process, current_slot
from actors._reasons import KILLED, NORMAL, format_reason, is_normal_exit
from actors._ref import Ref
from actors._runqueue import RunQueue
from actors._startctx import CrashHook, StartContext

if TYPE_CHECKING:
    from actors._genserver import GenServer
    from actors._system import ActorSystem
    from actors._timers import TimerRef

__all__ = ["NO_REPLY", "ServerProcess"]

logger = logging.getLogger("actors")


class _NoReply:
    __slots__ = ()

    def __repr__(self) -> str:
        return "actors.NO_REPLY"


NO_REPLY: Final = _NoReply()
"""Return this from ``handle_call`` to reply later with :func:`actors.reply`."""

_NOTHING: Final[Any] = object()

STARTING: Final = 0
RUNNING: Final = 1
EXITING: Final = 2
DEAD: Final = 3


class ServerProcess(Mailbox):
    """Runtime state of one GenServer incarnation, mailbox included.

    Created bare by ``GenServer._create_actor_inbox`` (it is the actor's
    pykka inbox) and completed by :meth:`bind` once the actor system, name
    and runtime are known.

    ``handled`` counts the messages its turns have taken (calls, casts,
    infos, signals), for rates seen from other threads: it is written only by
    the thread running the turn, once per turn, and read without a lock.
    """

    __slots__ = (
        "_attention",
        "_continue",
        "_current_caller",
        "_deferred",
        "_held_reply",
        "_idle_checks",
        "_idle_deadline",
        "_idle_timer",
        "_inline_stop",
        "_pending_exit",
        "_phase",
        "_stop_reason",
        "_stop_waiters",
        "actor",
        "component",
        "context",
        "handled",
        "handover",
        "idle_timeout",
        "inline_calls",
        "linger_skips",
        "loop_inline",
        "loop_strikes",
        "own_runq",
        "parent",
        "ref",
        "runtime",
        "stopped",
    )

    quick_replies: ClassVar[bool] = True
    """Whether an ``acall`` from an idle event loop may wait briefly in the
    loop's thread for the reply (see ``actors._aio``) before awaiting it."""

    def __init__(self) -> None:
        self.init_mailbox()
        self.handled = 0
        self.component = "unstarted"
        self.name = None
        self.id = "unbound"

    def bind(
        self,
        actor: GenServer,
        system: ActorSystem,
        name: Any,
        runtime: str,
        parent: Process | None,
        context: StartContext | None = None,
    ) -> None:
        """Complete the process once the actor is about to start.

        ``context`` is what the parent handed over (see
        :mod:`actors._startctx`): labels for lifecycle events and a crash hook.
        """
        Process.__init__(self, system, name, actor.actor_urn)
        self.actor: GenServer | None = actor
        self.stopped: threading.Event = actor.actor_stopped
        self.component = actor._component_name
        self.runtime = runtime
        self.parent = parent
        self._phase = STARTING
        self._attention = False
        self._pending_exit: Any = _NOTHING
        self._stop_reason: Any = _NOTHING
        self._stop_waiters: list[Any] | None = None
        self._continue: Any = _NOTHING
        self._current_caller: Caller | None = None
        self._deferred: set[Caller] | None = None
        self._held_reply: tuple[Caller, Any] | None = None
        self._idle_deadline = 0.0
        self._idle_timer: TimerRef | None = None
        self._idle_checks = 0
        self.idle_timeout: float | None = actor._class_idle_timeout
        self.context = context
        self.handover: StartContext | None = None
        self.own_runq: RunQueue | None = None
        """The run queue of the actor's own thread (thread runtime only)."""
        # Stopping an idle pooled actor without a terminate callback runs no
        # user code, so the stopping thread may finish it itself (no handoff).
        self._inline_stop = runtime == "pooled" and not actor._has_terminate
        self.inline_calls = runtime == "pooled" and type(actor).inline_calls
        """Whether a caller may run this actor's turn in its own thread when
        the actor is idle (pooled actors: any thread may run their callbacks)."""
        self.loop_inline = self.inline_calls and type(actor).loop_safe
        self.loop_strikes = 0.0
        """Over-long turns in an event loop's thread, decaying (``actors._aio``)."""
        self.linger_skips = 0
        """``acall`` s left that await at once, without lingering for a quick
        reply (set after one did not come in time; see ``actors._aio``)."""
        """Whether an ``acall`` may run that turn in an event loop's thread
        (``GenServer.loop_safe``); cleared when one ran too long there."""
        self.ref: Ref[Any] = Ref(actor, self)

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name is not None else ""
        return f"<{self.component}{name} {self.id}>"

    # Sending -------------------------------------------------------------------

    def deliver(self, message: Any) -> bool:
        return self.push(message)

    def deliver_call(self, request: Any, caller: Caller) -> bool:
        return self.push(Call(request, caller))

    def deliver_cast(self, request: Any) -> bool:
        return self.push(Cast(request))

    def exit_signal(self, sender: Process | None, reason: Any) -> None:
        if self.trap_exits:
            self.push(ExitSignal(sender if sender is not None else self, reason))
            return
        if reason.__class__ is str and reason == NORMAL:
            return
        self.set_pending_exit(reason)

    def set_pending_exit(self, reason: Any) -> None:
        """Exit with ``reason`` (no ``terminate``): at once if the actor is
        idle, as an Erlang process dies when the signal arrives; else at its
        next message boundary (a running callback cannot be interrupted).

        Exiting at once runs in the signalling thread. A chain of links
        exits the same way only up to :data:`INLINE_EXIT_DEPTH` deep, then
        the rest continue on the actors' own turns (no deep recursion).
        """
        if self._pending_exit is _NOTHING:
            self._pending_exit = reason
        self._attention = True
        if _inline_exits.depth < INLINE_EXIT_DEPTH and self.acquire():
            if self._phase != RUNNING:
                # Starting (the starter holds no lock then, so this is a
                # late signal) or already exiting: let its turn handle it.
                if self.release():
                    self.submit()
                return
            slot = current_slot()
            previous = slot[0]
            slot[0] = self
            _inline_exits.depth += 1
            try:
                self._phase = EXITING
                self._finalize(self._pending_exit)
            finally:
                _inline_exits.depth -= 1
                slot[0] = previous
            if self.own_runq is not None:
                self.own_runq.put(None)  # let the idle actor thread notice and end
            self._drain_and_release()
            return
        self.poke()

    @property
    def doomed(self) -> bool:
        """Whether an exit signal has sealed its fate (it exits at its next
        boundary): its registered name can be taken by a new actor."""
        return self._pending_exit is not _NOTHING

    def kill(self) -> None:
        if self._finalize(KILLED) and self.own_runq is not None:
            self.own_runq.put(None)  # let an idle actor thread notice and end

    def request_stop(self, reason: Any) -> None:
        """Ask the actor to run ``terminate(reason)`` after the messages already queued."""
        if self._inline_stop and not self.queue and self.acquire():
            if (
                not self.queue
                and self._phase == RUNNING
                and self._pending_exit is _NOTHING
                and not self._attention
            ):
                slot = current_slot()
                previous = slot[0]
                slot[0] = self
                try:
                    self._phase = EXITING
                    self._finalize(reason)
                finally:
                    slot[0] = previous
                self._drain_and_release()
                return
            self.queue.append(StopRequest(reason))
            self.submit()
            return
        self.push(StopRequest(reason))

    # Requests from inside the actor's own callbacks ----------------------------

    def stop_from_inside(self, reason: Any) -> None:
        if self._stop_reason is _NOTHING:
            self._stop_reason = reason
        self._attention = True

    def continue_from_inside(self, arg: Any) -> None:
        if self._continue is not _NOTHING:
            msg = f"{self.component}: continue_with() was already called in this callback"
            raise RuntimeError(msg)
        self._continue = arg
        self._attention = True

    # Starting ------------------------------------------------------------------

    def run_init(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Run ``init`` in the current thread, as the actor.

        On success the scheduling lock is left held: the runtime decides how
        the actor continues. On failure the process is gone and
        :class:`StartError` is raised.
        """
        actor = self.actor
        assert actor is not None
        acquired = self.acquire()
        assert acquired, "a new actor's scheduling lock must be free"
        slot = current_slot()
        previous = slot[0]
        slot[0] = self
        try:
            actor.init(*args, **kwargs)
        except BaseException as exc:
            # SystemExit/KeyboardInterrupt too: the start fails, nothing else
            # (but Ctrl-C in the main thread still reaches the program).
            slot[0] = previous
            self._init_failed(exc)
            _interrupt_main(exc)
            raise StartError(type(actor), exc) from exc
        slot[0] = previous
        if self._stop_reason is not _NOTHING:
            reason = self._stop_reason
            self._init_failed(reason)
            raise StartError(type(actor), reason)
        self._phase = RUNNING
        self._attention = self._pending_exit is not _NOTHING
        self.system.emit_lifecycle(self, lifecycle.STARTED)
        if self._continue is not _NOTHING:
            arg = self._continue
            self._continue = _NOTHING
            self.queue.appendleft(ContinueSignal(arg))

    def abandon(self, reason: Any) -> None:
        """The runtime could not launch the actor (no thread): release it."""
        self._init_failed(reason)

    def _init_failed(self, reason: Any) -> None:
        # The starter gets StartError; it must not also get an exit signal.
        parent = self.parent
        if parent is not None:
            self.unlink(parent)
        self._phase = EXITING
        self._finalize(reason, started=False)

    def after_init(self) -> None:
        """``init`` returned: arm the idle timeout and run or release the actor
        (the runtime's starting thread, still holding the scheduling lock)."""
        if self.idle_timeout is not None:
            self._touch_idle(1)
        if self.queue or self._attention or self.release():
            self.submit()

    @property
    def dead(self) -> bool:
        """Whether the process has finished exiting (runner loops end on it)."""
        return self._phase == DEAD

    def drain_and_release(self) -> None:
        """Drop what is left in a dead actor's mailbox and give up the lock."""
        self._drain_and_release()

    # The message loop ------------------------------------------------------------

    def run_turn(self, budget: int, slot: CurrentSlot) -> None:
        """Handle up to ``budget`` messages, then yield the actor (fairness).

        Called by a pool worker or the actor's own thread with the scheduling
        lock held; ``slot`` is that thread's :func:`current_slot`. Afterwards
        the actor is back on its run queue if it has more work, otherwise the
        lock is released. This is the per-delivery hot path of fan-out: each
        line here is paid once per message at 100,000 subscribers.
        """
        actor = self.actor
        queue = self.queue
        left = budget
        if actor is not None:
            popleft = queue.popleft
            previous = slot[0]
            slot[0] = self
            try:
                # Flags raised while idle (a pending exit signal, a continue).
                if not (self._attention and self._attend(actor)):
                    while left and queue:
                        # A concurrent kill may drain the queue under us: the
                        # IndexError lands in _crash, which ignores dead actors.
                        message = popleft()
                        left -= 1
                        cls = message.__class__
                        if cls is tuple:  # tagged tuples: the bulk of all traffic
                            actor.handle_info(message)
                        elif cls is Call:
                            self._handle_call(actor, message)
                        elif cls is Cast:
                            actor.handle_cast(message.request)
                        elif isinstance(message, Signal):
                            self._handle_signal(actor, message)
                        elif cls is _tracing.TracedInfo:
                            _tracing.handle_info(self, actor, message)
                        else:
                            actor.handle_info(message)
                        if self._attention and self._attend(actor):
                            break
            except BaseException as exc:
                self._crash(actor, exc)
            finally:
                slot[0] = previous
            self.handled += budget - left  # once per turn, not per message
        if self._space_waiters is not None:
            self.notify_space()
        if self._phase == DEAD:
            self._drain_and_release()
        elif queue or self._attention:
            self.submit()  # still runnable: back of the run queue
        else:
            if left != budget and self.idle_timeout is not None:
                self._touch_idle(budget - left)
            # Mailbox.release(), inlined: give the lock up, then re-check.
            sched = self._sched
            sched.release()
            if queue and sched.acquire(False):
                self.submit()

    def _attend(self, actor: GenServer) -> bool:
        """Handle what the last callback (or another thread) asked for.

        Returns ``True`` when the actor must stop running.
        """
        while True:
            # Reset first, then read the flags: a concurrent setter writes the
            # flag before raising attention, so nothing is lost.
            self._attention = False
            if self._phase == DEAD:
                self._attention = True
                return True
            if self._pending_exit is not _NOTHING:
                self._phase = EXITING
                self._finalize(self._pending_exit)
                return True
            if self._stop_reason is not _NOTHING:
                self._terminate(actor, self._stop_reason)
                return True
            if self._continue is not _NOTHING:
                arg = self._continue
                self._continue = _NOTHING
                actor.handle_continue(arg)
                continue
            return False

    def _handle_call(self, actor: GenServer, message: Call) -> None:
        caller = message.caller
        caller._server = self
        self._current_caller = caller
        result = actor.handle_call(message.request, caller)
        self._current_caller = None
        if result is NO_REPLY:
            if not caller.future.done():
                if self._deferred is None:
                    self._deferred = set()
                self._deferred.add(caller)
        elif self._stop_reason is not _NOTHING:
            # {:stop, reason, reply, state}: terminate runs before the reply.
            self._held_reply = (caller, result)
        else:
            caller.future.try_set(result)

    def _handle_signal(self, actor: GenServer, message: Signal) -> None:
        cls = message.__class__
        if cls is ExitSignal:
            assert isinstance(message, ExitSignal)
            if message.sender is self.parent and self.parent is not None:
                # A GenServer that traps exits terminates when its parent says so.
                self.stop_from_inside(message.reason)
            else:
                actor.handle_info(("EXIT", message.sender.ref, message.reason))
        elif cls is StopRequest:
            assert isinstance(message, StopRequest)
            if message.future is not None:
                if self._stop_waiters is None:
                    self._stop_waiters = []
                self._stop_waiters.append(message.future)
            self.stop_from_inside(message.reason)
        elif cls is ContinueSignal:
            assert isinstance(message, ContinueSignal)
            actor.handle_continue(message.arg)
        elif cls is IdleCheck:
            self._idle_check(actor)
        elif cls is _tracing.Traced:
            _tracing.handle(self, actor, message)  # type: ignore[arg-type]

    # Idle timeout ----------------------------------------------------------------

    def _touch_idle(self, handled: int) -> None:
        timeout = self.idle_timeout
        if timeout is None or self.actor is None:
            self._idle_checks = 0
            return
        real = handled - self._idle_checks
        self._idle_checks = 0
        if real > 0:
            self._idle_deadline = self.system.clock.monotonic() + timeout
        if self._idle_timer is None or not self._idle_timer.active:
            delay = max(0.0, self._idle_deadline - self.system.clock.monotonic())
            try:
                self._idle_timer = self.system.timers.schedule(delay, self._idle_fire)
            except RuntimeError:
                self._idle_timer = None  # the system is shutting down

    def _idle_fire(self) -> None:
        self.push(IDLE_CHECK)

    def _idle_check(self, actor: GenServer) -> None:
        if self.idle_timeout is None or self.queue:
            self._idle_checks += 1
            return
        if self.system.clock.monotonic() >= self._idle_deadline:
            actor.handle_info(("timeout",))
        else:
            self._idle_checks += 1

    # Exiting ---------------------------------------------------------------------

    def _resume(self, hook: CrashHook, exc: Exception) -> bool:
        """Ask the parent's crash hook (once per crash, in this thread); on
        ``True`` keep the state and drop the failing message (its caller gets
        CallError)."""
        try:
            resume = hook(exc)
        except BaseException:
            logger.exception("%s: the crash hook of its parent raised; crashing instead", self)
            return False
        if resume is not True:
            return False
        logger.warning("%s: resumed after %s (its parent's decision)", self, format_reason(exc))
        caller = self._current_caller
        if caller is not None:
            self._current_caller = None
            _fail(caller.future, CallError(exc, self.ref))
        # Whatever the failed callback asked for is dropped with it.
        self._stop_reason = _NOTHING
        self._continue = _NOTHING
        return True

    def _terminate(self, actor: GenServer, reason: Any) -> None:
        self._phase = EXITING
        try:
            actor.terminate(reason)
        except BaseException as exc:
            # OTP: a terminate that raises replaces the exit reason.
            self._finalize(exc, raised_here=True)
            _interrupt_main(exc)
            return
        self._finalize(reason)

    def _crash(self, actor: GenServer, exc: BaseException) -> None:
        if self._phase == DEAD:
            logger.debug("%s: callback raised after the actor was killed: %r", self, exc)
            return
        context = self.context
        if (
            context is not None
            and context.on_crash is not None
            and isinstance(exc, Exception)
            and self._resume(context.on_crash, exc)
        ):
            return
        self._phase = EXITING
        reason: BaseException = exc
        try:
            actor.terminate(exc)
        except BaseException as terminate_exc:
            reason = terminate_exc
        self._finalize(reason, raised_here=True)
        _interrupt_main(exc)
        if reason is not exc:
            _interrupt_main(reason)

    def _finalize(self, reason: Any, *, started: bool = True, raised_here: bool = False) -> bool:
        """Make the process dead and tell everyone; runs exactly once."""
        relations = self.mark_dead(reason)
        if relations is None:
            return False
        self._phase = DEAD
        self._attention = True
        self.closed = True
        self.detach()
        if self._space_waiters is not None:
            self.notify_space()
        system = self.system
        system.forget(self)
        crashed = not (is_normal_exit(reason) or reason == KILLED)
        if started or crashed:
            event = lifecycle.CRASHED if crashed else lifecycle.STOPPED
            system.emit_lifecycle(self, event, reason)
        if crashed and started:
            if raised_here:
                logger.error(
                    "%s terminating: %s",
                    self,
                    format_reason(reason),
                    exc_info=reason if isinstance(reason, BaseException) else None,
                )
            else:
                logger.error("%s exiting on an exit signal: %s", self, format_reason(reason))
        elif logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s exited: %s", self, format_reason(reason))
        held = self._held_reply
        if held is not None:
            self._held_reply = None
            held[0].future.try_set(held[1])
        self.notify_exit(reason, relations)
        self._fail_callers(reason)
        self._drain(reason)
        waiters = self._stop_waiters
        if waiters:
            self._stop_waiters = None
            for future in waiters:
                _set_quietly(future, None)
        timer = self._idle_timer
        if timer is not None:
            self._idle_timer = None
            system.timers.cancel(timer)
        self.actor = None
        self.stopped.set()
        return True

    def _fail_callers(self, reason: Any) -> None:
        current = self._current_caller
        self._current_caller = None
        if current is not None:
            _fail(current.future, CallError(reason, self.ref))
        deferred = self._deferred
        if deferred:
            self._deferred = None
            for caller in list(deferred):
                _fail(caller.future, CallError(reason, self.ref))

    def _drain(self, reason: Any) -> None:
        queue = self.queue
        if not queue:
            return  # the common case: a raised IndexError cost more than the rest
        popleft = queue.popleft
        dropped = 0
        while True:
            try:
                message = popleft()
            except IndexError:
                break
            cls = message.__class__
            if cls is _tracing.Traced:
                message = message.envelope  # a traced call fails like any call
                cls = message.__class__
            if cls is Call:
                _fail(message.caller.future, CallError(reason, self.ref, message.request))
            elif cls is StopRequest:
                if message.future is not None:
                    _set_quietly(message.future, None)
            elif not isinstance(message, Signal):
                dropped += 1
        if dropped:
            self.system.count_dead_letters(dropped)

    def _drain_and_release(self) -> None:
        reason = self.exit_reason
        while True:
            self._drain(reason)
            if not self.release():
                return

    # Deferred replies --------------------------------------------------------------

    def replied(self, caller: Caller) -> None:
        deferred = self._deferred
        if deferred is not None:
            deferred.discard(caller)


INLINE_EXIT_DEPTH: Final = 16
"""How many linked actors one thread takes down in a row before leaving the
rest of an exit chain to the actors' own turns."""


class _InlineExits(threading.local):
    depth = 0


_inline_exits = _InlineExits()


def _interrupt_main(exc: BaseException) -> None:
    """Re-raise Ctrl-C when the main thread ran an actor's callback inline:
    the actor has crashed (and is cleaned up), and the interrupt still
    reaches the program. Any other BaseException (``SystemExit`` included)
    only crashes the actor."""
    if isinstance(exc, KeyboardInterrupt) and threading.current_thread() is threading.main_thread():
        raise exc


def _fail(future: Any, exc: BaseException) -> None:
    try_set_exception = getattr(future, "try_set_exception", None)
    if try_set_exception is not None:
        try_set_exception(exc)
        return
    try:
        future.set_exception((type(exc), exc, None))
    except Exception:
        pass


def _set_quietly(future: Any, value: Any) -> None:
    try_set = getattr(future, "try_set", None)
    if try_set is not None:
        try_set(value)
        return
    try:
        future.set(value)
    except Exception:
        pass
