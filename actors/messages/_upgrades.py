"""The schema upgrades the codec knows, registered at import.

``process_lifecycle`` 1 -> 2
    Schema 1 is ExESDB's ``ProcessLifecycle`` (``pid``, ``module``,
    ``event``, ``name``, ``node``, ``reason``, ``restart_count``,
    ``timestamp``); schema 2 is the core's record. ``pid`` becomes
    ``actor_id``, ``module`` ``component``, ``event`` ``event_type``; a
    missing ``node`` becomes ``""`` (the core's default), a missing
    ``restart_count`` 0, a non-text ``reason`` its canonical JSON text.
    ``exception_type``, ``traceback``, ``supervisor`` and ``child_id`` did
    not exist and stay ``None``.

``system_alert`` 1 -> 2
    Schema 1 is the alert of ExESDB's PubSub documentation (``alert_type``,
    ``severity``, ``message``, ``context``, ``timestamp``); schema 2 is the gater's
    (``alert_id``, ``severity``, ``category``, ``title``, ``description``,
    ``source``, ``node``, ``metadata``, ``requires_ack``, ``timestamp``).
    ``alert_type`` becomes ``title`` and is kept as ``metadata["alert_type"]``
    (unless the context already has that key), ``message`` becomes
    ``description``, ``context`` becomes ``metadata``. Schema 1 had no id,
    category, source or node: ``alert_id`` is the first 16 hex chars of the
    SHA-256 of the schema-1 fields' canonical JSON (so the same old alert
    always gets the same id), ``category`` is ``"system"``, ``source`` is
    ``"ExESDB"`` (the only producer of that shape), ``node`` is
    ``"nonode@nohost"`` (Erlang's name for "no node"), and ``requires_ack``
    follows the factory's rule (``severity`` is ``"error"`` or ``"critical"``).

Both refuse fields their schema did not have, so nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

from actors.messages._codec import register_upgrade
from actors.messages._formats import canonical_json
from actors.messages._vocabulary import ACK_SEVERITIES

__all__ = ["UNKNOWN_NODE", "process_lifecycle_1_to_2", "system_alert_1_to_2"]

UNKNOWN_NODE: Final = "nonode@nohost"

_PROCESS_LIFECYCLE_1: Final = frozenset(
    {"pid", "module", "event", "name", "node", "reason", "restart_count", "timestamp"}
)
_SYSTEM_ALERT_1: Final = frozenset({"alert_type", "severity", "message", "context", "timestamp"})


def _refuse_unknown(fields: dict[str, Any], known: frozenset[str], what: str) -> None:
    extra = sorted(set(fields) - known)
    if extra:
        msg = f"fields {', '.join(extra)} are not part of {what}"
        raise ValueError(msg)


def process_lifecycle_1_to_2(fields: dict[str, Any]) -> dict[str, Any]:
    """ExESDB's ``ProcessLifecycle`` fields as the core record's."""
    _refuse_unknown(fields, _PROCESS_LIFECYCLE_1, "process_lifecycle schema 1")
    reason = fields.get("reason")
    if reason is not None and not isinstance(reason, str):
        reason = json.dumps(reason, sort_keys=True, separators=(",", ":"))
    restart_count = fields.get("restart_count")
    node = fields.get("node")
    upgraded = {
        "event_type": fields["event"],
        "component": fields["module"],
        "actor_id": fields["pid"],
        "name": fields.get("name"),
        "node": "" if node is None else node,
        "reason": reason,
        "restart_count": 0 if restart_count is None else restart_count,
    }
    if "timestamp" in fields:
        upgraded["timestamp"] = fields["timestamp"]
    return upgraded


def system_alert_1_to_2(fields: dict[str, Any]) -> dict[str, Any]:
    """The documented schema-1 alert fields as the gater's ``SystemAlert``."""
    _refuse_unknown(fields, _SYSTEM_ALERT_1, "system_alert schema 1")
    alert_type = fields["alert_type"]
    severity = fields["severity"]
    context = fields.get("context")
    metadata = {} if context is None else context
    if not isinstance(metadata, dict):
        msg = f"context must be an object, got {type(metadata).__name__}"
        raise TypeError(msg)
    metadata = dict(metadata)
    metadata.setdefault("alert_type", alert_type)
    digest = hashlib.sha256(canonical_json(fields)).hexdigest()
    upgraded = {
        "alert_id": digest[:16],
        "severity": severity,
        "category": "system",
        "title": alert_type,
        "description": fields["message"],
        "source": "ExESDB",
        "node": UNKNOWN_NODE,
        "metadata": metadata,
        "requires_ack": isinstance(severity, str) and severity in ACK_SEVERITIES,
    }
    if "timestamp" in fields:
        upgraded["timestamp"] = fields["timestamp"]
    return upgraded


register_upgrade("process_lifecycle", 1, process_lifecycle_1_to_2)
register_upgrade("system_alert", 1, system_alert_1_to_2)
