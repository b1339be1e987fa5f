"""PubSubManager: the one registry of pub/sub instances of an actor system.

``ensure(name)`` is an atomic get-or-create under one lock, so two
supervisors (or threads) starting the same instance at the same moment get
the same instance — the race the original ``maybe_child_spec`` has. Who owns
an instance is explicit: a supervisor that starts it through
:meth:`PubSubManager.start_link_instance` (its child-spec start function), or
else the manager's own :class:`~supervision.DynamicSupervisor`, which
restarts a crashing instance with backoff and never abandons it. A second
owner gets ``None`` (OTP's ``ignore``) and so stopping it stops nothing shared.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Final

import actors
import supervision as sv
from actors import Error, Ok, messages
from actors.lowlevel import resolve_system
from actors.pubsub import instances
from actors.pubsub._adapter import Adapter, LocalAdapter
from actors.pubsub._config import InstanceConfig
from actors.pubsub._instance import PubSub, PubSubServer
from actors.pubsub.instances import DEFAULTS

__all__ = ["PubSubManager"]

logger = logging.getLogger("actors.pubsub")

_EXTENSION: Final = "actors.pubsub.manager"
_CREATE_LOCK = threading.Lock()

RESTART_BACKOFF: Final = sv.Backoff(0.05, 5.0, 0.2)
"""How the manager's supervisor spaces the restarts of a crashing instance:
from 50 ms, doubling, at most 5 s apart, so it is restarted for as long as
it keeps crashing without ever exhausting the supervisor's intensity."""


class PubSubManager:
    """Registry of the pub/sub instances of one actor system (D5: a system
    owns its manager). Get it with :meth:`of`; thread-safe."""

    def __init__(self, system: actors.ActorSystem, adapter: Adapter | None = None) -> None:
        self.system = system
        self.adapter: Adapter = adapter if adapter is not None else LocalAdapter(system.node)
        self._lock = threading.RLock()
        self._instances: dict[str, PubSub] = {}
        self._supervisor: actors.Ref[Any] | None = None

    @classmethod
    def of(cls, system: actors.ActorSystem | None = None) -> PubSubManager:
        """The manager of ``system`` (default: :func:`actors.current_system`),
        created on first use.

        Raises:
            TypeError: ``system`` is not an :class:`~actors.ActorSystem`.
        """
        system = resolve_system(system)
        with _CREATE_LOCK:
            manager = system.extensions.get(_EXTENSION)
            if manager is None:
                manager = system.extensions[_EXTENSION] = cls(system)
            return manager

    def __repr__(self) -> str:
        return f"<PubSubManager of {self.system.name!r}: {sorted(self._instances)}>"

    # Looking up ----------------------------------------------------------------------

    def get(self, name: str) -> PubSub | None:
        """The instance called ``name`` if it was ever created (running or not)."""
        return self._instances.get(name)

    def instances(self) -> dict[str, PubSub]:
        """Every instance created so far, by name."""
        with self._lock:
            return dict(self._instances)

    def _handle(self, name: str, config: dict[str, Any]) -> PubSub:
        if not isinstance(name, str) or not name:
            msg = f"a pub/sub instance name must be a non-empty str, got {name!r}"
            raise ValueError(msg)
        handle = self._instances.get(name)
        if handle is None:
            base = DEFAULTS.get(name, InstanceConfig())
            handle = PubSub(name, base.merged(**config), self.system, self.adapter)
            if handle.config.secure:
                handle.verifier = _secure_verifier(name, self.system)
                handle.on_forgery = self._forgery_reporter(name)
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

    def ensure(self, name: str, **config: Any) -> PubSub:
        """The running instance called ``name``, started (under the manager's
        keeper) if it is not running. Options (``mailbox_limit``,
        ``overflow``, ``block_timeout``, ``secure``) apply on creation;
        defaults come from :data:`actors.pubsub.instances.DEFAULTS` for the
        ten gater instances."""
        with self._lock:
            handle = self._handle(name, config)
            if not handle.running and handle.state != "restarting":
                sv.start_child(
                    self._supervisor_ref(),
                    sv.child_spec(
                        name, PubSubServer, handle, name=name, backoff=RESTART_BACKOFF
                    ),
                    timeout=30,
                )
            return handle

    def start_link_instance(self, name: str, **config: Any) -> actors.Ref[Any] | None:
        """Start function for a supervisor's child spec.

        Starts the instance linked to the calling actor (the supervisor),
        which then owns it; returns ``None`` if it is already running under
        another owner, so the caller's child is kept as ignored.
        """
        with self._lock:
            handle = self._handle(name, config)
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

    def _forgery_reporter(self, name: str) -> Callable[[str, Any], None]:
        """Report refused envelopes as AccessViolations on the security instance."""

        def report(topic: str, reason: Any) -> None:
            security = self._instances.get(instances.SECURITY)
            if security is None or security.stopped:
                return
            violation = messages.new(
                messages.AccessViolation,
                "invalid_token",
                f"{name}:{topic}",
                "accept_external",
                severity="high",
                metadata={"instance": name, "topic": topic, "reason": str(reason)},
                system=self.system,
            )
            # Local delivery only: never through accept_external, so a refused
            # report cannot trigger another report.
            security.local_broadcast("access_violations", (violation.TAG, violation))

        return report

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


def _secure_verifier(name: str, system: actors.ActorSystem) -> Callable[[Any, str], Ok | Error]:
    """``verify(raw, topic)`` for one secure instance, with its own nonce cache
    (so a replay to this receiver is refused)."""
    cache = messages.NonceCache()

    def verify(raw: Any, topic: str) -> Ok | Error:
        status, detail = messages.validate_secure_message(
            raw, system=system, nonce_cache=cache, instance=name, topic=topic
        )
        return Ok(detail) if status == "ok" else Error(detail)

    return verify
