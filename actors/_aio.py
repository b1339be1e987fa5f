"""Awaitable counterparts of call, cast, send and stop, and inboxes a coroutine reads.

Nothing here blocks the event loop it is awaited on, and nothing starts a
thread per operation:

* :func:`acall` puts the call in the target's mailbox and bridges the
  reply future to an asyncio future with ``loop.call_soon_threadsafe``. A
  timeout or a cancellation claims the reply future first, exactly as a
  timed-out :func:`actors.call` does, so a late reply is dropped for good.
  When the loop has nothing else ready to run it first *lingers*: it waits
  up to :data:`LINGER` (30 µs) for the reply in its own thread, which spares
  the self-pipe wake-up and a loop iteration when the actor is quick; an
  actor that was not quick enough is then awaited at once for its next
  :data:`LINGER_SKIPS` calls. An idle loop would be blocked in its selector
  anyway (the GIL released either way), so no task waits longer for it.
  Only a target that declares ``loop_safe = True`` (its ``handle_call``
  never blocks) is run in the loop's thread while it is idle, as a
  synchronous call runs an idle pooled actor in its caller's thread; one
  that keeps the loop longer than ``LOOP_INLINE_LIMIT`` loses that.
* :func:`asend` and :func:`acast` enqueue and return (mailboxes are
  unbounded); :func:`astop` sends the stop request and awaits the target's
  ``DOWN`` through a monitor.
* :class:`AsyncInbox` is a process (send to it, link it, monitor with it,
  subscribe it) whose messages a coroutine awaits; it honours the bounded
  delivery of pub/sub policies (``block``, ``drop_oldest``, ...).
* :func:`arun_blocking` runs a blocking function on the actor system's
  worker pool (compensated, as :func:`actors.blocking`) and awaits its result.

They work with plain asyncio and with anyio on its asyncio backend.
"""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar

from actors import _tracing
from actors._api import (
    INLINE_CALL_DEPTH,
    _check_timeout,
    _inline,
    _searched,
    _stoppable,
    cast,
    resolve,
    run_inline_turn,
    send,
)
from actors._blocking import waiting
from actors._clock import real_monotonic
from actors._current import resolve_system
from actors._envelopes import Call, Caller, StopRequest
from actors._errors import CallError
from actors._future import ReplyFuture
from actors._mailbox import Mailbox
from actors._process import MonitorRef, Process, current_process
from actors._reasons import KILLED, NOPROC
from actors._server import ServerProcess

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = ["AsyncInbox", "InboxClosed", "acall", "acast", "arun_blocking", "asend", "astop"]

T = TypeVar("T")

logger = logging.getLogger("actors")

_inbox_numbers = itertools.count(1)


class _LoopReplyFuture(ReplyFuture[Any]):
    """A reply future that also wakes an asyncio future on its loop.

    Whoever sets it (a pool worker, an actor thread, the loop itself on a
    timeout) schedules the wake-up with ``call_soon_threadsafe``; the value
    or exception stays in the reply future, read once the waiter is done.
    While :attr:`quiet` (a turn run in the loop's thread, which looks at the
    future right after) nobody needs waking.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, waiter: asyncio.Future[None]) -> None:
        super().__init__()
        self._loop = loop
        self._waiter = waiter
        self.quiet = False

    def try_set(self, value: Any = None) -> bool:
        if not super().try_set(value):
            return False
        self._wake()
        return True

    def try_set_exception(self, exc: BaseException) -> bool:
        if not super().try_set_exception(exc):
            return False
        self._wake()
        return True

    def _wake(self) -> None:
        if self.quiet:
            return
        try:
            self._loop.call_soon_threadsafe(_settle, self._waiter)
        except RuntimeError:
            pass  # the loop is closed: nobody awaits this reply any more


def _settle(waiter: asyncio.Future[None]) -> None:
    """Runs in the loop's thread."""
    if not waiter.done():
        waiter.set_result(None)


