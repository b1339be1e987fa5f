"""Real redis-server processes and real node processes for the cluster tests.

Every wait here has a deadline and polls only what it must (Redis answering
PING, a line on a child's stdout); nothing sleeps a fixed time.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import redis

TEST_SECRET = "cluster-test-secret-" + "x" * 60
"""At least 64 bytes: signing refuses shorter secrets."""

REDIS_SERVER = shutil.which("redis-server") or "redis-server"
ROOT = Path(__file__).resolve().parents[2]

# Generous for a loaded two-core machine: a node is declared down after 3 s
# without a heartbeat, heartbeats every 0.2 s.
FAST = {"heartbeat_interval": 0.2, "heartbeat_timeout": 3.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cluster_url(port: int, **settings: Any) -> str:
    values = {**FAST, **settings}
    query = "&".join(f"{k}={v}" for k, v in values.items())
    return f"redis://127.0.0.1:{port}/0?{query}"


class RedisServer:
    """A redis-server of the test's own, configured as production would run
    the durable class: every acknowledged write is in the append-only file
    (``appendfsync always``) and survives a restart."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> RedisServer:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    if client.ping():
                        return self
                except (redis.ConnectionError, redis.TimeoutError):
                    pass
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.directory / "redis.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"redis-server did not start on {self.port}: {log}")
                time.sleep(0.02)  # polling a server that is starting
        finally:
            client.close()

    def stop(self, timeout: float = 20.0) -> None:
        process = self.process
        if process is None:
            return
        self.process = None
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)

    def url(self, **settings: Any) -> str:
        return cluster_url(self.port, **settings)


class NodeProcess:
    """A node in its own OS process (``tests/cluster/node_main.py``).

    Its stdout lines are collected in a queue; :meth:`expect_line` waits for
    one that starts with a prefix.
    """

    def __init__(self, node: str, url: str, *extra: str) -> None:
        self.node = node
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env["SECRET_KEY_BASE"] = env.get("SECRET_KEY_BASE", TEST_SECRET)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.cluster.node_main", node, url, *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=str(ROOT),
            env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._err_reader = threading.Thread(target=self._read_errors, daemon=True)
        self._err_reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.put(raw.decode(errors="replace").rstrip("\n"))
        self.lines.put("<eof>")

    def _read_errors(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self.errors.append(raw.decode(errors="replace").rstrip("\n"))

    def expect_line(self, prefix: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                tail = "\n".join(self.errors[-30:])
                raise AssertionError(f"{self.node}: no line starting {prefix!r}; stderr:\n{tail}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line.startswith(prefix):
                return line
            if line == "<eof>":
                tail = "\n".join(self.errors[-30:])
                raise AssertionError(f"{self.node} exited before {prefix!r}; stderr:\n{tail}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(20)

    def stop(self, timeout: float = 30.0) -> None:
        """Close stdin: the node shuts its system down and exits."""
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self._reader.join(5)
        self._err_reader.join(5)
