"""Shared machinery of the message catalogue: the registry of message
classes and the declarations a class makes about its fields.

Every message class is registered once, at import, with a :class:`MessageSpec`
(its wire ``kind``, broadcast ``tag``, ``schema`` version, pub/sub
``instance``, required fields and factory arguments). The catalogue's own
classes are declared with :func:`message`, which also makes them frozen
attrs classes and sets ``KIND``, ``TAG``, ``SCHEMA`` and ``INSTANCE`` on
them; the core's :class:`~actors.ProcessLifecycle` is registered from
outside with :func:`register`, so :func:`spec_for` is the one lookup that
works for every message.

What a factory does with a field (:func:`~actors.messages.new`) is declared
on the field, in its attrs metadata: :func:`filled` (how to compute it when
the caller does not give it) and :func:`one_of` (the values a factory
accepts).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeVar, dataclass_transform

import attrs

from actors.messages._kinds import normalise_fields

if TYPE_CHECKING:
    from datetime import datetime

    from actors import ActorSystem

__all__ = [
    "Catalogued",
    "Fill",
    "Filling",
    "MessageSpec",
    "Rule",
    "all_specs",
    "filled",
    "fresh_id",
    "message",
    "one_of",
    "register",
    "same_time",
    "spec_for",
    "spec_for_kind",
    "spec_for_tag",
]

T = TypeVar("T")

RESERVED_KEYS: Final = frozenset({"kind", "schema"})
"""Keys the codec adds to every dict; no message may have such a field."""

RESERVED_KINDS: Final = frozenset({"json"})
"""Kinds the signing layer uses for payloads that are not catalogue messages."""

_FILL: Final = "actors.messages.fill"
_ONE_OF: Final = "actors.messages.one_of"


# What a factory knows about a field ------------------------------------------------


@attrs.frozen
class Filling:
    """What a :data:`Fill` may read.

    Attributes:
        system: the actor system the message is made in.
        now: the message's timestamp (given, or the system's now).
        values: the fields the caller gave (normalised), by name.
    """

    system: ActorSystem
    now: datetime
    values: Mapping[str, Any]


Fill = Callable[[Filling], Any]
"""Computes a field the caller of a factory did not give (or gave as ``None``)."""


@attrs.frozen
class Rule:
    """What a factory does with one field.

    Attributes:
        fill: computes the field when the caller leaves it out.
        allowed: the only values a factory accepts (``None``: any).
        prepare: turns the factory's argument into the field's value
            (for registered classes whose factory takes other arguments).
    """

    fill: Fill | None = None
    allowed: frozenset[str] | None = None
    prepare: Callable[[Any], Any] | None = None


def filled(fill: Fill) -> dict[str, Any]:
    """attrs metadata: a factory computes the field with ``fill`` when the
    caller does not give it. Use as ``attrs.field(metadata=filled(...))``."""
    return {_FILL: fill}


def one_of(*values: str) -> dict[str, Any]:
    """attrs metadata: a factory accepts only these values for the field
    (decoding and direct construction accept any string, so a newer
    sender's value still reads)."""
    return {_ONE_OF: frozenset(values)}


def same_time(made: Filling) -> datetime:
    """A :data:`Fill`: the message's own timestamp."""
    return made.now


def fresh_id(prefix: str = "") -> Fill:
    """A :data:`Fill` giving 16 random lowercase hex chars (8 bytes), after
    ``prefix`` and ``_``."""

    def generate(_: Filling) -> str:
        token = secrets.token_hex(8)
        return f"{prefix}_{token}" if prefix else token

    return generate


# The registry ---------------------------------------------------------------------


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
        args: the factory's positional arguments, in order (the original's
            signature); every other field is a keyword argument.
        aliases: factory arguments named otherwise than their field
            (``{"pid": "actor_id"}``).
        rules: what the factory does with each field that has a rule.
    """

    cls: type[Any]
    kind: str
    tag: str
    schema: int
    instance: str
    required: tuple[str, ...]
    args: tuple[str, ...] = ()
    aliases: Mapping[str, str] = MappingProxyType({})
    rules: Mapping[str, Rule] = MappingProxyType({})

    @property
    def fields(self) -> tuple[str, ...]:
        """The class's field names, in declaration order."""
        return tuple(a.name for a in attrs.fields(self.cls))

    @property
    def choices(self) -> dict[str, frozenset[str]]:
        """The fields whose values a factory restricts, and their values."""
        return {name: r.allowed for name, r in self.rules.items() if r.allowed is not None}


