"""The actors that do the Redis I/O, one connection each, under one supervisor.

* :class:`Writer`: drains the outbox in pipelines (Pub/Sub ``PUBLISH``, the
  idempotent stream append script); on a broken connection it puts durable
  entries back, counts ephemeral ones as lost in flight, and reconnects
  with backoff and jitter.
* :class:`StreamReader`: ``XREAD BLOCK`` over this node's inbox (remote
  actors) or over the durable instances' streams, from the last entry it
  read, so a reconnect resumes without loss or repetition.
* :class:`PubSubReader`: ``PSUBSCRIBE`` to the ephemeral channels and the
  control channel; PINGs a quiet connection to find half-open sockets.
* :class:`Membership`: heartbeats and the view of the other nodes.
* :class:`Executor`: remote stops, which block until the actor has exited.

All run on the ``"thread"`` runtime (blocking redis-py calls), every
callback in the actor's own thread. Each loop step is one message to
itself, so a stop request is handled between two reads; waits use
:attr:`ClusterNode.closing`, so leaving the cluster wakes them at once.
The cluster's timing runs on real time, whatever the system's clock.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Final

import actors
import supervision as sv
from actors.cluster._node import ClusterNode
from actors.cluster._outbox import APPEND, PUBLISH, PUSH, Entry
from actors.cluster._redis import APPEND as APPEND_SCRIPT
from actors.cluster._redis import (
    CONNECTION_ERRORS,
    NO_SCRIPT,
    Direct,
    Scripts,
    backoff,
    client,
    close_quietly,
    inbox_append,
    stream_entries,
)
from actors.cluster._redis import PUSH as PUSH_SCRIPT

__all__ = ["SUPERVISOR_NAME", "children"]

logger = logging.getLogger("actors.cluster")

SUPERVISOR_NAME: Final = "actors.cluster"
BATCH: Final = 256
"""Outbox entries one pipeline carries at most."""
BLOCK_MS: Final = 500
"""How long one blocking read waits (a stop waits at most this long)."""

_STEP: Final = ("actors.cluster.step",)


class _RedisWorker(actors.GenServer):
    """One Redis connection, reconnected with backoff (subclasses: :meth:`step`)."""

    role = "redis"
    loops = True
    """Whether a step follows each step (readers, heartbeats) or only a wake-up (the writer)."""

    def init(self, node: ClusterNode) -> None:
        self.node = node
        self.conn: Any = None
        self.direct: Direct | None = None
        """A connection of :attr:`conn` kept checked out for hot commands."""
        self.attempt = 0
        actors.send(self.ref, _STEP)

    def connection(self) -> Any:
        if self.conn is None:
            self.conn = client(
                self.node.settings.url, self.node.settings, f"{self.node.node}:{self.role}"
            )
            self.direct = Direct(self.conn)
            try:
                self.connected()
            except BaseException:
                self.drop_connection()
                raise
        return self.conn

    def command(self, *args: Any) -> Any:
        """One command on the kept connection (see :class:`Direct`)."""
        self.connection()
        assert self.direct is not None
        return self.direct.command(*args)

    def connected(self) -> None:
        """A new connection was made (resubscribe, reload scripts)."""

    def step(self) -> None:
        raise NotImplementedError

    def handle_info(self, message: Any) -> None:
        if message != _STEP:
            super().handle_info(message)
            return
        if self.node.closing.is_set():
            return
        try:
            self.step()
        except CONNECTION_ERRORS as exc:
            self.broken(exc)
            self.node.closing.wait(
                backoff(
                    self.attempt, self.node.settings.reconnect_min, self.node.settings.reconnect_max
                )
            )
            self.attempt += 1
            actors.send(self.ref, _STEP)  # retry (a stop request queued meanwhile comes first)
            return
        if self.attempt:
            self.attempt = 0
        self.node.link_state.up(self.role)
        if self.loops:
            actors.send(self.ref, _STEP)

    def broken(self, exc: BaseException) -> None:
        self.node.link_state.down(self.role, exc)
        self.drop_connection()

    def drop_connection(self) -> None:
        direct, self.direct = self.direct, None
        conn, self.conn = self.conn, None
        close_quietly(direct, conn)

    def terminate(self, reason: Any) -> None:
        self.drop_connection()


class Writer(_RedisWorker):
    """Sends the outbox, in order, in pipelines."""

    role = "writer"
    loops = False

    def init(self, node: ClusterNode) -> None:
        self.scripts: Scripts | None = None
        self.send_lock = node.send_lock
        """Held while outbox entries are sent: by this actor, or by a caller
        sending an urgent entry itself (here, or on its reply channel)."""
        super().init(node)
        node.outbox.on_ready = self.wake

    def wake(self, urgent: bool) -> None:
        """An entry arrived (the publisher's or caller's thread).

        An urgent one (a call or a reply) is sent by this very thread when
        the connection is up and idle: a round trip saved from two thread
        hand-offs. Otherwise, or if that fails, the writer actor sends it.
        """
        if (
            urgent
            and self.conn is not None
            and self.node.link_state.connected
            and self.send_lock.acquire(False)
        ):
            # One round trip on a healthy connection (bounded by
            # socket_timeout), so not declared as blocking: that would wake
            # a compensating pool worker and turn off the calling actor's
            # inline calls, for a wait shorter than either costs.
            try:
                self.drain()
                return
            except CONNECTION_ERRORS:
                self.drop_connection()  # the actor reconnects and resends
            finally:
                self.send_lock.release()
        actors.send(self.ref, _STEP)

    def connected(self) -> None:
        # Loading the script proves the connection works before anything is
        # taken from the outbox: an outage then keeps every entry queued,
        # and only a batch cut off mid-flight can be lost.
        self.scripts = Scripts(self.conn)
        self.append_sha = self.conn.script_load(APPEND_SCRIPT)
        self.push_sha = self.conn.script_load(PUSH_SCRIPT)

    def step(self) -> None:
        with self.send_lock:
            self.connection()
            self.drain()

    def drain(self) -> None:
        """Send until the outbox is empty (the caller holds :attr:`send_lock`)."""
        node = self.node
        outbox = node.outbox
        while True:
            batch = outbox.take(BATCH)
            if not batch:
                return
            try:
                try:
                    self.send(batch)
                except NO_SCRIPT:
                    # The scripts were flushed (no restart: that reconnects).
                    # Resending is safe: appends are idempotent, receivers
                    # drop the repeated publishes as duplicates.
                    self.append_sha = self.connection().script_load(APPEND_SCRIPT)
                    self.push_sha = self.connection().script_load(PUSH_SCRIPT)
                    self.send(batch)
            except CONNECTION_ERRORS:
                kept = [entry for entry in batch if entry.mode != PUBLISH]
                lost = [entry for entry in batch if entry.mode == PUBLISH]
                outbox.put_back(kept, taken=len(batch))
                if lost:
                    node.counters.add("lost_in_flight", len(lost))
                    node.mark_sent(lost)
                raise
            except BaseException:
                # Not the connection: the writer crashes (logged, restarted) and
                # the batch is counted as lost rather than retried forever.
                outbox.sent(batch)
                node.counters.add("lost_in_flight", len(batch))
                raise
            outbox.sent(batch)
            node.mark_sent(batch)

    def _point_command(
        self, entry: Entry, inbox_prefix: str, retention: str
    ) -> tuple[Any, ...] | None:
        """The one command that sends a remote-actor entry (a reply onto a
        caller's list, or anything into a node's inbox); ``None`` for a
        durable broadcast, which goes through the append script in runs."""
        if entry.mode == PUSH:
            return ("EVALSHA", self.push_sha, 1, entry.key, entry.data, retention)
        if entry.key.startswith(inbox_prefix):
            return inbox_append(entry.key, self.node.settings.max_stream_length, entry.data)
        return None

    def send(self, batch: list[Entry]) -> None:
        conn = self.connection()
        node = self.node
        settings = node.settings
        seqs = node.keys.seqs(node.node, node.incarnation)
        inbox_prefix = f"{node.keys.ns}:in:"
        retention = str(int(settings.retention * 1000))
        if len(batch) == 1:
            # The usual call or reply: one command, no pipeline to build.
            single = self._point_command(batch[0], inbox_prefix, retention)
            if single is not None:
                self.command(*single)
                node.counters.add("sent")
                return
        pipe = conn.pipeline(transaction=False)
        published = sent = 0
        i = 0
        while i < len(batch):
            entry = batch[i]
            if entry.mode == PUBLISH:
                pipe.publish(entry.key, entry.data)
                published += 1
                i += 1
                continue
            point = self._point_command(entry, inbox_prefix, retention)
            if point is not None:
                pipe.execute_command(*point)
                sent += 1
                i += 1
                continue
            args: list[Any] = [retention, settings.max_stream_length]
            j = i
            while j < len(batch) and batch[j].mode == APPEND and batch[j].key == entry.key:
                args.append(batch[j].seq)
                args.append(batch[j].data)
                j += 1
            # EVALSHA by hand: a Script object in a pipeline costs a SCRIPT
            # EXISTS round trip per pipeline.
            pipe.execute_command("EVALSHA", self.append_sha, 2, entry.key, seqs, *args)
            published += j - i
            i = j
        pipe.execute()
        if published:
            node.counters.add("published", published)
        if sent:
            node.counters.add("sent", sent)


class StreamReader(_RedisWorker):
    """Reads this node's inbox (``kind="inbox"``) or the durable streams."""

    def init(self, node: ClusterNode, kind: str = "inbox") -> None:
        self.kind = kind
        self.role = f"{kind}-reader"
        super().init(node)

    def streams(self) -> dict[str, str]:
        node = self.node
        if self.kind == "inbox":
            return {node.keys.inbox(node.node): ""}
        return node.durable_streams()

    def step(self) -> None:
        conn = self.connection()
        node = self.node
        positions = node.positions
        streams = self.streams()
        if not streams:
            node.closing.wait(BLOCK_MS / 1000.0)  # nothing durable declared (yet)
            return
        for key in streams:
            if key not in positions:
                positions[key] = last_id(conn, key)
        inbox = self.kind == "inbox"
        # While entries keep coming, read again at once (up to a bound, so a
        # stop request waits little): no mailbox round trip per read.
        keys = list(streams)
        head = ("XREAD", "COUNT", node.settings.read_batch, "BLOCK", BLOCK_MS, "STREAMS", *keys)
        for _ in range(64):
            reply = stream_entries(self.command(*head, *[positions[key] for key in keys]))
            if not reply:
                return
            for stream, entries in reply:
                key = stream.decode() if isinstance(stream, bytes) else stream
                for entry_id, fields in entries:
                    data = fields.get(b"e")
                    if data is not None:
                        try:
                            if inbox:
                                node.receive_inbox(data)
                            else:
                                node.receive(data, durable=True)
                        except Exception:
                            logger.exception(
                                "cluster %s: handling an entry of %s failed", node.node, key
                            )
                    positions[key] = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
            if node.closing.is_set():
                return


