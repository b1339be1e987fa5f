"""A pub/sub instance: the handle users hold, and the actor that keeps its table.

:class:`PubSub` is stable for the life of the actor system: it holds the
subscription table, the counters and the delivery policy. Broadcasts run in
the publisher's thread against the table's cached, immutable target tuples
(D8, like Phoenix.PubSub dispatching in the caller). Subscribing,
unsubscribing and dropping the subscriptions of exited subscribers go through
the instance actor, :class:`PubSubServer`, which monitors every subscriber.
When that actor is restarted the new incarnation adopts the same table and
monitors the subscribers again, so subscriptions survive the restart; while no
incarnation runs, broadcasts still reach the existing subscribers.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any, Final

import actors
from actors import Error, Ok, is_normal_exit
from actors.lowlevel import (
    DELIVERED,
    DROPPED,
    FULL,
    REJECTED,
    REPLACED,
    TIMEOUT,
    MonitorRef,
    Process,
    current_process,
    process_of,
)
from actors.pubsub._adapter import Adapter, LocalAdapter
from actors.pubsub._config import InstanceConfig
from actors.pubsub._errors import NoInstance
from actors.pubsub._stats import InstanceCounters, InstanceStatistics
from actors.pubsub._table import Subscription, SubscriptionTable
from actors.pubsub._topics import InvalidTopic, is_pattern, validate_pattern, validate_topic

__all__ = ["PubSub", "PubSubServer"]

logger = logging.getLogger("actors.pubsub")

RESTART_WAIT: Final = 2.0
"""Real seconds a subscribe waits for a restarting instance actor."""

RECENT_LIMIT: Final = 65_536
"""Broadcast messages an instance with ``drop_oldest`` subscribers remembers
(by identity, not by copy), so that it can recognise its own messages in a
full mailbox and take the oldest back. A queued message older than that is
no longer recognised: the new message is then dropped instead (and counted)."""

_DEFAULT: Final[Any] = object()


class PubSub:
    """A named pub/sub instance of an actor system (get it from
    :meth:`PubSubManager.ensure`). Thread-safe."""

    def __init__(
        self, name: str, config: InstanceConfig, system: actors.ActorSystem, adapter: Adapter
    ) -> None:
        self.name = name
        self.config = config
        self.system = system
        self.adapter = adapter
        self.table = SubscriptionTable()
        self.counters = InstanceCounters()
        self.stopped = False
        self._server: actors.Ref[Any] | None = None
        self._last: actors.Ref[Any] | None = None
        self._incarnations = 0
        self._cond = threading.Condition()
        self._started = system.clock.monotonic()
        self.verifier: Callable[[Any, str], Ok | Error] | None = None
        """``verifier(raw, topic)`` checks a signed envelope (``secure=True``)."""
        self.on_forgery: Callable[[str, Any], None] | None = None
        """Called with ``(topic, reason)`` for each envelope the verifier refused."""
        # A single node has nobody to forward to: skip the adapter call.
        self._remote = not isinstance(adapter, LocalAdapter)
        # id(message) -> (message, topic) of recent broadcasts (drop_oldest).
        self._recent: dict[int, tuple[Any, str]] = {}
        self._recent_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<PubSub {self.name!r} {self.state}>"

    # State --------------------------------------------------------------------------

    @property
    def ref(self) -> actors.Ref[Any] | None:
        """The current instance actor, if one is running."""
        server = self._server
        return server if server is not None and server.is_alive() else None

    @property
    def running(self) -> bool:
        return self.ref is not None

    @property
    def state(self) -> str:
        if self.running:
            return "running"
        return "stopped" if self.stopped or self._incarnations == 0 else "restarting"

    @property
    def last_ref(self) -> actors.Ref[Any] | None:
        """The latest incarnation of the instance actor, alive or not."""
        return self._last

    def attach(self, server: actors.Ref[Any]) -> None:
        """A new incarnation of the instance actor took over (its thread)."""
        with self._cond:
            if self._incarnations:
                self.counters.add_restart()
            self._incarnations += 1
            self._server = server
            self._last = server
            self.stopped = False
            self._cond.notify_all()

    def detach(self, server: actors.Ref[Any], reason: Any) -> None:
        """The incarnation ``server`` is exiting with ``reason`` (its thread)."""
        with self._cond:
            if self._server is server:
                self._server = None
                # A normal exit is a deliberate stop: broadcasts then report
                # Error("no_instance"). A crash keeps delivering to the
                # existing subscribers until the next incarnation arrives.
                self.stopped = is_normal_exit(reason)
            self._cond.notify_all()

    def _current_server(self) -> actors.Ref[Any]:
        deadline = time.monotonic() + RESTART_WAIT
        with self._cond:
            while True:
                server = self.ref
                if server is not None:
                    return server
                if self.stopped or self._incarnations == 0:
                    raise NoInstance(self.name)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise NoInstance(self.name)
                with actors.blocking():
                    self._cond.wait(remaining)

    # Subscribing --------------------------------------------------------------------

    def subscribe(
        self,
        topic: str | None = None,
        subscriber: Any = None,
        metadata: Any = None,
        *,
        pattern: str | re.Pattern[str] | None = None,
        mailbox_limit: int | None = _DEFAULT,
        overflow: str | None = None,
        block_timeout: float | None = None,
    ) -> None:
        """Subscribe ``subscriber`` (default: the calling actor) to ``topic``.

        ``topic`` may be a wildcard pattern (``"subscription_health:*"``);
        ``pattern=re.compile(...)`` subscribes with a regular expression
        matched against whole topics. Subscribing twice delivers twice
        (Phoenix). ``mailbox_limit``/``overflow``/``block_timeout`` override
        the instance's policy for this subscription (``mailbox_limit=None``:
        unbounded). Returns once the subscription is visible to every later
        broadcast.

        Raises:
            InvalidTopic: empty, non-string or malformed topic or pattern.
            NoInstance: the instance is not running.
            ValueError: bad policy options; no subscriber outside an actor.
        """
        key = _subscription_key(topic, pattern)
        proc = _subscriber_process(subscriber, self.system)
        config = self.config.merged(
            **{
                k: v
                for k, v in (
                    ("mailbox_limit", mailbox_limit),
                    ("overflow", overflow),
                    ("block_timeout", block_timeout),
                )
                if v is not None and v is not _DEFAULT
            }
        )
        limit = config.mailbox_limit if mailbox_limit is _DEFAULT else mailbox_limit
        sub = Subscription(proc, key, metadata, limit, config.overflow, config.block_timeout)
        actors.call(self._current_server(), ("subscribe", sub))

    def unsubscribe(
        self,
        topic: str | None = None,
        subscriber: Any = None,
        *,
        pattern: str | re.Pattern[str] | None = None,
    ) -> int:
        """Remove every subscription of ``subscriber`` to ``topic`` (or
        ``pattern``); returns how many there were (0 is fine, as in Phoenix)."""
        key = _subscription_key(topic, pattern)
        proc = _subscriber_process(subscriber, self.system)
        removed: int = actors.call(self._current_server(), ("unsubscribe", proc, key))
        return removed

    def subscribers(self, topic: str) -> list[tuple[Any, Any]]:
        """``(subscriber ref, metadata)`` of everyone a broadcast on ``topic``
        reaches right now."""
        validate_topic(topic)
        return [(sub.ref, sub.metadata) for sub in self.table.targets(topic).subs]

    # Broadcasting ------------------------------------------------------------------

    def broadcast(self, topic: str, message: Any, *, wait: bool = True) -> Ok | Error:
        """Send ``message`` to every subscriber of ``topic`` on every node.

        The adapter forwards to the other nodes first; an adapter error skips
        the local delivery (Phoenix). Never raises: see :meth:`local_broadcast`.
        """
        return self._broadcast(topic, message, None, True, wait)

    def broadcast_from(
        self, sender: Any, topic: str, message: Any, *, wait: bool = True
    ) -> Ok | Error:
        """Like :meth:`broadcast`, but not to ``sender`` (on this node)."""
        return self._broadcast(topic, message, sender, True, wait)

    def local_broadcast(self, topic: str, message: Any, *, wait: bool = True) -> Ok | Error:
        """Send ``message`` to this node's subscribers of ``topic``.

        Returns ``Ok(delivered=n)`` (plus ``dropped=``/``dead=`` counts when
        non-zero), ``Error("no_instance")`` if the instance was stopped,
        ``Error("timeout", ...)`` if a blocking delivery ran out of time,
        ``Error("mailbox_full", ...)`` if the reject policy refused one, or
        ``Error("invalid_topic")``. It never raises into the publisher;
        failures are logged and counted.

        ``wait=False`` is for publishers that must never wait (a logging
        handler, a signal handler): a full mailbox whose policy is ``block``
        gets nothing from this broadcast, counted as dropped.
        """
        return self._broadcast(topic, message, None, False, wait)

    def local_broadcast_from(
        self, sender: Any, topic: str, message: Any, *, wait: bool = True
    ) -> Ok | Error:
        return self._broadcast(topic, message, sender, False, wait)

    def direct_broadcast(self, node: str, topic: str, message: Any) -> Ok | Error:
        """Send to the subscribers on ``node`` only (this node: a local broadcast)."""
        try:
            if node == self.adapter.node_name():
                return self.local_broadcast(topic, message)
            validate_topic(topic)
            return self.adapter.direct_broadcast(node, self.name, topic, message)
        except Exception as exc:
            logger.exception("pub/sub %s: direct broadcast to %s failed", self.name, node)
            return Error(exc)

    def _broadcast(
        self, topic: str, message: Any, sender: Any, remote: bool, wait: bool
    ) -> Ok | Error:
        try:
            if topic.__class__ is not str or not topic or is_pattern(topic):
                return self._invalid(topic)
            if self.stopped:
                return Error("no_instance")
            if remote and self._remote:
                sent = self.adapter.broadcast(self.name, topic, message)
                if not sent:
                    logger.warning("pub/sub %s: adapter broadcast failed: %r", self.name, sent)
                    return sent
            exclude = None if sender is None else _process_of(sender, self.system)
            return self.dispatch(topic, message, exclude, wait)
        except Exception as exc:
            logger.exception("pub/sub %s: broadcast on %r failed", self.name, topic)
            self.counters.record(str(topic), 0, 0, 1, 0, 0)
            return Error(exc)

    def _invalid(self, topic: Any) -> Error:
        logger.warning("pub/sub %s: cannot broadcast on topic %r", self.name, topic)
        return Error("invalid_topic", topic=topic)

    def dispatch(
        self, topic: str, message: Any, exclude: Process | None = None, wait: bool = True
    ) -> Ok | Error:
        """The fan-out, in the publisher's thread. ``topic`` is trusted here."""
        targets = self.table.targets(topic)
        if exclude is None:
            pushes = targets.pushes
            if pushes is not None:
                # Every subscriber is unbounded: just push.
                dead = 0
                for push in pushes:
                    if not push(message):
                        dead += 1
                if dead:
                    self.counters.record(topic, len(pushes) - dead, 0, 0, 0, dead)
                    return Ok(delivered=len(pushes) - dead, dead=dead)
                self.counters.delivered(topic, len(pushes))
                return delivered_ok(len(pushes))
        if targets.evicting:
            self._remember(message, topic)
        delivered = replaced = dropped = failed = rejected = dead = 0
        deadline: float | None = None
        for push, offer, limit, sub in targets.plan:
            if exclude is not None and sub.proc is exclude:
                continue
            if offer is None:
                if push(message):
                    delivered += 1
                else:
                    dead += 1
                continue
            outcome = offer(message, limit)
            if outcome is DELIVERED:
                delivered += 1
                continue
            if outcome is FULL:
                outcome, deadline = self._overflow(sub, message, deadline, wait)
            if outcome is DELIVERED:
                delivered += 1
            elif outcome is REPLACED:
                delivered += 1
                replaced += 1  # the older message was booked as dropped by _on_evict
            elif outcome is DROPPED:
                dropped += 1
            elif outcome is TIMEOUT:
                failed += 1
            elif outcome is REJECTED:
                rejected += 1
            else:
                dead += 1
        if dropped or failed or rejected or dead:
            self.counters.record(topic, delivered, dropped, failed, rejected, dead)
        else:
            self.counters.delivered(topic, delivered)
        if rejected:
            logger.warning(
                "pub/sub %s: %d full mailbox(es) rejected %r", self.name, rejected, topic
            )
            return Error("mailbox_full", delivered=delivered, rejected=rejected)
        if failed:
            logger.warning(
                "pub/sub %s: %d delivery(ies) on %r timed out waiting for room",
                self.name,
                failed,
                topic,
            )
            return Error("timeout", delivered=delivered, failed=failed)
        if dropped or replaced or dead:
            details = {"dropped": dropped + replaced} if dropped or replaced else {}
            if dead:
                details["dead"] = dead
            return Ok(delivered=delivered, **details)
        return delivered_ok(delivered)

    def _overflow(
        self, sub: Subscription, message: Any, deadline: float | None, wait: bool
    ) -> tuple[str, float | None]:
        """A full subscriber mailbox: apply the subscription's policy."""
        offer = sub.offer
        assert offer is not None
        policy = sub.overflow
        if policy == "block":
            if not wait:
                return DROPPED, deadline  # the publisher asked never to wait
            # One deadline for the whole broadcast: block_timeout bounds how
            # long the publisher waits in all, not per full subscriber.
            now = time.monotonic()
            if deadline is None:
                deadline = now + sub.block_timeout
            return offer(message, sub.limit, "block", deadline - now), deadline
        if policy == "drop_oldest":
            outcome = offer(
                message, sub.limit, "drop_oldest", evictable=self._is_own, on_evict=self._on_evict
            )
            return outcome, deadline
        return offer(message, sub.limit, policy), deadline

    def _remember(self, message: Any, topic: str) -> None:
        """Note a broadcast's message so drop_oldest can recognise it later."""
        recent = self._recent
        key = id(message)
        with self._recent_lock:
            recent.pop(key, None)
            recent[key] = (message, topic)
            if len(recent) > RECENT_LIMIT:
                del recent[next(iter(recent))]

    def _is_own(self, item: Any) -> bool:
        entry = self._recent.get(id(item))
        return entry is not None and entry[0] is item

    def _on_evict(self, item: Any) -> None:
        entry = self._recent.get(id(item))
        self.counters.evicted(entry[1] if entry is not None else "<unknown topic>")

    # Messages from outside the process (verified when secure) ----------------------

    def accept_external(self, topic: str, raw: Any) -> Ok | Error:
        """Deliver a message that arrived from outside the process (the
        adapter boundary, D11).

        On a ``secure=True`` instance ``raw`` must be a signed envelope (a
        :class:`~actors.messages.SecureMessage` or its wire bytes) for this
        instance and ``topic``: forged, replayed or expired envelopes are
        dropped, counted (``statistics().forged``) and reported as an
        ``AccessViolation`` on ``ex_esdb_security``; the result is then
        ``Error(reason)`` with the verifier's reason. Local subscribers
        receive the plain ``(tag, payload)`` tuple. On other instances
        ``raw`` is delivered as it is. Never raises.
        """
        try:
            if not self.config.secure:
                return self.local_broadcast(topic, raw)
            verifier = self.verifier
            if verifier is None:
                return Error("no_verifier")
            verified = verifier(raw, topic)
            if not verified:
                self.counters.add_forged()
                logger.warning(
                    "pub/sub %s: refused an external message on %r: %s",
                    self.name,
                    topic,
                    verified.reason,
                )
                if self.on_forgery is not None:
                    self.on_forgery(topic, verified.reason)
                return verified
            return self.local_broadcast(topic, verified.value)
        except Exception as exc:
            logger.exception("pub/sub %s: accepting an external message failed", self.name)
            return Error(exc)

    def broadcast_signed(self, topic: str, message: tuple[str, Any]) -> Ok | Error:
        """Sign ``(tag, payload)`` with the system's secret and deliver it as
        if it had crossed the process boundary (:meth:`accept_external`).

        ``Error("no_secret_configured")`` without a secret. Never raises.
        """
        from actors.messages import NoSecretError, sign, to_wire

        try:
            envelope = to_wire(sign(message, instance=self.name, topic=topic, system=self.system))
        except NoSecretError:
            return Error("no_secret_configured")
        except Exception as exc:
            logger.exception("pub/sub %s: signing a message on %r failed", self.name, topic)
            return Error(exc)
        return self.accept_external(topic, envelope)

    # Statistics ----------------------------------------------------------------------

    def statistics(self) -> InstanceStatistics:
        subs = self.table.all_subscriptions()
        procs = {sub.proc for sub in subs}
        largest = max((proc.queue_len() for proc in procs), default=0)
        totals = self.counters.totals()
        return InstanceStatistics(
            name=self.name,
            state=self.state,
            subscriptions=len(subs),
            subscribers=len(procs),
            published=totals[0],
            delivered=totals[1],
            dropped=totals[2],
            failed=totals[3],
            rejected=totals[4],
            dead=totals[5],
            dead_cleaned=self.counters.dead_cleaned,
            publish_rate=self.counters.rate(
                totals[0], self.system.clock.monotonic(), self._started
            ),
            largest_mailbox=largest,
            per_topic=self.counters.per_topic(),
            restarts=self.counters.restarts,
            forged=self.counters.forged,
        )


