"""``EventStore``: the handle users call, and the supervision tree behind it.

``EventStore.open(path)`` starts a store's tree in a system and returns a
handle; ``EventStore.child_spec(path)`` puts the same tree under your own
supervisor. The tree (``one_for_one``)::

    ("eventstore", name)                   Supervisor
    ├── writer          StoreWriter        owns the backend, appends, deletes
    ├── subscriptions   DynamicSupervisor  live and catch-up subscriptions
    ├── persistent      DynamicSupervisor  persistent subscription groups
    └── trimmer         Trimmer            max_count / max_age clean-up

A handle is cheap and thread-safe; it finds the store by name on every
call, so it keeps working after the tree is restarted. Writes are calls to
the writer; reads run in the caller's thread on the backend's read
connections.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any, Final, Self

import actors
import supervision as sv
from actors.eventstore._codec import encode
from actors.eventstore._codec import encode_event as _encode_event
from actors.eventstore._core import AppendedListener, BackendFactory, StoreCore, cores_of, names
from actors.eventstore._errors import EventStoreError, StoreClosed, StoreUnavailable
from actors.eventstore._persistent import GROUP_DELETED
from actors.eventstore._settings import GroupState, ParkedMessage, PersistentSettings
from actors.eventstore._types import (
    ANY,
    AllSlice,
    AppendResult,
    DeleteResult,
    EventData,
    EventFilter,
    RecordedEvent,
    StreamInfo,
    StreamMetadata,
    StreamSlice,
)
from actors.eventstore._validate import (
    check_count,
    check_events,
    check_expected,
    check_group,
    check_int,
    check_stream,
)
from actors.eventstore._writer import Failed, StoreWriter, Trimmer
from actors.lowlevel import current_process, resolve_system

__all__ = [
    "DEFAULT_NAME",
    "GROUP_DELETED",
    "EventStore",
    "group_name",
    "resolve_store",
    "start_link_store",
]

DEFAULT_NAME: Final = "eventstore"
DEFAULT_PAGE: Final = 4096
"""Default ``count`` of reads: EventStoreDB's largest page."""


def _tree_specs(core: StoreCore) -> list[sv.ChildSpec]:
    n = core.names
    return [
        sv.child_spec("writer", StoreWriter, core, name=n["writer"], shutdown=30.0),
        sv.child_spec(
            "subscriptions",
            sv.DynamicSupervisor,
            name=n["subscriptions"],
            max_restarts=1000,
            type="supervisor",
        ),
        sv.child_spec(
            "persistent",
            sv.DynamicSupervisor,
            name=n["persistent"],
            max_restarts=1000,
            type="supervisor",
        ),
        sv.child_spec("trimmer", Trimmer, core, name=n["trimmer"]),
    ]


def _make_core(
    url: str | os.PathLike[str] | None, name: Any, system: actors.ActorSystem, options: Any
) -> StoreCore:
    if not isinstance(name, str) or not name:
        msg = f"an event store name must be a non-empty str, got {name!r}"
        raise TypeError(msg)
    if url is None and options.get("backend_factory") is None:
        msg = "EventStore.open() needs a path, ':memory:' or a URL"
        raise TypeError(msg)
    if url is not None and not isinstance(url, str | os.PathLike):
        msg = f"an event store path must be a str or a path, got {type(url).__name__}"
        raise TypeError(msg)
    trim_interval = options.get("trim_interval", 60.0)
    if trim_interval is not None and (
        isinstance(trim_interval, bool)
        or not isinstance(trim_interval, int | float)
        or not trim_interval > 0
    ):
        msg = f"trim_interval must be positive seconds or None, got {trim_interval!r}"
        raise ValueError(msg)
    return StoreCore(name, url, system, **options)


