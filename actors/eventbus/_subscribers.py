"""Subscriber identities: ``listener`` or ``(listener, config)``, compared exactly.

A *listener* is an actor: a :class:`~actors.Ref`, a registered name (a
``str``; the actor holding the name when an event is notified gets the
shadow) or a test :class:`~actors.testing.Probe`. A *subscriber* is a
listener alone or a listener with a config, and identity is exact, as in
event_bus: ``listener`` and ``(listener, config)`` are two subscribers, and
so are ``(listener, {"a": 1})`` and ``(listener, {"a": 2})``.

Because the watcher is stored, every subscriber has a **key**: canonical
JSON text (``["name","orders"]``, ``["name","orders",{"region":"eu"}]``,
``["ref","<process token>","<actor id>"]``), so configs must be JSON values
(compared as JSON: dict key order does not matter, a tuple equals a list).
Tuple names are not accepted as listeners, because ``(name, config)``
would be ambiguous: subscribe such an actor by its ref.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Final

import attrs

import actors
from actors.eventbus._json import json_value
from actors.lowlevel import Process

__all__ = [
    "PROCESS_TOKEN",
    "Subscriber",
    "display_of_key",
    "is_name_key",
    "is_ref_key_of_other_process",
    "parse_subscriber",
    "subscriber_key",
]

PROCESS_TOKEN: Final = secrets.token_hex(6)
"""Random per OS process: ref keys carry it, because a ref never outlives
its OS process (a stored delivery to a ref of another process is an orphan)."""

_LISTENER_KINDS: Final = "a Ref, a registered name (str) or a Probe"


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@attrs.frozen(eq=False)
class Subscriber:
    """One subscriber as the bus knows it.

    Attributes:
        spec: what the user gave (``listener`` or ``(listener, config)``);
            listings show this.
        listener: the Ref, name or Probe.
        has_config: whether it was given as ``(listener, config)``.
        config: the config as given (``None`` without one).
        key: the canonical identity (see the module docstring).
    """

    spec: Any
    listener: Any
    has_config: bool
    config: Any
    key: str

    @property
    def by_name(self) -> bool:
        """Whether the listener is a registered name (looked up per delivery)."""
        return isinstance(self.listener, str)

    def shadow(self, topic: str, event_id: str | int) -> tuple[Any, ...]:
        """The message the listener receives: ``("event", topic, id)``, or
        ``("event", config, topic, id)`` for a subscriber with a config."""
        if self.has_config:
            return ("event", self.config, topic, event_id)
        return ("event", topic, event_id)


def _listener_key(listener: Any, what: str) -> list[Any]:
    if isinstance(listener, str):
        if not listener:
            msg = f"{what}: a listener name must not be empty"
            raise ValueError(msg)
        return ["name", listener]
    if isinstance(listener, actors.Ref):
        return ["ref", PROCESS_TOKEN, listener.id]
    if isinstance(listener, Process):
        return ["ref", PROCESS_TOKEN, listener.id]
    if isinstance(listener, tuple):
        msg = (
            f"{what}: a listener must be {_LISTENER_KINDS}, got the tuple {listener!r}; "
            "subscribe an actor registered under a tuple name by its ref"
        )
        raise TypeError(msg)
    msg = (
        f"{what}: a listener must be {_LISTENER_KINDS}, got {type(listener).__name__} {listener!r}"
    )
    raise TypeError(msg)


def parse_subscriber(spec: Any, what: str = "subscriber") -> Subscriber:
    """Read ``listener`` or ``(listener, config)``.

    Raises:
        TypeError: not a listener, or a config that is not JSON.
        ValueError: an empty name, or a config JSON cannot carry.
    """
    if type(spec) is tuple:
        if len(spec) != 2:
            msg = (
                f"{what} must be a listener or a (listener, config) pair, "
                f"got a {len(spec)}-tuple {spec!r}"
            )
            raise TypeError(msg)
        listener, config = spec
        key = _listener_key(listener, what)
        try:
            normalised = json_value(config, "$.config")
        except (TypeError, ValueError) as exc:
            msg = (
                f"{what}: a listener's config is stored with its deliveries, so must be JSON: {exc}"
            )
            raise type(exc)(msg) from None
        return Subscriber(spec, listener, True, config, _canonical([*key, normalised]))
    key = _listener_key(spec, what)
    return Subscriber(spec, spec, False, None, _canonical(key))


def subscriber_key(subscriber: Any) -> str:
    """The stored identity of ``listener`` or ``(listener, config)`` (what
    :class:`~actors.eventbus.WatcherRecord` and
    :class:`~actors.eventbus.ListenerMetrics` ``key`` hold).

    Raises:
        TypeError, ValueError: not a subscriber.
    """
    return parse_subscriber(subscriber).key


def display_of_key(key: str) -> Any:
    """A subscriber spec rebuilt from a stored key, for listings of keys this
    bus no longer knows: a name (or ``(name, config)``), or for a ref the
    actor id string (or ``(actor_id, config)``)."""
    try:
        parts = json.loads(key)
    except ValueError:
        return key
    if not isinstance(parts, list) or not parts:
        return key
    kind = parts[0]
    if kind == "name" and len(parts) in (2, 3):
        return parts[1] if len(parts) == 2 else (parts[1], parts[2])
    if kind == "ref" and len(parts) in (3, 4):
        return parts[2] if len(parts) == 3 else (parts[2], parts[3])
    return key


def is_name_key(key: str) -> bool:
    """Whether ``key`` is a subscriber reached by registered name."""
    return key.startswith('["name",')


def is_ref_key_of_other_process(key: str) -> bool:
    """Whether ``key`` names a ref of another OS process (an orphan once
    stored: that actor can never mark it)."""
    try:
        parts = json.loads(key)
    except ValueError:
        return False
    return (
        isinstance(parts, list)
        and len(parts) >= 3
        and parts[0] == "ref"
        and parts[1] != PROCESS_TOKEN
    )
