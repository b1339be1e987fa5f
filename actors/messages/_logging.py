"""Logging messages (``ex_esdb_logging``, reference §2.9).

Log entries, periodic summaries, filter changes and file rotations. Levels
are ``"debug"``, ``"info"``, ``"warn"``, ``"error"``, ``"critical"``. Ids
carry a prefix: ``log_``, ``summary_``, ``filter_``, ``rotation_``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from actors._process import current_process
from actors.messages import _instances
from actors.messages._base import (
    as_float,
    catalogue,
    copy_map,
    new_id,
    resolve_system,
    stamp,
)

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = [
    "LogEntry",
    "LogFilter",
    "LogRotation",
    "LogSummary",
    "log_entry",
    "log_filter",
    "log_rotation",
    "log_summary",
]


@catalogue(required=("log_id", "level", "message", "module", "node"))
@attrs.frozen(kw_only=True)
class LogEntry:
    """One log record.

    Attributes:
        log_id: ``"log_"`` + 16 hex chars.
        level: ``"debug"``, ``"info"``, ``"warn"``, ``"error"`` or ``"critical"``.
        message: the text.
        module: the module that logged it.
        function: the function, if known.
        line: the line, if known.
        node: on which node.
        pid: the id of the actor that logged it, if it was one.
        metadata: context (JSON values).
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "log_entry"
    TAG: ClassVar[str] = "log_entry"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.LOGGING

    log_id: str
    level: str
    message: str
    module: str
    function: str | None = None
    line: int | None = None
    node: str
    pid: str | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


@catalogue(
    required=(
        "summary_id",
        "time_period",
        "log_counts",
        "error_rate",
        "nodes_reporting",
        "total_logs",
    )
)
@attrs.frozen(kw_only=True)
class LogSummary:
    """Counts of log records over a period (no node field: see ``nodes_reporting``).

    Attributes:
        summary_id: ``"summary_"`` + 16 hex chars.
        time_period: the period (``"1h"``, ``"2026-01-01T10"``...).
        log_counts: level -> number of records.
        top_errors: the most frequent error messages.
        error_rate: the share of errors (0.0 by default).
        nodes_reporting: the nodes counted (this node by default).
        total_logs: all records (the sum of ``log_counts`` by default).
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "log_summary"
    TAG: ClassVar[str] = "log_summary"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.LOGGING

    summary_id: str
    time_period: str
    log_counts: dict[str, int]
    top_errors: tuple[str, ...] = ()
    error_rate: float = attrs.field(default=0.0, converter=as_float)
    nodes_reporting: tuple[str, ...]
    total_logs: int
    timestamp: datetime


@catalogue(required=("filter_id", "filter_type", "filter_value", "action", "enabled", "created_by"))
@attrs.frozen(kw_only=True)
class LogFilter:
    """A log filter was created or changed (no node field).

    Attributes:
        filter_id: ``"filter_"`` + 16 hex chars.
        filter_type: ``"level"``, ``"module"``, ``"pattern"`` or ``"node"``.
        filter_value: the level, module, pattern or node to match.
        action: ``"include"``, ``"exclude"`` or ``"rate_limit"``.
        enabled: whether it is active (``True`` by default).
        created_by: who made it (``"system"`` by default).
        metadata: context (JSON values).
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "log_filter"
    TAG: ClassVar[str] = "log_filter_updated"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.LOGGING

    filter_id: str
    filter_type: str
    filter_value: str
    action: str
    enabled: bool = True
    created_by: str = "system"
    metadata: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


@catalogue(required=("rotation_id", "log_type", "old_file", "new_file", "node"))
@attrs.frozen(kw_only=True)
class LogRotation:
    """A log file was rotated.

    Attributes:
        rotation_id: ``"rotation_"`` + 16 hex chars.
        log_type: which log.
        old_file: the file closed.
        new_file: the file opened.
        file_size: the old file's size in bytes, if known.
        entries_count: its number of records, if known.
        node: on which node.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "log_rotation"
    TAG: ClassVar[str] = "log_rotation"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.LOGGING

    rotation_id: str
    log_type: str
    old_file: str
    new_file: str
    file_size: int | None = None
    entries_count: int | None = None
    node: str
    timestamp: datetime


def log_entry(
    level: str,
    message: str,
    module: str,
    *,
    log_id: str | None = None,
    function: str | None = None,
    line: int | None = None,
    node: str | None = None,
    pid: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> LogEntry:
    """A :class:`LogEntry` with a fresh ``log_`` id, stamped now.

    ``pid`` defaults to the id of the calling actor (``None`` outside actors).
    """
    system = resolve_system(system)
    if pid is None:
        proc = current_process()
        pid = None if proc is None else proc.id
    return LogEntry(
        log_id=new_id("log") if log_id is None else log_id,
        level=level,
        message=message,
        module=module,
        function=function,
        line=line,
        node=system.node if node is None else node,
        pid=pid,
        metadata=copy_map(metadata),
        timestamp=stamp(system, timestamp),
    )


def log_summary(
    time_period: str,
    log_counts: Mapping[str, int],
    *,
    summary_id: str | None = None,
    top_errors: Sequence[str] = (),
    error_rate: float = 0.0,
    nodes_reporting: Sequence[str] | None = None,
    total_logs: int | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> LogSummary:
    """A :class:`LogSummary` with a fresh ``summary_`` id, stamped now.

    ``total_logs`` defaults to the sum of ``log_counts``; ``nodes_reporting``
    to this node alone.
    """
    system = resolve_system(system)
    counts = dict(log_counts)
    return LogSummary(
        summary_id=new_id("summary") if summary_id is None else summary_id,
        time_period=time_period,
        log_counts=counts,
        top_errors=tuple(top_errors),
        error_rate=error_rate,
        nodes_reporting=(system.node,) if nodes_reporting is None else tuple(nodes_reporting),
        total_logs=sum(counts.values()) if total_logs is None else total_logs,
        timestamp=stamp(system, timestamp),
    )


def log_filter(
    filter_type: str,
    filter_value: str,
    action: str,
    *,
    filter_id: str | None = None,
    enabled: bool = True,
    created_by: str = "system",
    metadata: Mapping[str, Any] | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> LogFilter:
    """A :class:`LogFilter` with a fresh ``filter_`` id, enabled, by ``"system"``."""
    system = resolve_system(system)
    return LogFilter(
        filter_id=new_id("filter") if filter_id is None else filter_id,
        filter_type=filter_type,
        filter_value=filter_value,
        action=action,
        enabled=enabled,
        created_by=created_by,
        metadata=copy_map(metadata),
        timestamp=stamp(system, timestamp),
    )


def log_rotation(
    log_type: str,
    old_file: str,
    new_file: str,
    *,
    rotation_id: str | None = None,
    file_size: int | None = None,
    entries_count: int | None = None,
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> LogRotation:
    """A :class:`LogRotation` with a fresh ``rotation_`` id, stamped now."""
    system = resolve_system(system)
    return LogRotation(
        rotation_id=new_id("rotation") if rotation_id is None else rotation_id,
        log_type=log_type,
        old_file=old_file,
        new_file=new_file,
        file_size=file_size,
        entries_count=entries_count,
        node=system.node if node is None else node,
        timestamp=stamp(system, timestamp),
    )
