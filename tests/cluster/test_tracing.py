"""Trace context across nodes: a call, a cast and a broadcast made on one node
continue their trace in the turns that handle them on another (two nodes in
the test's process, a redis-server of the test's own)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

import actors
from actors.pubsub import PubSubManager
from actors.testing import ANY, Probe
from tests.cluster.conftest import DURABLE_INSTANCE, two_nodes
from tests.cluster.harness import RedisServer

Factory = Callable[..., actors.ActorSystem]


class Echo(actors.GenServer):
    """Answers calls with the request; tells ``probe`` of casts and infos."""

    def init(self, probe: Probe) -> None:
        self.probe = probe

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        return request

    def handle_cast(self, request: Any) -> None:
        actors.send(self.probe, ("cast", request))

    def handle_info(self, message: Any) -> None:
        actors.send(self.probe, ("seen", message, type(message) is tuple))


def _one(spans: Sequence[ReadableSpan], trace_id: int, name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name and s.context.trace_id == trace_id]
    assert 1 == len(found), [(s.name, s.context.trace_id == trace_id) for s in spans]
    return found[0]


def test_a_remote_call_and_cast_continue_the_callers_trace(
    redis_server: RedisServer,
    actor_system_factory: Factory,
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    tracer_provider, exporter = provider
    one, two = two_nodes(actor_system_factory, redis_server.url())
    probe = Probe(two)
    echo = Echo.start(probe, name="echo", system=two)

    with tracer_provider.get_tracer("test").start_as_current_span("request") as request:
        assert ("ping", 1) == actors.call(("echo", two.node), ("ping", 1), system=one)
        actors.cast(("echo", two.node), ("note", 2), system=one)
    probe.expect(("cast", ("note", 2)), 10)
    actors.call(echo, ("sync",), system=two)  # the cast's turn, and its span, are over

    spans = exporter.get_finished_spans()
    trace_id = request.get_span_context().trace_id
    call = _one(spans, trace_id, "call RemoteProcess")
    handled = _one(spans, trace_id, "handle_call Echo")
    cast = _one(spans, trace_id, "cast RemoteProcess")
    handled_cast = _one(spans, trace_id, "handle_cast Echo")
    assert handled.parent is not None
    assert call.context.span_id == handled.parent.span_id
    assert handled_cast.parent is not None
    assert cast.context.span_id == handled_cast.parent.span_id
    assert (SpanKind.CLIENT, SpanKind.SERVER) == (call.kind, handled.kind)
    assert (SpanKind.PRODUCER, SpanKind.CONSUMER) == (cast.kind, handled_cast.kind)


def test_a_broadcast_reaches_remote_subscribers_inside_its_trace(
    redis_server: RedisServer,
    actor_system_factory: Factory,
    provider: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    tracer_provider, exporter = provider
    one, two = two_nodes(actor_system_factory, redis_server.url())
    probe = Probe(two)
    subscriber = Echo.start(probe, system=two)
    PubSubManager.of(two).ensure(DURABLE_INSTANCE).subscribe("orders", subscriber)
    publisher = PubSubManager.of(one).ensure(DURABLE_INSTANCE)

    with tracer_provider.get_tracer("test").start_as_current_span("request") as request:
        assert publisher.broadcast("orders", ("order_placed", 7))
    # The subscriber matches the plain tuple it always got.
    probe.expect(("seen", ("order_placed", 7), ANY), 20)
    actors.call(subscriber, ("sync",), system=two)  # its turn, and its span, are over

    spans = exporter.get_finished_spans()
    trace_id = request.get_span_context().trace_id
    broadcast = _one(spans, trace_id, f"broadcast {DURABLE_INSTANCE}")
    handled = _one(spans, trace_id, "handle_info Echo")
    assert handled.parent is not None
    assert broadcast.context.span_id == handled.parent.span_id
