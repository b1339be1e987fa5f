"""Exceptions raised by the actor API.

Every error names the target it is about, so a failure in a large system reads
as "call to 'billing' failed: timeout", not as a bare ``Timeout``.
"""

from __future__ import annotations

from typing import Any

from actors._reasons import format_reason

__all__ = [
    "ActorError",
    "AlreadyStarted",
    "CallError",
    "NoProcError",
    "PoolExhausted",
    "StartError",
]


class ActorError(Exception):
    """Base class of every error raised by ``actors``."""


class CallError(ActorError):
    """A call did not produce a reply.

    Attributes:
        reason: ``"noproc"`` (no such actor), ``"timeout"``, ``"calling_self"``,
            or the reason the server exited with while the call was pending
            (an exception when it crashed, ``"normal"``, ``"shutdown"``, ...).
        target: what the caller asked for (a ref or a registered name).
        request: the request that was sent, if any.
    """

    def __init__(
        self, reason: Any, target: Any = None, request: Any = None, *, system: str | None = None
    ) -> None:
        self.reason = reason
        self.target = target
        self.request = request
        self.system = system
        super().__init__(reason)
        if isinstance(reason, BaseException):
            # Show the server's crash under "The above exception was the direct cause".
            self.__cause__ = reason

    def __str__(self) -> str:
        where = f" in actor system {self.system!r}" if self.system is not None else ""
        return f"call to {_describe(self.target)}{where} failed: {format_reason(self.reason)}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_call_error, (self.reason, self.target, self.request, self.system))


class StartError(ActorError):
    """An actor could not be started.

    Attributes:
        cause: the exception its ``init`` raised, or a description of why the
            start was refused.
        actor: the class (or child id) that failed to start.
    """

    def __init__(self, actor: Any, cause: Any) -> None:
        self.actor = actor
        self.cause = cause
        super().__init__(actor, cause)

    def __str__(self) -> str:
        return f"could not start {_describe(self.actor)}: {format_reason(self.cause)}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.actor, self.cause))


class AlreadyStarted(StartError):
    """A live actor is already registered under the requested name.

    Attributes:
        name: the name that is taken.
        ref: the ref of the actor that holds it.
    """

    def __init__(self, name: Any, ref: Any) -> None:
        self.name = name
        self.ref = ref
        super().__init__(name, "already_started")

    def __str__(self) -> str:
        return f"an actor is already registered as {_short_repr(self.name)}: {self.ref}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name, self.ref))


class PoolExhausted(ActorError):
    """A pooled actor tried to block while the pool's ``max_blocked`` workers
    were blocked already; nothing was sent or waited for.

    Raise the limit with ``ActorSystem(max_blocked=...)``, or make fewer
    pooled actors wait at once (long chains of calls, many actors inside
    ``actors.blocking()``); actors that block for long belong on the
    ``"thread"`` runtime.
    """


class NoProcError(ActorError):
    """No actor is registered under a name (Erlang's ``badarg`` on send).

    Attributes:
        target: the name (or ref) that was asked for.
        detail: why, when there is more to say.
        system: the name of the actor system that was searched, if known.
    """

    def __init__(self, target: Any, detail: str = "", *, system: str | None = None) -> None:
        self.target = target
        self.detail = detail
        self.system = system
        super().__init__(target)

    def __str__(self) -> str:
        where = f" in actor system {self.system!r}" if self.system is not None else ""
        suffix = f" ({self.detail})" if self.detail else ""
        return f"no actor registered as {_short_repr(self.target)}{where}{suffix}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_noproc, (self.target, self.detail, self.system))


def _rebuild_call_error(reason: Any, target: Any, request: Any, system: str | None) -> CallError:
    return CallError(reason, target, request, system=system)


def _rebuild_noproc(target: Any, detail: str, system: str | None) -> NoProcError:
    return NoProcError(target, detail, system=system)


DESCRIBE_LIMIT = 200
"""Characters of a target's repr kept in error messages (a huge name is cut)."""


def _short_repr(value: Any) -> str:
    text = repr(value)
    if len(text) > DESCRIBE_LIMIT:
        text = f"{text[:DESCRIBE_LIMIT]}... ({len(text)} characters)"
    return text


def _describe(target: Any) -> str:
    if isinstance(target, str):
        return _short_repr(target)
    if isinstance(target, type):
        return target.__name__
    text = str(target)
    if len(text) > DESCRIBE_LIMIT:
        text = f"{text[:DESCRIBE_LIMIT]}... ({len(text)} characters)"
    return text
