"""What the actors of one running store share: its backend, hub and hooks.

One :class:`StoreCore` per store tree incarnation, registered in its
system under the store's name (``system.extensions``), so handles made
before a restart of the tree find the new one. The writer opens the
backend in its ``init`` and closes it when the tree shuts down; a writer
that crashes and is restarted keeps the same backend (nothing is lost from
``:memory:``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, Final

import actors
from actors.eventstore._backend import Backend
from actors.eventstore._errors import StoreClosed, StoreUnavailable
from actors.eventstore._hub import Hub
from actors.eventstore._pg_url import is_postgres_url, parse_postgres_url
from actors.eventstore._sqlite import SqliteBackend, parse_sqlite_url
from actors.eventstore._types import RecordedEvent

__all__ = [
    "AppendedListener",
    "BackendFactory",
    "StoreCore",
    "cores_of",
    "names",
    "open_postgres",
]

_EXTENSION: Final = "actors.eventstore.cores"
_LOCK = threading.Lock()

AppendedListener = Callable[[Sequence[RecordedEvent]], None]
"""``listener(events)``: called in the writer's thread after each committed
append with the events it wrote, in order. Must not block or raise."""

BackendFactory = Callable[[], Backend]


def open_postgres(url: str, **options: Any) -> Backend:
    """A :class:`~actors.eventstore.PostgresBackend` (imported here, so the
    default install without psycopg only fails when PostgreSQL is asked for).

    Raises:
        StoreUnavailable: psycopg is not installed.
    """
    try:
        from actors.eventstore._postgres import PostgresBackend
    except ImportError as exc:
        msg = (
            f"the PostgreSQL event store needs psycopg ({exc.name} is missing): "
            "pip install 'actors-otp[postgres]'"
        )
        raise StoreUnavailable(msg, url=parse_postgres_url(url).masked) from None
    return PostgresBackend(url, **options)


def cores_of(system: actors.ActorSystem) -> dict[str, StoreCore]:
    """The running stores of ``system`` by name."""
    with _LOCK:
        found: dict[str, StoreCore] = system.extensions.setdefault(_EXTENSION, {})
        return found


def names(store: str) -> dict[str, Any]:
    """The registered names of a store's actors."""
    return {
        "tree": ("eventstore", store),
        "writer": ("eventstore", store, "writer"),
        "subscriptions": ("eventstore", store, "subscriptions"),
        "persistent": ("eventstore", store, "persistent"),
        "trimmer": ("eventstore", store, "trimmer"),
    }


class StoreCore:
    """The shared state of one store incarnation.

    Args:
        url: what the backend opens (a path, ``":memory:"``, a URL).
        backend_factory: makes the backend instead (tests, other backends).
        on_appended: listeners for every committed append (the gater's
            broadcast hangs here).
    """

    def __init__(
        self,
        name: str,
        url: str | os.PathLike[str] | None,
        system: actors.ActorSystem,
        *,
        backend_factory: BackendFactory | None = None,
        on_appended: Sequence[AppendedListener] = (),
        trim_interval: float | None = 60.0,
        write_timeout: float = 30.0,
    ) -> None:
        self.name = name
        self.system = system
        if url is not None and is_postgres_url(url):
            # The real URL (with its password) stays in the factory's closure;
            # everything shown to people uses the masked one.
            real = os.fspath(url)
            self.url = parse_postgres_url(real).masked
            self._factory = backend_factory or (lambda: open_postgres(real, recover=True))
        else:
            self.url = parse_sqlite_url(url) if url is not None else "<custom backend>"
            self._factory = backend_factory or (lambda: SqliteBackend(self.url, recover=True))
        self.hub = Hub()
        self.appended_listeners: tuple[AppendedListener, ...] = tuple(on_appended)
        self.trim_interval = trim_interval
        self.write_timeout = write_timeout
        self.names = names(name)
        self._backend: Backend | None = None
        self._unhook: Callable[[], None] | None = None
        self.closed = False

    def __repr__(self) -> str:
        state = " closed" if self.closed else ""
        return f"<StoreCore {self.name!r} {self.url!r}{state}>"

    @property
    def backend(self) -> Backend:
        """The open backend.

        Raises:
            StoreClosed: the store is closed or not started yet.
        """
        backend = self._backend
        if backend is None:
            msg = f"event store {self.name!r} is closed"
            raise StoreClosed(msg)
        return backend

    def open_backend(self) -> Backend:
        """Open the backend if it is not open yet (the writer's ``init``)."""
        if self._backend is None:
            backend = self._factory()
            self._unhook = backend.on_commit(self.hub.notify)
            self._backend = backend
            self.closed = False
        return self._backend

    def close_backend(self) -> None:
        """Close the backend for good (the writer's ``terminate`` on shutdown)."""
        backend, self._backend = self._backend, None
        self.closed = True
        if self._unhook is not None:
            self._unhook()
            self._unhook = None
        if backend is not None:
            backend.close()

    def add_appended_listener(self, listener: AppendedListener) -> Callable[[], None]:
        """Add a listener for committed appends; returns its remover."""
        self.appended_listeners = (*self.appended_listeners, listener)

        def remove() -> None:
            self.appended_listeners = tuple(x for x in self.appended_listeners if x is not listener)

        return remove
