"""Making anything a publisher sends storable: text SQLite accepts, bounded payloads.

No input may crash the auditor or poison a batch, so every value is turned
into something the store can always write:

* **text** with lone surrogates (a file name decoded with
  ``surrogateescape``, say) cannot be encoded as UTF-8: each such character
  is stored as its escape (``"\\udcff"`` becomes the six characters
  ``\\udcff``), the way ``backslashreplace`` writes it;
* **payloads** are rendered at most :data:`MAX_DEPTH` levels deep and about
  :data:`MAX_PAYLOAD_CHARS` characters of JSON large; what is cut is marked
  in place and the whole payload is flagged under :data:`TRUNCATED_KEY`;
* **lifecycle records** whose fields do not have their declared types (a
  hand-built :class:`~actors.ProcessLifecycle` from a publisher) get
  storable values: text fields their bounded ``repr``, a bad
  ``restart_count`` 0, a missing timestamp the auditor's clock.

Everything here is pure and runs in the caller's thread (the auditor's).
"""

from __future__ import annotations

import base64
import enum
import reprlib
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import PurePath
from typing import Any, Final

import attrs

from actors import ProcessLifecycle
from actors.audit._records import AuditEvent

__all__ = [
    "MAX_DEPTH",
    "MAX_PAYLOAD_CHARS",
    "MAX_TEXT_CHARS",
    "TRUNCATED_KEY",
    "Cleaned",
    "bounded_payload",
    "clean_audit_event",
    "clean_lifecycle",
    "escape_text",
    "safe_repr",
]

MAX_DEPTH: Final = 64
"""Levels of nesting kept in a stored payload; deeper values are replaced."""
MAX_PAYLOAD_CHARS: Final = 64 * 1024
"""About how many characters of JSON one stored payload may take."""
MAX_TEXT_CHARS: Final = 64 * 1024
"""Characters kept of one text field of a lifecycle record (a traceback)."""
TRUNCATED_KEY: Final = "$truncated"
"""Key added to a payload that was cut: ``{"max_depth": 64, "max_chars": 65536}``."""

_INT64: Final = 2**63
_MAX_KEY_CHARS: Final = 256
_LIFECYCLE_TEXT: Final = (
    "event_type",
    "component",
    "actor_id",
    "node",
)
_LIFECYCLE_OPTIONAL_TEXT: Final = (
    "name",
    "reason",
    "exception_type",
    "traceback",
    "supervisor",
    "child_id",
)

_repr = reprlib.Repr()
_repr.maxlevel = 4
_repr.maxstring = 200
_repr.maxother = 200
_repr.maxlong = 60


@attrs.frozen
class Cleaned:
    """What cleaning changed: ``escaped`` text, ``truncated`` values,
    ``replaced`` values of the wrong type."""

    escaped: bool = False
    truncated: bool = False
    replaced: bool = False

    def __bool__(self) -> bool:
        return self.escaped or self.truncated or self.replaced


_CLEAN: Final = Cleaned()


