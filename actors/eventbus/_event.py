"""The event: what ``notify`` stores and every subscriber's shadow points to."""

from __future__ import annotations

from typing import Any, TypeAlias

import attrs

from actors.eventbus._json import json_value

__all__ = ["Event", "EventId", "Shadow", "check_event_id", "check_shadow", "check_topic"]

EventId: TypeAlias = str | int
"""An event id: unique per topic while the event is unprocessed."""

Shadow: TypeAlias = tuple[str, EventId]
"""``(topic, id)``: what names a stored event."""


def check_topic(topic: Any, what: str = "a topic") -> str:
    """``topic`` if it is a non-empty str.

    Raises:
        TypeError: not a str.
        ValueError: empty.
    """
    if type(topic) is not str:
        msg = f"{what} must be a str, got {type(topic).__name__} {topic!r}"
        raise TypeError(msg)
    if not topic:
        msg = f"{what} must not be empty"
        raise ValueError(msg)
    return topic


def check_event_id(event_id: Any, what: str = "an event id") -> EventId:
    """``event_id`` if it is a non-empty str or an int (not a bool).

    Raises:
        TypeError, ValueError: anything else.
    """
    kind = type(event_id)
    if kind is int:
        return int(event_id)
    if kind is str:
        if not event_id:
            msg = f"{what} must not be an empty str"
            raise ValueError(msg)
        return str(event_id)
    msg = f"{what} must be a str or an int, got {kind.__name__} {event_id!r}"
    raise TypeError(msg)


def check_shadow(shadow: Any) -> Shadow:
    """``(topic, id)`` checked; the form ``fetch_event`` and the marks take.

    Raises:
        TypeError, ValueError: not a ``(topic, id)`` pair of the right types.
    """
    if type(shadow) is not tuple or len(shadow) != 2:
        msg = f"an event shadow is a (topic, id) tuple, got {type(shadow).__name__} {shadow!r}"
        raise TypeError(msg)
    topic, event_id = shadow
    return check_topic(topic, "the shadow's topic"), check_event_id(event_id, "the shadow's id")


def _id(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_event_id(value, f"Event.{attribute.name}")


def _topic(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_topic(value, f"Event.{attribute.name}")


def _optional_id(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        check_event_id(value, f"Event.{attribute.name}")


def _optional_str(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and type(value) is not str:
        msg = f"Event.{attribute.name} must be a str or None, got {type(value).__name__} {value!r}"
        raise TypeError(msg)


def _optional_int(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and type(value) is not int:
        msg = f"Event.{attribute.name} must be an int or None, got {type(value).__name__} {value!r}"
        raise TypeError(msg)


def _data(value: Any) -> Any:
    return json_value(value, "$.data")


@attrs.frozen
class Event:
    """One event on one topic (event_bus's ``%EventBus.Model.Event{}``).

    Only ``id``, ``topic`` and ``data`` are required. ``data`` is any JSON
    value; it is checked and copied here, tuples becoming lists, so what a
    subscriber fetches equals what was notified. Every check raises
    :class:`TypeError` or :class:`ValueError` naming the field.

    Attributes:
        id: a str or an int, unique per topic while unprocessed.
        topic: the registered topic it is notified on.
        data: the payload (JSON: None, bool, int, float, str, list, dict).
        transaction_id: ties together events of one transaction; the
            :class:`~actors.eventbus.EventSource` sets it to ``id`` when not
            given.
        source: who created the event.
        initialized_at: when its creation started, in the configured time
            unit since the Unix epoch.
        occurred_at: when it occurred, in the same unit.
        ttl: how long it stays meaningful, in the same unit. Informational:
            the bus does nothing with it (as event_bus).
    """

    id: EventId = attrs.field(validator=_id)
    topic: str = attrs.field(validator=_topic)
    data: Any = attrs.field(converter=_data)
    transaction_id: EventId | None = attrs.field(default=None, validator=_optional_id)
    source: str | None = attrs.field(default=None, validator=_optional_str)
    initialized_at: int | None = attrs.field(default=None, validator=_optional_int)
    occurred_at: int | None = attrs.field(default=None, validator=_optional_int)
    ttl: int | None = attrs.field(default=None, validator=_optional_int)

    @property
    def shadow(self) -> Shadow:
        """``(topic, id)``, what ``fetch_event`` and the marks take."""
        return (self.topic, self.id)

    @property
    def duration(self) -> int:
        """``occurred_at - initialized_at`` when both are set, else 0 (event_bus's
        ``Event.duration/1``)."""
        if self.initialized_at is None or self.occurred_at is None:
            return 0
        return self.occurred_at - self.initialized_at
