"""Publish audit events from a script that never shuts its system down itself.

    python tests/audit_helpers/publish_then_exit.py AUDIT_FILE COUNT

Starts the gater tree on the default actor system (the one scripts use), publishes
COUNT audit events on ``ex_esdb_audit``, prints ``published <COUNT>`` and returns:
the interpreter's exit shuts the default system down (an ``atexit`` hook), and
that shutdown alone must commit every event.
"""

from __future__ import annotations

import logging
import sys

import actors
from actors import gater, pubsub
from actors.pubsub import instances


def main(path: str, count: int) -> None:
    logging.disable(logging.CRITICAL)
    system = actors.default_system()
    gater.start(system, audit=path, broadcasters=False)
    for i in range(count):
        result = pubsub.broadcast(instances.AUDIT, "audit_trail:orders", ("order_note", {"i": i}))
        if not result:
            raise SystemExit(f"broadcast {i} failed: {result!r}")
    print(f"published {count}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
