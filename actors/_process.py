"""What every addressable process shares: identity, links, monitors, exit.

Two kinds of process exist: a GenServer's :class:`~actors._server.ServerProcess`
and a test :class:`~actors.testing.Probe`. Both can be linked, monitored and
sent to. The relation bookkeeping lives here, guarded by one small lock per
process, so that "monitor a process that is already dead" and "the process
dies while being monitored" both yield exactly one ``DOWN``.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING, Any, Final

from actors._reasons import NOPROC

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = [
    "DEAD",
    "DELIVERED",
    "DROPPED",
    "FULL",
    "REJECTED",
    "REPLACED",
    "TIMEOUT",
    "MonitorRef",
    "Process",
    "current_process",
    "current_slot",
]

# Outcomes of Process.offer (bounded delivery), as plain strings so callers
# can count them by name.
DELIVERED: Final = "delivered"
REPLACED: Final = "replaced"
"""Delivered after an older message of the sender's was taken back."""
DROPPED: Final = "dropped"
REJECTED: Final = "rejected"
TIMEOUT: Final = "timeout"
FULL: Final = "full"
"""The mailbox is full and no overflow policy was given."""
DEAD: Final = "dead"

CurrentSlot = list["Process | None"]


class _Local(threading.local):
    slot: CurrentSlot | None = None


_local = _Local()


def current_slot() -> CurrentSlot:
    """This thread's one-element list holding the process whose callback runs.

    Runners fetch it once and store into it per turn: a list item costs a
    tenth of a ``threading.local`` attribute on the delivery hot path.
    """
    slot = _local.slot
    if slot is None:
        slot = _local.slot = [None]
    return slot


def current_process() -> Process | None:
    """The process whose callback is running in this thread, if any."""
    slot = _local.slot
    return None if slot is None else slot[0]


_monitor_ids = itertools.count(1)


def _traps(process: Process) -> bool:
    return process.trap_exits


class MonitorRef:
    """Identifies one monitor; the first element after ``"DOWN"`` in its message."""

    __slots__ = ("active", "id", "target", "watcher")

    def __init__(self, watcher: Process, target: Process | None) -> None:
        self.id = next(_monitor_ids)
        self.watcher = watcher
        self.target = target
        self.active = True

    def __repr__(self) -> str:
        return f"#MonitorRef<{self.id}>"


