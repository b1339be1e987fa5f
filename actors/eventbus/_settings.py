"""The bus's settings: ``ActorSystem(config={"eventbus": {...}})`` and start options.

event_bus reads ``config :event_bus, topics: [...], ttl: ..., time_unit:
..., id_generator: ...``; here the same keys live in the system's config
under ``"eventbus"``, and :meth:`EventBus.start <actors.eventbus.EventBus.start>`
arguments override them::

    ActorSystem(config={"eventbus": {
        "path": "app.db",                      # the SQLite file (default ":memory:")
        "topics": ["user_created", "user_create_erred"],
        "ttl": 30_000_000,                     # EventSource's default ttl
        "source": "billing",                   # EventSource's default source
        "time_unit": "microsecond",            # second | millisecond | microsecond | nanosecond
        "id_generator": my_ids,                # a zero-argument callable
    }})
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

import attrs

import actors
from actors.eventbus._event import EventId, check_topic
from actors.eventbus._ids import base62_id

__all__ = ["CONFIG_KEY", "TIME_UNITS", "Settings", "check_time_unit", "resolve_settings"]

CONFIG_KEY: Final = "eventbus"
"""Where the bus's settings live in ``ActorSystem.config``."""

TIME_UNITS: Final = {
    "second": 1,
    "millisecond": 1_000,
    "microsecond": 1_000_000,
    "nanosecond": 1_000_000_000,
}
"""Units of ``initialized_at``/``occurred_at`` (Elixir's ``System.time_unit``)."""

_KEYS: Final = ("path", "topics", "ttl", "source", "time_unit", "id_generator")

IdGenerator = Callable[[], EventId]


@attrs.frozen(kw_only=True)
class Settings:
    """Resolved settings (explicit arguments over config over defaults).

    Attributes:
        path: the store (a path, ``":memory:"``, a backend or a factory).
        topics: registered at start.
        ttl: the default ``ttl`` of events an EventSource builds.
        source: the default ``source`` (else the module of the function
            that produced the data).
        time_unit: the unit of ``initialized_at``/``occurred_at``.
        id_generator: makes ids for events built without one.
    """

    path: Any = ":memory:"
    topics: tuple[str, ...] = ()
    ttl: int | None = None
    source: str | None = None
    time_unit: str = "microsecond"
    id_generator: IdGenerator = base62_id


def check_time_unit(unit: Any) -> str:
    if unit not in TIME_UNITS:
        msg = f"time_unit must be one of {', '.join(TIME_UNITS)}, got {unit!r}"
        raise ValueError(msg)
    return str(unit)


def _topics(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        msg = f"{what} must be a list of topics, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    return tuple(dict.fromkeys(check_topic(t, f"a topic in {what}") for t in value))


def _check(key: str, value: Any, what: str) -> Any:
    if key == "topics":
        return _topics(value, what)
    if key == "ttl":
        if value is not None and type(value) is not int:
            msg = f"{what} must be an int or None, got {type(value).__name__} {value!r}"
            raise TypeError(msg)
        return value
    if key == "source":
        if value is not None and type(value) is not str:
            msg = f"{what} must be a str or None, got {type(value).__name__} {value!r}"
            raise TypeError(msg)
        return value
    if key == "time_unit":
        return check_time_unit(value)
    if key == "id_generator":
        if not callable(value):
            msg = f"{what} must be a zero-argument callable, got {type(value).__name__} {value!r}"
            raise TypeError(msg)
        return value
    if key == "path" and not (
        isinstance(value, str | os.PathLike) or callable(value) or hasattr(value, "write")
    ):
        msg = (
            f"{what} must be a path, ':memory:', an EventBusBackend or a factory of "
            f"one, got {type(value).__name__} {value!r}"
        )
        raise TypeError(msg)
    return value


def resolve_settings(system: actors.ActorSystem, overrides: Mapping[str, Any]) -> Settings:
    """Settings from ``system.config["eventbus"]`` with ``overrides`` (values
    that are not ``None``) on top; ``topics`` are the union, config first.

    Raises:
        TypeError, ValueError: an unknown key or a bad value, named.
    """
    config = system.config.get(CONFIG_KEY, {})
    if not isinstance(config, Mapping):
        msg = f'ActorSystem config["{CONFIG_KEY}"] must be a mapping, got {type(config).__name__}'
        raise TypeError(msg)
    unknown = sorted(set(config) - set(_KEYS))
    if unknown:
        msg = (
            f'unknown keys in ActorSystem config["{CONFIG_KEY}"]: {", ".join(map(repr, unknown))}; '
            f"expected {', '.join(_KEYS)}"
        )
        raise ValueError(msg)
    values: dict[str, Any] = {
        key: _check(key, value, f'config["{CONFIG_KEY}"]["{key}"]') for key, value in config.items()
    }
    for key, value in overrides.items():
        if value is None:
            continue
        checked = _check(key, value, key)
        if key == "topics":
            checked = tuple(dict.fromkeys([*values.get("topics", ()), *checked]))
        values[key] = checked
    return Settings(**values)
