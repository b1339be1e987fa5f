"""Topics and topic patterns.

A topic is a non-empty string of non-empty segments separated by ``:``
(``"subscription_health:store:projection"``). Exact topics are dict keys.
Patterns extend Phoenix's exact matching the way ExESDB's consumers use them:

* ``*`` matches exactly one segment: ``"a:*:c"`` matches ``"a:b:c"``;
* a trailing ``*`` matches one or more segments: ``"subscription_health:*"``
  matches ``"subscription_health:s1"`` and ``"subscription_health:s1:p"``,
  but not ``"subscription_health"`` itself;
* a compiled regular expression (``pattern=re.compile(...)``) matches when
  it matches the *whole* topic (``fullmatch``), for EventBus-style listeners.

Patterns are indexed in a segment trie, so matching a topic costs a walk
over its segments, not a scan over every pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

__all__ = [
    "WILDCARD",
    "InvalidTopic",
    "PatternTrie",
    "is_pattern",
    "pattern_matches",
    "validate_pattern",
    "validate_subscription",
    "validate_topic",
]

WILDCARD: Final = "*"
SEPARATOR: Final = ":"


class InvalidTopic(ValueError):
    """A topic or pattern that cannot be subscribed to or broadcast on."""


def validate_topic(topic: Any) -> str:
    """Return ``topic`` if it is a usable exact topic, else raise InvalidTopic.

    An exact topic is a non-empty ``str`` of non-empty ``:``-separated
    segments without ``*`` (a ``*`` makes a pattern, which can be subscribed
    to but not broadcast on).
    """
    if not isinstance(topic, str):
        msg = f"a topic must be a str, got {type(topic).__name__} {topic!r}"
        raise InvalidTopic(msg)
    if not topic:
        msg = "a topic must not be empty"
        raise InvalidTopic(msg)
    if WILDCARD in topic:
        msg = (
            f"topic {topic!r} contains '*': that is a pattern, which can be "
            "subscribed to but not broadcast on"
        )
        raise InvalidTopic(msg)
    _check_segments(topic)
    return topic


def _check_segments(topic: str) -> None:
    if topic.startswith(SEPARATOR) or topic.endswith(SEPARATOR) or SEPARATOR * 2 in topic:
        msg = f"topic {topic!r} has an empty segment (a leading, trailing or doubled ':')"
        raise InvalidTopic(msg)


def is_pattern(topic: str) -> bool:
    """Whether a (validated) subscription topic is a ``*`` pattern."""
    return WILDCARD in topic


def validate_subscription(topic: Any) -> str:
    """Check a topic given to ``subscribe``: an exact topic, or a ``*``
    pattern (see :func:`validate_pattern`); raise InvalidTopic if neither."""
    if isinstance(topic, str) and WILDCARD in topic:
        pattern = validate_pattern(topic)
        assert isinstance(pattern, str)
        return pattern
    return validate_topic(topic)


def validate_pattern(pattern: Any) -> str | re.Pattern[str]:
    """Check a wildcard pattern or a compiled regex; raise InvalidTopic if malformed.

    In a wildcard pattern every segment is non-empty and ``*`` is a whole
    segment: ``"subscription_health*"`` and ``"a:**"`` are refused, with the
    advice to use a regex for partial matches.
    """
    if isinstance(pattern, re.Pattern):
        if not isinstance(pattern.pattern, str):
            msg = "a regex topic pattern must be compiled from a str, not bytes"
            raise InvalidTopic(msg)
        return pattern
    if not isinstance(pattern, str):
        msg = f"a topic pattern must be a str or a compiled regex, got {type(pattern).__name__}"
        raise InvalidTopic(msg)
    if not pattern:
        msg = "a topic must not be empty"
        raise InvalidTopic(msg)
    for segment in pattern.split(SEPARATOR):
        if not segment:
            msg = f"topic pattern {pattern!r} has an empty segment"
            raise InvalidTopic(msg)
        if WILDCARD in segment and segment != WILDCARD:
            msg = (
                f"topic pattern {pattern!r}: '*' must be a whole segment "
                f"(got {segment!r}); use pattern=re.compile(...) for partial matches"
            )
            raise InvalidTopic(msg)
    return pattern


def pattern_matches(pattern: str | re.Pattern[str], topic: str) -> bool:
    """Reference semantics of one pattern (used by tests and the regex path)."""
    if isinstance(pattern, re.Pattern):
        return pattern.fullmatch(topic) is not None
    want = pattern.split(SEPARATOR)
    have = topic.split(SEPARATOR)
    for i, segment in enumerate(want):
        last = i == len(want) - 1
        if segment == WILDCARD and last:
            return len(have) > i
        if i >= len(have):
            return False
        if segment != WILDCARD and segment != have[i]:
            return False
    return len(have) == len(want)


class _Node:
    __slots__ = ("children", "here", "tail", "wild")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.wild: _Node | None = None
        self.here: list[Any] = []  # values whose pattern ends exactly at this node
        self.tail: list[Any] = []  # values whose pattern ends with a trailing '*' here


class PatternTrie:
    """Wildcard patterns indexed by segment; values are opaque to the trie.

    Built once per subscription snapshot and then only read, so it needs no
    lock.
    """

    def __init__(self) -> None:
        self._root = _Node()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, pattern: str, value: Any) -> None:
        segments = pattern.split(SEPARATOR)
        node = self._root
        for i, segment in enumerate(segments):
            if segment == WILDCARD and i == len(segments) - 1:
                node.tail.append(value)
                self._size += 1
                return
            if segment == WILDCARD:
                if node.wild is None:
                    node.wild = _Node()
                node = node.wild
            else:
                child = node.children.get(segment)
                if child is None:
                    child = node.children[segment] = _Node()
                node = child
        node.here.append(value)
        self._size += 1

    def match(self, topic: str) -> Iterator[Any]:
        """Every value whose pattern matches ``topic`` (a value may repeat if
        several of its patterns match)."""
        segments = topic.split(SEPARATOR)
        stack: list[tuple[_Node, int]] = [(self._root, 0)]
        count = len(segments)
        while stack:
            node, depth = stack.pop()
            if depth < count and node.tail:
                yield from node.tail
            if depth == count:
                yield from node.here
                continue
            segment = segments[depth]
            child = node.children.get(segment)
            if child is not None:
                stack.append((child, depth + 1))
            if node.wild is not None:
                stack.append((node.wild, depth + 1))
