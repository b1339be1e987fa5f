"""pytest fixtures for code built on ``actors`` (registered as a pytest plugin).

* ``actor_system``: a fresh :class:`~actors.ActorSystem` per test, shut down
  afterwards; the test fails if it could not be shut down cleanly or if any
  thread it started is still alive.
* ``actor_system_factory``: make several systems (e.g. with a
  :class:`~actors.ManualClock`); each gets the same checks.
* ``actor_runtime``: the default runtime of those systems (``"pooled"``);
  override it, e.g. parametrized over ``["pooled", "thread"]``, to run a
  suite against both runtimes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from actors._current import using_system
from actors._system import ActorSystem
from actors.testing._leaks import ThreadWatch

__all__ = ["actor_runtime", "actor_system", "actor_system_factory"]

_numbers = itertools.count(1)


@pytest.fixture
def actor_runtime() -> str:
    """Default runtime of systems made by ``actor_system``; override to change."""
    return "pooled"


@pytest.fixture
def actor_system_factory(actor_runtime: str) -> Iterator[Callable[..., ActorSystem]]:
    """Make actor systems that are shut down and leak-checked after the test."""
    watch = ThreadWatch()
    made: list[ActorSystem] = []

    def make(**kwargs: Any) -> ActorSystem:
        kwargs.setdefault("runtime", actor_runtime)
        kwargs.setdefault("name", f"test-{next(_numbers)}")
        system = ActorSystem(**kwargs)
        made.append(system)
        return system

    yield make

    problems = [
        f"actor system {system.name!r} did not shut down cleanly (actors had to be killed)"
        for system in made
        if not system.shutdown(timeout=10.0)
    ]
    leaked = watch.leaked()
    if leaked:
        names = ", ".join(sorted(t.name for t in leaked))
        problems.append(f"threads still alive after the test: {names}")
    if problems:
        pytest.fail("; ".join(problems), pytrace=False)


@pytest.fixture
def actor_system(actor_system_factory: Callable[..., ActorSystem]) -> Iterator[ActorSystem]:
    """A fresh actor system for this test (see the module docstring). It is
    the current system while the test runs, so ``actors.call("name", ...)``
    without ``system=`` looks it up there."""
    with using_system(actor_system_factory()) as system:
        yield system