async def acall(
    target: Any,
    request: Any,
    timeout: float | None = 5.0,
    *,
    system: ActorSystem | None = None,
) -> Any:
    """Await the reply of ``handle_call`` without blocking the event loop.

    Same arguments, results and failures as :func:`actors.call`: the reply,
    or :class:`~actors.CallError` with reason ``"noproc"``, ``"timeout"``,
    ``"calling_self"`` or the reason the server exited with. The call goes
    through the target's mailbox: its ``handle_call`` runs on a pool worker
    (or its own thread), not in the loop's thread; except that an idle
    target whose class sets ``loop_safe = True`` is run right here, in the
    loop's thread, with no hand-off (see :attr:`GenServer.loop_safe`).

    Cancelling the awaiting task withdraws the call: the reply future is
    claimed first (as on a timeout), so a reply arriving later is dropped
    and nothing stays pending.
    """
    wait = _check_timeout(timeout, "call")
    proc = resolve(target, system)
    if proc is None or not proc.alive:
        raise CallError(NOPROC, target, request, system=_searched(target, system))
    me = current_process()
    if proc is me:
        raise CallError("calling_self", target, request)
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()
    future = _LoopReplyFuture(loop, waiter)
    caller = Caller(future, None if me is None else me.ref)
    if _tracing.enabled and isinstance(proc, ServerProcess):
        return await _traced_acall(proc, target, request, caller, wait, waiter)
    if isinstance(proc, ServerProcess):
        if (
            proc.loop_inline
            and proc.inline_calls
            and _inline.depth < INLINE_CALL_DEPTH
            and proc.acquire()
        ):
            if _run_in_loop(proc, target, request, caller, future, wait):
                return future.get(timeout=0)
            return await _reply(future, waiter, target, request, wait)
        if _loop_is_idle(loop) and _may_linger(proc):
            future.quiet = True
            try:
                if not proc.push(Call(request, caller)):
                    raise CallError(NOPROC, target, request)
                replied = future._wait(LINGER)
            finally:
                future.quiet = False  # from now on a reply wakes the loop
            if replied or future.done():
                return future.get(timeout=0)
            proc.linger_skips = LINGER_SKIPS
            return await _reply(future, waiter, target, request, wait)
        delivered = proc.push(Call(request, caller))
    else:
        delivered = proc.deliver_call(request, caller)
    if not delivered:
        raise CallError(NOPROC, target, request)
    return await _reply(future, waiter, target, request, wait)


LINGER: Final = 0.00003
"""Real seconds an ``acall`` waits for a quick reply in the loop's thread,
when the loop has nothing else ready to run, before it awaits the reply."""
LINGER_SKIPS: Final = 64
"""``acall`` s to an actor that did not answer within :data:`LINGER` that
then await at once (a slow actor costs one lingering call in this many)."""