_lock = threading.Lock()
_by_class: dict[type[Any], MessageSpec] = {}
_by_kind: dict[str, MessageSpec] = {}
_by_tag: dict[str, MessageSpec] = {}


def _check(cls: type[Any], required: tuple[str, ...], args: Iterable[str], kind: str) -> None:
    if not attrs.has(cls):
        msg = f"{cls.__name__} is not an attrs class"
        raise ValueError(msg)
    names = {a.name for a in attrs.fields(cls)}
    clash = names & RESERVED_KEYS
    if clash:
        msg = f"{cls.__name__} has fields reserved by the codec: {sorted(clash)}"
        raise ValueError(msg)
    unknown = [name for name in (*required, *args) if name not in names]
    if unknown:
        msg = f"{cls.__name__} has no fields {unknown} (listed as required or as arguments)"
        raise ValueError(msg)
    if kind in RESERVED_KINDS:
        msg = f"kind {kind!r} is reserved"
        raise ValueError(msg)


def register(
    cls: type[Any],
    *,
    kind: str,
    tag: str,
    schema: int,
    instance: str,
    required: Iterable[str],
    args: Iterable[str] = (),
    aliases: Mapping[str, str] | None = None,
    rules: Mapping[str, Rule] | None = None,
) -> MessageSpec:
    """Add ``cls`` to the catalogue; kinds and tags must be unique.

    ``rules`` adds to (and wins over) the rules read from the fields'
    metadata. ``args`` may use the names of ``aliases``.

    Raises:
        ValueError: on a duplicate kind, tag or class, a reserved kind, a
            field named ``kind`` or ``schema``, or a required field or
            argument the class does not have.
    """
    aliases = dict(aliases or {})
    needed = tuple(dict.fromkeys([*required, "timestamp"]))
    arguments = tuple(args)
    _check(cls, needed, (aliases.get(name, name) for name in arguments), kind)
    if not isinstance(schema, int) or schema < 1:
        msg = f"schema must be a positive int, got {schema!r}"
        raise ValueError(msg)
    found = {a.name: _rule_of(a) for a in attrs.fields(cls)}
    merged = {name: r for name, r in found.items() if r is not None} | dict(rules or {})
    spec = MessageSpec(
        cls=cls,
        kind=kind,
        tag=tag,
        schema=schema,
        instance=instance,
        required=needed,
        args=arguments,
        aliases=MappingProxyType(aliases),
        rules=MappingProxyType(merged),
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


def _rule_of(field: attrs.Attribute[Any]) -> Rule | None:
    fill, allowed = field.metadata.get(_FILL), field.metadata.get(_ONE_OF)
    return None if fill is None and allowed is None else Rule(fill=fill, allowed=allowed)


class Catalogued:
    """The base of the catalogue's classes: declares what :func:`message` sets."""

    __slots__ = ()
    if TYPE_CHECKING:  # what attrs adds, for type checkers (attrs.fields, attrs.evolve)
        __attrs_attrs__: ClassVar[tuple[attrs.Attribute[Any], ...]]

    KIND: ClassVar[str]
    """The wire tag of the class in codec dicts."""
    TAG: ClassVar[str]
    """The first element of the broadcast tuple."""
    SCHEMA: ClassVar[int]
    """The current schema version."""
    INSTANCE: ClassVar[str]
    """The pub/sub instance the message belongs to."""


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(attrs.field,))
def message(
    kind: str,
    instance: str,
    *,
    tag: str,
    schema: int = 1,
    args: str = "",
    required: str = "",
) -> Callable[[type[T]], type[T]]:
    """Class decorator: a frozen, keyword-only attrs class in the catalogue.

    Args:
        kind: the wire kind.
        instance: the pub/sub instance.
        tag: the broadcast tag.
        schema: the current schema version.
        args: the factory's positional arguments, space-separated
            (``"node status checks"``).
        required: the fields that must not be ``None``, space-separated
            (``timestamp`` is always required).

    Fields get their kind's converter (see :mod:`actors.messages._kinds`);
    the class gets ``KIND``, ``TAG``, ``SCHEMA`` and ``INSTANCE``.
    """

    def decorate(cls: type[T]) -> type[T]:
        made: type[T] = attrs.frozen(cls, kw_only=True, field_transformer=normalise_fields)
        made.KIND = kind  # type: ignore[attr-defined]
        made.TAG = tag  # type: ignore[attr-defined]
        made.SCHEMA = schema  # type: ignore[attr-defined]
        made.INSTANCE = instance  # type: ignore[attr-defined]
        register(
            made,
            kind=kind,
            tag=tag,
            schema=schema,
            instance=instance,
            required=required.split(),
            args=args.split(),
        )
        return made

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
