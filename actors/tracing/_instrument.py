"""``instrument()``: install the OpenTelemetry tracer in the core and wrap
the pub/sub fan-out and event store appends (the instrumentation pattern of
OpenTelemetry's own libraries); ``uninstrument()`` undoes both."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import attrs
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

import actors
from actors.eventstore import ANY, EventData, EventStore, RecordedEvent
from actors.pubsub import PubSub
from actors.tracing import _seam
from actors.tracing._otel import OtelTracer

__all__ = ["TRACEPARENT", "instrument", "instrumented", "link_to_event", "uninstrument"]

TRACEPARENT = "traceparent"
"""The metadata key an instrumented append stores the W3C trace context under."""

_lock = threading.Lock()
_saved: dict[str, Any] = {}


def instrumented() -> bool:
    """Whether :func:`instrument` is in effect."""
    return bool(_saved)


def instrument(
    tracer_provider: trace.TracerProvider | None = None,
    *,
    pubsub: bool = True,
    eventstore: bool = True,
) -> None:
    """Trace calls, casts, broadcasts and event store appends, process-wide.

    Args:
        tracer_provider: default: OpenTelemetry's global provider (set up
            by your SDK configuration).
        pubsub: trace broadcasts of tagged tuples and their handling.
        eventstore: trace appends and store their context in each event.
    """
    tracer = trace.get_tracer("actors", actors.__version__, tracer_provider)
    with _lock:
        _uninstrument_locked()
        _seam.install(OtelTracer(tracer))
        _saved["installed"] = True
        if pubsub:
            original = PubSub.dispatch
            _saved["dispatch"] = original
            PubSub.dispatch = _in_broadcast_span(original, tracer)  # type: ignore[method-assign]
            # A broadcast that also leaves the node opens its span here, so the
            # context reaches the cluster adapter with the message (and the
            # dispatch inside passes the traced message through).
            fan_out = PubSub._broadcast
            _saved["broadcast"] = fan_out
            PubSub._broadcast = _in_broadcast_span(fan_out, tracer)  # type: ignore[method-assign]
        if eventstore:
            append = EventStore.append
            _saved["append"] = append
            EventStore.append = _traced_append(append, tracer)  # type: ignore[method-assign]


def uninstrument() -> None:
    """Stop tracing: the core's sends are untraced again, the wrappers go."""
    with _lock:
        _uninstrument_locked()


def _uninstrument_locked() -> None:
    if not _saved:
        return
    _seam.uninstall()
    dispatch = _saved.pop("dispatch", None)
    if dispatch is not None:
        PubSub.dispatch = dispatch  # type: ignore[method-assign]
    fan_out = _saved.pop("broadcast", None)
    if fan_out is not None:
        PubSub._broadcast = fan_out  # type: ignore[method-assign]
    append = _saved.pop("append", None)
    if append is not None:
        EventStore.append = append  # type: ignore[method-assign]
    _saved.clear()


def _in_broadcast_span(original: Any, tracer: trace.Tracer) -> Any:
    """``original(self, topic, message, ...)`` inside a ``broadcast`` span,
    with the message as a :class:`TracedInfo` carrying the span's context.
    A message that already is one (a dispatch inside a traced broadcast, or
    one that arrived from another node) passes through untouched."""

    def traced(self: PubSub, topic: str, message: Any, *args: Any, **kwargs: Any) -> Any:
        # Whatever else it takes (sender, exclude, wait, a cached plan) passes through.
        if message.__class__ is not tuple:  # only tagged tuples travel as TracedInfo
            return original(self, topic, message, *args, **kwargs)
        with tracer.start_as_current_span(
            f"broadcast {self.name}",
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "actors.pubsub",
                "messaging.destination.name": topic,
                "actors.pubsub.instance": self.name,
                "actors.request": message[0] if message and isinstance(message[0], str) else "",
            },
        ) as span:
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            result = original(self, topic, _seam.traced_info(message, carrier), *args, **kwargs)
            delivered = getattr(result, "details", {}).get("delivered") if result else None
            if delivered is not None:
                span.set_attribute("actors.pubsub.delivered", delivered)
            if not result:
                span.set_status(Status(StatusCode.ERROR, str(getattr(result, "reason", ""))))
            return result

    traced.__wrapped__ = original  # type: ignore[attr-defined]
    return traced


def _traced_append(original: Any, tracer: trace.Tracer) -> Any:
    def append(self: EventStore, stream: str, events: Any, expected_version: int = ANY) -> Any:
        with tracer.start_as_current_span(
            f"append {self.name}",
            kind=SpanKind.PRODUCER,
            attributes={"actors.eventstore.store": self.name, "actors.eventstore.stream": stream},
        ):
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            return original(self, stream, _with_context(events, carrier), expected_version)

    append.__wrapped__ = original  # type: ignore[attr-defined]
    return append


def _with_context(events: Any, carrier: dict[str, str]) -> Any:
    traceparent = carrier.get(TRACEPARENT)
    if traceparent is None:
        return events

    def stamped(event: Any) -> Any:
        if not isinstance(event, EventData):
            return event
        if event.metadata is None:
            return attrs.evolve(event, metadata={TRACEPARENT: traceparent})
        if isinstance(event.metadata, dict) and TRACEPARENT not in event.metadata:
            return attrs.evolve(event, metadata={**event.metadata, TRACEPARENT: traceparent})
        return event

    if isinstance(events, EventData):
        return stamped(events)
    if isinstance(events, Iterable) and not isinstance(events, str | bytes):
        return [stamped(event) for event in events]
    return events


def link_to_event(event: RecordedEvent) -> list[trace.Link]:
    """Span links to the append that stored ``event`` (empty if it carries
    no context): ``tracer.start_as_current_span("project", links=
    link_to_event(event))`` ties a reader's work to the writer's trace."""
    metadata = event.metadata
    if not isinstance(metadata, dict) or not isinstance(metadata.get(TRACEPARENT), str):
        return []
    context = propagate.extract({TRACEPARENT: metadata[TRACEPARENT]})
    span_context = trace.get_current_span(context).get_span_context()
    return [trace.Link(span_context)] if span_context.is_valid else []
