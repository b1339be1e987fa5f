"""What the other layers and tools sharing a PostgreSQL server with the event
store use: the URL form (``postgresql://...?schema=NAME``) and the schema's
migrations and status. Importing this module imports psycopg (the
``postgres`` extra)."""

from __future__ import annotations

from actors.eventstore._pg_schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    SchemaStatus,
    apply_migrations,
    installed_version,
    quote_schema,
    schema_status,
)
from actors.eventstore._pg_url import (
    DEFAULT_SCHEMA,
    OPTIONS,
    PgTarget,
    is_postgres_url,
    mask_url,
    parse_postgres_url,
)

__all__ = [
    "DEFAULT_SCHEMA",
    "MIGRATIONS",
    "OPTIONS",
    "SCHEMA_VERSION",
    "PgTarget",
    "SchemaStatus",
    "apply_migrations",
    "installed_version",
    "is_postgres_url",
    "mask_url",
    "parse_postgres_url",
    "quote_schema",
    "schema_status",
]
