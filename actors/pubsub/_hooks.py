"""What an application plugs into a pub/sub instance.

Pub/sub itself knows no message catalogue, no secret and no alert instance:
an application (the gater) hands each instance its hooks. All of them are
optional except ``verifier`` on a ``secure=True`` instance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from actors import Error, Ok

__all__ = ["HooksFactory", "InstanceHooks", "SubscriberStalled"]


@attrs.frozen
class SubscriberStalled:
    """A subscriber of a ``block`` instance stopped making room, or recovered.

    Attributes:
        instance: the instance name.
        topic: the topic of the broadcast that found it (still) full.
        subscriber: the subscriber's ref.
        depth: its mailbox depth when the report was made.
        limit: the subscription's ``mailbox_limit``.
        recovered: ``False`` when it stalled (a publisher waited
            ``block_timeout`` in vain); ``True`` on the first delivery after.
        missed: messages it did not get while stalled (0 when it stalls;
            the total of the episode when it recovers). Each one was reported
            to its publisher as an ``Error``.
    """

    instance: str
    topic: str
    subscriber: Any
    depth: int
    limit: int
    recovered: bool
    missed: int


@attrs.frozen
class InstanceHooks:
    """The callbacks of one instance. Each runs in the thread that triggered
    it and must not block: hand work to an actor (``actors.send``) instead.

    Attributes:
        verifier: ``verifier(raw, topic) -> Ok(message) | Error(reason)``
            checks a message that arrived from outside the process
            (``accept_external`` on a ``secure=True`` instance); runs in the
            caller of ``accept_external``.
        signer: ``signer(topic, (tag, payload)) -> Ok(raw) | Error(reason)``
            makes the envelope ``broadcast_signed`` hands to the verifier;
            runs in the caller of ``broadcast_signed``.
        on_forgery: ``on_forgery(topic, reason)`` for each envelope the
            verifier refused; runs in the caller of ``accept_external``.
        on_stall: ``on_stall(SubscriberStalled)`` when a ``block``
            subscriber stalls or recovers; runs in the publisher's thread.
    """

    verifier: Callable[[Any, str], Ok | Error] | None = None
    signer: Callable[[str, tuple[str, Any]], Ok | Error] | None = None
    on_forgery: Callable[[str, Any], None] | None = None
    on_stall: Callable[[SubscriberStalled], None] | None = None


HooksFactory = Callable[[str, Any], InstanceHooks]
"""``factory(name, config) -> InstanceHooks`` for instances created without
explicit hooks (:meth:`PubSubManager.set_hooks`); runs in the creating thread."""
