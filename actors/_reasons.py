"""Exit reasons, as OTP spells them.

A process exits with ``"normal"``, ``"shutdown"``, ``("shutdown", detail)``,
``"killed"`` or, when a callback raised, the exception itself. Only the
first three are *normal* exits: they do not propagate through links to
processes that do not trap exits, and transient children are not restarted
after them.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = [
    "KILL",
    "KILLED",
    "NOPROC",
    "NORMAL",
    "SHUTDOWN",
    "format_reason",
    "is_normal_exit",
]

NORMAL: Final = "normal"
SHUTDOWN: Final = "shutdown"
KILL: Final = "kill"
"""The exit signal that cannot be trapped; the target exits with ``"killed"``."""
KILLED: Final = "killed"
NOPROC: Final = "noproc"


def is_normal_exit(reason: Any) -> bool:
    """Whether ``reason`` is ``"normal"``, ``"shutdown"`` or ``("shutdown", _)``."""
    if reason.__class__ is str:
        return reason in (NORMAL, SHUTDOWN)
    return (
        reason.__class__ is tuple
        and len(reason) == 2
        and reason[0].__class__ is str
        and reason[0] == SHUTDOWN
    )


def format_reason(reason: Any) -> str:
    """One line that names the reason: ``"normal"``, ``"ValueError: bad input"``."""
    if isinstance(reason, BaseException):
        text = str(reason)
        name = type(reason).__name__
        line = f"{name}: {text}" if text else name
    elif isinstance(reason, str):
        line = reason
    else:
        line = repr(reason)
    return line.splitlines()[0] if line else line
