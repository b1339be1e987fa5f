"""Serve the live dashboard beside your own application, then read it.

    python examples/dashboard_in_process.py          # serves for 2 s and exits
    python examples/dashboard_in_process.py --serve  # until Ctrl-C: open the URL

Needs the web extra: pip install 'actors-otp[web]'.
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.request
from typing import Any

import actors
import supervision as sv
from actors import dashboard, gater, pubsub


class Heartbeat(actors.GenServer):
    def init(self) -> None:
        actors.send_after(self.ref, ("beat",), 0.1)

    def handle_info(self, message: Any) -> None:
        pubsub.broadcast("ex_esdb_health", "cluster:health", ("heartbeat",))
        actors.send_after(self.ref, ("beat",), 0.1)


if __name__ == "__main__":
    with actors.ActorSystem("shop") as system:
        gater.start(system, audit=False, broadcasters=False)
        sv.Supervisor.start([sv.child_spec("beat", Heartbeat)], name="app")
        board = dashboard.serve(system, port=0)  # 127.0.0.1, actions off
        print(f"dashboard: {board.url}")
        if "--serve" in sys.argv:
            threading.Event().wait()
        threading.Event().wait(2)
        with urllib.request.urlopen(board.url + "api/snapshot", timeout=10) as response:
            snapshot = json.load(response)
        health = next(row for row in snapshot["pubsub"] if row["name"] == "ex_esdb_health")
        print(f"trees: {[tree['name'] for tree in snapshot['trees']]}")
        print(f"ex_esdb_health published {health['published']} heartbeats")
