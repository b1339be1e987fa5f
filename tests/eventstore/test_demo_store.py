"""The event store part of ``actors demo``."""

from __future__ import annotations

import io

import actors
from actors import pubsub
from actors.cli._demo_store import print_store_summary, start_store_demo, store_summary
from actors.gater import instances
from actors.gater import start as start_gater
from actors.testing import ANY, Probe


def test_the_store_demo_projects_and_fulfils_with_a_crashing_and_a_nacking_packer(
    actor_system: actors.ActorSystem, events: Probe, probe: Probe
):
    start_gater(actor_system, audit=False, broadcasters=False)
    pubsub.subscribe(instances.EVENTS, "event_stream:*", probe)

    counts = start_store_demo(actor_system, tick=0.01)

    probe.expect(("event_appended", ANY), timeout=5)
    events.expect(lambda e: e.event_type == "restarted" and e.child_id == "packer-2", timeout=30)
    summary = store_summary(actor_system, counts)
    assert summary is not None
    assert summary.events > 0
    assert {"acked"} <= set(summary.packers["packer-1"])
    assert 1 <= summary.packers["packer-2"]["crashed"]
    assert set(summary.statuses) <= {"OrderPlaced", "OrderPaid"}
    out = io.StringIO()
    print_store_summary(out, summary)
    assert "packer-2      crashes  " in out.getvalue()
    assert "group 'fulfilment'" in out.getvalue()
