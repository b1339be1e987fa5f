"""Templates for selective receive in tests.

A template is matched against a message like an Elixir pattern:

* :data:`ANY` matches anything;
* a class matches instances of it (``ValueError`` matches a crash reason);
* a tuple matches a tuple of the same length, element by element;
* a callable that is not a class is a predicate;
* anything else matches by equality.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

__all__ = ["ANY", "matches"]


class _Any:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ANY"

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 0


ANY: Final = _Any()
"""Wildcard for templates."""


def matches(template: Any, message: Any) -> bool:
    """Whether ``message`` matches ``template`` (see the module docstring)."""
    if template is ANY:
        return True
    if isinstance(template, type):
        return isinstance(message, template)
    if isinstance(template, tuple):
        return (
            isinstance(message, tuple)
            and len(message) == len(template)
            and all(matches(t, m) for t, m in zip(template, message, strict=True))
        )
    if callable(template) and not hasattr(template, "__actor_process__"):
        predicate: Callable[[Any], Any] = template
        return bool(predicate(message))
    try:
        return bool(template == message)
    except Exception:
        return False
