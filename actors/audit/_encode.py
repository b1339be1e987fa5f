"""The auditor's default payload encoder: objects to JSON-safe dicts.

Pluggable: an :class:`~actors.audit.Auditor` takes ``encode=``, so the
project's cattrs codec can replace this one without touching the auditor.
"""

from __future__ import annotations

import base64
import enum
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import PurePath
from typing import Any

import attrs

__all__ = ["encode_payload", "json_safe"]


def encode_payload(payload: Any) -> dict[str, Any]:
    """A JSON-safe dict for ``payload``.

    An attrs instance becomes ``attrs.asdict`` of it (recursively), a mapping
    a dict with string keys; anything else is wrapped as ``{"value": ...}``.
    Datetimes, dates and times become ISO-8601 strings, timedeltas seconds,
    enums their value, sets sorted lists, bytes base64 text, and anything
    unknown its ``repr``.
    """
    if attrs.has(type(payload)):
        encoded = attrs.asdict(payload, recurse=True, value_serializer=_serialize)
        return {str(k): json_safe(v) for k, v in encoded.items()}
    if isinstance(payload, Mapping):
        return {str(k): json_safe(v) for k, v in payload.items()}
    return {"value": json_safe(payload)}


def _serialize(instance: Any, field: Any, value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def json_safe(value: Any) -> Any:
    """``value`` made of ``None``, bools, numbers, strings, lists and dicts only."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, uuid.UUID | PurePath):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if attrs.has(type(value)):
        return encode_payload(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        items = [json_safe(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return repr(value)
