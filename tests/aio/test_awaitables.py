"""acall, acast, asend, astop and arun_blocking: the synchronous functions'
semantics, awaited without blocking the event loop."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

import actors
from actors.testing import ANY, Probe

pytestmark = pytest.mark.asyncio


class Echo(actors.GenServer):
    def init(self) -> None:
        self.held: list[actors.Caller] = []

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("hold",):
                self.held.append(caller)
                return actors.NO_REPLY
            case ("hold_and_tell", who):
                self.held.append(caller)
                actors.send(who, "holding")
                return actors.NO_REPLY
            case ("release", value):
                return [actors.reply(c, value) for c in self.held]
            case ("crash",):
                raise ValueError("asked to crash")
            case ("thread",):
                return threading.current_thread().name
        return ("echo", request)

    def handle_cast(self, request: Any) -> None:
        match request:
            case ("tell", probe, value):
                actors.send(probe, ("cast", value))

    def handle_info(self, message: Any) -> None:
        match message:
            case ("tell", probe, value):
                actors.send(probe, ("info", value))


async def test_acall_returns_the_reply(actor_system: actors.ActorSystem) -> None:
    Echo.start(name="echo", system=actor_system)
    assert ("echo", 1) == await actors.acall("echo", 1, system=actor_system)


async def test_acall_never_runs_the_handler_in_the_loops_thread(
    actor_system: actors.ActorSystem,
) -> None:
    # A synchronous call to an idle pooled actor runs handle_call inline, in
    # the caller's thread; acall must not (the loop would run user code).
    Echo.start(name="echo", system=actor_system)
    loop_thread = threading.current_thread().name
    ran_in = await actors.acall("echo", ("thread",), system=actor_system)
    assert loop_thread != ran_in


class LoopSafe(Echo):
    loop_safe = True
    runtime = "pooled"  # a thread-runtime actor is never run in its caller's thread

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("spin", seconds):  # keeps the thread busy (no sleep: it computes)
                deadline = time.perf_counter() + seconds
                while time.perf_counter() < deadline:
                    pass
                return threading.current_thread().name
            case ("declare_blocking",):
                with actors.blocking():
                    return threading.current_thread().name
            case ("count_held",):
                return len(self.held)
        return super().handle_call(request, caller)


async def test_acall_runs_an_idle_loop_safe_actor_in_the_loops_thread(
    actor_system: actors.ActorSystem,
) -> None:
    LoopSafe.start(name="fast", system=actor_system)
    loop_thread = threading.current_thread().name
    for _ in range(3):
        assert loop_thread == await actors.acall("fast", ("thread",), system=actor_system)
    assert ("echo", 1) == await actors.acall("fast", 1, system=actor_system)


async def test_a_loop_safe_actor_that_keeps_the_loop_is_called_through_its_mailbox(
    actor_system: actors.ActorSystem, caplog: pytest.LogCaptureFixture
) -> None:
    LoopSafe.start(name="fast", system=actor_system)
    loop_thread = threading.current_thread().name
    with caplog.at_level("WARNING", logger="actors"):
        # One over-long turn is forgiven (the scheduler may have stretched it)...
        assert loop_thread == await actors.acall("fast", ("spin", 0.01), system=actor_system)
        assert loop_thread == await actors.acall("fast", ("thread",), system=actor_system)
        assert "kept the event loop's thread" not in caplog.text
        # ...three in a row are not.
        for _ in range(2):
            assert loop_thread == await actors.acall("fast", ("spin", 0.01), system=actor_system)
    assert "kept the event loop's thread" in caplog.text
    # From now on it runs on a pool worker, and synchronous calls still inline.
    assert loop_thread != await actors.acall("fast", ("thread",), system=actor_system)
    assert loop_thread != await actors.acall("fast", ("spin", 0), system=actor_system)


async def test_a_loop_safe_actor_that_declares_blocking_loses_the_loop(
    actor_system: actors.ActorSystem,
) -> None:
    LoopSafe.start(name="fast", system=actor_system)
    loop_thread = threading.current_thread().name
    assert loop_thread == await actors.acall("fast", ("declare_blocking",), system=actor_system)
    assert loop_thread != await actors.acall("fast", ("thread",), system=actor_system)


async def test_a_loop_safe_actor_replying_later_wakes_the_waiting_task(
    actor_system: actors.ActorSystem,
) -> None:
    LoopSafe.start(name="fast", system=actor_system)
    held = asyncio.ensure_future(actors.acall("fast", ("hold",), system=actor_system))
    for _ in range(1000):  # a bounded number of loop iterations, no waiting
        await asyncio.sleep(0)  # let the held acall run its (inline) turn
        if await actors.acall("fast", ("count_held",), system=actor_system):
            break
    assert not held.done()
    # Released from the loop's thread too (inline): the reply wakes `held`.
    assert [True] == await actors.acall("fast", ("release", "later"), system=actor_system)
    assert "later" == await asyncio.wait_for(held, 5)


async def test_a_loop_safe_actor_crashing_inline_fails_the_acall(
    actor_system: actors.ActorSystem,
) -> None:
    ref = LoopSafe.start(name="fast", system=actor_system)
    probe = Probe(actor_system)
    probe.monitor(ref)
    with pytest.raises(actors.CallError) as info:
        await actors.acall("fast", ("crash",), system=actor_system)
    assert isinstance(info.value.reason, ValueError)
    probe.expect(("DOWN", ANY, "process", ref, ANY), timeout=5)


async def test_a_loop_safe_actor_that_outlasts_the_timeout_fails_with_timeout(
    actor_system: actors.ActorSystem,
) -> None:
    LoopSafe.start(name="fast", system=actor_system)
    with pytest.raises(actors.CallError) as info:
        await actors.acall("fast", ("spin", 0.05), timeout=0.01, system=actor_system)
    assert "timeout" == info.value.reason


async def test_a_busy_loop_safe_actor_is_called_through_its_mailbox_in_order(
    actor_system: actors.ActorSystem,
) -> None:
    ref = LoopSafe.start(name="fast", system=actor_system)
    probe = Probe(actor_system)
    for i in range(50):
        actors.send(ref, ("tell", probe, i))  # queued: the actor is not idle
    await actors.acall("fast", ("thread",), system=actor_system)
    # The call came after the 50 messages, so they were all handled first.
    assert [("info", i) for i in range(50)] == probe.flush()


async def test_acall_lingers_for_a_quick_reply_only_on_an_idle_loop() -> None:
    from actors import _aio

    loop = asyncio.get_running_loop()
    assert _aio._loop_is_idle(loop)
    loop.call_soon(lambda: None)  # something else is ready to run: no lingering
    assert not _aio._loop_is_idle(loop)
    await asyncio.sleep(0)
    assert _aio._loop_is_idle(loop)


async def test_a_slow_actor_makes_acall_await_at_once_for_a_while(
    actor_system: actors.ActorSystem,
) -> None:
    from actors import _aio, lowlevel

    ref = Echo.start(system=actor_system)
    proc = lowlevel.process_of(ref)
    async with actors.AsyncInbox(actor_system) as inbox:
        # A reply that is not there within the linger (the call is held);
        # this task waits on its inbox meanwhile, so the loop is idle.
        held = asyncio.ensure_future(
            actors.acall(ref, ("hold_and_tell", inbox), system=actor_system)
        )
        assert "holding" == await inbox.receive(5)
    assert not held.done()
    assert _aio.LINGER_SKIPS == proc.linger_skips  # type: ignore[union-attr]
    assert [True] == await actors.acall(ref, ("release", "done"), system=actor_system)
    assert "done" == await asyncio.wait_for(held, 5)
    # The next calls from an idle loop await at once, one skip each, until
    # the skips are used up and a call lingers again.
    lowest = _aio.LINGER_SKIPS
    for i in range(4 * _aio.LINGER_SKIPS):
        assert ("echo", i) == await actors.acall(ref, i, system=actor_system)
        lowest = min(lowest, proc.linger_skips)  # type: ignore[union-attr]
    assert 0 == lowest


async def test_acall_to_a_name_nobody_holds_is_noproc(actor_system: actors.ActorSystem) -> None:
    with pytest.raises(actors.CallError) as caught:
        await actors.acall("nobody", 1, system=actor_system)
    assert actors.NOPROC == caught.value.reason


async def test_acall_to_an_exited_actor_is_noproc(actor_system: actors.ActorSystem) -> None:
    ref = Echo.start(system=actor_system)
    actors.stop(ref)
    with pytest.raises(actors.CallError) as caught:
        await actors.acall(ref, 1)
    assert actors.NOPROC == caught.value.reason


async def test_acall_gets_the_crash_reason(actor_system: actors.ActorSystem) -> None:
    ref = Echo.start(system=actor_system)
    with pytest.raises(actors.CallError) as caught:
        await actors.acall(ref, ("crash",))
    assert isinstance(caught.value.reason, ValueError)
    assert "asked to crash" == str(caught.value.reason)
    assert not ref.is_alive()


async def test_acall_times_out_and_drops_the_late_reply(actor_system: actors.ActorSystem) -> None:
    ref = Echo.start(system=actor_system)
    with pytest.raises(actors.CallError) as caught:
        await actors.acall(ref, ("hold",), timeout=0.05)
    assert "timeout" == caught.value.reason
    # The server answers now: the reply is refused, as after a timed-out call.
    assert [False] == await actors.acall(ref, ("release", "late"))


async def test_cancelled_acall_leaves_no_pending_reply(actor_system: actors.ActorSystem) -> None:
    ref = Echo.start(system=actor_system)
    threads_before = set(threading.enumerate())
    task = asyncio.ensure_future(actors.acall(ref, ("hold",), timeout=None))
    # Wait until the server holds the call (a second call queues behind it).
    assert [] == await actors.acall(ref, ("release", "nobody yet"))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The withdrawn call's reply is refused: nothing is delivered later.
    assert [False] == await actors.acall(ref, ("release", "too late"))
    assert threads_before == set(threading.enumerate())


async def test_cancelled_acall_before_the_server_handles_it(
    actor_system: actors.ActorSystem,
) -> None:
    ref = Echo.start(system=actor_system)
    blocker = asyncio.ensure_future(actors.acall(ref, ("hold",), timeout=None))
    assert [] == await actors.acall(ref, ("release", "x"))
    queued = asyncio.ensure_future(actors.acall(ref, ("hold",), timeout=None))
    await asyncio.sleep(0)  # let it enqueue
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    # The first hold is answered; the cancelled one, handled afterwards, refuses its reply.
    assert [True, False] == await actors.acall(ref, ("release", "done"))
    assert "done" == await blocker


async def test_acall_from_inside_an_actor_to_itself_is_calling_self(
    actor_system: actors.ActorSystem,
) -> None:
    class Selfish(actors.AsyncGenServer):
        async def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            try:
                await actors.acall(self.ref, "again")
            except actors.CallError as exc:
                return exc.reason
            return "no error"

    ref = Selfish.start(system=actor_system)
    assert "calling_self" == await actors.acall(ref, "go")


async def test_acall_to_a_probe(actor_system: actors.ActorSystem) -> None:
    with Probe(actor_system) as probe:
        task = asyncio.ensure_future(actors.acall(probe, "ping"))
        message = await asyncio.to_thread(probe.expect, ("call", "ping", ANY), 5.0)
        actors.reply(message[2], "pong")
        assert "pong" == await task


async def test_acall_checks_its_timeout(actor_system: actors.ActorSystem) -> None:
    Echo.start(name="echo", system=actor_system)
    with pytest.raises(ValueError, match="timeout"):
        await actors.acall("echo", 1, timeout=-1, system=actor_system)


async def test_acast_and_asend(actor_system: actors.ActorSystem) -> None:
    ref = Echo.start(system=actor_system)
    with Probe(actor_system) as probe:
        await actors.acast(ref, ("tell", probe, 1))
        assert await actors.asend(ref, ("tell", probe, 2)) is True
        assert ("cast", 1) == probe.expect(("cast", ANY))
        assert ("info", 2) == probe.expect(("info", ANY))
    actors.stop(ref)
    assert await actors.asend(ref, "late") is False
    with pytest.raises(actors.NoProcError):
        await actors.acast("nobody", 1, system=actor_system)
    with pytest.raises(actors.NoProcError):
        await actors.asend("nobody", 1, system=actor_system)


async def test_astop_waits_for_the_exit(actor_system: actors.ActorSystem) -> None:
    stopped: list[Any] = []

    class Stoppable(actors.GenServer):
        def terminate(self, reason: Any) -> None:
            stopped.append(reason)

    ref = Stoppable.start(system=actor_system)
    await actors.astop(ref, "shutdown")
    assert ["shutdown"] == stopped
    assert not ref.is_alive()
    with pytest.raises(actors.CallError) as caught:
        await actors.astop(ref)
    assert actors.NOPROC == caught.value.reason


async def test_astop_times_out_while_the_actor_is_busy(actor_system: actors.ActorSystem) -> None:
    ref = Echo.start(system=actor_system)
    holder = asyncio.ensure_future(actors.acall(ref, ("hold",), timeout=None))
    assert [] == await actors.acall(ref, ("release", "x"))
    release = threading.Event()

    class Busy(actors.GenServer):
        def handle_cast(self, request: Any) -> None:
            with actors.blocking():
                release.wait(10)

    busy = Busy.start(system=actor_system)
    actors.cast(busy, "work")
    with pytest.raises(actors.CallError) as caught:
        await actors.astop(busy, timeout=0.05)
    assert "timeout" == caught.value.reason
    release.set()
    await actors.astop(busy, timeout=5)  # the first stop request was still queued
    assert not busy.is_alive()
    assert [True] == await actors.acall(ref, ("release", "done"))
    assert "done" == await holder


async def test_astop_reports_a_different_exit_reason(actor_system: actors.ActorSystem) -> None:
    class BadTerminate(actors.GenServer):
        def terminate(self, reason: Any) -> None:
            raise RuntimeError("terminate failed")

    ref = BadTerminate.start(system=actor_system)
    with pytest.raises(actors.CallError) as caught:
        await actors.astop(ref)
    assert isinstance(caught.value.reason, RuntimeError)


async def test_arun_blocking_runs_on_a_pool_worker(actor_system: actors.ActorSystem) -> None:
    loop_thread = threading.current_thread()

    def where() -> tuple[bool, Any]:
        return threading.current_thread() is loop_thread, actors.current_system()

    elsewhere, system = await actors.arun_blocking(where, system=actor_system)
    assert (False, actor_system) == (elsewhere, system)
    with pytest.raises(ZeroDivisionError):
        await actors.arun_blocking(lambda: 1 / 0, system=actor_system)


async def test_arun_blocking_refuses_a_system_that_is_shut_down(
    actor_system_factory: Any,
) -> None:
    system = actor_system_factory()
    system.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        await actors.arun_blocking(print, system=system)


async def test_a_web_handler_calls_an_actor_while_a_ticker_keeps_ticking(
    actor_system: actors.ActorSystem,
) -> None:
    """The loop is never blocked: the actor answers only after the ticker,
    on the same loop, has ticked 20 times during the call."""
    import httpx
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    ticks = threading.Semaphore(0)

    class Slow(actors.GenServer):
        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            with actors.blocking():
                for _ in range(20):
                    if not ticks.acquire(timeout=5):
                        return "the loop stopped ticking"
            return "answered after 20 ticks"

    Slow.start(name="slow", system=actor_system)

    async def endpoint(request: Request) -> JSONResponse:
        return JSONResponse({"answer": await actors.acall("slow", "go", system=actor_system)})

    app = Starlette(routes=[Route("/answer", endpoint)])
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = loop.time()
            gaps.append(now - last)
            last = now
            ticks.release()

    tick_task = asyncio.ensure_future(ticker())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/answer")
    done.set()
    await tick_task
    assert {"answer": "answered after 20 ticks"} == response.json()
    assert len(gaps) >= 20
    assert max(gaps) < 0.25, f"the loop was blocked for {max(gaps):.3f}s"
