"""Reply channels: a synchronous remote call reads its reply on a Redis
connection of its own (two nodes in the test's process, a redis-server of
the test's own)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

import actors
from actors import cluster, lowlevel
from actors.testing import Probe
from tests.cluster.conftest import eventually, two_nodes
from tests.cluster.harness import RedisServer
from tests.concurrently import run_concurrently

Factory = Callable[..., actors.ActorSystem]


class Server(actors.GenServer):
    """Echoes; ``("send_then_reply", probe, n)`` sends ``n`` messages to the
    probe before replying; ``("hold", event)`` replies once ``event`` is set."""

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("send_then_reply", probe, n):
                for i in range(n):
                    actors.send(probe, ("before", i))
                return "replied"
            case ("hold", name):
                with actors.blocking():
                    _HELD[name].wait(30)
                return ("released", name)
            case _:
                return request


_HELD: dict[str, threading.Event] = {}


def _pair(factory: Factory, url: str) -> tuple[actors.ActorSystem, actors.ActorSystem]:
    caller, server = two_nodes(factory, url)
    Server.start(name="server", system=server)
    Server.start(name="echo", system=server)
    return caller, server


def test_a_synchronous_call_reads_its_reply_on_a_reused_channel(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    caller, server = _pair(actor_system_factory, redis_server.url())
    target = ("server", server.node)
    for i in range(20):
        assert ("ping", i) == actors.call(target, ("ping", i), system=caller)
    stats = cluster.statistics(caller)
    assert 20 == stats.channel_replies
    assert 1 == stats.reply_channels  # one thread, one warm connection
    assert 0 == stats.pending_calls

    async def from_a_coroutine() -> Any:
        return await actors.acall(target, "async", system=caller)

    import asyncio

    assert "async" == asyncio.run(from_a_coroutine())
    assert 20 == cluster.statistics(caller).channel_replies  # acall: through the inbox


def test_what_the_server_sent_before_replying_is_there_when_the_call_returns(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    """Erlang's order between two processes: the messages the server sent
    the caller's node before its reply are in the mailbox when ``call``
    returns, although the reply took another road than the messages."""
    caller, server = _pair(actor_system_factory, redis_server.url())
    probe = Probe(caller)
    for round_ in range(10):
        reply = actors.call(
            ("server", server.node), ("send_then_reply", probe, 30), timeout=10, system=caller
        )
        assert "replied" == reply
        # No waiting: all 30 must have been delivered already.
        assert [("before", i) for i in range(30)] == probe.flush(), f"round {round_}"
    assert 10 == cluster.statistics(caller).channel_replies


def test_a_late_reply_is_skipped_by_the_channels_next_call(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    caller, server = _pair(actor_system_factory, redis_server.url())
    target = ("server", server.node)
    _HELD["late"] = threading.Event()
    with pytest.raises(actors.CallError) as info:
        actors.call(target, ("hold", "late"), timeout=0.3, system=caller)
    assert "timeout" == info.value.reason
    assert 0 == cluster.statistics(caller).pending_calls
    _HELD["late"].set()
    # The late reply lands in the (idle) channel's list...
    r = redis.Redis(port=redis_server.port)
    key = f"actors:rp:{caller.node}:{cluster.statistics(caller).incarnation}:1"
    eventually(lambda: r.llen(key) == 1)
    assert 0 < r.pttl(key)  # ...which expires if nobody ever reads it
    # ...and the channel's next call skips it for its own reply.
    assert "fresh" == actors.call(target, "fresh", system=caller)
    stats = cluster.statistics(caller)
    assert (1, 1) == (stats.reply_channels, stats.late_replies)
    assert 0 == r.llen(key)
    r.close()


def test_callers_beyond_the_channels_get_their_replies_through_the_inbox(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    caller, server = _pair(actor_system_factory, redis_server.url(reply_channels=1))
    target = ("server", server.node)
    _HELD["busy"] = threading.Event()
    results: list[Any] = []
    holder = threading.Thread(
        target=lambda: results.append(
            actors.call(target, ("hold", "busy"), timeout=30, system=caller)
        )
    )
    holder.start()
    try:
        eventually(lambda: cluster.statistics(caller).pending_calls == 1)
        assert 1 == cluster.statistics(caller).reply_channels  # the holder has it
        # The only channel is taken: these go the other way, and work.
        for i in range(5):
            assert i == actors.call(("echo", server.node), i, system=caller)
        assert 0 == cluster.statistics(caller).channel_replies
    finally:
        _HELD["busy"].set()
        holder.join(30)
    assert [("released", "busy")] == results
    stats = cluster.statistics(caller)
    assert (1, 1) == (stats.reply_channels, stats.channel_replies)


def test_many_threads_calling_at_once_each_get_their_own_replies(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    caller, server = _pair(actor_system_factory, redis_server.url(reply_channels=3))
    target = ("server", server.node)

    def calls(who: int) -> None:
        for i in range(40):
            assert (who, i) == actors.call(target, (who, i), timeout=10, system=caller)

    assert [] == run_concurrently(calls, [(who,) for who in range(6)])
    stats = cluster.statistics(caller)
    assert stats.reply_channels <= 3
    assert 0 < stats.channel_replies <= 240
    assert 0 == stats.pending_calls


def test_a_call_naming_another_nodes_reply_list_is_refused(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    """The reply list named in a call must be the calling node's own: a
    forged entry cannot make this node write into someone else's keys."""
    caller, server = _pair(actor_system_factory, redis_server.url())
    from actors.cluster._codec import Codec

    codec = Codec(lambda value: None, lambda *args: None)
    victim = "actors:rp:someone-else@test:x:1"
    raw = codec.frame(
        "call",
        caller.node,
        "forged",
        1,
        int(time.time() * 1000),
        codec.dumps("hello"),
        to=server.node,
        extra={"a": ["n", codec.encode_value("server")], "c": 1, "r": victim},
    )
    r = redis.Redis(port=redis_server.port)
    before = cluster.statistics(server).malformed
    r.xadd(f"actors:in:{server.node}", {"e": raw})
    eventually(lambda: cluster.statistics(server).malformed == before + 1)
    assert 0 == r.exists(victim)
    r.close()
    assert "still serving" == actors.call(("server", server.node), "still serving", system=caller)


