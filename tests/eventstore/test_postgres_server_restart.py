"""A PostgreSQL server stopped mid-stream: its own server on a free port.

The test starts a private cluster (``initdb`` + ``pg_ctl`` as the
``postgres`` user, trust authentication), stops it with ``-m immediate``
(what a crash or a power cut of the server looks like to its clients)
while a store appends and another store's subscriber follows, and starts
it again: no acknowledged append is lost or doubled, the subscriber gets
every event once in order, and a server that stays down is a clear
``StoreUnavailable`` after ``reconnect_timeout``, never a hang.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import actors
from actors import eventstore as es
from actors.eventstore import EventData, EventStore, StoreUnavailable
from actors.testing import ANY, Probe

pytestmark = pytest.mark.slow

BIN = Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateServer:
    """A throwaway PostgreSQL cluster owned by the ``postgres`` user."""

    def __init__(self) -> None:
        missing = [tool for tool in ("initdb", "pg_ctl") if not (BIN / tool).exists()]
        if missing or shutil.which("runuser") is None or os.geteuid() != 0:
            pytest.fail(
                f"this test starts its own PostgreSQL server: it needs root, runuser and "
                f"{BIN}/initdb (apt-get install postgresql-15); missing: {missing or 'root'}",
                pytrace=False,
            )
        self.root = Path(tempfile.mkdtemp(prefix="actors-pg-"))
        shutil.chown(self.root, "postgres")
        self.data = self.root / "data"
        self.port = _free_port()
        self.url = f"postgresql://root@127.0.0.1:{self.port}/postgres"
        self._as_postgres(
            BIN / "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "root",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self.start()

    def _as_postgres(self, *args: Any) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, args)],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._as_postgres(
            BIN / "pg_ctl", "-D", self.data, "-o", options, "-l", self.root / "log", "-w", "start"
        )

    def crash(self) -> None:
        """Stop at once, as a crash would (clients see their connections drop)."""
        self._as_postgres(BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        try:
            self.crash()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def server() -> Iterator[PrivateServer]:
    import psycopg

    from actors.eventstore.postgres import apply_migrations

    made = PrivateServer()
    try:
        with psycopg.connect(made.url, autocommit=True) as conn:
            apply_migrations(conn, "actors", create=True)
        yield made
    finally:
        made.destroy()


@pytest.fixture
def actor_runtime() -> str:
    return "pooled"  # the server is what this is about, not the runtime


def test_a_server_crash_mid_stream_loses_no_acknowledged_append(
    server: PrivateServer, actor_system: actors.ActorSystem
):
    url = f"{server.url}?reconnect_timeout=30&poll_interval=0.2"
    acknowledged: list[str] = []
    progress = threading.Condition()
    stop = threading.Event()
    errors: list[BaseException] = []
    with (
        EventStore.open(url, system=actor_system, name="writer") as writer,
        EventStore.open(url, system=actor_system, name="reader") as reader,
        Probe(actor_system) as probe,
    ):
        es.read_and_stay_subscribed(reader, "orders", 0, probe)
        probe.expect(("caught_up",), 10.0)

        def append() -> None:
            try:
                while not stop.is_set():
                    event = EventData("Ordered", {"i": len(acknowledged)})
                    writer.append("orders", event)
                    with progress:
                        acknowledged.append(str(event.id))
                        progress.notify_all()
            except BaseException as exc:
                errors.append(exc)

        def wait_for(count: int) -> None:
            with progress:
                assert progress.wait_for(lambda: len(acknowledged) >= count or errors, 60.0)
            assert [] == errors

        thread = threading.Thread(target=append)
        thread.start()
        try:
            for round_ in range(2):
                wait_for(30 * (round_ + 1))
                server.crash()  # appends in flight lose their connections
                server.start()
            wait_for(len(acknowledged) + 30)
        finally:
            stop.set()
            thread.join()
        stored = [e.id for e in writer.read_stream("orders", 0, 100_000)]
        delivered: list[str] = []
        while len(delivered) < len(stored):
            delivered.append(probe.expect(("on_event", ANY), 30.0)[1].id)
        probe.refute(("on_event", ANY))

    assert acknowledged == stored  # none lost, none twice, in order
    assert stored == delivered  # the other store's subscriber: every event, once


def test_a_server_that_stays_down_is_a_clear_error_not_a_hang(
    server: PrivateServer, actor_system: actors.ActorSystem
):
    url = f"{server.url}?reconnect_timeout=1.5"
    with EventStore.open(url, system=actor_system) as store:
        store.append("orders", EventData("Ordered", {"i": 0}))
        server.crash()
        outcome: list[BaseException | None] = []

        def append() -> None:
            try:
                store.append("orders", EventData("Ordered", {"i": 1}))
                outcome.append(None)
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=append)
        thread.start()
        thread.join(timeout=20.0)
        hung = thread.is_alive()
        server.start()
        thread.join()
        # Once the server is back, the same store works again.
        after = store.append("orders", EventData("Ordered", {"i": 2}))

    assert not hung
    assert isinstance(outcome[0], StoreUnavailable)
    assert "unreachable" in str(outcome[0])
    assert "pg_isready" in str(outcome[0])
    assert 1 == after.position
