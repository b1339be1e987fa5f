"""Event data as JSON values: checked and copied once, when an event is made.

Stored events must read back equal to what was notified, so an event's
``data`` is normalised at construction: tuples become lists, dicts and
lists are copied (a caller mutating its dict afterwards changes nothing
stored), and anything JSON cannot carry is refused with the path to it.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

__all__ = ["JSON_TYPES", "dumps", "json_value"]

JSON_TYPES: Final = "None, bool, int, float, str, list, tuple and dict with str keys"


def json_value(value: Any, path: str = "$") -> Any:
    """``value`` as plain JSON data (a fresh copy of every list and dict).

    Raises:
        TypeError: a value JSON has no form for (a set, bytes, an object, a
            dict key that is not a str); the message names where it is.
        ValueError: NaN or an infinity, or nesting too deep to encode.
    """
    try:
        return _convert(value, path)
    except RecursionError:
        msg = f"event data is nested too deeply (or contains itself) @ {path}"
        raise ValueError(msg) from None


def _convert(value: Any, path: str) -> Any:
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return value
    if kind is float:
        if math.isfinite(value):
            return value
        msg = f"event data holds {value!r}, which JSON cannot carry @ {path}"
        raise ValueError(msg)
    if kind is list or kind is tuple:
        return [_convert(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if kind is dict:
        out: dict[str, Any] = {}
        for key, item in value.items():
            if type(key) is not str:
                msg = (
                    f"event data has a {type(key).__name__} key {key!r}; keys must be str @ {path}"
                )
                raise TypeError(msg)
            out[key] = _convert(item, f"{path}.{key}")
        return out
    # Subclasses of the JSON types (IntEnum, OrderedDict, namedtuples...) are
    # accepted as their base type, so their values survive a round trip.
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return _convert(base(value), path)
    if isinstance(value, list | tuple):
        return _convert(list(value), path)
    if isinstance(value, dict):
        return _convert(dict(value), path)
    msg = (
        f"event data holds a {kind.__name__} ({value!r:.80}), which is not JSON "
        f"({JSON_TYPES}) @ {path}"
    )
    raise TypeError(msg)


def dumps(value: Any) -> str:
    """Compact JSON text of already normalised data (no NaN, non-ASCII kept)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
