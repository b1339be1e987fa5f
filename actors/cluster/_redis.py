"""Everything that touches redis-py: connections, key names, Lua scripts, backoff.

The only module of the cluster layer that imports ``redis`` (the optional
``actors-otp[redis]`` extra), so importing :mod:`actors.cluster` costs
nothing without it. Every script reads the time with Redis ``TIME``, so
liveness never depends on the hosts' clocks agreeing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, Final

import attrs

try:
    import redis
except ImportError as exc:  # pragma: no cover - exercised without the extra
    msg = "the Redis cluster needs redis-py: pip install 'actors-otp[redis]'"
    raise ImportError(msg) from exc

__all__ = [
    "CONNECTION_ERRORS",
    "NO_SCRIPT",
    "Direct",
    "Keys",
    "Scripts",
    "backoff",
    "client",
    "close_quietly",
    "inbox_append",
    "pack",
    "stream_entries",
]

CONNECTION_ERRORS: Final = (redis.ConnectionError, redis.TimeoutError, OSError)
"""What a broken or unreachable Redis raises (``BusyLoadingError`` while a
restarted Redis loads its data is a ``ConnectionError`` too)."""

NO_SCRIPT: Final = redis.exceptions.NoScriptError


@attrs.frozen
class Keys:
    """Key and channel names of one cluster namespace."""

    ns: str

    @property
    def nodes(self) -> str:
        return f"{self.ns}:nodes"

    @property
    def alive(self) -> str:
        return f"{self.ns}:alive"

    @property
    def control(self) -> str:
        return f"{self.ns}:ctl"

    @property
    def global_names(self) -> str:
        return f"{self.ns}:global"

    @property
    def channel_pattern(self) -> str:
        return f"{self.ns}:ps:*"

    def channel(self, instance: str) -> str:
        return f"{self.ns}:ps:{instance}"

    def instance_of_channel(self, channel: str) -> str:
        return channel[len(self.ns) + 4 :]

    def stream(self, instance: str) -> str:
        return f"{self.ns}:ds:{instance}"

    def inbox(self, node: str) -> str:
        return f"{self.ns}:in:{node}"

    def seqs(self, node: str, incarnation: str) -> str:
        return f"{self.ns}:seq:{node}:{incarnation}"


def client(url: str, settings: Any, name: str) -> redis.Redis:
    """A client for one job (its own connection pool), named in ``CLIENT LIST``."""
    return redis.Redis.from_url(
        url,
        socket_timeout=settings.socket_timeout,
        socket_connect_timeout=min(settings.socket_timeout, 2.0),
        health_check_interval=0,
        client_name=name,
        retry_on_timeout=False,
    )


def _pack_python(command: tuple[Any, ...]) -> bytes:
    parts = [b"*%d\r\n" % len(command)]
    for arg in command:
        if isinstance(arg, str):
            arg = arg.encode()
        elif not isinstance(arg, bytes):
            arg = repr(arg).encode()  # int, float (as redis-py writes them)
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


def pack(*commands: tuple[Any, ...]) -> bytes:
    """The RESP bytes of ``commands`` (str, bytes, int or float arguments):
    hiredis's packer when it is installed, else a small one here; redis-py's
    own wraps either in more Python than the packing itself costs."""
    if len(commands) == 1:
        return _PACK(commands[0])
    return b"".join(_PACK(command) for command in commands)


_PACK: Callable[[tuple[Any, ...]], bytes] = _pack_python
try:
    from hiredis import pack_command as _hiredis_pack
except ImportError:  # pragma: no cover - the redis extra installs hiredis
    pass
else:
    _PACK = _hiredis_pack


class Direct:
    """One connection of ``client`` kept checked out, for the hot commands
    (a call's append, its reply, the inbox's reads): each command is one
    send and one read on it, without the client's per-command pool
    checkout, retry wrapper and reply callbacks (most of redis-py's cost
    per command). Replies are as the server sent them (RESP2 or RESP3).
    One thread at a time; a connection error drops the connection (the
    next command makes a new one) and propagates.
    """

    __slots__ = ("_client", "_conn")

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self._conn: Any = None

    def command(self, *args: Any) -> Any:
        self.send(args)
        return self.read()

    def send(self, *commands: tuple[Any, ...]) -> None:
        """Send ``commands`` in one write (a pipeline); read each reply with
        :meth:`read`, in order."""
        conn = self._conn
        if conn is None:
            conn = self._conn = self._client.connection_pool.get_connection()
        try:
            conn.send_packed_command([pack(*commands)], check_health=False)
        except CONNECTION_ERRORS:
            self.drop()
            raise

    def read(self) -> Any:
        """The next reply on the connection."""
        conn = self._conn
        if conn is None:
            raise redis.ConnectionError("the connection was dropped")
        try:
            return conn.read_response()
        except CONNECTION_ERRORS:
            self.drop()
            raise

    def drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.disconnect()
                self._client.connection_pool.release(conn)
            except Exception:
                pass


def inbox_append(key: str, max_length: int, data: bytes) -> tuple[Any, ...]:
    """The command appending one envelope to a node's inbox stream (trimmed
    to about ``max_length``): plain XADD, since its reader drops repeats by
    sequence number."""
    return ("XADD", key, "MAXLEN", "~", max_length, "*", "e", data)


def close_quietly(direct: Direct | None, client: Any) -> None:
    """Close a kept connection and its client, whatever state they are in
    (dropping a broken connection must not raise)."""
    if direct is not None:
        direct.drop()
    if client is not None:
        try:
            client.close()
        except Exception:
            pass


def stream_entries(reply: Any) -> list[tuple[Any, list[Any]]]:
    """``(stream, [(entry id, {field: value}), ...])`` pairs of a raw
    ``XREAD`` reply: a map in RESP3, a list of pairs in RESP2."""
    if not reply:
        return []
    pairs = reply.items() if isinstance(reply, dict) else reply
    result = []
    for stream, entries in pairs:
        parsed = []
        for entry_id, fields in entries:
            if isinstance(fields, list):
                fields = dict(zip(fields[::2], fields[1::2], strict=False))
            parsed.append((entry_id, fields or {}))
        result.append((stream, parsed))
    return result


def backoff(attempt: int, low: float, high: float) -> float:
    """Seconds before reconnection attempt ``attempt`` (0-based): doubling
    from ``low`` up to ``high``, plus up to 20% jitter so that the nodes of
    a cluster do not all come back in the same millisecond."""
    base: float = min(high, low * (2.0 ** min(attempt, 30)))
    return base * (1.0 + 0.2 * random.random())


_NOW: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

JOIN: Final = (
    _NOW
    + """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
  local info = cjson.decode(cur)
  if info.inc ~= ARGV[2] and score and (now - tonumber(score)) < tonumber(ARGV[4]) then
    return {0, cur}
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], now, ARGV[1])
return {1, tostring(now)}
"""
)
"""Claim a node name unless another incarnation holds it and is alive."""

HEARTBEAT: Final = (
    _NOW
    + """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and cjson.decode(cur).inc ~= ARGV[2] then
  return {0, tostring(now), cur}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[2], now, ARGV[1])
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[4]))
for _, gone in ipairs(stale) do
  redis.call('HDEL', KEYS[1], gone)
  redis.call('ZREM', KEYS[2], gone)
