"""Extreme's functions: subscribe, catch up and stay subscribed, unsubscribe.

Each takes the store first (an :class:`EventStore` handle or its name), as
Extreme takes its connection, and returns the subscription's ref: an actor
the caller can monitor (resubscribe on ``DOWN``, as Extreme's examples do).
``subscriber`` defaults to the calling actor.
"""

from __future__ import annotations

from typing import Any

import actors
import supervision as sv
from actors.eventstore._store import EventStore, resolve_store
from actors.eventstore._subscription import (
    DEFAULT_MAILBOX_LIMIT,
    DEFAULT_PAGE_SIZE,
    Subscription,
)
from actors.eventstore._types import ALL, EventFilter
from actors.eventstore._validate import check_int, check_stream
from actors.lowlevel import process_of

__all__ = ["read_and_stay_subscribed", "resolve_subscriber", "subscribe_to", "unsubscribe"]


def resolve_subscriber(subscriber: Any, system: actors.ActorSystem) -> Any:
    """The subscriber to deliver to: the given target, else the calling actor.

    Raises:
        TypeError: no subscriber given outside an actor, or not a target.
        ValueError: a name nobody holds, or an actor that has exited.
    """
    if subscriber is None:
        subscriber = actors.current()
        if subscriber is None:
            msg = "give a subscriber (a ref, name or probe) when not calling from inside an actor"
            raise TypeError(msg)
        return subscriber
    proc = process_of(subscriber, system)
    if proc is None or not proc.alive:
        msg = f"subscriber {subscriber!r} is not a running actor"
        raise ValueError(msg)
    return subscriber


def _check_filter(stream: str, filter: Any) -> EventFilter | None:
    if filter is None:
        return None
    if not isinstance(filter, EventFilter):
        msg = f"filter must be an EventFilter, got {type(filter).__name__}"
        raise TypeError(msg)
    if stream != ALL:
        msg = f"a filter needs the stream {ALL!r}, not {stream!r}"
        raise ValueError(msg)
    return filter


def _start(
    store: EventStore,
    subscriber: Any,
    stream: str,
    from_key: int | None,
    filter: EventFilter | None,
    page_size: int,
    mailbox_limit: int,
) -> actors.Ref[Subscription]:
    core = store._core()
    spec = sv.child_spec(
        ("subscription", stream),
        Subscription,
        core,
        subscriber,
        stream,
        from_key,
        filter,
        page_size,
        mailbox_limit,
        restart="temporary",
    )
    ref: actors.Ref[Subscription] = sv.start_child(
        core.names["subscriptions"], spec, timeout=core.write_timeout
    )
    return ref


def subscribe_to(
    store: EventStore | str,
    stream: str,
    subscriber: Any = None,
    *,
    filter: EventFilter | None = None,
    mailbox_limit: int = DEFAULT_MAILBOX_LIMIT,
) -> actors.Ref[Subscription]:
    """Live events only: the subscriber gets ``("on_event", event)`` for
    each event committed after this returns (no history, no ``caught_up``).

    Args:
        stream: a stream, or ``"$all"`` (every stream; ``filter`` narrows it
            by stream prefix and event type).
        mailbox_limit: stop handing events to the subscriber while its
            mailbox holds this many messages.
    """
    handle = resolve_store(store)
    name = check_stream(stream, allow_all=True)
    target = resolve_subscriber(subscriber, handle.system)
    return _start(
        handle,
        target,
        name,
        None,
        _check_filter(name, filter),
        DEFAULT_PAGE_SIZE,
        check_int(mailbox_limit, "mailbox_limit", minimum=1),
    )


def read_and_stay_subscribed(
    store: EventStore | str,
    stream: str,
    from_version: int = 0,
    subscriber: Any = None,
    *,
    filter: EventFilter | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    mailbox_limit: int = DEFAULT_MAILBOX_LIMIT,
) -> actors.Ref[Subscription]:
    """Every stored event from ``from_version`` (a ``$all`` position for
    ``"$all"``), then ``("caught_up",)``, then live events; never a gap or a
    duplicate between them. A stream with no events, soft-deleted or
    hard-deleted gives ``("extreme", severity, problem, stream)`` first
    (see :mod:`actors.eventstore._subscription`).

    Args:
        page_size: events read from the store at a time.
        mailbox_limit: as for :func:`subscribe_to`.
    """
    handle = resolve_store(store)
    name = check_stream(stream, allow_all=True)
    start = check_int(from_version, "from_version", minimum=0)
    target = resolve_subscriber(subscriber, handle.system)
    return _start(
        handle,
        target,
        name,
        start,
        _check_filter(name, filter),
        check_int(page_size, "page_size", minimum=1),
        check_int(mailbox_limit, "mailbox_limit", minimum=1),
    )


def unsubscribe(subscription: Any, *, system: actors.ActorSystem | None = None) -> str:
    """End a subscription; returns ``"unsubscribed"`` (its subscriber gets
    ``("extreme", "unsubscribed")``), or ``"noproc"`` if it had already ended."""
    try:
        result: str = actors.call(subscription, ("unsubscribe",), system=system)
    except actors.CallError as exc:
        if exc.reason == actors.NOPROC or actors.is_normal_exit(exc.reason):
            return actors.NOPROC
        raise
    return result
