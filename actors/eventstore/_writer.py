"""The store's writer: the one actor that appends and deletes.

Appends are calls, handled one at a time, so an expected-version check and
the insert it guards are never interleaved with another append of this
process (the backend's transaction guards against other processes). It
runs on the ``"thread"`` runtime: every callback runs in its own thread,
which blocks on the disk without holding up a pool worker.

After each commit the backend wakes the store's followers (subscriptions,
group managers) from this thread; then the writer calls the store's
``on_appended`` listeners with the events written.
"""

from __future__ import annotations

import logging
from typing import Any

import attrs

import actors
from actors.eventstore._codec import decode_event_parts
from actors.eventstore._core import StoreCore
from actors.eventstore._errors import EventStoreError
from actors.eventstore._types import AppendResult, NewEvent, RecordedEvent

__all__ = ["Failed", "StoreWriter", "Trimmer"]

logger = logging.getLogger("actors.eventstore")


@attrs.frozen
class Failed:
    """A refused request: the handle re-raises ``error`` in the caller."""

    error: BaseException


class StoreWriter(actors.GenServer):
    """Owns the backend of a store and performs its writes (see the module docs).

    Runs on the ``"thread"`` runtime: ``init``, ``handle_call`` and
    ``terminate`` all run in the writer's own thread.
    """

    runtime = "thread"

    def init(self, core: StoreCore) -> None:
        """Runs in the writer's own thread."""
        self.core = core
        # Shutdown by the tree must run terminate (it closes the backend).
        self.trap_exits = True
        core.open_backend()

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """Runs in the writer's own thread."""
        backend = self.core.backend
        now = self.system.clock.now()
        try:
            match request:
                case ("append", str(stream), list(events), int(expected)):
                    result = backend.append(stream, events, expected, now)
                    if result.written and self.core.appended_listeners:
                        self._tell_listeners(result, events, now)
                    return result
                case ("delete", str(stream), int(expected), bool(hard)):
                    return backend.delete_stream(stream, expected, hard, now)
                case ("set_metadata", str(stream), metadata):
                    backend.set_metadata(stream, metadata)
                    return None
                case ("trim",):
                    return backend.trim(now)
        except (EventStoreError, TypeError, ValueError) as exc:
            return Failed(exc)
        return Failed(ValueError(f"unknown event store request {request!r}"))

    def _tell_listeners(self, result: AppendResult, events: list[NewEvent], now: Any) -> None:
        # Decoded from the stored text, so listeners see what readers will see.
        first_version = result.next_expected_version - result.written + 1
        first_position = result.position - result.written + 1
        records = []
        for i, event in enumerate(events):
            data, metadata = decode_event_parts(event.data, event.metadata, event.format)
            records.append(
                RecordedEvent(
                    result.stream,
                    first_version + i,
                    first_position + i,
                    event.id,
                    event.type,
                    data,
                    metadata,
                    now,
                )
            )
        for listener in self.core.appended_listeners:
            try:
                listener(records)
            except Exception:
                logger.exception("an on_appended listener of %s failed", self.core.name)

    def handle_info(self, message: Any) -> None:
        """Runs in the writer's own thread."""
        match message:
            case ("EXIT", _, _):
                pass  # a linked process went away; only the tree's shutdown matters
            case _:
                super().handle_info(message)

    def terminate(self, reason: Any) -> None:
        """Close the backend when the tree stops it (not after a crash: the
        restarted writer goes on with the same backend).

        Runs in the writer's own thread.
        """
        if actors.is_normal_exit(reason):
            self.core.close_backend()


class Trimmer(actors.GenServer):
    """Deletes what stream metadata hides (``max_count``, ``max_age``,
    ``truncate_before``) every ``trim_interval`` seconds of the system clock.

    Runs on the pooled runtime; the trim itself is a writer call.
    """

    def init(self, core: StoreCore) -> None:
        """Runs in the thread that starts it (a supervisor's, for a child)."""
        self.core = core
        self.trimmed = 0
        self._schedule()

    def _schedule(self) -> None:
        if self.core.trim_interval is not None:
            actors.send_after(self.ref, ("trim",), self.core.trim_interval)

    def handle_info(self, message: Any) -> None:
        """Runs in a pool worker."""
        match message:
            case ("trim",):
                result = actors.call(self.core.names["writer"], ("trim",), self.core.write_timeout)
                if isinstance(result, Failed):
                    logger.warning("trimming %s failed: %s", self.core.name, result.error)
                else:
                    self.trimmed += result
                self._schedule()
            case _:
                super().handle_info(message)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """Runs in a pool worker, or in the caller's thread when the actor is idle."""
        match request:
            case ("trimmed",):
                return self.trimmed
        return super().handle_call(request, caller)
