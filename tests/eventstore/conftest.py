"""Fixtures of the event store tests.

``backend_factory`` is the one place a backend is chosen: every contract
test runs against each of its params. A backend that stores its data
elsewhere (PostgreSQL) adds its param here and must pass the same suite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from actors.eventstore import Backend, EventData, NewEvent, SqliteBackend, encode_event

BackendFactory = Callable[[], Backend]


@pytest.fixture(params=["sqlite-file", "sqlite-memory"])
def backend_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackendFactory]:
    """Opens backends on one storage; each call opens another handle on the
    same data where the backend is durable (all are closed afterwards)."""
    opened: list[Backend] = []
    memory: list[Backend] = []

    def make() -> Backend:
        if request.param == "sqlite-memory":
            if not memory:
                memory.append(SqliteBackend(":memory:"))
                opened.append(memory[0])
            return memory[0]
        backend = SqliteBackend(tmp_path / "store.db")
        opened.append(backend)
        return backend

    yield make
    for backend in opened:
        backend.close()


@pytest.fixture
def backend(backend_factory: BackendFactory) -> Backend:
    return backend_factory()


@pytest.fixture(params=["sqlite-file"])
def durable_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., Backend]]:
    """Opens backends on durable storage: closing and reopening keeps the data."""
    opened: list[Backend] = []

    def make(**options: object) -> Backend:
        backend = SqliteBackend(tmp_path / "store.db", **options)  # type: ignore[arg-type]
        opened.append(backend)
        return backend

    yield make
    for backend in opened:
        backend.close()


T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new(event_type: str = "Happened", data: object = None, **kw: object) -> NewEvent:
    return encode_event(EventData(event_type, {"n": 0} if data is None else data, **kw))


def batch(n: int, event_type: str = "Happened", start: int = 0) -> list[NewEvent]:
    return [encode_event(EventData(event_type, {"n": start + i})) for i in range(n)]


def advance_past_timers(system: object, clock: object, seconds: float) -> None:
    """Advance a manual clock and return once every timer due by then has
    fired: a marker timer scheduled last fires last (same deadline, later id)."""
    import actors
    from actors.testing import Probe

    with Probe(system) as marker:  # type: ignore[arg-type]
        actors.send_after(marker, "fired", seconds, system=system)  # type: ignore[arg-type]
        clock.advance(seconds)  # type: ignore[attr-defined]
        marker.expect("fired")
