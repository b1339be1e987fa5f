"""Event data and metadata as JSON text, and back.

Accepted: JSON-safe values (dict with str keys, list, tuple, str, int,
float, bool, None) and the message classes of :mod:`actors.messages`,
anywhere inside them (encoded through the message codec as
``{"$message": {...}}``, decoded back into their classes). Anything else is
refused with a ``TypeError`` naming the type, before anything is stored.

Text is stored ASCII-escaped (``ensure_ascii``), so any Python string,
lone surrogates included, survives the round trip and never trips SQLite's
UTF-8 encoder. Tuples come back as lists and non-str dict keys of JSON's
scalar kinds (int, float, bool, None) as strings: that is JSON.

Runs in whichever thread calls it (the appending caller, or a reader).
"""

from __future__ import annotations

import json
from typing import Any, Final

from actors import messages
from actors.eventstore._types import EventData, NewEvent

__all__ = [
    "FORMAT_JSON",
    "FORMAT_MESSAGES",
    "decode",
    "decode_event_parts",
    "encode",
    "encode_event",
    "encode_optional",
]

FORMAT_JSON: Final = 0
"""Plain JSON."""
FORMAT_MESSAGES: Final = 1
"""JSON holding ``{"$message": ...}`` objects to decode into message classes."""

_MESSAGE_KEY: Final = "$message"
_MARKER: Final = '"$message":'


def _default(value: Any) -> Any:
    if messages.spec_for(value) is not None:
        return {_MESSAGE_KEY: messages.to_dict(value)}
    msg = (
        f"{type(value).__module__}.{type(value).__qualname__} is not JSON-serialisable: "
        "event data and metadata must be JSON-safe values (dict, list, str, int, float, "
        "bool, None) or message classes of actors.messages"
    )
    raise TypeError(msg)


_ENCODER: Final = json.JSONEncoder(
    ensure_ascii=True, allow_nan=False, separators=(",", ":"), default=_default
)
_DECODE: Final = json.JSONDecoder().decode


def _object_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and _MESSAGE_KEY in obj:
        return messages.from_dict(obj[_MESSAGE_KEY])
    return obj


_DECODE_MESSAGES: Final = json.JSONDecoder(object_hook=_object_hook).decode


def encode(value: Any, what: str = "data") -> tuple[str, int]:
    """``value`` as JSON text and its format flag.

    Raises:
        TypeError: a value (or a dict key) JSON cannot hold; the message
            names its type.
        ValueError: NaN or infinity, a circular reference, or a message that
            does not validate.
    """
    try:
        text = _ENCODER.encode(value)
    except TypeError as exc:
        msg = f"event {what}: {exc}"
        raise TypeError(msg) from None
    except ValueError as exc:
        msg = f"event {what} cannot be stored as JSON: {exc}"
        raise ValueError(msg) from None
    except RecursionError:
        msg = f"event {what} is nested too deeply to be stored as JSON"
        raise ValueError(msg) from None
    return text, (FORMAT_MESSAGES if _MARKER in text else FORMAT_JSON)


def encode_optional(value: Any, what: str = "metadata") -> tuple[str | None, int]:
    """Like :func:`encode`; ``None`` stays ``None`` (no metadata)."""
    if value is None:
        return None, FORMAT_JSON
    return encode(value, what)


def encode_event(event: EventData) -> NewEvent:
    """``event`` encoded for a backend (``format``: bit 0 for data, bit 1 for metadata)."""
    data, data_fmt = encode(event.data, "data")
    metadata, meta_fmt = encode_optional(event.metadata, "metadata")
    return NewEvent(event.id, event.type, data, metadata, data_fmt | (meta_fmt << 1))


def decode_event_parts(data: str, metadata: str | None, fmt: int) -> tuple[Any, Any]:
    """The data and metadata of a stored event, decoded."""
    return decode(data, fmt & 1), decode(metadata, (fmt >> 1) & 1)


def decode(text: str | None, fmt: int) -> Any:
    """The value :func:`encode` was given (``None`` for ``None``)."""
    if text is None:
        return None
    if fmt == FORMAT_MESSAGES:
        return _DECODE_MESSAGES(text)
    return _DECODE(text)
