"""Backend contract: persistent subscription group state."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from actors.eventstore import (
    ALL,
    ANY,
    Backend,
    GroupExists,
    GroupNotFound,
    MaxSubscribersReached,
    PersistentSettings,
)
from tests.eventstore.conftest import T0, at, batch


def settings(**kw: object) -> PersistentSettings:
    return PersistentSettings(**kw)  # type: ignore[arg-type]


def keys(deliveries: object) -> list[int]:
    return [d.key for d in deliveries]  # type: ignore[attr-defined]


def test_create_get_update_list_delete(backend: Backend):
    created = backend.create_group("people", "g", settings(max_retry_count=3), T0)

    assert ("people", "g", 0, -1, 3) == (
        created.stream,
        created.group,
        created.cursor,
        created.checkpoint,
        created.settings.max_retry_count,
    )
    with pytest.raises(GroupExists, match="'g'"):
        backend.create_group("people", "g", settings(), T0)
    updated = backend.update_group("people", "g", settings(max_retry_count=5))
    assert 5 == updated.settings.max_retry_count
    backend.create_group(ALL, "audit", settings(), T0)
    assert [(ALL, "audit"), ("people", "g")] == [(g.stream, g.group) for g in backend.list_groups()]
    backend.delete_group("people", "g")
    for call in (
        lambda: backend.get_group("people", "g"),
        lambda: backend.claim("people", "g", "o", 1, T0),
        lambda: backend.update_group("people", "g", settings()),
        lambda: backend.delete_group("people", "g"),
    ):
        with pytest.raises(GroupNotFound, match="'people'"):
            call()


@pytest.mark.parametrize(("start_from", "first"), [(0, 0), (-1, 3), (2, 2)])
def test_start_from(backend: Backend, start_from: int, first: int):
    backend.append("s", batch(3), ANY, T0)
    backend.create_group("s", "g", settings(start_from=start_from), T0)
    backend.append("s", batch(2, start=3), ANY, T0)

    claimed = backend.claim("s", "g", "o", 10, T0)

    assert list(range(first, 5)) == keys(claimed)
    assert [d.event.data["n"] for d in claimed] == keys(claimed)


def test_claims_take_new_events_in_order_up_to_the_limit(backend: Backend):
    backend.append("s", batch(5), ANY, T0)
    backend.create_group("s", "g", settings(), T0)

    first = backend.claim("s", "g", "o", 2, T0)
    second = backend.claim("s", "g", "o", 2, T0)
    state = backend.get_group("s", "g")

    assert ([0, 1], [2, 3]) == (keys(first), keys(second))
    assert (4, 4, 0, 4) == (state.cursor, state.in_flight, state.waiting, state.last_key)
    assert [0, 0] == [d.retry_count for d in first]


def test_all_groups_count_in_positions(backend: Backend):
    backend.append("a", batch(2), ANY, T0)
    backend.append("b", batch(2), ANY, T0)
    backend.create_group(ALL, "g", settings(start_from=1), T0)

    claimed = backend.claim(ALL, "g", "o", 10, T0)

    assert [1, 2, 3] == keys(claimed)
    assert ["a", "b", "b"] == [d.event.stream for d in claimed]


def test_ack_settles_and_unknown_keys_are_ignored(backend: Backend):
    backend.append("s", batch(3), ANY, T0)
    backend.create_group("s", "g", settings(), T0)
    backend.claim("s", "g", "o", 3, T0)

    assert 2 == backend.ack("s", "g", [0, 2, 99])
    assert 0 == backend.ack("s", "g", [0])
    assert 1 == backend.get_group("s", "g").in_flight


def test_retry_increments_until_max_then_parks(backend: Backend):
    backend.append("s", batch(1), ANY, T0)
    backend.create_group("s", "g", settings(max_retry_count=2), T0)
    deliveries = []
    for _ in range(3):
        claimed = backend.claim("s", "g", "o", 1, T0)
        deliveries.append(claimed[0].retry_count)
        outcome = backend.retry("s", "g", [0], T0, "nack")

    assert [0, 1, 2] == deliveries
    assert ((), (0,)) == (outcome.retried, outcome.parked)
    parked = backend.parked("s", "g")
    assert [(0, "nack", 2)] == [(p.key, p.reason, p.retry_count) for p in parked]
    assert 0 == parked[0].event.data["n"]  # type: ignore[union-attr]
    assert [] == backend.claim("s", "g", "o", 1, T0)
    state = backend.get_group("s", "g")
    assert (0, 0, 1) == (state.in_flight, state.waiting, state.parked)


def test_retried_messages_go_out_before_new_events(backend: Backend):
    backend.append("s", batch(4), ANY, T0)
    backend.create_group("s", "g", settings(), T0)
    backend.claim("s", "g", "o", 2, T0)

    backend.retry("s", "g", [1], T0, "nack")

    assert [(1, 1), (2, 0)] == [(d.key, d.retry_count) for d in backend.claim("s", "g", "o", 2, T0)]


def test_expire_retries_messages_past_their_deadline(backend: Backend):
    backend.append("s", batch(3), ANY, T0)
    backend.create_group("s", "g", settings(message_timeout=10), T0)
    backend.claim("s", "g", "o", 1, at(0))
    backend.claim("s", "g", "o", 1, at(5))

    assert () == backend.expire("s", "g", at(9.9)).retried
    assert (0,) == backend.expire("s", "g", at(10)).retried
    assert (1,) == backend.expire("s", "g", at(15)).retried
    assert [(0, 1), (1, 1)] == [
        (d.key, d.retry_count) for d in backend.claim("s", "g", "o", 2, at(15))
    ]


def test_expire_parks_what_reached_the_retry_limit(backend: Backend):
    backend.append("s", batch(1), ANY, T0)
    backend.create_group("s", "g", settings(message_timeout=1, max_retry_count=1), T0)
    backend.claim("s", "g", "o", 1, at(0))
    assert (0,) == backend.expire("s", "g", at(1)).retried
    backend.claim("s", "g", "o", 1, at(1))

    outcome = backend.expire("s", "g", at(2))

    assert ((), (0,)) == (outcome.retried, outcome.parked)
    assert ["message timeout"] == [p.reason for p in backend.parked("s", "g")]


def test_park_and_replay_parked_ahead_of_new_events(backend: Backend):
    backend.append("s", batch(4), ANY, T0)
    backend.create_group("s", "g", settings(), T0)
    backend.claim("s", "g", "o", 3, T0)

    assert 2 == backend.park("s", "g", [0, 2], "poison", T0)
    assert [0, 2] == [p.key for p in backend.parked("s", "g")]
    assert 1 == backend.replay_parked("s", "g", limit=1)
    assert [2] == [p.key for p in backend.parked("s", "g")]
    assert 1 == backend.replay_parked("s", "g")

    claimed = backend.claim("s", "g", "o", 3, T0)
    assert ([0, 2, 3], [0, 0, 0]) == (keys(claimed), [d.retry_count for d in claimed])
    assert [] == backend.parked("s", "g")


def test_release_hands_back_an_owners_claims_without_counting_a_retry(backend: Backend):
    backend.append("s", batch(3), ANY, T0)
    backend.create_group("s", "g", settings(), T0)
    backend.claim("s", "g", "a", 2, T0)
    backend.claim("s", "g", "b", 1, T0)

    assert 2 == backend.release("s", "g", "a")

    assert [(0, 0), (1, 0)] == [(d.key, d.retry_count) for d in backend.claim("s", "g", "c", 5, T0)]


def test_checkpoint_is_just_before_the_lowest_unsettled_message(backend: Backend):
    backend.append("s", batch(5), ANY, T0)
    backend.create_group("s", "g", settings(), T0)
    backend.claim("s", "g", "o", 5, T0)
    backend.ack("s", "g", [0, 2, 3, 4])

    assert 0 == backend.checkpoint("s", "g")  # 1 is stuck: it holds the checkpoint back
    backend.ack("s", "g", [1])
    assert 4 == backend.checkpoint("s", "g")
    state = backend.get_group("s", "g")
    assert (4, 0) == (state.checkpoint, state.lag)
    backend.append("s", batch(2), ANY, T0)
    assert 2 == backend.get_group("s", "g").lag


def test_parked_messages_do_not_hold_the_checkpoint(backend: Backend):
    backend.append("s", batch(3), ANY, T0)
    backend.create_group("s", "g", settings(), T0)
    backend.claim("s", "g", "o", 3, T0)
    backend.park("s", "g", [0], "poison", T0)
    backend.ack("s", "g", [1, 2])

    assert 2 == backend.checkpoint("s", "g")


def test_claims_drop_messages_whose_event_was_deleted(backend: Backend):
    backend.append("s", batch(3), ANY, T0)
    backend.create_group("s", "g", settings(), T0)
    backend.claim("s", "g", "o", 2, T0)
    backend.retry("s", "g", [0, 1], T0, "nack")
    backend.delete_stream("s", ANY, False, T0)
    backend.append("s", batch(1, start=10), ANY, T0)

    claimed = backend.claim("s", "g", "o", 5, T0)

    assert [3] == keys(claimed)
    assert 10 == claimed[0].event.data["n"]


def test_a_group_on_a_hard_deleted_stream_claims_nothing(backend: Backend):
    backend.append("s", batch(2), ANY, T0)
    backend.create_group("s", "g", settings(), T0)
    backend.delete_stream("s", ANY, True, T0)

    assert [] == backend.claim("s", "g", "o", 5, T0)


def test_consumer_registrations_respect_max_subscriber_count(backend: Backend):
    backend.create_group("s", "g", settings(max_subscriber_count=2), T0)

    assert 1 == backend.register_consumer("s", "g", "a", T0)
    assert 2 == backend.register_consumer("s", "g", "b", T0)
    assert 2 == backend.register_consumer("s", "g", "a", T0)  # again: the same one
    with pytest.raises(MaxSubscribersReached) as caught:
        backend.register_consumer("s", "g", "c", T0)
    assert 2 == caught.value.limit
    backend.unregister_consumer("s", "g", "a")
    assert 2 == backend.register_consumer("s", "g", "c", T0)
    assert 2 == backend.get_group("s", "g").consumers


def test_concurrent_claims_never_hand_out_a_message_twice(backend: Backend):
    backend.append("s", batch(200), ANY, T0)
    backend.create_group("s", "g", settings(), T0)
    got: list[list[int]] = [[] for _ in range(4)]

    def claimer(i: int) -> Callable[[], None]:
        def run() -> None:
            while True:
                claimed = backend.claim("s", "g", f"o{i}", 7, T0)
                if not claimed:
                    return
                got[i].extend(keys(claimed))
                backend.ack("s", "g", keys(claimed))

        return run

    workers = [threading.Thread(target=claimer(i)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    assert list(range(200)) == sorted(k for part in got for k in part)
