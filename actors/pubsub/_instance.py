"""A pub/sub instance: the handle users hold, and the actor that watches subscribers.

:class:`PubSub` is stable for the life of the actor system: it holds the
subscription table, the counters, the delivery policy and the hooks.
Broadcasts run in the publisher's thread against the table's cached,
immutable per-topic plans (Phoenix.PubSub dispatches in the caller too).
Subscribing and unsubscribing write the table in the caller's thread, so
they never wait for the instance actor and never fail because it is being
restarted. The instance actor, :class:`PubSubServer`, monitors every
subscriber and drops the subscriptions of those that exit. When it is
restarted the new incarnation monitors the table's subscribers again, so
subscriptions survive the restart; while no incarnation runs, broadcasts
still reach the existing subscribers.
"""

from __future__ import annotations

import logging
import re
import threading
import time
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
from actors.pubsub._hooks import InstanceHooks, SubscriberStalled
from actors.pubsub._recent import RecentBroadcasts
from actors.pubsub._stats import InstanceCounters, InstanceStatistics
from actors.pubsub._table import Policy, Subscription, SubscriptionTable, Targets
from actors.pubsub._topics import InvalidTopic, validate_pattern, validate_subscription

__all__ = ["PubSub", "PubSubServer"]

logger = logging.getLogger("actors.pubsub")

_DEFAULT: Final[Any] = object()
_WATCH: Final = "actors.pubsub.watch"
_SYNC: Final = "actors.pubsub.sync"


