"""The mailbox of a GenServer: a queue, its scheduling, and bounded delivery.

A mailbox is a deque plus a *scheduling lock*: whoever acquires the lock owns
the right to run the actor, so an actor is never run by two threads at once.
A sender appends its message and, if the lock was free, puts the actor on its
run queue (the pool's, or the actor's own thread's). The runner releases the
lock when the deque is empty and re-checks, so no message is ever stranded.

Senders with a delivery policy (pub/sub instances) use one entry point,
:meth:`Mailbox.offer`, which applies a bound and an overflow behaviour. The
mailbox also speaks pykka's ``ActorInbox`` protocol, so ``ActorRef.tell`` /
``ask`` / ``stop`` from pykka code work on our actors. The envelopes it
carries are in :mod:`actors._envelopes`.
"""

from __future__ import annotations

import threading
from _thread import LockType, allocate_lock
from collections import deque
from typing import TYPE_CHECKING, Any, Final

import pykka
from pykka.messages import _ActorStop

from actors._envelopes import Call, Caller, StopRequest
from actors._process import (
    DEAD,
    DELIVERED,
    DROPPED,
    FULL,
    REJECTED,
    REPLACED,
    TIMEOUT,
    Process,
    current_process,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from actors._runqueue import RunQueue

__all__ = ["EVICTION_SCAN", "OVERFLOW_POLICIES", "Mailbox"]

OVERFLOW_POLICIES: Final = ("block", "drop_oldest", "drop_newest", "reject")


_SPACE_LOCK = threading.Lock()
"""Guards every mailbox's space waiters (a rare path: full mailboxes only)."""

EVICTION_SCAN: Final = 64
"""How far from the head the ``drop_oldest`` policy looks for a message to take back."""


_ONE = [1]


class _NotStarted:
    """Run-queue stand-in before the actor is launched."""

    __slots__ = ()

    def append(self, owner: Any) -> None:
        msg = f"{owner} was never started"
        raise RuntimeError(msg)


_NOT_STARTED: Final = _NotStarted()


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
        self._runnable: Any = _NOT_STARTED
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

    def queue_len(self) -> int:
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
        from actors._blocking import waiting

        with waiting():
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

    def offer(
        self,
        message: Any,
        limit: int,
        overflow: str | None = None,
        timeout: float | None = None,
        *,
        evictable: Callable[[Any], bool] | None = None,
        on_evict: Callable[[Any], None] | None = None,
    ) -> str:
        """Deliver ``message`` unless ``limit`` or more messages are queued.

        Runs in the sender's thread. With room, it is :meth:`push` plus one
        length check (the delivery hot path of bounded pub/sub). A full
        mailbox applies ``overflow``:

        * ``None``: nothing happens; returns ``FULL`` (the caller decides);
        * ``"block"``: wait up to ``timeout`` real seconds (``None``: no
          limit) for room, compensated on a pool worker; ``TIMEOUT`` when it
          runs out, and at once when the sender is this very actor (it
          would wait on itself);
        * ``"drop_oldest"``: take back the oldest queued message for which
          ``evictable(item)`` is true (looking at most :data:`EVICTION_SCAN`
          messages from the head), call ``on_evict(item)``, then deliver:
          ``REPLACED``; ``DROPPED`` when no queued message may be taken back;
        * ``"drop_newest"``: ``DROPPED``; ``"reject"``: ``REJECTED``.

        Returns ``DELIVERED`` on success and ``DEAD`` if the actor has exited.
        """
        if self.closed:
            return DEAD
        queue = self.queue
        if len(queue) < limit:
            queue.append(message)
            if self._sched.acquire(False):
                self.submit()
            return DELIVERED
        if overflow is None:
            return FULL
        return self._overflow(message, limit, overflow, timeout, evictable, on_evict)

    def _overflow(
        self,
        message: Any,
        limit: int,
        overflow: str,
        timeout: float | None,
        evictable: Callable[[Any], bool] | None,
        on_evict: Callable[[Any], None] | None,
    ) -> str:
        if overflow == "block":
            if (timeout is not None and timeout <= 0) or current_process() is self:
                return TIMEOUT
            if self.wait_for_space(limit, timeout):
                return DELIVERED if self.push(message) else DEAD
            return DEAD if self.closed else TIMEOUT
        if overflow == "drop_oldest":
            if evictable is None or not self._evict_oldest(evictable, on_evict):
                return DROPPED
            return REPLACED if self.push(message) else DEAD
        if overflow == "drop_newest":
            return DROPPED
        if overflow == "reject":
            return REJECTED
        msg = f"overflow must be one of {', '.join(OVERFLOW_POLICIES)} or None, got {overflow!r}"
        raise ValueError(msg)

    def _evict_oldest(
        self, evictable: Callable[[Any], bool], on_evict: Callable[[Any], None] | None
    ) -> bool:
        queue = self.queue
        for index in range(EVICTION_SCAN):
            try:
                item = queue[index]
            except IndexError:
                return False
            if evictable(item):
                # deque.remove() takes the first queued message equal to it:
                # this one, or an equal copy before it (the same message to
                # the receiver). A concurrent runner may have taken it.
                try:
                    queue.remove(item)
                except ValueError:
                    continue
                except Exception:
                    return False  # an __eq__ of some queued message raised
                if on_evict is not None:
                    on_evict(item)
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
