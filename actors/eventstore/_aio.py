"""Event store subscriptions read from a coroutine.

``async with eventstore.asubscribe(store, stream, from_version=0) as sub:
async for message in sub:`` receives what an actor subscriber would, in
Extreme's vocabulary (``("on_event", event)``, ``("caught_up",)``,
``("extreme", ...)``); with ``group=`` it joins a persistent subscription
group and receives ``("on_event", event, correlation_id)`` to
:func:`~actors.eventstore.ack` on ``sub.connection``.

The subscriber is an :class:`actors.AsyncInbox`: the subscription's
``mailbox_limit`` (or the group's ``buffer_size``) bounds what waits in it,
so a slow reader throttles the subscription, not the store. Iteration ends
when the subscription ends (the store stops, the stream is hard-deleted,
the group is deleted); leaving the block ends the subscription (it watches
its subscriber), and a persistent consumer's unacknowledged messages go to
the group's other consumers.
"""

from __future__ import annotations

import functools
from typing import Any

import actors
from actors.eventstore._api import connect_to_persistent_subscription, read_and_stay_subscribed
from actors.eventstore._api import subscribe_to as subscribe_live
from actors.eventstore._persistent import PersistentSubscription
from actors.eventstore._store import EventStore, resolve_store
from actors.eventstore._subscription import DEFAULT_MAILBOX_LIMIT, DEFAULT_PAGE_SIZE
from actors.eventstore._types import EventFilter

__all__ = ["AsyncEventSubscription", "asubscribe"]


class AsyncEventSubscription:
    """What ``async with asubscribe(...)`` gives (read it from that loop).

    Attributes:
        subscription: the subscription actor's ref (catch-up and live), or
            the group's manager (persistent).
        connection: the :class:`PersistentSubscription` to ack and nack on
            (persistent subscriptions only, else ``None``).
    """

    def __init__(self, store: EventStore | str, start: Any) -> None:
        self._store = store
        self._start = start
        self._inbox: actors.AsyncInbox | None = None
        self._monitor: Any = None
        self.subscription: Any = None
        self.connection: PersistentSubscription | None = None

    async def __aenter__(self) -> AsyncEventSubscription:
        handle = resolve_store(self._store)
        inbox = actors.AsyncInbox(handle.system)
        try:
            # Starting a subscription is a call to the store's supervisor
            # (and reads the stream head): on the pool, not on the loop.
            started = await actors.arun_blocking(self._start, handle, inbox, system=handle.system)
        except BaseException:
            inbox.close()
            raise
        if isinstance(started, PersistentSubscription):
            self.connection = started
            self.subscription = started.manager
        else:
            self.subscription = started
        self._monitor = inbox.monitor(self.subscription)
        self._inbox = inbox
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._inbox is not None:
            self._inbox.close()

    def __aiter__(self) -> AsyncEventSubscription:
        return self

    async def __anext__(self) -> Any:
        message = await self.receive()
        if message is None:
            raise StopAsyncIteration
        return message

    async def receive(self, timeout: float | None = None) -> Any:
        """The next message; ``None`` once the subscription has ended.

        Raises:
            TimeoutError: nothing arrived within ``timeout`` real seconds.
        """
        inbox = self._inbox
        if inbox is None:
            msg = "the subscription is not entered yet: use 'async with asubscribe(...) as sub'"
            raise RuntimeError(msg)
        try:
            message = await inbox.receive(timeout)
        except actors.InboxClosed:
            return None
        match message:
            case ("DOWN", mref, "process", _, _) if mref is self._monitor:
                inbox.close()
                return None
        return message


def asubscribe(
    store: EventStore | str,
    stream: str,
    from_version: int | None = None,
    *,
    group: str | None = None,
    filter: EventFilter | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    mailbox_limit: int = DEFAULT_MAILBOX_LIMIT,
    buffer_size: int = 10,
) -> AsyncEventSubscription:
    """Subscribe a coroutine to ``stream`` (or ``"$all"``).

    * ``from_version=None``: live events only (:func:`subscribe_to`);
    * ``from_version=n``: history from ``n``, ``("caught_up",)``, then live
      (:func:`read_and_stay_subscribed`);
    * ``group="name"``: a competing consumer of that persistent group
      (:func:`connect_to_persistent_subscription`, ``buffer_size`` unacked
      messages at most); ack on ``sub.connection``.

    Arguments are checked, and errors raised, when the block is entered.
    """
    start: Any
    if group is not None:
        if from_version is not None:
            msg = "give from_version or group, not both (a group keeps its own position)"
            raise ValueError(msg)
        start = functools.partial(_persistent, group, stream, buffer_size)
    elif from_version is None:
        start = functools.partial(_live, stream, filter=filter, mailbox_limit=mailbox_limit)
    else:
        start = functools.partial(
            _catch_up,
            stream,
            from_version,
            filter=filter,
            page_size=page_size,
            mailbox_limit=mailbox_limit,
        )
    return AsyncEventSubscription(store, start)


def _live(stream: str, store: EventStore, inbox: Any, **options: Any) -> Any:
    return subscribe_live(store, stream, inbox, **options)


def _catch_up(stream: str, from_version: int, store: EventStore, inbox: Any, **options: Any) -> Any:
    return read_and_stay_subscribed(store, stream, from_version, inbox, **options)


def _persistent(group: str, stream: str, buffer_size: int, store: EventStore, inbox: Any) -> Any:
    return connect_to_persistent_subscription(store, group, stream, inbox, buffer_size)