class PubSub:
    """A named pub/sub instance of an actor system (get it from
    :meth:`PubSubManager.ensure`). Thread-safe."""

    def __init__(
        self,
        name: str,
        config: InstanceConfig,
        system: actors.ActorSystem,
        adapter: Adapter,
        hooks: InstanceHooks | None = None,
        recent: RecentBroadcasts | None = None,
    ) -> None:
        hooks = hooks if hooks is not None else InstanceHooks()
        if config.secure and hooks.verifier is None:
            msg = (
                f"pub/sub instance {name!r} is secure=True but has no verifier: pass "
                "hooks=InstanceHooks(verifier=...) or install a hooks factory "
                "(actors.gater.install(system) installs the message catalogue's)"
            )
            raise ValueError(msg)
        self.name = name
        self.config = config
        self.system = system
        self.adapter = adapter
        self.hooks = hooks
        # Subscriber processes found stalled -> messages they missed since.
        self._stalled: dict[Process, list[int]] = {}
        self._stall_lock = threading.Lock()
        self.table = SubscriptionTable(self._stalled)
        self.counters = InstanceCounters()
        self._counters_lock = self.counters.lock
        self.stopped = False
        self._server: actors.Ref[Any] | None = None
        self._last: actors.Ref[Any] | None = None
        self._incarnations = 0
        self._cond = threading.Condition()
        self._started = system.clock.monotonic()
        # A single node has nobody to forward to: skip the adapter call.
        self._remote = not isinstance(adapter, LocalAdapter)
        self._recent = recent if recent is not None else RecentBroadcasts()

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

    def _watch(self, proc: Process) -> None:
        """Ask the instance actor to (re)consider monitoring ``proc``. A new
        incarnation monitors every subscriber in the table anyway, so a
        request lost with a dying incarnation is made up for."""
        server = self.ref
        if server is not None:
            actors.cast(server, (_WATCH, proc))

    def sync(self, timeout: float = 5.0) -> bool:
        """Wait until the instance actor has handled everything sent to it
        before (the cleanup of subscribers that exited, in particular).
        Returns ``False`` if no incarnation is running or it did not answer
        within ``timeout``."""
        server = self.ref
        if server is None:
            return False
        try:
            actors.call(server, (_SYNC,), timeout=timeout)
        except (actors.CallError, actors.NoProcError):
            return False
        return True

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
        unbounded). Runs in the caller's thread and returns once the
        subscription is visible to every later broadcast; it does not wait
        for the instance actor, so it works while that is being restarted.

        Raises:
            InvalidTopic: empty, non-string or malformed topic or pattern.
            NoInstance: the instance was stopped (or never started).
            NoProcError: the subscriber is not running.
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
        if self.stopped or self._incarnations == 0:
            raise NoInstance(self.name)
        limit = config.mailbox_limit if mailbox_limit is _DEFAULT else mailbox_limit
        sub = Subscription(proc, key, metadata, limit, config.overflow, config.block_timeout)
        if self.table.add(sub):
            self._watch(proc)

    def unsubscribe(
        self,
        topic: str | None = None,
        subscriber: Any = None,
        *,
        pattern: str | re.Pattern[str] | None = None,
    ) -> int:
        """Remove every subscription of ``subscriber`` to ``topic`` (or
        ``pattern``); returns how many there were. 0 is fine, as in Phoenix,
        also for a subscriber that has exited or a name nobody holds."""
        key = _subscription_key(topic, pattern)
        if subscriber is None:
            proc = _subscriber_process(None, self.system)
        else:
            found = process_of(subscriber, self.system)
            if found is None:
                return 0
            proc = found
        removed, gone = self.table.remove(proc, key)
        if removed and gone:
            self._watch(proc)  # the actor demonitors it if it still has none
        return removed

    def subscribers(self, topic: str) -> list[tuple[Any, Any]]:
        """``(subscriber ref, metadata)`` of everyone a broadcast on ``topic``
        reaches right now.

        Raises:
            InvalidTopic: ``topic`` cannot be broadcast on.
        """
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
        non-zero), or an ``Error`` whose details count every outcome
        (``delivered``, and ``dropped``/``dead`` when non-zero) and say what
        was not delivered:
        ``Error("timeout", delivered=, failed=, undelivered=(refs...))`` if a
        ``block`` subscriber had no room within ``block_timeout`` (or is
        stalled), ``Error("mailbox_full", delivered=, rejected=,
        undelivered=...)`` if a ``reject`` subscriber was full,
        ``Error("no_instance")`` if the instance was stopped,
        ``Error("invalid_topic", topic=...)``. It never raises into the
        publisher; failures are logged and counted.

        ``wait=False`` is for publishers that must never wait (a logging
        handler, a signal handler): a full mailbox whose policy is ``block``
        gets nothing from this broadcast, counted and reported as dropped.
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
            self.table.targets(topic)  # validates it
            return self.adapter.direct_broadcast(node, self.name, topic, message)
        except InvalidTopic:
            return self._invalid(topic)
        except Exception as exc:
            logger.exception("pub/sub %s: direct broadcast to %s failed", self.name, node)
            return Error(exc)

    def _broadcast(
        self, topic: str, message: Any, sender: Any, remote: bool, wait: bool
    ) -> Ok | Error:
        try:
            if self.stopped:
                return Error("no_instance")
            try:
                targets = self.table.targets(topic)
            except InvalidTopic:
                return self._invalid(topic)
            if remote and self._remote:
                sent = self.adapter.broadcast(self.name, topic, message)
                if not sent:
                    logger.warning("pub/sub %s: adapter broadcast failed: %r", self.name, sent)
                    return sent
            exclude = None if sender is None else process_of(sender, self.system)
            return self.dispatch(topic, message, exclude, wait, targets)
        except Exception as exc:
            logger.exception("pub/sub %s: broadcast on %r failed", self.name, topic)
            self.counters.record(str(topic), 0, 0, 1, 0, 0)
            return Error(exc)

    def _invalid(self, topic: Any) -> Error:
        logger.warning("pub/sub %s: cannot broadcast on topic %r", self.name, topic)
        return Error("invalid_topic", topic=topic)

    def dispatch(
        self,
        topic: str,
        message: Any,
        exclude: Process | None = None,
        wait: bool = True,
        targets: Targets | None = None,
    ) -> Ok | Error:
        """The fan-out, in the publisher's thread. ``topic`` is trusted here.

        Every subscriber with room gets the message in one pass; the few
        without room are then handled by their policy (so a ``block`` wait
        delays nobody else's delivery). Per delivery the pass costs one
        ``len()`` and one mailbox append, nothing allocated: measured with
        the consumers held, 0.19 us against 0.23 us for ``actors.send`` to
        the same actor at 1,000 subscribers (0.8x), 0.95-1.05x at 10,000,
        where memory traffic dominates both.
        """
        if targets is None:
            targets = self.table.targets(topic)
        counts = targets.counts
        if counts is None:
            counts = targets.counts = self.counters.counts_for(topic)
        if exclude is None:
            pushes = targets.pushes
            if pushes is not None:
                # Nothing bounded, nothing stalled: a push each.
                dead = 0
                for push, proc in pushes:
                    if not push(proc, message):
                        dead += 1
                if dead:
                    return self._tally(topic, len(pushes), (), dead)
                # Booked in place (no call, no dict lookup): ~0.15 us a broadcast.
                lock = self._counters_lock
                lock.acquire()
                counts[0] += 1
                counts[1] += len(pushes)
                lock.release()
                return delivered_ok(len(pushes))
            plan = targets.plan
            stalled = targets.stalled
        else:
            plan = tuple(entry for entry in targets.plan if entry[1] is not exclude)
            stalled = tuple(entry for entry in targets.stalled if entry[0] is not exclude)
        if targets.evicting:
            self._recent.remember(message, self, topic)
        missed: list[tuple[Process, Policy]] | None = None
        for push, proc, queue, limit, policy in plan:
            if len(queue) < limit and push(proc, message):
                continue
            if missed is None:
                missed = []
            missed.append((proc, policy))
        if missed is None and not stalled:
            lock = self._counters_lock
            lock.acquire()
            counts[0] += 1
            counts[1] += len(plan)
            lock.release()
            return delivered_ok(len(plan))
        return self._resolve(topic, message, len(plan) + len(stalled), missed or (), stalled, wait)

    def _resolve(
        self,
        topic: str,
        message: Any,
        total: int,
        missed: list[tuple[Process, Policy]] | tuple[()],
        stalled: tuple[tuple[Process, Policy], ...],
        wait: bool,
    ) -> Ok | Error:
        """Apply each policy to the subscriptions the first pass could not
        deliver to (full or exited), then book and report the broadcast."""
        outcomes: list[tuple[Process, str]] = []
        deadline: float | None = None
        for proc, policy in missed:
            outcome, deadline = self._overflow(proc, policy, topic, message, deadline, wait)
            outcomes.append((proc, outcome))
        for proc, policy in stalled:
            outcomes.append((proc, self._stalled_offer(proc, policy, topic, message)))
        return self._tally(topic, total, outcomes, 0)

    def _tally(
        self,
        topic: str,
        total: int,
        outcomes: list[tuple[Process, str]] | tuple[()],
        extra_dead: int,
    ) -> Ok | Error:
        """Book one broadcast: ``total`` targets, of which ``outcomes`` went
        through a policy and ``extra_dead`` had exited (the rest delivered)."""
        delivered = total - len(outcomes) - extra_dead
        replaced = dropped = 0
        dead = extra_dead
        failed: list[Any] = []
        rejected: list[Any] = []
        for proc, outcome in outcomes:
            if outcome is DELIVERED:
                delivered += 1
            elif outcome is REPLACED:
                delivered += 1
                replaced += 1  # the older message was booked as dropped on its topic
            elif outcome is DROPPED:
                dropped += 1
            elif outcome is TIMEOUT:
                failed.append(proc.ref)
            elif outcome is REJECTED:
                rejected.append(proc.ref)
            else:
                dead += 1
        if dropped or failed or rejected or dead:
            self.counters.record(topic, delivered, dropped, len(failed), len(rejected), dead)
        else:
            self.counters.delivered(topic, delivered)
        extra: dict[str, int] = {}
        if dropped or replaced:
            extra["dropped"] = dropped + replaced
        if dead:
            extra["dead"] = dead
        if rejected or failed:
            undelivered = (*failed, *rejected)
            if rejected:
                logger.warning(
                    "pub/sub %s: %d full mailbox(es) rejected %r", self.name, len(rejected), topic
                )
                if failed:
                    extra["failed"] = len(failed)
                return Error(
                    "mailbox_full",
                    delivered=delivered,
                    rejected=len(rejected),
                    **extra,
                    undelivered=undelivered,
                )
            logger.warning(
                "pub/sub %s: %d subscriber(s) of %r had no room within block_timeout",
                self.name,
                len(failed),
                topic,
            )
            return Error(
                "timeout", delivered=delivered, failed=len(failed), **extra, undelivered=undelivered
            )
        if extra:
            return Ok(delivered=delivered, **extra)
        return delivered_ok(delivered)

    def _overflow(
        self,
        proc: Process,
        policy: Policy,
        topic: str,
        message: Any,
        deadline: float | None,
        wait: bool,
    ) -> tuple[str, float | None]:
        """A subscription the first pass could not deliver to: full, or its
        subscriber exited. Apply its policy."""
        overflow = policy.overflow
        limit = policy.limit
        if overflow == "block":
            outcome = proc.offer(message, limit)  # room by now, or exited?
            if outcome is not FULL:
                return outcome, deadline
            if not wait:
                return DROPPED, deadline  # the publisher asked never to wait
            if proc in self._stalled:
                return self._stalled_offer(proc, policy, topic, message), deadline
            # One deadline for the whole broadcast: block_timeout bounds how
            # long the publisher waits in all, not per full subscriber.
            now = time.monotonic()
            if deadline is None:
                deadline = now + policy.block_timeout
            outcome = proc.offer(message, limit, "block", max(0.0, deadline - now))
            if outcome is TIMEOUT:
                self._stall(proc, policy, topic)
            return outcome, deadline
        if overflow == "drop_oldest":
            evictable, evicted = self._recent.evictor(self, self.counters.evicted)
            outcome = proc.offer(
                message, limit, "drop_oldest", evictable=evictable, on_evict=evicted
            )
            return outcome, deadline
        return proc.offer(message, limit, overflow), deadline

    # Stalled subscribers ----------------------------------------------------------

    def _stall(self, proc: Process, policy: Policy, topic: str) -> None:
        """A ``block`` subscriber had no room for ``block_timeout``: from now
        on publishers do not wait for it until it has room again."""
        with self._stall_lock:
            if proc in self._stalled:
                self._stalled[proc][0] += 1
                return
            self._stalled[proc] = [1]
        self.table.invalidate()
        logger.warning(
            "pub/sub %s: subscriber %s stalled on %r (%d queued, limit %d)",
            self.name,
            proc,
            topic,
            proc.queue_len(),
            policy.limit,
        )
        self._report_stall(proc, policy, topic, recovered=False, missed=0)

    def _stalled_offer(self, proc: Process, policy: Policy, topic: str, message: Any) -> str:
        """Deliver to a stalled subscriber if it has room (it then recovers),
        else fail at once: its publishers wait no more."""
        outcome = proc.offer(message, policy.limit)
        if outcome is FULL:
            with self._stall_lock:
                counts = self._stalled.get(proc)
                if counts is not None:
                    counts[0] += 1
            return TIMEOUT
        with self._stall_lock:
            counts = self._stalled.pop(proc, None)
        if counts is not None:
            self.table.invalidate()
            if outcome is DELIVERED:
                logger.warning(
                    "pub/sub %s: subscriber %s recovered after missing %d message(s)",
                    self.name,
                    proc,
                    counts[0],
                )
                self._report_stall(proc, policy, topic, recovered=True, missed=counts[0])
        return outcome

    def _report_stall(
        self, proc: Process, policy: Policy, topic: str, *, recovered: bool, missed: int
    ) -> None:
        hook = self.hooks.on_stall
        if hook is None:
            return
        report = SubscriberStalled(
            self.name, topic, proc.ref, proc.queue_len(), policy.limit, recovered, missed
        )
        try:
            hook(report)
        except Exception:
            logger.exception("pub/sub %s: the on_stall hook failed", self.name)

    def forget(self, proc: Process) -> None:
        """``proc`` exited: it is no longer stalled (the instance actor's thread)."""
        with self._stall_lock:
            gone = self._stalled.pop(proc, None)
        if gone is not None:
            self.table.invalidate()

    # Messages from outside the process (verified when secure) ----------------------

    def accept_external(self, topic: str, raw: Any) -> Ok | Error:
        """Deliver a message that arrived from outside the process (the
        adapter boundary).

        On a ``secure=True`` instance ``raw`` goes through the ``verifier``
        hook first: what it refuses is dropped, counted
        (``statistics().forged``) and handed to the ``on_forgery`` hook, and
        the result is the verifier's ``Error``; what it accepts is delivered
        as the verifier's ``Ok`` value. On other instances ``raw`` is
        delivered as it is. Never raises.
        """
        try:
            if not self.config.secure:
                return self.local_broadcast(topic, raw)
            verifier = self.hooks.verifier
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
                if self.hooks.on_forgery is not None:
                    self.hooks.on_forgery(topic, verified.reason)
                return verified
            return self.local_broadcast(topic, verified.value)
        except Exception as exc:
            logger.exception("pub/sub %s: accepting an external message failed", self.name)
            return Error(exc)

    def broadcast_signed(self, topic: str, message: tuple[str, Any]) -> Ok | Error:
        """Sign ``(tag, payload)`` with the ``signer`` hook and deliver the
        envelope as if it had crossed the process boundary
        (:meth:`accept_external`). The signer's ``Error`` (e.g.
        ``Error("no_secret_configured")``) is returned as it is;
        ``Error("no_signer")`` without one. Never raises.
        """
        signer = self.hooks.signer
        if signer is None:
            return Error("no_signer")
        try:
            signed = signer(topic, message)
        except Exception as exc:
            logger.exception("pub/sub %s: signing a message on %r failed", self.name, topic)
            return Error(exc)
        if not signed:
            return signed
        return self.accept_external(topic, signed.value)

    # Statistics ----------------------------------------------------------------------

    def statistics(self) -> InstanceStatistics:
        subs = self.table.all_subscriptions()
        procs = {sub.proc for sub in subs}
        largest = max((proc.queue_len() for proc in procs), default=0)
        totals = self.counters.totals()
        with self._stall_lock:
            stalled = len(self._stalled)
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
            stalled=stalled,
        )


