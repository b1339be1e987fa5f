"""The OpenTelemetry tracer the core calls (see :mod:`actors._tracing`).

Spans, in OpenTelemetry's messaging and RPC vocabulary:

* ``call <component>`` (CLIENT) in the caller, around the whole call;
  ``handle_call <component>`` (SERVER) in the server's turn, its child;
* ``cast <component>`` (PRODUCER) in the sender; ``handle_cast
  <component>`` (CONSUMER) in the receiver, its child;
* ``broadcast <instance>`` (PRODUCER) around a pub/sub fan-out (a child of
  whatever span the publisher is in); each subscriber's ``handle_info
  <component>`` (CONSUMER) is a *child* of it, so one trace runs from the
  caller through the server to every subscriber of what it broadcast;
* ``append <store>`` (PRODUCER) around an event store append; each event's
  metadata gets a ``traceparent`` key (events with dict or no metadata),
  so that readers, at any later time, can link their work to it with
  :func:`actors.tracing.link_to_event`.

The carrier that travels with a message is a W3C trace-context dict
(``traceparent``, ``tracestate``), made and read with OpenTelemetry's
global propagator, so a cluster adapter can put it on the wire as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

__all__ = ["OtelTracer", "request_tag"]

_KINDS = {
    "call": (SpanKind.CLIENT, SpanKind.SERVER, "handle_call"),
    "cast": (SpanKind.PRODUCER, SpanKind.CONSUMER, "handle_cast"),
    "info": (SpanKind.PRODUCER, SpanKind.CONSUMER, "handle_info"),
}


def request_tag(request: Any) -> str:
    """A low-cardinality name for a request: the tag of a tagged tuple, else
    its type (never its values)."""
    if isinstance(request, tuple) and request and isinstance(request[0], str):
        return request[0]
    return type(request).__name__


def _component(proc: Any) -> str:
    return str(getattr(proc, "component", type(proc).__name__))


def _name(proc: Any) -> str:
    name = getattr(proc, "name", None)
    return _component(proc) if name is None else str(name)


class OtelTracer:
    """Implements the core's tracer protocol with an OpenTelemetry tracer."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self.tracer = tracer

    def start(self, kind: str, proc: Any, request: Any) -> tuple[Any, Any]:
        span_kind = _KINDS[kind][0]
        span = self.tracer.start_span(
            f"{kind} {_component(proc)}",
            kind=span_kind,
            attributes={
                "actors.target": _name(proc),
                "actors.request": request_tag(request),
                "actors.node": str(getattr(getattr(proc, "system", None), "node", "")),
            },
        )
        token = otel_context.attach(trace.set_span_in_context(span))
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return (span, token), carrier

    def end(self, token: Any, error: BaseException | None) -> None:
        span, attached = token
        if error is not None:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
        span.end()
        otel_context.detach(attached)

    def handling(
        self, kind: str, proc: Any, message: Any, carrier: Any
    ) -> AbstractContextManager[Any]:
        return self._handling(kind, proc, message, carrier)

    @contextmanager
    def _handling(self, kind: str, proc: Any, message: Any, carrier: Any) -> Iterator[Any]:
        parent = propagate.extract(carrier) if isinstance(carrier, dict) else None
        _, span_kind, verb = _KINDS[kind]
        with self.tracer.start_as_current_span(
            f"{verb} {_component(proc)}",
            context=parent,
            kind=span_kind,
            attributes={
                "actors.actor": _name(proc),
                "actors.request": request_tag(message),
            },
        ) as span:
            yield span
