"""The EventStore handle and its tree: streams through the actors."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import pytest

import actors
import supervision as sv
from actors import messages
from actors.eventstore import (
    ANY,
    NO_STREAM,
    STREAM_EXISTS,
    EventData,
    EventFilter,
    EventStore,
    StoreClosed,
    StoreUnavailable,
    StreamDeleted,
    StreamNotFound,
    WrongExpectedVersion,
)
from actors.testing import Probe
from tests.eventstore.conftest import advance_past_timers


def people(n: int, start: int = 0) -> list[EventData]:
    return [EventData("PersonCreated", {"n": start + i}) for i in range(n)]


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, actor_system: actors.ActorSystem, tmp_path: Path):
    url = str(tmp_path / "events.db") if request.param == "file" else ":memory:"
    with EventStore.open(url, system=actor_system) as opened:
        yield opened


def test_append_and_read_back(store: EventStore):
    first = store.append("people", people(2), NO_STREAM)
    second = store.append("people", EventData("PersonRenamed", {"name": "Zika"}), 1)

    assert (1, 1, 2) == (first.next_expected_version, first.position, first.written)
    assert (2, 2) == (second.next_expected_version, second.position)
    page = store.read_stream("people")
    assert [0, 1, 2] == [e.version for e in page]
    assert ("PersonRenamed", {"name": "Zika"}) == (page.events[2].type, page.events[2].data)
    assert page.end_of_stream
    assert "PersonRenamed" == store.read_event("people").type
    assert 2 == store.last_position()


def test_created_comes_from_the_systems_clock(manual_system: actors.ActorSystem):
    with EventStore.open(":memory:", system=manual_system) as store:
        store.append("s", people(1))

        assert manual_system.clock.now() == store.read_event("s", 0).created


def test_wrong_expected_version_says_what_it_found(store: EventStore):
    store.append("people", people(3))

    with pytest.raises(WrongExpectedVersion, match=r"'people'.*expected 0, actual 2") as caught:
        store.append("people", people(1), 0)

    assert (0, 2) == (caught.value.expected, caught.value.actual)
    with pytest.raises(WrongExpectedVersion, match="NO_STREAM"):
        store.append("people", people(1), NO_STREAM)
    assert 2 == store.append("other", people(3), ANY).next_expected_version
    with pytest.raises(WrongExpectedVersion, match="STREAM_EXISTS"):
        store.append("nobody", people(1), STREAM_EXISTS)


def test_idempotent_retry_through_the_store(store: EventStore):
    events = people(3)
    first = store.append("people", events, NO_STREAM)

    retried = store.append("people", events, NO_STREAM)

    assert (first.next_expected_version, first.position, 0) == (
        retried.next_expected_version,
        retried.position,
        retried.written,
    )
    assert 3 == len(store.read_stream("people"))


def test_read_all_and_filters(store: EventStore):
    store.append("orders-1", EventData("Placed", 1))
    store.append("people-1", EventData("Created", 2))
    store.append("orders-2", EventData("Shipped", 3))

    assert [1, 2, 3] == [e.data for e in store.read_all()]
    assert [3, 2, 1] == [e.data for e in store.read_all(-1, backwards=True)]
    assert [1, 3] == [e.data for e in store.read_all(filter=EventFilter(stream_prefix="orders-"))]


def test_soft_and_hard_delete(store: EventStore):
    store.append("a", people(2))
    store.append("b", people(2))

    store.delete_stream("a", 1)
    store.delete_stream("b", hard=True)

    with pytest.raises(StreamNotFound, match="soft-deleted"):
        store.read_stream("a")
    assert 2 == store.append("a", people(1), NO_STREAM).next_expected_version
    with pytest.raises(StreamDeleted, match="'b'"):
        store.append("b", people(1))
    assert ["live", "hard_deleted"] == [s.state for s in store.list_streams()]


def test_messages_are_stored_and_come_back_as_their_classes(store: EventStore):
    health = messages.new(messages.NodeHealth, "a@cluster", "healthy", {"disk": "pass"})

    store.append("health", EventData("NodeHealth", health, metadata={"wrapped": [health]}))

    event = store.read_event("health", 0)
    assert health == event.data
    assert {"wrapped": [health]} == event.metadata


def test_the_store_survives_a_writer_crash(
    store: EventStore, actor_system: actors.ActorSystem, events: Probe
):
    store.append("s", people(2))
    writer = actors.whereis(("eventstore", "eventstore", "writer"), actor_system)

    actors.exit(writer, "kill")
    events.expect(lambda e: e.event_type == "restarted" and e.child_id == "writer")

    # The handle finds the restarted writer; nothing was lost, even in memory.
    assert 2 == store.append("s", people(1), 1).next_expected_version
    assert 3 == len(store.read_stream("s"))


def test_a_closed_store_refuses_calls(actor_system: actors.ActorSystem):
    store = EventStore.open(":memory:", system=actor_system)
    store.close()
    store.close()

    with pytest.raises(StoreClosed, match="'eventstore'"):
        store.append("s", people(1))
    with pytest.raises(StoreClosed):
        store.read_stream("s")
    with pytest.raises(StoreClosed):
        EventStore.connect("eventstore", actor_system)


def test_a_file_store_reopens_with_everything(actor_system: actors.ActorSystem, tmp_path: Path):
    path = tmp_path / "events.db"
    with EventStore.open(path, system=actor_system) as store:
        store.append("s", people(3))

    with EventStore.open(path, system=actor_system) as again:
        assert [0, 1, 2] == [e.data["n"] for e in again.read_stream("s")]


def test_opening_a_running_name(actor_system: actors.ActorSystem, tmp_path: Path):
    with EventStore.open(tmp_path / "a.db", system=actor_system) as store:
        same = EventStore.open(tmp_path / "a.db", system=actor_system)
        assert store == same

        with pytest.raises(ValueError, match="already runs"):
            EventStore.open(tmp_path / "b.db", system=actor_system)
        with EventStore.open(tmp_path / "b.db", system=actor_system, name="second") as other:
            other.append("s", people(1))
            with pytest.raises(StreamNotFound):
                store.read_stream("s")


def test_a_bad_file_is_a_clean_error_and_leaves_nothing_running(
    actor_system: actors.ActorSystem, tmp_path: Path
):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database " * 200)

    with pytest.raises(StoreUnavailable, match="cannot open event store"):
        EventStore.open(junk, system=actor_system)

    assert actors.whereis(("eventstore", "eventstore"), actor_system) is None
    with EventStore.open(":memory:", system=actor_system) as store:
        assert 0 == store.append("s", people(1)).next_expected_version


def test_as_a_child_of_your_supervisor(actor_system: actors.ActorSystem, tmp_path: Path):
    tree = sv.Supervisor.start(
        [EventStore.child_spec(tmp_path / "app.db", name="MyApp.EventStore")],
        system=actor_system,
    )

    store = EventStore.connect("MyApp.EventStore", actor_system)
    store.append("people", people(1))
    assert 1 == len(store.read_stream("people"))
    actors.stop(tree, system=actor_system)
    with pytest.raises(StoreClosed):
        store.read_stream("people")


def test_concurrent_appends_through_the_store(store: EventStore):
    def writer(i: int) -> None:
        for j in range(20):
            store.append("shared", EventData("E", {"w": i, "j": j}))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    events = store.read_stream("shared").events
    assert list(range(100)) == [e.version for e in events]
    for i in range(5):
        assert list(range(20)) == [e.data["j"] for e in events if e.data["w"] == i]


# Metadata and the trimmer -----------------------------------------------------------


def test_max_count_and_the_periodic_trimmer(
    manual_system: actors.ActorSystem, clock: actors.ManualClock
):
    with EventStore.open(":memory:", system=manual_system, trim_interval=60) as store:
        store.append("s", people(5))
        store.set_stream_metadata("s", max_count=2)
        assert [3, 4] == [e.data["n"] for e in store.read_stream("s")]
        assert 5 == len(store.read_all())

        advance_past_timers(manual_system, clock, 61)

        trimmer = ("eventstore", "eventstore", "trimmer")
        trimmed = actors.call(trimmer, ("trimmed",), system=manual_system)
        assert 3 == trimmed
        assert [3, 4] == [e.data["n"] for e in store.read_all()]


def test_max_age_follows_the_clock(manual_system: actors.ActorSystem, clock: actors.ManualClock):
    with EventStore.open(":memory:", system=manual_system, trim_interval=None) as store:
        store.append("s", people(2))
        clock.advance(30)
        store.append("s", people(1, start=2))
        store.set_stream_metadata("s", max_age=40, custom={"owner": "ops"})

        clock.advance(15)

        assert [2] == [e.data["n"] for e in store.read_stream("s")]
        assert 2 == store.trim()
        meta = store.get_stream_metadata("s")
        assert (40, {"owner": "ops"}) == (meta.max_age, meta.custom)


# Bad input: clear errors, and the store is untouched -----------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda s: s.append(42, people(1)), TypeError, "stream name must be a str"),
        (lambda s: s.append("", people(1)), ValueError, "must not be empty"),
        (lambda s: s.append("$all", people(1)), ValueError, "every event"),
        (lambda s: s.append("bad\udc80", people(1)), ValueError, "lone surrogate"),
        (lambda s: s.append("s", {"type": "x"}), TypeError, "EventData or a list"),
        (lambda s: s.append("s", ["x"]), TypeError, r"events\[0\] must be an EventData"),
        (lambda s: s.append("s", people(1), "any"), TypeError, "expected_version"),
        (lambda s: s.append("s", people(1), True), TypeError, "expected_version"),
        (lambda s: s.append("s", people(1), -3), ValueError, "expected_version -3"),
        (lambda s: s.append("s", EventData("T", {1, 2})), TypeError, "builtins.set"),
        (lambda s: s.append("s", EventData("T", object())), TypeError, "builtins.object"),
        (lambda s: s.append("s", EventData("T", {"x": math.nan})), ValueError, "JSON"),
        (lambda s: s.append("s", EventData("T", {(1, 2): 3})), TypeError, "keys"),
        (lambda s: s.append("s", EventData("T", 1, metadata=b"raw")), TypeError, "metadata"),
        (lambda s: s.read_stream("s", -1), ValueError, "from_version"),
        (lambda s: s.read_stream("s", 0, 0), ValueError, "count"),
        (lambda s: s.read_stream("s", 0, -5), ValueError, "count"),
        (lambda s: s.read_stream("s", "0"), TypeError, "from_version must be an int"),
        (lambda s: s.read_event("s", -2), ValueError, "version"),
        (lambda s: s.read_all(-1), ValueError, "from_position"),
        (lambda s: s.read_all(0, 10, filter="orders"), TypeError, "EventFilter"),
        (lambda s: s.delete_stream("s", hard="yes"), TypeError, "hard"),
        (lambda s: s.set_stream_metadata("s", max_count=0), ValueError, "max_count"),
        (lambda s: s.set_stream_metadata("s", max_age="1h"), TypeError, "max_age"),
        (lambda s: s.set_stream_metadata("s", custom={1, 2}), TypeError, "builtins.set"),
        (lambda s: s.read_stream("unknown"), StreamNotFound, "'unknown'"),
    ],
)
def test_bad_input_gets_a_clear_error_and_never_corrupts(store: EventStore, call, error, match):
    store.append("s", people(2))

    with pytest.raises(error, match=match):
        call(store)

    assert [0, 1] == [e.data["n"] for e in store.read_stream("s")]
    assert 1 == store.last_position()
    assert 2 == store.append("s", people(1), 1).next_expected_version


def test_eventdata_checks_its_own_fields():
    with pytest.raises(TypeError, match=r"EventData\.type must be a str"):
        EventData(7, {})
    with pytest.raises(ValueError, match="must not be empty"):
        EventData("", {})
    with pytest.raises(TypeError, match=r"EventData\.id"):
        EventData("T", {}, id=12)
    assert EventData("T", {}).id != EventData("T", {}).id


def test_duplicate_ids_in_one_batch_are_refused_before_writing(store: EventStore):
    with pytest.raises(ValueError, match="twice"):
        store.append("s", [EventData("T", 1, id="x"), EventData("T", 2, id="x")])
    with pytest.raises(StreamNotFound):
        store.read_stream("s")
