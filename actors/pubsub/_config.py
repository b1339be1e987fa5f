"""Per-instance (and per-subscription) delivery policy."""

from __future__ import annotations

from typing import Any, Final, Literal

import attrs

__all__ = ["OVERFLOW_POLICIES", "InstanceConfig", "Overflow"]

Overflow = Literal["block", "drop_oldest", "drop_newest", "reject"]
OVERFLOW_POLICIES: Final = ("block", "drop_oldest", "drop_newest", "reject")


def _check_limit(_: Any, __: Any, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        msg = f"mailbox_limit must be a positive int or None, got {value!r}"
        raise ValueError(msg)


def _check_overflow(_: Any, __: Any, value: str) -> None:
    if value not in OVERFLOW_POLICIES:
        msg = f"overflow must be one of {', '.join(OVERFLOW_POLICIES)}, got {value!r}"
        raise ValueError(msg)


def _check_timeout(_: Any, __: Any, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        msg = f"block_timeout must be seconds >= 0, got {value!r}"
        raise ValueError(msg)


@attrs.frozen
class InstanceConfig:
    """How an instance delivers when a subscriber falls behind.

    Attributes:
        mailbox_limit: a subscriber's mailbox depth at which the policy
            applies; ``None`` means unbounded.
        overflow: ``"block"`` (the publisher waits up to ``block_timeout``
            real seconds, then that delivery fails with ``"timeout"``, the
            publisher gets an ``Error`` naming the subscriber, and the
            subscriber is *stalled*: nobody waits for it again until it has
            room),
            ``"drop_oldest"`` (the oldest queued message from this instance
            is taken back), ``"drop_newest"`` (this message is not
            delivered), ``"reject"`` (not delivered, and the broadcast reports
            ``Error("mailbox_full")``). Every drop and rejection is counted.
        block_timeout: see ``"block"``.
        secure: verify messages that reach this instance from outside the
            process (``accept_external``) with the instance's ``verifier``
            hook, dropping forgeries.
    """

    mailbox_limit: int | None = attrs.field(default=100_000, validator=_check_limit)
    overflow: Overflow = attrs.field(default="block", validator=_check_overflow)
    block_timeout: float = attrs.field(default=5.0, validator=_check_timeout)
    secure: bool = False

    def merged(self, **overrides: Any) -> InstanceConfig:
        """A copy with ``overrides`` applied (unknown keys are an error)."""
        unknown = set(overrides) - {f.name for f in attrs.fields(InstanceConfig)}
        if unknown:
            msg = f"unknown pub/sub instance option(s): {', '.join(sorted(unknown))}"
            raise TypeError(msg)
        return attrs.evolve(self, **overrides)
