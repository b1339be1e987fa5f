"""The gater tree's auditor: every lifecycle and audit-instance event, on disk.

A :class:`~actors.audit.Auditor` that subscribes itself (in ``init``, so a
restarted auditor subscribes again) to every topic of ``ex_esdb_lifecycle``
and ``ex_esdb_audit``, unbounded: it keeps its own bounded backlog and must
never make a publisher wait (the lifecycle instance otherwise blocks when
full). Catalogue messages are stored through the cattrs codec; write
failures are reported as a ``SystemAlert`` on ``ex_esdb_alerts`` topic
``"audit_log"``.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Final

import actors
from actors import messages, pubsub
from actors.audit import Auditor, encode_payload
from actors.gater import instances
from actors.gater._once import start_link_once

__all__ = ["AUDITOR_NAME", "GaterAuditor", "encode_message", "start_auditor"]

logger = logging.getLogger("actors.gater")

AUDITOR_NAME: Final = "ex_esdb_auditor"
ALERT_TOPIC: Final = "audit_log"


def encode_message(payload: Any) -> dict[str, Any]:
    """Catalogue messages through the codec (tagged, versioned); the rest as
    plain JSON-safe dicts."""
    if messages.spec_for(payload) is not None:
        return messages.to_dict(payload)
    return encode_payload(payload)


class GaterAuditor(Auditor):
    """Auditor wired to the gater's lifecycle and audit instances.

    Runs on its own thread (the ``"thread"`` runtime, for its SQLite
    connection); ``init``, the handlers and the alert hook run there.
    """

    def init(self, path: str | os.PathLike[str] | None = None, **options: Any) -> None:
        options.setdefault("encode", encode_message)
        options.setdefault("on_alert", self._report)
        super().init(path, **options)
        for instance in (instances.LIFECYCLE, instances.AUDIT):
            pubsub.subscribe(instance, "*", mailbox_limit=None)

    def _report(self, severity: str, message: str, context: dict[str, Any]) -> None:
        alert = messages.system_alert(
            severity,
            "data",
            "Audit log",
            message,
            AUDITOR_NAME,
            metadata=context,
            system=self.system,
        )
        result = pubsub.broadcast(instances.ALERTS, ALERT_TOPIC, (alert.TAG, alert))
        if not result:
            logger.warning("could not report an audit alert (%s): %s", result, message)


def start_auditor(path: str | os.PathLike[str] | None = None) -> actors.Ref[Any] | None:
    """Child-spec start function: the system's one gater auditor, or ``None``
    (ignored) if another tree already runs it."""
    return start_link_once(GaterAuditor, path, name=AUDITOR_NAME)
