"""The gater tree's auditor: every lifecycle and audit-instance event, on disk.

A :class:`~actors.audit.Auditor` started *first* in the gater tree, so that
it stops last and records the stops of everything else in the tree. It gets
the system's lifecycle events straight from its lifecycle listener
(``listen=True``: bounded, never waiting, never through the lifecycle
instance, which stops before it), and subscribes to every topic of
``ex_esdb_audit`` and ``ex_esdb_lifecycle`` once they run (the events other
code publishes there; the system's own lifecycle events are not broadcast to
it a second time). Those subscriptions use the instances' ``block`` policy
bounded by the auditor's ``mailbox_limit``: publishers of audit events are
slowed to the pace of the disk rather than losing entries. Catalogue
messages are stored through the cattrs codec; problems (a corrupt file, failing
writes, a full mailbox) are reported as a ``SystemAlert`` on
``ex_esdb_alerts`` topic ``"audit_log"``, held until that instance runs.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from typing import Any, Final

import actors
from actors import messages, pubsub
from actors.audit import LIFECYCLE_TAG, Auditor, encode_payload
from actors.gater._once import start_link_once
from actors.pubsub import PubSubManager, instances

__all__ = ["AUDITOR_NAME", "GaterAuditor", "connect_auditor", "encode_message", "start_auditor"]

logger = logging.getLogger("actors.gater")

AUDITOR_NAME: Final = "ex_esdb_auditor"
ALERT_TOPIC: Final = "audit_log"
HELD_ALERTS: Final = 100
"""Alerts kept while ``ex_esdb_alerts`` is not running (the oldest go first)."""
_SUBSCRIBED: Final = (instances.AUDIT, instances.LIFECYCLE)


def encode_message(payload: Any) -> dict[str, Any]:
    """Catalogue messages through the codec (tagged, versioned); the rest as
    plain JSON-safe dicts."""
    if messages.spec_for(payload) is not None:
        return messages.to_dict(payload)
    return encode_payload(payload)


class GaterAuditor(Auditor):
    """Auditor wired to the gater's lifecycle, audit and alerts instances.

    Runs on its own thread (the ``"thread"`` runtime, for its SQLite
    connection); ``init``, the handlers and the alert hook run there.
    """

    def init(self, path: str | os.PathLike[str] | None = None, **options: Any) -> None:
        """Runs in the auditor's own thread."""
        self._subscribed: set[str] = set()
        self._held: deque[messages.SystemAlert] = deque(maxlen=HELD_ALERTS)
        options.setdefault("encode", encode_message)
        options.setdefault("on_alert", self._report)
        options.setdefault("listen", True)
        super().init(path, **options)
        for instance in _SUBSCRIBED:  # running already when this is a restart
            self._subscribe(instance)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """Also ``("connect",)``: subscribe to the instances that run now and
        send the alerts held until ``ex_esdb_alerts`` ran (see
        :func:`connect_auditor`).

        Runs in the auditor's own thread.
        """
        if request == ("connect",):
            for instance in _SUBSCRIBED:
                self._subscribe(instance)
            self._release_alerts()
            return sorted(self._subscribed)
        return super().handle_call(request, caller)

    def handle_info(self, message: Any) -> None:
        """Runs in the auditor's own thread."""
        super().handle_info(message)
        match message:
            case (str() as tag, actors.ProcessLifecycle(event_type="started", name=name)) if (
                tag == LIFECYCLE_TAG
            ):
                if name in _SUBSCRIBED:
                    self._subscribe(name)
                elif name == instances.ALERTS:
                    self._release_alerts()

    def _subscribe(self, instance: str) -> None:
        if instance in self._subscribed:
            return  # subscriptions survive an instance's restart
        if instance == instances.LIFECYCLE and self.name != AUDITOR_NAME:
            # The tree keeps the system's own events off the lifecycle
            # instance only for the auditor under AUDITOR_NAME; any other
            # would get each of them twice.
            return
        handle = PubSubManager.of(self.system).get(instance)
        if handle is None or not handle.running:
            return  # it starts later: its "started" event calls this again
        limit = self.mailbox_limit
        if limit is not None:
            # Publishers wait once the mailbox is half full, so a flood of
            # audit events can never crowd lifecycle events out of it.
            limit = max(1, limit // 2)
        try:
            pubsub.subscribe(instance, "*", mailbox_limit=limit)
        except Exception as exc:  # it stopped again meanwhile
            logger.warning("%s could not subscribe to %s: %s", self, instance, exc)
            return
        self._subscribed.add(instance)

    def _report(self, severity: str, message: str, context: dict[str, Any]) -> None:
        alert = messages.new(
            messages.SystemAlert,
            severity,
            "data",
            "Audit log",
            message,
            AUDITOR_NAME,
            metadata=context,
            system=self.system,
        )
        self._held.append(alert)
        self._release_alerts()

    def _release_alerts(self) -> None:
        handle = PubSubManager.of(self.system).get(instances.ALERTS)
        if handle is None or not handle.running:
            return  # kept until the instance's "started" event
        while self._held:
            alert = self._held.popleft()
            # wait=False: the auditor never waits for a slow alert subscriber.
            result = pubsub.broadcast(instances.ALERTS, ALERT_TOPIC, (alert.TAG, alert), wait=False)
            if not result:
                logger.warning(
                    "could not report an audit alert (%s): %s", result, alert.description
                )


def start_auditor(
    path: str | os.PathLike[str] | None = None, **options: Any
) -> actors.Ref[Any] | None:
    """Child-spec start function: the system's one gater auditor, or ``None``
    (ignored) if another tree already runs it."""
    return start_link_once(GaterAuditor, path, name=AUDITOR_NAME, **options)


def connect_auditor() -> None:
    """Child-spec start function placed after the instances: the auditor
    subscribes to them before the tree's start returns, so nothing published
    on ``ex_esdb_audit`` after :func:`actors.gater.start` is missed. Returns
    ``None``: nothing runs (OTP's ``ignore``). Runs in the starting supervisor."""
    if actors.whereis(AUDITOR_NAME) is not None:
        try:
            actors.call(AUDITOR_NAME, ("connect",), timeout=10)
        except (actors.CallError, actors.NoProcError) as exc:
            # The auditor's own "started" events path subscribes it later.
            logger.warning("the gater auditor could not subscribe yet: %s", exc)
