"""Live and catch-up subscriptions: one actor per subscriber, pull-based.

A subscription keeps a cursor (a version, or a ``$all`` position) and reads
the store from it, page by page, handing each event to its subscriber as
``("on_event", event)``. At the head it sends ``("caught_up",)`` once (for
a catch-up subscription) and sleeps until the hub wakes it after a commit;
then it reads on from the same cursor. History and live events are the
same reads, so there is no switch-over at which an event could be missed
or sent twice, however writers race the catch-up.

Bounds: it holds at most one page (``page_size`` events) and stops handing
events to an actor subscriber whose mailbox holds ``mailbox_limit``
messages, going on when there is room (a slow subscriber costs at most
``mailbox_limit + page_size`` events of memory, and the store's writer
never waits for it). Test probes are never throttled.

The subscription monitors its subscriber and ends (``"normal"``) when the
subscriber exits. It is a temporary child of the store's subscription
supervisor: if it crashes it is not restarted; its subscriber, which can
monitor it, subscribes again (Extreme's pattern).

Messages a subscriber can get, in Extreme's vocabulary:

* ``("on_event", event)``: one :class:`RecordedEvent`, in order;
* ``("caught_up",)``: the history is delivered (catch-up subscriptions);
* ``("extreme", "warn", "no_stream" | "stream_soft_deleted", stream)``:
  a catch-up subscription started on a stream with no events, or
  soft-deleted; it goes on (``caught_up`` follows, then live events);
* ``("extreme", "error", "stream_deleted", stream)``: started on a
  hard-deleted stream; the subscription ends ``("shutdown", "stream_deleted")``;
* ``("extreme", "stream_hard_deleted")``: the stream was hard-deleted while
  subscribed; it ends ``("shutdown", "stream_hard_deleted")``;
* ``("extreme", "unsubscribed")``: after :func:`unsubscribe`.

Runs on the system's default runtime; every callback runs in the
subscription's own turn (a pool worker or its thread), never the writer's.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

import attrs

import actors
from actors.eventstore._core import StoreCore
from actors.eventstore._errors import StreamDeleted, StreamNotFound
from actors.eventstore._mailbox import mailbox_depth, wait_for_room
from actors.eventstore._types import ALL, EventFilter, RecordedEvent
from actors.lowlevel import process_of

__all__ = ["DEFAULT_MAILBOX_LIMIT", "DEFAULT_PAGE_SIZE", "Subscription", "SubscriptionStats"]

DEFAULT_PAGE_SIZE: Final = 500
DEFAULT_MAILBOX_LIMIT: Final = 500
_ROOM_WAIT: Final = 0.05
"""Real seconds to wait for room before letting other messages in."""


@attrs.frozen
class SubscriptionStats:
    """A subscription's counters (``actors.call(sub, ("statistics",))``)."""

    stream: str
    cursor: int
    delivered: int
    buffered: int
    caught_up: bool
    throttled: int
    """How often the subscriber's full mailbox made it wait."""


