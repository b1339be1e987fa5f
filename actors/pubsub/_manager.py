"""PubSubManager: the one registry of pub/sub instances of an actor system.

``ensure(name)`` is an atomic get-or-create under one lock, so two
supervisors (or threads) starting the same instance at the same moment get
the same instance (the race the original ``maybe_child_spec`` has). Who owns
an instance is explicit: a supervisor that starts it through
:meth:`PubSubManager.start_link_instance` (its child-spec start function), or
else the manager's own :class:`~supervision.DynamicSupervisor`, which
restarts a crashing instance with backoff and never abandons it. A second
owner gets ``None`` (OTP's ``ignore``) and so stopping it stops nothing shared.

The manager knows no instance by name: an application installs the default
configuration of the names it uses (:meth:`PubSubManager.set_defaults`) and a
factory of the hooks new instances get (:meth:`PubSubManager.set_hooks`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any, Final

import actors
import supervision as sv
from actors.lowlevel import resolve_system
from actors.pubsub._adapter import Adapter, LocalAdapter
from actors.pubsub._config import InstanceConfig
from actors.pubsub._hooks import HooksFactory, InstanceHooks
from actors.pubsub._instance import PubSub, PubSubServer
from actors.pubsub._recent import RecentBroadcasts

__all__ = ["PubSubManager"]

logger = logging.getLogger("actors.pubsub")

_EXTENSION: Final = "actors.pubsub.manager"
_CREATE_LOCK = threading.Lock()

RESTART_BACKOFF: Final = sv.Backoff(0.05, 5.0, 0.2)
"""How the manager's supervisor spaces the restarts of a crashing instance:
from 50 ms, doubling, at most 5 s apart, so it is restarted for as long as
it keeps crashing without ever exhausting the supervisor's intensity."""


