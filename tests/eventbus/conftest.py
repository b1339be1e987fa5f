"""Fixtures of the EventBus tests.

``backend_factory`` makes fresh stores of each backend kind; the contract
suite runs against every one of its params: SQLite (a file, ``:memory:``)
and PostgreSQL (a fresh schema per store on the event store tests' server).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from actors.eventbus import EventBus, EventBusBackend, SqliteBackend
from actors.testing import Probe
from tests.eventstore.conftest import pg_server  # noqa: F401  (the PostgreSQL server fixture)


@pytest.fixture(params=["sqlite-file", "sqlite-memory", "postgresql"])
def backend_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], EventBusBackend]]:
    made: list[EventBusBackend] = []
    schemas: list[Any] = []

    def make() -> EventBusBackend:
        if request.param == "postgresql":
            # A fresh schema per store (dropped afterwards), on the server
            # the event store's tests use (they fail, never skip, without one).
            from actors.eventbus._postgres import PostgresBackend
            from tests.eventstore.conftest import PgSchema

            schemas.append(PgSchema(request.getfixturevalue("pg_server")))
            backend: EventBusBackend = PostgresBackend(schemas[-1].url)
        elif request.param == "sqlite-file":
            backend = SqliteBackend(tmp_path / f"bus-{len(made)}.db")
        else:
            backend = SqliteBackend(":memory:")
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()
    for schema in schemas:
        schema.drop()


@pytest.fixture
def backend(backend_factory: Callable[[], EventBusBackend]) -> EventBusBackend:
    return backend_factory()


@pytest.fixture
def bus(actor_system, tmp_path: Path) -> Iterator[EventBus]:
    """A bus on a fresh SQLite file in ``actor_system`` (stopped afterwards)."""
    handle = EventBus.start(tmp_path / "bus.db", system=actor_system)
    yield handle
    handle.stop()


@pytest.fixture
def downs(bus: EventBus, actor_system) -> Iterator[Probe]:
    """A probe that receives every ListenerDown report as ``("down", report)``."""
    with Probe(actor_system) as probe:
        bus.on_listener_down(lambda report: probe.deliver(("down", report)))
        yield probe
