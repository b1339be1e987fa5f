"""The one error family of the audit log.

Everything that goes wrong with an audit file (it is not SQLite, it is not an
audit log, it is newer than this code, a write could not be committed) is an
:class:`AuditStoreError` whose message names the file and says what happened,
instead of a traceback from deep inside :mod:`sqlite3`. The underlying
``sqlite3`` exception, when there is one, is kept on ``.sqlite_error``.
"""

from __future__ import annotations

import sqlite3

__all__ = ["AuditStoreError", "AuditWriteError"]


class AuditStoreError(Exception):
    """An audit store could not be opened, read or upgraded.

    Attributes:
        path: the file concerned (``None`` for in-memory stores).
        sqlite_error: the :mod:`sqlite3` exception behind it, if any.
    """

    def __init__(
        self, message: str, *, path: str | None = None, sqlite_error: sqlite3.Error | None = None
    ) -> None:
        super().__init__(message)
        self.path = path
        self.sqlite_error = sqlite_error


class AuditWriteError(AuditStoreError):
    """A batch could not be committed (locked database, full disk, I/O error).

    Nothing of the batch was written; the writer may retry the same batch.
    """
