"""Errors raised by the pub/sub API (broadcasts report, they do not raise)."""

from __future__ import annotations

from typing import Any

from actors import ActorError

__all__ = ["BroadcastError", "NoInstance", "PubSubError"]


class PubSubError(ActorError):
    """Base of the pub/sub errors."""


class NoInstance(PubSubError):
    """No pub/sub instance of that name is running in the actor system."""

    def __init__(self, name: Any) -> None:
        self.name = name
        super().__init__(name)

    def __str__(self) -> str:
        return f"no pub/sub instance {self.name!r} is running"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name,))


class BroadcastError(PubSubError):
    """Raised by ``broadcast_or_raise`` when a broadcast did not fully succeed.

    Attributes:
        result: the :class:`~actors.Error` that ``broadcast`` would have returned.
    """

    def __init__(self, instance: Any, topic: str, result: Any) -> None:
        self.instance = instance
        self.topic = topic
        self.result = result
        super().__init__(instance, topic, result)

    def __str__(self) -> str:
        return f"broadcast on {self.instance!r} topic {self.topic!r} failed: {self.result!r}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.instance, self.topic, self.result))
