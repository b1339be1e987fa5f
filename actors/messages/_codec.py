"""The codec: catalogue messages to JSON-safe dicts and back.

One :class:`cattrs.Converter` is built when this module is imported, after
every message class exists; the class for a payload is found through the
explicit registry of kinds (``"kind"`` key), never through subclass
discovery, so no class can be missed. Every dict carries ``"kind"`` and
``"schema"``::

    >>> to_dict(health)
    {'kind': 'node_health', 'schema': 1, 'node': 'a@host', ...,
     'timestamp': '2026-01-01T00:00:00.000Z'}

Decoding is strict: unknown kinds, extra keys, wrong types (``"1"`` for an
int, a string for a list) and timestamps without a UTC offset are refused
with a :class:`MessageFormatError` whose ``errors`` name each problem and
where it is. Timestamps are read in any ISO-8601 form with an offset and
normalised: converted to UTC and truncated to milliseconds, the catalogue's
precision, so that a decoded message encodes back to the same payload.
Payloads written with an older schema are upgraded by the functions given
to :func:`register_upgrade`, oldest first; encoding always writes the
current schema.
"""

from __future__ import annotations

import json
import threading
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final, TypeAlias

import cattrs
from cattrs.v import format_exception

from actors import Error
from actors.messages import _families  # noqa: F401  (every message class is registered)
from actors.messages._base import MessageSpec, all_specs, spec_for, spec_for_kind
from actors.messages._errors import MessageFormatError
from actors.messages._formats import (
    canonical_json,
    format_timestamp,
    json_value,
    loads_strict,
)
from actors.messages._kinds import LEAVES
from actors.messages._validation import validate

__all__ = [
    "Upgrade",
    "canonical_bytes",
    "from_dict",
    "from_json",
    "register_upgrade",
    "to_dict",
    "to_json",
]

Upgrade: TypeAlias = Callable[[dict[str, Any]], dict[str, Any]]
"""A pure function from the fields of schema ``n`` to those of ``n + 1``."""


class _HookError(ValueError):
    """A structure hook's refusal; its text is added to cattrs' message."""


def _format(exc: BaseException, tp: type | None) -> str:
    text = format_exception(exc, tp)
    if isinstance(exc, (_HookError, MessageFormatError)):
        return f"{text}: {exc}"
    return text


# Structure hooks (strict: nothing is coerced; the field kinds say how) ---------


def _leaf_hook(decode: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _: Any) -> Any:
        try:
            return decode(value)
        except ValueError as exc:
            raise _HookError(str(exc)) from None

    return structure


