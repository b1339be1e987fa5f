"""Cluster-wide unique names (Erlang's ``global``), kept in one Redis hash.

The rule for conflicts: **Redis decides, and the first registration wins.**
``register_global`` is one atomic script (set the name unless someone else
holds it). A node that stops heartbeating loses its names when the others
declare it down (they free them), so a live node may take them. If the cut-off
node comes back (a network split healed), it registers its names again; a
name taken meanwhile stays with the new holder, and the old local holder gets
the exit signal ``("global_name_conflict", name)`` (it exits unless it traps
exits, as Erlang's default conflict resolution kills one of the two).
A name is also freed when its process exits or its node leaves.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, Final

import actors
from actors.lowlevel import Process, current_process, process_of, resolve_system

if TYPE_CHECKING:
    from actors.cluster._node import ClusterNode

__all__ = ["register_global", "registered_globals", "unregister_global", "whereis_global"]

logger = logging.getLogger("actors.cluster")

CONFLICT: Final = "global_name_conflict"


def _connection_errors() -> tuple[type[BaseException], ...]:
    from actors.cluster._redis import CONNECTION_ERRORS

    return CONNECTION_ERRORS


def _node(system: actors.ActorSystem | None) -> ClusterNode:
    from actors.cluster._node import ClusterNode

    owner = resolve_system(system)
    remote = owner.remote
    if not isinstance(remote, ClusterNode):
        msg = f"actor system {owner.name!r} is not in a cluster (ActorSystem(cluster=...))"
        raise RuntimeError(msg)
    return remote


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        msg = f"a global name must be a non-empty str, got {name!r}"
        raise TypeError(msg)
    return name


def register_global(
    name: str, target: Any = None, *, system: actors.ActorSystem | None = None
) -> bool:
    """Register ``target`` (default: the calling actor) under ``name`` in the
    whole cluster; ``False`` if another process holds it (see the module
    docstring for conflicts). Waits for one Redis round trip.

    Raises:
        TypeError: ``name`` is not a non-empty str, or ``target`` is not a
            local actor.
        RuntimeError: the system is not in a cluster.
        actors.cluster.ClusterError: Redis cannot be reached.
    """
    from actors.cluster._errors import ClusterError
    from actors.cluster._proxy import RemoteProcess

    _check_name(name)
    node = _node(system)
    proc = current_process() if target is None else process_of(target, node.system)
    if proc is None or isinstance(proc, RemoteProcess) or not proc.alive:
        msg = f"register_global() needs a live local actor, got {target!r}"
        raise TypeError(msg)
    node._exports[proc.id] = proc
    owner = json.dumps({"node": node.node, "inc": node.incarnation, "id": proc.id})
    try:
        with actors.blocking():
            result = node.scripts.register(
                keys=[node.keys.global_names],
                args=[name, owner, node.node, node.incarnation, proc.id],
            )
    except _connection_errors() as exc:
        raise ClusterError(f"cannot register {name!r}: Redis is unreachable ({exc})") from exc
    if int(result[0]) != 1:
        return False
    _watch(node, name, proc)
    return True


def _watch(node: ClusterNode, name: str, proc: Process) -> None:
    with node._lock:
        node.globals[name] = proc
        watch_id = -next(node._ids)
        node.global_watches[watch_id] = name
    if not node.agent.watch(proc, node.node, watch_id):
        unregister(node, name)


def unregister(node: ClusterNode, name: str) -> bool:
    with node._lock:
        proc = node.globals.pop(name, None)
        for watch_id in [w for w, n in node.global_watches.items() if n == name]:
            del node.global_watches[watch_id]
            node.agent.unwatch(node.node, watch_id)
    if proc is None or node.scripts is None:
        return False
    try:
        with actors.blocking():
            removed = node.scripts.unregister(
                keys=[node.keys.global_names], args=[name, node.node, node.incarnation, proc.id]
            )
    except _connection_errors() as exc:
        logger.warning("cluster %s: could not unregister %r: %s", node.node, name, exc)
        return False
    return bool(removed)


def unregister_global(name: str, *, system: actors.ActorSystem | None = None) -> bool:
    """Free ``name`` if this node holds it; returns whether it did."""
    return unregister(_node(system), _check_name(name))


def whereis_global(name: str, *, system: actors.ActorSystem | None = None) -> Any:
    """The process registered as ``name`` in the cluster (a ``Ref`` here, a
    remote reference on another node that is up), or ``None``. One Redis
    round trip.

    Raises:
        actors.cluster.ClusterError: Redis cannot be reached.
    """
    from actors.cluster._errors import ClusterError

    _check_name(name)
    node = _node(system)
    try:
        with actors.blocking():
            raw = node.sync.hget(node.keys.global_names, name)
    except _connection_errors() as exc:
        raise ClusterError(f"cannot look up {name!r}: Redis is unreachable ({exc})") from exc
    if raw is None:
        return None
    try:
        owner = json.loads(raw)
        where, pid = str(owner["node"]), str(owner["id"])
    except (ValueError, KeyError, TypeError):
        return None
    if where == node.node:
        proc = node._exports.get(pid)
        return proc.ref if proc is not None and proc.alive else None
    if where not in node._up:
        return None
    return node.proxy(where, ("p", pid)).pid


def registered_globals(*, system: actors.ActorSystem | None = None) -> list[str]:
    """The global names this node holds."""
    return sorted(_node(system).globals)


def reassert(node: ClusterNode) -> None:
    """After a reconnect: register this node's names again; the loser of a
    conflict gets the exit signal ``("global_name_conflict", name)``."""
    with node._lock:
        held = list(node.globals.items())
    for name, proc in held:
        owner = json.dumps({"node": node.node, "inc": node.incarnation, "id": proc.id})
        result = node.scripts.register(
            keys=[node.keys.global_names], args=[name, owner, node.node, node.incarnation, proc.id]
        )
        if int(result[0]) != 1:
            logger.warning("cluster %s: global name %r was taken while cut off", node.node, name)
            with node._lock:
                node.globals.pop(name, None)
            proc.exit_signal(None, (CONFLICT, name))
