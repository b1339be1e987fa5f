"""The dashboard's HTTP surface: snapshot, event stream, actions off by
default, metrics and health, the read-only file mode."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import actors
from actors import dashboard, pubsub
from actors.eventstore import EventStore
from actors.testing import ANY, Probe


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def post(url: str, body: Any) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_snapshot_shows_the_system(app_system: Any) -> None:
    system, store = app_system
    with dashboard.serve(system, port=0, stores=["orders"]) as board:
        assert board.url.startswith("http://127.0.0.1:")
        status, body = get(board.url + "api/snapshot")
    snap = json.loads(body)
    assert 200 == status
    assert {"app", "ex_esdb_gater"} <= {tree["name"] for tree in snap["trees"]}
    app = next(tree for tree in snap["trees"] if tree["name"] == "app")
    assert {"max_restarts": 3, "max_seconds": 5.0, "recent": 0, "headroom": 3} == app["intensity"]
    assert ["ticker", "listener"] == [child["id"] for child in app["children"]]
    assert 10 == len(snap["pubsub"])
    group = store.persistent_subscription_info("orders-1", "billing")
    assert [
        {
            "stream": "orders-1",
            "group": "billing",
            "lag": group.lag,
            "in_flight": group.in_flight,
            "waiting": group.waiting,
            "parked": 1,
            "consumers": group.consumers,
        }
    ] == snap["stores"][0]["groups"]
    assert ["orders-1"] == [s["stream"] for s in snap["stores"][0]["streams"]]
    # The tail starts when the dashboard does: its own start is the first event.
    assert ("started", "actors_dashboard") == (
        snap["lifecycle"][0]["type"],
        snap["lifecycle"][0]["name"],
    )
    assert system.name == snap["system"]


def test_the_snapshot_counts_the_messages_each_process_handled(app_system: Any) -> None:
    system, _ = app_system
    with dashboard.serve(system, port=0) as board, Probe(system) as watcher:
        before = _row(json.loads(get(board.url + "api/snapshot")[1]), "ticker")
        # Subscribed after the first snapshot: the first tick seen was broadcast
        # by a turn counted later, and the second tick's turn began after it ended.
        pubsub.subscribe("ex_esdb_health", "cluster:health", watcher, system=system)
        watcher.expect(("tick", ANY), 5)
        watcher.expect(("tick", ANY), 5)
        after = _row(json.loads(get(board.url + "api/snapshot")[1]), "ticker")

    assert isinstance(before["handled"], int)
    assert after["handled"] >= before["handled"] + 1


def _row(snap: dict[str, Any], name: str) -> dict[str, Any]:
    return next(row for row in snap["processes"] if row["name"] == name)


def test_replay_is_refused_unless_allowed(app_system: Any) -> None:
    system, store = app_system
    body = {"store": "orders", "stream": "orders-1", "group": "billing"}
    with dashboard.serve(system, port=0, stores=["orders"]) as board:
        assert (403, {"error": "actions are off: start the dashboard with --allow-actions"}) == (
            post(board.url + "api/replay-parked", body)
        )
    assert 1 == store.persistent_subscription_info("orders-1", "billing").parked
    with dashboard.serve(system, port=0, stores=["orders"], allow_actions=True) as board:
        assert (400, {"error": "give a JSON object with store, stream and group"}) == post(
            board.url + "api/replay-parked", {"store": "orders"}
        )
        status, answer = post(board.url + "api/replay-parked", {**body, "store": "other"})
        assert (404, "LookupError: no event store 'other' is shown here") == (
            status,
            answer["error"],
        )
        assert (200, {"replayed": 1}) == post(board.url + "api/replay-parked", body)
    assert 0 == store.persistent_subscription_info("orders-1", "billing").parked


def test_event_stream_sends_snapshots(app_system: Any) -> None:
    system, _ = app_system
    with (
        dashboard.serve(system, port=0, interval=0.05) as board,
        urllib.request.urlopen(board.url + "events", timeout=10) as stream,
    ):
        assert "text/event-stream" in stream.headers["content-type"]
        assert b"retry: 2000\n" == stream.readline()
        assert b"\n" == stream.readline()
        assert b"event: snapshot\n" == stream.readline()
        data = stream.readline()
    assert data.startswith(b"data: ")
    assert system.name == json.loads(data[len(b"data: ") :])["system"]


def test_metrics_alive_ready(app_system: Any) -> None:
    system, _ = app_system
    with dashboard.serve(system, port=0, stores=["orders"]) as board:
        status, body = get(board.url + "metrics")
        assert 200 == status
        assert b'actors_pubsub_published_total{instance="ex_esdb_health"' in body
        status, body = get(board.url + "alive")
        assert (200, {"alive": True}) == (status, json.loads(body))
        status, body = get(board.url + "ready")
        assert (200, True) == (status, json.loads(body)["ready"])
    with dashboard.serve(system, port=0, stores=["nowhere"]) as board:
        status, body = get(board.url + "ready")
    assert 503 == status
    assert {"system": True, "gater": True, "auditor": True, "store:nowhere": False} == (
        json.loads(body)["checks"]
    )


def test_it_stops_with_the_system(actor_system_factory: Any) -> None:
    system = actor_system_factory()
    board = dashboard.serve(system, port=0)
    assert 200 == get(board.url + "alive")[0]
    assert system.shutdown(timeout=20)
    with pytest.raises(OSError):
        urllib.request.urlopen(board.url + "alive", timeout=2)


def test_file_mode_is_read_only(app_system: Any, tmp_path: Path) -> None:
    _, store = app_system
    with dashboard.serve_files(
        audit=str(tmp_path / "audit.db"), store=str(tmp_path / "events.db"), port=0
    ) as board:
        status, body = get(board.url + "api/snapshot")
        snap = json.loads(body)
        assert (200, "files") == (status, snap["mode"])
        assert 1 == snap["stores"][0]["groups"][0]["parked"]
        status, reply = post(
            board.url + "api/replay-parked", {"store": "x", "stream": "y", "group": "z"}
        )
        assert (403, "actions are off: start the dashboard with --allow-actions") == (
            status,
            reply["error"],
        )
        assert 404 == get(board.url + "metrics")[0]
        assert 503 == get(board.url + "ready")[0]
    with pytest.raises(ValueError, match="needs an audit log"):
        dashboard.serve_files()
    assert isinstance(store, EventStore)


def test_a_taken_port_is_a_clear_error(app_system: Any) -> None:
    system, _ = app_system
    with (
        dashboard.serve(system, port=0) as board,
        pytest.raises(actors.StartError, match="Address already in use"),
    ):
        dashboard.serve(system, port=board.port, name="second")
