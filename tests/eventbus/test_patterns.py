"""Topic patterns: event_bus's combined-regex rule, exactly."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.eventbus import combined_regex
from actors.eventbus._patterns import Matcher, check_patterns

TOPICS = [
    "purchase_made",
    "purchase_",
    "booking_confirmed",
    "booking_confirmed_twice",
    "flight_passed",
    "metrics_received",
    "metrics_summed",
    "hello_received",
]


def matching(patterns: list[str]) -> list[str]:
    matcher = Matcher(patterns)
    return [t for t in TOPICS if matcher.matches(t)]


def test_the_readme_patterns_select_by_prefix_and_by_exact_name() -> None:
    assert ["purchase_made", "purchase_", "booking_confirmed", "flight_passed"] == matching(
        ["purchase_", "booking_confirmed$", "flight_passed$"]
    )


def test_dot_star_matches_every_topic() -> None:
    assert TOPICS == matching([".*"])


def test_patterns_are_anchored_at_the_start_only() -> None:
    assert ["metrics_received", "metrics_summed"] == matching(["metrics"])
    assert [] == matching(["received"])
    assert ["metrics_received", "hello_received"] == matching([".*received"])


def test_a_trailing_dollar_asks_for_the_whole_name() -> None:
    # event_bus's utils/regex_test: "metrics_sum$" does not match metrics_summed.
    assert [] == matching(["metrics_sum$"])
    assert ["metrics_summed"] == matching(["metrics_summed$"])


def test_the_combined_expression_is_one_string_of_anchored_groups() -> None:
    assert "^(purchase_)|^(booking_confirmed$)|^(.*)" == combined_regex(
        ["purchase_", "booking_confirmed$", ".*"]
    )


def test_if_the_combined_expression_does_not_compile_nothing_matches() -> None:
    matcher = Matcher(["purchase_", "broken(", ".*"])

    assert None is matcher.regex
    assert matcher.error is not None
    assert [] == [t for t in TOPICS if matcher.matches(t)]


def test_patterns_that_fail_alone_can_compile_together_as_in_event_bus() -> None:
    # "a)|(b" on its own is unbalanced; joined it is ^(a)|(b): the second
    # alternative is unanchored, and searching finds it anywhere.
    matcher = Matcher(["a)|(b"])

    assert matcher.regex is not None
    assert "^(a)|(b)" == matcher.regex.pattern
    assert matcher.matches("xb")
    assert matcher.matches("apple")
    assert not matcher.matches("xyz")


def test_a_global_inline_flag_after_the_start_does_not_compile_in_python() -> None:
    assert None is Matcher(["(?i)purchase"]).regex
    assert Matcher(["(?i:purchase)"]).matches("PURCHASE_made")


@pytest.mark.parametrize(
    ("patterns", "error", "text"),
    [
        ("purchase_", TypeError, "write \\['purchase_'\\] for one pattern"),
        (None, TypeError, "must be a list of str, got NoneType"),
        ([1], TypeError, "topic pattern 0 must be a str, got int"),
        ([".*", b"x"], TypeError, "topic pattern 1 must be a str, got bytes"),
        ([], ValueError, "at least one topic pattern"),
    ],
)
def test_bad_patterns_are_refused_with_the_reason(patterns, error, text) -> None:
    with pytest.raises(error, match=text):
        check_patterns(patterns)


simple = st.text(alphabet="abc_", min_size=1, max_size=4)


@given(
    patterns=st.lists(simple, min_size=1, max_size=4),
    topic=st.text(alphabet="abc_", max_size=8),
)
def test_plain_patterns_match_exactly_when_one_of_them_is_a_prefix(patterns, topic) -> None:
    assert any(topic.startswith(p) for p in patterns) == Matcher(patterns).matches(topic)


@given(
    patterns=st.lists(st.sampled_from(["a", "b$", ".*c", "(", "a|b", "[ab]+$", ")"]), min_size=1),
    topic=st.text(alphabet="abc", max_size=6),
)
def test_matching_is_one_search_of_the_combined_expression(patterns, topic) -> None:
    source = "|".join(f"^({p})" for p in patterns)
    try:
        expected = re.search(source, topic) is not None
    except re.error:
        expected = False

    assert expected == Matcher(patterns).matches(topic)