def _loop_is_idle(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether the loop has no callback ready to run (asyncio's own loops;
    another loop, say uvloop, never counts as idle here)."""
    ready = getattr(loop, "_ready", None)
    return ready is not None and not ready and ready.__class__ is deque


def _may_linger(proc: ServerProcess) -> bool:
    if not proc.quick_replies:
        return False
    skips = proc.linger_skips
    if skips:
        proc.linger_skips = skips - 1
        return False
    return True


LOOP_INLINE_LIMIT: Final = 0.002
"""Real seconds a ``loop_safe`` actor's turn may keep an event loop's thread
before it counts as a strike (see :data:`STRIKES`)."""
STRIKES: Final = 2.5
"""Strike score at which a ``loop_safe`` actor's ``acall`` s go through its
mailbox for good. Each over-long turn adds 1 and each good one decays the
score by :data:`STRIKE_DECAY`: a callback that blocks every time is caught
on its third call, while the rare turn stretched by the scheduler or the
GIL (a wall-clock measure cannot tell) is forgiven."""
STRIKE_DECAY: Final = 0.999


def _strike(proc: ServerProcess, took: float) -> None:
    proc.loop_strikes += 1.0
    if proc.loop_strikes >= STRIKES and proc.loop_inline:
        proc.loop_inline = False
        logger.warning(
            "%r kept the event loop's thread %.1f ms in handle_call, %d times lately: "
            "its acalls go through its mailbox from now on (is it really loop_safe?)",
            proc,
            took * 1000,
            round(proc.loop_strikes),
        )


def _run_in_loop(
    proc: ServerProcess,
    target: Any,
    request: Any,
    caller: Caller,
    future: _LoopReplyFuture,
    wait: float | None,
) -> bool:
    """Run the idle ``loop_safe`` target's turn in the loop's thread (we
    hold its lock), as a synchronous call to an idle actor does in its
    caller's thread; whether the reply is in ``future`` already.

    Raises:
        CallError: ``"timeout"``: the turn ran longer than ``wait``.
    """
    future.quiet = True
    started = real_monotonic()
    try:
        run_inline_turn(proc, request, caller)
    finally:
        # Anyone completing the future from now on wakes the loop; whoever
        # did it meanwhile did so before this check of done() below.
        future.quiet = False
    took = real_monotonic() - started
    if took > LOOP_INLINE_LIMIT:
        _strike(proc, took)
    elif proc.loop_strikes:
        proc.loop_strikes *= STRIKE_DECAY
    if future.done():
        if wait is not None and took > wait:
            raise CallError("timeout", target, request)
        return True
    return False  # no reply yet (NO_REPLY): await it


async def _reply(
    future: ReplyFuture[Any],
    waiter: asyncio.Future[None],
    target: Any,
    request: Any,
    wait: float | None,
) -> Any:
    loop = asyncio.get_running_loop()
    timer = None
    if wait is not None:
        timer = loop.call_later(wait, _time_out, future, target, request)
    try:
        await waiter
    except BaseException:
        # Cancelled (or the loop is going away): withdraw the call so that a
        # late reply is dropped, as after a timeout.
        future.try_set_exception(CallError("cancelled", target, request))
        raise
    finally:
        if timer is not None:
            timer.cancel()
    return future.get(timeout=0)


async def _traced_acall(
    proc: ServerProcess,
    target: Any,
    request: Any,
    caller: Caller,
    wait: float | None,
    waiter: asyncio.Future[None],
) -> Any:
    tracer = _tracing.installed() or _tracing._UNTRACED
    token, carrier = tracer.start("call", proc, request)
    error: BaseException | None = None
    try:
        if not proc.push(_tracing.Traced(Call(request, caller), carrier)):
            raise CallError(NOPROC, target, request)
        return await _reply(caller.future, waiter, target, request, wait)
    except BaseException as exc:
        error = exc
        raise
    finally:
        tracer.end(token, error)


def _time_out(future: ReplyFuture[Any], target: Any, request: Any) -> None:
    future.try_set_exception(CallError("timeout", target, request))


async def acast(target: Any, request: Any, *, system: ActorSystem | None = None) -> None:
    """:func:`actors.cast`, awaitable: enqueues and returns at once.

    Raises:
        NoProcError: no actor is registered under that name.
    """
    cast(target, request, system=system)


async def asend(target: Any, message: Any, *, system: ActorSystem | None = None) -> bool:
    """:func:`actors.send`, awaitable: enqueues and returns whether it was.

    Raises:
        NoProcError: no actor is registered under that name.
    """
    return send(target, message, system=system)


async def astop(
    target: Any,
    reason: Any = "normal",
    timeout: float | None = 5.0,
    *,
    system: ActorSystem | None = None,
) -> None:
    """:func:`actors.stop`, awaitable: the stop is queued after the messages
    already in the target's mailbox, and its exit is awaited through a
    monitor. Nothing runs in the loop's thread but the bookkeeping.

    Raises:
        CallError: ``"noproc"``, ``"timeout"`` (the stop request stays
            queued), ``"calling_self"``, or the reason it actually exited
            with when that differs from ``reason``.
    """
    wait = _check_timeout(timeout, "stop")
    proc = _stoppable(target, reason, system)
    if proc is None:
        return
    with AsyncInbox(proc.system) as inbox:
        inbox.monitor(proc)
        proc.push(StopRequest(reason))
        try:
            await inbox.receive(wait)
        except TimeoutError:
            raise CallError("timeout", target) from None
    actual = proc.exit_reason
    if actual is not reason and actual != reason:
        raise CallError(actual, target)


# Running blocking functions on the pool ---------------------------------------------


class _PoolJob:
    """One function to run on a pool worker; put on the pool's run queue as
    if it were a runnable actor (it has a ``run_turn``), so it costs no
    thread of its own and emits no lifecycle event."""

    __slots__ = ("args", "cancelled", "context", "fn", "loop", "waiter")

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        loop: asyncio.AbstractEventLoop,
        waiter: asyncio.Future[Any],
    ) -> None:
        self.fn = fn
        self.args = args
        self.context = contextvars.copy_context()
        self.loop = loop
        self.waiter = waiter
        self.cancelled = False

    def __repr__(self) -> str:
        return f"<arun_blocking {getattr(self.fn, '__qualname__', self.fn)!r}>"

    def run_turn(self, budget: int, slot: Any) -> None:
        """A pool worker runs the function (compensated while it runs)."""
        if self.cancelled:
            return
        try:
            with waiting():
                result = self.context.run(self.fn, *self.args)
        except BaseException as exc:
            outcome: tuple[bool, Any] = (False, exc)
        else:
            outcome = (True, result)
        try:
            self.loop.call_soon_threadsafe(_finish_job, self.waiter, outcome)
        except RuntimeError:
            pass  # the loop is closed: nobody awaits the result


def _finish_job(waiter: asyncio.Future[Any], outcome: tuple[bool, Any]) -> None:
    if waiter.done():
        return
    ok, value = outcome
    if ok:
        waiter.set_result(value)
    else:
        waiter.set_exception(value)


async def arun_blocking(fn: Callable[..., T], *args: Any, system: ActorSystem | None = None) -> T:
    """Run ``fn(*args)`` on a worker of the system's pool and await its result.

    For blocking work (I/O, a synchronous ``actors.call``, a lock) from a
    coroutine: the worker is compensated while ``fn`` runs, as inside
    :func:`actors.blocking`, so actors keep running; no thread is started
    per call. ``fn`` runs in a copy of the caller's context (so the current
    actor system is the caller's). Cancelling the awaiting task does not
    interrupt ``fn`` once it runs (a thread cannot be interrupted); its
    result is then dropped.

    Raises:
        RuntimeError: the actor system is shut down.
        whatever ``fn`` raises.
    """
    owner = resolve_system(system)
    if not owner.running:
        msg = f"actor system {owner.name!r} is shut down; cannot run {fn!r}"
        raise RuntimeError(msg)
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[T] = loop.create_future()
    job = _PoolJob(fn, args, loop, waiter)
    owner.pool.start()
    owner.pool.submit(job)
    try:
        return await waiter
    except BaseException:
        job.cancelled = True
        raise


# Inboxes ---------------------------------------------------------------------------


class InboxClosed(Exception):
    """Raised by :meth:`AsyncInbox.receive` once the inbox is closed and empty."""


class _LoopWakeup:
    """The inbox's "run queue": scheduling the inbox wakes its reader.

    :class:`~actors._mailbox.Mailbox` appends the process to its run queue
    when a message arrives and nobody has been told yet; here that append
    is a ``call_soon_threadsafe`` to the loop.
    """

    __slots__ = ("loop",)

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def append(self, inbox: AsyncInbox) -> None:
        try:
            self.loop.call_soon_threadsafe(inbox._scheduled)
        except RuntimeError:  # the loop is closed: the inbox cannot be read any more
            inbox.close("loop_closed")


class AsyncInbox(Mailbox):
    """A mailbox owned by a coroutine: anything that takes a target takes it.

    Actors can send to it, link to it and monitor it; pub/sub can deliver
    to it (with the bounds and overflow policy of the subscription: a full
    inbox makes a ``block`` publisher wait, a ``drop_oldest`` one take back
    its oldest message, and so on); calls arrive as ``("call", request,
    caller)`` and casts as ``("cast", request)``. It traps exits: a linked
    actor's exit arrives as ``("EXIT", ref, reason)``. Read it with
    ``await inbox.receive(timeout)`` or ``async for message in inbox`` (which
    ends when the inbox is closed)::

        async with actors.AsyncInbox() as inbox:
            pubsub.subscribe("ex_esdb_health", "cluster:health", inbox)
            async for message in inbox:
                ...

    It belongs to the event loop running where it was created (or ``loop``);
    read it from that loop only. Senders run in their own threads and never
    wait for the reader, except a ``block`` publisher on a full inbox.

    Args:
        system: the system whose names it resolves (default: the current one).
        name: optionally register it under a name.
        loop: the loop that reads it (default: the running loop).
    """

    __slots__ = ("_held", "_loop", "_reader")

    def __init__(
        self,
        system: ActorSystem | None = None,
        *,
        name: Any = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        owner = resolve_system(system)
        Process.__init__(self, owner, name, f"inbox-{next(_inbox_numbers)}")
        self.init_mailbox()
        self._loop = loop if loop is not None else asyncio.get_running_loop()
        self._runnable = _LoopWakeup(self._loop)
        self._held = False
        self._reader: asyncio.Future[None] | None = None
        self.trap_exits = True
        if name is not None:
            owner.register_name(name, self)

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name is not None else ""
        state = "" if self.alive else " closed"
        return f"<AsyncInbox{name} {self.id}{state}>"

    async def __aenter__(self) -> AsyncInbox:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def __enter__(self) -> AsyncInbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def ref(self) -> AsyncInbox:
        return self

    def __actor_process__(self) -> AsyncInbox:
        return self

    # Process protocol (any thread) -------------------------------------------------

    def deliver(self, message: Any) -> bool:
        return self.push(message)

    def exit_signal(self, sender: Process | None, reason: Any) -> None:
        self.push(("EXIT", None if sender is None else sender.ref, reason))

    def kill(self) -> None:
        self.close(KILLED)

    def close(self, reason: Any = "normal") -> None:
        """Stop receiving (any thread): monitors get ``DOWN``, links the
        exit signal, a waiting reader wakes up; queued messages stay
        readable. Idempotent."""
        relations = self.mark_dead(reason)
        if relations is None:
            return
        self.closed = True
        if self.name is not None:
            self.system.unregister_name(self.name, self)
        if self._space_waiters is not None:
            self.notify_space()
        self.notify_exit(reason, relations)
        try:
            self._loop.call_soon_threadsafe(self._wake_reader)
        except RuntimeError:
            pass  # the loop is closed

    # Relations from the owner's side ------------------------------------------------

    def monitor(self, target: Any, target_ref: Any = None) -> MonitorRef:
        """Monitor ``target``; its ``("DOWN", mref, "process", ref, reason)``
        arrives in this inbox."""
        proc = target if isinstance(target, Process) else resolve(target, self.system)
        if target_ref is None:
            target_ref = target if proc is None else proc.ref
        return super().monitor(proc, target_ref)

    def link(self, target: Any) -> bool:
        """Link to ``target``; its exit arrives as ``("EXIT", ref, reason)``."""
        proc = target if isinstance(target, Process) else resolve(target, self.system)
        if proc is None or not super().link(proc):
            self.push(("EXIT", target, NOPROC))
            return False
        return True

    # Reading (the loop's thread) -------------------------------------------------------

    def _scheduled(self) -> None:
        """A sender took the scheduling lock for us: wake the reader."""
        self._held = True
        self._wake_reader()

    def _wake_reader(self) -> None:
        reader = self._reader
        if reader is not None and not reader.done():
            reader.set_result(None)

    def _take(self) -> tuple[bool, Any]:
        queue = self.queue
        while True:
            if queue:
                message = queue.popleft()
                if self._space_waiters is not None:
                    self.notify_space()
                return True, message
            if not self._held:
                return False, None
            # Give the scheduling lock back; take it again if a message
            # slipped in meanwhile (Mailbox.release tells).
            if not self.release():
                self._held = False
                return False, None

    async def receive(self, timeout: float | None = None) -> Any:
        """The next message, waiting up to ``timeout`` real seconds (``None``:
        no limit) without blocking the loop.

        Raises:
            TimeoutError: nothing arrived in time.
            InboxClosed: the inbox is closed and empty.
        """
        found, message = self._take()
        if found:
            return message
        async with asyncio.timeout(timeout):
            while True:
                if self.closed:
                    raise InboxClosed(f"{self!r} is closed")
                reader: asyncio.Future[None] = self._loop.create_future()
                self._reader = reader
                try:
                    await reader
                finally:
                    self._reader = None
                found, message = self._take()
                if found:
                    return message

    def __aiter__(self) -> AsyncInbox:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except InboxClosed:
            raise StopAsyncIteration from None

    def messages(self) -> list[Any]:
        """The messages waiting, oldest first (they stay there)."""
        return list(self.queue)
