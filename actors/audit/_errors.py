"""The one error family of the audit log.

Everything that goes wrong with an audit file (it is not SQLite, it is not an
audit log, it is newer than this code, a write could not be committed) is an
:class:`AuditStoreError` whose message names the file and says what happened,
instead of a traceback from deep inside :mod:`sqlite3`. The underlying
``sqlite3`` exception, when there is one, is kept on ``.sqlite_error``, and
``.kind`` says what sort of problem it is, so the auditor knows whether to
retry, move the file aside, or start a new one.
"""

from __future__ import annotations

import sqlite3
from typing import Final

__all__ = ["KINDS", "AuditStoreError", "AuditWriteError", "kind_of"]

KINDS: Final = frozenset(
    {
        "corrupt",  # not an SQLite file, or a malformed page
        "foreign",  # an SQLite database of another application
        "newer",  # an audit log of a newer schema than this code reads
        "older",  # an audit log too old to read without upgrading it
        "missing",  # no such file (readers)
        "unavailable",  # cannot be opened or created (directory, permissions)
        "locked",  # another connection holds the lock
        "full",  # the disk or the file is full
        "readonly",  # the file or the medium cannot be written
        "io",  # an I/O error
        "deleted",  # the file was deleted or replaced while in use
        "closed",  # the store was closed
        "other",
    }
)
"""What :attr:`AuditStoreError.kind` can be."""

_BY_NAME: Final = (
    ("SQLITE_NOTADB", "corrupt"),
    ("SQLITE_CORRUPT", "corrupt"),
    ("SQLITE_BUSY", "locked"),
    ("SQLITE_LOCKED", "locked"),
    ("SQLITE_FULL", "full"),
    ("SQLITE_READONLY", "readonly"),
    ("SQLITE_IOERR", "io"),
    ("SQLITE_CANTOPEN", "unavailable"),
    ("SQLITE_PERM", "unavailable"),
    ("SQLITE_AUTH", "unavailable"),
)


def kind_of(exc: sqlite3.Error) -> str:
    """The :data:`KINDS` value of a sqlite3 error (by its extended error name)."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    for prefix, kind in _BY_NAME:
        if name.startswith(prefix):
            return kind
    text = str(exc).lower()
    if "not a database" in text or "malformed" in text:
        return "corrupt"
    if "locked" in text:
        return "locked"
    if "readonly" in text or "read-only" in text:
        return "readonly"
    return "other"


class AuditStoreError(Exception):
    """An audit store could not be opened, read or upgraded.

    Attributes:
        path: the file concerned (``None`` for in-memory stores).
        sqlite_error: the :mod:`sqlite3` exception behind it, if any.
        kind: one of :data:`KINDS` (from the sqlite3 error unless given).
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        sqlite_error: sqlite3.Error | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.sqlite_error = sqlite_error
        if kind is None:
            kind = kind_of(sqlite_error) if sqlite_error is not None else "other"
        self.kind = kind


class AuditWriteError(AuditStoreError):
    """A batch could not be committed (locked database, full disk, I/O error).

    Nothing of the batch was written; the writer may retry the same batch.
    """
