"""The storage interface of the event store: one small, synchronous surface.

A backend stores streams and the state of persistent subscription groups,
and makes every operation below one transaction. It is thread-safe: the
store's writer appends, readers read from their own threads, group managers
claim and ack from theirs. The contract suite in the tests
(``tests/eventstore/contract``) is the specification; every backend runs it.

Written so that a backend shared by several processes (PostgreSQL) can
implement it directly: positions are assigned under the append's
transaction lock (gap-free in commit order), expected versions and
idempotency are checked in the same transaction as the insert, and group
state is rows a claim can take with ``SELECT ... FOR UPDATE SKIP LOCKED``
(claims carry an *owner* and a deadline, so a claim of a process that died
expires and is retried by another). Time is passed in (``now``, the
caller's clock), never read by the backend.

Change notification: :meth:`Backend.on_commit` callbacks run after every
commit of an append or a delete made through this backend object, in the
committing thread. A backend shared by processes adds the others' commits
(``LISTEN``/``NOTIFY``, or polling) through the same callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from actors.eventstore._settings import (
    Delivery,
    GroupState,
    ParkedMessage,
    PersistentSettings,
    RetryOutcome,
)
from actors.eventstore._types import (
    AllSlice,
    AppendResult,
    DeleteResult,
    EventFilter,
    NewEvent,
    RecordedEvent,
    StreamInfo,
    StreamMetadata,
    StreamSlice,
)

__all__ = ["Backend", "CommitCallback"]

CommitCallback = Callable[[tuple[str, ...], int], None]
"""``callback(streams, last_position)``: the streams a commit touched and
the store's last position after it. Called in the thread that committed
(the store's writer)."""


@runtime_checkable
class Backend(Protocol):
    """What the event store needs from its storage.

    Errors are the event store's (:mod:`actors.eventstore._errors`); a
    storage failure is :class:`~actors.eventstore.StoreUnavailable` with
    nothing written.
    """

    url: str
    """Where the data lives (a path, ``":memory:"``, a database URL)."""

    durable: bool
    """Whether what is committed survives closing and reopening."""

    def close(self) -> None:
        """Release connections; idempotent. Other calls then raise ``StoreClosed``."""
        ...

    def on_commit(self, callback: CommitCallback) -> Callable[[], None]:
        """Call ``callback`` after each committed append or delete; returns
        a function that removes it. Callbacks run in the committing thread
        and must not raise or block."""
        ...

    # Streams ---------------------------------------------------------------------

    def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: int, now: datetime
    ) -> AppendResult:
        """Append ``events`` atomically (all or none) if the stream is at
        ``expected_version``.

        A retry of an append whose event ids are already stored at the
        place ``expected_version`` names (or anywhere in the stream, for
        ``ANY``) writes nothing and returns the original result.

        Raises:
            WrongExpectedVersion, StreamDeleted, DuplicateEventId.
        """
        ...

    def read_stream(
        self, stream: str, from_version: int, count: int, backwards: bool, now: datetime
    ) -> StreamSlice:
        """Up to ``count`` events of ``stream`` from ``from_version`` (``-1``
        backwards: from the last), hiding what ``max_count`` / ``max_age`` /
        ``truncate_before`` exclude at ``now``.

        Raises:
            StreamNotFound: no events ever, or soft-deleted.
            StreamDeleted: hard-deleted.
        """
        ...

    def read_event(self, stream: str, version: int, now: datetime) -> RecordedEvent:
        """The event at ``version`` (``-1``: the last visible one).

        Raises:
            StreamNotFound, StreamDeleted, EventNotFound.
        """
        ...

    def read_all(
        self, from_position: int, count: int, backwards: bool, filter: EventFilter | None
    ) -> AllSlice:
        """Up to ``count`` stored events in position order from
        ``from_position`` (``-1`` backwards: from the last), optionally filtered."""
        ...

    def last_position(self) -> int:
        """The position of the last event committed (``-1`` for an empty store)."""
        ...

    def delete_stream(
        self, stream: str, expected_version: int, hard: bool, now: datetime
    ) -> DeleteResult:
        """Soft delete (the stream reads as not found; appending recreates
        it, numbering continues) or hard delete (a tombstone: reads raise
        ``StreamDeleted`` and writes are refused forever). The events are
        removed in the same transaction.

        Raises:
            WrongExpectedVersion, StreamNotFound, StreamDeleted.
        """
        ...

    def get_metadata(self, stream: str) -> StreamMetadata:
        """The stream's metadata (defaults for a stream without any).

        Raises:
            StreamDeleted.
        """
        ...

    def set_metadata(self, stream: str, metadata: StreamMetadata) -> None:
        """Replace the stream's metadata (the stream need not have events).

        Raises:
            StreamDeleted.
        """
        ...

    def list_streams(self, prefix: str | None = None) -> list[StreamInfo]:
        """Every stream the store knows (deleted ones included), by name."""
        ...

    def stream_info(self, stream: str) -> StreamInfo:
        """One stream's listing entry.

        Raises:
            StreamNotFound: the store has never heard of it.
        """
        ...

    def trim(self, now: datetime) -> int:
        """Delete the events that ``max_count``, ``max_age`` and
        ``truncate_before`` hide at ``now``; returns how many."""
        ...

    # Persistent subscription groups ----------------------------------------------

    def create_group(
        self, stream: str, group: str, settings: PersistentSettings, now: datetime
    ) -> GroupState:
        """Create a group reading ``stream`` (or ``"$all"``).

        Raises:
            GroupExists.
        """
        ...

    def update_group(self, stream: str, group: str, settings: PersistentSettings) -> GroupState:
        """Replace the group's settings (its position is kept).

        Raises:
            GroupNotFound.
        """
        ...

    def delete_group(self, stream: str, group: str) -> None:
        """Delete the group, its in-flight and parked messages.

        Raises:
            GroupNotFound.
        """
        ...

    def get_group(self, stream: str, group: str) -> GroupState:
        """The group's state now.

        Raises:
            GroupNotFound.
        """
        ...

    def list_groups(self) -> list[GroupState]:
        """Every group, by stream then name."""
        ...

    def claim(
        self, stream: str, group: str, owner: str, limit: int, now: datetime
    ) -> list[Delivery]:
        """Take up to ``limit`` messages for ``owner``: first those waiting
        for a retry (oldest first), then new events from the cursor (which
        advances). Each is in flight until ``now + message_timeout``.
        Messages whose event has since been deleted are dropped.

        Raises:
            GroupNotFound.
        """
        ...

    def ack(self, stream: str, group: str, keys: Sequence[int]) -> int:
        """Settle these messages (acked or skipped); returns how many were
        in flight. Unknown keys (already settled) are ignored."""
        ...

    def retry(
        self, stream: str, group: str, keys: Sequence[int], now: datetime, reason: str
    ) -> RetryOutcome:
        """Hand messages back for redelivery with their retry count + 1, or
        park those whose retry count has reached ``max_retry_count``."""
        ...

    def park(self, stream: str, group: str, keys: Sequence[int], reason: str, now: datetime) -> int:
        """Park these in-flight messages; returns how many."""
        ...

    def expire(self, stream: str, group: str, now: datetime) -> RetryOutcome:
        """Retry (or park) every in-flight message whose deadline has passed."""
        ...

    def release(self, stream: str, group: str, owner: str) -> int:
        """Make every message in flight for ``owner`` wait for redelivery,
        without counting a retry (the owner went away: a restart)."""
        ...

    def checkpoint(self, stream: str, group: str) -> int:
        """Write the checkpoint: the key before the lowest unsettled message
        (or before the cursor when nothing is outstanding); returns it."""
        ...

    def parked(self, stream: str, group: str, limit: int | None = None) -> list[ParkedMessage]:
        """Parked messages, oldest first."""
        ...

    def replay_parked(self, stream: str, group: str, limit: int | None = None) -> int:
        """Move parked messages (oldest first, at most ``limit``) back to
        the messages waiting for redelivery, with their retry count reset;
        they go out before new events. Returns how many."""
        ...

    def register_consumer(self, stream: str, group: str, consumer: str, now: datetime) -> int:
        """Record a consumer; returns how many the group now has.

        Raises:
            GroupNotFound, MaxSubscribersReached.
        """
        ...

    def unregister_consumer(self, stream: str, group: str, consumer: str) -> None:
        """Forget a consumer (a no-op if unknown)."""
        ...
