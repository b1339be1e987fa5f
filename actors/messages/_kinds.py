"""The kinds of field a message may have, in one table.

Each field of a catalogue class is declared with an ordinary type: one of
the leaf kinds below (``str``, ``int``, ``float``, ``bool``, ``datetime``,
``Any`` for a JSON value), ``X | None``, ``tuple[X, ...]`` or
``dict[str, X]``. The table gives, for each leaf kind, what the three users
of field types need:

* the validator: whether a Python value is of the kind (:func:`checker`);
* the codec: how to read a JSON value as the kind, strictly (nothing is
  coerced: ``"1"`` is not an int), or why not (:attr:`Kind.decode`);
* the classes: the attrs converter that normalises what a constructor is
  given (:func:`converter`): ints given to float fields become floats,
  mappings are copied into dicts, datetimes lose their sub-millisecond
  digits (the catalogue's precision, so every message survives a round
  trip through the codec).
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Final, TypeAlias

import attrs

from actors.messages._formats import (
    MAX_DEPTH,
    is_utc,
    json_value,
    parse_timestamp,
    to_milliseconds,
)

__all__ = [
    "LEAVES",
    "Check",
    "Kind",
    "as_tuple",
    "checker",
    "converter",
    "normalise_fields",
]

Check: TypeAlias = Callable[[Any], bool]


@attrs.frozen
class Kind:
    """One leaf kind of field.

    Attributes:
        name: how validation errors and :func:`~actors.messages.field_types`
            call it.
        accepts: the validator's check of a Python value.
        decode: the codec's reading of a JSON value; raises ``ValueError``
            saying what it got instead.
        convert: the attrs converter of fields of this kind, if any; it
            leaves values it cannot normalise as they are, for the
            validator to report.
    """

    name: str
    accepts: Check
    decode: Callable[[Any], Any]
    convert: Callable[[Any], Any] | None = None


# Checks (the validator: subclasses of the types count, bools are not numbers) ---


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_float(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return _is_int(value)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_utc_datetime(value: Any) -> bool:
    return isinstance(value, datetime) and is_utc(value)


def _is_json(value: Any, depth: int = 0) -> bool:
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if depth >= MAX_DEPTH:
        return False
    if isinstance(value, (list, tuple)):
        return all(_is_json(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v, depth + 1) for k, v in value.items())
    return False


# Decoders (the codec: exact JSON types only) -----------------------------------


def _exactly(tp: type) -> Callable[[Any], Any]:
    def decode(value: Any) -> Any:
        if type(value) is not tp:
            raise ValueError(f"got {type(value).__name__}")
        return value

    return decode


def _decode_float(value: Any) -> float:
    if type(value) is int:
        return float(value)
    if type(value) is not float:
        raise ValueError(f"got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not JSON")
    return value


def _decode_timestamp(value: Any) -> datetime:
    return to_milliseconds(parse_timestamp(value))


# Converters (the classes: normalise, never refuse) -------------------------------


def _as_float(value: Any) -> Any:
    return float(value) if type(value) is int else value


def _as_dict(value: Any) -> Any:
    return dict(value) if isinstance(value, Mapping) else value


def _as_milliseconds(value: Any) -> Any:
    return to_milliseconds(value) if isinstance(value, datetime) else value


def as_tuple(value: Any) -> Any:
    """What a factory does with an argument for a ``tuple`` field: any
    iterable but a string, bytes or mapping becomes a tuple."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        return value
    return tuple(value)


LEAVES: Final[Mapping[Any, Kind]] = {
    str: Kind("str", _is_str, _exactly(str)),
    int: Kind("int", _is_int, _exactly(int)),
    float: Kind("float", _is_float, _decode_float, _as_float),
    bool: Kind("bool", _is_bool, _exactly(bool)),
    datetime: Kind("datetime (UTC)", _is_utc_datetime, _decode_timestamp, _as_milliseconds),
    Any: Kind("JSON value", _is_json, json_value),
}
"""The leaf kinds, by declared type."""


# Composite kinds -------------------------------------------------------------------


def _split_optional(tp: Any) -> tuple[list[Any], bool]:
    """The members of a union (or ``[tp]``) without ``None``, and whether it had ``None``."""
    if typing.get_origin(tp) in (types.UnionType, typing.Union):
        args = typing.get_args(tp)
        parts = [arg for arg in args if arg is not type(None)]
        return parts, len(parts) < len(args)
    return [tp], False


def checker(tp: Any) -> tuple[Check, str]:
    """The validator's check for values of the declared type ``tp``, and its
    readable name (``"float | None"``, ``"tuple[str, ...]"``).

    Raises:
        TypeError: for a type the catalogue does not use.
    """
    if tp in LEAVES:
        kind = LEAVES[tp]
        return kind.accepts, kind.name
    parts, optional = _split_optional(tp)
    if optional or len(parts) > 1:
        checks = [checker(part) for part in parts]
        name = " | ".join(n for _, n in checks) + (" | None" if optional else "")

        def union_check(value: Any) -> bool:
            return (optional and value is None) or any(check(value) for check, _ in checks)

        return union_check, name
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item_check, item_name = checker(args[0])
        return (
            lambda value: isinstance(value, tuple) and all(item_check(v) for v in value),
            f"tuple[{item_name}, ...]",
        )
    if origin is dict and len(args) == 2:
        value_check, value_name = checker(args[1])
        return (
            lambda value: (
                isinstance(value, dict)
                and all(isinstance(k, str) and value_check(v) for k, v in value.items())
            ),
            f"dict[str, {'Any' if args[1] is Any else value_name}]",
        )
    msg = f"no field kind for type {tp!r}"
    raise TypeError(msg)


def converter(tp: Any) -> Callable[[Any], Any] | None:
    """The attrs converter of a field declared as ``tp`` (``None``: none)."""
    parts, _ = _split_optional(tp)
    if len(parts) != 1:
        return None
    part = parts[0]
    if part in LEAVES:
        return LEAVES[part].convert
    if part is dict or typing.get_origin(part) is dict:
        return _as_dict
    return None


def normalise_fields(
    cls: type[Any], fields: list[attrs.Attribute[Any]]
) -> list[attrs.Attribute[Any]]:
    """attrs ``field_transformer``: give each field its kind's converter."""
    hints = typing.get_type_hints(cls)
    out = []
    for field in fields:
        convert = converter(hints[field.name])
        if convert is not None and field.converter is None:
            field = field.evolve(converter=convert)
        out.append(field)
    return out
