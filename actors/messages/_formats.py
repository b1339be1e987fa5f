"""The fixed text formats of the catalogue: timestamps and JSON values.

Timestamps are ISO-8601 in UTC with exactly three fractional digits and a
trailing ``Z`` (``2026-01-01T12:00:00.250Z``). JSON values are ``None``,
``bool``, ``int``, finite ``float``, ``str``, lists and dicts with ``str``
keys; tuples become lists and datetimes become timestamps. NaN and the
infinities are refused everywhere: they are not JSON.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from actors.messages._errors import MessageFormatError

__all__ = [
    "MAX_DEPTH",
    "canonical_json",
    "format_timestamp",
    "is_utc",
    "json_value",
    "loads_strict",
    "parse_timestamp",
    "parse_wire_timestamp",
    "to_milliseconds",
]

MAX_DEPTH: Final = 100
"""How deeply JSON values may nest (lists and maps inside each other).

Deeper values, and values that contain themselves, are refused with a
:class:`MessageFormatError` rather than exhausting Python's stack."""

_ZERO: Final = timedelta(0)
_WIRE_TIMESTAMP: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", re.ASCII)


def is_utc(value: datetime) -> bool:
    """Whether ``value`` is timezone-aware with a zero UTC offset."""
    return value.tzinfo is not None and value.utcoffset() == _ZERO


def to_milliseconds(value: datetime) -> datetime:
    """``value`` without its sub-millisecond digits (the catalogue's precision)."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def format_timestamp(value: datetime) -> str:
    """``value`` in the catalogue's format (milliseconds, UTC, ``Z``).

    Aware datetimes in other zones are converted to UTC; sub-millisecond
    digits are dropped.

    Raises:
        ValueError: for a naive datetime.
    """
    offset = value.utcoffset()
    if offset is None:
        msg = "naive datetime: timestamps must be timezone-aware (UTC)"
        raise ValueError(msg)
    if offset:
        value = value.astimezone(UTC)
    # isoformat pads the year to four digits; the offset it appends is "+00:00".
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_timestamp(text: str) -> datetime:
    """An ISO-8601 timestamp with an offset, as an aware UTC datetime.

    Accepts any form :meth:`datetime.fromisoformat` reads, provided it
    carries a UTC offset (``Z`` or ``+hh:mm``); the result is converted to UTC.

    Raises:
        ValueError: for text that is not such a timestamp.
    """
    if type(text) is not str:
        msg = f"expected an ISO-8601 timestamp string, got {type(text).__name__}"
        raise ValueError(msg)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        msg = f"not an ISO-8601 timestamp: {text[:40]!r}"
        raise ValueError(msg) from None
    if value.tzinfo is None:
        msg = f"timestamp without a UTC offset: {text[:40]!r}"
        raise ValueError(msg)
    return value.astimezone(UTC)


def parse_wire_timestamp(text: object) -> datetime | None:
    """A timestamp in exactly the catalogue's format, or ``None``.

    Used for envelopes, where only the form this package writes is valid.
    """
    if type(text) is not str or not _WIRE_TIMESTAMP.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return None


def json_value(
    value: Any,
    path: str = "$",
    convert: Callable[[Any], Any] | None = None,
) -> Any:
    """A JSON-safe copy of ``value``.

    Args:
        value: the data to copy.
        path: where ``value`` sits, for error messages.
        convert: called for values of any other type; returns a JSON-safe
            replacement or raises :class:`MessageFormatError`.

    Raises:
        MessageFormatError: for non-finite floats, non-string dict keys,
            values nested deeper than :data:`MAX_DEPTH` (or containing
            themselves) and values of other types (when ``convert`` is not
            given).
    """
    return _json(value, path, convert, 0)


def _json(value: Any, path: str, convert: Callable[[Any], Any] | None, depth: int) -> Any:
    cls = type(value)
    if value is None or cls is str or cls is bool or cls is int:
        return value
    if cls is float:
        if not math.isfinite(value):
            raise _bad(path, f"non-finite float {value!r} is not JSON")
        return value
    if depth >= MAX_DEPTH and (isinstance(value, Mapping) or cls is list or cls is tuple):
        raise _bad(path, f"nested deeper than {MAX_DEPTH} levels (or contains itself)")
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _bad(path, f"dict key {key!r} is not a str")
            out[key] = _json(item, f"{path}.{key}", convert, depth + 1)
        return out
    if cls is list or cls is tuple:
        return [_json(item, f"{path}[{i}]", convert, depth + 1) for i, item in enumerate(value)]
    if isinstance(value, datetime):
        try:
            return format_timestamp(value)
        except ValueError as exc:
            raise _bad(path, str(exc)) from None
    if isinstance(value, (str, int, float)):  # subclasses: enums, numpy-free ints...
        return _json(_plain(value), path, convert, depth)
    if convert is not None:
        return convert(value)
    raise _bad(path, f"{cls.__name__} is not a JSON value")


def _plain(value: str | int | float) -> Any:
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    return float(value)


def _bad(path: str, text: str) -> MessageFormatError:
    line = f"{text} @ {path}"
    return MessageFormatError(line, [line])


def canonical_json(value: Any) -> bytes:
    """Canonical bytes of an already JSON-safe value.

    Sorted keys, no whitespace (``separators=(",", ":")``), ASCII only
    (everything else ``\\u``-escaped), floats in Python's shortest
    round-trip form, NaN and infinities refused.
    """
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def _refuse_constant(name: str) -> Any:
    msg = f"{name} is not JSON"
    raise ValueError(msg)


def loads_strict(text: str | bytes | bytearray) -> Any:
    """``json.loads`` that refuses ``NaN``, ``Infinity`` and ``-Infinity``."""
    return json.loads(text, parse_constant=_refuse_constant)
