"""Trace context through OpenTelemetry: one trace from a caller through a
server to the subscribers of what it broadcast, with the in-memory exporter."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import Event, ReadableSpan, TracerProvider
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.util.types import AnyValue

import actors
from actors import pubsub, tracing
from actors.eventstore import EventData, EventStore
from actors.pubsub import PubSub, PubSubManager
from actors.testing import ANY, Probe


class Orders(actors.GenServer):
    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("place", n):
                pubsub.broadcast("orders_events", f"order:{n}", ("order_placed", n))
                return ("placed", n)
            case ("crash",):
                raise ValueError("bad order")
        return None

    def handle_cast(self, request: Any) -> None:
        pass


class Subscriber(actors.GenServer):
    def init(self, probe: Probe) -> None:
        self.probe = probe
        pubsub.subscribe("orders_events", "order:*")

    def handle_info(self, message: Any) -> None:
        actors.send(self.probe, ("seen", self.name, message, type(message) is tuple))

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        return "idle"  # once answered, the handle_info before it (and its span) is done


def by_name(spans: list[ReadableSpan]) -> dict[str, list[ReadableSpan]]:
    found: dict[str, list[ReadableSpan]] = {}
    for span in spans:
        found.setdefault(span.name, []).append(span)
    return found


def parent_of(span: ReadableSpan) -> int | None:
    return None if span.parent is None else span.parent.span_id


def attributes_of(item: ReadableSpan | Event) -> Mapping[str, AnyValue]:
    # Typed Optional; the SDK gives finished spans and their events a mapping.
    assert item.attributes is not None
    return item.attributes


def test_one_trace_from_caller_to_server_to_subscribers(
    actor_system: actors.ActorSystem, provider: Any, probe: Probe
) -> None:
    tracer_provider, exporter = provider
    PubSubManager.of(actor_system).ensure("orders_events")
    server = Orders.start(name="orders", system=actor_system)
    subscribers = [Subscriber.start(probe, name=f"sub{i}", system=actor_system) for i in (1, 2)]
    tracer = tracer_provider.get_tracer("test")
    with tracer.start_as_current_span("http request") as root:
        assert ("placed", 7) == actors.call(server, ("place", 7))
    seen = sorted(probe.expect(("seen", ANY, ANY, ANY)) for _ in subscribers)
    assert [
        ("seen", "sub1", ("order_placed", 7), False),
        ("seen", "sub2", ("order_placed", 7), False),
    ] == seen
    for ref in (*subscribers, server):  # their earlier handling spans have ended
        actors.call(ref, ("ping",))
    spans = by_name(exporter.get_finished_spans())
    trace_id = root.get_span_context().trace_id
    call = spans["call Orders"][0]
    handle = spans["handle_call Orders"][0]
    broadcast = spans["broadcast orders_events"][0]
    handled = spans["handle_info Subscriber"]
    assert {trace_id} == {s.context.trace_id for s in (call, handle, broadcast, *handled)}
    assert (SpanKind.CLIENT, root.get_span_context().span_id) == (call.kind, parent_of(call))
    assert (SpanKind.SERVER, call.context.span_id) == (handle.kind, parent_of(handle))
    assert (SpanKind.PRODUCER, handle.context.span_id) == (broadcast.kind, parent_of(broadcast))
    assert [(SpanKind.CONSUMER, broadcast.context.span_id)] * 2 == [
        (s.kind, parent_of(s)) for s in handled
    ]
    assert {"sub1", "sub2"} == {attributes_of(s)["actors.actor"] for s in handled}
    assert "order:7" == attributes_of(broadcast)["messaging.destination.name"]
    assert "place" == attributes_of(call)["actors.request"]


def test_casts_and_crashes(actor_system: actors.ActorSystem, provider: Any) -> None:
    tracer_provider, exporter = provider
    server = Orders.start(system=actor_system)
    with tracer_provider.get_tracer("test").start_as_current_span("job") as root:
        actors.cast(server, ("note", 1))
        with pytest.raises(actors.CallError):
            actors.call(server, ("crash",))  # the crash ends its handling span first
    spans = by_name(exporter.get_finished_spans())
    cast, handled = spans["cast Orders"][0], spans["handle_cast Orders"][0]
    assert (SpanKind.PRODUCER, root.get_span_context().span_id) == (cast.kind, parent_of(cast))
    assert (SpanKind.CONSUMER, cast.context.span_id) == (handled.kind, parent_of(handled))
    failed_call = spans["call Orders"][0]
    failed_handle = spans["handle_call Orders"][0]
    assert StatusCode.ERROR == failed_call.status.status_code
    assert StatusCode.ERROR == failed_handle.status.status_code
    exception_type = typing.cast(str, attributes_of(failed_handle.events[0])["exception.type"])
    assert "ValueError" in exception_type


def test_a_traced_call_queued_behind_a_crash_gets_the_crash_reason(
    actor_system: actors.ActorSystem, provider: Any
) -> None:
    import threading

    from actors.lowlevel import process_of

    gate = threading.Event()

    class Fragile(actors.GenServer):
        def handle_cast(self, request: Any) -> None:
            with actors.blocking():
                gate.wait(10)
            raise ValueError("crashed while a call waited")

        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            return "handled"

    ref = Fragile.start(system=actor_system)
    actors.cast(ref, "crash soon")
    results: list[Any] = []

    def call() -> None:
        try:
            results.append(actors.call(ref, "queued", timeout=10))
        except actors.CallError as exc:
            results.append(exc.reason)

    thread = threading.Thread(target=call)
    thread.start()
    proc = process_of(ref)
    assert proc is not None
    waiting = threading.Event()
    for _ in range(5000):  # until the traced call is in the mailbox
        if proc.queue_len():
            break
        waiting.wait(0.001)
    gate.set()
    thread.join(10)
    assert 1 == len(results)
    assert isinstance(results[0], ValueError)


@pytest.mark.asyncio
async def test_acall_and_async_servers_keep_the_trace(
    actor_system: actors.ActorSystem, provider: Any
) -> None:
    tracer_provider, exporter = provider

    class Back(actors.GenServer):
        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            return request + 1

    class Front(actors.AsyncGenServer):
        async def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            return await actors.acall("back", request)

    Back.start(name="back", system=actor_system)
    front = Front.start(system=actor_system)
    with tracer_provider.get_tracer("test").start_as_current_span("request") as root:
        assert 2 == await actors.acall(front, 1)
    # A handling span ends right after its reply is sent: a later message to
    # each server is handled only once those spans have ended.
    await actors.acall("back", 0)
    await actors.acall(front, 0)
    spans = by_name(exporter.get_finished_spans())
    chain = [
        spans["call Front"][0],
        spans["handle_call Front"][0],
        spans["call Back"][0],
        spans["handle_call Back"][0],
    ]
    parents = [root.get_span_context().span_id] + [s.context.span_id for s in chain[:-1]]
    assert parents == [parent_of(s) for s in chain]
    assert {root.get_span_context().trace_id} == {s.context.trace_id for s in chain}


def test_appends_store_their_context_in_the_events(
    actor_system: actors.ActorSystem, provider: Any, tmp_path: Path
) -> None:
    _, exporter = provider
    with EventStore.open(str(tmp_path / "events.db"), system=actor_system) as store:
        store.append("orders-1", [EventData("Placed", {"n": 1}), EventData("Paid", None, {"k": 1})])
        events = list(store.read_stream("orders-1"))
    append = by_name(exporter.get_finished_spans())["append eventstore"][0]
    flags = int(append.context.trace_flags)
    traceparent = f"00-{append.context.trace_id:032x}-{append.context.span_id:016x}-{flags:02x}"
    assert [{"traceparent": traceparent}, {"k": 1, "traceparent": traceparent}] == [
        e.metadata for e in events
    ]
    links = tracing.link_to_event(events[0])
    assert [append.context.span_id] == [link.context.span_id for link in links]
    import attrs

    assert [] == tracing.link_to_event(attrs.evolve(events[0], metadata=None))
    # The writer's call is part of the append's trace.
    writer_call = [s for s in exporter.get_finished_spans() if s.name.startswith("call ")]
    assert writer_call
    assert {append.context.trace_id} == {s.context.trace_id for s in writer_call}


def test_probes_receive_broadcasts_as_equal_tuples(
    actor_system: actors.ActorSystem, provider: Any, probe: Probe
) -> None:
    PubSubManager.of(actor_system).ensure("orders_events")
    pubsub.subscribe("orders_events", "t", probe, system=actor_system)
    pubsub.broadcast("orders_events", "t", ("tag", 1), system=actor_system)
    assert ("tag", 1) == probe.expect(("tag", ANY))


def test_uninstrument_restores_everything(actor_system: actors.ActorSystem) -> None:
    original = PubSub.dispatch
    tracing.instrument(tracer_provider=TracerProvider())
    assert tracing.instrumented()
    assert PubSub.dispatch is not original
    tracing.uninstrument()
    assert not tracing.instrumented()
    assert PubSub.dispatch is original
    with Probe(actor_system) as probe:
        PubSubManager.of(actor_system).ensure("plain")
        pubsub.subscribe("plain", "t", probe, system=actor_system)
        pubsub.broadcast("plain", "t", ("tag", 1), system=actor_system)
        assert tuple is type(probe.expect(("tag", ANY)))


def test_without_instrument_nothing_of_opentelemetry_is_imported() -> None:
    script = textwrap.dedent(
        """
        import sys
        import actors, actors.tracing, actors.pubsub, actors.eventstore, actors.metrics
        from actors import pubsub
        from actors.pubsub import PubSubManager

        class Echo(actors.GenServer):
            def handle_call(self, request, caller):
                return request
            def handle_cast(self, request):
                pass

        with actors.ActorSystem() as system:
            ref = Echo.start(system=system)
            assert actors.call(ref, 1) == 1
            actors.cast(ref, 2)
            PubSubManager.of(system).ensure("x")
            pubsub.broadcast("x", "t", ("m",), system=system)
        loaded = sorted(m for m in sys.modules if m.startswith("opentelemetry"))
        assert not loaded, loaded
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert ("ok\n", 0) == (out.stdout, out.returncode), out.stderr
