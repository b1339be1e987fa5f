"""Backend contract: streams (every backend passes this module unchanged)."""

from __future__ import annotations

import threading

import pytest

from actors.eventstore import (
    ANY,
    NO_STREAM,
    STREAM_EXISTS,
    Backend,
    DuplicateEventId,
    EventData,
    EventFilter,
    EventNotFound,
    StreamDeleted,
    StreamMetadata,
    StreamNotFound,
    WrongExpectedVersion,
    encode_event,
)
from tests.eventstore.conftest import T0, at, batch, new


def data_of(events: object) -> list[int]:
    return [e.data["n"] for e in events]  # type: ignore[attr-defined]


# Appends and expected versions ---------------------------------------------------------


def test_first_append_numbers_versions_from_0_and_positions_in_commit_order(backend: Backend):
    first = backend.append("people", batch(3), NO_STREAM, T0)
    second = backend.append("orders", batch(2), NO_STREAM, T0)

    assert (2, 2, 3) == (first.next_expected_version, first.position, first.written)
    assert (1, 4) == (second.next_expected_version, second.position)
    events = backend.read_all(0, 100, False, None).events
    assert [0, 1, 2, 3, 4] == [e.position for e in events]
    assert [("people", 0), ("people", 1), ("people", 2), ("orders", 0), ("orders", 1)] == [
        (e.stream, e.version) for e in events
    ]
    assert 4 == backend.last_position()


def test_recorded_event_carries_everything_appended(backend: Backend):
    event = EventData("PersonCreated", {"name": "Pera"}, {"by": "test"}, id="id-1")
    backend.append("people", [encode_event(event)], ANY, at(5))

    recorded = backend.read_event("people", 0, T0)

    assert ("people", 0, 0, "id-1", "PersonCreated") == (
        recorded.stream,
        recorded.version,
        recorded.position,
        recorded.id,
        recorded.type,
    )
    assert ({"name": "Pera"}, {"by": "test"}, at(5)) == (
        recorded.data,
        recorded.metadata,
        recorded.created,
    )


@pytest.mark.parametrize(
    ("expected", "ok"),
    [(ANY, True), (NO_STREAM, False), (STREAM_EXISTS, True), (1, True), (0, False), (5, False)],
)
def test_expected_version_on_an_existing_stream(backend: Backend, expected: int, ok: bool):
    backend.append("s", batch(2), NO_STREAM, T0)

    if ok:
        assert 2 == backend.append("s", batch(1), expected, T0).next_expected_version
    else:
        with pytest.raises(WrongExpectedVersion) as caught:
            backend.append("s", batch(1), expected, T0)
        assert ("s", expected, 1) == (
            caught.value.stream,
            caught.value.expected,
            caught.value.actual,
        )
        assert "'s'" in str(caught.value)
        assert 1 == backend.read_stream("s", 0, 10, False, T0).last_version


@pytest.mark.parametrize(
    ("expected", "ok"), [(ANY, True), (NO_STREAM, True), (STREAM_EXISTS, False), (0, False)]
)
def test_expected_version_on_a_missing_stream(backend: Backend, expected: int, ok: bool):
    if ok:
        assert 0 == backend.append("s", batch(1), expected, T0).next_expected_version
    else:
        with pytest.raises(WrongExpectedVersion) as caught:
            backend.append("s", batch(1), expected, T0)
        assert -1 == caught.value.actual
        with pytest.raises(StreamNotFound):
            backend.read_stream("s", 0, 10, False, T0)


def test_an_empty_append_checks_the_version_and_writes_nothing(backend: Backend):
    backend.append("s", batch(2), ANY, T0)

    result = backend.append("s", [], 1, T0)

    assert (1, 1, 0) == (result.next_expected_version, result.position, result.written)
    with pytest.raises(WrongExpectedVersion):
        backend.append("s", [], 7, T0)
    assert 1 == backend.last_position()


def test_a_batch_is_atomic(backend: Backend):
    backend.append("a", [new(id="taken")], ANY, T0)
    bad = [*batch(3), new(id="taken")]

    with pytest.raises(DuplicateEventId) as caught:
        backend.append("b", bad, ANY, T0)

    assert ("taken", "a", 0) == (
        caught.value.event_id,
        caught.value.existing_stream,
        caught.value.existing_version,
    )
    with pytest.raises(StreamNotFound):
        backend.read_stream("b", 0, 10, False, T0)
    assert 0 == backend.last_position()
    # The next append still gets the next position: nothing was consumed.
    assert 1 == backend.append("b", batch(1), NO_STREAM, T0).position


# Idempotent writes -------------------------------------------------------------------


