"""The seam through which an actor system joins a cluster of nodes.

The core knows no network. A cluster layer (``actors.cluster``, on Redis)
plugs in through two things defined here:

* a **connector**, found by the scheme of ``ActorSystem(cluster=URL)``
  among the ``actors.cluster`` entry points (``redis = actors.cluster:connect``)
  and called at the end of the system's construction. It returns a
  :class:`Remote`.
* the :class:`Remote` itself, which the core asks for the process behind a
  ``(name, node)`` target on another node (a proxy :class:`~actors._process.Process`
  whose ``deliver``/``deliver_call``/``exit_signal``/monitors cross the
  network), for the nodes it knows, and to monitor a node.

Without a cluster, ``(name, node)`` tuples are ordinary registered names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from actors._process import Process
    from actors._system import ActorSystem

__all__ = ["ENTRY_POINT_GROUP", "Remote", "connect", "remote_target"]

ENTRY_POINT_GROUP = "actors.cluster"


class Remote(Protocol):
    """What a cluster layer gives the core (see the module docstring).

    Its methods are called from any thread and must not block for long.
    """

    def process(self, name: Any, node: str) -> Process:
        """A process standing for ``name`` on ``node`` (which is not this node)."""
        ...

    def nodes(self) -> list[str]:
        """The other nodes currently connected (alive), sorted."""
        ...

    def monitor_node(self, watcher: Process, node: str, enable: bool) -> None:
        """Start (``enable``) or stop sending ``watcher`` ``("nodedown", node,
        reason)`` when ``node`` goes down and ``("nodeup", node)`` when it
        comes back; an unknown or down node gives ``nodedown`` at once."""
        ...

    def close(self) -> None:
        """Leave the cluster (the system is shutting down). Idempotent."""
        ...


def connect(system: ActorSystem, url: str) -> Remote:
    """Join ``system`` to the cluster at ``url`` through the connector its
    scheme names.

    Raises:
        ValueError: no installed connector handles that scheme (the message
            says which extra to install).
    """
    if not isinstance(url, str) or "://" not in url:
        msg = f"cluster must be a URL such as 'redis://127.0.0.1:6379/0', got {url!r}"
        raise ValueError(msg)
    scheme = url.split("://", 1)[0].lower()
    from importlib.metadata import entry_points  # only systems that join a cluster pay for it

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == scheme:
            connector = entry.load()
            remote: Remote = connector(system, url)
            return remote
    msg = (
        f"no cluster connector for {scheme!r} URLs is installed "
        "(for Redis: pip install 'actors-otp[redis]')"
    )
    raise ValueError(msg)


def remote_target(target: Any, local_node: str) -> tuple[Any, str] | None:
    """``(name, node)`` if ``target`` addresses a registered name on another
    node (Erlang's ``{Name, Node}``), else ``None``."""
    if target.__class__ is tuple and len(target) == 2:
        node = target[1]
        if node.__class__ is str and "@" in node and node != local_node:
            return target[0], node
    return None