def last_id(conn: Any, key: str) -> str:
    """The id of the newest entry of stream ``key`` (``0-0`` if it has none):
    a new reader starts after it."""
    newest = conn.xrevrange(key, count=1)
    if not newest:
        return "0-0"
    entry_id = newest[0][0]
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


class PubSubReader(_RedisWorker):
    """Ephemeral broadcasts and control notices, PINGing a quiet connection."""

    role = "pubsub-reader"

    def init(self, node: ClusterNode) -> None:
        self.pubsub: Any = None
        self.heard = time.monotonic()
        self.ping_sent: float | None = None
        super().init(node)

    def connected(self) -> None:
        keys = self.node.keys
        self.pubsub = self.conn.pubsub()
        self.pubsub.psubscribe(keys.channel_pattern)
        self.pubsub.subscribe(keys.control)
        # Wait for both confirmations: from then on no broadcast can pass us by.
        confirmed = 0
        deadline = time.monotonic() + self.node.settings.socket_timeout
        while confirmed < 2:
            message = self.pubsub.get_message(timeout=0.1)
            if message is not None and message.get("type") in ("psubscribe", "subscribe"):
                confirmed += 1
            elif message is not None:
                self.handle(message)
            if time.monotonic() > deadline:
                raise TimeoutError("Redis did not confirm the pub/sub subscriptions")
        self.node.subscribed.set()
        self.heard = time.monotonic()
        self.ping_sent = None

    def drop_connection(self) -> None:
        pubsub, self.pubsub = self.pubsub, None
        if pubsub is not None:
            try:
                pubsub.close()
            except Exception:
                pass
        super().drop_connection()

    def step(self) -> None:
        self.connection()
        pubsub = self.pubsub
        node = self.node
        settings = node.settings
        for n in range(settings.read_batch):
            message = pubsub.get_message(timeout=BLOCK_MS / 1000.0 if n == 0 else 0.0)
            if message is None:
                break
            self.heard = time.monotonic()
            self.ping_sent = None
            self.handle(message)
        now = time.monotonic()
        if self.ping_sent is not None:
            if now - self.ping_sent > settings.socket_timeout:
                raise TimeoutError(
                    "no answer to PING on the pub/sub connection (half-open socket?)"
                )
        elif now - self.heard > settings.ping_interval:
            pubsub.ping()
            self.ping_sent = now

    def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "pmessage":
            try:
                self.node.receive(message["data"], durable=False)
            except Exception:
                logger.exception("cluster %s: handling a broadcast failed", self.node.node)
        elif kind == "message":
            self.control(message["data"])

    def control(self, data: Any) -> None:
        import json

        try:
            notice = json.loads(data)
        except ValueError:
            return
        if not isinstance(notice, dict):
            return
        if notice.get("op") == "leave":
            self.node.left(str(notice.get("node")), str(notice.get("inc")))
        elif notice.get("op") == "join" and notice.get("node") != self.node.node:
            self.node.node_up(str(notice.get("node")), str(notice.get("inc")))


