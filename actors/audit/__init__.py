"""The durable lifecycle audit log: every start, stop, crash and restart, on disk.

An :class:`Auditor` actor writes lifecycle events (and generic audit-instance
events) in batches to an audit store: :class:`SqliteAuditStore` by default,
one SQLite file in WAL mode, or :class:`InMemoryAuditStore` in tests.
:class:`AuditLog` reads a file back: filtered queries and summaries (restart
counts, crash reasons, uptime), for Python code and the ``actors audit``
command::

    with actors.ActorSystem() as system:
        # listen=True: every lifecycle event of the system goes to the auditor
        auditor = Auditor.start("audit.db", listen=True, name="auditor", system=system)
        ...

    with AuditLog.open("audit.db") as log:
        print(log.query(event_type="crashed", latest=True, limit=10))
"""

from __future__ import annotations

from actors.audit._auditor import (
    DEFAULT_MAILBOX_LIMIT,
    DEFAULT_PATH,
    LIFECYCLE_TAG,
    PATH_CONFIG_KEY,
    Auditor,
    AuditorStats,
    attach,
    flush,
    move_aside,
    run_id_of,
    stats,
)
from actors.audit._encode import encode_payload
from actors.audit._errors import KINDS, AuditStoreError, AuditWriteError
from actors.audit._query import (
    MIN_READABLE_VERSION,
    AuditLog,
    AuditRun,
    LoggedEvent,
    Uptime,
    known_event_types,
)
from actors.audit._records import AuditEvent, AuditRecord
from actors.audit._sanitize import (
    MAX_DEPTH,
    MAX_PAYLOAD_CHARS,
    MAX_TEXT_CHARS,
    TRUNCATED_KEY,
    bounded_payload,
    escape_text,
)
from actors.audit._schema import MIGRATIONS, SCHEMA_VERSION, Migration
from actors.audit._store import (
    AuditStore,
    InMemoryAuditStore,
    RunAwareStore,
    SqliteAuditStore,
)

__all__ = [
    "DEFAULT_MAILBOX_LIMIT",
    "DEFAULT_PATH",
    "KINDS",
    "LIFECYCLE_TAG",
    "MAX_DEPTH",
    "MAX_PAYLOAD_CHARS",
    "MAX_TEXT_CHARS",
    "MIGRATIONS",
    "MIN_READABLE_VERSION",
    "PATH_CONFIG_KEY",
    "SCHEMA_VERSION",
    "TRUNCATED_KEY",
    "AuditEvent",
    "AuditLog",
    "AuditRecord",
    "AuditRun",
    "AuditStore",
    "AuditStoreError",
    "AuditWriteError",
    "Auditor",
    "AuditorStats",
    "InMemoryAuditStore",
    "LoggedEvent",
    "Migration",
    "RunAwareStore",
    "SqliteAuditStore",
    "Uptime",
    "attach",
    "bounded_payload",
    "encode_payload",
    "escape_text",
    "flush",
    "known_event_types",
    "move_aside",
    "run_id_of",
    "stats",
]
