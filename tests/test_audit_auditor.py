"""The Auditor: what it records, when it commits, and how it survives a
database that refuses writes. Time moves on a ManualClock; nothing sleeps."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

import actors
import supervision as sv
from actors.audit import (
    DEFAULT_PATH,
    AuditEvent,
    AuditLog,
    Auditor,
    AuditorStats,
    InMemoryAuditStore,
    attach,
    flush,
    stats,
)
from actors.testing import ANY, Probe

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Flaky(actors.GenServer):
    def handle_cast(self, request: Any) -> None:
        raise RuntimeError(f"flaky failure #{request}")


class Steady(actors.GenServer):
    pass


@attrs.frozen
class DataChange:
    user_id: str
    action: str
    changes: dict[str, Any]
    timestamp: datetime


def lifecycle(i: int, event_type: str = "started") -> actors.ProcessLifecycle:
    return actors.ProcessLifecycle(
        event_type=event_type, component="Worker", actor_id=f"urn:{i}", name=f"w{i}", timestamp=T0
    )


def send_events(auditor: Any, first: int, count: int) -> None:
    for i in range(first, first + count):
        actors.send(auditor, ("process_lifecycle_event", lifecycle(i)))


def advance(clock: actors.ManualClock, system: actors.ActorSystem, seconds: float) -> None:
    """Move the clock, and return once every timer due by then has fired.

    A marker timer due at the new time fires after all timers due earlier
    (the timer thread fires them in deadline order), so once it arrives the
    auditor's own timer messages are in its mailbox, ahead of any later call.
    """
    with Probe(system) as marker:
        actors.send_after(marker, ("settled",), seconds, system=system)
        clock.advance(seconds)
        marker.expect(("settled",))


@pytest.fixture
def hooks(manual_system: actors.ActorSystem) -> Iterator[Probe]:
    """Receives ("commit", count, last_seq) and ("alert", severity, message, context)."""
    with Probe(manual_system) as probe:
        yield probe


@pytest.fixture
def start_auditor(
    manual_system: actors.ActorSystem, hooks: Probe
) -> Callable[..., actors.Ref[Auditor]]:
    def start(*args: Any, **kwargs: Any) -> actors.Ref[Auditor]:
        kwargs.setdefault("on_commit", lambda n, seq: hooks.deliver(("commit", n, seq)))
        kwargs.setdefault(
            "on_alert", lambda severity, msg, ctx: hooks.deliver(("alert", severity, msg, ctx))
        )
        return Auditor.start(*args, system=manual_system, **kwargs)

    return start


# What it records -------------------------------------------------------------------------


def test_the_auditor_records_a_supervised_worker_starting_crashing_restarting_and_giving_up(
    actor_system: actors.ActorSystem, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    auditor = Auditor.start(path, name="auditor", system=actor_system)
    attach(actor_system, auditor)
    events = Probe(actor_system)
    actor_system.add_lifecycle_listener(events.deliver)
    sv.Supervisor.start(
        [
            sv.child_spec("flaky", Flaky, name="flaky"),
            sv.child_spec("steady", Steady, name="steady"),
        ],
        max_restarts=1,
        max_seconds=60,
        name="sup",
        system=actor_system,
    )

    actors.cast("flaky", 1, system=actor_system)
    events.expect(lambda e: e.event_type == "restarted" and e.name == "flaky", timeout=5)
    actors.cast("flaky", 2, system=actor_system)
    events.expect(lambda e: e.event_type == "stopped" and e.name == "sup", timeout=5)
    after = flush(auditor)

    with AuditLog.open(path) as log:
        flaky = log.query(name="flaky")
        steady = log.query(name="steady")
        sup = log.query(name="sup")
        restarts = log.restart_counts()
    assert 0 == after.pending
    assert [
        "started",
        "crashed",
        "started",
        "restarted",
        "crashed",
        "max_restarts_reached",
    ] == [e.event_type for e in flaky]
    assert ["RuntimeError: flaky failure #1", "RuntimeError: flaky failure #2"] == [
        e.reason for e in flaky if e.event_type == "crashed"
    ]
    assert ("RuntimeError", "sup") == (flaky[1].exception_type, flaky[1].supervisor)
    assert "flaky failure #1" in (flaky[1].traceback or "")
    assert (1, "flaky") == (flaky[3].restart_count, flaky[3].child_id)
    assert [("started", None), ("stopped", "shutdown")] == [
        (e.event_type, e.reason) for e in steady
    ]
    assert ["started", "shutdown", "stopped"] == [e.event_type for e in sup]
    assert {"flaky": 1} == restarts


def test_generic_audit_messages_keep_tag_kind_topic_and_the_payloads_own_time(
    manual_system: actors.ActorSystem, clock: actors.ManualClock, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    auditor = Auditor.start(path, system=manual_system)
    when = datetime(2025, 12, 31, 23, 59, 59, 123000, tzinfo=UTC)
    clock.advance(3)

    actors.send(auditor, ("data_change", DataChange("u1", "update", {"plan": "pro"}, when)))
    actors.send(auditor, ("admin_action", {"admin": "root", "ids": {3, 1, 2}}))
    actors.send(
        auditor,
        AuditEvent(
            tag="access_log", kind="AccessLog", payload={"ok": True}, timestamp=T0, topic="access"
        ),
    )
    flush(auditor)

    with AuditLog.open(path) as log:
        change, admin, access = log.audit_events()
    assert ("data_change", "DataChange", None, when) == (
        change.tag,
        change.kind,
        change.topic,
        change.timestamp,
    )
    assert {
        "user_id": "u1",
        "action": "update",
        "changes": {"plan": "pro"},
        "timestamp": "2025-12-31T23:59:59.123000+00:00",
    } == change.payload
    assert ("dict", {"admin": "root", "ids": [1, 2, 3]}) == (admin.kind, admin.payload)
    assert clock.now() == admin.timestamp  # no timestamp of its own: the system clock's
    assert ("access", {"ok": True}) == (access.topic, access.payload)


def test_a_custom_encoder_is_used_and_a_payload_it_cannot_encode_is_kept_by_the_default_one(
    manual_system: actors.ActorSystem,
) -> None:
    store = InMemoryAuditStore()

    def encode(payload: Any) -> dict[str, Any]:
        if payload == "bad":
            raise ValueError("cannot encode that")
        return {"encoded": str(payload)}

    auditor = Auditor.start(store=store, encode=encode, system=manual_system)
    actors.send(auditor, ("note", 42))
    actors.send(auditor, ("note", "bad"))
    after = flush(auditor)

    assert [
        {"encoded": "42"},
        {"value": "bad", "encode_error": "ValueError: cannot encode that"},
    ] == [e.payload for e in store.audit_events()]
    assert 1 == after.encode_failures


def test_messages_it_cannot_audit_are_ignored_and_unknown_calls_get_an_error(
    manual_system: actors.ActorSystem,
) -> None:
    store = InMemoryAuditStore()
    auditor = Auditor.start(store=store, system=manual_system)

    actors.send(auditor, "not a tuple")
    actors.send(auditor, (1, 2))
    actors.send(auditor, ("a", "b", "c"))
    reply = actors.call(auditor, ("compact",))
    after = flush(auditor)

    assert actors.Error("unknown_request", request=("compact",)) == reply
    assert (0, 0) == (after.received, len(store.entries()))
    assert auditor.is_alive()


def test_attach_forwards_lifecycle_events_until_removed(
    actor_system: actors.ActorSystem,
) -> None:
    store = InMemoryAuditStore()
    auditor = Auditor.start(store=store, name="auditor", system=actor_system)
    remove = attach(actor_system, "auditor")

    actors.stop(Steady.start(name="one", system=actor_system))
    remove()
    actors.stop(Steady.start(name="two", system=actor_system))
    flush(auditor)

    assert [("started", "one"), ("stopped", "one")] == [
        (e.event_type, e.name) for e in store.lifecycle()
    ]


def test_a_supervised_auditor_killed_and_restarted_keeps_writing_the_same_file(
    actor_system: actors.ActorSystem, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    events = Probe(actor_system)
    actor_system.add_lifecycle_listener(events.deliver)
    sv.Supervisor.start(
        [sv.child_spec("auditor", Auditor, path, name="auditor")], system=actor_system
    )
    attach(actor_system, "auditor")
    actors.stop(Steady.start(name="before", system=actor_system))
    first = flush("auditor", system=actor_system)

    actors.exit(actors.whereis("auditor", actor_system), "kill")
    events.expect(lambda e: e.event_type == "restarted" and e.name == "auditor", timeout=5)
    actors.stop(Steady.start(name="after", system=actor_system))
    second = flush("auditor", system=actor_system)

    with AuditLog.open(path) as log:
        workers = [(e.event_type, e.name) for e in log.query() if e.name in ("before", "after")]
        own = [e.event_type for e in log.query(name="auditor")]
    assert 2 == first.committed
    assert [
        ("started", "before"),
        ("stopped", "before"),
        ("started", "after"),
        ("stopped", "after"),
    ] == workers
    # The new incarnation records its own start and restart; the killed one's
    # "crashed" came while nobody held the name (a dead letter).
    assert ["started", "restarted"] == own
    assert second.last_committed_seq > first.last_committed_seq


# When it commits ---------------------------------------------------------------------------


def test_five_hundred_pending_events_are_committed_at_once_in_one_transaction(
    manual_system: actors.ActorSystem,
    hooks: Probe,
    start_auditor: Callable[..., Any],
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.db"
    auditor = start_auditor(path)

    send_events(auditor, 0, 500)

    hooks.expect(("commit", 500, 500))
    after = stats(auditor)
    assert (500, 500, 0, 1, 500) == (
        after.received,
        after.committed,
        after.pending,
        after.batches,
        after.last_committed_seq,
    )
    with AuditLog.open(path) as log:
        assert [f"urn:{i}" for i in range(500)] == [e.actor_id for e in log.query()]


def test_a_partial_batch_is_committed_100_ms_after_its_first_event(
    manual_system: actors.ActorSystem,
    clock: actors.ManualClock,
    hooks: Probe,
    start_auditor: Callable[..., Any],
) -> None:
    store = InMemoryAuditStore()
    auditor = start_auditor(store=store)

    send_events(auditor, 0, 1)
    stats(auditor)
    advance(clock, manual_system, 0.05)
    send_events(auditor, 1, 2)  # later events do not push the deadline back
    before = stats(auditor)
    hooks.refute(("commit", ANY, ANY), timeout=0)
    advance(clock, manual_system, 0.05)

    hooks.expect(("commit", 3, 3))
    assert (3, 0, 3) == (before.received, before.committed, before.pending)
    assert (3, 0, 1) == (stats(auditor).committed, stats(auditor).pending, store.commits)


def test_pending_events_are_committed_when_the_auditor_stops(
    manual_system: actors.ActorSystem,
    hooks: Probe,
    start_auditor: Callable[..., Any],
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.db"
    auditor = start_auditor(path)

    send_events(auditor, 0, 7)
    actors.stop(auditor)

    hooks.expect(("commit", 7, 7))
    with AuditLog.open(path) as log:
        assert 7 == len(log.query())


def test_an_auditor_continues_the_sequence_of_an_existing_file(
    manual_system: actors.ActorSystem,
    hooks: Probe,
    start_auditor: Callable[..., Any],
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.db"
    first = start_auditor(path)
    send_events(first, 0, 3)
    actors.stop(first)
    hooks.expect(("commit", 3, 3))

    second = start_auditor(path)
    at_start = stats(second)
    send_events(second, 3, 2)
    flush(second)

    assert 3 == at_start.last_committed_seq
    hooks.expect(("commit", 2, 5))


# When the database refuses writes ----------------------------------------------------------


def test_a_locked_database_raises_one_alert_keeps_events_retries_with_backoff_then_writes_all(
    manual_system: actors.ActorSystem,
    clock: actors.ManualClock,
    hooks: Probe,
    start_auditor: Callable[..., Any],
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.db"
    auditor = start_auditor(path, busy_timeout=0.01)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        send_events(auditor, 0, 10)
        stats(auditor)
        advance(clock, manual_system, 0.1)  # the flush fails
        _, severity, message, context = hooks.expect(("alert", ANY, ANY, ANY))
        first = stats(auditor)
        send_events(auditor, 10, 5)  # still accepted while failing
        second = stats(auditor)
        advance(clock, manual_system, 0.04)
        not_yet = stats(auditor)
        advance(clock, manual_system, 0.02)  # the retry 50 ms after the failure fails too
        retried = stats(auditor)
    finally:
        other.execute("ROLLBACK")
        other.close()
    advance(clock, manual_system, retried.retry_delay)  # type: ignore[arg-type]

    hooks.expect(("commit", 15, 15))
    _, recovery, _, recovered = hooks.expect(("alert", ANY, ANY, ANY))
    assert ("error", 10) == (severity, context["pending"])
    assert "database is locked" in message
    assert (True, 1, 10, 0, 0.05) == (
        first.failing,
        first.failures,
        first.pending,
        first.committed,
        first.retry_delay,
    )
    assert (15, 15) == (second.received, second.pending)
    assert 1 == not_yet.failures
    assert (2, 0.1) == (retried.failures, retried.retry_delay)
    assert ("info", 2, 15) == (recovery, recovered["failed_attempts"], recovered["written"])
    after = stats(auditor)
    assert (False, 15, 0, 0, None) == (
        after.failing,
        after.committed,
        after.pending,
        after.dropped,
        after.retry_delay,
    )
    with AuditLog.open(path) as log:
        assert [f"urn:{i}" for i in range(15)] == [e.actor_id for e in log.query()]


def test_the_retry_delay_doubles_up_to_its_maximum(
    manual_system: actors.ActorSystem,
    clock: actors.ManualClock,
    hooks: Probe,
    start_auditor: Callable[..., Any],
) -> None:
    store = InMemoryAuditStore()
    auditor = start_auditor(store=store, retry_initial=0.05, retry_max=0.3)
    store.fail_writes("disk I/O error")
    send_events(auditor, 0, 1)
    stats(auditor)
    advance(clock, manual_system, 0.1)

    delays = [stats(auditor).retry_delay]
    for _ in range(4):
        advance(clock, manual_system, delays[-1])  # type: ignore[arg-type]
        delays.append(stats(auditor).retry_delay)
    store.fail_writes(None)
    advance(clock, manual_system, delays[-1])  # type: ignore[arg-type]

    hooks.expect(("commit", 1, 1))
    assert [0.05, 0.1, 0.2, 0.3, 0.3] == delays
    assert 6 == store.attempts
    assert ["error", "info"] == [m[1] for m in hooks.flush() if m[0] == "alert"]


def test_a_full_backlog_drops_the_oldest_events_counts_them_and_alerts_once(
    manual_system: actors.ActorSystem,
    clock: actors.ManualClock,
    hooks: Probe,
    start_auditor: Callable[..., Any],
) -> None:
    store = InMemoryAuditStore()
    auditor = start_auditor(store=store, batch_size=5, max_backlog=5)
    store.fail_writes("database or disk is full")
    send_events(auditor, 0, 3)
    stats(auditor)
    advance(clock, manual_system, 0.1)
    hooks.expect(("alert", "error", ANY, ANY))

    send_events(auditor, 3, 5)  # 8 events for 5 places
    full = stats(auditor)
    _, _, message, context = hooks.expect(("alert", "critical", ANY, ANY))
    store.fail_writes(None)
    advance(clock, manual_system, full.retry_delay)  # type: ignore[arg-type]

    hooks.expect(("commit", 5, 5))
    assert (8, 5, 3) == (full.received, full.pending, full.dropped)
    assert "backlog is full" in message
    assert 1 == context["dropped"]  # reported when the first one was dropped
    assert [f"urn:{i}" for i in range(3, 8)] == [e.actor_id for e in store.lifecycle()]
    hooks.refute(("alert", "critical", ANY, ANY), timeout=0)
    assert 3 == stats(auditor).dropped


def test_events_that_cannot_be_written_at_stop_are_counted_and_reported(
    manual_system: actors.ActorSystem, hooks: Probe, start_auditor: Callable[..., Any]
) -> None:
    store = InMemoryAuditStore()
    auditor = start_auditor(store=store)
    store.fail_writes("disk I/O error")

    send_events(auditor, 0, 4)
    actors.stop(auditor)

    _, _, message, context = hooks.expect(("alert", "critical", ANY, ANY))
    assert 4 == context["lost"]
    assert "4 events that could not be written" in message


def test_a_stuck_auditor_does_not_slow_down_the_actors_it_audits(
    actor_system: actors.ActorSystem,
) -> None:
    store = InMemoryAuditStore()
    stuck = threading.Event()
    release = threading.Event()

    def on_commit(count: int, last: int) -> None:
        stuck.set()
        release.wait(30)

    auditor = Auditor.start(store=store, batch_size=1, on_commit=on_commit, system=actor_system)
    attach(actor_system, auditor)
    events = Probe(actor_system)
    actor_system.add_lifecycle_listener(events.deliver)
    try:
        Steady.start(name="first", system=actor_system)
        assert stuck.wait(5)
        # The auditor is blocked inside its commit hook; the system carries on.
        sup = sv.Supervisor.start(
            [sv.child_spec("flaky", Flaky, name="flaky")],
            max_restarts=100,
            name="sup",
            system=actor_system,
        )
        for n in range(20):
            actors.cast("flaky", n, system=actor_system)
            events.expect(lambda e: e.event_type == "restarted" and e.name == "flaky", timeout=5)
        actors.stop(sup)
        pending = auditor.message_queue_len()
    finally:
        release.set()
    after = flush(auditor, timeout=30)

    assert pending > 60
    assert 0 == after.pending
    assert 20 == sum(1 for e in store.lifecycle() if e.event_type == "restarted")


# Options --------------------------------------------------------------------------------------


def test_the_file_comes_from_the_system_config_or_the_default_path(
    actor_system_factory: Callable[..., actors.ActorSystem],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    configured = actor_system_factory(config={"audit_path": str(tmp_path / "configured.db")})
    plain = actor_system_factory()

    for system in (configured, plain):
        actors.stop(Auditor.start(system=system))

    assert "./actors-audit.db" == DEFAULT_PATH
    assert (tmp_path / "configured.db").is_file()
    assert (tmp_path / "actors-audit.db").is_file()


def test_the_auditor_refuses_the_pooled_runtime(actor_system: actors.ActorSystem) -> None:
    with pytest.raises(actors.StartError, match="thread"):
        Auditor.start(store=InMemoryAuditStore(), runtime="pooled", system=actor_system)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 10, "max_backlog": 5}, "max_backlog"),
        ({"flush_interval": 0}, "flush_interval"),
        ({"retry_initial": 1, "retry_max": 0.5}, "retry_max"),
        ({"on_commit": "print"}, "on_commit"),
        ({"store": InMemoryAuditStore(), "path": "x.db"}, "either a path or a store"),
    ],
)
def test_bad_options_fail_the_start_with_a_clear_error(
    actor_system: actors.ActorSystem, options: dict[str, Any], message: str
) -> None:
    options.setdefault("store", InMemoryAuditStore)

    with pytest.raises(actors.StartError, match=message):
        Auditor.start(system=actor_system, **options)


def test_the_auditor_closes_stores_it_made_and_leaves_given_ones_open(
    actor_system: actors.ActorSystem,
) -> None:
    given = InMemoryAuditStore()
    made: list[InMemoryAuditStore] = []

    def factory() -> InMemoryAuditStore:
        made.append(InMemoryAuditStore())
        return made[-1]

    actors.stop(Auditor.start(store=given, system=actor_system))
    actors.stop(Auditor.start(store=factory, system=actor_system))

    assert (False, True) == (given.closed, made[0].closed)


def test_stats_are_a_frozen_snapshot(manual_system: actors.ActorSystem) -> None:
    auditor = Auditor.start(store=InMemoryAuditStore(), system=manual_system)

    snapshot = stats(auditor)

    assert isinstance(snapshot, AuditorStats)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        snapshot.received = 1  # type: ignore[misc]
