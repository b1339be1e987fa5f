"""Tracing hooks: what the core does when a tracer is installed (and only then).

With no tracer installed the only cost is one flag read on the sending side
of :func:`actors.call`, :func:`actors.cast` and :func:`actors.acall`: the
receiving side is untouched, because traced messages travel in envelopes
of their own that the turn meets only on its rare-message path:

* a call or cast sent while tracing is on is queued as :class:`Traced`
  (a control envelope holding the usual ``Call``/``Cast`` and the sender's
  trace context), and handled inside the tracer's handling span;
* a broadcast of a tagged tuple is delivered as a :class:`TracedInfo`,
  a ``tuple`` subclass equal to the message (``match`` and ``==`` see the
  same tuple; probes and inboxes receive it unchanged) that also carries
  the broadcast's context.

The tracer (``actors.tracing.instrument()``, the OpenTelemetry integration)
decides what a context is: there it is a W3C ``traceparent`` carrier.
Nothing here imports OpenTelemetry.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, Protocol

from actors._envelopes import Call, Cast, Signal
from actors._errors import CallError
from actors._reasons import NOPROC

if TYPE_CHECKING:
    from actors._envelopes import Caller
    from actors._process import Process

__all__ = [
    "Traced",
    "TracedInfo",
    "Tracer",
    "call",
    "cast",
    "deliver_traced_call",
    "deliver_traced_cast",
    "enabled",
    "handle",
    "handle_info",
    "install",
    "installed",
    "traced_info",
    "uninstall",
]

enabled: bool = False
"""Whether a tracer is installed (read on the sending side)."""


class Tracer(Protocol):
    """What the core asks of a tracer. Every method runs in the thread where
    the event happens (the sender's, or the turn's on the receiver)."""

    def start(self, kind: str, proc: Process, request: Any) -> tuple[Any, Any]:
        """Open the sender's span for a ``"call"`` or ``"cast"`` to ``proc``;
        returns ``(token, carrier)``: the token for :meth:`end`, the carrier
        travelling with the message."""
        ...

    def end(self, token: Any, error: BaseException | None) -> None:
        """Close the span opened by :meth:`start`."""
        ...

    def handling(
        self, kind: str, proc: Process, message: Any, carrier: Any
    ) -> AbstractContextManager[Any]:
        """The receiver's span around one handled ``"call"``, ``"cast"`` or
        ``"info"`` (a broadcast), continuing ``carrier``'s trace."""
        ...


_tracer: Tracer | None = None


def install(tracer: Tracer) -> None:
    """Install ``tracer`` for the whole process (replacing any other)."""
    global _tracer, enabled
    _tracer = tracer
    enabled = True


def uninstall() -> None:
    global _tracer, enabled
    enabled = False
    _tracer = None


def installed() -> Tracer | None:
    return _tracer


class Traced(Signal):
    """A call or cast sent while tracing was on (see the module docstring)."""

    __slots__ = ("context", "envelope")

    def __init__(self, envelope: Call | Cast, context: Any) -> None:
        self.envelope = envelope
        self.context = context


class TracedInfo(tuple):  # type: ignore[type-arg]
    """A broadcast tagged tuple carrying its trace context in ``trace``."""

    trace: Any = None


def traced_info(message: tuple[Any, ...], carrier: Any) -> TracedInfo:
    """``message`` as a :class:`TracedInfo` carrying ``carrier``."""
    traced = TracedInfo(message)
    traced.trace = carrier
    return traced


class _Untraced:
    """Stands in when the tracer was uninstalled between the flag read and
    the use (another thread): the message goes out untraced."""

    def start(self, kind: str, proc: Process, request: Any) -> tuple[Any, Any]:
        return None, None

    def end(self, token: Any, error: BaseException | None) -> None:
        pass

    def handling(
        self, kind: str, proc: Process, message: Any, carrier: Any
    ) -> AbstractContextManager[Any]:
        return nullcontext()


_UNTRACED = _Untraced()


def call(proc: Any, target: Any, request: Any, caller: Caller, wait: float | None) -> Any:
    """:func:`actors.call` while tracing, to a GenServer or to a process that
    carries trace context itself (``deliver_traced_call``: a remote proxy).
    The sender's span covers the wait; the call goes through the mailbox
    (never inline)."""
    tracer = _tracer or _UNTRACED
    token, carrier = tracer.start("call", proc, request)
    error: BaseException | None = None
    future = caller.future
    try:
        if not deliver_traced_call(proc, request, caller, carrier):
            raise CallError(NOPROC, target, request)
        if not future._wait(wait) and future.try_set_exception(
            CallError("timeout", target, request)
        ):
            raise CallError("timeout", target, request)
        return future.get(timeout=0)
    except BaseException as exc:
        error = exc
        raise
    finally:
        tracer.end(token, error)


def cast(proc: Any, request: Any) -> bool:
    """:func:`actors.cast` while tracing (any process; only GenServers get
    the traced envelope, others the plain cast)."""
    tracer = _tracer or _UNTRACED
    token, carrier = tracer.start("cast", proc, request)
    try:
        return deliver_traced_cast(proc, request, carrier)
    finally:
        tracer.end(token, None)


def deliver_traced_call(proc: Any, request: Any, caller: Caller, carrier: Any) -> bool:
    """Deliver a call that continues ``carrier``'s trace: a GenServer handles
    it inside a span of that trace; a process with ``deliver_traced_call``
    (a remote proxy) carries the context on; any other gets the plain call.
    Runs in the sender's thread (or a cluster reader's, for a call that
    arrived from another node)."""
    if hasattr(proc, "run_turn"):
        return bool(proc.push(Traced(Call(request, caller), carrier)))
    forward = getattr(proc, "deliver_traced_call", None)
    if forward is not None:
        return bool(forward(request, caller, carrier))
    return bool(proc.deliver_call(request, caller))


def deliver_traced_cast(proc: Any, request: Any, carrier: Any) -> bool:
    """:func:`deliver_traced_call` for a cast."""
    if hasattr(proc, "run_turn"):
        return bool(proc.push(Traced(Cast(request), carrier)))
    forward = getattr(proc, "deliver_traced_cast", None)
    if forward is not None:
        return bool(forward(request, carrier))
    return bool(proc.deliver_cast(request))


def handle(proc: Any, actor: Any, message: Traced) -> None:
    """Handle a traced call or cast inside its span (the turn's thread)."""
    inner = message.envelope
    tracer = _tracer or _UNTRACED
    if inner.__class__ is Call:
        assert isinstance(inner, Call)
        with tracer.handling("call", proc, inner.request, message.context):
            proc._handle_call(actor, inner)
    else:
        with tracer.handling("cast", proc, inner.request, message.context):
            actor.handle_cast(inner.request)


def handle_info(proc: Any, actor: Any, message: TracedInfo) -> None:
    """Handle a traced broadcast inside its span (the turn's thread)."""
    tracer = _tracer or _UNTRACED
    with tracer.handling("info", proc, message, message.trace):
        actor.handle_info(message)
