"""Topic patterns, evaluated exactly as event_bus evaluates them.

A subscriber's patterns are combined into **one** regular expression,
``"|".join(f"^({p})" for p in patterns)``, compiled once when it subscribes,
and searched for in each topic name (event_bus's ``Regex.match?``, which
searches). So:

* a pattern is anchored at the start only: ``"purchase_"`` matches
  ``purchase_made``; a trailing ``$`` asks for the whole name
  (``"booking_confirmed$"``); ``".*"`` matches every topic;
* if the combined expression does not compile, the subscriber matches **no**
  topic, even when some of its patterns are valid on their own;
* a pattern can break out of its group (``"a)|(b"`` gives ``^(a)|(b)|...``,
  whose ``(b)`` is unanchored), exactly as in event_bus.

Python's :mod:`re` and Erlang's PCRE agree on everyday patterns. Where they
differ, :mod:`re` decides: a global inline flag such as ``(?i)`` is an error
in Python unless it starts the whole expression, so write ``(?i:...)``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

__all__ = ["Matcher", "check_patterns", "combined_regex"]


def check_patterns(patterns: Any) -> tuple[str, ...]:
    """``patterns`` as a tuple of str, in order.

    Raises:
        TypeError: not a list or tuple of str (a bare str is refused: it is
            almost always a missing pair of brackets).
        ValueError: an empty list (the combined expression would be ``""``,
            which matches every topic: write ``[".*"]`` for that).
    """
    if isinstance(patterns, str) or not isinstance(patterns, list | tuple):
        msg = (
            "topic patterns must be a list of str, got "
            f"{type(patterns).__name__} {patterns!r}; write [{patterns!r}] for one pattern"
            if isinstance(patterns, str)
            else f"topic patterns must be a list of str, got {type(patterns).__name__} {patterns!r}"
        )
        raise TypeError(msg)
    for index, pattern in enumerate(patterns):
        if type(pattern) is not str:
            msg = f"topic pattern {index} must be a str, got {type(pattern).__name__} {pattern!r}"
            raise TypeError(msg)
    if not patterns:
        msg = 'a subscriber needs at least one topic pattern; [".*"] matches every topic'
        raise ValueError(msg)
    return tuple(patterns)


def combined_regex(patterns: Sequence[str]) -> str:
    """The one expression a subscriber's patterns stand for."""
    return "|".join(f"^({p})" for p in patterns)


class Matcher:
    """A subscriber's compiled patterns.

    Attributes:
        patterns: the patterns as given.
        regex: the compiled combined expression, or ``None`` if it did not
            compile (then :meth:`matches` is always false).
        error: why it did not compile, or ``None``.
    """

    __slots__ = ("error", "patterns", "regex")

    def __init__(self, patterns: Sequence[str]) -> None:
        self.patterns = tuple(patterns)
        self.error: str | None = None
        try:
            self.regex: re.Pattern[str] | None = re.compile(combined_regex(self.patterns))
        except (re.error, RecursionError, OverflowError) as exc:
            self.regex = None
            self.error = str(exc)

    def matches(self, topic: str) -> bool:
        """Whether ``topic`` is one the patterns select."""
        return self.regex is not None and self.regex.search(topic) is not None

    def __repr__(self) -> str:
        state = f" (does not compile: {self.error})" if self.regex is None else ""
        return f"<Matcher {list(self.patterns)!r}{state}>"