def test_retrying_the_same_ids_at_the_same_place_writes_nothing(backend: Backend):
    events = batch(3)
    first = backend.append("s", events, NO_STREAM, T0)

    again = backend.append("s", events, NO_STREAM, T0)
    also = backend.append("s", events, ANY, T0)

    assert (2, 2, 0) == (again.next_expected_version, again.position, again.written)
    assert (first.next_expected_version, first.position) == (
        also.next_expected_version,
        also.position,
    )
    assert [0, 1, 2] == data_of(backend.read_stream("s", 0, 100, False, T0))
    assert 2 == backend.last_position()


def test_an_idempotent_retry_after_later_appends_returns_the_original_place(backend: Backend):
    backend.append("s", batch(2), NO_STREAM, T0)
    middle = batch(2, start=10)
    backend.append("s", middle, 1, T0)
    backend.append("s", batch(1, start=20), 3, T0)

    retried = backend.append("s", middle, 1, T0)

    assert (3, 3, 0) == (retried.next_expected_version, retried.position, retried.written)
    assert 4 == backend.read_stream("s", 0, 100, False, T0).last_version


def test_the_same_ids_at_another_expected_version_are_a_conflict(backend: Backend):
    events = batch(2)
    backend.append("s", events, NO_STREAM, T0)

    with pytest.raises(WrongExpectedVersion):
        backend.append("s", events, 5, T0)


def test_a_partial_retry_is_refused_and_writes_nothing(backend: Backend):
    events = batch(2)
    backend.append("s", events, NO_STREAM, T0)

    with pytest.raises(DuplicateEventId):
        backend.append("s", [events[0], new()], ANY, T0)
    assert 1 == backend.read_stream("s", 0, 100, False, T0).last_version


def test_an_id_used_in_another_stream_is_refused(backend: Backend):
    event = new(id="same")
    backend.append("a", [event], ANY, T0)

    with pytest.raises(DuplicateEventId):
        backend.append("b", [event], ANY, T0)


def test_the_same_id_twice_in_one_batch_is_refused(backend: Backend):
    with pytest.raises(ValueError, match="twice"):
        backend.append("s", [new(id="x"), new(id="x")], ANY, T0)
    assert -1 == backend.last_position()


# Reading ------------------------------------------------------------------------------


def test_reading_forwards_in_pages(backend: Backend):
    backend.append("s", batch(5), ANY, T0)

    first = backend.read_stream("s", 0, 2, False, T0)
    second = backend.read_stream("s", first.next_version, 2, False, T0)
    third = backend.read_stream("s", second.next_version, 2, False, T0)

    assert ([0, 1], 2, False) == (data_of(first), first.next_version, first.end_of_stream)
    assert ([2, 3], 4, False) == (data_of(second), second.next_version, second.end_of_stream)
    assert ([4], 5, True) == (data_of(third), third.next_version, third.end_of_stream)
    beyond = backend.read_stream("s", 9, 2, False, T0)
    assert ([], 9, True) == (data_of(beyond), beyond.next_version, beyond.end_of_stream)


def test_reading_backwards_from_the_end(backend: Backend):
    backend.append("s", batch(5), ANY, T0)

    first = backend.read_stream("s", -1, 2, True, T0)
    second = backend.read_stream("s", first.next_version, 2, True, T0)
    third = backend.read_stream("s", second.next_version, 2, True, T0)

    assert ([4, 3], 2, False) == (data_of(first), first.next_version, first.end_of_stream)
    assert ([2, 1], 0, False) == (data_of(second), second.next_version, second.end_of_stream)
    assert ([0], -1, True) == (data_of(third), third.next_version, third.end_of_stream)


def test_read_event_by_version_and_the_last(backend: Backend):
    backend.append("s", batch(3), ANY, T0)

    assert 1 == backend.read_event("s", 1, T0).data["n"]
    assert 2 == backend.read_event("s", -1, T0).data["n"]
    with pytest.raises(EventNotFound) as caught:
        backend.read_event("s", 3, T0)
    assert ("s", 3) == (caught.value.stream, caught.value.version)


def test_reading_an_unknown_stream_names_it(backend: Backend):
    with pytest.raises(StreamNotFound, match="'nope'") as caught:
        backend.read_stream("nope", 0, 10, False, T0)
    assert ("nope", False) == (caught.value.stream, caught.value.soft_deleted)
    with pytest.raises(StreamNotFound):
        backend.read_event("nope", 0, T0)
    with pytest.raises(StreamNotFound):
        backend.stream_info("nope")


def test_read_all_pages_forwards_and_backwards(backend: Backend):
    for i in range(5):
        backend.append(f"s{i % 2}", batch(1, start=i), ANY, T0)

    page = backend.read_all(0, 3, False, None)
    rest = backend.read_all(page.next_position, 3, False, None)
    back = backend.read_all(-1, 3, True, None)

    assert ([0, 1, 2], 3, False) == (data_of(page), page.next_position, page.end_of_all)
    assert ([3, 4], 5, True) == (data_of(rest), rest.next_position, rest.end_of_all)
    assert ([4, 3, 2], 1, False) == (data_of(back), back.next_position, back.end_of_all)
    assert ([], 5, True) == (
        data_of(backend.read_all(5, 3, False, None)),
        backend.read_all(5, 3, False, None).next_position,
        True,
    )