def _unwrap_start_error(exc: BaseException) -> BaseException:
    """The event store error at the bottom of a failed start, if there is one."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, EventStoreError):
            return seen
        cause = getattr(seen, "cause", None)
        seen = cause if isinstance(cause, BaseException) else seen.__cause__
    return exc


def start_link_store(
    url: str | os.PathLike[str] | None,
    *,
    name: str = DEFAULT_NAME,
    trim_interval: float | None = 60.0,
    write_timeout: float = 30.0,
    backend_factory: BackendFactory | None = None,
    on_appended: Sequence[AppendedListener] = (),
) -> actors.Ref[Any]:
    """Child-spec start function: the store's tree, linked to the calling
    supervisor (see :meth:`EventStore.child_spec`)."""
    proc = current_process()
    if proc is None:
        msg = "start_link_store() must be called by a supervisor starting its children"
        raise RuntimeError(msg)
    core = _make_core(
        url,
        name,
        proc.system,
        {
            "trim_interval": trim_interval,
            "write_timeout": write_timeout,
            "backend_factory": backend_factory,
            "on_appended": on_appended,
        },
    )
    cores_of(proc.system)[name] = core
    return sv.Supervisor.start_link(
        _tree_specs(core),
        strategy="one_for_one",
        max_restarts=10,
        max_seconds=5,
        name=core.names["tree"],
    )


class EventStore:
    """A handle on a running event store (see the module docstring).

    Thread-safe; every method can be called from any thread or actor.
    Make one with :meth:`open` or :meth:`connect`.
    """

    __slots__ = ("_owned", "name", "system")

    def __init__(self, name: str, system: actors.ActorSystem, *, _owned: bool = False) -> None:
        self.name = name
        self.system = system
        self._owned = _owned

    def __repr__(self) -> str:
        core = cores_of(self.system).get(self.name)
        where = core.url if core is not None else "?"
        state = "" if core is not None and not core.closed else " closed"
        return f"<EventStore {self.name!r} {where!r}{state}>"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, EventStore)
            and other.name == self.name
            and other.system is self.system
        )

    def __hash__(self) -> int:
        return hash((self.name, id(self.system)))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Starting and finding ---------------------------------------------------------

    @classmethod
    def open(
        cls,
        path_or_url: str | os.PathLike[str] | None,
        *,
        system: actors.ActorSystem | None = None,
        name: str = DEFAULT_NAME,
        trim_interval: float | None = 60.0,
        write_timeout: float = 30.0,
        backend_factory: BackendFactory | None = None,
        on_appended: Sequence[AppendedListener] = (),
    ) -> EventStore:
        """Start a store and return its handle.

        Args:
            path_or_url: an SQLite file (created if missing), ``":memory:"``
                (for tests: gone when the store stops), ``"sqlite:///path"``,
                or a PostgreSQL URL ``"postgresql://user@host/db?schema=NAME"``
                (a store shared by processes; needs the ``postgres`` extra
                and a schema made by ``actors store init URL``).
            system: default :func:`actors.current_system`.
            name: the store's name in its system (several stores need
                several names). Opening a running name again with the same
                path returns a handle to it.
            trim_interval: seconds of the system clock between trims of
                what ``max_count``/``max_age`` hide; ``None`` never trims.
            write_timeout: real seconds an append or delete may take.
            backend_factory: make the backend yourself (another backend).
            on_appended: ``listener(events)`` after each committed append,
                in the writer's thread (see :data:`AppendedListener`).

        Raises:
            StoreUnavailable: the file cannot be opened as an event store,
                or the PostgreSQL server cannot be reached or has no
                initialised store schema (the message says what to run).
            ValueError: ``name`` runs another store.
        """
        system = resolve_system(system)
        core = _make_core(
            path_or_url,
            name,
            system,
            {
                "trim_interval": trim_interval,
                "write_timeout": write_timeout,
                "backend_factory": backend_factory,
                "on_appended": on_appended,
            },
        )
        running = cores_of(system).get(name)
        if (
            running is not None
            and not running.closed
            and actors.whereis(core.names["tree"], system)
        ):
            if running.url != core.url or backend_factory is not None:
                msg = f"event store {name!r} already runs on {running.url!r}; choose another name"
                raise ValueError(msg)
            return cls(name, system)
        cores_of(system)[name] = core
        try:
            sv.Supervisor.start(
                _tree_specs(core),
                strategy="one_for_one",
                max_restarts=10,
                max_seconds=5,
                name=core.names["tree"],
                system=system,
            )
        except actors.AlreadyStarted:
            msg = f"event store {name!r} is already starting in this system"
            raise ValueError(msg) from None
        except actors.StartError as exc:
            cause = _unwrap_start_error(exc)
            core.close_backend()
            if cause is exc:
                raise
            raise cause.with_traceback(None) from None
        return cls(name, system, _owned=True)

    @classmethod
    def child_spec(
        cls,
        path_or_url: str | os.PathLike[str] | None,
        *,
        name: str = DEFAULT_NAME,
        id: Any = None,
        **options: Any,
    ) -> sv.ChildSpec:
        """A child spec for your own supervisor; place it *before* the
        listeners and consumers that use the store. Options as for :meth:`open`."""
        return sv.child_spec(
            name if id is None else id,
            start_link_store,
            path_or_url,
            name=name,
            type="supervisor",
            **options,
        )

    @classmethod
    def connect(
        cls, name: str = DEFAULT_NAME, system: actors.ActorSystem | None = None
    ) -> EventStore:
        """A handle on the store running under ``name``.

        Raises:
            StoreClosed: no store of that name runs.
        """
        store = cls(name, resolve_system(system))
        store._core()
        return store

    def close(self) -> None:
        """Stop the store's tree (subscriptions end, the file is closed).

        Only a handle from :meth:`open` stops a tree; a store started as a
        child of your supervisor stops with it. Idempotent.
        """
        if not self._owned:
            return
        tree = actors.whereis(names(self.name)["tree"], self.system)
        if tree is not None:
            try:
                actors.stop(tree, "shutdown", timeout=60.0)
            except actors.CallError as exc:
                if exc.reason != actors.NOPROC:
                    raise

    # Internals -------------------------------------------------------------------

    def _core(self) -> StoreCore:
        core = cores_of(self.system).get(self.name)
        if core is None or core.closed:
            msg = f"event store {self.name!r} is not running in actor system {self.system.name!r}"
            raise StoreClosed(msg)
        return core

    def _write(self, request: tuple[Any, ...]) -> Any:
        core = self._core()
        try:
            reply = actors.call(
                core.names["writer"], request, core.write_timeout, system=self.system
            )
        except actors.CallError as exc:
            if exc.reason == actors.NOPROC:
                if core.closed:
                    msg = f"event store {self.name!r} is closed"
                    raise StoreClosed(msg) from None
                msg = f"event store {self.name!r} has no writer right now (is it restarting?)"
                raise StoreUnavailable(msg, url=core.url) from None
            msg = f"event store {self.name!r} could not complete the write: {exc}"
            raise StoreUnavailable(msg, url=core.url) from exc
        if isinstance(reply, Failed):
            raise reply.error.with_traceback(None)
        return reply

    def _now(self) -> Any:
        return self.system.clock.now()

    @property
    def url(self) -> str:
        """Where the store keeps its data."""
        return self._core().url

    # Streams ---------------------------------------------------------------------

    def append(
        self,
        stream: str,
        events: EventData | Iterable[EventData],
        expected_version: int = ANY,
    ) -> AppendResult:
        """Append one event or a batch, atomically.

        Args:
            expected_version: ``ANY``, ``NO_STREAM``, ``STREAM_EXISTS`` or the
                stream's last version (optimistic concurrency).

        Returns:
            The stream's next expected version and the last event's position.
            Retrying the same events (same ids) at the same place returns
            the original result and writes nothing.

        Raises:
            WrongExpectedVersion: the stream is elsewhere (``.actual``).
            StreamDeleted: the stream was hard-deleted.
            DuplicateEventId: an id is already stored elsewhere.
            TypeError, ValueError: bad arguments or data that cannot be
                stored (nothing is written).
        """
        name = check_stream(stream)
        found = check_events(events)
        expected = check_expected(expected_version)
        encoded = [_encode_event(event) for event in found]
        result: AppendResult = self._write(("append", name, encoded, expected))
        return result

    def read_stream(
        self,
        stream: str,
        from_version: int = 0,
        count: int = DEFAULT_PAGE,
        backwards: bool = False,
    ) -> StreamSlice:
        """Up to ``count`` events of ``stream`` from ``from_version``
        (backwards: ``-1`` is the last event). Iterate the result; page on
        with ``next_version`` until ``end_of_stream``.

        Raises:
            StreamNotFound: never written, or soft-deleted (``.soft_deleted``).
            StreamDeleted: hard-deleted.
        """
        name = check_stream(stream)
        start = check_int(from_version, "from_version", minimum=-1 if backwards else 0)
        return self._core().backend.read_stream(
            name, start, check_count(count), bool(backwards), self._now()
        )

    def read_event(self, stream: str, version: int = -1) -> RecordedEvent:
        """The event at ``version`` (``-1``: the last one).

        Raises:
            StreamNotFound, StreamDeleted, EventNotFound.
        """
        name = check_stream(stream)
        wanted = check_int(version, "version", minimum=-1)
        return self._core().backend.read_event(name, wanted, self._now())

    def read_all(
        self,
        from_position: int = 0,
        count: int = DEFAULT_PAGE,
        backwards: bool = False,
        *,
        filter: EventFilter | None = None,
    ) -> AllSlice:
        """Up to ``count`` events of every stream in commit order from
        ``from_position`` (backwards: ``-1`` is the last), optionally filtered
        by stream prefix and event type."""
        start = check_int(from_position, "from_position", minimum=-1 if backwards else 0)
        if filter is not None and not isinstance(filter, EventFilter):
            msg = f"filter must be an EventFilter, got {type(filter).__name__}"
            raise TypeError(msg)
        return self._core().backend.read_all(start, check_count(count), bool(backwards), filter)

    def last_position(self) -> int:
        """The position of the last event committed (``-1`` if none)."""
        return self._core().backend.last_position()

    def delete_stream(
        self, stream: str, expected_version: int = ANY, hard: bool = False
    ) -> DeleteResult:
        """Soft delete (reads say not found; appending recreates the stream,
        numbering continues) or, with ``hard=True``, a tombstone: the stream
        can never be read or written again.

        Raises:
            WrongExpectedVersion, StreamNotFound, StreamDeleted.
        """
        name = check_stream(stream)
        expected = check_expected(expected_version)
        if not isinstance(hard, bool):
            msg = f"hard must be True or False, got {type(hard).__name__}"
            raise TypeError(msg)
        result: DeleteResult = self._write(("delete", name, expected, hard))
        return result

    def get_stream_metadata(self, stream: str) -> StreamMetadata:
        """The stream's ``max_count``, ``max_age``, ``truncate_before``, ``custom``."""
        return self._core().backend.get_metadata(check_stream(stream))

    def set_stream_metadata(
        self,
        stream: str,
        *,
        max_count: int | None = None,
        max_age: float | None = None,
        truncate_before: int = 0,
        custom: Any = None,
    ) -> StreamMetadata:
        """Replace the stream's metadata. ``max_count``/``max_age`` take
        effect on reads at once; the trimmer deletes what they hide.

        Raises:
            StreamDeleted; TypeError/ValueError for bad values.
        """
        name = check_stream(stream)
        check_int(truncate_before, "truncate_before", minimum=0)
        if custom is not None:
            encode(custom, "stream metadata")
        metadata = StreamMetadata(
            max_count=max_count, max_age=max_age, truncate_before=truncate_before, custom=custom
        )
        self._write(("set_metadata", name, metadata))
        return metadata

    def list_streams(self, prefix: str | None = None) -> list[StreamInfo]:
        """Every stream (deleted ones too), by name; optionally by prefix."""
        if prefix is not None:
            check_stream(prefix, allow_all=True)
        return self._core().backend.list_streams(prefix)

    def stream_info(self, stream: str) -> StreamInfo:
        """One stream's state, last version and count.

        Raises:
            StreamNotFound: the store has never heard of it.
        """
        return self._core().backend.stream_info(check_stream(stream))

    def trim(self) -> int:
        """Delete what ``max_count``/``max_age``/``truncate_before`` hide now;
        returns how many events (the trimmer does this periodically)."""
        trimmed: int = self._write(("trim",))
        return trimmed

    # Persistent subscription groups (administration) --------------------------------

    def create_persistent_subscription(
        self, stream: str, group: str, **settings: Any
    ) -> GroupState:
        """Create a group of competing consumers on ``stream`` (or ``"$all"``).

        Keyword settings and their EventStoreDB defaults: ``start_from=0``,
        ``message_timeout=30``, ``max_retry_count=10``,
        ``live_buffer_size=500``, ``read_batch_size=20``,
        ``buffer_size=500``, ``checkpoint_after=2``,
        ``checkpoint_min_count=10``, ``checkpoint_max_count=1000``,
        ``max_subscriber_count=0``, ``consumer_strategy="round_robin"``
        (or ``"dispatch_to_single"``, ``"pinned"``); see
        :class:`PersistentSettings`.

        Raises:
            GroupExists; TypeError/ValueError for bad settings.
        """
        name = check_stream(stream, allow_all=True)
        parsed = _settings(settings)
        return self._core().backend.create_group(name, check_group(group), parsed, self._now())

    def update_persistent_subscription(
        self, stream: str, group: str, **settings: Any
    ) -> GroupState:
        """Change a group's settings (unnamed settings keep their values; the
        group keeps its position). Its consumers stay connected."""
        name = check_stream(stream, allow_all=True)
        group = check_group(group)
        core = self._core()
        current = core.backend.get_group(name, group).settings.to_json()
        current.update(settings)
        state = core.backend.update_group(name, group, _settings(current))
        _tell_group(core, name, group, ("settings_changed",))
        return state

    def delete_persistent_subscription(self, stream: str, group: str) -> None:
        """Delete a group; its consumers get ``("extreme",
        "persistent_subscription_deleted")`` and are disconnected."""
        name = check_stream(stream, allow_all=True)
        group = check_group(group)
        core = self._core()
        core.backend.get_group(name, group)  # GroupNotFound before stopping anything
        manager = actors.whereis(group_name(core.name, name, group), core.system)
        if manager is not None:
            # Waits until it has exited, so a group made again gets a new manager.
            try:
                actors.stop(manager, GROUP_DELETED, timeout=core.write_timeout)
            except actors.CallError as exc:
                if exc.reason != actors.NOPROC and exc.reason != GROUP_DELETED:
                    raise
        core.backend.delete_group(name, group)

    def list_persistent_subscriptions(self) -> list[GroupState]:
        """Every group, by stream then name."""
        return self._core().backend.list_groups()

    def persistent_subscription_info(self, stream: str, group: str) -> GroupState:
        """A group's position, checkpoint, lag, in-flight, waiting and parked counts."""
        name = check_stream(stream, allow_all=True)
        return self._core().backend.get_group(name, check_group(group))

    def parked_messages(
        self, stream: str, group: str, limit: int | None = None
    ) -> list[ParkedMessage]:
        """The group's parked messages, oldest first."""
        name = check_stream(stream, allow_all=True)
        if limit is not None:
            check_count(limit)
        return self._core().backend.parked(name, check_group(group), limit)

    def replay_parked_messages(self, stream: str, group: str, limit: int | None = None) -> int:
        """Send parked messages (oldest first, at most ``limit``) to the
        group's consumers again, ahead of new events; returns how many."""
        name = check_stream(stream, allow_all=True)
        group = check_group(group)
        if limit is not None:
            check_count(limit)
        core = self._core()
        count = core.backend.replay_parked(name, group, limit)
        _tell_group(core, name, group, ("wake",))
        return count


def _settings(settings: dict[str, Any]) -> PersistentSettings:
    try:
        return PersistentSettings(**settings)
    except TypeError as exc:
        if "unexpected keyword" in str(exc):
            msg = f"unknown persistent subscription setting: {exc}"
            raise TypeError(msg) from None
        raise


def group_name(store: str, stream: str, group: str) -> tuple[str, ...]:
    """The registered name of a group's manager actor."""
    return ("eventstore", store, "group", stream, group)


def _tell_group(core: StoreCore, stream: str, group: str, message: Any) -> None:
    manager = actors.whereis(group_name(core.name, stream, group), core.system)
    if manager is not None:
        actors.send(manager, message)


def resolve_store(store: Any, system: actors.ActorSystem | None = None) -> EventStore:
    """An :class:`EventStore` from a handle or a store name."""
    if isinstance(store, EventStore):
        return store
    if isinstance(store, str):
        return EventStore.connect(store, system)
    msg = f"a store is an EventStore handle or its name (str), got {type(store).__name__}"
    raise TypeError(msg)
