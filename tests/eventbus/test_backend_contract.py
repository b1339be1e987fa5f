"""The contract every EventBus backend keeps (run against each ``backend_factory`` param)."""

from __future__ import annotations

import pytest

from actors.eventbus import (
    Event,
    EventBusBackend,
    EventBusStoreError,
    Mark,
    NewEvent,
    PendingDelivery,
    StoredEvent,
    WatcherRecord,
)


def store(backend: EventBusBackend, *items: tuple[Event, tuple[str, ...]], at: float = 100.0):
    stored, marked = backend.write([NewEvent(e, subs, at) for e, subs in items], [])
    assert [] == marked
    return stored


def mark(backend: EventBusBackend, *marks: tuple[str, object, str, str]):
    stored, marked = backend.write([], [Mark(t, i, s, st) for t, i, s, st in marks])  # type: ignore[arg-type]
    assert [] == stored
    return marked


def test_topics_register_once_in_registration_order(backend: EventBusBackend) -> None:
    assert [True, True, False, True] == [
        backend.add_topic(t, 1.0) for t in ("b_topic", "a_topic", "b_topic", "c_topic")
    ]
    assert ["b_topic", "a_topic", "c_topic"] == backend.topics()


def test_a_stored_event_reads_back_equal(backend: EventBusBackend) -> None:
    backend.add_topic("t", 1.0)
    event = Event("e1", "t", {"a": [1, 2.5, None, "x"]}, "tx", "src", 1, 2, 3)

    assert ["stored"] == store(backend, (event, ("s1",)))
    assert event == backend.fetch("t", "e1")
    assert None is backend.fetch("t", "e2")
    assert None is backend.fetch("other", "e1")


def test_int_and_str_ids_are_different_ids(backend: EventBusBackend) -> None:
    backend.add_topic("t", 1.0)

    assert ["stored", "stored"] == store(
        backend, (Event(1, "t", "int"), ("s",)), (Event("1", "t", "str"), ("s",))
    )
    assert "int" == backend.fetch("t", 1).data  # type: ignore[union-attr]
    assert "str" == backend.fetch("t", "1").data  # type: ignore[union-attr]


def test_an_unprocessed_id_is_refused_and_the_stored_event_is_untouched(
    backend: EventBusBackend,
) -> None:
    backend.add_topic("t", 1.0)
    first = Event("e", "t", "first")
    store(backend, (first, ("a", "b")))
    mark(backend, ("t", "e", "a", "completed"))

    assert ["duplicate"] == store(backend, (Event("e", "t", "second"), ("c",)))
    assert first == backend.fetch("t", "e")
    assert [WatcherRecord("t", "e", ("a", "b"), ("a",), (), 100.0)] == backend.watchers("t")


def test_the_same_id_on_two_topics_is_two_events(backend: EventBusBackend) -> None:
    backend.add_topic("t", 1.0)
    backend.add_topic("u", 1.0)

    assert ["stored", "stored"] == store(
        backend, (Event("e", "t", 1), ("s",)), (Event("e", "u", 2), ("s",))
    )


def test_an_event_for_an_unregistered_topic_is_refused(backend: EventBusBackend) -> None:
    assert ["unknown_topic"] == store(backend, (Event("e", "nope", 1), ("s",)))
    assert [] == backend.stored()


def test_each_item_of_a_write_gets_its_own_outcome(backend: EventBusBackend) -> None:
    backend.add_topic("t", 1.0)
    stored, marked = backend.write(
        [
            NewEvent(Event("e1", "t", 1), ("s",), 1.0),
            NewEvent(Event("e1", "t", 2), ("s",), 1.0),
            NewEvent(Event("e2", "nope", 3), ("s",), 1.0),
            NewEvent(Event("e3", "t", 4), ("s", "z"), 1.0),
        ],
        [
            Mark("t", "e1", "s", "completed"),
            Mark("t", "e3", "s", "skipped"),
            Mark("t", "e3", "s", "completed"),
            Mark("t", "e3", "q", "completed"),
            Mark("t", "e9", "s", "completed"),
        ],
    )

    assert ["stored", "duplicate", "unknown_topic", "stored"] == stored
    assert ["finished", "applied", "duplicate", "not_subscriber", "unknown_event"] == marked


