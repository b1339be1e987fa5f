"""EventSource: events built around the code that makes their data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

import actors
from actors import eventbus
from actors.eventbus import Event, EventBus, EventSource, UnknownTopic
from actors.testing import Probe

START_US = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000


def test_build_fills_the_times_around_the_code_and_keeps_the_given_params(
    manual_system, clock: actors.ManualClock
) -> None:
    params = {
        "id": "some unique id",
        "topic": "user_created",
        "transaction_id": "tx",
        "ttl": 600_000,
        "source": "my event creator",
    }

    def create_user() -> dict[str, str]:
        clock.advance(0.001)  # the work takes a millisecond
        return {"email": "jd@example.com", "name": "John Doe"}

    event = EventSource.build(params, create_user, system=manual_system)

    assert (
        Event(
            "some unique id",
            "user_created",
            {"email": "jd@example.com", "name": "John Doe"},
            transaction_id="tx",
            source="my event creator",
            initialized_at=START_US,
            occurred_at=START_US + 1000,
            ttl=600_000,
        )
        == event
    )
    assert 1000 == event.duration


def test_without_params_the_config_and_the_defaults_fill_the_event(actor_system_factory) -> None:
    ids = iter(["Ewk7fL6Erv0vsW6S"])
    system = actor_system_factory(
        clock=actors.ManualClock(),
        config={"eventbus": {"ttl": 30_000_000, "id_generator": lambda: next(ids)}},
    )

    event = EventSource.build({"topic": "user_created"}, lambda: {"name": "Jane"}, system=system)

    assert "Ewk7fL6Erv0vsW6S" == event.id
    assert "Ewk7fL6Erv0vsW6S" == event.transaction_id  # the id, when not given
    assert 30_000_000 == event.ttl
    assert __name__ == event.source  # the module the code comes from
    assert (START_US, START_US) == (event.initialized_at, event.occurred_at)


def test_the_default_ids_are_base62_and_unique(manual_system) -> None:
    made = {
        EventSource.build({"topic": "t"}, lambda: 1, system=manual_system).id for _ in range(200)
    }

    assert 200 == len(made)
    assert {16} == {len(str(i)) for i in made}


def test_the_configured_source_wins_over_the_module(actor_system_factory) -> None:
    system = actor_system_factory(config={"eventbus": {"source": "billing"}})

    assert "billing" == EventSource.build({"topic": "t"}, lambda: 1, system=system).source
    assert "x" == EventSource.build({"topic": "t", "source": "x"}, lambda: 1, system=system).source


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("second", START_US // 1_000_000 + 1),
        ("millisecond", START_US // 1000 + 1500),
        ("microsecond", START_US + 1_500_000),
        ("nanosecond", (START_US + 1_500_000) * 1000),
    ],
)
def test_times_are_in_the_configured_unit(actor_system_factory, unit, expected) -> None:
    clock = actors.ManualClock()
    clock.advance(1.5)
    system = actor_system_factory(clock=clock, config={"eventbus": {"time_unit": unit}})

    assert expected == EventSource.build({"topic": "t"}, lambda: 1, system=system).occurred_at


def test_an_error_result_goes_to_the_error_topic_with_the_error_as_data(manual_system) -> None:
    params = {"id": "some unique id", "topic": "user_created", "error_topic": "user_create_erred"}

    event = EventSource.build(
        params, lambda: ("error", {"email": "Invalid format"}), system=manual_system
    )

    assert "user_create_erred" == event.topic
    assert ["error", {"email": "Invalid format"}] == event.data
    # Without an error topic, the error stays on the topic.
    plain = EventSource.build({"topic": "user_created"}, lambda: ("error", 1), system=manual_system)
    assert ("user_created", ["error", 1]) == (plain.topic, plain.data)
    # Only a 2-tuple starting with "error" is an error.
    other = EventSource.build(params, lambda: ("error", 1, 2), system=manual_system)
    assert "user_created" == other.topic


def test_notify_stores_and_delivers_and_returns_the_data(actor_system, tmp_path: Path) -> None:
    EventBus.start(tmp_path / "bus.db", topics=["user_created", "user_create_erred"])
    with Probe() as probe:
        eventbus.subscribe((probe, ["user_"]))
        params = {"id": "u1", "topic": "user_created", "error_topic": "user_create_erred"}

        result = EventSource.notify(params, lambda: {"email": "jane@example.com"})
        error = EventSource.notify({**params, "id": "u2"}, lambda: ("error", "taken"))

        assert {"email": "jane@example.com"} == result
        assert ("error", "taken") == error
        assert ("event", "user_created", "u1") == probe.receive()
        assert ("event", "user_create_erred", "u2") == probe.receive()
        assert ["error", "taken"] == eventbus.fetch_event_data(("user_create_erred", "u2"))


def test_notify_to_an_unregistered_topic_fails_before_the_code_runs(
    actor_system, tmp_path: Path
) -> None:
    EventBus.start(tmp_path / "bus.db", topics=["user_created"])
    ran: list[int] = []

    for params in (
        {"topic": "nope"},
        {"topic": "user_created", "error_topic": "nope_erred"},
    ):
        with pytest.raises(UnknownTopic):
            EventSource.notify(params, lambda: ran.append(1))

    assert [] == ran


def test_the_context_manager_forms(actor_system, tmp_path: Path) -> None:
    EventBus.start(tmp_path / "bus.db", topics=["t", "t_erred"])
    with Probe() as probe:
        eventbus.subscribe((probe, ["t"]))

        with EventSource.build({"topic": "t", "id": 1}) as built:
            built.data = {"a": 1}
        with EventSource.notify({"topic": "t", "id": 2}) as sent:
            sent.data = {"b": 2}
        with EventSource.notify({"topic": "t", "id": 3, "error_topic": "t_erred"}) as failed:
            failed.error("no stock")

        assert Event(1, "t", {"a": 1}) == attrs_without_times(built.result)
        assert {"b": 2} == sent.result
        assert ("event", "t", 2) == probe.receive()
        assert ("event", "t_erred", 3) == probe.receive()
        probe.refute()  # building notifies nothing


def attrs_without_times(event: Event) -> Event:
    return Event(event.id, event.topic, event.data)


def test_an_exception_in_the_block_builds_nothing(actor_system, tmp_path: Path) -> None:
    EventBus.start(tmp_path / "bus.db", topics=["t"])
    with Probe() as probe:
        eventbus.subscribe((probe, ["t"]))

        with pytest.raises(ZeroDivisionError), EventSource.notify({"topic": "t"}) as block:
            block.data = 1 / 0
        with pytest.raises(ValueError, match=r"set \.data"), EventSource.notify({"topic": "t"}):
            pass

        probe.refute()
        assert None is block.event


@pytest.mark.parametrize(
    ("params", "error", "text"),
    [
        (["topic", "t"], TypeError, "params must be a mapping, got list"),
        ({"id": 1}, ValueError, "must name a 'topic'"),
        ({"topic": "t", "ttl_ms": 5}, ValueError, "unknown params 'ttl_ms'"),
        ({"topic": 5}, TypeError, r"params\['topic'\] must be a str"),
        ({"topic": "t", "error_topic": ""}, ValueError, "must not be empty"),
        ({"topic": "t", "id": 1.5}, TypeError, "Event.id must be a str or an int"),
        ({"topic": "t", "ttl": "600"}, TypeError, "Event.ttl must be an int"),
    ],
)
def test_bad_params_are_refused(manual_system, params, error, text) -> None:
    with pytest.raises(error, match=text):
        EventSource.build(params, lambda: 1, system=manual_system)


def test_a_bad_id_generator_and_unserialisable_data_are_refused(actor_system_factory) -> None:
    system = actor_system_factory(config={"eventbus": {"id_generator": lambda: None}})

    with pytest.raises(TypeError, match=r"id_generator .* returned must be a str or an int"):
        EventSource.build({"topic": "t"}, lambda: 1, system=system)
    with pytest.raises(TypeError, match=r"holds a set .* @ \$\.data"):
        EventSource.build({"topic": "t", "id": 1}, lambda: {1, 2}, system=system)
    with pytest.raises(TypeError, match="fn must be callable"):
        EventSource.build({"topic": "t"}, 5, system=system)  # type: ignore[call-overload]
