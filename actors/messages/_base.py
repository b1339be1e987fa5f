"""Shared machinery of the message catalogue: the registry of message
classes, the field helpers the structs use, and what the factories need
(the actor system to read time and node from, random ids).

Every message class is registered once, at import, with a :class:`MessageSpec`
(its wire ``kind``, broadcast ``tag``, ``schema`` version, pub/sub
``instance`` and required fields). The catalogue's own classes carry the same
values as ``ClassVar`` s (``KIND``, ``TAG``, ``SCHEMA``, ``INSTANCE``); the
core's :class:`~actors.ProcessLifecycle` is registered from outside, so
:func:`spec_for` is the one lookup that works for every message.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs

from actors.lowlevel import resolve_system

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = [
    "MessageSpec",
    "all_specs",
    "as_float",
    "as_optional_float",
    "catalogue",
    "copy_map",
    "new_id",
    "register",
    "resolve_system",
    "spec_for",
    "spec_for_kind",
    "spec_for_tag",
    "stamp",
]

T = TypeVar("T")

RESERVED_KEYS: Final = frozenset({"kind", "schema"})
"""Keys the codec adds to every dict; no message may have such a field."""

RESERVED_KINDS: Final = frozenset({"json"})
"""Kinds the signing layer uses for payloads that are not catalogue messages."""


@attrs.frozen
class MessageSpec:
    """What the catalogue knows about one message class.

    Attributes:
        cls: the frozen attrs class.
        kind: the wire tag of the class in codec dicts (``"node_health"``).
        tag: the first element of the broadcast tuple (``"node_health_updated"``).
        schema: the current schema version; the codec writes it and upgrades
            older payloads to it.
        instance: the pub/sub instance the message belongs to.
        required: fields that must not be ``None`` (``timestamp`` included).
    """

    cls: type[Any]
    kind: str
    tag: str
    schema: int
    instance: str
    required: tuple[str, ...]

    @property
    def fields(self) -> tuple[str, ...]:
        """The class's field names, in declaration order."""
        return tuple(a.name for a in attrs.fields(self.cls))


_lock = threading.Lock()
_by_class: dict[type[Any], MessageSpec] = {}
_by_kind: dict[str, MessageSpec] = {}
_by_tag: dict[str, MessageSpec] = {}


def register(
    cls: type[Any],
    *,
    kind: str,
    tag: str,
    schema: int,
    instance: str,
    required: Iterable[str],
) -> MessageSpec:
    """Add ``cls`` to the catalogue; kinds and tags must be unique.

    Raises:
        ValueError: on a duplicate kind, tag or class, a reserved kind, a
            field named ``kind`` or ``schema``, or a required field the class
            does not have.
    """
    if not attrs.has(cls):
        msg = f"{cls.__name__} is not an attrs class"
        raise ValueError(msg)
    names = {a.name for a in attrs.fields(cls)}
    clash = names & RESERVED_KEYS
    if clash:
        msg = f"{cls.__name__} has fields reserved by the codec: {sorted(clash)}"
        raise ValueError(msg)
    needed = tuple(dict.fromkeys([*required, "timestamp"]))
    unknown = [name for name in needed if name not in names]
    if unknown:
        msg = f"{cls.__name__} has no fields {unknown} (listed as required)"
        raise ValueError(msg)
    if kind in RESERVED_KINDS:
        msg = f"kind {kind!r} is reserved"
        raise ValueError(msg)
    if not isinstance(schema, int) or schema < 1:
        msg = f"schema must be a positive int, got {schema!r}"
        raise ValueError(msg)
    spec = MessageSpec(
        cls=cls, kind=kind, tag=tag, schema=schema, instance=instance, required=needed
    )
    with _lock:
        for table, key, what in (
            (_by_class, cls, "class"),
            (_by_kind, kind, "kind"),
            (_by_tag, tag, "tag"),
        ):
            if key in table:
                msg = f"duplicate message {what} {key!r}"
                raise ValueError(msg)
        _by_class[cls] = spec
        _by_kind[kind] = spec
        _by_tag[tag] = spec
    return spec


def catalogue(*, required: Iterable[str] = ()) -> Callable[[type[T]], type[T]]:
    """Class decorator: register a catalogue class from its ``ClassVar`` s.

    Put it above ``@attrs.frozen``; the class must define ``KIND``, ``TAG``,
    ``SCHEMA`` and ``INSTANCE``.
    """
    fields = tuple(required)

    def decorate(cls: type[T]) -> type[T]:
        ns: Mapping[str, Any] = vars(cls)
        register(
            cls,
            kind=ns["KIND"],
            tag=ns["TAG"],
            schema=ns["SCHEMA"],
            instance=ns["INSTANCE"],
            required=fields,
        )
        return cls

    return decorate


def spec_for(message: Any) -> MessageSpec | None:
    """The spec of a message class or instance; ``None`` if not catalogued.

    Only the exact class matches: subclasses of catalogue classes are not
    messages of their parent's kind.
    """
    cls = message if isinstance(message, type) else type(message)
    return _by_class.get(cls)


def spec_for_kind(kind: Any) -> MessageSpec | None:
    """The spec whose wire kind is ``kind``, or ``None``."""
    return _by_kind.get(kind) if isinstance(kind, str) else None


def spec_for_tag(tag: Any) -> MessageSpec | None:
    """The spec whose broadcast tag is ``tag``, or ``None``."""
    return _by_tag.get(tag) if isinstance(tag, str) else None


def all_specs() -> tuple[MessageSpec, ...]:
    """Every registered spec, in registration order."""
    with _lock:
        return tuple(_by_class.values())


# Field helpers -----------------------------------------------------------------


def as_float(value: float) -> float:
    """attrs converter: store ints given to a float field as floats.

    Anything else is kept as given, so a validator can still report it.
    """
    return float(value) if type(value) is int else value


def as_optional_float(value: float | None) -> float | None:
    """:func:`as_float` for fields that may be ``None``."""
    return float(value) if type(value) is int else value


def copy_map(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """A shallow copy of a factory's map argument (``None`` gives ``{}``)."""
    return {} if value is None else dict(value)


def new_id(prefix: str = "") -> str:
    """16 random lowercase hex chars (8 bytes), after ``prefix`` and ``_``."""
    token = secrets.token_hex(8)
    return f"{prefix}_{token}" if prefix else token


# System resolution -------------------------------------------------------------


def stamp(system: ActorSystem, timestamp: datetime | None) -> datetime:
    """``timestamp`` if given, else the system's now truncated to milliseconds."""
    return system.timestamp() if timestamp is None else timestamp
