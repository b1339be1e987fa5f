"""Topic helpers, mirroring the tests of the original's ExESDBGater.Topics."""

from __future__ import annotations

from typing import Any

import pytest

from actors import Error
from actors.messages import topics


@pytest.mark.parametrize(
    ("builder", "expected"),
    [
        (topics.store_health, "vehicle_store:health"),
        (topics.store_lifecycle, "vehicle_store:lifecycle"),
        (topics.store_streams, "vehicle_store:streams"),
        (topics.store_replicas, "vehicle_store:replicas"),
        (topics.store_events, "vehicle_store:events"),
        (topics.store_alerts, "vehicle_store:alerts"),
        (topics.store_performance, "vehicle_store:performance"),
        (topics.store_subscriptions, "vehicle_store:subscriptions"),
    ],
)
def test_store_topics_are_the_store_id_a_colon_and_the_sub_topic(
    builder: Any, expected: str
) -> None:
    assert expected == builder("vehicle_store")


@pytest.mark.parametrize(
    ("builder", "expected"),
    [
        (topics.cluster_health, "cluster:health"),
        (topics.cluster_topology, "cluster:topology"),
        (topics.cluster_leader, "cluster:leader"),
        (topics.cluster_discovery, "cluster:discovery"),
        (topics.cluster_alerts, "cluster:alerts"),
        (topics.cluster_performance, "cluster:performance"),
    ],
)
def test_cluster_topics_start_with_cluster(builder: Any, expected: str) -> None:
    assert expected == builder()


def test_custom_topics_can_be_built_for_stores_and_the_cluster() -> None:
    assert "reckon_store:custom" == topics.store_topic("reckon_store", "custom")
    assert "cluster:custom" == topics.cluster_topic("custom")


def test_the_full_lists_cover_every_sub_topic_in_order() -> None:
    assert (
        "health",
        "lifecycle",
        "streams",
        "replicas",
        "events",
        "alerts",
        "performance",
        "subscriptions",
    ) == topics.store_sub_topics()
    assert (
        "health",
        "topology",
        "leader",
        "discovery",
        "alerts",
        "performance",
    ) == topics.cluster_sub_topics()
    assert ["s:" + sub for sub in topics.STORE_SUB_TOPICS] == topics.all_store_topics("s")
    assert ["cluster:" + sub for sub in topics.CLUSTER_SUB_TOPICS] == topics.all_cluster_topics()


@pytest.mark.parametrize(
    ("topic", "valid"),
    [
        ("store:health", True),
        ("cluster:leader", True),
        ("too:many:colons", True),
        ("", False),
        ("invalid", False),
        (None, False),
        (b"a:b", False),
    ],
)
def test_a_valid_topic_has_a_colon(topic: Any, valid: bool) -> None:
    assert valid == topics.valid_topic(topic)


@pytest.mark.parametrize(
    ("topic", "parsed"),
    [
        ("cluster:health", ("cluster", None, "health")),
        ("vehicle_store:health", ("store", "vehicle_store", "health")),
        ("a:b:c", ("store", "a", "b:c")),
        ("", Error("invalid_format")),
        ("invalid", Error("invalid_format")),
        (42, Error("invalid_format")),
    ],
)
def test_parsing_splits_at_the_first_colon(topic: Any, parsed: Any) -> None:
    assert parsed == topics.parse_topic(topic)


@pytest.mark.parametrize(
    ("store_id", "valid"),
    [
        ("vehicle_store", True),
        ("", False),
        (None, False),
        (123, False),
        ("a:b", False),
    ],
)
def test_a_store_id_is_a_non_empty_string_without_colons(store_id: Any, valid: bool) -> None:
    assert valid == topics.valid_store_id(store_id)


def test_building_a_topic_from_a_bad_store_id_fails_loudly() -> None:
    with pytest.raises(TypeError, match="store id must be a str, got NoneType"):
        topics.store_health(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty and contain no ':'"):
        topics.store_health("")
    with pytest.raises(ValueError, match="got 'a:b'"):
        topics.store_topic("a:b", "health")
    with pytest.raises(TypeError, match="sub-topic must be a str"):
        topics.cluster_topic(1)  # type: ignore[arg-type]