class Relay(actors.GenServer):
    """Calls the remote server from inside its own handle_call."""

    runtime = "pooled"

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        return actors.call(request[0], request[1], timeout=10)


def test_an_actor_calling_a_remote_actor_keeps_its_inline_calls(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    """Waiting for a remote reply is a wait for a reply (the pool lends a
    worker meanwhile), not the callback declaring that it blocks: the
    calling actor is still called inline afterwards."""
    caller, server = _pair(actor_system_factory, redis_server.url())
    relay = Relay.start(system=caller)
    target = ("server", server.node)
    for i in range(5):
        assert ("hop", i) == actors.call(relay, (target, ("hop", i)), system=caller)
    assert lowlevel.process_of(relay).inline_calls  # type: ignore[union-attr]
    assert 5 == cluster.statistics(caller).channel_replies


def test_a_call_waiting_on_its_channel_survives_a_redis_restart(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    """Redis goes away while the caller is blocked on its reply list and
    the server is still working: the reply, sent once Redis is back, reaches
    the caller's reconnected channel, within the call's timeout."""
    caller, server = _pair(actor_system_factory, redis_server.url(heartbeat_timeout=60))
    target = ("server", server.node)
    _HELD["outage"] = threading.Event()
    results: list[Any] = []
    errors: list[BaseException] = []

    def call() -> None:
        try:
            results.append(actors.call(target, ("hold", "outage"), timeout=60, system=caller))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    try:
        eventually(lambda: cluster.statistics(caller).pending_calls == 1)
        eventually(lambda: cluster.statistics(server).received >= 1)
        redis_server.stop()
        eventually(lambda: cluster.statistics(server).state == "disconnected")
        _HELD["outage"].set()  # the reply waits in the server's outbox
        eventually(lambda: cluster.statistics(server).outbox >= 1)
        redis_server.start()
    finally:
        _HELD["outage"].set()
        thread.join(60)
    assert [] == errors
    assert [("released", "outage")] == results
    assert 1 == cluster.statistics(caller).channel_replies


def test_a_channel_whose_idle_connection_was_closed_reconnects(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    """Redis (or a proxy) closing an idle client, as its ``timeout`` setting
    does: the channel's next call reconnects and still reads its reply there."""
    caller, server = _pair(actor_system_factory, redis_server.url())
    target = ("server", server.node)
    assert "first" == actors.call(target, "first", system=caller)
    r = redis.Redis(port=redis_server.port)
    killed = 0
    for client in r.client_list():
        if client.get("name") == f"{caller.node}:reply":
            r.client_kill_filter(_id=client["id"])
            killed += 1
    assert 1 == killed
    assert "second" == actors.call(target, "second", system=caller)
    stats = cluster.statistics(caller)
    assert (1, 2) == (stats.reply_channels, stats.channel_replies)
    r.close()


class Sometimes(actors.GenServer):
    """Answers at once, except every fifth request, which takes 20 ms of
    work: longer than its caller waits."""

    runtime = "pooled"

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        _, i = request
        if i % 5 == 0:
            deadline = time.perf_counter() + 0.02
            while time.perf_counter() < deadline:
                pass  # work, not a wait
        return request


def test_late_replies_never_reach_another_call_of_the_same_channel(
    redis_server: RedisServer, actor_system_factory: Factory
) -> None:
    """Four threads share two channels; a fifth of their calls time out and
    are answered later into the channel's list, where the next call of
    whichever thread holds that channel then finds them first. Every call
    that returns gets its own reply; every other one times out."""
    caller, server = _pair(actor_system_factory, redis_server.url(reply_channels=2))
    for n in range(4):
        Sometimes.start(name=f"sometimes-{n}", system=server)
    outcomes: list[tuple[int, int, Any]] = []

    def calls(who: int) -> None:
        target = (f"sometimes-{who}", server.node)
        for i in range(30):
            try:
                reply = actors.call(target, (who, i), timeout=0.005 if i % 5 == 0 else 10,
                                    system=caller)  # fmt: skip
            except actors.CallError as exc:
                outcomes.append((who, i, exc.reason))
            else:
                outcomes.append((who, i, reply))

    assert [] == run_concurrently(calls, [(who,) for who in range(4)])
    assert 120 == len(outcomes)
    for who, i, outcome in outcomes:
        if i % 5 == 0:
            assert outcome in ("timeout", (who, i)), (who, i, outcome)
        else:
            assert (who, i) == outcome, (who, i, outcome)
    assert any(outcome == "timeout" for _, _, outcome in outcomes)
    stats = cluster.statistics(caller)
    assert 0 == stats.pending_calls
    assert 0 < stats.late_replies  # skipped by the next call of their channel
