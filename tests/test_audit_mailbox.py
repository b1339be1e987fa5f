"""The auditor's mailbox is bounded from the producer side: lifecycle
listeners drop (and count) events beyond ``mailbox_limit`` instead of
queueing them, never wait, and the auditor alerts once per episode."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import actors
import supervision as sv
from actors import gater, pubsub
from actors.audit import Auditor, InMemoryAuditStore, attach, flush, stats
from actors.pubsub import instances
from actors.testing import ANY, Probe


class Crasher(actors.GenServer):
    def init(self) -> None:
        actors.send(self.ref, ("crash",))

    def handle_info(self, message: Any) -> None:
        raise RuntimeError("crash storm")


class Gate:
    """An ``on_commit`` hook that holds the auditor inside a commit while closed."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.entered = threading.Event()

    def __call__(self, count: int, last_seq: int) -> None:
        self.entered.set()
        self.open.wait(30)

    def close(self) -> None:
        self.open.clear()
        self.entered.clear()


def emit(system: actors.ActorSystem, count: int, first: int = 0) -> None:
    for i in range(first, first + count):
        system.lifecycle("started", component="Worker", actor_id=f"urn:{i}", name=f"w{i}")


def advance(clock: actors.ManualClock, system: actors.ActorSystem, seconds: float) -> None:
    with Probe(system) as marker:
        actors.send_after(marker, ("settled",), seconds, system=system)
        clock.advance(seconds)
        marker.expect(("settled",))


def test_beyond_the_limit_events_are_dropped_counted_and_alerted_once_per_episode(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
) -> None:
    gate = Gate()
    alerts = Probe(manual_system)
    store = InMemoryAuditStore()
    auditor = Auditor.start(
        store=store,
        listen=True,
        mailbox_limit=50,
        batch_size=1,
        on_commit=gate,
        on_alert=lambda severity, message, context: alerts.deliver((severity, message, context)),
        system=manual_system,
    )
    assert gate.entered.wait(5)  # held inside the commit of its own "started" event

    emit(manual_system, 200)
    queued = auditor.message_queue_len()
    gate.open.set()
    first = flush(auditor)
    _, message, context = alerts.expect(("critical", ANY, ANY))
    alerts.refute(("critical", ANY, ANY), timeout=0)

    advance(clock, manual_system, 60)  # no drops for an interval: the episode is over
    stats(auditor)
    gate.close()
    emit(manual_system, 1, first=200)
    assert gate.entered.wait(5)
    emit(manual_system, 100, first=201)
    gate.open.set()
    second = flush(auditor)
    alerts.expect(("critical", ANY, ANY))

    assert 51 == queued  # 50 events and the one notice of the episode
    assert (51, 150) == (first.received, first.mailbox_dropped)
    assert "mailbox is full (50 messages)" in message
    assert 50 == context["mailbox_limit"]
    assert (102, 200) == (second.received, second.mailbox_dropped)
    assert [f"w{i}" for i in range(50)] == [e.name for e in store.lifecycle()][1:51]


def test_in_a_crash_storm_a_stuck_auditors_mailbox_stays_bounded_and_every_event_is_counted(
    actor_system: actors.ActorSystem,
) -> None:
    emitted = itertools.count()
    actor_system.add_lifecycle_listener(lambda event: next(emitted))
    gate = Gate()
    events = Probe(actor_system)
    actor_system.add_lifecycle_listener(events.deliver)
    auditor = Auditor.start(
        store=InMemoryAuditStore(),
        listen=True,
        mailbox_limit=200,
        batch_size=1,
        on_commit=gate,
        system=actor_system,
    )
    assert gate.entered.wait(5)
    sup = sv.Supervisor.start(
        [sv.child_spec("crasher", Crasher, name="crasher")],
        max_restarts=1_000_000,
        max_seconds=1,
        name="storm",
        system=actor_system,
    )

    for _ in range(300):  # the storm goes on while the auditor is stuck
        events.expect(lambda e: e.event_type == "restarted" and e.name == "crasher", timeout=5)
    actors.stop(sup)
    queued = auditor.message_queue_len()
    gate.open.set()
    after = flush(auditor, timeout=30)
    total = next(emitted)

    assert queued <= 201
    assert after.mailbox_dropped > 0
    assert total == after.received + after.mailbox_dropped


def test_attach_by_name_counts_its_drops_in_the_auditors_stats(
    actor_system: actors.ActorSystem,
) -> None:
    gate = Gate()
    auditor = Auditor.start(
        store=InMemoryAuditStore(),
        name="auditor",
        batch_size=1,
        on_commit=gate,
        system=actor_system,
    )
    attach(actor_system, "auditor", mailbox_limit=10)
    actors.send(auditor, ("note", {"first": True}))  # holds the auditor in its commit
    assert gate.entered.wait(5)

    emit(actor_system, 25)
    gate.open.set()
    after = flush(auditor)

    assert (11, 15) == (after.received, after.mailbox_dropped)


def test_the_gater_auditor_reports_a_full_mailbox_on_ex_esdb_alerts(
    actor_system: actors.ActorSystem,
) -> None:
    gater.start(actor_system, audit=False, broadcasters=False)
    alerts = Probe(actor_system)
    pubsub.subscribe(instances.ALERTS, "audit_log", alerts, system=actor_system)
    gate = Gate()
    auditor: Any = gater.GaterAuditor.start(
        store=InMemoryAuditStore(),
        name=gater.AUDITOR_NAME,
        mailbox_limit=20,
        batch_size=1,
        on_commit=gate,
        system=actor_system,
    )
    assert gate.entered.wait(5)

    emit(actor_system, 40)
    gate.open.set()
    after = flush(auditor)

    _, alert = alerts.expect(("system_alert", ANY), timeout=5)
    assert ("critical", "Audit log") == (alert.severity, alert.title)
    assert 20 == alert.metadata["mailbox_limit"]
    assert 20 == after.mailbox_dropped


def test_a_flood_of_audit_events_cannot_crowd_lifecycle_events_out_of_the_mailbox(
    actor_system: actors.ActorSystem,
) -> None:
    gater.start(actor_system, audit=False, broadcasters=False)
    gate = Gate()
    gate.open.set()
    auditor: Any = gater.GaterAuditor.start(
        store=InMemoryAuditStore(),
        name=gater.AUDITOR_NAME,
        mailbox_limit=20,
        batch_size=1,
        on_commit=gate,
        system=actor_system,
    )
    actors.call(auditor, ("connect",))  # subscribed to ex_esdb_audit
    flush(auditor)
    gate.close()
    emit(actor_system, 1)  # held inside this event's commit
    assert gate.entered.wait(5)

    published = [
        pubsub.broadcast(instances.AUDIT, "audit_trail:x", ("note", {"n": n}), wait=False)
        for n in range(15)
    ]
    emit(actor_system, 8, first=1)
    gate.open.set()
    after = flush(auditor)

    delivered = sum(getattr(result, "delivered", 0) for result in published)
    assert (10, 0) == (delivered, after.mailbox_dropped)  # audit waits at half the limit
    assert 2 + 10 + 8 == after.received