end
return {1, tostring(now), redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES'),
        redis.call('HGETALL', KEYS[1])}
"""
)
"""Refresh this node (unless its name was taken meanwhile: fenced), forget
nodes silent for longer than ``ARGV[4]`` ms, and read every node's last
heartbeat and info."""

LEAVE: Final = """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur and cjson.decode(cur).inc == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
end
local names = redis.call('HGETALL', KEYS[3])
for i = 1, #names, 2 do
  local owner = cjson.decode(names[i + 1])
  if owner.node == ARGV[1] and owner.inc == ARGV[2] then
    redis.call('HDEL', KEYS[3], names[i])
  end
end
redis.call('PUBLISH', KEYS[4], cjson.encode({op = 'leave', node = ARGV[1], inc = ARGV[2]}))
return 1
"""
"""A node leaves: its entry, its global names, and a notice to the others."""

EVICT: Final = """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
local names = redis.call('HGETALL', KEYS[3])
local freed = 0
for i = 1, #names, 2 do
  local owner = cjson.decode(names[i + 1])
  if owner.node == ARGV[1] and owner.inc == ARGV[2] then
    redis.call('HDEL', KEYS[3], names[i])
    freed = freed + 1
  end
end
return freed
"""
"""Free the global names of a node incarnation found dead."""

APPEND: Final = (
    _NOW
    + """
local last = tonumber(redis.call('HGET', KEYS[2], KEYS[1]) or '0')
local minid = tostring(now - tonumber(ARGV[1])) .. '-0'
local added = 0
for i = 3, #ARGV, 2 do
  local s = tonumber(ARGV[i])
  if s > last then
    redis.call('XADD', KEYS[1], 'MINID', '~', minid, '*', 'e', ARGV[i + 1])
    last = s
    added = added + 1
  end
end
redis.call('HSET', KEYS[2], KEYS[1], last)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[1]) * 2 + 60000)
if added > 0 then
  redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[2])
end
return added
"""
)
"""Append a batch of one origin's entries to a stream, each at most once:
entries numbered at or below the last one appended are skipped, so a batch
resent after a lost reply adds nothing twice. Trims by age and length."""

PUSH: Final = """
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""
"""A reply onto a caller's reply list, which expires if nobody reads it
(one round trip for both commands)."""

REGISTER: Final = """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local owner = cjson.decode(cur)
  if owner.node == ARGV[3] and owner.inc == ARGV[4] and owner.id == ARGV[5] then
    return {1, cur}
  end
  return {0, cur}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {1, ARGV[2]}
"""
"""Register a global name unless someone else holds it."""

UNREGISTER: Final = """
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local owner = cjson.decode(cur)
  if owner.node == ARGV[2] and owner.inc == ARGV[3] and (ARGV[4] == '' or owner.id == ARGV[4]) then
    redis.call('HDEL', KEYS[1], ARGV[1])
    return 1
  end
end
return 0
"""


class Scripts:
    """The Lua scripts, registered on one client (EVALSHA, reloaded after a
    Redis restart by redis-py)."""

    def __init__(self, conn: redis.Redis) -> None:
        self.join = conn.register_script(JOIN)
        self.heartbeat = conn.register_script(HEARTBEAT)
        self.leave = conn.register_script(LEAVE)
        self.evict = conn.register_script(EVICT)
        self.append = conn.register_script(APPEND)
        self.register = conn.register_script(REGISTER)
        self.unregister = conn.register_script(UNREGISTER)
