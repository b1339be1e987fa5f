"""The ExESDB Gater supervision tree: the ten pub/sub instances, supervised.

An application-level module (it sits above ``supervision`` in the import
order): it builds a :class:`supervision.Supervisor` whose children are the
ten instances, each started through :meth:`PubSubManager.start_link_instance`
so the first tree to start owns them; any later tree (another supervisor,
another thread) finds them running and keeps its children as ignored, so
stopping it stops nothing shared.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Final

import actors
import supervision as sv
from actors.gater._auditing import AUDITOR_NAME, connect_auditor, start_auditor
from actors.gater._broadcasters import integration_children
from actors.gater._eventstore import store_child
from actors.lowlevel import current_process, lookup, resolve_system
from actors.pubsub import InstanceConfig, PubSubManager, instances

__all__ = [
    "DEFAULT_NAME",
    "children",
    "lifecycle_topic",
    "start",
    "start_link",
    "wire_lifecycle",
]

logger = logging.getLogger("actors.gater")

DEFAULT_NAME: Final = "ex_esdb_gater"
_LIFECYCLE_WIRED: Final = "actors.gater.lifecycle"


def lifecycle_topic(component: str) -> str:
    """The topic lifecycle events of ``component`` are broadcast on."""
    return f"process_lifecycle:{component}"


def children(
    system: actors.ActorSystem,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    audit: bool | str | os.PathLike[str] = True,
    broadcasters: bool = True,
    store: str | os.PathLike[str] | None = None,
) -> list[sv.ChildSpec]:
    """The child specs of the gater tree: the auditor, the ten instances, then
    the health and metrics broadcasters (see :func:`start` for the options)."""
    if config is not None and not isinstance(config, Mapping):
        msg = f"gater config must map instance names to option dicts, got {type(config).__name__}"
        raise TypeError(msg)
    options = dict(config or {})
    unknown = set(options) - set(instances.ALL)
    if unknown:
        msg = f"unknown gater instance(s) in config: {', '.join(sorted(map(str, unknown)))}"
        raise ValueError(msg)
    for instance, settings in options.items():
        if not isinstance(settings, Mapping):
            msg = (
                f"gater config[{instance!r}] must be a dict of instance options "
                f"(mailbox_limit, overflow, block_timeout, secure), got {settings!r}"
            )
            raise TypeError(msg)
        InstanceConfig().merged(**settings)  # unknown or bad options fail here, by name
    manager = PubSubManager.of(system)
    specs: list[sv.ChildSpec] = []
    if audit is not False:
        path = None if audit is True else audit
        # First, so it stops last and records the stops of the whole tree.
        specs.append(sv.child_spec("auditor", start_auditor, path, shutdown=10.0))
    specs += [
        sv.child_spec(
            instance, manager.start_link_instance, instance, **dict(options.get(instance, {}))
        )
        for instance in instances.ALL
    ]
    if audit is not False:
        specs.append(sv.child_spec("auditor_connect", connect_auditor, restart="temporary"))
    if broadcasters:
        specs.extend(integration_children(system))
    if store is not None:
        # After the instances: every append is broadcast on ex_esdb_events.
        specs.append(store_child(system, store))
    return specs


def start(
    system: actors.ActorSystem | None = None,
    config: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    name: str = DEFAULT_NAME,
    audit: bool | str | os.PathLike[str] = True,
    broadcasters: bool = True,
    store: str | os.PathLike[str] | None = None,
    extra: Sequence[sv.ChildSpec] = (),
    max_restarts: int = 10,
    max_seconds: float = 5,
) -> actors.Ref[Any]:
    """Start (or find) the gater tree of ``system`` and return its supervisor.

    Args:
        config: per-instance options (``mailbox_limit``, ``overflow``,
            ``block_timeout``, ``secure``), e.g. ``{"ex_esdb_metrics":
            {"mailbox_limit": 1000}}``; they apply when an instance is created.
        name: the supervisor's registered name. Starting again with the same
            name returns the running tree (the original's ``already_started``
            becoming ``ok``); another name gives a new tree whose instance
            children are ignored because the instances already run.
        audit: the lifecycle auditor, on by default: ``True`` writes to
            ``system.config["audit_path"]`` or ``./actors-audit.db``; a path
            writes there; ``False`` leaves it out. It is the tree's first
            child, so it stops last and records the tree's own stops.
        broadcasters: the periodic health and metrics broadcasters of
            :mod:`actors.gater.integration`, on by default; their intervals
            come from ``system.config`` (``"health_broadcast_interval"``,
            default 30 s; ``"metrics_broadcast_interval"``, default 60 s).
        store: an event store file (or ``":memory:"``) to run in the tree;
            every append is broadcast on ``ex_esdb_events``, topic
            ``event_stream:<stream>``, as ``("event_appended", event)``;
            ``EventStore.connect()`` finds it.
        extra: more children after those.
    """
    system = resolve_system(system)
    existing = actors.whereis(name, system)
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    specs = children(system, config, audit=audit, broadcasters=broadcasters, store=store)
    specs += list(extra)
    try:
        tree = sv.Supervisor.start(
            specs,
            strategy="one_for_one",
            max_restarts=max_restarts,
            max_seconds=max_seconds,
            name=name,
            system=system,
        )
    except actors.AlreadyStarted as exc:  # another thread won the race
        return exc.ref  # type: ignore[no-any-return]
    wire_lifecycle(system)
    return tree


def start_link(
    config: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    name: str = DEFAULT_NAME,
    audit: bool | str | os.PathLike[str] = True,
    broadcasters: bool = True,
    store: str | os.PathLike[str] | None = None,
    extra: Sequence[sv.ChildSpec] = (),
    max_restarts: int = 10,
    max_seconds: float = 5,
) -> actors.Ref[Any]:
    """Start the gater tree under the calling supervisor (a child-spec start
    function, ``type="supervisor"``); same options as :func:`start`."""
    proc = current_process()
    if proc is None:
        msg = "gater.start_link() must be called by a supervisor starting its children"
        raise RuntimeError(msg)
    wire_lifecycle(proc.system)
    return sv.Supervisor.start_link(
        children(proc.system, config, audit=audit, broadcasters=broadcasters, store=store)
        + list(extra),
        strategy="one_for_one",
        max_restarts=max_restarts,
        max_seconds=max_seconds,
        name=name,
    )


def wire_lifecycle(system: actors.ActorSystem) -> None:
    """Broadcast every lifecycle event of ``system`` as
    ``("process_lifecycle_event", event)`` on ``ex_esdb_lifecycle``, topic
    ``process_lifecycle:<component>``. Idempotent.

    The listener runs in the thread where the event happened. Events about
    the lifecycle instance's own actor are not broadcast on it: they would
    recurse into the very instance that is starting, crashing or stopping.
    """
    manager = PubSubManager.of(system)
    with _wire_lock(system):
        if system.extensions.get(_LIFECYCLE_WIRED):
            return

        def forward(event: actors.ProcessLifecycle) -> None:
            handle = manager.get(instances.LIFECYCLE)
            if handle is None or handle.stopped:
                return
            own = handle.ref
            if own is not None and event.actor_id == own.id:
                return
            if event.name == instances.LIFECYCLE and event.component == "PubSubServer":
                return
            message = ("process_lifecycle_event", event)
            # The auditor gets the system's own events from its listener already.
            auditor = lookup(AUDITOR_NAME, system)
            if auditor is None:
                handle.broadcast(lifecycle_topic(event.component), message)
            else:
                handle.broadcast_from(auditor, lifecycle_topic(event.component), message)

        system.extensions[_LIFECYCLE_WIRED] = system.add_lifecycle_listener(forward)


def _wire_lock(system: actors.ActorSystem) -> Any:
    return system.extensions.setdefault("actors.gater.lock", threading.Lock())
