"""The Prometheus exporter: names, labels and values against the system's
own statistics, through a real HTTP scrape and prometheus-client's parser."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

import actors
import supervision as sv
from actors import gater, metrics, pubsub
from actors.eventstore import EventData, EventStore
from actors.pubsub import PubSubManager
from actors.testing import Probe


def scrape(url: str) -> dict[str, list[Any]]:
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def value(families: dict[str, list[Any]], name: str, **labels: str) -> float:
    found = [
        s.value
        for s in families[name.removesuffix("_total")]
        if labels.items() <= s.labels.items() and s.name == name
    ]
    assert len(found) == 1, f"{name} {labels}: {found}"
    return float(found[0])


class Crashy(actors.GenServer):
    def handle_cast(self, request: Any) -> None:
        raise RuntimeError("crash")


class Sink(actors.GenServer):
    def init(self, gate: Any) -> None:
        self.gate = gate
        pubsub.subscribe("ex_esdb_metrics", "cpu:*")

    def handle_info(self, message: Any) -> None:
        with actors.blocking():
            self.gate.wait(10)


def test_scrape_matches_the_systems_statistics(
    actor_system: actors.ActorSystem, tmp_path: Path, events: Probe
) -> None:
    import threading

    metrics.LifecycleCounters.of(actor_system)  # count from here on
    gater.start(actor_system, audit=str(tmp_path / "audit.db"), broadcasters=False)
    store = EventStore.open(str(tmp_path / "events.db"), system=actor_system, name="orders")
    store.create_persistent_subscription("orders-1", "billing")
    store.append("orders-1", [EventData("Placed", {"n": n}) for n in range(3)])
    tree = sv.Supervisor.start(
        [sv.child_spec("crashy", Crashy, name="crashy")], name="workers", system=actor_system
    )
    actors.cast("crashy", "boom", system=actor_system)
    while True:
        event = events.receive(5)
        if event.event_type == "restarted":
            break
    gate = threading.Event()
    Sink.start(gate, system=actor_system)
    for n in range(4):
        pubsub.broadcast("ex_esdb_metrics", f"cpu:node-{n}", ("cpu", n), system=actor_system)
    server = metrics.start_http_server(0, system=actor_system, stores=["orders"])
    try:
        families = scrape(f"http://127.0.0.1:{server.port}/metrics")
    finally:
        server.close()
        gate.set()
    node = actor_system.node
    stats = PubSubManager.of(actor_system).get("ex_esdb_metrics").statistics()  # type: ignore[union-attr]
    assert stats.published == value(
        families, "actors_pubsub_published_total", instance="ex_esdb_metrics", node=node
    )
    assert 4 == stats.published
    assert stats.delivered == value(
        families, "actors_pubsub_delivered_total", instance="ex_esdb_metrics"
    )
    assert 1 == value(families, "actors_pubsub_subscribers", instance="ex_esdb_metrics")
    assert 10 == len([s for s in families["actors_pubsub_published"] if s.name.endswith("_total")])
    assert 1 == value(families, "actors_supervisor_restarts_total", supervisor="workers")
    assert 1 == value(families, "actors_supervisor_crashes_total", supervisor="workers")
    assert 1 == value(families, "actors_lifecycle_events_total", event="crashed")
    assert 3 == value(families, "actors_eventstore_appended_total", store="orders")
    assert 3 == value(families, "actors_eventstore_group_lag", store="orders", group="billing")
    assert 0 == value(families, "actors_eventstore_group_parked", store="orders", group="billing")
    assert 0 <= value(families, "actors_audit_backlog")
    live = actor_system.statistics().actors
    assert abs(live - value(families, "actors_processes")) <= 1  # the scrape itself is no actor
    depth = families["actors_mailbox_depth"]
    infinite = [s for s in depth if s.labels.get("le") == "+Inf"]
    assert 1 == len(infinite)
    assert infinite[0].value >= 1
    # The sink holds 3 undelivered-to-handler messages: at least one actor has depth >= 1.
    zero = next(s for s in depth if s.labels.get("le") == "0").value
    assert zero < infinite[0].value
    # Low-cardinality labels only: never a topic, stream or actor id.
    allowed = {"node", "instance", "supervisor", "event", "store", "group", "le"}
    for name, samples in families.items():
        assert name.startswith("actors_")
        for sample in samples:
            assert set(sample.labels) <= allowed, (name, sample.labels)
            assert not any("cpu:" in v or "urn:uuid" in v for v in sample.labels.values())
    assert tree.is_alive()
    store.close()


def test_readiness(actor_system: actors.ActorSystem, tmp_path: Path) -> None:
    assert metrics.alive(actor_system)
    assert {"system": True, "gater": False, "auditor": False} == metrics.readiness(actor_system)
    gater.start(actor_system, audit=str(tmp_path / "audit.db"), broadcasters=False)
    assert {"system": True, "gater": True, "auditor": True, "store:orders": False} == (
        metrics.readiness(actor_system, ["orders"])
    )
    with EventStore.open(":memory:", system=actor_system, name="orders"):
        assert all(metrics.readiness(actor_system, ["orders"]).values())


def test_supervisor_labels_stay_low_cardinality() -> None:
    assert "workers" == metrics.supervisor_label("workers")
    assert "unnamed" == metrics.supervisor_label("urn:uuid:1234")
    assert "none" == metrics.supervisor_label(None)


@pytest.mark.slow
def test_multiprocess_mode_sums_the_processes(tmp_path: Path) -> None:
    """Two OS processes, each with its own actor system, write their values;
    a third reads them all, as a scrape in multiprocess mode does."""
    directory = tmp_path / "prom"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    worker = textwrap.dedent(
        """
        import sys, actors
        from actors import metrics, pubsub
        from actors.pubsub import PubSubManager
        n = int(sys.argv[1])
        with actors.ActorSystem("w", node="worker") as system:
            PubSubManager.of(system).ensure("ex_esdb_health")
            for _ in range(n):
                pubsub.broadcast("ex_esdb_health", "t", 1, system=system)
            exporter = metrics.MultiprocessExporter.of(system)  # copies once at start
            assert exporter is metrics.MultiprocessExporter.of(system)
            for _ in range(n):
                pubsub.broadcast("ex_esdb_health", "t", 1, system=system)
            exporter.refresh()  # copies what grew since: n more
        """
    )
    for n in (3, 5):
        subprocess.run([sys.executable, "-c", worker, str(n)], env=env, check=True, timeout=60)
    reader = textwrap.dedent(
        """
        from prometheus_client import CollectorRegistry, generate_latest, multiprocess
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        print(generate_latest(registry).decode())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", reader],
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout
    families = {f.name: f.samples for f in text_string_to_metric_families(out)}
    published = [
        s.value
        for s in families["actors_pubsub_published"]
        if s.name == "actors_pubsub_published_total" and s.labels["instance"] == "ex_esdb_health"
    ]
    # 2n broadcasts in each process, each counted once, summed across processes.
    assert [2 * 3 + 2 * 5] == published
