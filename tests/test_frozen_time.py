"""Waits keep real time when a test freezes the clock with freezegun."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from freezegun import freeze_time

import actors
from actors.testing import Probe


class Slow(actors.GenServer):
    runtime = "pooled"

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        threading.Event().wait(0.3)  # the work takes longer than the caller waits
        return request


def test_a_probe_wait_times_out_under_frozen_time(actor_system: actors.ActorSystem) -> None:
    probe = Probe(actor_system)

    with freeze_time("2026-01-01"), pytest.raises(AssertionError, match=r"within 0\.05s"):
        probe.expect("never", timeout=0.05)


def test_an_inline_call_past_its_timeout_fails_under_frozen_time(
    actor_system: actors.ActorSystem,
) -> None:
    ref = Slow.start()

    with freeze_time("2026-01-01"), pytest.raises(actors.CallError) as raised:
        actors.call(ref, "late", timeout=0.05)

    assert "timeout" == raised.value.reason
