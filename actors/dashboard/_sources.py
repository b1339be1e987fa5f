"""What the dashboard shows, as JSON-safe dicts, read from a running system
or (read-only) from an audit log and an event store file.

Everything here is blocking (calls to supervisors, SQLite reads): the web
server runs it on a pool worker (:func:`actors.arun_blocking`), never on
its event loop.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import actors
import supervision as sv
from actors.audit import AuditLog, AuditStoreError
from actors.eventstore import EventStore, EventStoreError, SqliteBackend
from actors.lowlevel import process_of
from actors.pubsub import PubSubManager

__all__ = ["FileSource", "LifecycleTail", "SystemSource", "event_json"]

logger = logging.getLogger("actors.dashboard")

TAIL: Final = 500
"""Lifecycle events the dashboard keeps for its live tail."""
TOP_PROCESSES: Final = 25


def event_json(seq: int, event: actors.ProcessLifecycle) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": event.event_type,
        "component": event.component,
        "name": event.name,
        "supervisor": event.supervisor,
        "child_id": event.child_id,
        "reason": event.reason,
        "restart_count": event.restart_count,
        "node": event.node,
        "time": event.timestamp.isoformat(),
    }


class LifecycleTail:
    """The latest lifecycle events of a system, numbered (a listener: it
    runs in the thread where each event happens, one append under a lock)."""

    def __init__(self, system: actors.ActorSystem) -> None:
        self._lock = threading.Lock()
        self._events: deque[dict[str, Any]] = deque(maxlen=TAIL)
        self._seq = 0
        self.remove = system.add_lifecycle_listener(self._record)

    def _record(self, event: actors.ProcessLifecycle) -> None:
        with self._lock:
            self._seq += 1
            self._events.append(event_json(self._seq, event))

    def since(self, after: int) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self._events if e["seq"] > after]


def _tree_json(node: sv.TreeNode) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": None if node.id is None else str(node.id),
        "component": node.component,
        "name": None if node.name is None else str(node.name),
        "type": node.type,
        "state": node.state,
        "restarts": node.restarts,
        "children": [_tree_json(child) for child in node.children],
    }
    if node.type == "supervisor" and node.ref is not None:
        item["intensity"] = _intensity(node.ref)
    return item


def _intensity(ref: Any) -> dict[str, Any] | None:
    """Restarts left before the supervisor gives up (its sliding window),
    as the supervisor itself answers; ``None`` once it has exited."""
    try:
        status = sv.restart_intensity(ref, timeout=2.0)
    except actors.ActorError:
        return None
    return {
        "max_restarts": status.max_restarts,
        "max_seconds": status.max_seconds,
        "recent": status.recent,
        "headroom": status.headroom,
    }


SUPERVISOR_COMPONENTS: Final = frozenset({"Supervisor", "DynamicSupervisor"})
"""What supervisors' processes call themselves (``Ref.component``)."""


def _is_supervisor(ref: Any) -> bool:
    return ref.component in SUPERVISOR_COMPONENTS


