"""Terminal output for people: aligned tables, colour only on a terminal.

Colour is used when the stream is a terminal and ``NO_COLOR`` is not set
(https://no-color.org); piped output is plain text with the same columns.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import TextIO

__all__ = ["Style", "format_duration", "parse_duration", "table"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(text: str) -> timedelta:
    """``"10m"``, ``"90s"``, ``"2h"``, ``"1.5d"``, ``"250ms"`` or plain seconds.

    Raises:
        ValueError: with a message naming the bad value.
    """
    match = _DURATION.match(text)
    if match is None:
        msg = f"invalid duration {text!r} (use e.g. 30s, 10m, 2h, 1d)"
        raise ValueError(msg)
    value, unit = match.groups()
    try:
        return timedelta(seconds=float(value) * _UNITS[unit])
    except OverflowError:
        msg = f"duration {text!r} is too long (at most {timedelta.max.days} days)"
        raise ValueError(msg) from None


def format_duration(seconds: float) -> str:
    """Short human form: ``"850ms"``, ``"12.3s"``, ``"4m05s"``, ``"2h01m"``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        minutes, rest = divmod(int(seconds), 60)
        return f"{minutes}m{rest:02d}s"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h{rest // 60:02d}m"


class Style:
    """ANSI styling that switches itself off when the output is not a terminal."""

    _CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}

    def __init__(self, stream: TextIO, *, force: bool | None = None) -> None:
        if force is None:
            isatty = getattr(stream, "isatty", None)
            force = bool(isatty and isatty()) and "NO_COLOR" not in os.environ
        self.enabled = force

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        codes = ";".join(self._CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


def table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, right: Sequence[int] = ()
) -> str:
    """An aligned plain-text table; column indexes in ``right`` are right-aligned."""
    cells = [[str(h) for h in headers]] + [
        ["" if c is None else str(c) for c in row] for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        parts = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
