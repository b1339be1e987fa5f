"""Every test that uses ``actor_system`` runs against both runtimes (issue #4).

Hypothesis runs under one of two profiles, chosen by ``HYPOTHESIS_PROFILE``:

* ``default`` (the normal run): 20 examples per property, no deadline (shared
  machines stall), fresh random examples on every run. The catalogue's
  properties are parametrized over its 36 classes, so each still sees
  hundreds of messages per run.
* ``fuzz``: 10,000 examples per property, for the verifier's fuzz test, which
  CI runs as a step of its own::

      HYPOTHESIS_PROFILE=fuzz .venv/bin/python -m pytest -q tests/test_messages_fuzz.py
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator

import pytest
from hypothesis import HealthCheck, settings

import actors
from actors.testing import Probe

pytest_plugins = ["pytester", "tests.otel_fixtures"]

settings.register_profile("default", max_examples=20, deadline=None, derandomize=False)
settings.register_profile(
    "fuzz",
    max_examples=10_000,
    deadline=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Escape lone surrogates in a report's captured output.

    The bad-input tests log crash reasons decoded with ``surrogateescape``;
    pytest-xdist sends each report to the controller as UTF-8, which a lone
    surrogate cannot be, and the whole run would stop with an internal error.
    """
    report = yield
    report.sections = [
        (title, text.encode("utf-8", "backslashreplace").decode("utf-8"))
        for title, text in report.sections
    ]
    return report


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
