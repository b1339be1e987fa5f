"""Every test that uses ``actor_system`` runs against both runtimes (issue #4)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

import actors
from actors.testing import Probe

pytest_plugins = ["pytester"]


@pytest.fixture(params=["pooled", "thread"])
def actor_runtime(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> actors.ManualClock:
    return actors.ManualClock()


@pytest.fixture
def manual_system(
    actor_system_factory: Callable[..., actors.ActorSystem], clock: actors.ManualClock
) -> actors.ActorSystem:
    """A system on a manual clock: timers fire only when the test advances it."""
    return actor_system_factory(clock=clock)


@pytest.fixture
def probe(actor_system: actors.ActorSystem) -> Iterator[Probe]:
    with Probe(actor_system) as p:
        yield p


@pytest.fixture
def events(actor_system: actors.ActorSystem) -> Probe:
    """A probe that receives every lifecycle event of ``actor_system``."""
    p = Probe(actor_system)
    actor_system.add_lifecycle_listener(p.deliver)
    return p
