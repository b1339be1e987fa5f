"""Persistent subscription settings and group state (EventStoreDB's meaning).

A *group* reads one stream (or ``$all``) for competing consumers; the store
keeps its position. Keys: a stream group counts in the stream's versions, a
``$all`` group in positions.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Final

import attrs

from actors.eventstore._types import RecordedEvent

__all__ = [
    "CONSUMER_STRATEGIES",
    "NACK_ACTIONS",
    "Delivery",
    "GroupState",
    "ParkedMessage",
    "PersistentSettings",
    "RetryOutcome",
]

CONSUMER_STRATEGIES: Final = ("round_robin", "dispatch_to_single", "pinned")
NACK_ACTIONS: Final = ("park", "retry", "skip", "stop", "unknown")


def _int_at_least(minimum: int) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            msg = f"{attribute.name} must be an int, got {type(value).__name__}"
            raise TypeError(msg)
        if value < minimum:
            msg = f"{attribute.name} must be at least {minimum}, got {value}"
            raise ValueError(msg)

    return check


def _seconds(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{attribute.name} must be seconds (int or float), got {type(value).__name__}"
        raise TypeError(msg)
    if not (value > 0 and math.isfinite(value)):
        msg = f"{attribute.name} must be a finite number of seconds above 0, got {value}"
        raise ValueError(msg)


def _strategy(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value not in CONSUMER_STRATEGIES:
        msg = f"consumer_strategy must be one of {', '.join(CONSUMER_STRATEGIES)}, got {value!r}"
        raise ValueError(msg)


@attrs.frozen(slots=True)
class PersistentSettings:
    """A group's settings; the defaults are EventStoreDB's.

    Attributes:
        start_from: where a new group starts: ``0`` the beginning, ``-1``
            only events appended after its creation, ``n`` at version (or
            ``$all`` position) ``n``. Used only when the group is created.
        message_timeout: seconds a consumer has to ack a message; after that
            it is retried (its retry count goes up).
        max_retry_count: a message whose retry count has reached this is
            parked instead of retried (at most ``max_retry_count + 1``
            deliveries).
        live_buffer_size: accepted for compatibility; delivery here is
            pull-based (consumers are fed from the store as they ack), so
            there is no separate buffer of live events to size.
        read_batch_size: events read from the store per claim.
        buffer_size: most messages the group holds in memory at once,
            in flight and waiting for a consumer (must exceed
            ``read_batch_size``, as on EventStoreDB).
        checkpoint_after: seconds after which, if at least
            ``checkpoint_min_count`` messages were acked since the last one,
            a checkpoint is written.
        checkpoint_min_count, checkpoint_max_count: a checkpoint is also
            written as soon as ``checkpoint_max_count`` acks have accumulated.
        max_subscriber_count: most consumers at once; ``0`` is no limit.
        consumer_strategy: ``"round_robin"`` (spread over consumers with
            room), ``"dispatch_to_single"`` (fill the first consumer up to
            its buffer, then the next), ``"pinned"`` (events of one source
            stream always go to the same consumer while the set of consumers
            stays the same).
    """

    start_from: int = attrs.field(default=0, validator=_int_at_least(-1))
    message_timeout: float = attrs.field(default=30.0, validator=_seconds)
    max_retry_count: int = attrs.field(default=10, validator=_int_at_least(0))
    live_buffer_size: int = attrs.field(default=500, validator=_int_at_least(1))
    read_batch_size: int = attrs.field(default=20, validator=_int_at_least(1))
    buffer_size: int = attrs.field(default=500, validator=_int_at_least(1))
    checkpoint_after: float = attrs.field(default=2.0, validator=_seconds)
    checkpoint_min_count: int = attrs.field(default=10, validator=_int_at_least(1))
    checkpoint_max_count: int = attrs.field(default=1000, validator=_int_at_least(1))
    max_subscriber_count: int = attrs.field(default=0, validator=_int_at_least(0))
    consumer_strategy: str = attrs.field(default="round_robin", validator=_strategy)

    def __attrs_post_init__(self) -> None:
        if self.read_batch_size >= self.buffer_size:
            msg = (
                f"read_batch_size ({self.read_batch_size}) must be less than buffer_size "
                f"({self.buffer_size})"
            )
            raise ValueError(msg)
        if self.checkpoint_min_count > self.checkpoint_max_count:
            msg = (
                f"checkpoint_min_count ({self.checkpoint_min_count}) must not exceed "
                f"checkpoint_max_count ({self.checkpoint_max_count})"
            )
            raise ValueError(msg)

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PersistentSettings:
        known = {f.name for f in attrs.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@attrs.frozen(slots=True)
class GroupState:
    """A persistent subscription group as the store keeps it.

    Attributes:
        cursor: the next key (version, or ``$all`` position) to read.
        checkpoint: the last checkpoint written: every message up to this
            key is settled (acked, skipped or parked); ``-1`` for none.
        settled: the same computed now, from the unsettled messages (the
            checkpoint catches up with it by the group's checkpoint rules).
        last_key: the last version (or position) of the source now.
        in_flight: messages delivered and not yet acked.
        waiting: messages waiting for a (re)delivery.
        parked: parked messages.
        consumers: consumers connected (in any process).
    """

    stream: str
    group: str
    settings: PersistentSettings
    cursor: int
    checkpoint: int
    settled: int
    last_key: int
    in_flight: int
    waiting: int
    parked: int
    consumers: int
    created: datetime

    @property
    def lag(self) -> int:
        """Messages not settled yet: ``last_key - settled``."""
        return max(0, self.last_key - self.settled)


@attrs.frozen(slots=True)
class Delivery:
    """A message claimed for delivery: the event and how often it was retried."""

    key: int
    event: RecordedEvent
    retry_count: int


@attrs.frozen(slots=True)
class RetryOutcome:
    """What became of messages handed back: keys retried and keys parked."""

    retried: tuple[int, ...] = ()
    parked: tuple[int, ...] = ()


@attrs.frozen(slots=True)
class ParkedMessage:
    """A parked message. ``event`` is ``None`` if it has been trimmed since."""

    key: int
    position: int
    event: RecordedEvent | None
    reason: str
    retry_count: int
    parked_at: datetime
