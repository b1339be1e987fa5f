"""The durable lifecycle audit log (D12).

An :class:`Auditor` actor writes lifecycle events (and generic audit-instance
events) in batches to an audit store: :class:`SqliteAuditStore` by default,
one SQLite file in WAL mode, or :class:`InMemoryAuditStore` in tests.
:class:`AuditLog` reads a file back: filtered queries and summaries (restart
counts, crash reasons, uptime), for Python code and the ``actors audit``
command::

    with actors.ActorSystem() as system:
        auditor = Auditor.start("audit.db", name="auditor", system=system)
        attach(system, auditor)     # every lifecycle event goes to the auditor
        ...

    with AuditLog.open("audit.db") as log:
        print(log.query(event_type="crashed", latest=True, limit=10))
"""

from __future__ import annotations

from actors.audit._auditor import (
    DEFAULT_PATH,
    LIFECYCLE_TAG,
    PATH_CONFIG_KEY,
    Auditor,
    AuditorStats,
    attach,
    flush,
    stats,
)
from actors.audit._encode import encode_payload
from actors.audit._errors import AuditStoreError, AuditWriteError
from actors.audit._query import AuditLog, Uptime
from actors.audit._records import AuditEvent, AuditRecord
from actors.audit._schema import MIGRATIONS, SCHEMA_VERSION, Migration
from actors.audit._store import AuditStore, InMemoryAuditStore, SqliteAuditStore

__all__ = [
    "DEFAULT_PATH",
    "LIFECYCLE_TAG",
    "MIGRATIONS",
    "PATH_CONFIG_KEY",
    "SCHEMA_VERSION",
    "AuditEvent",
    "AuditLog",
    "AuditRecord",
    "AuditStore",
    "AuditStoreError",
    "AuditWriteError",
    "Auditor",
    "AuditorStats",
    "InMemoryAuditStore",
    "Migration",
    "SqliteAuditStore",
    "Uptime",
    "attach",
    "encode_payload",
    "flush",
    "stats",
]
