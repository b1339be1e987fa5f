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
* :class:`Process`, :class:`MonitorRef`: the process record and its monitors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actors._api import resolve as _resolve
from actors._current import resolve_system, using_system
from actors._process import MonitorRef, Process, current_process

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = [
    "MonitorRef",
    "Process",
    "current_process",
    "lookup",
    "process_of",
    "resolve_system",
    "using_system",
]


def process_of(target: Any, system: ActorSystem | None = None) -> Process | None:
    """The process behind ``target`` (a ref, a registered name, a probe, a
    supervisor handle); ``None`` for a name that nobody holds. A ref to an
    actor that has exited gives its dead process (``alive`` is ``False``).

    Raises:
        TypeError: ``target`` cannot name an actor.
    """
    return _resolve(target, system)


def lookup(name: Any, system: ActorSystem | None = None) -> Process | None:
    """The live process registered under ``name``, or ``None``."""
    return resolve_system(system).lookup(name)
