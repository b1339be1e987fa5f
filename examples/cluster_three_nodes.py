"""A three-node cluster on one machine: three processes joined through Redis.

    python examples/cluster_three_nodes.py [redis://127.0.0.1:6379/0]

``orders`` (this process) starts ``billing`` and ``shipping`` as two more
processes. Every node runs the gater tree, whose health broadcaster
publishes each node's health on ``ex_esdb_health``; the health dashboard
on ``orders`` shows every node and the whole cluster's health, then
``orders`` calls the ``ledger`` actor on ``billing`` (a remote call).
Without a Redis at the URL the example starts its own ``redis-server``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

import actors
from actors import gater, pubsub
from actors.gater import instances

HOST = socket.gethostname().split(".")[0]
NODES = [f"orders@{HOST}", f"billing@{HOST}", f"shipping@{HOST}"]
CONFIG = {"health_broadcast_interval": 0.5}


class Ledger(actors.GenServer):
    """The remote service on ``billing``."""

    def init(self) -> None:
        self.balances = {"acme": 1250, "globex": 90}

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("balance", customer):
                return (actors.node(), self.balances.get(customer, 0))
        return super().handle_call(request, caller)


class HealthDashboard(actors.GenServer):
    """Keeps the latest health of every node and of the cluster."""

    def init(self, complete: threading.Event) -> None:
        pubsub.subscribe(instances.HEALTH, "cluster:health")
        self.complete = complete
        self.nodes: dict[str, str] = {}
        self.cluster: Any = None

    def handle_info(self, message: Any) -> None:
        match message:
            case ("node_health_updated", health):
                self.nodes[health.node] = health.status
            case ("cluster_health_updated", health):
                self.cluster = health
        if (
            len(self.nodes) == len(NODES)
            and self.cluster is not None
            and self.cluster.total_nodes == len(NODES)
            and self.cluster.healthy_nodes == len(NODES)
        ):
            self.complete.set()

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        return dict(self.nodes), self.cluster


def run_node(node: str, url: str) -> None:
    """``billing`` and ``shipping``: a gater tree (and the ledger), until stdin closes."""
    with actors.ActorSystem(node.split("@")[0], node=node, cluster=url, config=CONFIG) as system:
        gater.start(system, audit=False)
        if node.startswith("billing"):
            Ledger.start(name="ledger")
        print("ready", flush=True)
        sys.stdin.read()


def redis_url() -> tuple[str, subprocess.Popen[bytes] | None]:
    """The URL given, else a Redis on 6379 if one answers, else one of our own."""
    import redis

    if len(sys.argv) > 1:
        return sys.argv[1], None
    try:
        redis.Redis(socket_connect_timeout=0.5).ping()
        return "redis://127.0.0.1:6379/0", None
    except redis.ConnectionError:
        pass
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("no Redis at 127.0.0.1:6379 and no redis-server to start")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    directory = tempfile.mkdtemp()
    process = subprocess.Popen(
        [server, "--port", str(port), "--save", "", "--dir", directory],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)  # the server is starting
    return f"redis://127.0.0.1:{port}/0", process


def main() -> None:
    url, own_redis = redis_url()
    # A namespace of this run, so that other clusters on the same Redis are untouched.
    url += ("&" if "?" in url else "?") + f"namespace=example-{os.getpid()}"
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "--node", node, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        for node in NODES[1:]
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert b"ready" in child.stdout.readline()
        with actors.ActorSystem("orders", node=NODES[0], cluster=url, config=CONFIG) as system:
            gater.start(system, audit=False)
            complete = threading.Event()
            dashboard = HealthDashboard.start(complete, name="dashboard")
            print(f"{NODES[0]} sees {', '.join(actors.nodes())}")
            if not complete.wait(60):
                raise SystemExit("the dashboard never saw three healthy nodes")
            nodes, cluster = actors.call(dashboard, ("table",))
            print("health dashboard on", NODES[0])
            for node in NODES:
                print(f"  {node:<24} {nodes[node]}")
            print(
                f"  cluster: {cluster.status}, {cluster.healthy_nodes}/{cluster.total_nodes} "
                f"healthy, quorum {cluster.quorum_status}"
            )
            where, balance = actors.call(("ledger", NODES[1]), ("balance", "acme"), timeout=10)
            print(f"remote call: ledger on {where} says acme owes {balance}")
    finally:
        for child in children:
            if child.stdin is not None:
                child.stdin.close()
        for child in children:
            child.wait(30)
        if own_redis is not None:
            own_redis.terminate()
            own_redis.wait(10)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--node":
        run_node(sys.argv[2], sys.argv[3])
    else:
        main()
