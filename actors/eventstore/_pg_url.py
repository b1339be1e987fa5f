"""PostgreSQL URLs: recognise them, split off our options, mask the password.

Kept free of ``psycopg`` so the default install (SQLite only) can tell a
PostgreSQL URL from a path and say that the ``postgres`` extra is missing.

A URL is libpq's (``postgresql://user:password@host:port/dbname?...``,
``postgres://`` too) plus options of ours in the query string: ``schema=NAME`` (default
``actors``), the PostgreSQL schema that holds the store's tables, so
several stores can share one database, and the backend's settings named
in :data:`OPTIONS` (``poll_interval=0.5`` ...). Everything else in the
query goes to libpq unchanged (``sslmode``, ``connect_timeout``...).

The password never leaves this module unmasked except as the connection
string handed to the driver: :func:`mask_url` is what reprs, logs and
errors show (``postgresql://user:***@host/db``), and :func:`scrub` removes
the password from any driver message we quote.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from typing import Final

import attrs

__all__ = [
    "DEFAULT_SCHEMA",
    "OPTIONS",
    "PgTarget",
    "is_postgres_url",
    "mask_url",
    "parse_postgres_url",
]

DEFAULT_SCHEMA: Final = "actors"
OPTIONS: Final = frozenset(
    {
        "pool_size",
        "poll_interval",
        "heartbeat_interval",
        "instance_timeout",
        "reconnect_timeout",
        "statement_timeout",
    }
)
"""Backend settings a URL may carry (see ``PostgresBackend``)."""
_SCHEMES: Final = ("postgresql://", "postgres://")
_SCHEMA_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,47}")
"""Lower-case identifiers that need no quoting; 48 characters leaves room
for the ``_es`` suffix of the notification channel within PostgreSQL's 63."""


def is_postgres_url(url: object) -> bool:
    """Whether ``url`` is a ``postgresql://`` (or ``postgres://``) URL."""
    if isinstance(url, os.PathLike):
        url = os.fspath(url)
    return isinstance(url, str) and url.startswith(_SCHEMES)


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for reprs, logs, errors).

    Also masks a ``password=`` query parameter. A URL without a password is
    returned unchanged.
    """
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<unparsable PostgreSQL URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        if ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:***@{hostport}"
    query = parts.query
    if query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        if any(k == "password" for k, _ in pairs):
            query = "&".join(
                f"{k}=***" if k == "password" else urllib.parse.urlencode({k: v}) for k, v in pairs
            )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


@attrs.frozen(repr=False)
class PgTarget:
    """Where a PostgreSQL store lives. Its repr masks the password."""

    conninfo: str
    """The URL handed to libpq (our ``schema`` option removed); holds the password."""
    schema: str
    masked: str
    """The URL as shown to people: password masked, ``schema`` kept."""
    password: str
    options: dict[str, str] = attrs.field(factory=dict)
    """Backend settings from the URL (names in :data:`OPTIONS`), as text."""

    def __repr__(self) -> str:
        return f"PgTarget({self.masked!r}, schema={self.schema!r})"

    def scrub(self, text: str) -> str:
        """``text`` with the password removed (for driver messages we quote)."""
        if self.password:
            text = text.replace(self.password, "***")
            quoted = urllib.parse.quote(self.password, safe="")
            if quoted != self.password:
                text = text.replace(quoted, "***")
        return text

    @property
    def channel(self) -> str:
        """The ``LISTEN``/``NOTIFY`` channel of the store's commits."""
        return f"{self.schema}_es"


def parse_postgres_url(url: str | os.PathLike[str], schema: str | None = None) -> PgTarget:
    """Split ``url`` into the driver's connection string and our schema.

    Args:
        schema: overrides the URL's ``schema`` option.

    Raises:
        ValueError: not a PostgreSQL URL, or a schema name that is not a
            plain lower-case identifier (the message shows the URL masked).
    """
    text = os.fspath(url)
    if not is_postgres_url(text):
        msg = f"not a PostgreSQL URL (postgresql://...): {mask_url(text)!r}"
        raise ValueError(msg)
    try:
        parts = urllib.parse.urlsplit(text)
    except ValueError as exc:
        msg = f"cannot parse PostgreSQL URL {mask_url(text)!r}: {exc}"
        raise ValueError(msg) from None
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    found = [v for k, v in pairs if k == "schema"]
    rest = [(k, v) for k, v in pairs if k != "schema" and k not in OPTIONS]
    options = {k: v for k, v in pairs if k in OPTIONS}
    chosen = schema if schema is not None else (found[-1] if found else DEFAULT_SCHEMA)
    if not isinstance(chosen, str) or not _SCHEMA_NAME.fullmatch(chosen):
        msg = (
            f"event store schema must be a lower-case identifier of at most 48 characters "
            f"(letters, digits, _), got {chosen!r} in {mask_url(text)!r}"
        )
        raise ValueError(msg)
    conninfo = urllib.parse.urlunsplit(
        (parts.scheme, parts.netloc, parts.path, urllib.parse.urlencode(rest), parts.fragment)
    )
    password = urllib.parse.unquote(parts.password or "")
    query_password = [v for k, v in rest if k == "password"]
    if query_password:
        password = query_password[-1]
    masked = mask_url(conninfo)
    if found or schema is not None:
        masked += ("&" if "?" in masked else "?") + f"schema={chosen}"
    for key, value in options.items():
        masked += ("&" if "?" in masked else "?") + f"{key}={urllib.parse.quote(value)}"
    return PgTarget(conninfo, chosen, masked, password, options)