def escape_text(text: str) -> str:
    """``text`` if it encodes as UTF-8, else with each lone surrogate
    written as its backslash escape."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def safe_repr(value: Any) -> str:
    """A short ``repr`` of anything that never raises (nor recurses without end)."""
    try:
        text = _repr.repr(value)
    except Exception:  # a __repr__ that raises, or a recursion inside one
        text = f"<unrepresentable {type(value).__qualname__}>"
    return escape_text(text)


def _cut(text: str, limit: int) -> str:
    return text[:limit] + f"…({len(text) - limit} more characters)"


# Payloads ------------------------------------------------------------------------------


class _Renderer:
    """One bounded rendering: the budget left and whether anything was cut."""

    def __init__(self, max_depth: int, max_chars: int) -> None:
        self.max_depth = max_depth
        self.budget = max_chars
        self.truncated = False
        self.escaped = False

    def text(self, value: str) -> str:
        escaped = escape_text(value)
        if escaped is not value:
            self.escaped = True
        if len(escaped) + 2 > self.budget:
            self.truncated = True
            keep = max(0, self.budget - 2)
            self.budget = 0
            return _cut(escaped, keep)
        self.budget -= len(escaped) + 2
        return escaped

    def key(self, value: str) -> str:
        """A mapping key: escaped and charged, cut only if absurdly long."""
        escaped = escape_text(value)
        if escaped is not value:
            self.escaped = True
        if len(escaped) > _MAX_KEY_CHARS:
            self.truncated = True
            escaped = _cut(escaped, _MAX_KEY_CHARS)
        self.budget -= len(escaped) + 3
        return escaped

    def scalar(self, value: Any) -> Any:
        self.budget -= 8  # a number, a bool, null and its separator, roughly
        return value

    def render(self, value: Any, depth: int) -> Any:
        if value is None or isinstance(value, bool | int | float):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _INT64:
                return self.text(str(value))  # JSON holds it; keep it exact as text
            return self.scalar(value)
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, datetime | date | time):
            return self.text(value.isoformat())
        if isinstance(value, timedelta):
            return self.scalar(value.total_seconds())
        if isinstance(value, enum.Enum):
            return self.render(value.value, depth)
        if isinstance(value, uuid.UUID | PurePath):
            return self.text(str(value))
        if isinstance(value, bytes | bytearray | memoryview):
            return self.text(base64.b64encode(bytes(value)).decode("ascii"))
        if depth >= self.max_depth:
            self.truncated = True
            return f"…(nested deeper than {self.max_depth} levels)"
        if attrs.has(type(value)):
            fields = {f.name: getattr(value, f.name, None) for f in attrs.fields(type(value))}
            return self.mapping(fields, depth)
        if isinstance(value, Mapping):
            return self.mapping(value, depth)
        if isinstance(value, set | frozenset):
            items = self.sequence(value, depth)
            try:
                return sorted(items)
            except TypeError:
                return sorted(items, key=repr)
        if isinstance(value, list | tuple):
            return self.sequence(value, depth)
        return self.text(safe_repr(value))

    def mapping(self, value: Mapping[Any, Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for count, (key, item) in enumerate(value.items()):
            if self.budget <= 0:
                self.truncated = True
                out["…"] = f"({len(value) - count} more keys)"
                break
            name = self.key(key if isinstance(key, str) else safe_repr(key))
            out[name] = self.render(item, depth + 1)
        return out

    def sequence(self, value: Any, depth: int) -> list[Any]:
        out: list[Any] = []
        for count, item in enumerate(value):
            if self.budget <= 0:
                self.truncated = True
                out.append(f"…({len(value) - count} more items)")
                break
            out.append(self.render(item, depth + 1))
        return out


def bounded_payload(
    payload: Any,
    *,
    max_depth: int = MAX_DEPTH,
    max_chars: int = MAX_PAYLOAD_CHARS,
) -> tuple[dict[str, Any], Cleaned]:
    """A JSON-safe dict for ``payload``, within the bounds; never raises.

    A mapping (or an attrs instance) becomes a dict with string keys;
    anything else is wrapped as ``{"value": ...}``. Datetimes become
    ISO-8601 text, timedeltas seconds, enums their value, sets sorted lists,
    bytes base64 text, unknown objects their short ``repr``. A rendering
    that had to be cut carries ``{"$truncated": {"max_depth": ..,
    "max_chars": ..}}``.
    """
    renderer = _Renderer(max_depth, max_chars)
    try:
        if isinstance(payload, Mapping) or attrs.has(type(payload)):
            rendered = renderer.render(payload, 0)
        else:
            rendered = {"value": renderer.render(payload, 1)}
    except Exception as exc:  # a mapping whose items() raises, and the like
        renderer.truncated = True
        rendered = {"unencodable": safe_repr(payload), "error": safe_repr(exc)}
    assert isinstance(rendered, dict)
    if renderer.truncated:
        rendered[TRUNCATED_KEY] = {"max_depth": max_depth, "max_chars": max_chars}
    if not (renderer.truncated or renderer.escaped):
        return rendered, _CLEAN
    return rendered, Cleaned(escaped=renderer.escaped, truncated=renderer.truncated)


# Lifecycle records ---------------------------------------------------------------------


def _clean_field(value: Any, limit: int) -> tuple[str, Cleaned]:
    if type(value) is not str:
        return escape_text(_cut_if(safe_repr(value), limit)), Cleaned(replaced=True)
    escaped = escape_text(value)
    if len(escaped) > limit:
        return _cut(escaped, limit), Cleaned(escaped=escaped is not value, truncated=True)
    if escaped is not value:
        return escaped, Cleaned(escaped=True)
    return value, _CLEAN


def _cut_if(text: str, limit: int) -> str:
    return text if len(text) <= limit else _cut(text, limit)


def clean_lifecycle(
    event: ProcessLifecycle,
    now: Callable[[], datetime],
    *,
    max_chars: int = MAX_TEXT_CHARS,
) -> tuple[ProcessLifecycle, Cleaned]:
    """``event`` with every field storable (the same object if it already
    is), and what was changed. ``now()`` stamps a record without a datetime."""
    # The common case in one pass: every text field a str, all of it ASCII
    # (so no surrogate) and short enough, the count and time of their types.
    try:
        joined = "".join(
            (
                event.event_type,
                event.component,
                event.actor_id,
                event.node,
                _or_empty(event.name),
                _or_empty(event.reason),
                _or_empty(event.exception_type),
                _or_empty(event.traceback),
                _or_empty(event.supervisor),
                _or_empty(event.child_id),
            )
        )
    except TypeError:
        pass  # a field that is not text: the careful path below
    else:
        count = event.restart_count
        if (
            joined.isascii()
            and len(joined) <= max_chars
            and type(count) is int
            and -_INT64 <= count < _INT64
            and isinstance(event.timestamp, datetime)
        ):
            return event, _CLEAN
    return _clean_lifecycle_fields(event, now, max_chars)


def _or_empty(value: Any) -> Any:
    return "" if value is None else value


def _clean_lifecycle_fields(
    event: ProcessLifecycle, now: Callable[[], datetime], max_chars: int
) -> tuple[ProcessLifecycle, Cleaned]:
    changes: dict[str, Any] = {}
    escaped = truncated = replaced = False
    for field in _LIFECYCLE_TEXT + _LIFECYCLE_OPTIONAL_TEXT:
        value = getattr(event, field, None)
        if value is None:
            if field in _LIFECYCLE_TEXT:
                changes[field] = ""
                replaced = True
            continue
        if type(value) is str and len(value) <= max_chars and value.isascii():
            continue  # the common case, checked without copying
        cleaned, what = _clean_field(value, max_chars)
        if what:
            changes[field] = cleaned
            escaped |= what.escaped
            truncated |= what.truncated
            replaced |= what.replaced
    count = event.restart_count
    if isinstance(count, bool) or not isinstance(count, int) or not -_INT64 <= count < _INT64:
        changes["restart_count"] = 0
        replaced = True
    if not isinstance(event.timestamp, datetime):
        changes["timestamp"] = now()
        replaced = True
    if not changes:
        return event, _CLEAN
    return attrs.evolve(event, **changes), Cleaned(escaped, truncated, replaced)


def clean_audit_event(
    event: AuditEvent,
    now: Callable[[], datetime],
    *,
    max_depth: int = MAX_DEPTH,
    max_chars: int = MAX_PAYLOAD_CHARS,
    payload_checked: bool = False,
) -> tuple[AuditEvent, Cleaned]:
    """``event`` with every field storable, and what was changed.

    ``payload_checked``: the payload was just made by :func:`bounded_payload`
    (the auditor's own encoding), so it is not walked again.
    """
    changes: dict[str, Any] = {}
    escaped = truncated = replaced = False
    for field, optional in (("tag", False), ("kind", False), ("topic", True)):
        value = getattr(event, field, None)
        if value is None:
            if not optional:
                changes[field] = ""
                replaced = True
            continue
        if type(value) is str and len(value) <= MAX_TEXT_CHARS and value.isascii():
            continue
        cleaned, what = _clean_field(value, MAX_TEXT_CHARS)
        if what:
            changes[field] = cleaned
            escaped |= what.escaped
            truncated |= what.truncated
            replaced |= what.replaced
    if not payload_checked:
        payload, what = bounded_payload(event.payload, max_depth=max_depth, max_chars=max_chars)
        if what or not isinstance(event.payload, dict):
            changes["payload"] = payload
            escaped |= what.escaped
            truncated |= what.truncated
    if not isinstance(event.timestamp, datetime):
        changes["timestamp"] = now()
        replaced = True
    if not changes:
        return event, _CLEAN
    return attrs.evolve(event, **changes), Cleaned(escaped, truncated, replaced)
