"""The mailbox of a GenServer and the envelopes that travel through it.

A mailbox is a deque plus a *scheduling lock*: whoever acquires the lock owns
the right to run the actor, so an actor is never run by two threads at once.
A sender appends its message and, if the lock was free, puts the actor on its
run queue (the pool's, or the actor's own thread's). The runner releases the
lock when the deque is empty and re-checks, so no message is ever stranded.

Plain messages are stored as they are (they become ``handle_info``); calls,
casts and signals are wrapped in the small classes below. The mailbox also
speaks pykka's ``ActorInbox`` protocol, so ``ActorRef.tell`` / ``ask`` /
``stop`` from pykka code work on our actors.
"""

from __future__ import annotations

import threading
from _thread import LockType, allocate_lock
from collections import deque
from typing import TYPE_CHECKING, Any, Final

import pykka
from pykka.messages import _ActorStop

from actors._process import Process

if TYPE_CHECKING:
    from actors._runqueue import RunQueue

__all__ = [
    "Call",
    "Caller",
    "Cast",
    "ContinueSignal",
    "Evictable",
    "ExitSignal",
    "IdleCheck",
    "Mailbox",
    "Signal",
    "StopRequest",
]


class Caller:
    """Who is waiting for the reply to a call; pass it to :func:`actors.reply`.

    Attributes:
        ref: the calling actor's ref, or ``None`` for a plain thread.
    """

    __slots__ = ("_server", "future", "ref")

    def __init__(self, future: Any, ref: Any = None) -> None:
        self.future = future
        self.ref = ref
        self._server: Any = None

    def __repr__(self) -> str:
        who = self.ref if self.ref is not None else "a thread"
        return f"<Caller {who}>"


class Call:
    __slots__ = ("caller", "request")

    def __init__(self, request: Any, caller: Caller) -> None:
        self.request = request
        self.caller = caller


class Cast:
    __slots__ = ("request",)

    def __init__(self, request: Any) -> None:
        self.request = request


class Signal:
    """Base of the rare control envelopes (stop, exit, continue, idle check)."""

    __slots__ = ()


class StopRequest(Signal):
    __slots__ = ("future", "reason")

    def __init__(self, reason: Any, future: Any = None) -> None:
        self.reason = reason
        self.future = future


class ExitSignal(Signal):
    """An exit signal queued for an actor that traps exits."""

    __slots__ = ("reason", "sender")

    def __init__(self, sender: Process, reason: Any) -> None:
        self.sender = sender
        self.reason = reason


class ContinueSignal(Signal):
    __slots__ = ("arg",)

    def __init__(self, arg: Any) -> None:
        self.arg = arg


class IdleCheck(Signal):
    __slots__ = ()


IDLE_CHECK = IdleCheck()


class Evictable:
    """A message its sender may take back while it is still queued.

    Pub/sub instances with the ``drop_oldest`` policy deliver through it; the
    runner hands ``message`` to ``handle_info`` as if it had been sent plain.
    """

    __slots__ = ("message", "owner")

    def __init__(self, message: Any, owner: Any) -> None:
        self.message = message
        self.owner = owner


_SPACE_LOCK = threading.Lock()
"""Guards every mailbox's space waiters (a rare path: full mailboxes only)."""

EVICTION_SCAN: Final = 64
"""How far from the head :meth:`Mailbox.evict_oldest` looks."""


_ONE = [1]


class _NotStarted:
    """Run-queue stand-in before the actor is launched."""

    __slots__ = ()

    def append(self, owner: Any) -> None:
        msg = f"{owner} was never started"
        raise RuntimeError(msg)


class _DrainNow:
    """Run-queue stand-in after the actor exited: whoever got the scheduling
    lock drains the late message right away (counted as a dead letter)."""

    __slots__ = ()

    def append(self, owner: Any) -> None:
        owner._drain_and_release()


