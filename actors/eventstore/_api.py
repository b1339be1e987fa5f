"""Extreme's functions: subscribe, catch up and stay subscribed, unsubscribe.

Each takes the store first (an :class:`EventStore` handle or its name), as
Extreme takes its connection, and returns the subscription's ref: an actor
the caller can monitor (resubscribe on ``DOWN``, as Extreme's examples do).
``subscriber`` defaults to the calling actor.
"""

from __future__ import annotations

import uuid
from typing import Any

import actors
import supervision as sv
from actors.eventstore._errors import StoreUnavailable
from actors.eventstore._persistent import GroupManager, PersistentSubscription
from actors.eventstore._settings import NACK_ACTIONS
from actors.eventstore._store import EventStore, group_name, resolve_store
from actors.eventstore._subscription import (
    DEFAULT_MAILBOX_LIMIT,
    DEFAULT_PAGE_SIZE,
    Subscription,
)
from actors.eventstore._types import ALL, EventFilter, RecordedEvent
from actors.eventstore._validate import check_group, check_int, check_stream
from actors.lowlevel import process_of

__all__ = [
    "ack",
    "connect_to_persistent_subscription",
    "disconnect",
    "nack",
    "read_and_stay_subscribed",
    "resolve_subscriber",
    "subscribe_to",
    "subscription_statistics",
    "unsubscribe",
]


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
        _supervisor(core, "subscriptions"), spec, timeout=core.write_timeout
    )
    return ref


def _supervisor(core: Any, which: str) -> Any:
    found = actors.whereis(core.names[which], core.system)
    if found is None:
        msg = f"event store {core.name!r} is not running (no {which} supervisor)"
        raise StoreUnavailable(msg, url=core.url)
    return found


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


# Persistent subscriptions -------------------------------------------------------------


def connect_to_persistent_subscription(
    store: EventStore | str,
    group: str,
    stream: str,
    subscriber: Any = None,
    buffer_size: int = 10,
) -> PersistentSubscription:
    """Join a group as a competing consumer; returns the connection to pass
    to :func:`ack` and :func:`nack`.

    The subscriber receives ``("on_event", event, correlation_id)`` and has
    at most ``buffer_size`` unacknowledged messages at a time.

    Raises:
        GroupNotFound: create the group first
            (:meth:`EventStore.create_persistent_subscription`).
        MaxSubscribersReached: the group has ``max_subscriber_count`` consumers.
    """
    handle = resolve_store(store)
    name = check_stream(stream, allow_all=True)
    group = check_group(group)
    capacity = check_int(buffer_size, "buffer_size", minimum=1)
    target = resolve_subscriber(subscriber, handle.system)
    core = handle._core()
    core.backend.get_group(name, group)  # GroupNotFound before starting anything
    manager_name = group_name(core.name, name, group)
    consumer_id = str(uuid.uuid4())
    for _ in range(3):
        manager = actors.whereis(manager_name, handle.system)
        if manager is None:
            spec = sv.child_spec(
                ("group", name, group),
                GroupManager,
                core,
                name,
                group,
                name=manager_name,
                restart="temporary",
            )
            try:
                manager = sv.start_child(
                    _supervisor(core, "persistent"), spec, timeout=core.write_timeout
                )
            except sv.ChildStartError as exc:
                if isinstance(exc.cause, actors.AlreadyStarted):
                    continue  # another caller started it first: connect to that one
                cause = getattr(exc.cause, "cause", exc.cause)
                if isinstance(cause, BaseException):
                    raise cause.with_traceback(None) from None
                raise
        try:
            reply = actors.call(manager, ("connect", target, capacity, consumer_id))
        except actors.CallError as exc:
            if exc.reason == actors.NOPROC or actors.is_normal_exit(exc.reason):
                continue  # the manager was just stopping; start another
            raise
        match reply:
            case ("ok", PersistentSubscription() as connection):
                return connection
            case ("error", BaseException() as error):
                raise error.with_traceback(None)
    msg = f"could not reach the manager of group {group!r} on stream {name!r}"
    raise StoreUnavailable(msg, url=core.url)


def _keys_of(subscription: Any, events: Any) -> list[int]:
    if not isinstance(subscription, PersistentSubscription):
        msg = (
            "ack/nack take the PersistentSubscription returned by "
            f"connect_to_persistent_subscription, got {type(subscription).__name__}"
        )
        raise TypeError(msg)
    found = [events] if isinstance(events, RecordedEvent) else events
    if not isinstance(found, list | tuple) or not all(isinstance(e, RecordedEvent) for e in found):
        msg = f"ack/nack take a RecordedEvent or a list of them, got {type(events).__name__}"
        raise TypeError(msg)
    if subscription.stream == ALL:
        return [e.position for e in found]
    return [e.version for e in found]


def ack(subscription: PersistentSubscription, event: Any, correlation_id: str) -> str:
    """Acknowledge ``event`` (or a list of events): it is never delivered
    again. Returns ``"ok"`` (the ack travels asynchronously, as a cast)."""
    keys = _keys_of(subscription, event)
    actors.cast(subscription.manager, ("ack", str(correlation_id), keys))
    return "ok"


def nack(
    subscription: PersistentSubscription,
    event: Any,
    correlation_id: str,
    action: str = "retry",
    reason: str = "",
) -> str:
    """Refuse ``event`` (or a list): ``action`` is ``"park"``, ``"retry"``,
    ``"skip"``, ``"stop"`` or ``"unknown"`` (as retry); see
    :mod:`actors.eventstore._persistent`. Returns ``"ok"``."""
    keys = _keys_of(subscription, event)
    name = action.lower() if isinstance(action, str) else action
    if name not in NACK_ACTIONS:
        msg = f"nack action must be one of {', '.join(NACK_ACTIONS)}, got {action!r}"
        raise ValueError(msg)
    if not isinstance(reason, str):
        msg = f"a nack reason must be a str, got {type(reason).__name__}"
        raise TypeError(msg)
    actors.cast(subscription.manager, ("nack", str(correlation_id), keys, name, reason))
    return "ok"


def disconnect(subscription: PersistentSubscription) -> str:
    """Leave the group: this consumer's in-flight messages go to the others."""
    if not isinstance(subscription, PersistentSubscription):
        msg = f"disconnect takes a PersistentSubscription, got {type(subscription).__name__}"
        raise TypeError(msg)
    try:
        result: str = actors.call(subscription.manager, ("disconnect", subscription.correlation_id))
    except actors.CallError as exc:
        if exc.reason == actors.NOPROC or actors.is_normal_exit(exc.reason):
            return actors.NOPROC
        raise
    return result


def subscription_statistics(subscription: PersistentSubscription) -> Any:
    """The group manager's :class:`GroupStats`; being a call, it also waits
    until the acks and nacks sent before it have been handled."""
    if not isinstance(subscription, PersistentSubscription):
        msg = f"takes a PersistentSubscription, got {type(subscription).__name__}"
        raise TypeError(msg)
    return actors.call(subscription.manager, ("statistics",))
