"""Phoenix.PubSub-shaped functions taking an instance name or object.

``instance`` is a :class:`PubSub` or its name, looked up in the manager of
``system`` (default: the calling actor's system, else the default system).
Broadcast functions return ``Ok``/``Error`` and never raise;
``broadcast_or_raise`` raises :class:`BroadcastError` for those who want it.
"""

from __future__ import annotations

import re
from typing import Any

import actors
from actors import Error, Ok
from actors.pubsub._errors import BroadcastError, NoInstance
from actors.pubsub._instance import _DEFAULT, PubSub
from actors.pubsub._manager import PubSubManager

__all__ = [
    "accept_external",
    "broadcast",
    "broadcast_from",
    "broadcast_or_raise",
    "broadcast_signed",
    "direct_broadcast",
    "local_broadcast",
    "local_broadcast_from",
    "node_name",
    "subscribe",
    "subscribers",
    "unsubscribe",
]


def _find(instance: Any, system: actors.ActorSystem | None) -> PubSub | None:
    if instance.__class__ is str:  # the common case first
        return PubSubManager.of(system).get(instance)
    if isinstance(instance, PubSub):
        return instance
    if not isinstance(instance, str):
        msg = f"a pub/sub instance is a PubSub or its name (str), got {type(instance).__name__}"
        raise TypeError(msg)
    return PubSubManager.of(system).get(instance)


def _require(instance: Any, system: actors.ActorSystem | None) -> PubSub:
    found = _find(instance, system)
    if found is None:
        raise NoInstance(instance)
    return found


def subscribe(
    instance: Any,
    topic: str | None = None,
    subscriber: Any = None,
    metadata: Any = None,
    *,
    pattern: str | re.Pattern[str] | None = None,
    mailbox_limit: int | None = _DEFAULT,
    overflow: str | None = None,
    block_timeout: float | None = None,
    system: actors.ActorSystem | None = None,
) -> None:
    """Subscribe to ``topic`` (see :meth:`PubSub.subscribe`)."""
    _require(instance, system).subscribe(
        topic,
        subscriber,
        metadata,
        pattern=pattern,
        mailbox_limit=mailbox_limit,
        overflow=overflow,
        block_timeout=block_timeout,
    )


def unsubscribe(
    instance: Any,
    topic: str | None = None,
    subscriber: Any = None,
    *,
    pattern: str | re.Pattern[str] | None = None,
    system: actors.ActorSystem | None = None,
) -> int:
    """Remove every subscription of the subscriber to ``topic``."""
    return _require(instance, system).unsubscribe(topic, subscriber, pattern=pattern)


def subscribers(
    instance: Any, topic: str, *, system: actors.ActorSystem | None = None
) -> list[tuple[Any, Any]]:
    """``(ref, metadata)`` of the subscribers a broadcast on ``topic`` reaches."""
    return _require(instance, system).subscribers(topic)


def _guarded(instance: Any, system: actors.ActorSystem | None) -> PubSub | Error:
    try:
        found = _find(instance, system)
    except TypeError as exc:
        return Error("invalid_instance", detail=str(exc))
    return Error("no_instance") if found is None else found


def broadcast(
    instance: Any,
    topic: str,
    message: Any,
    *,
    system: actors.ActorSystem | None = None,
    wait: bool = True,
) -> Ok | Error:
    """Send ``message`` to every subscriber of ``topic``, on every node.

    ``wait=False``: never wait for room in a full mailbox whose policy is
    ``block``; such a subscriber misses this message (counted as dropped).
    """
    found = _guarded(instance, system)
    return found if isinstance(found, Error) else found.broadcast(topic, message, wait=wait)


def broadcast_from(
    instance: Any,
    sender: Any,
    topic: str,
    message: Any,
    *,
    system: actors.ActorSystem | None = None,
    wait: bool = True,
) -> Ok | Error:
    """Like :func:`broadcast`, skipping ``sender``."""
    found = _guarded(instance, system)
    if isinstance(found, Error):
        return found
    return found.broadcast_from(sender, topic, message, wait=wait)


def local_broadcast(
    instance: Any,
    topic: str,
    message: Any,
    *,
    system: actors.ActorSystem | None = None,
    wait: bool = True,
) -> Ok | Error:
    """Send to this node's subscribers only."""
    found = _guarded(instance, system)
    return found if isinstance(found, Error) else found.local_broadcast(topic, message, wait=wait)


def local_broadcast_from(
    instance: Any,
    sender: Any,
    topic: str,
    message: Any,
    *,
    system: actors.ActorSystem | None = None,
    wait: bool = True,
) -> Ok | Error:
    """Send to this node's subscribers only, skipping ``sender``."""
    found = _guarded(instance, system)
    if isinstance(found, Error):
        return found
    return found.local_broadcast_from(sender, topic, message, wait=wait)


def direct_broadcast(
    node: str,
    instance: Any,
    topic: str,
    message: Any,
    *,
    system: actors.ActorSystem | None = None,
) -> Ok | Error:
    """Send to the subscribers on ``node`` only; an unknown node is ignored
    (``Ok(delivered=0)``), as in Phoenix."""
    found = _guarded(instance, system)
    return found if isinstance(found, Error) else found.direct_broadcast(node, topic, message)


def broadcast_or_raise(
    instance: Any, topic: str, message: Any, *, system: actors.ActorSystem | None = None
) -> Ok:
    """:func:`broadcast` that raises :class:`BroadcastError` instead of
    returning an ``Error`` (Phoenix's ``broadcast!``)."""
    result = broadcast(instance, topic, message, system=system)
    if isinstance(result, Error):
        raise BroadcastError(instance, topic, result)
    return result


def broadcast_signed(
    instance: Any, topic: str, message: tuple[str, Any], *, system: actors.ActorSystem | None = None
) -> Ok | Error:
    """Sign ``(tag, payload)`` and deliver it through the instance's external
    boundary (see :meth:`PubSub.broadcast_signed`)."""
    found = _guarded(instance, system)
    return found if isinstance(found, Error) else found.broadcast_signed(topic, message)


def accept_external(
    instance: Any, topic: str, raw: Any, *, system: actors.ActorSystem | None = None
) -> Ok | Error:
    """Deliver a message from outside the process, verified on secure
    instances (see :meth:`PubSub.accept_external`)."""
    found = _guarded(instance, system)
    return found if isinstance(found, Error) else found.accept_external(topic, raw)


def node_name(instance: Any, *, system: actors.ActorSystem | None = None) -> str:
    """The node name the instance's adapter reports."""
    return _require(instance, system).adapter.node_name()
