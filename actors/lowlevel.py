"""The public low-level seam for libraries built on ``actors`` (trio's model).

Everything above the actor core (supervision, pub/sub, the message
catalogue, the audit log, the event store, applications) uses ``actors``,
this module, or its own package, never a private ``actors._x`` module.
These names are stable but deliberately small: they expose processes (the
runtime records behind refs and probes) for code that delivers to, watches
or adopts them.

* :func:`current_process`, :func:`process_of`, :func:`lookup`: find the
  process behind the running callback, a target, or a registered name.
* :func:`resolve_system`, :func:`using_system`: the one system resolver
  (see :func:`actors.current_system`).
* :class:`Process`, :class:`MonitorRef`: the process record and its monitors;
  ``Process.offer(message, limit, overflow, timeout)`` is bounded delivery
  with a policy, returning one of :data:`DELIVERED`, :data:`REPLACED`,
  :data:`DROPPED`, :data:`REJECTED`, :data:`TIMEOUT`, :data:`FULL`,
  :data:`DEAD`; ``Process.queue_len()`` its depth.
* :class:`StartContext`, :func:`handing_over`, :func:`adopt`: what a parent
  (a supervisor) hands to the actor it starts: labels for its lifecycle
  events and a crash hook.
* :func:`register_event_type`, :func:`lifecycle_event_types`: the lifecycle
  event types layers add to the core's ``started``/``stopped``/``crashed``.
* :class:`Remote`, :data:`CLUSTER_ENTRY_POINTS`, :func:`remote_target`: how a
  cluster layer plugs in (``ActorSystem(cluster=URL)`` loads the connector
  registered for the URL's scheme; ``(name, node)`` targets on other nodes
  resolve to the proxy processes it returns).
* :class:`Tracer`, :func:`install_tracer`, :func:`uninstall_tracer`,
  :func:`tracer_installed`, :class:`TracedInfo`, :func:`traced_info`: how a
  tracing integration (``actors.tracing``) hooks calls, casts and broadcasts;
  :func:`deliver_traced_call`, :func:`deliver_traced_cast`: how a transport
  (the cluster) delivers a call or cast that arrived with a trace context.
* :func:`waiting`: how a transport declares the wait for a reply to a
  request it has sent (``Process.deliver_blocking_call``): the pool is
  compensated as for a call's reply, and the calling actor keeps its inline
  calls (unlike :func:`actors.blocking`, which declares the callback itself
  as one that blocks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actors._api import resolve as _resolve
from actors._blocking import waiting
from actors._current import resolve_system, using_system
from actors._lifecycle import event_types as lifecycle_event_types
from actors._lifecycle import register_event_type
from actors._process import (
    DEAD,
    DELIVERED,
    DROPPED,
    FULL,
    REJECTED,
    REPLACED,
    TIMEOUT,
    MonitorRef,
    Process,
    current_process,
)
from actors._remote import ENTRY_POINT_GROUP as CLUSTER_ENTRY_POINTS
from actors._remote import Remote, remote_target
from actors._startctx import CrashHook, StartContext, adopt, handing_over
from actors._tracing import (
    TracedInfo,
    Tracer,
    deliver_traced_call,
    deliver_traced_cast,
    traced_info,
)
from actors._tracing import install as install_tracer
from actors._tracing import installed as tracer_installed
from actors._tracing import uninstall as uninstall_tracer

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = [
    "CLUSTER_ENTRY_POINTS",
    "DEAD",
    "DELIVERED",
    "DROPPED",
    "FULL",
    "REJECTED",
    "REPLACED",
    "TIMEOUT",
    "CrashHook",
    "MonitorRef",
    "Process",
    "Remote",
    "StartContext",
    "TracedInfo",
    "Tracer",
    "actor_of",
    "adopt",
    "current_process",
    "deliver_traced_call",
    "deliver_traced_cast",
    "handing_over",
    "install_tracer",
    "lifecycle_event_types",
    "lookup",
    "process_of",
    "register_event_type",
    "remote_target",
    "resolve_system",
    "traced_info",
    "tracer_installed",
    "uninstall_tracer",
    "using_system",
    "waiting",
]


def process_of(target: Any, system: ActorSystem | None = None) -> Process | None:
    """The process behind ``target`` (a ref, a registered name, a probe, a
    supervisor handle); ``None`` for a name that nobody holds. A ref to an
    actor that has exited gives its dead process (``alive`` is ``False``).

    Raises:
        TypeError: ``target`` cannot name an actor.
    """
    return _resolve(target, system)


def actor_of(target: Any) -> Any:
    """The GenServer object behind ``target`` while it is alive, else ``None``.

    For reading an actor's own thread-safe state from another thread
    without a round trip (a supervisor handle reads its child table so).
    """
    from actors._server import ServerProcess

    proc = _resolve(target)
    return proc.actor if isinstance(proc, ServerProcess) and proc.alive else None


def lookup(name: Any, system: ActorSystem | None = None) -> Process | None:
    """The live process registered under ``name``, or ``None``."""
    return resolve_system(system).lookup(name)