class PubSubManager:
    """Registry of the pub/sub instances of one actor system (a system owns
    its manager). Get it with :meth:`of`; thread-safe."""

    def __init__(self, system: actors.ActorSystem, adapter: Adapter | None = None) -> None:
        self.system = system
        self.adapter: Adapter = adapter if adapter is not None else LocalAdapter(system.node)
        self._lock = threading.RLock()
        self._instances: dict[str, PubSub] = {}
        self._defaults: dict[str, InstanceConfig] = {}
        self._hooks: HooksFactory | None = None
        self._recent = RecentBroadcasts()
        self._supervisor: actors.Ref[Any] | None = None

    @classmethod
    def of(cls, system: actors.ActorSystem | None = None) -> PubSubManager:
        """The manager of ``system`` (default: :func:`actors.current_system`),
        created on first use.

        Raises:
            TypeError: ``system`` is not an :class:`~actors.ActorSystem`.
        """
        # An explicit system skips the resolver (its isinstance check imports
        # per call: ~1.5 us, the whole cost of a small broadcast).
        if system.__class__ is not actors.ActorSystem:
            system = resolve_system(system)
        manager = system.extensions.get(_EXTENSION)
        if manager is not None:
            return manager  # type: ignore[no-any-return]
        with _CREATE_LOCK:
            manager = system.extensions.get(_EXTENSION)
            if manager is None:
                manager = system.extensions[_EXTENSION] = cls(system)
            return manager

    def use_adapter(self, adapter: Adapter) -> None:
        """Carry broadcasts to other nodes through ``adapter`` (a cluster
        layer installs its own when the system joins a cluster).

        Raises:
            RuntimeError: instances exist already (they hold the old adapter).
        """
        with self._lock:
            if self._instances:
                msg = "use_adapter() must come before any pub/sub instance is created"
                raise RuntimeError(msg)
            self.adapter = adapter

    def __repr__(self) -> str:
        return f"<PubSubManager of {self.system.name!r}: {sorted(self._instances)}>"

    # What applications install --------------------------------------------------------

    def set_defaults(self, defaults: Mapping[str, InstanceConfig]) -> None:
        """The configuration instances of these names get when they are
        created without options (options given to :meth:`ensure` apply on
        top). Instances that exist already keep theirs."""
        for name, config in defaults.items():
            if not isinstance(config, InstanceConfig):
                msg = f"defaults[{name!r}] must be an InstanceConfig, got {config!r}"
                raise TypeError(msg)
        with self._lock:
            self._defaults.update(defaults)

    def defaults(self, name: str) -> InstanceConfig:
        """The configuration a new instance called ``name`` would get."""
        return self._defaults.get(name, InstanceConfig())

    def set_hooks(self, factory: HooksFactory | None) -> None:
        """``factory(name, config) -> InstanceHooks`` gives the hooks of
        instances created from now on without ``hooks=`` (``None``: none)."""
        with self._lock:
            self._hooks = factory

    # Looking up ----------------------------------------------------------------------

    def get(self, name: str) -> PubSub | None:
        """The instance called ``name`` if it was ever created (running or not)."""
        return self._instances.get(name)

    def instances(self) -> dict[str, PubSub]:
        """Every instance created so far, by name."""
        with self._lock:
            return dict(self._instances)

    def _handle(self, name: str, hooks: InstanceHooks | None, config: dict[str, Any]) -> PubSub:
        if not isinstance(name, str) or not name:
            msg = f"a pub/sub instance name must be a non-empty str, got {name!r}"
            raise ValueError(msg)
        if hooks is not None and not isinstance(hooks, InstanceHooks):
            msg = f"hooks must be an InstanceHooks, got {type(hooks).__name__}"
            raise TypeError(msg)
        handle = self._instances.get(name)
        if handle is None:
            merged = self.defaults(name).merged(**config)
            if hooks is None and self._hooks is not None:
                hooks = self._hooks(name, merged)
            handle = PubSub(name, merged, self.system, self.adapter, hooks, self._recent)
            self._instances[name] = handle
        elif config and handle.config != handle.config.merged(**config):
            logger.warning(
                "pub/sub %s already exists with %r; ignoring the new options %r",
                name,
                handle.config,
                config,
            )
        return handle

    # Starting ------------------------------------------------------------------------

    def ensure(self, name: str, *, hooks: InstanceHooks | None = None, **config: Any) -> PubSub:
        """The running instance called ``name``, started (under the manager's
        supervisor) if it is not running. Options (``mailbox_limit``,
        ``overflow``, ``block_timeout``, ``secure``) and ``hooks`` apply on
        creation, over the installed defaults for ``name``.

        Raises:
            ValueError: a bad name or option; ``secure=True`` without a verifier.
            TypeError: an unknown option.
        """
        with self._lock:
            handle = self._handle(name, hooks, config)
            if not handle.running and handle.state != "restarting":
                sv.start_child(
                    self._supervisor_ref(),
                    sv.child_spec(name, PubSubServer, handle, name=name, backoff=RESTART_BACKOFF),
                    timeout=30,
                )
            return handle

    def start_link_instance(
        self, name: str, *, hooks: InstanceHooks | None = None, **config: Any
    ) -> actors.Ref[Any] | None:
        """Start function for a supervisor's child spec.

        Starts the instance linked to the calling actor (the supervisor),
        which then owns it; returns ``None`` if it is already running under
        another owner, so the caller's child is kept as ignored.
        """
        with self._lock:
            handle = self._handle(name, hooks, config)
            if handle.running:
                return None
            return PubSubServer.start_link(handle, name=name, system=self.system)

    def stop(self, name: str, timeout: float = 5.0) -> None:
        """Stop an instance. One the manager owns stays stopped; one a
        supervisor owns is restarted by it (OTP), so stop that one through
        its supervisor instead."""
        handle = self._instances.get(name)
        if handle is None:
            return
        ref = handle.ref if handle.ref is not None else handle.last_ref
        supervisor = self._supervisor
        if ref is not None and supervisor is not None and supervisor.is_alive():
            try:
                sv.terminate_child(supervisor, ref, timeout=timeout + 1)
                return
            except sv.NotFound:
                pass  # not ours: owned by a supervisor's tree
        ref = handle.ref
        if ref is not None:
            actors.stop(ref, "shutdown", timeout)

    @property
    def supervisor(self) -> actors.Ref[Any]:
        """The :class:`~supervision.DynamicSupervisor` that owns the instances
        started by :meth:`ensure` (started on first use)."""
        with self._lock:
            return self._supervisor_ref()

    def _supervisor_ref(self) -> actors.Ref[Any]:
        supervisor = self._supervisor
        if supervisor is None or not supervisor.is_alive():
            supervisor = self._supervisor = sv.DynamicSupervisor.start(
                max_restarts=100, max_seconds=5, system=self.system
            )
        return supervisor
