"""Serving the metrics: a registry per system, an HTTP server, an ASGI app."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import prometheus_client
from prometheus_client import CollectorRegistry, multiprocess

import actors
from actors.lowlevel import resolve_system
from actors.metrics._collector import ActorsCollector, MultiprocessExporter, multiprocess_mode

__all__ = ["MetricsServer", "registry_for", "start_http_server"]


def registry_for(
    system: actors.ActorSystem | None = None,
    stores: Sequence[Any] = (),
    *,
    interval: float = 5.0,
) -> CollectorRegistry:
    """A registry whose scrape reports ``system``: its own collector in one
    process; in multiprocess mode, the files of every process (this
    system's values are written there every ``interval`` seconds)."""
    owner = resolve_system(system)
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_mode():
        MultiprocessExporter.of(owner, stores, interval=interval)
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(ActorsCollector(owner, stores))
    return registry


class MetricsServer:
    """The HTTP server of :func:`start_http_server`; :meth:`close` stops it."""

    def __init__(self, server: Any, thread: threading.Thread) -> None:
        self.server = server
        self.thread = thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def start_http_server(
    port: int,
    addr: str = "127.0.0.1",
    *,
    system: actors.ActorSystem | None = None,
    stores: Sequence[Any] = (),
) -> MetricsServer:
    """Serve ``/metrics`` for ``system`` on ``addr:port`` (``port=0``: any
    free port, see ``.port``) in a thread of prometheus-client's; binds to
    127.0.0.1 unless told otherwise."""
    registry = registry_for(system, stores)
    server, thread = prometheus_client.start_http_server(port, addr, registry=registry)
    return MetricsServer(server, thread)