class Membership(_RedisWorker):
    """Heartbeats every ``heartbeat_interval``; declares nodes up and down."""

    role = "membership"

    def init(self, node: ClusterNode) -> None:
        self.scripts: Scripts | None = None
        self.reassert = False
        super().init(node)

    def connected(self) -> None:
        self.scripts = Scripts(self.conn)

    def step(self) -> None:
        from actors.cluster._global import reassert

        node = self.node
        self.connection()
        scripts = self.scripts
        assert scripts is not None
        keys = node.keys
        try:
            result = scripts.heartbeat(
                keys=[keys.nodes, keys.alive],
                args=[node.node, node.incarnation, node.heartbeat_info(), node.purge_ms],
            )
        except CONNECTION_ERRORS:
            if time.monotonic() - node.last_heartbeat > node.settings.heartbeat_timeout:
                node.all_down("noconnection")
            self.reassert = True
            raise
        if int(result[0]) == 0:
            logger.error(
                "cluster %s: another node took this node's name while it was out of touch; "
                "this node no longer takes part in the cluster",
                node.node,
            )
            node.all_down("fenced")
            node.closing.wait(node.settings.heartbeat_interval)
            return
        if self.reassert or not node.link_state.connected:
            node.joined_at = time.monotonic()  # grace: others get a timeout to check in
        node.on_heartbeat(int(result[1]), list(result[2]), list(result[3]))
        if self.reassert:
            self.reassert = False
            reassert(node)
        node.sweep()
        node.link_state.up(self.role)
        node.closing.wait(node.settings.heartbeat_interval)

    def broken(self, exc: BaseException) -> None:
        self.reassert = True
        super().broken(exc)


