"""A live web dashboard for an actor system (``pip install 'actors-otp[web]'``).

``dashboard.serve(system, port=...)`` attaches to a running system in this
process; ``dashboard.serve_files(audit=..., store=...)`` reads an audit log
and an event store file read-only; ``actors dashboard`` runs either from
the command line (``--demo`` beside the demo application). One page, live
over Server-Sent Events: supervision trees (states, restarts, intensity
headroom), processes by mailbox depth, the pub/sub instances' rates,
event store groups (lag, in flight, parked, with a replay action that is
off unless ``allow_actions=True``), the lifecycle tail with filters, and
the nodes. ``/metrics``, ``/alive`` and ``/ready`` are served beside it.
Binds to 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

from actors.dashboard._app import create_app
from actors.dashboard._server import DEFAULT_PORT, Dashboard, DashboardServer, serve, serve_files
from actors.dashboard._sources import FileSource, LifecycleTail, SystemSource

__all__ = [
    "DEFAULT_PORT",
    "Dashboard",
    "DashboardServer",
    "FileSource",
    "LifecycleTail",
    "SystemSource",
    "create_app",
    "serve",
    "serve_files",
]