class PubSubServer(actors.GenServer):
    """The actor of one instance: adopts its table, monitors subscribers.

    Registered under the instance name, so ``actors.whereis("ex_esdb_health")``
    finds it. Traps exits so that its supervisor's shutdown runs ``terminate``
    (which tells the handle it stopped).
    """

    def init(self, handle: PubSub) -> None:
        self.trap_exits = True
        self.handle = handle
        self.watched: dict[Process, MonitorRef] = {}
        self.watching: dict[MonitorRef, Process] = {}
        for proc in handle.table.subscribers():
            self._watch(proc)
        handle.attach(self.ref)

    def _watch(self, proc: Process) -> None:
        if proc not in self.watched:
            mref = actors.monitor(proc)
            self.watched[proc] = mref
            self.watching[mref] = proc

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("subscribe", Subscription() as sub):
                if self.handle.table.add(sub):
                    self._watch(sub.proc)
                return None
            case ("unsubscribe", proc, key):
                removed, gone = self.handle.table.remove(proc, key)
                if gone and proc in self.watched:
                    mref = self.watched.pop(proc)
                    self.watching.pop(mref, None)
                    actors.demonitor(mref)
                return removed
        return super().handle_call(request, caller)

    def handle_info(self, message: Any) -> None:
        match message:
            case ("DOWN", mref, "process", _, _):
                proc = self.watching.pop(mref, None)
                if proc is not None:
                    self.watched.pop(proc, None)
                    removed, _ = self.handle.table.remove(proc, None)
                    self.handle.counters.add_cleaned(removed)
            case ("EXIT", _, _):
                pass  # a link from whoever started us; our parent is handled by the core
            case _:
                super().handle_info(message)

    def terminate(self, reason: Any) -> None:
        self.handle.detach(self.ref, reason)


