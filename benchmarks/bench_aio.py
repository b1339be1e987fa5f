"""asyncio round trips, and what metrics and tracing cost on cast throughput.

* ``acall_round_trip``: ``await actors.acall`` (median of calls awaited one
  by one) beside ``actors.call`` from a thread (which runs an idle pooled
  target inline: no hand-off at all): to a target declaring ``loop_safe =
  True`` (run in the loop's thread the same way) and to one that does not
  (through its mailbox: two hand-offs); beside ``actors.call`` to a target
  that is not called inline (the same two hand-offs), and beside the naive
  ``await loop.run_in_executor(None, actors.call, ...)``.
* ``cast_overhead``: cast throughput with nothing installed, beside a copy
  of ``actors.cast`` without the tracing flag read (what it was before the
  hook: "0% with OpenTelemetry absent"); with the Prometheus collector
  registered and scraped every second, Prometheus's default being 15 s
  ("<= 10% with metrics on"); and with OpenTelemetry instrumented (an SDK
  provider, no exporter).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

from _harness import Record, median, per_second

import actors
from actors._api import _resolve_or_raise

WARMUP = 500


class Echo(actors.GenServer):
    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        return request

    def handle_cast(self, request: Any) -> None:
        pass


class MailboxEcho(Echo):
    inline_calls = False


class LoopSafeEcho(Echo):
    loop_safe = True


def _time_sync(call: Any, target: Any, n: int) -> float:
    for i in range(WARMUP):
        call(target, i)
    samples = []
    clock = time.perf_counter
    for i in range(n):
        start = clock()
        call(target, i)
        samples.append(clock() - start)
    return median(samples)


async def _time_async(fn: Any, n: int) -> float:
    for i in range(WARMUP):
        await fn(i)
    samples = []
    clock = time.perf_counter
    for i in range(n):
        start = clock()
        await fn(i)
        samples.append(clock() - start)
    return median(samples)


def acall_round_trip(scale: float) -> Iterator[Record]:
    n = max(1000, int(20_000 * scale))
    with actors.ActorSystem(pool_size=2) as system:
        inline = Echo.start(system=system)
        mailbox = MailboxEcho.start(system=system)
        loop_safe = LoopSafeEcho.start(system=system)
        sync_inline = _time_sync(actors.call, inline, n)
        sync_mailbox = _time_sync(actors.call, mailbox, n)

        async def measure() -> tuple[float, float, float, float]:
            loop = asyncio.get_running_loop()
            ours_loop_safe = await _time_async(lambda i: actors.acall(loop_safe, i), n)
            ours = await _time_async(lambda i: actors.acall(inline, i), n)
            ours_mailbox = await _time_async(lambda i: actors.acall(mailbox, i), n)
            executor = await _time_async(
                lambda i: loop.run_in_executor(None, actors.call, inline, i), n
            )
            return ours_loop_safe, ours, ours_mailbox, executor

        ours_loop_safe, ours, ours_mailbox, executor = asyncio.run(measure())
    extra = {"calls": n, "unit_note": "median seconds per round trip"}
    us = 1e6
    yield Record(
        "acall_loop_safe_vs_call_inline",
        ours_loop_safe * us,
        "us",
        "actors.call (inline)",
        sync_inline * us,
        "lower",
        {**extra, "target": "<= 1.5x", "note": "the target declares loop_safe = True"},
    )
    yield Record(
        "acall_vs_call_inline",
        ours * us,
        "us",
        "actors.call (inline)",
        sync_inline * us,
        "lower",
        {**extra, "note": "a target that is not loop_safe: through its mailbox"},
    )
    yield Record(
        "acall_vs_call_mailbox",
        ours_mailbox * us,
        "us",
        "actors.call (through the mailbox)",
        sync_mailbox * us,
        "lower",
        extra,
    )
    yield Record(
        "acall_vs_run_in_executor",
        ours * us,
        "us",
        "loop.run_in_executor(None, actors.call)",
        executor * us,
        "lower",
        extra,
    )


def _cast_untraced_copy(target: Any, request: Any, *, system: Any = None) -> None:
    """actors.cast as it was before the tracing hook (the baseline)."""
    proc = _resolve_or_raise(target, system)
    ok = proc.deliver_cast(request)
    if not ok:
        proc.system.count_dead_letters()


def _cast_rate(cast: Any, ref: Any, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        cast(ref, i)
    actors.call(ref, "flush", timeout=120)
    return per_second(n, time.perf_counter() - start)


def _best_of(runs: int, fn: Any) -> float:
    return max(fn() for _ in range(runs))


def cast_overhead(scale: float) -> Iterator[Record]:
    n = max(10_000, int(200_000 * scale))
    runs = 5
    with actors.ActorSystem() as system:
        ref = Echo.start(system=system)
        plain: list[float] = []
        copy: list[float] = []
        for _ in range(runs):  # interleaved, so drift hits both alike
            plain.append(_cast_rate(actors.cast, ref, n))
            copy.append(_cast_rate(_cast_untraced_copy, ref, n))
        yield Record(
            "cast_tracing_absent",
            max(plain),
            "msgs/s",
            "actors.cast without the tracing hook",
            max(copy),
            "higher",
            {"messages": n, "target": "0% slower (ratio ~1.0)"},
        )
        try:
            import prometheus_client

            from actors import metrics
        except ImportError as exc:
            yield Record(
                "cast_metrics_on",
                0,
                "msgs/s",
                "no metrics",
                None,
                "higher",
                missing=f"the metrics extra is not installed: {exc}",
            )
        else:
            registry = metrics.registry_for(system)
            stop = threading.Event()

            def scrape() -> None:
                while not stop.wait(1.0):
                    prometheus_client.generate_latest(registry)

            scraper = threading.Thread(target=scrape, daemon=True)
            scraper.start()
            try:
                with_metrics = _best_of(runs, lambda: _cast_rate(actors.cast, ref, n))
            finally:
                stop.set()
                scraper.join()
            yield Record(
                "cast_metrics_on",
                with_metrics,
                "msgs/s",
                "no metrics",
                max(plain),
                "higher",
                {"messages": n, "target": ">= 0.9x", "scrape_every_s": 1.0},
            )
        try:
            from opentelemetry.sdk.trace import TracerProvider

            from actors import tracing
        except ImportError as exc:
            yield Record(
                "cast_traced",
                0,
                "msgs/s",
                "untraced",
                None,
                "higher",
                missing=f"opentelemetry-sdk is not installed: {exc}",
            )
        else:
            tracing.instrument(tracer_provider=TracerProvider())
            try:
                traced = _best_of(runs, lambda: _cast_rate(actors.cast, ref, max(1000, n // 10)))
            finally:
                tracing.uninstrument()
            yield Record(
                "cast_traced",
                traced,
                "msgs/s",
                "untraced",
                max(plain),
                "higher",
                {"messages": max(1000, n // 10), "note": "SDK spans, no exporter"},
            )


BENCHMARKS = {
    "acall_round_trip": acall_round_trip,
    "cast_overhead": cast_overhead,
}
