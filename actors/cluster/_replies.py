"""Reply channels: a synchronous remote call reads its reply itself.

A thread blocked in ``actors.call((name, node), ...)`` would otherwise wait
for this node's inbox reader to read the reply and wake it: one more thread
hand-off per call, on a path that already has one on the serving side. So
such a caller takes a :class:`ReplyChannel` for the call: a Redis connection
of its own and a list key (``<ns>:rp:<node>:<incarnation>:<n>``) that the
call envelope names. The serving node ``RPUSH``-es the reply there and the
caller, blocked in ``BLPOP`` on its own connection, gets it without any
other thread of this node taking part.

Channels are pooled (LIFO, so a busy thread keeps a warm connection) up to
``Settings.reply_channels``; a caller that finds none free sends its call
the usual way (the reply through the inbox). Calls from a coroutine
(``acall``) and traced calls always go the usual way.

Each reply names its call, so a late reply to a call that timed out (still
in the list) is skipped by the channel's next call; the serving node gives
the list a time to live, so a channel that is never used again leaves
nothing behind in Redis.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Final

from actors.cluster._codec import EnvelopeError
from actors.cluster._redis import CONNECTION_ERRORS, Direct, client, close_quietly

if TYPE_CHECKING:
    from actors.cluster._node import ClusterNode

__all__ = ["ReplyChannel", "ReplyChannels"]

POLL: Final = 0.1
"""Seconds one ``BLPOP`` blocks at most: between two, the caller sees that
its call was failed meanwhile (its node went down, the cluster closed)."""


class ReplyChannel:
    """One connection and one reply list, used by one thread at a time."""

    __slots__ = ("_client", "_direct", "cluster", "key")

    def __init__(self, cluster: ClusterNode, key: str) -> None:
        self.cluster = cluster
        self.key = key
        self._client: Any = None
        self._direct: Direct | None = None

    def _connection(self) -> Direct:
        if self._direct is None:
            settings = self.cluster.settings
            self._client = client(settings.url, settings, f"{self.cluster.node}:reply")
            self._direct = Direct(self._client)
        return self._direct

    def send_call(self, append: tuple[Any, ...], deadline: float | None) -> None:
        """Send a call's append and the first poll for its reply in one
        write, and read the append's reply (the caller holds the node's send
        lock until this returns: the append is in Redis, in order); then
        :meth:`receive` with ``polled=True`` reads the poll's reply.

        Raises:
            the connection errors: the append may or may not have landed.
        """
        direct = self._connection()
        direct.send(append, ("BLPOP", self.key, max(_poll_wait(deadline), 0.001)))
        direct.read()

    def receive(
        self, cid: int, future: Any, deadline: float | None, polled: bool = False
    ) -> tuple[Any, Any] | None:
        """Block (the caller's thread) until the reply to call ``cid``
        arrives: its ``(envelope, raw payload)``, or ``None`` once
        ``deadline`` (monotonic) passes or ``future`` is completed by
        someone else (its node went down). ``polled``: a poll was sent
        already (:meth:`send_call`); its reply is read first."""
        decode = self.cluster.codec.decode
        failures = 0
        while polled or not future.done():
            try:
                if polled:
                    polled = False
                    item = self._connection().read()
                else:
                    wait = _poll_wait(deadline)
                    if wait <= 0:
                        return None
                    item = self._connection().command("BLPOP", self.key, wait)
            except CONNECTION_ERRORS:
                self.close()
                failures += 1
                if failures > 1:
                    # Redis is away (not just this idle connection closed):
                    # the call fails when its node is declared down, or at
                    # its deadline; retry meanwhile, not in a spin.
                    self.cluster.closing.wait(POLL)
                continue
            failures = 0
            if item is None:
                continue
            try:
                envelope, payload = decode(item[1])
            except EnvelopeError:
                self.cluster.counters.add("malformed")
                continue
            if envelope.kind == "reply" and (envelope.extra or {}).get("c") == cid:
                return envelope, payload
            # A late reply to an earlier call of this channel (it timed out).
            self.cluster.counters.add("late_replies")
        return None

    def close(self) -> None:
        direct, self._direct = self._direct, None
        conn, self._client = self._client, None
        close_quietly(direct, conn)


def _poll_wait(deadline: float | None) -> float:
    """Seconds the next ``BLPOP`` may block (at most :data:`POLL`; 0 or less:
    the deadline has passed)."""
    if deadline is None:
        return POLL
    left = deadline - time.monotonic()
    if left <= 0:
        return 0.0
    return max(min(POLL, left), 0.001)


class ReplyChannels:
    """The node's pool of :class:`ReplyChannel` (any thread)."""

    def __init__(self, cluster: ClusterNode, limit: int) -> None:
        self.cluster = cluster
        self.limit = limit
        self._lock = threading.Lock()
        self._idle: list[ReplyChannel] = []
        self._made = 0
        self._closed = False

    @property
    def made(self) -> int:
        return self._made

    def prefix(self, node: str) -> str:
        """The key prefix of ``node``'s reply lists (a reply may only go there)."""
        return f"{self.cluster.keys.ns}:rp:{node}:"

    def take(self) -> ReplyChannel | None:
        """A free channel, a new one, or ``None`` (all in use, or closed)."""
        with self._lock:
            if self._closed:
                return None
            if self._idle:
                return self._idle.pop()
            if self._made >= self.limit:
                return None
            self._made += 1
            number = self._made
        cluster = self.cluster
        return ReplyChannel(cluster, f"{self.prefix(cluster.node)}{cluster.incarnation}:{number}")

    def give_back(self, channel: ReplyChannel) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(channel)
                return
        channel.close()

    def close(self) -> list[str]:
        """Close the idle channels (those in use close when given back);
        the keys of every channel made, for the caller to delete."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            made = self._made
        for channel in idle:
            channel.close()
        prefix = f"{self.prefix(self.cluster.node)}{self.cluster.incarnation}:"
        return [f"{prefix}{number}" for number in range(1, made + 1)]