def test_the_last_mark_deletes_the_event_and_its_watcher(backend: EventBusBackend) -> None:
    backend.add_topic("t", 1.0)
    store(backend, (Event("e", "t", 1), ("a", "b", "c")))

    assert ["applied"] == mark(backend, ("t", "e", "b", "completed"))
    assert ["applied"] == mark(backend, ("t", "e", "a", "skipped"))
    assert [WatcherRecord("t", "e", ("a", "b", "c"), ("b",), ("a",), 100.0)] == backend.watchers(
        "t"
    )
    assert ["finished"] == mark(backend, ("t", "e", "c", "completed"))
    assert [] == backend.watchers("t")
    assert None is backend.fetch("t", "e")
    assert [] == backend.stored()
    assert [] == backend.pending()


def test_a_second_mark_by_one_subscriber_never_releases_the_event(
    backend: EventBusBackend,
) -> None:
    # event_bus compares only counts: completing twice released the event
    # before the other subscriber had seen it.
    backend.add_topic("t", 1.0)
    store(backend, (Event("e", "t", 1), ("a", "b")))

    assert ["applied", "duplicate", "duplicate"] == mark(
        backend,
        ("t", "e", "a", "completed"),
        ("t", "e", "a", "completed"),
        ("t", "e", "a", "skipped"),
    )
    assert Event("e", "t", 1) == backend.fetch("t", "e")


def test_a_mark_may_refer_to_an_event_of_the_same_write(backend: EventBusBackend) -> None:
    backend.add_topic("t", 1.0)

    assert (["stored"], ["finished"]) == backend.write(
        [NewEvent(Event("e", "t", 1), ("a",), 1.0)], [Mark("t", "e", "a", "completed")]
    )


def test_unregistering_a_topic_drops_its_events_and_watchers_only(
    backend: EventBusBackend,
) -> None:
    backend.add_topic("t", 1.0)
    backend.add_topic("u", 1.0)
    store(backend, (Event("e1", "t", 1), ("a",)), (Event("e2", "t", 1), ("a",)))
    store(backend, (Event("e1", "u", 1), ("a",)))

    assert 2 == backend.remove_topic("t")
    assert 0 == backend.remove_topic("t")
    assert ["u"] == backend.topics()
    assert [StoredEvent("u", "e1", 100.0)] == backend.stored()
    assert [PendingDelivery("u", "e1", "a", 100.0)] == backend.pending()
    assert ["unknown_event"] == mark(backend, ("t", "e1", "a", "completed"))
    # Registering it again starts empty.
    backend.add_topic("t", 2.0)
    assert [] == backend.watchers("t")


def test_pending_lists_undone_deliveries_oldest_event_first_in_subscriber_order(
    backend: EventBusBackend,
) -> None:
    backend.add_topic("t", 1.0)
    store(backend, (Event("e1", "t", 1), ("b", "a")), at=1.0)
    store(backend, (Event("e2", "t", 1), ("a", "c")), at=2.0)
    mark(backend, ("t", "e1", "b", "completed"))

    assert [
        PendingDelivery("t", "e1", "a", 1.0),
        PendingDelivery("t", "e2", "a", 2.0),
        PendingDelivery("t", "e2", "c", 2.0),
    ] == backend.pending()
    assert [StoredEvent("t", "e1", 1.0), StoredEvent("t", "e2", 2.0)] == backend.stored()


def test_many_subscribers_and_many_events_in_one_write(backend: EventBusBackend) -> None:
    backend.add_topic("t", 1.0)
    subscribers = tuple(f"s{i}" for i in range(700))
    items = [NewEvent(Event(i, "t", i), subscribers, 1.0) for i in range(20)]

    stored, _ = backend.write(items, [])
    marks = [Mark("t", i, s, "completed") for i in range(20) for s in subscribers]
    _, marked = backend.write([], marks)

    assert ["stored"] * 20 == stored
    assert 20 == marked.count("finished")
    assert 20 * 699 == marked.count("applied")
    assert [] == backend.stored()


def test_a_failed_write_leaves_nothing_behind(backend: EventBusBackend) -> None:
    backend.add_topic("t", 1.0)
    store(backend, (Event("e0", "t", 1), ("a",)))

    with pytest.raises(ValueError, match="at least one subscriber"):
        backend.write(
            [NewEvent(Event("e1", "t", 1), ("a",), 1.0), NewEvent(Event("e2", "t", 1), (), 1.0)],
            [Mark("t", "e0", "a", "completed")],
        )

    assert [StoredEvent("t", "e0", 100.0)] == backend.stored()
    assert None is backend.fetch("t", "e1")


def test_a_closed_backend_says_so(backend: EventBusBackend) -> None:
    backend.close()
    backend.close()

    with pytest.raises(EventBusStoreError, match="is closed"):
        backend.topics()