def _is_homogeneous_tuple(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_dict(tp: Any) -> bool:
    return tp is dict or typing.get_origin(tp) is dict


def _tuple_structure_factory(tp: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    item_type = typing.get_args(tp)[0]
    item_hook = conv.get_structure_hook(item_type)

    def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
        if type(value) is not list and type(value) is not tuple:
            raise _HookError(f"expected a list, got {type(value).__name__}")
        items = []
        for index, item in enumerate(value):
            try:
                items.append(item_hook(item, item_type))
            except (ValueError, TypeError) as exc:
                raise _HookError(f"item {index}: {exc}") from None
        return tuple(items)

    return structure_tuple


def _dict_structure_factory(tp: Any, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    args = typing.get_args(tp)
    value_type = args[1] if len(args) == 2 else Any
    value_hook = None if value_type is Any else conv.get_structure_hook(value_type)

    def structure_dict(value: Any, _: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _HookError(f"expected an object, got {type(value).__name__}")
        if value_hook is None:
            copied: dict[str, Any] = LEAVES[Any].decode(value)
            return copied
        out: dict[str, Any] = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _HookError(f"key {key!r} is not a str")
            out[key] = value_hook(item, value_type)
        return out

    return structure_dict


def _unstructure_datetime(value: datetime) -> str:
    return format_timestamp(value)


def _unstructure_json(value: Any) -> Any:
    return json_value(value)


def _build() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    for tp, kind in LEAVES.items():
        if tp is not Any:  # JSON values only occur in maps (see _dict_structure_factory)
            conv.register_structure_hook(tp, _leaf_hook(kind.decode))
    conv.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_structure_factory)
    conv.register_structure_hook_factory(_is_dict, _dict_structure_factory)
    conv.register_unstructure_hook(datetime, _unstructure_datetime)
    conv.register_unstructure_hook_func(_is_dict, _unstructure_json)
    return conv


_converter: Final = _build()

_structure: Final[dict[str, Callable[[Any, Any], Any]]] = {}
_unstructure: Final[dict[type[Any], Callable[[Any], Any]]] = {}
for _spec in all_specs():
    _structure[_spec.kind] = _converter.get_structure_hook(_spec.cls)
    _unstructure[_spec.cls] = _converter.get_unstructure_hook(_spec.cls)


# Schema upgrades ---------------------------------------------------------------

_upgrades: dict[tuple[str, int], Upgrade] = {}
_upgrades_lock = threading.Lock()


def register_upgrade(kind: str, from_schema: int, fn: Upgrade) -> None:
    """Teach the codec to read schema ``from_schema`` of ``kind``.

    ``fn`` gets the payload's fields (a fresh dict without ``"kind"`` and
    ``"schema"``) written with schema ``from_schema`` and returns them as
    schema ``from_schema + 1`` would have them. It must be pure: the same
    input always gives the same output. Decoding chains upgrades up to the
    class's current schema; ``fn`` runs in whichever thread decodes
    (``from_dict``, ``from_json``, a verifier), so it must be thread-safe.

    Raises:
        ValueError: for an unknown kind, a schema that is not older than
            the current one, or a second upgrade for the same step.
    """
    spec = spec_for_kind(kind)
    if spec is None:
        msg = f"unknown message kind {kind!r}"
        raise ValueError(msg)
    if spec.schema == 1:
        msg = f"{kind!r} is at its first schema: there is nothing to upgrade from"
        raise ValueError(msg)
    if type(from_schema) is not int or not 1 <= from_schema < spec.schema:
        msg = (
            f"{kind!r} is at schema {spec.schema}; upgrades start from schemas "
            f"1 to {spec.schema - 1}, got {from_schema!r}"
        )
        raise ValueError(msg)
    with _upgrades_lock:
        if (kind, from_schema) in _upgrades:
            msg = f"an upgrade of {kind!r} from schema {from_schema} is already registered"
            raise ValueError(msg)
        _upgrades[(kind, from_schema)] = fn


def _upgrade(spec: MessageSpec, schema: int, fields: dict[str, Any]) -> dict[str, Any]:
    while schema < spec.schema:
        fn = _upgrades.get((spec.kind, schema))
        if fn is None:
            line = f"no upgrade of {spec.kind!r} from schema {schema} @ $.schema"
            raise MessageFormatError(f"cannot read schema {schema} of {spec.kind!r}", [line])
        try:
            upgraded = fn(dict(fields))
        except Exception as exc:
            line = (
                f"upgrade of {spec.kind!r} from schema {schema} failed "
                f"({type(exc).__name__}: {exc}) @ $"
            )
            raise MessageFormatError(f"cannot upgrade {spec.kind!r}", [line]) from None
        if not isinstance(upgraded, dict):
            line = f"upgrade of {spec.kind!r} from schema {schema} did not return a dict @ $"
            raise MessageFormatError(f"cannot upgrade {spec.kind!r}", [line])
        fields = upgraded
        schema += 1
    return fields


# Encoding and decoding ---------------------------------------------------------


def _error_lines(error: Error) -> list[str]:
    reason = error.reason
    if reason == "missing_fields":
        return [f"required field missing @ $.{name}" for name in error.fields]
    if reason == "invalid_node_fields":
        return [f"invalid value for type, expected str @ $.{name}" for name in error.fields]
    if reason == "invalid_timestamp":
        return [f"invalid timestamp ({error.detail}) @ $.timestamp"]
    if reason == "invalid_types":
        return [
            f"invalid value for type, expected {expected} @ $.{name}"
            for name, expected in error.fields.items()
        ]
    return [f"{reason} @ $"]


def to_dict(message: Any) -> dict[str, Any]:
    """A JSON-safe dict of a catalogue message, with ``"kind"`` and ``"schema"``.

    Raises:
        MessageFormatError: if ``message`` is not a catalogue message or does
            not pass :func:`~actors.messages.validate` (so every dict this
            returns decodes back).
    """
    spec = spec_for(message)
    if spec is None:
        text = f"{type(message).__name__} is not a catalogue message"
        raise MessageFormatError(text, [f"{text} @ $"])
    checked = validate(message)
    if isinstance(checked, Error):
        raise MessageFormatError(f"cannot encode {spec.kind!r}", _error_lines(checked))
    body = _unstructure[spec.cls](message)
    return {"kind": spec.kind, "schema": spec.schema, **body}


def from_dict(data: Any) -> Any:
    """The message a codec dict describes, upgraded to the current schema.

    Raises:
        MessageFormatError: for anything but a valid payload of a known kind
            and schema; ``errors`` lists every problem found.
    """
    if not isinstance(data, Mapping):
        text = f"expected a JSON object, got {type(data).__name__}"
        raise MessageFormatError("cannot decode message", [f"{text} @ $"])
    if "kind" not in data:
        raise MessageFormatError("cannot decode message", ["required field missing @ $.kind"])
    kind = data["kind"]
    spec = spec_for_kind(kind)
    if spec is None:
        line = f"unknown message kind {kind!r} @ $.kind"
        raise MessageFormatError("cannot decode message", [line])
    if "schema" not in data:
        raise MessageFormatError(f"cannot decode {kind!r}", ["required field missing @ $.schema"])
    schema = data["schema"]
    if type(schema) is not int or schema < 1:
        line = f"invalid value for type, expected a positive int @ $.schema (got {schema!r})"
        raise MessageFormatError(f"cannot decode {kind!r}", [line])
    if schema > spec.schema:
        line = f"schema {schema} is newer than this reader's {spec.schema} @ $.schema"
        raise MessageFormatError(f"cannot decode {kind!r}", [line])
    fields = {k: v for k, v in data.items() if k != "kind" and k != "schema"}
    if schema < spec.schema:
        fields = _upgrade(spec, schema, fields)
    try:
        return _structure[kind](fields, spec.cls)
    except Exception as exc:
        lines = cattrs.transform_error(exc, format_exception=_format)
        raise MessageFormatError(f"cannot decode {kind!r}", lines) from None


def to_json(message: Any) -> str:
    """:func:`to_dict` as compact JSON text (keys in field order)."""
    return json.dumps(to_dict(message), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def from_json(text: str | bytes | bytearray) -> Any:
    """:func:`from_dict` of JSON text.

    Raises:
        MessageFormatError: for invalid JSON (``NaN`` and ``Infinity``
            included) or an invalid payload.
    """
    try:
        data = loads_strict(text)
    except (ValueError, TypeError, RecursionError) as exc:
        line = f"invalid JSON ({type(exc).__name__}: {exc}) @ $"
        raise MessageFormatError("cannot decode message", [line]) from None
    return from_dict(data)


def _nested(value: Any) -> Any:
    if spec_for(value) is not None:
        return to_dict(value)
    text = f"{type(value).__name__} is not a JSON value"
    raise MessageFormatError(text, [f"{text} @ $"])


def canonical_bytes(obj: Any) -> bytes:
    """The canonical encoding that signatures are computed over.

    ``obj`` is a catalogue message (encoded with :func:`to_dict`) or JSON
    data that may contain messages, tuples and datetimes. The result is
    ASCII JSON with sorted keys and no whitespace
    (``separators=(",", ":")``); timestamps are ISO-8601 UTC with
    milliseconds and ``Z``; floats use Python's shortest round-trip form;
    NaN and infinities are refused.

    Raises:
        MessageFormatError: for values that have no canonical form.
    """
    if spec_for(obj) is not None:
        return canonical_json(to_dict(obj))
    return canonical_json(json_value(obj, "$", _nested))
