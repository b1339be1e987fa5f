"""Processes that stand for actors on other nodes, and the local agent.

A :class:`RemoteProcess` is what ``actors.send((name, node), ...)`` and
friends resolve to: every ``deliver``, call, exit signal, monitor and link
on it becomes an envelope to that node's inbox (see :mod:`._node`). One
exists per ``(name, node)`` (or per remote process id, for references that
arrived in a payload), cached by the node. It never "dies": the remote
actor behind a name may come and go, and each monitor or call finds out on
its own, as in Erlang.

The :class:`Agent` is the local end of remote monitors: a process that
watches local actors on behalf of other nodes and turns each ``DOWN`` it
receives into an envelope back to the watcher's node.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from actors.lowlevel import MonitorRef, Process

if TYPE_CHECKING:
    from actors.cluster._node import ClusterNode

__all__ = ["Agent", "RemotePid", "RemoteProcess"]

Address = tuple[str, Any]
"""``("n", name)`` for a registered name, ``("p", process_id)`` for a process."""


class RemotePid:
    """A reference to an unnamed actor on another node (what a ``Ref`` that
    crossed nodes becomes). Any ``actors`` function takes it as a target."""

    __slots__ = ("_proc", "id", "name", "node")

    def __init__(self, proc: RemoteProcess, node: str, process_id: str, name: Any) -> None:
        self._proc = proc
        self.node = node
        self.id = process_id
        self.name = name

    def __actor_process__(self) -> RemoteProcess:
        return self._proc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemotePid) and (other.node, other.id) == (self.node, self.id)

    def __hash__(self) -> int:
        return hash((self.node, self.id))

    def __repr__(self) -> str:
        name = f" {self.name!r}" if self.name is not None else ""
        return f"<RemotePid{name} {self.id} on {self.node}>"


class RemoteProcess(Process):
    """An actor on ``node`` addressed by ``address`` (see :data:`Address`).

    Every method may be called from any thread; none waits for the network
    except :meth:`close` (a remote stop), which waits like a local stop.
    """

    __slots__ = ("address", "cluster", "node", "pid")

    def __init__(self, cluster: ClusterNode, node: str, address: Address) -> None:
        kind, value = address
        name = value if kind == "n" else None
        super().__init__(cluster.system, name, f"{node}/{value}")
        self.cluster = cluster
        self.node = node
        self.address = address
        self.pid: RemotePid | None = None
        if kind == "p":
            self.pid = RemotePid(self, node, value, None)

    def __repr__(self) -> str:
        return f"<RemoteProcess {self.address[1]!r} on {self.node}>"

    @property
    def ref(self) -> Any:
        return (self.address[1], self.node) if self.pid is None else self.pid

    @property
    def alive(self) -> bool:
        return True  # its node may be down: each operation reports that itself

    def deliver(self, message: Any) -> bool:
        return self.cluster.send_op(self, "send", message)

    def deliver_cast(self, request: Any) -> bool:
        return self.cluster.send_op(self, "cast", request)

    def deliver_call(self, request: Any, caller: Any) -> bool:
        self.cluster.call(self, request, caller)
        return True

    def deliver_blocking_call(self, request: Any, caller: Any, wait: float | None) -> bool:
        """A synchronous call: the calling thread reads the reply itself (a
        reply channel) and completes ``caller.future`` before returning."""
        self.cluster.call_waiting(self, request, caller, wait)
        return True

    def deliver_traced_call(self, request: Any, caller: Any, carrier: Any) -> bool:
        """A call made while tracing: ``carrier`` (the caller's W3C trace
        context) travels in the envelope, so the remote turn continues it."""
        self.cluster.call(self, request, caller, trace=carrier)
        return True

    def deliver_traced_cast(self, request: Any, carrier: Any) -> bool:
        return self.cluster.send_op(self, "cast", request, trace=carrier)

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
        return "delivered" if self.deliver(message) else "dead"

    def exit_signal(self, sender: Process | None, reason: Any) -> None:
        self.cluster.exit_op(self, sender, reason)

    def kill(self) -> None:
        self.cluster.send_op(self, "kill", None)

    def close(self, reason: Any) -> None:
        """A remote ``actors.stop``: waits, raises ``CallError`` as a local stop."""
        self.cluster.stop(self, reason)

    # Monitors and links: bookkeeping here, the protocol in the node -------------

    def add_watcher(self, mref: MonitorRef) -> bool:
        self.cluster.monitor(self, mref)
        return True

    def remove_watcher(self, mref: MonitorRef) -> None:
        self.cluster.demonitor(self, mref)

    def add_link(self, other: Process) -> bool:
        Process.add_link(self, other)
        self.cluster.link(self, other)
        return True

    def remove_link(self, other: Process) -> None:
        Process.remove_link(self, other)
        if other.alive:  # an exiting process's link ends with its exit signal
            self.cluster.unlink(self, other)


class Agent(Process):
    """Watches local processes for other nodes (one per node, never exits).

    ``DOWN`` messages it receives go back to the watching node; monitors
    are kept by their :class:`MonitorRef` and by ``(node, monitor id)``.
    """

    __slots__ = ("_by_id", "_lock2", "_watches", "cluster")

    def __init__(self, cluster: ClusterNode) -> None:
        super().__init__(cluster.system, None, f"{cluster.node}/cluster-agent")
        self.cluster = cluster
        self._lock2 = threading.Lock()
        self._watches: dict[MonitorRef, tuple[str, int]] = {}
        self._by_id: dict[tuple[str, int], MonitorRef] = {}

    @property
    def ref(self) -> Any:
        return self

    def watch(self, target: Process, node: str, monitor_id: int) -> bool:
        """Monitor ``target`` for ``node``'s monitor ``monitor_id``; ``False``
        if it is already gone."""
        mref = MonitorRef(self, target)
        with self._lock2:
            self._watches[mref] = (node, monitor_id)
            self._by_id[(node, monitor_id)] = mref
        if target.add_watcher(mref):
            return True
        self._forget(mref)
        return False

    def unwatch(self, node: str, monitor_id: int) -> None:
        with self._lock2:
            mref = self._by_id.pop((node, monitor_id), None)
            if mref is not None:
                self._watches.pop(mref, None)
        if mref is not None and mref.target is not None:
            mref.active = False
            mref.target.remove_watcher(mref)

    def unwatch_node(self, node: str) -> None:
        """Drop every monitor held for ``node`` (it went down)."""
        with self._lock2:
            ids = [key for key in self._by_id if key[0] == node]
        for key in ids:
            self.unwatch(*key)

    def watching(self) -> int:
        return len(self._watches)

    def _forget(self, mref: MonitorRef) -> tuple[str, int] | None:
        with self._lock2:
            where = self._watches.pop(mref, None)
            if where is not None:
                self._by_id.pop(where, None)
            return where

    def deliver(self, message: Any) -> bool:
        if message.__class__ is tuple and len(message) == 5 and message[0] == "DOWN":
            where = self._forget(message[1])
            if where is not None:
                self.cluster.send_down(where[0], where[1], message[4])
        return True

    def exit_signal(self, sender: Process | None, reason: Any) -> None:
        pass  # never linked

    def kill(self) -> None:
        pass

    def close(self, reason: Any) -> None:
        pass
