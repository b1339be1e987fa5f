"""ClusterNode: this system's membership of the cluster (the core's ``Remote``).

It holds everything the Redis actors share, so that a restarted actor
carries on where its predecessor stopped: the outbox, read positions,
sequence counters, the view of the other nodes, pending calls, monitors and
links that cross nodes. Its methods run in whichever thread calls them (a
publisher, a caller, a reader actor); each shared table has its own lock
and none is held while calling into an actor.

Remote-actor protocol: envelopes in the target node's inbox stream, kinds
``send``, ``cast``, ``call``/``reply``, ``stop``, ``kill``, ``exit`` (an
exit signal; ``l`` marks one from a link of a process that exited),
``link``/``unlink``, ``monitor``/``demonitor``/``down``. Addresses are
``["n", name]`` or ``["p", process id]``.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Iterable
from typing import Any, Final

import attrs

import actors
from actors import CallError, Error, Ok, messages
from actors.cluster._codec import Codec, Envelope, EnvelopeError
from actors.cluster._delivery import delivery_class, durable_instances
from actors.cluster._errors import EncodeError
from actors.cluster._outbox import APPEND, PUBLISH, PUSH, Entry, Outbox
from actors.cluster._proxy import Address, Agent, RemotePid, RemoteProcess
from actors.cluster._sequence import DUPLICATE, SequenceTracker
from actors.cluster._settings import DURABLE, Settings
from actors.cluster._stats import ClusterStatistics, Counters
from actors.lowlevel import (
    MonitorRef,
    Process,
    TracedInfo,
    deliver_traced_call,
    deliver_traced_cast,
    process_of,
    register_event_type,
    traced_info,
    tracer_installed,
    waiting,
)

__all__ = ["EVENT_TYPES", "ClusterNode", "NodeInfo"]

logger = logging.getLogger("actors.cluster")

NODEUP: Final = register_event_type("nodeup")
NODEDOWN: Final = register_event_type("nodedown")
REDIS_DISCONNECTED: Final = register_event_type("redis_disconnected")
REDIS_RECONNECTED: Final = register_event_type("redis_reconnected")
PUBSUB_GAP: Final = register_event_type("pubsub_gap")
EVENT_TYPES: Final = (NODEUP, NODEDOWN, REDIS_DISCONNECTED, REDIS_RECONNECTED, PUBSUB_GAP)

COMPONENT: Final = "cluster"
NOCONNECTION: Final = "noconnection"
TIMED_OUT: Final = "net_tick_timeout"
"""``nodedown`` reason: no heartbeat within the timeout (Erlang's name)."""
LEFT: Final = "connection_closed"
"""``nodedown`` reason: the node left (its system shut down)."""
RESTARTED: Final = "restarted"
"""``nodedown`` reason: the node came back as a new incarnation."""

_SECURE_REFUSALS: Final = frozenset(
    {"invalid_signature", "invalid_format", "expired", "replayed", "unsecured_message_rejected"}
)


_URGENT: Final = frozenset({"call", "reply"})
"""Inbox kinds a caller waits on: sent by the calling thread when it can."""
NAMED_PROXIES: Final = 1024
"""Proxies of remote names kept alive at most (all are dropped when full)."""
ORDER_WAIT: Final = 1.0
"""Real seconds a reply read off a reply channel waits at most for the
inbox entries its server sent the caller before it (see ``_await_inbox``)."""


@attrs.frozen
class NodeInfo:
    """One node as this node sees it (``actors.cluster.members(system)``).

    Attributes:
        node: its name.
        incarnation: its current run's id.
        status: the health status it last reported (``"unknown"`` until its
            health broadcaster reports one).
        alive: whether it is up.
        host: its host name; pid: its OS process id.
    """

    node: str
    incarnation: str
    status: str
    alive: bool
    host: str = ""
    pid: int = 0


class _Waiter:
    """A one-shot result a thread waits for (remote stops)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._claim = threading.Lock()
        self.ok = True
        self.value: Any = None

    def try_set(self, value: Any = None) -> bool:
        if not self._claim.acquire(False):
            return False
        self.value = value
        self._event.set()
        return True

    def try_set_exception(self, exc: BaseException) -> bool:
        if not self._claim.acquire(False):
            return False
        self.ok = False
        self.value = exc
        self._event.set()
        return True

    def done(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None) -> bool:
        with waiting():
            return self._event.wait(timeout)


class _ReplyTo:
    """The future a local actor completes for a call from another node:
    completing it sends the reply back (any thread, once)."""

    __slots__ = ("_claim", "_done", "cid", "cluster", "key", "node")

    def __init__(self, cluster: ClusterNode, node: str, cid: int, key: str | None) -> None:
        self.cluster = cluster
        self.node = node
        self.cid = cid
        self.key = key
        """The caller's reply list, or ``None``: the reply goes to its inbox."""
        self._claim = threading.Lock()
        self._done = False

    def done(self) -> bool:
        return self._done

    def try_set(self, value: Any = None) -> bool:
        if not self._claim.acquire(False):
            return False
        self._done = True
        self.cluster.reply(self.node, self.cid, True, value, self.key)
        return True

    def try_set_exception(self, exc: BaseException) -> bool:
        if not self._claim.acquire(False):
            return False
        self._done = True
        reason = exc.reason if isinstance(exc, CallError) else exc
        self.cluster.reply(self.node, self.cid, False, reason, self.key)
        return True

    def set(self, value: Any = None) -> None:
        self.try_set(value)

    def set_exception(self, exc_info: Any = None) -> None:
        exc = exc_info[1] if exc_info else RuntimeError("remote call failed")
        self.try_set_exception(exc)


@attrs.define
class _Pending:
    future: Any
    node: str
    target: Any
    request: Any


class _LinkState:
    """Whether this node has Redis: ``redis_disconnected`` when the first
    connection breaks, ``redis_reconnected`` when the last one is back."""

    def __init__(self, cluster: ClusterNode) -> None:
        self.cluster = cluster
        self._lock = threading.Lock()
        self._failing: set[str] = set()
        self.connected = True

    def down(self, component: str, exc: BaseException) -> None:
        with self._lock:
            self._failing.add(component)
            emit = self.connected
            self.connected = False
        if emit:
            self.cluster.counters.add("disconnects")
            logger.warning("cluster %s: lost Redis (%s): %s", self.cluster.node, component, exc)
            self.cluster.emit(REDIS_DISCONNECTED, f"{component}: {type(exc).__name__}: {exc}")

    def up(self, component: str) -> None:
        with self._lock:
            if component not in self._failing:
                return
            self._failing.discard(component)
            emit = not self._failing and not self.connected
            if emit:
                self.connected = True
        if emit:
            self.cluster.counters.add("reconnects")
            logger.info("cluster %s: Redis is back", self.cluster.node)
            self.cluster.emit(REDIS_RECONNECTED, "every connection is back")


class ClusterNode:
    """This system's node in a Redis cluster (see the module docstring)."""

    def __init__(self, system: actors.ActorSystem, settings: Settings) -> None:
        # Here, not at the top: importing actors.cluster (the gater does)
        # must not need redis-py; only joining a cluster does.
        from actors.cluster._redis import CONNECTION_ERRORS, Keys, inbox_append
        from actors.cluster._replies import ReplyChannels

        self._connection_errors = CONNECTION_ERRORS
        self._inbox_append = inbox_append

        self.system = system
        self.settings = settings
        self.node = system.node
        self.incarnation = uuid.uuid4().hex[:16]
        self.keys = Keys(settings.namespace)
        self.codec = Codec(self._export, self._resolve_pid)
        self.outbox = Outbox(settings.outbox_limit)
        self.send_lock = threading.Lock()
        """Held while outbox entries go out (the writer, or a caller sending
        its own call): whatever holds it sends in the outbox's order."""
        self.tracker = SequenceTracker(settings.dedupe_origins)
        self.counters = Counters()
        self.link_state = _LinkState(self)
        self.closing = threading.Event()
        self.subscribed = threading.Event()
        """Set once the pub/sub reader's subscriptions are confirmed."""
        self.closed = False
        self.positions: dict[str, str] = {}
        """Stream key -> last entry id read (kept across reader restarts)."""
        self.sent_high: dict[str, int] = {}
        """Ephemeral channel -> highest sequence number that left the outbox."""
        self.status = "unknown"
        self.purge_ms = int(max(60.0, 10 * settings.heartbeat_timeout) * 1000)
        """A node silent this long leaves the table (it counts as down until then)."""
        self.joined_at = time.monotonic()
        self.last_heartbeat = time.monotonic()
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._up: dict[str, str] = {}
        self._infos: dict[str, dict[str, Any]] = {}
        self._previous_high: dict[str, dict[str, int]] = {}
        self._node_watchers: dict[str, dict[Process, None]] = {}
        # Weak: a proxy lives while something holds it (a RemotePid, a link,
        # a monitor); references that crossed nodes do not pile up forever.
        self._proxies: weakref.WeakValueDictionary[tuple[str, Any], RemoteProcess] = (
            weakref.WeakValueDictionary()
        )
        self._named: dict[tuple[str, Any], RemoteProcess] = {}
        """Proxies of ``(name, node)`` targets used lately (see :meth:`proxy`)."""
        self._exports: weakref.WeakValueDictionary[str, Process] = weakref.WeakValueDictionary()
        self._pending: dict[int, _Pending] = {}
        self._monitors: dict[int, tuple[MonitorRef, RemoteProcess]] = {}
        self._monitor_ids: dict[MonitorRef, int] = {}
        self.globals: dict[str, Process] = {}
        self.global_watches: dict[int, str] = {}
        self.agent = Agent(self)
        self.manager: Any = None
        self.sync: Any = None
        """A redis-py client for short synchronous commands (global names)."""
        self.scripts: Any = None
        self._executor: Any = None
        self.replies = ReplyChannels(self, settings.reply_channels)
        self._inbox_done: dict[str, tuple[str, int]] = {}
        """Origin node -> (incarnation, sequence number) of the last inbox
        entry from it handled here (written by the inbox reader only)."""
        self._sent_base: dict[str, int] = {}
        """Node -> the last inbox sequence number sent to it before its
        current incarnation came up (what it will never read)."""
        self._progress = threading.Condition(threading.Lock())
        self._progress_waiters = 0

    def __repr__(self) -> str:
        return f"<ClusterNode {self.node} {len(self._up)} peers>"

    # The Remote protocol ------------------------------------------------------------

    def process(self, name: Any, node: str) -> Process:
        return self.proxy(node, ("n", name))

    def nodes(self) -> list[str]:
        return sorted(self._up)

    def monitor_node(self, watcher: Process, node: str, enable: bool) -> None:
        with self._lock:
            watchers = self._node_watchers.setdefault(node, {})
            if not enable:
                watchers.pop(watcher, None)
                return
            watchers[watcher] = None
            up = node in self._up
        if not up:
            watcher.deliver(("nodedown", node, NOCONNECTION))

    def close(self) -> None:
        """Flush what is queued (briefly), leave, and fail whatever waits on
        another node with ``noconnection``. Idempotent."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
        deadline = time.monotonic() + min(2.0, self.settings.socket_timeout)
        while len(self.outbox) and time.monotonic() < deadline and self.link_state.connected:
            time.sleep(0.005)  # the writer is draining; a bounded wait at shutdown
        self.closing.set()
        try:
            if self.scripts is not None:
                keys = self.keys
                self.scripts.leave(
                    keys=[keys.nodes, keys.alive, keys.global_names, keys.control],
                    args=[self.node, self.incarnation],
                )
        except Exception as exc:
            logger.warning("cluster %s: could not announce leaving: %s", self.node, exc)
        for node in list(self._up):
            self.node_down(node, NOCONNECTION)
        reply_keys = self.replies.close()
        if self.sync is not None:
            if reply_keys:
                try:
                    self.sync.delete(*reply_keys)
                except Exception as exc:
                    logger.warning("cluster %s: could not delete reply lists: %s", self.node, exc)
            self.sync.close()

    # Proxies and references ---------------------------------------------------------

    def proxy(self, node: str, address: Address) -> RemoteProcess:
        key = (node, address)
        proxy = self._named.get(key)
        if proxy is not None:
            return proxy
        proxy = self._proxies.get(key)
        if proxy is None:
            with self._lock:
                proxy = self._proxies.get(key)
                if proxy is None:
                    proxy = self._proxies[key] = RemoteProcess(self, node, address)
        if address[0] == "n":
            # Keep the proxies of names in use alive (a caller holds none
            # between two calls), a bounded number of them.
            named = self._named
            if len(named) >= NAMED_PROXIES:
                named.clear()
            named[key] = proxy
        return proxy

    def _export(self, value: Any) -> list[Any] | None:
        if isinstance(value, RemotePid):
            return [value.node, value.id, None]
        if isinstance(value, Process):
            proc: Process | None = value
        elif isinstance(value, actors.Ref) or hasattr(type(value), "__actor_process__"):
            proc = process_of(value)
        else:
            return None
        if proc is None:
            return None
        if isinstance(proc, RemoteProcess):
            if proc.pid is not None:
                return [proc.node, proc.pid.id, None]
            return None  # a named remote target travels as its (name, node) tuple
        self._exports[proc.id] = proc
        name = proc.name if isinstance(proc.name, str) else None
        return [self.node, proc.id, name]

    def _resolve_pid(self, node: str, pid: str, name: Any) -> Any:
        if node == self.node:
            proc = self._exports.get(pid)
            if proc is not None:
                return proc.ref
        proxy = self.proxy(node, ("p", pid))
        if proxy.pid is not None and name is not None:
            proxy.pid.name = name
        return proxy.pid

    def _local(self, address: Any) -> Process | None:
        if not isinstance(address, list) or len(address) != 2:
            return None
        kind, value = address
        if kind == "n":
            try:
                name = self.codec.decode_value(value)
                return self.system.lookup(name)
            except (EnvelopeError, TypeError):
                return None
        if kind == "p" and isinstance(value, str):
            return self._exports.get(value)
        return None

    def _address(self, proxy: RemoteProcess) -> list[Any]:
        kind, value = proxy.address
        return [kind, self.codec.encode_value(value) if kind == "n" else value]

    # Sending ----------------------------------------------------------------------

    def _enqueue(
        self,
        node: str,
        kind: str,
        extra: dict[str, Any] | None,
        payload_json: str = "null",
        reply_list: str | None = None,
    ) -> bool:
        """Queue one remote-actor envelope for ``node``'s inbox (or, for a
        reply, the caller's ``reply_list``)."""
        if self.closed:
            return False
        key = self.keys.inbox(node) if reply_list is None else reply_list
        stamp = int(time.time() * 1000)
        codec, origin, inc = self.codec, self.node, self.incarnation
        seq = self.outbox.put(
            APPEND if reply_list is None else PUSH,
            key,
            lambda s: codec.frame(kind, origin, inc, s, stamp, payload_json, to=node, extra=extra),
            urgent=kind in _URGENT,
        )
        if seq is None:
            self.counters.add("dropped")
            return False
        return True

    def _reason_json(self, reason: Any) -> str:
        try:
            return self.codec.dumps(reason)
        except EncodeError:
            return self.codec.dumps(repr(reason))

    def send_op(self, proxy: RemoteProcess, kind: str, payload: Any, trace: Any = None) -> bool:
        """``send``/``cast``/``kill`` to a remote actor; ``False`` if its node
        is down or the outbox is full (counted as a dead letter by the caller).
        ``trace``: the sender's trace context (a cast made while tracing).

        Raises:
            EncodeError: ``payload`` cannot cross nodes (names its type).
        """
        payload_json = self.codec.dumps(payload)
        if proxy.node not in self._up:
            return False
        extra: dict[str, Any] = {"a": self._address(proxy)}
        _add_trace(extra, trace)
        return self._enqueue(proxy.node, kind, extra, payload_json)

    def call(self, proxy: RemoteProcess, request: Any, caller: Any, trace: Any = None) -> None:
        """Send a call; its reply (or failure) completes ``caller.future``.
        ``trace``: the caller's trace context (a call made while tracing).

        Raises:
            EncodeError: ``request`` cannot cross nodes.
        """
        self._send_call(proxy, request, caller.future, {}, trace)

    def _send_call(
        self,
        proxy: RemoteProcess,
        request: Any,
        future: Any,
        extra: dict[str, Any],
        trace: Any = None,
        payload_json: str | None = None,
    ) -> int | None:
        """Queue a call envelope (``extra`` completed with the address and a
        new call id) and keep it pending: its call id, or ``None`` when
        ``future`` was failed at once (node down, outbox full, closed).

        Raises:
            EncodeError: ``request`` cannot cross nodes.
        """
        if payload_json is None:
            payload_json = self.codec.dumps(request)
        target = proxy.ref
        if proxy.node not in self._up:
            future.try_set_exception(CallError(NOCONNECTION, target, request))
            return None
        cid = self._add_pending(proxy, request, future)
        extra["a"] = self._address(proxy)
        extra["c"] = cid
        _add_trace(extra, trace)
        if not self._enqueue(proxy.node, "call", extra, payload_json):
            with self._lock:
                self._pending.pop(cid, None)
            reason = "cluster_closed" if self.closed else "cluster_outbox_full"
            future.try_set_exception(CallError(reason, target, request))
            return None
        if proxy.node not in self._up:  # went down meanwhile: its sweep may have run
            self._fail_pending(proxy.node)
        return cid

    def call_waiting(
        self, proxy: RemoteProcess, request: Any, caller: Any, wait: float | None
    ) -> None:
        """A call whose caller blocks in this thread for up to ``wait`` real
        seconds: it reads the reply itself, on a reply channel, and
        completes ``caller.future`` (reply, failure or ``"timeout"``) before
        returning. With no channel free it is :meth:`call`.

        Raises:
            EncodeError: ``request`` cannot cross nodes.
        """
        channel = self.replies.take()
        if channel is None:
            self.call(proxy, request, caller)
            return
        try:
            self._call_on(channel, proxy, request, caller.future, wait)
        finally:
            self.replies.give_back(channel)

    def _call_on(
        self, channel: Any, proxy: RemoteProcess, request: Any, future: Any, wait: float | None
    ) -> None:
        deadline = None if wait is None else time.monotonic() + wait
        cid, polled = self._send_on_channel(channel, proxy, request, future, deadline)
        if cid is None:
            return
        target = proxy.ref
        # A wait for the reply to a request sent (compensated on a pool
        # worker; the calling actor keeps its inline calls).
        with waiting():
            received = channel.receive(cid, future, deadline, polled)
            with self._lock:
                self._pending.pop(cid, None)
            if received is None:
                # Timed out, or failed by someone else (its node went down).
                future.try_set_exception(CallError("timeout", target, request))
                return
            envelope, payload = received
            x = envelope.extra or {}
            high = x.get("h")
            if isinstance(high, int) and high > 0:
                self._await_inbox(envelope.origin, envelope.incarnation, high, deadline)
        self.counters.add("channel_replies")
        try:
            value = self.codec.decode_value(payload)
        except (EnvelopeError, ValueError, TypeError) as exc:
            self.counters.add("malformed")
            future.try_set_exception(CallError(exc, target, request))
            return
        if x.get("ok"):
            future.try_set(value)
        else:
            future.try_set_exception(CallError(value, target, request))

    def _send_on_channel(
        self,
        channel: Any,
        proxy: RemoteProcess,
        request: Any,
        future: Any,
        deadline: float | None,
    ) -> tuple[int | None, bool]:
        """Send the call itself, on the reply channel's connection together
        with the first poll for its reply (one round trip instead of two),
        when nothing else waits to go out and nobody is sending; else queue
        it. Its call id (``None``: failed at once) and whether it polled.

        Raises:
            EncodeError: ``request`` cannot cross nodes.
        """
        payload_json = self.codec.dumps(request)
        extra: dict[str, Any] = {"r": channel.key}
        sent: tuple[int, bool] | None = None
        lock = self.send_lock
        if not self.closed and self.link_state.connected and lock.acquire(False):
            try:
                key = self.keys.inbox(proxy.node)
                seq = None if proxy.node not in self._up else self.outbox.number_if_idle(key)
                if seq is not None:
                    cid = self._add_pending(proxy, request, future)
                    extra["a"] = self._address(proxy)
                    extra["c"] = cid
                    stamp = int(time.time() * 1000)
                    data = self.codec.frame(
                        "call", self.node, self.incarnation, seq, stamp, payload_json,
                        to=proxy.node, extra=extra,
                    )  # fmt: skip
                    sent = (cid, self._append_on(channel, key, seq, data, deadline))
            finally:
                lock.release()
        if sent is None:
            return self._send_call(proxy, request, future, extra, payload_json=payload_json), False
        cid, polled = sent
        if not polled and self.outbox.on_ready is not None:
            self.outbox.on_ready(True)  # it was put back: the writer sends it
        if proxy.node not in self._up:  # went down meanwhile: its sweep may have run
            self._fail_pending(proxy.node)
        return cid, polled

    def _add_pending(self, proxy: RemoteProcess, request: Any, future: Any) -> int:
        cid = next(self._ids)
        with self._lock:
            self._pending[cid] = _Pending(future, proxy.node, proxy.ref, request)
        return cid

    def _append_on(
        self, channel: Any, key: str, seq: int, data: bytes, deadline: float | None
    ) -> bool:
        """Append a call to ``key`` on ``channel`` with its first poll (the
        send lock held); ``False`` if that failed and the writer sends it."""
        append = self._inbox_append(key, self.settings.max_stream_length, data)
        try:
            channel.send_call(append, deadline)
        except self._connection_errors:
            # It may or may not be in Redis: the writer sends it (again) once
            # the lock is free; the receiver drops a repeat by its number.
            self.outbox.put_back([Entry(APPEND, key, seq, data)], taken=0)
            return False
        self.counters.add("sent")
        return True

    def _await_inbox(
        self, origin: str, incarnation: str, high: int, deadline: float | None
    ) -> None:
        """Wait until this node has handled ``origin``'s inbox entries up to
        ``high``: what the server sent the caller before replying is in the
        caller's mailbox before the call returns, as in Erlang. Bounded: a
        lost entry (or an outage) never holds the reply back for long."""
        done = self._inbox_done.get(origin)
        if done is not None and done[0] == incarnation and done[1] >= high:
            return
        limit = time.monotonic() + ORDER_WAIT
        if deadline is not None:
            limit = min(limit, deadline)
        with self._progress:
            self._progress_waiters += 1
            try:
                while True:
                    done = self._inbox_done.get(origin)
                    if done is not None and done[0] == incarnation and done[1] >= high:
                        return
                    remaining = limit - time.monotonic()
                    if remaining <= 0:
                        return
                    self._progress.wait(remaining)
            finally:
                self._progress_waiters -= 1

    def reply(self, node: str, cid: int, ok: bool, value: Any, key: str | None = None) -> None:
        """Send a call's reply: onto the caller's reply list ``key`` when it
        named one, else into ``node``'s inbox."""
        try:
            payload_json = self.codec.dumps(value)
        except EncodeError as exc:
            logger.warning("cluster %s: a reply to %s cannot be encoded: %s", self.node, node, exc)
            ok, payload_json = False, self.codec.dumps(exc)
        extra: dict[str, Any] = {"c": cid, "ok": ok}
        if key is not None:
            # Tell the caller how far its inbox must be read for it to have
            # everything this node sent it before this reply.
            high = self.outbox.last_seq(self.keys.inbox(node))
            extra["h"] = high if high > self._sent_base.get(node, 0) else 0
        self._enqueue(node, "reply", extra, payload_json, reply_list=key)

    def stop(self, proxy: RemoteProcess, reason: Any, timeout: float = 5.0) -> None:
        """A remote ``actors.stop``: wait up to ``timeout`` real seconds.

        Raises:
            CallError: ``"noconnection"``, ``"noproc"``, ``"timeout"``, or the
                reason it exited with when that differs from ``reason``.
        """
        reason_json = self.codec.dumps(reason)
        if proxy.node not in self._up:
            raise CallError(NOCONNECTION, proxy.ref)
        waiter = _Waiter()
        cid = next(self._ids)
        with self._lock:
            self._pending[cid] = _Pending(waiter, proxy.node, proxy.ref, None)
        extra = {"a": self._address(proxy), "c": cid, "w": timeout}
        if not self._enqueue(proxy.node, "stop", extra, reason_json):
            with self._lock:
                self._pending.pop(cid, None)
            raise CallError("cluster_outbox_full", proxy.ref)
        if not waiter.wait(timeout + 1.0) and waiter.try_set_exception(CallError("timeout")):
            with self._lock:
                self._pending.pop(cid, None)
            raise CallError("timeout", proxy.ref)
        if not waiter.ok:
            failure = waiter.value
            raise CallError(
                failure.reason if isinstance(failure, CallError) else failure, proxy.ref
            )

    def exit_op(self, proxy: RemoteProcess, sender: Process | None, reason: Any) -> None:
        if proxy.node not in self._up:
            return
        extra: dict[str, Any] = {"a": self._address(proxy)}
        if sender is not None:
            exported = self._export(sender)
            if exported is not None:
                extra["f"] = [exported[1], exported[2]]
            # A dying sender's signal comes from a link (its exit propagating).
            extra["l"] = not sender.alive
        self._enqueue(proxy.node, "exit", extra, self._reason_json(reason))

    def monitor(self, proxy: RemoteProcess, mref: MonitorRef) -> None:
        if proxy.node in self._up:
            mid = next(self._ids)
            with self._lock:
                self._monitors[mid] = (mref, proxy)
                self._monitor_ids[mref] = mid
            extra = {"a": self._address(proxy), "m": mid}
            if self._enqueue(proxy.node, "monitor", extra) and proxy.node in self._up:
                return
            with self._lock:
                self._monitors.pop(mid, None)
                self._monitor_ids.pop(mref, None)
        _fire_down(mref, proxy.ref, NOCONNECTION)

    def demonitor(self, proxy: RemoteProcess, mref: MonitorRef) -> None:
        with self._lock:
            mid = self._monitor_ids.pop(mref, None)
            if mid is not None:
                self._monitors.pop(mid, None)
        if mid is not None and proxy.node in self._up:
            self._enqueue(proxy.node, "demonitor", {"m": mid})

    def send_down(self, node: str, mid: int, reason: Any) -> None:
        """The agent saw a process that ``node`` monitors exit."""
        if node == self.node:
            self._release_global(mid)
            return
        self._enqueue(node, "down", {"m": mid}, self._reason_json(reason))

    def link(self, proxy: RemoteProcess, other: Process) -> None:
        if proxy.node not in self._up:
            Process.remove_link(proxy, other)
            other.exit_signal(proxy, NOCONNECTION)
            return
        self._exports[other.id] = other
        self._enqueue(proxy.node, "link", {"a": self._address(proxy), "f": other.id})

    def unlink(self, proxy: RemoteProcess, other: Process) -> None:
        if proxy.node in self._up:
            self._enqueue(proxy.node, "unlink", {"a": self._address(proxy), "f": other.id})

    # Pub/sub ------------------------------------------------------------------------

    def delivery_class(self, instance: str) -> str:
        return delivery_class(instance, self.settings.delivery)

    def durable_streams(self) -> dict[str, str]:
        """Stream key -> instance, for every durable instance."""
        keys = self.keys
        return {keys.stream(name): name for name in durable_instances(self.settings.delivery)}

    def publish(self, instance: str, topic: str, message: Any, to: str | None) -> Ok | Error:
        """Hand a broadcast to the outbox (the pub/sub adapter's job). Never raises."""
        if self.closed:
            return Ok()  # left the cluster: there is nobody else to reach
        handle = self.manager.get(instance) if self.manager is not None else None
        extra: dict[str, Any] | None = None
        if message.__class__ is TracedInfo:  # broadcast while tracing: the context travels
            extra = {}
            _add_trace(extra, message.trace)
            message = tuple(message)
        try:
            if handle is not None and handle.config.secure:
                wire = self._sign(handle, instance, topic, message)
                if isinstance(wire, Error):
                    return wire
                payload_json = json.dumps(wire.decode("utf-8"))
                extra = {**(extra or {}), "sig": 1}
            else:
                payload_json = self.codec.dumps(message)
        except messages.NoSecretError:
            return Error("no_secret_configured")
        except (EncodeError, TypeError, messages.MessageFormatError) as exc:
            logger.warning("cluster %s: cannot broadcast on %s: %s", self.node, instance, exc)
            return Error("unencodable", detail=str(exc))
        durable = self.delivery_class(instance) == DURABLE
        key = self.keys.stream(instance) if durable else self.keys.channel(instance)
        stamp = int(time.time() * 1000)
        codec, origin, inc = self.codec, self.node, self.incarnation
        seq = self.outbox.put(
            APPEND if durable else PUBLISH,
            key,
            lambda s: codec.frame(
                "b", origin, inc, s, stamp, payload_json, instance, topic, to, extra or None
            ),
        )
        if seq is None:
            self.counters.add("dropped")
            return Error("cluster_outbox_full", limit=self.outbox.limit)
        return Ok()

    # Receiving ----------------------------------------------------------------------

    def receive(self, raw: bytes, durable: bool) -> None:
        """One entry from a pub/sub channel or a durable stream (a reader's thread)."""
        try:
            envelope, payload = self.codec.decode(raw)
        except EnvelopeError as exc:
            self.counters.add("malformed")
            logger.warning("cluster %s: dropped a malformed broadcast: %s", self.node, exc)
            return
        if envelope.origin == self.node and envelope.incarnation == self.incarnation:
            return  # our own publication: local subscribers already have it
        instance, topic = envelope.instance, envelope.topic
        if envelope.kind != "b" or instance is None or topic is None:
            self.counters.add("malformed")
            return
        handle = self.manager.get(instance) if self.manager is not None else None
        secure = handle is not None and handle.config.secure
        key = (envelope.origin, envelope.incarnation, instance)
        for_us = envelope.to is None or envelope.to == self.node
        if secure:
            self._receive_secure(handle, envelope, payload, key, for_us)
            return
        verdict, gap = self.tracker.check(key, envelope.seq)
        if verdict == DUPLICATE:
            self.counters.add("duplicates")
            return
        if gap is not None:
            self.report_gap(instance, envelope.origin, gap)
        if not for_us or handle is None:
            return
        try:
            message = self.codec.decode_value(payload)
        except (EnvelopeError, ValueError, TypeError) as exc:
            self.counters.add("malformed")
            logger.warning("cluster %s: dropped a broadcast on %s: %s", self.node, instance, exc)
            return
        self.counters.add("received")
        trace = _trace_of(envelope.extra) if envelope.extra else None
        if trace is not None and message.__class__ is tuple and tracer_installed():
            message = traced_info(message, trace)  # its handling continues the sender's trace
        handle.local_broadcast(topic, message, wait=durable)

    def _receive_secure(
        self, handle: Any, envelope: Envelope, payload: Any, key: tuple[str, str, str], for_us: bool
    ) -> None:
        """Verify first (a forged sequence number must not move the counters),
        exactly as ``accept_external`` does: refusals counted and reported."""
        wire = payload.encode("utf-8") if isinstance(payload, str) else b""
        topic = envelope.topic
        assert topic is not None
        if for_us:
            result = handle.accept_external(topic, wire)
        else:
            hooks = handle.hooks
            verifier = hooks.verifier
            result = verifier(wire, topic) if verifier is not None else Error("no_verifier")
            if not result:
                handle.counters.add_forged()
                if hooks.on_forgery is not None:
                    hooks.on_forgery(topic, result.reason)
        if isinstance(result, Error) and result.reason in _SECURE_REFUSALS:
            self.counters.add("refused")
            return
        verdict, gap = self.tracker.check(key, envelope.seq)
        if verdict == DUPLICATE:
            self.counters.add("duplicates")  # verified yet seen: counted, already delivered
            return
        if gap is not None:
            self.report_gap(handle.name, envelope.origin, gap)
        self.counters.add("received")

    def _sign(self, handle: Any, instance: str, topic: str, message: Any) -> bytes | Error:
        """The signed wire bytes of a message for a secure instance: through
        the instance's signer hook (the gater installs the catalogue's),
        else the catalogue's HMAC signing directly."""
        signer = handle.hooks.signer
        if signer is not None:
            signed = signer(topic, message)
            if isinstance(signed, Error):
                return signed
            raw: Any = signed.value
            return raw if isinstance(raw, bytes) else bytes(raw)
        return messages.to_wire(
            messages.sign(message, instance=instance, topic=topic, system=self.system)
        )

    def report_gap(self, instance: str, origin: str, gap: tuple[int, int]) -> None:
        """Tell the instance's local subscribers and the lifecycle stream that
        messages ``gap[0]..gap[1]`` from ``origin`` are lost."""
        first, last = gap
        self.counters.add("gaps")
        self.counters.add("missed", last - first + 1)
        logger.warning(
            "cluster %s: lost %d message(s) of %s from %s (%d..%d)",
            self.node,
            last - first + 1,
            instance,
            origin,
            first,
            last,
        )
        notice = ("pubsub_gap", instance, origin, first, last)
        handle = self.manager.get(instance) if self.manager is not None else None
        if handle is not None:
            for proc in {sub.proc for sub in handle.table.all_subscriptions()}:
                proc.deliver(notice)
        self.emit(
            PUBSUB_GAP,
            f"{instance}: lost {last - first + 1} message(s) from {origin} "
            f"(sequence {first}..{last})",
            name=instance,
        )

    def receive_inbox(self, raw: bytes) -> None:
        """One entry of this node's inbox (the inbox reader's thread)."""
        try:
            envelope, payload = self.codec.decode(raw)
        except EnvelopeError as exc:
            self.counters.add("malformed")
            logger.warning("cluster %s: dropped a malformed inbox entry: %s", self.node, exc)
            return
        origin = envelope.origin
        if origin == self.node:
            return  # a wake-up entry
        verdict, gap = self.tracker.check((origin, envelope.incarnation, "inbox"), envelope.seq)
        if verdict == DUPLICATE:
            self.counters.add("duplicates")
            return
        if gap is not None:
            self.counters.add("gaps")
            self.counters.add("missed", gap[1] - gap[0] + 1)
            logger.warning("cluster %s: lost messages %s from %s", self.node, gap, origin)
        self.counters.add("received")
        try:
            self._handle_op(origin, envelope.kind, envelope.extra or {}, payload)
        except (EnvelopeError, ValueError, TypeError, KeyError) as exc:
            self.counters.add("malformed")
            logger.warning(
                "cluster %s: dropped a %s from %s: %s", self.node, envelope.kind, origin, exc
            )
        self._inbox_done[origin] = (envelope.incarnation, envelope.seq)
        if self._progress_waiters:
            with self._progress:
                self._progress.notify_all()

    def _handle_op(self, origin: str, kind: str, x: dict[str, Any], payload: Any) -> None:
        decode = self.codec.decode_value
        if kind == "reply":
            with self._lock:
                pending = self._pending.pop(x["c"], None)
            if pending is None:
                return  # the caller gave up (a late reply is dropped)
            value = decode(payload)
            if x.get("ok"):
                pending.future.try_set(value)
            else:
                pending.future.try_set_exception(CallError(value, pending.target, pending.request))
            return
        if kind == "down":
            with self._lock:
                entry = self._monitors.pop(x["m"], None)
                if entry is not None:
                    self._monitor_ids.pop(entry[0], None)
            if entry is not None:
                _fire_down(entry[0], entry[1].ref, decode(payload))
            return
        if kind == "demonitor":
            self.agent.unwatch(origin, x["m"])
            return
        if kind == "unlink":
            proc = self._local(x["a"])
            peer = self.proxy(origin, ("p", x["f"]))
            if proc is not None:
                Process.remove_link(peer, proc)
                proc.remove_link(peer)
            return
        if kind == "exit" and x.get("l"):
            self._link_exit(origin, x, decode(payload))
            return
        proc = self._local(x.get("a"))
        if kind == "call":
            key = x.get("r")
            if key is not None and not (
                isinstance(key, str) and key.startswith(self.replies.prefix(origin))
            ):
                raise ValueError(f"a reply list outside the caller's own: {key!r}")
            caller = actors.Caller(_ReplyTo(self, origin, x["c"], key), None)
            request = decode(payload)
            trace = _trace_of(x)
            if (
                proc is None
                or not proc.alive
                or not (
                    proc.deliver_call(request, caller)
                    if trace is None
                    else deliver_traced_call(proc, request, caller, trace)
                )
            ):
                self.reply(origin, x["c"], False, actors.NOPROC, key)
        elif kind == "send":
            if proc is None or not proc.deliver(decode(payload)):
                self.system.count_dead_letters()
        elif kind == "cast":
            trace = _trace_of(x)
            if proc is None or not (
                proc.deliver_cast(decode(payload))
                if trace is None
                else deliver_traced_cast(proc, decode(payload), trace)
            ):
                self.system.count_dead_letters()
        elif kind == "monitor":
            if proc is None or not self.agent.watch(proc, origin, x["m"]):
                self._enqueue(origin, "down", {"m": x["m"]}, self.codec.dumps(actors.NOPROC))
        elif kind == "link":
            peer = self.proxy(origin, ("p", x["f"]))
            if proc is not None and proc.add_link(peer):
                Process.add_link(peer, proc)
            else:
                self._enqueue(
                    origin,
                    "exit",
                    {"a": ["p", x["f"]], "f": _sender_of(proc, x["a"]), "l": True},
                    self.codec.dumps(actors.NOPROC),
                )
        elif kind == "exit":
            sender = self.proxy(origin, ("p", x["f"][0])) if x.get("f") else None
            if proc is not None:
                proc.exit_signal(sender, decode(payload))
        elif kind == "kill":
            if proc is not None:
                proc.kill()
        elif kind == "stop":
            if proc is None or not proc.alive:
                self.reply(origin, x["c"], False, actors.NOPROC)
            else:
                self.executor_stop(origin, x["c"], proc, decode(payload), float(x.get("w", 5.0)))
        elif kind != "wake":
            self.counters.add("malformed")

    def _link_exit(self, origin: str, x: dict[str, Any], reason: Any) -> None:
        """An exit signal from a linked process on ``origin`` that exited:
        every local process linked with it (and addressed) gets it."""
        sender_id, encoded_name = x["f"]
        candidates = [self.proxy(origin, ("p", sender_id))]
        sender_name = None if encoded_name is None else self.codec.decode_value(encoded_name)
        if sender_name is not None:
            named = self._proxies.get((origin, ("n", sender_name)))
            if named is not None:
                candidates.append(named)
        kind, value = x["a"]
        for proxy in candidates:
            for proc in proxy.linked():
                if (kind == "p" and proc.id == value) or (
                    kind == "n" and proc.name == self.codec.decode_value(value)
                ):
                    Process.remove_link(proxy, proc)
                    proc.remove_link(proxy)
                    proc.exit_signal(proxy, reason)

    def executor_stop(self, origin: str, cid: int, proc: Process, reason: Any, wait: float) -> None:
        """Run a blocking stop off the reader's thread, then reply."""
        executor = self._executor
        if executor is None or not executor.is_alive():
            self.reply(origin, cid, False, "cluster_closed")
            return
        actors.cast(executor, ("stop", origin, cid, proc, reason, wait))

    # Membership ---------------------------------------------------------------------

    def heartbeat_info(self) -> str:
        return json.dumps(
            {
                "inc": self.incarnation,
                "status": self.status,
                "high": dict(self.sent_high),
                "host": socket.gethostname(),
                "pid": os.getpid(),
            }
        )

    def on_heartbeat(self, now_ms: int, alive: list[Any], infos: list[Any]) -> None:
        """The membership actor read every node's heartbeat (its thread)."""
        self.last_heartbeat = time.monotonic()
        scores = {_text(alive[i]): float(alive[i + 1]) for i in range(0, len(alive), 2)}
        table: dict[str, dict[str, Any]] = {}
        for i in range(0, len(infos), 2):
            try:
                info = json.loads(infos[i + 1])
                if isinstance(info, dict) and isinstance(info.get("inc"), str):
                    table[_text(infos[i])] = info
            except ValueError:
                continue
        timeout_ms = self.settings.heartbeat_timeout * 1000.0
        in_grace = time.monotonic() - self.joined_at < self.settings.heartbeat_timeout
        with self._lock:
            self._infos = table
        for node, info in table.items():
            if node == self.node:
                continue
            score = scores.get(node)
            fresh = score is not None and now_ms - score < timeout_ms
            known = self._up.get(node)
            if fresh:
                if known is not None and known != info["inc"]:
                    self.node_down(node, RESTARTED)
                    known = None
                if known is None:
                    self.node_up(node, info["inc"])
                self._check_high(node, info)
            elif known is not None and not in_grace:
                self.node_down(node, TIMED_OUT)
                self._evict(node, known)
        for node in [n for n in self._up if n not in table]:
            self.node_down(node, LEFT)

    def _check_high(self, node: str, info: dict[str, Any]) -> None:
        """Trailing losses: what the origin said it had sent one heartbeat
        ago should have arrived by now."""
        previous = self._previous_high.get(node)
        high = info.get("high")
        self._previous_high[node] = high if isinstance(high, dict) else {}
        if not previous:
            return
        ns = f"{self.keys.ns}:ps:"
        for channel, seq in previous.items():
            if not isinstance(seq, int) or not channel.startswith(ns):
                continue
            instance = channel[len(ns) :]
            gap = self.tracker.advance((node, info["inc"], instance), seq)
            if gap is not None:
                self.report_gap(instance, node, gap)

    def left(self, node: str, incarnation: str) -> None:
        """A leave notice on the control channel (a reader's thread)."""
        if self._up.get(node) == incarnation:
            self.node_down(node, LEFT)
            self.tracker.forget_origin(node, incarnation)

    def node_up(self, node: str, incarnation: str) -> None:
        with self._lock:
            if self._up.get(node) == incarnation:
                return
            self._up[node] = incarnation
            self._sent_base[node] = self.outbox.last_seq(self.keys.inbox(node))
            watchers = list(self._node_watchers.get(node, ()))
        logger.info("cluster %s: node %s is up", self.node, node)
        self.emit(NODEUP, None, name=node)
        for watcher in watchers:
            if not watcher.deliver(("nodeup", node)):
                self._forget_watcher(node, watcher)

    def node_down(self, node: str, reason: str) -> None:
        with self._lock:
            if self._up.pop(node, None) is None:
                return
            self._previous_high.pop(node, None)
            watchers = list(self._node_watchers.get(node, ()))
            proxies = [p for (n, _), p in list(self._proxies.items()) if n == node]
            monitors = [(mid, e) for mid, e in self._monitors.items() if e[1].node == node]
            for mid, entry in monitors:
                del self._monitors[mid]
                self._monitor_ids.pop(entry[0], None)
        level = logging.INFO if self.closed or reason == LEFT else logging.WARNING
        logger.log(level, "cluster %s: node %s is down (%s)", self.node, node, reason)
        self.emit(NODEDOWN, reason, name=node)
        self._fail_pending(node)
        for _, (mref, proxy) in monitors:
            _fire_down(mref, proxy.ref, NOCONNECTION)
        for proxy in proxies:
            for proc in proxy.linked():
                Process.remove_link(proxy, proc)
                proc.remove_link(proxy)
                proc.exit_signal(proxy, NOCONNECTION)
        self.agent.unwatch_node(node)
        for watcher in watchers:
            if not watcher.deliver(("nodedown", node, reason)):
                self._forget_watcher(node, watcher)

    def all_down(self, reason: str) -> None:
        """Redis has been unreachable for longer than the heartbeat timeout."""
        for node in list(self._up):
            self.node_down(node, reason)

    def _fail_pending(self, node: str) -> None:
        with self._lock:
            failed = [(cid, p) for cid, p in self._pending.items() if p.node == node]
            for cid, _ in failed:
                del self._pending[cid]
        for _, pending in failed:
            pending.future.try_set_exception(
                CallError(NOCONNECTION, pending.target, pending.request)
            )

    def sweep(self) -> None:
        """Forget calls whose callers gave up (timeouts) and dead node watchers."""
        with self._lock:
            for cid in [c for c, p in self._pending.items() if p.future.done()]:
                del self._pending[cid]
            for watchers in self._node_watchers.values():
                for watcher in [w for w in watchers if not w.alive]:
                    del watchers[watcher]

    def _forget_watcher(self, node: str, watcher: Process) -> None:
        with self._lock:
            self._node_watchers.get(node, {}).pop(watcher, None)

    def _evict(self, node: str, incarnation: str) -> None:
        if self.scripts is None:
            return
        try:
            self.scripts.evict(
                keys=[self.keys.nodes, self.keys.alive, self.keys.global_names],
                args=[node, incarnation],
            )
        except Exception as exc:
            logger.warning("cluster %s: could not free %s's global names: %s", self.node, node, exc)

    def members(self) -> list[NodeInfo]:
        """Every node in the cluster's table, this one included."""
        with self._lock:
            infos = dict(self._infos)
            up = dict(self._up)
        result = [
            NodeInfo(
                self.node,
                self.incarnation,
                self.status,
                not self.closed,
                socket.gethostname(),
                os.getpid(),
            )
        ]
        for node, info in sorted(infos.items()):
            if node == self.node:
                continue
            result.append(
                NodeInfo(
                    node,
                    str(info.get("inc", "")),
                    str(info.get("status", "unknown")) if node in up else "unknown",
                    up.get(node) == info.get("inc"),
                    str(info.get("host", "")),
                    int(info.get("pid", 0) or 0),
                )
            )
        return result

    # Global names -------------------------------------------------------------------

    def _release_global(self, watch_id: int) -> None:
        """A process holding a global name exited (the agent's DOWN)."""
        from actors.cluster._global import unregister

        with self._lock:
            name = self.global_watches.pop(watch_id, None)
        if name is None:
            return
        executor = self._executor
        if executor is not None and executor.is_alive():
            actors.cast(executor, ("unregister", name))  # a round trip: not in the exit path
        else:
            unregister(self, name)

    # Events and statistics ----------------------------------------------------------

    def emit(self, event_type: str, reason: Any, *, name: Any = None) -> None:
        try:
            self.system.lifecycle(
                event_type,
                component=COMPONENT,
                actor_id=f"{self.node}/{self.incarnation}",
                name=self.node if name is None else name,
                reason=reason,
            )
        except Exception:
            logger.exception("cluster %s: emitting %s failed", self.node, event_type)

    def mark_sent(self, entries: Iterable[Any]) -> None:
        high = self.sent_high
        for entry in entries:
            if entry.mode == PUBLISH and entry.seq > high.get(entry.key, 0):
                high[entry.key] = entry.seq

    def statistics(self) -> ClusterStatistics:
        c = self.counters
        state = (
            "closed"
            if self.closed
            else ("connected" if self.link_state.connected else "disconnected")
        )
        return ClusterStatistics(
            node=self.node,
            incarnation=self.incarnation,
            state=state,
            nodes=len(self._up),
            outbox=len(self.outbox),
            outbox_limit=self.outbox.limit,
            outbox_peak=self.outbox.peak,
            dropped=c.get("dropped"),
            lost_in_flight=c.get("lost_in_flight"),
            published=c.get("published"),
            sent=c.get("sent"),
            received=c.get("received"),
            duplicates=c.get("duplicates"),
            gaps=c.get("gaps"),
            missed=c.get("missed"),
            malformed=c.get("malformed"),
            refused=c.get("refused"),
            disconnects=c.get("disconnects"),
            reconnects=c.get("reconnects"),
            pending_calls=len(self._pending),
            tracked_origins=len(self.tracker),
            reply_channels=self.replies.made,
            channel_replies=c.get("channel_replies"),
            late_replies=c.get("late_replies"),
        )


def _fire_down(mref: MonitorRef, ref: Any, reason: Any) -> None:
    if mref.active:
        mref.active = False
        watcher = mref.watcher
        watcher.forget_monitor(mref)
        watcher.deliver(("DOWN", mref, "process", ref, reason))


def _sender_of(proc: Process | None, address: Any) -> list[Any]:
    """``[id, encoded name]`` of the target of a failed link, as addressed."""
    name = address[1] if isinstance(address, list) and address and address[0] == "n" else None
    return [proc.id if proc is not None else "", name]


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


TRACE_FIELDS: Final = 4
"""At most this many trace-context fields cross nodes (``traceparent``,
``tracestate``, ...); each key and value at most :data:`TRACE_TEXT` long."""
TRACE_TEXT: Final = 512


def _add_trace(extra: dict[str, Any], trace: Any) -> None:
    """Put a W3C trace context (a small ``str -> str`` dict) on an envelope;
    anything else a tracer made stays home (the call still goes)."""
    if isinstance(trace, dict) and trace and _is_trace_context(trace):
        extra["tp"] = trace


def _trace_of(extra: dict[str, Any]) -> dict[str, str] | None:
    """The trace context an envelope carries, if it is one (else ``None``:
    a malformed one never fails the call it came with)."""
    trace = extra.get("tp")
    return trace if isinstance(trace, dict) and _is_trace_context(trace) else None


def _is_trace_context(trace: dict[Any, Any]) -> bool:
    return len(trace) <= TRACE_FIELDS and all(
        isinstance(k, str) and isinstance(v, str) and len(k) <= TRACE_TEXT and len(v) <= TRACE_TEXT
        for k, v in trace.items()
    )
