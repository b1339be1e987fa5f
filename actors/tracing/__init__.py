"""W3C trace context through OpenTelemetry's API (``pip install 'actors-otp[otel]'``).

``actors.tracing.instrument()`` makes calls, casts, broadcasts and event
store appends carry a ``traceparent`` and become spans (a span per call
and per handled message, linked to the sender's span; see
``docs/tracing.md`` for the span tree). Importing this package imports
nothing from OpenTelemetry: :func:`instrument` does, when called. Without
it the core imports nothing and pays one flag read per send.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["TRACEPARENT", "instrument", "instrumented", "link_to_event", "uninstrument"]

TRACEPARENT = "traceparent"

if TYPE_CHECKING:
    from actors.tracing._instrument import instrument, instrumented, link_to_event, uninstrument


def __getattr__(name: str) -> Any:
    if name in ("instrument", "instrumented", "link_to_event", "uninstrument"):
        from actors.tracing import _instrument

        return getattr(_instrument, name)
    msg = f"module 'actors.tracing' has no attribute {name!r}"
    raise AttributeError(msg)
