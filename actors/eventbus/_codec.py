"""The event codec: :class:`Event` to JSON-safe dicts and back.

It follows the message catalogue's conventions (``actors.messages``): every
dict carries a ``"kind"`` (``"eventbus_event"``) and a ``"schema"``
version, decoding is strict (unknown keys, wrong types and a ``"1"`` for an
int are refused, each problem listed with where it is), and a schema newer
than this reader is refused rather than guessed at. The catalogue's own
converter is not reused because an event has no ``timestamp`` field, which
every catalogue message must have; this one is as small as the job.

The SQLite backend stores each event as :func:`to_json` text, so a stored
event carries the schema version it was written with.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final

import cattrs
from cattrs.v import format_exception

from actors.eventbus._errors import EventFormatError
from actors.eventbus._event import Event
from actors.eventbus._json import dumps

__all__ = ["KIND", "SCHEMA", "from_dict", "from_json", "to_dict", "to_json"]

KIND: Final = "eventbus_event"
"""The ``"kind"`` of an event dict."""
SCHEMA: Final = 1
"""The schema version this code writes and reads."""


class _HookError(ValueError):
    """A structure hook's refusal; its text is added to cattrs' message."""


def _format(exc: BaseException, tp: type | None) -> str:
    if isinstance(exc, _HookError):
        return f"{format_exception(exc, tp)}: {exc}"
    if tp is None and isinstance(exc, TypeError | ValueError) and not isinstance(exc, KeyError):
        # Raised by Event's own checks, whose messages already say what and where.
        return str(exc)
    return format_exception(exc, tp)


def _lines(exc: Exception) -> list[str]:
    lines = cattrs.transform_error(exc, format_exception=_format)
    # A check that names its own place ("... @ $.data.x") gets no second "@ $".
    return [line.removesuffix(" @ $") if line.count(" @ ") > 1 else line for line in lines]


def _strict(kind: type) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _: Any) -> Any:
        if type(value) is not kind:
            raise _HookError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return structure


def _structure_id(value: Any, _: Any) -> str | int:
    if type(value) is str or type(value) is int:
        return value
    raise _HookError(f"expected str or int, got {type(value).__name__}")


def _structure_optional_id(value: Any, _: Any) -> str | int | None:
    return None if value is None else _structure_id(value, None)


def _build() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(str, _strict(str))
    conv.register_structure_hook(int, _strict(int))
    conv.register_structure_hook_func(lambda tp: tp == (str | int), _structure_id)
    conv.register_structure_hook_func(lambda tp: tp == (str | int | None), _structure_optional_id)
    return conv


_converter: Final = _build()
_structure: Final = _converter.get_structure_hook(Event)
_unstructure: Final = _converter.get_unstructure_hook(Event)


def to_dict(event: Event) -> dict[str, Any]:
    """A JSON-safe dict of ``event`` with ``"kind"`` and ``"schema"``.

    Raises:
        TypeError: ``event`` is not an :class:`Event`.
    """
    if type(event) is not Event:
        msg = f"to_dict() encodes an eventbus Event, got {type(event).__name__} {event!r:.80}"
        raise TypeError(msg)
    body: dict[str, Any] = _unstructure(event)
    return {"kind": KIND, "schema": SCHEMA, **body}


def from_dict(data: Any) -> Event:
    """The :class:`Event` a codec dict describes.

    Raises:
        EventFormatError: anything but a valid event dict of a schema this
            code reads; ``errors`` lists every problem.
    """
    if not isinstance(data, Mapping):
        text = f"expected a JSON object, got {type(data).__name__}"
        raise EventFormatError("cannot decode event", [f"{text} @ $"])
    problems: list[str] = []
    if data.get("kind") != KIND:
        if "kind" not in data:
            problems.append("required field missing @ $.kind")
        else:
            problems.append(f"expected kind {KIND!r}, got {data['kind']!r} @ $.kind")
    schema = data.get("schema")
    if "schema" not in data:
        problems.append("required field missing @ $.schema")
    elif type(schema) is not int or schema < 1:
        problems.append(
            f"invalid value for type, expected a positive int @ $.schema (got {schema!r})"
        )
    elif schema > SCHEMA:
        problems.append(f"schema {schema} is newer than this reader's {SCHEMA} @ $.schema")
    if problems:
        raise EventFormatError("cannot decode event", problems)
    fields = {k: v for k, v in data.items() if k != "kind" and k != "schema"}
    try:
        event: Event = _structure(fields, Event)
    except Exception as exc:
        raise EventFormatError("cannot decode event", _lines(exc)) from None
    return event


def to_json(event: Event) -> str:
    """:func:`to_dict` as compact JSON text (keys in field order)."""
    return dumps(to_dict(event))


def from_json(text: str | bytes | bytearray) -> Event:
    """:func:`from_dict` of JSON text.

    Raises:
        EventFormatError: invalid JSON (``NaN`` and ``Infinity`` included) or
            an invalid event.
    """
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, TypeError, RecursionError) as exc:
        line = f"invalid JSON ({type(exc).__name__}: {exc}) @ $"
        raise EventFormatError("cannot decode event", [line]) from None
    return from_dict(data)


def _refuse_constant(name: str) -> Any:
    msg = f"{name} is not JSON"
    raise ValueError(msg)
