"""Serving the dashboard: uvicorn in a thread owned by an actor.

:func:`serve` attaches to a running system (in-process);
:func:`serve_files` reads an audit log and an event store file, read-only.
Either way a :class:`DashboardServer` actor owns the server: its ``init``
binds the socket and starts uvicorn's thread, its ``terminate`` stops the
server and joins the thread, so the dashboard stops with the system (or
its supervisor).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Sequence
from typing import Any, Final

import uvicorn

import actors
from actors.dashboard._app import create_app
from actors.dashboard._sources import FileSource, SystemSource

__all__ = ["DEFAULT_PORT", "Dashboard", "DashboardServer", "serve", "serve_files"]

logger = logging.getLogger("actors.dashboard")

DEFAULT_PORT: Final = 8765
STARTUP_TIMEOUT: Final = 10.0


class DashboardServer(actors.GenServer):
    """The actor that owns the web server (see the module docstring).

    ``init`` runs in the starting thread and returns once uvicorn listens;
    the server's own thread runs uvicorn's event loop; ``terminate`` (a stop,
    a shutdown of the system or of a supervisor) stops it.
    """

    component = "dashboard"

    def init(
        self,
        source: SystemSource | FileSource,
        pool: actors.ActorSystem,
        host: str,
        port: int,
        options: dict[str, Any],
    ) -> None:
        self.trap_exits = True
        self.source = source
        self.stopping = threading.Event()
        app = create_app(source, pool, stopping=self.stopping, **options)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        self.sock = sock
        self.host = host
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [sock]},
            name=f"dashboard-{self.port}",
            daemon=True,
        )
        self.thread.start()
        deadline = threading.Event()
        while not self.server.started and self.thread.is_alive():
            deadline.wait(0.01)
        if not self.server.started:
            sock.close()
            msg = f"the dashboard's web server did not start on {host}:{self.port}"
            raise RuntimeError(msg)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("address",):
                return self.host, self.port
        return super().handle_call(request, caller)

    def terminate(self, reason: Any) -> None:
        self.stopping.set()
        self.server.should_exit = True
        with actors.blocking():
            self.thread.join(10)
        self.sock.close()
        self.source.close()
        if self.thread.is_alive():
            logger.warning("dashboard on port %d did not stop within 10s", self.port)


class Dashboard:
    """A running dashboard: ``url``, ``port``, ``ref`` (its actor), ``stop()``."""

    def __init__(self, ref: actors.Ref[Any], host: str, port: int, owned: Any = None) -> None:
        self.ref = ref
        self.host = host
        self.port = port
        self._owned = owned

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def stop(self) -> None:
        """Stop the server (and, for :func:`serve_files`, its own system)."""
        if self.ref.is_alive():
            try:
                actors.stop(self.ref, "shutdown", timeout=15)
            except actors.CallError as exc:
                if exc.reason != actors.NOPROC:
                    raise
        if self._owned is not None:
            self._owned.shutdown()

    def __enter__(self) -> Dashboard:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<Dashboard {self.url}>"


def serve(
    system: actors.ActorSystem,
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    *,
    allow_actions: bool = False,
    stores: Sequence[Any] = (),
    interval: float = 1.0,
    name: Any = "actors_dashboard",
) -> Dashboard:
    """Serve a live dashboard of ``system`` (in this process) on
    ``host:port`` (``port=0``: any free port); returns once it listens.

    Args:
        host: 127.0.0.1 unless told otherwise (the page shows your
            system's internals; put it behind your own authentication
            before exposing it).
        allow_actions: enable the mutating actions (replay parked).
        stores: event stores to show (handles or names).
        interval: seconds between updates.
        name: the registered name of its actor.
    """
    source = SystemSource(system, stores)
    options = {"allow_actions": allow_actions, "interval": interval, "stores": tuple(stores)}
    try:
        ref = DashboardServer.start(source, system, host, port, options, name=name, system=system)
    except BaseException:
        source.close()
        raise
    bound_host, bound_port = actors.call(ref, ("address",))
    return Dashboard(ref, bound_host, bound_port)


def serve_files(
    *,
    audit: str | None = None,
    store: str | None = None,
    port: int = DEFAULT_PORT,
    host: str = "127.0.0.1",
    interval: float = 1.0,
) -> Dashboard:
    """Serve a read-only dashboard of an audit log and/or an event store
    file (the process that writes them may be running or gone). It runs in
    an actor system of its own, shut down by :meth:`Dashboard.stop`."""
    if audit is None and store is None:
        msg = "serve_files() needs an audit log (audit=) or an event store file (store=)"
        raise ValueError(msg)
    own = actors.ActorSystem("dashboard")
    try:
        source = FileSource(audit, store)
        options = {"allow_actions": False, "interval": interval}
        ref = DashboardServer.start(source, own, host, port, options, system=own)
        bound_host, bound_port = actors.call(ref, ("address",))
    except BaseException:
        own.shutdown()
        raise
    return Dashboard(ref, bound_host, bound_port, owned=own)