def test_read_all_filters_by_stream_prefix_and_event_type(backend: Backend):
    backend.append("orders-1", [new("Placed", {"n": 0})], ANY, T0)
    backend.append("people-1", [new("Created", {"n": 1})], ANY, T0)
    backend.append("orders-2", [new("Shipped", {"n": 2})], ANY, T0)
    backend.append("orders-1", [new("Shipped", {"n": 3})], ANY, T0)

    by_prefix = backend.read_all(0, 10, False, EventFilter(stream_prefix="orders-"))
    by_type = backend.read_all(0, 10, False, EventFilter(event_types=["Shipped"]))
    both = backend.read_all(0, 10, False, EventFilter(stream_prefix=("people-", "orders-2")))

    assert [0, 2, 3] == data_of(by_prefix)
    assert [2, 3] == data_of(by_type)
    assert [1, 2] == data_of(both)


# Deleting ---------------------------------------------------------------------------


def test_soft_delete_hides_the_stream_and_appending_recreates_it(backend: Backend):
    backend.append("s", batch(3), ANY, T0)

    deleted = backend.delete_stream("s", 2, False, T0)

    assert (2, False) == (deleted.last_version, deleted.hard)
    with pytest.raises(StreamNotFound) as caught:
        backend.read_stream("s", 0, 10, False, T0)
    assert caught.value.soft_deleted
    with pytest.raises(WrongExpectedVersion):
        backend.append("s", batch(1), STREAM_EXISTS, T0)
    recreated = backend.append("s", batch(2, start=10), NO_STREAM, T0)
    assert 4 == recreated.next_expected_version
    page = backend.read_stream("s", 0, 10, False, T0)
    assert ([10, 11], [3, 4]) == (data_of(page), [e.version for e in page])
    assert "live" == backend.stream_info("s").state


@pytest.mark.parametrize("expected", [ANY, 2])
def test_a_soft_deleted_stream_can_be_recreated_with_any_or_its_last_version(
    backend: Backend, expected: int
):
    backend.append("s", batch(3), ANY, T0)
    backend.delete_stream("s", ANY, False, T0)

    assert 3 == backend.append("s", batch(1), expected, T0).next_expected_version


def test_hard_delete_is_forever(backend: Backend):
    backend.append("s", batch(2), ANY, T0)

    backend.delete_stream("s", ANY, True, T0)

    with pytest.raises(StreamDeleted, match="'s'"):
        backend.read_stream("s", 0, 10, False, T0)
    with pytest.raises(StreamDeleted):
        backend.read_event("s", -1, T0)
    for expected in (ANY, NO_STREAM, 1):
        with pytest.raises(StreamDeleted):
            backend.append("s", batch(1), expected, T0)
    with pytest.raises(StreamDeleted):
        backend.delete_stream("s", ANY, True, T0)
    with pytest.raises(StreamDeleted):
        backend.set_metadata("s", StreamMetadata(max_count=1))
    assert "hard_deleted" == backend.stream_info("s").state
    assert () == backend.read_all(0, 10, False, None).events


def test_a_soft_deleted_stream_can_then_be_hard_deleted(backend: Backend):
    backend.append("s", batch(1), ANY, T0)
    backend.delete_stream("s", ANY, False, T0)

    backend.delete_stream("s", ANY, True, T0)

    with pytest.raises(StreamDeleted):
        backend.append("s", batch(1), ANY, T0)


def test_delete_checks_the_expected_version_and_deletes_nothing_on_conflict(backend: Backend):
    backend.append("s", batch(2), ANY, T0)

    with pytest.raises(WrongExpectedVersion):
        backend.delete_stream("s", 0, True, T0)
    assert 2 == len(backend.read_stream("s", 0, 10, False, T0))


def test_deleting_an_unknown_stream_names_it(backend: Backend):
    with pytest.raises(StreamNotFound, match="'ghost'"):
        backend.delete_stream("ghost", ANY, False, T0)


def test_positions_are_never_reused_after_a_delete(backend: Backend):
    backend.append("a", batch(2), ANY, T0)
    backend.append("b", batch(2), ANY, T0)
    backend.delete_stream("b", ANY, False, T0)

    assert 4 == backend.append("c", batch(1), ANY, T0).position


# Metadata and trimming -------------------------------------------------------------


