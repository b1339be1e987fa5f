"""Acknowledged means durable: kill -9 a crash storm under an Auditor, and
every event it acknowledged is in the file."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from actors.audit import AuditLog

ROOT = Path(__file__).resolve().parent.parent
CRASH_STORM = ROOT / "tests" / "audit_helpers" / "crash_storm.py"


def read_commits(
    proc: subprocess.Popen[bytes], commits: int, events: int, timeout: float
) -> list[tuple[int, int]]:
    """Commit lines ``(count, last_seq)`` read from ``proc`` until at least
    ``commits`` of them acknowledged at least ``events`` events (or
    ``timeout`` real seconds passed, or the helper exited)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    buffer = b""
    seen: list[tuple[int, int]] = []
    while len(seen) < commits or seen[-1][1] < events:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        readable, _, _ = select.select([fd], [], [], remaining)
        if not readable:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break  # the helper exited
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            match line.split():
                case [b"commit", count, last]:
                    seen.append((int(count), int(last)))
    return seen


def test_every_acknowledged_event_survives_a_sigkill_in_a_crash_storm(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    stderr_path = tmp_path / "stderr.txt"
    with stderr_path.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, str(CRASH_STORM), str(path)],
            cwd=ROOT,
            # The same code as this test process, whatever is installed.
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            },
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        try:
            commits = read_commits(proc, commits=5, events=3000, timeout=60)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            assert proc.stdout is not None
            proc.stdout.close()

    assert len(commits) >= 5, stderr_path.read_text()
    assert commits[-1][1] >= 3000, stderr_path.read_text()
    assert -signal.SIGKILL == proc.returncode
    acknowledged = commits[-1][1]
    # Each commit line is one transaction, numbered right after the previous.
    assert acknowledged == sum(count for count, _ in commits)
    with AuditLog.open(path) as log:
        entries = log.entries()
        last_seq = log.last_seq()
    seqs = [seq for seq, _ in entries]
    assert last_seq >= acknowledged
    assert list(range(1, acknowledged + 1)) == seqs[:acknowledged]
    # Whatever else made it to disk is whole transactions: no gap, no tear.
    assert list(range(1, last_seq + 1)) == seqs
    # A crash storm: the worker starts, crashes and is restarted, over and over.
    storm = [e for _, e in entries[:acknowledged] if e.name == "crasher"]
    kinds = {e.event_type for e in storm}
    assert {"started", "crashed", "restarted"} == kinds
    crashes = [e for e in storm if e.event_type == "crashed"]
    assert {"RuntimeError: crash storm"} == {e.reason for e in crashes}
    assert len(crashes) > 500
