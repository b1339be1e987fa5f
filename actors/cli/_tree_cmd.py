"""``actors tree``: the supervision tree of the demo application.

Starts the demo app in a throw-away actor system (no audit file), optionally
lets its traffic and chaos run for ``--after`` seconds, prints every
supervisor and worker with its state and restart count, and stops it.
"""

from __future__ import annotations

import threading
from typing import TextIO

import actors
import supervision as sv
from actors.cli._app import start_app
from actors.cli._demo import DEMO_CONFIG, logs_to_pubsub, quiet_logs

__all__ = ["run_tree"]


def run_tree(*, after: float, out: TextIO) -> int:
    with (
        quiet_logs(),
        actors.ActorSystem("tree", config=DEMO_CONFIG) as system,
        logs_to_pubsub(system),
    ):
        top = start_app(system, audit=False, traffic=after > 0, burst_at=max(0.5, after / 2))
        if after > 0:
            threading.Event().wait(after)
        print(sv.format_tree(sv.tree(top)), file=out)
    return 0
