"""The records an audit log holds, beside :class:`~actors.ProcessLifecycle`.

:class:`AuditEvent` is the generic entry: any ``(tag, payload)`` message the
auditor receives (the audit pub/sub instance's ``("data_change", DataChange)``
and the like) becomes one, with the payload encoded as a JSON-safe dict.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeAlias

import attrs

from actors import ProcessLifecycle

__all__ = ["AuditEvent", "AuditRecord"]


@attrs.frozen(kw_only=True)
class AuditEvent:
    """One generic audit entry.

    Send one to an :class:`~actors.audit.Auditor` directly when you know more
    than a bare ``(tag, payload)`` message carries (the topic, for instance).

    Attributes:
        tag: the message tag (``"data_change"``, ``"admin_action"``, ...).
        kind: what the payload was: its class name (``"DataChange"``), or
            ``"dict"``, ``"str"``, ...
        payload: the payload as a JSON-safe dict (stored as JSON text).
        timestamp: when it happened (UTC): the payload's own ``timestamp``
            when it has one, else the auditor's system clock.
        topic: the pub/sub topic it was published on, when known.
        seq: its position in the log's total order once stored; ``None``
            before.
    """

    tag: str
    kind: str
    payload: dict[str, Any] = attrs.field(hash=False)
    timestamp: datetime
    topic: str | None = None
    seq: int | None = None


AuditRecord: TypeAlias = ProcessLifecycle | AuditEvent
"""What an audit store appends: lifecycle events and generic audit events."""