class Mailbox(Process):
    """A process whose messages go through a scheduled mailbox.

    :class:`~actors._server.ServerProcess` extends it; keeping mailbox and
    process in one object means sender and runner touch one object instead
    of two, which is measurable at 100,000 actors. It is also what pykka
    sees as the actor's inbox (``put``/``get``/``empty``).
    """

    __slots__ = (
        "_idle",
        "_runnable",
        "_sched",
        "_space_waiters",
        "_wake_at",
        "closed",
        "queue",
    )

    def init_mailbox(self) -> None:
        self.queue: deque[Any] = deque()
        self._sched: LockType = allocate_lock()
        self.closed = False
        self._runnable: Any = _NotStarted()
        self._idle: list[LockType] = []
        self._wake_at: list[int] = _ONE
        self._space_waiters: list[tuple[int, threading.Event]] | None = None

    def attach(self, runq: RunQueue) -> None:
        """Schedule this actor on ``runq`` from now on."""
        self._runnable = runq.items
        self._idle = runq.idle
        self._wake_at = runq.wake_at

    def detach(self) -> None:
        """The actor exited: late messages are drained by their sender."""
        self._runnable = _DrainNow()
        self._idle = []

    def push(self, item: Any) -> bool:
        """Append ``item`` and schedule the actor; ``False`` if the mailbox is closed.

        The delivery hot path: :meth:`submit` is inlined here.
        """
        if self.closed:
            return False
        self.queue.append(item)
        if self._sched.acquire(False):
            self._runnable.append(self)
            idle = self._idle
            if idle and len(idle) >= self._wake_at[0]:
                try:
                    idle.pop().release()
                except IndexError:
                    pass
        return True

    def submit(self) -> None:
        """Put this actor on its run queue; the caller holds the scheduling lock.

        Wakes a parked thread only when every active one is parked (see
        :class:`~actors._runqueue.RunQueue`).
        """
        self._runnable.append(self)
        idle = self._idle
        if idle and len(idle) >= self._wake_at[0]:
            try:
                idle.pop().release()
            except IndexError:
                pass

    def push_front(self, item: Any) -> None:
        """Put ``item`` ahead of everything else (used for ``handle_continue``)."""
        self.queue.appendleft(item)
        if self._sched.acquire(False):
            self.submit()

    def poke(self) -> None:
        """Schedule the actor even if nothing is queued (a pending exit signal)."""
        if self._sched.acquire(False):
            self.submit()

    def acquire(self) -> bool:
        """Take the scheduling lock without waiting."""
        return self._sched.acquire(False)

    def release(self) -> bool:
        """Give up the scheduling lock; returns ``True`` if it was taken back
        because work arrived meanwhile (the caller must then run or submit)."""
        self._sched.release()
        return bool(self.queue) and self._sched.acquire(False)

    def __len__(self) -> int:
        return len(self.queue)

    # Backpressure (pub/sub delivery policies) -------------------------------

    def wait_for_space(self, limit: int, timeout: float | None) -> bool:
        """Wait until fewer than ``limit`` messages are queued (real seconds).

        Called by a publisher whose delivery policy is ``block``; the runner
        wakes it after the turn that made room. ``False`` on timeout or if
        the actor exits meanwhile.
        """
        if len(self.queue) < limit:
            return True
        event = threading.Event()
        with _SPACE_LOCK:
            if self._space_waiters is None:
                self._space_waiters = []
            self._space_waiters.append((limit, event))
        # Re-check after registering: the runner may have made room already.
        if len(self.queue) < limit:
            return not self.closed
        from actors._blocking import blocking

        with blocking():
            event.wait(timeout)
        if self.closed:
            return False
        return len(self.queue) < limit

    def notify_space(self) -> None:
        """Wake the publishers waiting for room; called by the runner after a
        turn (and at exit) when :attr:`_space_waiters` is set."""
        with _SPACE_LOCK:
            waiters = self._space_waiters
            if not waiters:
                return
            depth = len(self.queue)
            keep = []
            for limit, event in waiters:
                if depth < limit or self.closed:
                    event.set()
                else:
                    keep.append((limit, event))
            self._space_waiters = keep or None

    def evict_oldest(self, owner: Any) -> bool:
        """Remove the oldest queued :class:`Evictable` of ``owner`` (looking at
        most :data:`EVICTION_SCAN` messages from the head); whether one was."""
        queue = self.queue
        for index in range(EVICTION_SCAN):
            try:
                item = queue[index]
            except IndexError:
                return False
            if item.__class__ is Evictable and item.owner is owner:
                try:
                    queue.remove(item)
                except ValueError:
                    continue  # the runner took it meanwhile
                return True
        return False

    # pykka's ActorInbox protocol -------------------------------------------

    def put(self, envelope: Any) -> None:
        """Accept a pykka envelope: ``tell`` → ``handle_info``, ``ask`` → ``handle_call``."""
        message = envelope.message
        reply_to = envelope.reply_to
        if isinstance(message, _ActorStop):
            item: Any = StopRequest("normal", reply_to)
        elif reply_to is not None:
            caller = Caller(reply_to)
            caller._server = self
            item = Call(message, caller)
        else:
            item = message
        if not self.push(item) and reply_to is not None:
            dead = pykka.ActorDeadError(f"{self} not found")
            try:
                reply_to.set_exception((type(dead), dead, None))
            except Exception:  # someone already answered
                pass

    def get(self) -> Any:
        return self.queue.popleft()

    def empty(self) -> bool:
        return not self.queue
