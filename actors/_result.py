"""``Ok`` / ``Error`` result values, for operations that must not raise.

Broadcasts (which never raise into the publisher), message validators and
signature checks report outcomes as values: ``Ok(delivered=3)``,
``Error("no_instance")``. Both work with ``match``::

    match pubsub.broadcast("ex_esdb_health", "cluster:health", message):
        case Ok(delivered=n):
            ...
        case Error(reason="no_instance"):
            ...

``Ok`` is truthy and ``Error`` is falsy, so ``if result:`` reads naturally.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["Error", "Ok"]


class _Result:
    __slots__ = ("details",)

    details: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return object.__getattribute__(self, "details")[name]
        except KeyError:
            msg = f"{type(self).__name__} has no detail {name!r}"
            raise AttributeError(msg) from None

    def __setattr__(self, name: str, value: Any) -> None:
        msg = f"{type(self).__name__} is immutable"
        raise AttributeError(msg)

    def __hash__(self) -> int:
        return hash((type(self), self._key(), tuple(sorted(self.details.items(), key=repr))))

    def _key(self) -> Any:
        raise NotImplementedError


class Ok(_Result):
    """Success, with an optional ``value`` and named details (``Ok(delivered=3)``)."""

    __slots__ = ("value",)
    __match_args__: ClassVar[tuple[str, ...]] = ("value",)
    ok: ClassVar[bool] = True

    value: Any

    def __init__(self, value: Any = None, **details: Any) -> None:
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "details", details)

    def _key(self) -> Any:
        return self.value

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ok) and other.value == self.value and other.details == self.details

    __hash__ = _Result.__hash__

    def __repr__(self) -> str:
        parts = [] if self.value is None else [repr(self.value)]
        parts += [f"{k}={v!r}" for k, v in self.details.items()]
        return f"Ok({', '.join(parts)})"


class Error(_Result):
    """Failure, with a ``reason`` (a short string such as ``"no_instance"``,
    or an exception) and named details."""

    __slots__ = ("reason",)
    __match_args__: ClassVar[tuple[str, ...]] = ("reason",)
    ok: ClassVar[bool] = False

    reason: Any

    def __init__(self, reason: Any, **details: Any) -> None:
        object.__setattr__(self, "reason", reason)
        object.__setattr__(self, "details", details)

    def _key(self) -> Any:
        return self.reason

    def __bool__(self) -> bool:
        return False

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Error)
            and other.reason == self.reason
            and other.details == self.details
        )

    __hash__ = _Result.__hash__

    def __repr__(self) -> str:
        parts = [repr(self.reason)] + [f"{k}={v!r}" for k, v in self.details.items()]
        return f"Error({', '.join(parts)})"
