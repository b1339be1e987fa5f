"""Compact traceback text for lifecycle events.

``traceback.format_exception`` on Python 3.11+ parses each frame's source
with ``ast`` to draw ``^^^^`` anchors, which made it 98% of the cost of a
crash-and-restart. Events keep the same lines without the anchors, and the
chain of causes.
"""

from __future__ import annotations

import linecache
import traceback
from typing import Any

__all__ = ["exc_info_of", "format_crash"]

_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def format_crash(exc: BaseException, *, limit: int = 50) -> str:
    """The traceback of ``exc`` (and its causes) as text, without caret lines."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _CONTEXT
        else:
            current = None
    parts: list[str] = []
    for item, joiner in reversed(chain):
        parts.append(_one(item, limit))
        if joiner:
            parts.append(joiner)
    return "".join(parts)


def _one(exc: BaseException, limit: int) -> str:
    lines = []
    tb = exc.__traceback__
    if tb is not None:
        lines.append("Traceback (most recent call last):\n")
        frames = list(traceback.walk_tb(tb))[-limit:]
        for frame, lineno in frames:
            code = frame.f_code
            lines.append(f'  File "{code.co_filename}", line {lineno}, in {code.co_name}\n')
            source = linecache.getline(code.co_filename, lineno).strip()
            if source:
                lines.append(f"    {source}\n")
    lines.append(_headline(exc))
    return "".join(lines)


def _headline(exc: BaseException) -> str:
    # traceback.format_exception_only builds a whole TracebackException.
    cls = type(exc)
    name = cls.__qualname__
    if cls.__module__ not in ("builtins", "__main__"):
        name = f"{cls.__module__}.{name}"
    try:
        text = str(exc)
    except Exception:  # a broken __str__ must not hide the crash
        text = "<exception str() failed>"
    line = f"{name}: {text}\n" if text else f"{name}\n"
    notes = getattr(exc, "__notes__", None)
    if isinstance(notes, list):
        line += "".join(f"{note}\n" for note in notes)
    return line


def exc_info_of(reason: Any) -> tuple[str | None, str | None]:
    """The qualified exception type and traceback text of a crash reason."""
    if not isinstance(reason, BaseException):
        return None, None
    cls = type(reason)
    name = (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )
    return name, format_crash(reason)