_DELIVERED: list[Ok] = [Ok(delivered=n) for n in range(1024)]


def delivered_ok(n: int) -> Ok:
    """``Ok(delivered=n)``, shared for small ``n`` (results are immutable)."""
    return _DELIVERED[n] if n < 1024 else Ok(delivered=n)


def _subscription_key(
    topic: str | None, pattern: str | re.Pattern[str] | None
) -> str | re.Pattern[str]:
    if (topic is None) == (pattern is None):
        msg = "give exactly one of topic or pattern"
        raise InvalidTopic(msg)
    if pattern is not None:
        return validate_pattern(pattern)
    assert topic is not None
    validate_topic(topic)
    return validate_pattern(topic) if is_pattern(topic) else topic


def _subscriber_process(subscriber: Any, system: actors.ActorSystem) -> Process:
    if subscriber is None:
        proc = current_process()
        if proc is None:
            msg = (
                "subscribe() outside an actor needs subscriber= "
                "(a Ref, a registered name or a Probe)"
            )
            raise ValueError(msg)
        return proc
    found = _process_of(subscriber, system)
    if found is None or not found.alive:
        raise actors.NoProcError(subscriber, "cannot subscribe an actor that is not running")
    return found


def _process_of(target: Any, system: actors.ActorSystem) -> Process | None:
    return process_of(target, system)