class Executor(actors.GenServer):
    """Runs remote stops (which wait) off the inbox reader's thread."""

    def init(self, node: ClusterNode) -> None:
        self.node = node
        node._executor = self.ref

    def handle_cast(self, request: Any) -> None:
        match request:
            case ("stop", origin, cid, proc, reason, wait):
                try:
                    actors.stop(proc.ref, reason, wait)
                except actors.CallError as exc:
                    self.node.reply(origin, cid, False, exc.reason)
                else:
                    self.node.reply(origin, cid, True, None)
            case ("unregister", name):
                from actors.cluster._global import unregister

                unregister(self.node, name)
            case _:
                super().handle_cast(request)


def children(node: ClusterNode) -> list[sv.ChildSpec]:
    """The supervisor's children: inbox first (replies must flow before
    anything is sent), then the writer, the readers and membership."""

    def start(cls: type[actors.GenServer], *args: Any) -> Any:
        return cls.start_link(node, *args, runtime="thread")

    return [
        sv.child_spec("executor", start, Executor, shutdown=10.0),
        sv.child_spec("inbox_reader", start, StreamReader, "inbox", shutdown=5.0),
        sv.child_spec("durable_reader", start, StreamReader, "durable", shutdown=5.0),
        sv.child_spec("pubsub_reader", start, PubSubReader, shutdown=5.0),
        sv.child_spec("writer", start, Writer, shutdown=5.0),
        sv.child_spec("membership", start, Membership, shutdown=5.0),
    ]
