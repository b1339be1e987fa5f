"""Records to table rows and back, shared by the writer and the reader.

Timestamps are stored as integer milliseconds since the Unix epoch, UTC
(column ``ts_ms``): exact for :class:`~actors.ProcessLifecycle`'s millisecond
precision, compact, and ordered and range-searched as plain integers. A naive
datetime is taken to be UTC; anything finer than a millisecond is cut off.
Payloads are JSON text with sorted keys. Building a row never fails: text
that UTF-8 cannot hold is escaped and values of the wrong type are replaced
(see :mod:`actors.audit._sanitize`), so no record can poison a batch.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from actors import ProcessLifecycle
from actors.audit._records import AuditEvent
from actors.audit._sanitize import bounded_payload, clean_audit_event, clean_lifecycle, safe_repr

__all__ = [
    "AUDIT_COLUMNS",
    "LIFECYCLE_COLUMNS",
    "audit_from_row",
    "audit_row",
    "dump_payload",
    "from_ms",
    "lifecycle_from_row",
    "lifecycle_row",
    "to_ms",
]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS: Final = timedelta(milliseconds=1)

LIFECYCLE_COLUMNS: Final = (
    "seq",
    "ts_ms",
    "event_type",
    "component",
    "actor_id",
    "name",
    "node",
    "reason",
    "exception_type",
    "traceback",
    "supervisor",
    "child_id",
    "restart_count",
)
"""Columns of ``lifecycle_events`` in the order rows are written and read."""

AUDIT_COLUMNS: Final = ("seq", "ts_ms", "tag", "kind", "topic", "payload")
"""Columns of ``audit_events`` in the order rows are written and read."""


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch (UTC) of ``moment``; naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // _MS


def from_ms(ms: int) -> datetime:
    """The UTC datetime of ``ms`` milliseconds since the epoch."""
    return EPOCH + timedelta(milliseconds=ms)


def lifecycle_row(event: ProcessLifecycle) -> tuple[Any, ...]:
    """The row of ``event`` without its ``seq`` (``LIFECYCLE_COLUMNS[1:]``)."""
    event, _ = clean_lifecycle(event, _utc_now)
    return (
        to_ms(event.timestamp),
        event.event_type,
        event.component,
        event.actor_id,
        event.name,
        event.node,
        event.reason,
        event.exception_type,
        event.traceback,
        event.supervisor,
        event.child_id,
        event.restart_count,
    )


def lifecycle_from_row(row: tuple[Any, ...]) -> tuple[int, ProcessLifecycle]:
    """``(seq, event)`` from a row selected in ``LIFECYCLE_COLUMNS`` order."""
    (
        seq,
        ts_ms,
        event_type,
        component,
        actor_id,
        name,
        node,
        reason,
        exception_type,
        traceback,
        supervisor,
        child_id,
        restart_count,
    ) = row
    event = ProcessLifecycle(
        event_type=event_type,
        component=component,
        actor_id=actor_id,
        name=name,
        node=node if node is not None else "",
        reason=reason,
        exception_type=exception_type,
        traceback=traceback,
        supervisor=supervisor,
        child_id=child_id,
        restart_count=restart_count if restart_count is not None else 0,
        timestamp=from_ms(ts_ms),
    )
    return seq, event


def dump_payload(payload: Any) -> str:
    """JSON text of ``payload`` with sorted keys; never raises.

    Values JSON cannot hold are written as their short ``repr``; a payload
    that cannot be dumped as it is (a cycle, keys that are not strings,
    nesting deeper than JSON allows) is dumped as its bounded rendering
    (:func:`~actors.audit.bounded_payload`) rather than failing a batch.
    """
    try:
        return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=safe_repr)
    except (TypeError, ValueError, RecursionError):
        rendered, _ = bounded_payload(payload)
        return json.dumps(rendered, sort_keys=True, separators=(",", ":"), default=safe_repr)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def audit_row(event: AuditEvent) -> tuple[Any, ...]:
    """The row of ``event`` without its ``seq`` (``AUDIT_COLUMNS[1:]``)."""
    event, _ = clean_audit_event(event, _utc_now, payload_checked=True)
    return (
        to_ms(event.timestamp),
        event.tag,
        event.kind,
        event.topic,
        dump_payload(event.payload),
    )


def audit_from_row(row: tuple[Any, ...]) -> AuditEvent:
    """The event of a row selected in ``AUDIT_COLUMNS`` order."""
    seq, ts_ms, tag, kind, topic, payload = row
    try:
        decoded = json.loads(payload)
    except (TypeError, ValueError):
        decoded = {"unreadable": payload}
    if not isinstance(decoded, dict):
        decoded = {"value": decoded}
    return AuditEvent(
        tag=tag, kind=kind, payload=decoded, timestamp=from_ms(ts_ms), topic=topic, seq=seq
    )