class Process:
    """Base of everything that can be sent to, linked and monitored."""

    __slots__ = (
        "__weakref__",
        "_alive",
        "_links",
        "_lock",
        "_monitoring",
        "_watchers",
        "exit_reason",
        "id",
        "name",
        "system",
        "trap_exits",
    )

    def __init__(self, system: ActorSystem, name: Any, process_id: str) -> None:
        self.system = system
        self.name = name
        self.id = process_id
        self._lock = threading.Lock()
        self._alive = True
        self.exit_reason: Any = None
        self._links: set[Process] | None = None
        self._watchers: dict[MonitorRef, None] | None = None
        self._monitoring: set[MonitorRef] | None = None
        self.trap_exits = False

    # What subclasses provide ---------------------------------------------------

    @property
    def ref(self) -> Any:
        """The value that names this process in ``DOWN`` and ``EXIT`` messages."""
        raise NotImplementedError

    def deliver(self, message: Any) -> bool:
        """Put ``message`` in the mailbox; ``False`` if the process is gone."""
        raise NotImplementedError

    def deliver_call(self, request: Any, caller: Any) -> bool:
        """Deliver a call; a process without callbacks (a probe) receives it
        as ``("call", request, caller)``. Remote proxies send it over the wire."""
        return self.deliver(("call", request, caller))

    def deliver_blocking_call(self, request: Any, caller: Any, wait: float | None) -> bool:
        """Deliver a call whose caller then blocks, in this very thread, up
        to ``wait`` real seconds for ``caller.future`` (``actors.call``).

        A process may wait for the reply itself here and complete the
        future before it returns (a remote proxy reads the reply off a
        connection of its own: no other thread is woken for it). The
        default is :meth:`deliver_call`.
        """
        return self.deliver_call(request, caller)

    def deliver_cast(self, request: Any) -> bool:
        """Deliver a cast; a probe receives ``("cast", request)``."""
        return self.deliver(("cast", request))

    def offer(
        self,
        message: Any,
        limit: int,
        overflow: str | None = None,
        timeout: float | None = None,
        *,
        evictable: Any = None,
        on_evict: Any = None,
    ) -> str:
        """Bounded delivery (see :meth:`actors._mailbox.Mailbox.offer`).

        Processes without a scheduled mailbox (probes) have no bound: the
        message is delivered, or ``DEAD`` is returned if the process is gone.
        """
        return DELIVERED if self.deliver(message) else DEAD

    def queue_len(self) -> int:
        """Messages waiting to be handled (0 for processes without a mailbox)."""
        return 0

    def wait_for_space(self, limit: int, timeout: float | None) -> bool:
        """Wait (real seconds, compensated) until fewer than ``limit``
        messages are queued; ``False`` on timeout or exit. Processes without
        a scheduled mailbox (probes) always have room."""
        return self.alive

    def exit_signal(self, sender: Process | None, reason: Any) -> None:
        """Receive an exit signal from a linked process or from :func:`actors.exit`."""
        raise NotImplementedError

    def kill(self) -> None:
        """Exit at once with reason ``"killed"`` (the untrappable ``"kill"`` signal)."""
        raise NotImplementedError

    def close(self, reason: Any) -> None:
        """Exit at once with ``reason`` (processes without callbacks, e.g. probes)."""
        raise NotImplementedError

    # State --------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._alive

    @property
    def doomed(self) -> bool:
        """Alive, but bound to exit at its next step (an exit signal arrived)."""
        return False

    def mark_dead(
        self, reason: Any
    ) -> tuple[set[Process] | None, dict[MonitorRef, None] | None, set[MonitorRef] | None] | None:
        """Flip to dead exactly once; returns the relations to notify, or ``None``
        if another thread already did it."""
        with self._lock:
            if not self._alive:
                return None
            self._alive = False
            self.exit_reason = reason
            relations = self._links, self._watchers, self._monitoring
            self._links = self._watchers = self._monitoring = None
        return relations

    def notify_exit(
        self,
        reason: Any,
        relations: tuple[
            set[Process] | None, dict[MonitorRef, None] | None, set[MonitorRef] | None
        ],
    ) -> None:
        """Send the exit signal to links, then ``DOWN`` to monitors (after :meth:`mark_dead`).

        Links first: whoever sees the ``DOWN`` can rely on linked processes
        (a supervisor) already having the exit in their mailbox, so a call
        made after the ``DOWN`` is handled after the exit.
        """
        links, watchers, monitoring = relations
        if monitoring:
            for mref in monitoring:
                mref.active = False
                if mref.target is not None:
                    mref.target.remove_watcher(mref)
        if links:
            # Processes that do not trap exits first: they die at once if
            # idle, so a supervisor that traps (and reacts by restarting)
            # never finds their names still taken.
            for other in sorted(links, key=_traps):
                other.remove_link(self)
                other.exit_signal(self, reason)
        if watchers:
            ref = self.ref
            for mref in watchers:
                if mref.active:
                    mref.active = False
                    watcher = mref.watcher
                    watcher.forget_monitor(mref)
                    watcher.deliver(("DOWN", mref, "process", ref, reason))

    # Monitors -----------------------------------------------------------------

    def monitor(self, target: Process | None, target_ref: Any) -> MonitorRef:
        """Monitor ``target`` from this process; a dead or missing target gives
        an immediate ``DOWN`` with reason ``"noproc"``."""
        mref = MonitorRef(self, target)
        if target is not None and target.add_watcher(mref):
            with self._lock:
                if self._alive:
                    if self._monitoring is None:
                        self._monitoring = set()
                    self._monitoring.add(mref)
                    return mref
            target.remove_watcher(mref)
            mref.active = False
            return mref
        mref.active = False
        self.deliver(("DOWN", mref, "process", target_ref, NOPROC))
        return mref

    def demonitor(self, mref: MonitorRef) -> bool:
        """Remove a monitor; returns whether it was still active."""
        was_active = mref.active
        mref.active = False
        if mref.target is not None:
            mref.target.remove_watcher(mref)
        self.forget_monitor(mref)
        return was_active

    def add_watcher(self, mref: MonitorRef) -> bool:
        with self._lock:
            if not self._alive:
                return False
            if self._watchers is None:
                self._watchers = {}
            self._watchers[mref] = None
            return True

    def remove_watcher(self, mref: MonitorRef) -> None:
        with self._lock:
            if self._watchers is not None:
                self._watchers.pop(mref, None)

    def forget_monitor(self, mref: MonitorRef) -> None:
        with self._lock:
            if self._monitoring is not None:
                self._monitoring.discard(mref)

    # Links --------------------------------------------------------------------

    def link(self, other: Process) -> bool:
        """Link this process and ``other``; ``False`` if ``other`` is dead."""
        if other is self:
            return True
        if not other.add_link(self):
            return False
        if not self.add_link(other):
            # We died while linking: ``other`` gets our exit signal now.
            other.remove_link(self)
            other.exit_signal(self, self.exit_reason)
        return True

    def unlink(self, other: Process) -> None:
        other.remove_link(self)
        self.remove_link(other)

    def add_link(self, other: Process) -> bool:
        with self._lock:
            if not self._alive:
                return False
            if self._links is None:
                self._links = set()
            self._links.add(other)
            return True

    def remove_link(self, other: Process) -> None:
        with self._lock:
            if self._links is not None:
                self._links.discard(other)

    def linked(self) -> list[Process]:
        with self._lock:
            return list(self._links or ())

    def monitored_by(self) -> int:
        with self._lock:
            return len(self._watchers or ())
