"""A crash storm under an Auditor, for the SIGKILL durability test.

    python tests/audit_helpers/crash_storm.py AUDIT_FILE

Starts an actor system, an Auditor on AUDIT_FILE fed by the system's
lifecycle events, and a supervisor whose worker crashes as soon as it
starts, forever. Prints ``commit <count> <last_seq>`` for every batch the
auditor acknowledges (after COMMIT), flushing stdout, and runs until killed.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

import actors
import supervision as sv
from actors.audit import Auditor, attach


class Crasher(actors.GenServer):
    """Crashes right after every start."""

    def init(self) -> None:
        actors.send(self.ref, ("crash",))

    def handle_info(self, message: Any) -> None:
        raise RuntimeError("crash storm")


def report(count: int, last_seq: int) -> None:
    """Runs in the auditor's thread, right after each commit."""
    sys.stdout.write(f"commit {count} {last_seq}\n")
    sys.stdout.flush()


def main(path: str) -> None:
    # Every crash and restart is logged; the storm would drown stderr.
    logging.disable(logging.CRITICAL)
    system = actors.ActorSystem("crash-storm")
    auditor = Auditor.start(path, name="auditor", on_commit=report, system=system)
    attach(system, auditor)
    sv.Supervisor.start(
        [sv.child_spec("crasher", Crasher, name="crasher")],
        max_restarts=1_000_000_000,
        max_seconds=1,
        name="storm",
        system=system,
    )
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    threading.Event().wait()  # until SIGKILL


if __name__ == "__main__":
    main(sys.argv[1])
