"""Topic patterns: the trie agrees with an independent statement of the rules.

``*`` matches one ``:``-separated segment, and as the last segment one or
more; see docs/pubsub.md.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import actors
from actors import Ok
from actors.pubsub import PubSubManager, pattern_matches
from actors.pubsub._topics import PatternTrie
from actors.testing import Probe

segments = st.sampled_from(["a", "b", "c", "store", "x1"])
topics = st.lists(segments, min_size=1, max_size=5).map(":".join)
patterns = st.lists(st.one_of(segments, st.just("*")), min_size=1, max_size=5).map(":".join)


def _reference(pattern: str, topic: str) -> bool:
    """The pattern rules restated as a regular expression."""
    parts = pattern.split(":")
    regex = ""
    for i, part in enumerate(parts):
        sep = ":" if i else ""
        if part == "*" and i == len(parts) - 1:
            regex += sep + r"[^:]+(?::[^:]+)*"
        elif part == "*":
            regex += sep + r"[^:]+"
        else:
            regex += sep + re.escape(part)
    return re.fullmatch(regex, topic) is not None


@settings(max_examples=500)
@given(pattern=patterns, topic=topics)
def test_pattern_semantics_match_the_reference(pattern: str, topic: str) -> None:
    assert _reference(pattern, topic) == pattern_matches(pattern, topic)


@settings(max_examples=300)
@given(chosen=st.lists(patterns, min_size=1, max_size=12), topic=topics)
def test_the_trie_finds_exactly_the_matching_patterns(chosen: list[str], topic: str) -> None:
    trie = PatternTrie()
    for index, pattern in enumerate(chosen):
        trie.add(pattern, index)

    found = sorted(trie.match(topic))

    assert sorted(i for i, p in enumerate(chosen) if _reference(p, topic)) == found


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("subscription_health:*", "subscription_health:store:projection", True),
        ("subscription_health:*", "subscription_health:s1", True),
        ("subscription_health:*", "subscription_health", False),
        ("a:*:c", "a:b:c", True),
        ("a:*:c", "a:b:x:c", False),
        ("*", "anything:at:all", True),
    ],
)
def test_patterns_as_exesdb_documents_use_them(pattern: str, topic: str, expected: bool) -> None:
    assert expected == pattern_matches(pattern, topic)


def test_a_pattern_subscriber_gets_a_message_once_even_if_several_patterns_match(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    bus = PubSubManager.of(actor_system).ensure("patterns")
    bus.subscribe("health:*", probe)
    bus.subscribe("health:*:db", probe)
    bus.subscribe(pattern=re.compile(r"health:.*"), subscriber=probe)

    assert Ok(delivered=1) == bus.broadcast("health:node1:db", "once")
    assert ["once"] == probe.flush()


def test_regex_patterns_must_match_the_whole_topic(
    actor_system: actors.ActorSystem, probe: Probe
) -> None:
    bus = PubSubManager.of(actor_system).ensure("regexes")
    bus.subscribe(pattern=re.compile(r"order_\d+"), subscriber=probe)

    assert Ok(delivered=1) == bus.broadcast("order_42", "yes")
    assert Ok(delivered=0) == bus.broadcast("order_42_extra", "no")
    assert ["yes"] == probe.flush()


def test_exact_and_pattern_subscriptions_coexist(actor_system: actors.ActorSystem) -> None:
    bus = PubSubManager.of(actor_system).ensure("mixed")
    exact, wild = Probe(actor_system), Probe(actor_system)
    bus.subscribe("a:b", exact)
    bus.subscribe("a:*", wild)

    assert Ok(delivered=2) == bus.broadcast("a:b", 1)
    assert Ok(delivered=1) == bus.broadcast("a:c", 2)
    assert ([1], [1, 2]) == (exact.flush(), wild.flush())
    bus.unsubscribe("a:*", wild)
    assert Ok(delivered=0) == bus.broadcast("a:c", 3)