class PubSubServer(actors.GenServer):
    """The actor of one instance: monitors the subscribers in its table.

    Registered under the instance name, so ``actors.whereis("ex_esdb_health")``
    finds it. Traps exits so that its supervisor's shutdown runs ``terminate``
    (which tells the handle it stopped).
    """

    def init(self, handle: PubSub) -> None:
        self.trap_exits = True
        self.handle = handle
        self.watched: dict[Process, MonitorRef] = {}
        self.watching: dict[MonitorRef, Process] = {}
        # Attach first, then read the table: a subscriber added after the
        # read finds this incarnation attached and asks it to watch.
        handle.attach(self.ref)
        for proc in handle.table.subscribers():
            self._watch(proc)

    def _watch(self, proc: Process) -> None:
        if proc not in self.watched:
            mref = actors.monitor(proc)
            self.watched[proc] = mref
            self.watching[mref] = proc

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        if request == (_SYNC,):
            return None
        return super().handle_call(request, caller)

    def handle_cast(self, request: Any) -> None:
        match request:
            case (str() as tag, Process() as proc) if tag == _WATCH:
                # Whoever changed the table last asked last: watch iff the
                # subscriber holds subscriptions now.
                if self.handle.table.has(proc):
                    self._watch(proc)
                elif proc in self.watched:
                    mref = self.watched.pop(proc)
                    self.watching.pop(mref, None)
                    actors.demonitor(mref)
            case _:
                super().handle_cast(request)

    def handle_info(self, message: Any) -> None:
        match message:
            case ("DOWN", mref, "process", _, _):
                proc = self.watching.pop(mref, None)
                if proc is not None:
                    self.watched.pop(proc, None)
                    removed, _ = self.handle.table.remove(proc, None)
                    self.handle.counters.add_cleaned(removed)
                    self.handle.forget(proc)
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
    return validate_subscription(topic)


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
    found = process_of(subscriber, system)
    if found is None or not found.alive:
        raise actors.NoProcError(subscriber, "cannot subscribe an actor that is not running")
    return found