def test_max_count_hides_old_events_and_trim_deletes_them(backend: Backend):
    backend.append("s", batch(5), ANY, T0)

    backend.set_metadata("s", StreamMetadata(max_count=2))

    assert [3, 4] == data_of(backend.read_stream("s", 0, 10, False, T0))
    assert [4, 3] == data_of(backend.read_stream("s", -1, 10, True, T0))
    with pytest.raises(EventNotFound):
        backend.read_event("s", 0, T0)
    assert 5 == len(backend.read_all(0, 10, False, None))
    assert 3 == backend.trim(T0)
    assert [3, 4] == data_of(backend.read_all(0, 10, False, None))
    assert 0 == backend.trim(T0)


def test_max_age_hides_events_older_than_it_at_read_time(backend: Backend):
    backend.append("s", batch(2), ANY, at(0))
    backend.append("s", batch(1, start=2), ANY, at(50))
    backend.set_metadata("s", StreamMetadata(max_age=60))

    assert [0, 1, 2] == data_of(backend.read_stream("s", 0, 10, False, at(59)))
    assert [2] == data_of(backend.read_stream("s", 0, 10, False, at(100)))
    page = backend.read_stream("s", 0, 10, False, at(200))
    assert ([], True) == (data_of(page), page.end_of_stream)
    assert 2 == backend.trim(at(100))
    assert [2] == data_of(backend.read_all(0, 10, False, None))


def test_metadata_round_trips_and_defaults(backend: Backend):
    assert StreamMetadata() == backend.get_metadata("s")
    meta = StreamMetadata(max_count=10, max_age=3600.0, custom={"owner": "billing"})

    backend.set_metadata("s", meta)

    assert meta == backend.get_metadata("s")
    # Metadata alone does not make a stream exist.
    with pytest.raises(StreamNotFound):
        backend.read_stream("s", 0, 10, False, T0)
    assert 0 == backend.append("s", batch(1), NO_STREAM, T0).next_expected_version


def test_truncate_before_hides_versions_below_it(backend: Backend):
    backend.append("s", batch(4), ANY, T0)

    backend.set_metadata("s", StreamMetadata(truncate_before=2))

    assert [2, 3] == data_of(backend.read_stream("s", 0, 10, False, T0))


def test_list_streams_with_counts_and_states(backend: Backend):
    backend.append("b", batch(2), ANY, T0)
    backend.append("a", batch(1), ANY, T0)
    backend.append("c", batch(1), ANY, T0)
    backend.delete_stream("c", ANY, True, T0)

    listing = backend.list_streams()

    assert [("a", "live", 0, 1, 2), ("b", "live", 1, 2, 1), ("c", "hard_deleted", 0, 0, -1)] == [
        (s.stream, s.state, s.last_version, s.count, s.last_position) for s in listing
    ]
    assert ["a"] == [s.stream for s in backend.list_streams("a")]


# Data ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"text": "\udc80 lone surrogate", "emoji": "\U0001f600", "nested": [1, 2.5, None, True]},
        "plain string",
        [1, "two", {"three": 3}],
        None,
        12345678901234567890,
    ],
)
def test_data_round_trips(backend: Backend, data: object):
    backend.append("s", [encode_event(EventData("T", data, metadata={"m": "\ud800"}))], ANY, T0)

    event = backend.read_event("s", 0, T0)

    assert (data, {"m": "\ud800"}) == (event.data, event.metadata)


def test_commit_callbacks_see_each_append_and_delete(backend: Backend):
    seen: list[tuple[tuple[str, ...], int]] = []
    remove = backend.on_commit(lambda streams, last: seen.append((streams, last)))

    backend.append("a", batch(2), ANY, T0)
    backend.delete_stream("a", ANY, False, T0)
    remove()
    backend.append("b", batch(1), ANY, T0)

    assert [(("a",), 1), (("a",), 1)] == seen


# Concurrency ---------------------------------------------------------------------------


def test_concurrent_appends_get_dense_versions_and_gap_free_positions(backend: Backend):
    threads, per = 8, 25

    def writer(i: int) -> None:
        for j in range(per):
            backend.append("shared" if j % 2 else f"own-{i}", batch(1, start=i * 1000 + j), ANY, T0)

    workers = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    everything = backend.read_all(0, 10_000, False, None).events
    assert list(range(threads * per)) == [e.position for e in everything]
    shared = backend.read_stream("shared", 0, 10_000, False, T0).events
    assert list(range(len(shared))) == [e.version for e in shared]


def test_concurrent_writers_with_the_same_expected_version_one_wins(backend: Backend):
    backend.append("s", batch(1), ANY, T0)
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def writer() -> None:
        start.wait()
        try:
            backend.append("s", batch(1), 0, T0)
            result = "ok"
        except WrongExpectedVersion:
            result = "conflict"
        with lock:
            outcomes.append(result)

    workers = [threading.Thread(target=writer) for _ in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    assert ["conflict"] * 5 + ["ok"] == sorted(outcomes)
    assert 1 == backend.read_stream("s", 0, 10, False, T0).last_version
