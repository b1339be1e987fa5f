"""``async with pubsub.asubscribe(instance, topic) as sub: async for message in sub``.

The subscriber is an :class:`actors.AsyncInbox`, so a subscription from a
coroutine is an ordinary subscription: the instance's delivery policy
(mailbox bound, overflow, block timeout) applies to it as to an actor, it
shows in the instance's statistics, and it ends when the block ends (the
inbox closes; the instance drops its subscriptions as it does for any
subscriber that exits).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import actors
from actors.lowlevel import resolve_system
from actors.pubsub._api import subscribe

__all__ = ["AsyncSubscription", "asubscribe"]


class AsyncSubscription:
    """What ``async with asubscribe(...)`` gives: iterate it, or
    ``await sub.receive(timeout)``. ``sub.inbox`` is the subscriber (a
    target: pass it to ``broadcast_from`` to skip yourself).

    Read it from the loop that entered the block.
    """

    def __init__(
        self,
        instance: Any,
        topic: str | None,
        metadata: Any,
        pattern: str | re.Pattern[str] | None,
        options: dict[str, Any],
        system: actors.ActorSystem | None,
    ) -> None:
        self._instance = instance
        self._topic = topic
        self._metadata = metadata
        self._pattern = pattern
        self._options = options
        self._system = system
        self._inbox: actors.AsyncInbox | None = None

    @property
    def inbox(self) -> actors.AsyncInbox:
        if self._inbox is None:
            msg = "the subscription is not entered yet: use 'async with asubscribe(...) as sub'"
            raise RuntimeError(msg)
        return self._inbox

    async def __aenter__(self) -> AsyncSubscription:
        owner = resolve_system(self._system)
        inbox = actors.AsyncInbox(owner)
        # subscribe() waits for the instance actor (and up to 2 s for one
        # that is restarting): run it on the pool, not on the loop.
        start = functools.partial(
            subscribe,
            self._instance,
            self._topic,
            inbox,
            self._metadata,
            pattern=self._pattern,
            system=owner,
            **self._options,
        )
        try:
            await actors.arun_blocking(start, system=owner)
        except BaseException:
            inbox.close()
            raise
        self._inbox = inbox
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._inbox is not None:
            self._inbox.close()

    async def receive(self, timeout: float | None = None) -> Any:
        """The next message (see :meth:`actors.AsyncInbox.receive`)."""
        return await self.inbox.receive(timeout)

    def __aiter__(self) -> AsyncSubscription:
        return self

    async def __anext__(self) -> Any:
        return await self.inbox.__anext__()


def asubscribe(
    instance: Any,
    topic: str | None = None,
    metadata: Any = None,
    *,
    pattern: str | re.Pattern[str] | None = None,
    system: actors.ActorSystem | None = None,
    **options: Any,
) -> AsyncSubscription:
    """Subscribe a coroutine to ``topic`` (or ``pattern``) of ``instance``::

        async with pubsub.asubscribe(instances.HEALTH, "cluster:health") as sub:
            async for message in sub:
                match message:
                    case ("node_health_updated", health): ...

    Topics, patterns and errors as for :func:`subscribe` (raised when the
    block is entered). ``mailbox_limit``, ``overflow`` and ``block_timeout``
    override the instance's policy for this subscription, as there; by
    default the instance's policy bounds it (a slow reader makes a ``block``
    publisher wait, a ``drop_*`` one drop, and every drop is counted).
    """
    unknown = set(options) - {"mailbox_limit", "overflow", "block_timeout"}
    if unknown:
        msg = f"asubscribe() got unknown option(s): {', '.join(sorted(unknown))}"
        raise TypeError(msg)
    return AsyncSubscription(instance, topic, metadata, pattern, options, system)