class Subscription(actors.GenServer):
    """See the module docstring. Started by :func:`subscribe_to` and
    :func:`read_and_stay_subscribed`, not directly."""

    def init(
        self,
        core: StoreCore,
        subscriber: Any,
        stream: str,
        from_key: int | None,
        filter: EventFilter | None,
        page_size: int,
        mailbox_limit: int,
    ) -> None:
        """Runs in the thread that starts it (a supervisor's, for a child)."""
        self.trap_exits = True
        self.core = core
        self.stream = stream
        self.filter = filter
        self.page_size = page_size
        self.mailbox_limit = mailbox_limit
        self.subscriber = subscriber
        self.subscriber_proc = process_of(subscriber, self.system)
        self.monitor = actors.monitor(subscriber)
        # Follow before finding the head: a commit after this wakes us.
        self.waiter = core.hub.add(process_of(self.ref), None if stream == ALL else stream, filter)
        self.buffer: deque[RecordedEvent] = deque()
        self.delivered = 0
        self.throttled = 0
        self.catch_up = from_key is not None
        self.caught_up = False
        self.warned = False
        self.cursor = from_key if from_key is not None else self._head()
        self.continue_with(("pump",))

    def _head(self) -> int:
        backend = self.core.backend
        if self.stream == ALL:
            return backend.last_position() + 1
        try:
            return backend.stream_info(self.stream).last_version + 1
        except StreamNotFound:
            return 0

    # Delivery ------------------------------------------------------------------------

    def _read(self) -> list[RecordedEvent] | None:
        """The next page from the cursor; ``None`` if the subscription ended."""
        backend = self.core.backend
        if self.stream == ALL:
            page = backend.read_all(self.cursor, self.page_size, False, self.filter)
            self.cursor = page.next_position
            return list(page.events)
        try:
            found = backend.read_stream(
                self.stream, self.cursor, self.page_size, False, self.system.clock.now()
            )
        except StreamNotFound as exc:
            if self.catch_up and not self.warned:
                problem = "stream_soft_deleted" if exc.soft_deleted else "no_stream"
                self._send(("extreme", "warn", problem, self.stream))
            self.warned = True
            return []
        except StreamDeleted:
            if self.catch_up and not self.caught_up:
                self._send(("extreme", "error", "stream_deleted", self.stream))
                self.stop(("shutdown", "stream_deleted"))
            else:
                self._send(("extreme", "stream_hard_deleted"))
                self.stop(("shutdown", "stream_hard_deleted"))
            return None
        self.warned = True
        self.cursor = found.next_version
        return list(found.events)

    def _send(self, message: Any) -> None:
        actors.send(self.subscriber, message)

    def _pump(self) -> None:
        """Deliver until the head, the subscriber's mailbox bound, or the end."""
        proc = self.subscriber_proc
        limit = self.mailbox_limit
        while True:
            buffer = self.buffer
            while buffer:
                if proc is not None and mailbox_depth(proc) >= limit:
                    self.throttled += 1
                    wait_for_room(proc, limit, _ROOM_WAIT)
                    # Let stop, unsubscribe and DOWN in before going on.
                    actors.send(self.ref, ("pump",))
                    return
                event = buffer.popleft()
                self._send(("on_event", event))
                self.delivered += 1
            self.waiter.clear()
            page = self._read()
            if page is None:
                return
            if not page:
                if self.catch_up and not self.caught_up:
                    self.caught_up = True
                    self._send(("caught_up",))
                return
            buffer.extend(page)

    # Callbacks ----------------------------------------------------------------------

    def handle_continue(self, arg: Any) -> None:
        """Runs in a pool worker."""
        self._pump()

    def handle_info(self, message: Any) -> None:
        """Runs in a pool worker."""
        match message:
            case ("$eventstore_wake",) | ("pump",):
                if not self.buffer or message == ("pump",):
                    self._pump()
            case ("DOWN", ref, "process", _, _) if ref is self.monitor:
                self.stop("normal")
            case ("EXIT", _, reason):
                self.stop(reason)
            case _:
                super().handle_info(message)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """Runs in a pool worker, or in the caller's thread when the actor is idle."""
        match request:
            case ("unsubscribe",):
                self._send(("extreme", "unsubscribed"))
                self.stop("normal")
                return "unsubscribed"
            case ("statistics",):
                return SubscriptionStats(
                    self.stream,
                    self.cursor,
                    self.delivered,
                    len(self.buffer),
                    self.caught_up,
                    self.throttled,
                )
        msg = f"unknown subscription request {request!r}"
        raise ValueError(msg)

    def terminate(self, reason: Any) -> None:
        """Runs in a pool worker, or in the thread of an inline call that ended it."""
        self.core.hub.remove(self.waiter)
        actors.demonitor(self.monitor)