class SystemSource:
    """Reads a running system, in-process."""

    def __init__(self, system: actors.ActorSystem, stores: Sequence[Any] = ()) -> None:
        self.system = system
        self.stores = list(stores)
        self.tail = LifecycleTail(system)

    def close(self) -> None:
        self.tail.remove()

    def snapshot(self, after: int = 0) -> dict[str, Any]:
        system = self.system
        return {
            "mode": "system",
            "system": system.name,
            "node": actors.node(system=system),
            "nodes": actors.nodes(system=system),
            "time": system.clock.now().isoformat(),
            "monotonic": system.clock.monotonic(),
            "stats": _stats_json(system),
            "trees": self._trees(),
            "processes": self._processes(),
            "pubsub": self._pubsub(),
            "stores": [_store_json(s) for s in self._stores()],
            "lifecycle": self.tail.since(after),
        }

    def _trees(self) -> list[dict[str, Any]]:
        roots = []
        for ref in self.system.actors():
            proc = process_of(ref)
            parent = getattr(proc, "parent", None)
            if (parent is None or not parent.alive) and _is_supervisor(ref):
                try:
                    roots.append(_tree_json(sv.tree(ref, timeout=2.0)))
                except actors.ActorError as exc:
                    logger.debug("dashboard: %s did not describe itself: %s", ref, exc)
        return roots

    def _processes(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for ref in self.system.actors():
            proc = process_of(ref)
            if proc is None:
                continue
            rows.append(
                {
                    "id": proc.id,
                    "name": None if proc.name is None else str(proc.name),
                    "component": str(getattr(proc, "component", type(proc).__name__)),
                    "depth": proc.queue_len(),
                    # Messages its turns have taken so far (probes: None);
                    # the page shows the rate between two snapshots.
                    "handled": getattr(proc, "handled", None),
                    "runtime": getattr(proc, "runtime", "?"),
                }
            )
        rows.sort(key=lambda row: (-row["depth"], row["name"] is None, str(row["name"])))
        return rows[:TOP_PROCESSES]

    def _pubsub(self) -> list[dict[str, Any]]:
        rows = []
        for instance in PubSubManager.of(self.system).instances().values():
            st = instance.statistics()
            rows.append(
                {
                    "name": st.name,
                    "state": st.state,
                    "published": st.published,
                    "delivered": st.delivered,
                    "dropped": st.dropped,
                    "failed": st.failed,
                    "rejected": st.rejected,
                    "subscribers": st.subscribers,
                    "largest_mailbox": st.largest_mailbox,
                }
            )
        return rows

    def _stores(self) -> list[EventStore]:
        found = []
        for store in self.stores:
            try:
                handle = (
                    store
                    if isinstance(store, EventStore)
                    else EventStore.connect(store, self.system)
                )
                handle.last_position()
            except EventStoreError:
                continue
            found.append(handle)
        return found

    def replay_parked(self, store: str, stream: str, group: str) -> int:
        for handle in self._stores():
            if handle.name == store:
                return handle.replay_parked_messages(stream, group)
        msg = f"no event store {store!r} is shown here"
        raise LookupError(msg)


def _stats_json(system: actors.ActorSystem) -> dict[str, Any]:
    st = system.statistics()
    return {
        "actors": st.actors,
        "dead_letters": st.dead_letters,
        "pool_workers": st.pool_workers,
        "blocked_workers": st.blocked_workers,
        "run_queue": st.run_queue,
        "stalls": st.stalls,
    }


def _streams_and_groups(name: str, streams: Any, groups: Any) -> dict[str, Any]:
    return {
        "name": name,
        "streams": [
            {
                "stream": s.stream,
                "state": s.state,
                "events": s.count,
                "last_version": s.last_version,
            }
            for s in streams
        ],
        "groups": [
            {
                "stream": g.stream,
                "group": g.group,
                "lag": g.lag,
                "in_flight": g.in_flight,
                "waiting": g.waiting,
                "parked": g.parked,
                "consumers": g.consumers,
            }
            for g in groups
        ],
    }


def _store_json(store: EventStore) -> dict[str, Any]:
    return _streams_and_groups(
        store.name, store.list_streams(), store.list_persistent_subscriptions()
    )


class FileSource:
    """Reads an audit log and an event store file, read-only (the owning
    process may be running, or gone)."""

    def __init__(self, audit: str | None = None, store: str | None = None) -> None:
        self.audit = audit
        self.store = store

    def close(self) -> None:
        pass

    def snapshot(self, after: int = 0) -> dict[str, Any]:
        return {
            "mode": "files",
            "system": None,
            "node": None,
            "nodes": [],
            "stats": None,
            "trees": [],
            "processes": [],
            "pubsub": [],
            "stores": self._stores(),
            "lifecycle": self._lifecycle(after),
            "files": {"audit": self.audit, "store": self.store},
        }

    def _lifecycle(self, after: int) -> list[dict[str, Any]]:
        if self.audit is None:
            return []
        try:
            with AuditLog.open(self.audit) as log:
                logged = log.logged(after_seq=after, limit=TAIL, latest=True)
        except AuditStoreError as exc:
            logger.debug("dashboard: cannot read %s: %s", self.audit, exc)
            return []
        return [event_json(item.seq, item.event) for item in logged]

    def _stores(self) -> list[dict[str, Any]]:
        if self.store is None:
            return []
        try:
            backend = SqliteBackend(self.store, create=False)
        except EventStoreError as exc:
            logger.debug("dashboard: cannot read %s: %s", self.store, exc)
            return []
        try:
            return [
                _streams_and_groups(
                    Path(self.store).name, backend.list_streams(), backend.list_groups()
                )
            ]
        finally:
            backend.close()

    def replay_parked(self, store: str, stream: str, group: str) -> int:
        msg = "the dashboard reads files read-only: replay parked messages in the owning process"
        raise PermissionError(msg)
