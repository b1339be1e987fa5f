"""Logging messages (``ex_esdb_logging``): log records, summaries, filters, rotations.

Ids carry a prefix: ``log_``, ``summary_``, ``filter_``, ``rotation_``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from actors.lowlevel import current_process
from actors.messages import _instances
from actors.messages._base import Catalogued, Filling, filled, fresh_id, message, one_of
from actors.messages._vocabulary import FILTER_ACTIONS, FILTER_TYPES, LOG_LEVELS

__all__ = [
    "LogEntry",
    "LogFilter",
    "LogRotation",
    "LogSummary",
]


def _calling_actor(_: Filling) -> str | None:
    proc = current_process()
    return None if proc is None else proc.id


@message(
    "log_entry",
    _instances.LOGGING,
    tag="log_entry",
    args="level message module",
    required="log_id level message module node",
)
class LogEntry(Catalogued):
    """One log record, as a logging handler publishes it (see the gater's log
    handler): level, text, and where it came from.

    Attributes:
        log_id: ``log_`` and 16 hex digits.
        level: ``"debug"``, ``"info"``, ``"warn"``, ``"error"`` or ``"critical"``.
        message: the text.
        module: the module that logged it.
        function: the function, if known.
        line: the line, if known.
        node: on which node.
        pid: the id of the actor that logged it, if it was one (a factory's
            default: the calling actor).
        metadata: context (JSON values).
        timestamp: when (UTC, milliseconds).
    """

    log_id: str = attrs.field(metadata=filled(fresh_id("log")))
    level: str = attrs.field(metadata=one_of(*LOG_LEVELS))
    message: str
    module: str
    function: str | None = None
    line: int | None = None
    node: str
    pid: str | None = attrs.field(default=None, metadata=filled(_calling_actor))
    metadata: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


def _this_node(made: Filling) -> tuple[str, ...]:
    return (made.system.node,)


def _total(made: Filling) -> int | None:
    counts = made.values.get("log_counts")
    if isinstance(counts, Mapping) and all(type(n) is int for n in counts.values()):
        return sum(counts.values())
    return None  # the validator names the wrong counts


@message(
    "log_summary",
    _instances.LOGGING,
    tag="log_summary",
    args="time_period log_counts",
    required="summary_id time_period log_counts error_rate nodes_reporting total_logs",
)
class LogSummary(Catalogued):
    """How many records of each level were logged over a period, and by which nodes
    (there is no node field: see ``nodes_reporting``).

    Attributes:
        summary_id: a fresh ``summary_``-prefixed id of 16 hex digits.
        time_period: the period (``"1h"``, ``"2026-01-01T10"``...).
        log_counts: level -> number of records.
        top_errors: the most frequent error messages.
        error_rate: the share of errors (0.0 by default).
        nodes_reporting: the nodes counted (a factory's default: this node).
        total_logs: all records (a factory's default: the sum of ``log_counts``).
        timestamp: when (UTC, milliseconds).
    """

    summary_id: str = attrs.field(metadata=filled(fresh_id("summary")))
    time_period: str
    log_counts: dict[str, int]
    top_errors: tuple[str, ...] = ()
    error_rate: float = 0.0
    nodes_reporting: tuple[str, ...] = attrs.field(metadata=filled(_this_node))
    total_logs: int = attrs.field(metadata=filled(_total))
    timestamp: datetime


@message(
    "log_filter",
    _instances.LOGGING,
    tag="log_filter_updated",
    args="filter_type filter_value action",
    required="filter_id filter_type filter_value action enabled created_by",
)
class LogFilter(Catalogued):
    """Which records a log filter now keeps, drops or rate-limits; sent when one is
    made or changed. There is no node field.

    Attributes:
        filter_id: the filter's id, which a change keeps (``filter_`` + 16 hex digits when new).
        filter_type: ``"level"``, ``"module"``, ``"pattern"`` or ``"node"``.
        filter_value: the level, module, pattern or node to match.
        action: ``"include"``, ``"exclude"`` or ``"rate_limit"``.
        enabled: whether it is active (``True`` by default).
        created_by: who made it (``"system"`` by default).
        metadata: context (JSON values).
        timestamp: when (UTC, milliseconds).
    """

    filter_id: str = attrs.field(metadata=filled(fresh_id("filter")))
    filter_type: str = attrs.field(metadata=one_of(*FILTER_TYPES))
    filter_value: str
    action: str = attrs.field(metadata=one_of(*FILTER_ACTIONS))
    enabled: bool = True
    created_by: str = "system"
    metadata: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


@message(
    "log_rotation",
    _instances.LOGGING,
    tag="log_rotation",
    args="log_type old_file new_file",
    required="rotation_id log_type old_file new_file node",
)
class LogRotation(Catalogued):
    """A log file was closed and a new one opened, with how big the old one got.

    Attributes:
        rotation_id: ``rotation_`` + 16 hex digits, one per rotation.
        log_type: the log it happened to (``"audit"``, ``"application"``...).
        old_file: the file closed.
        new_file: the file opened.
        file_size: the old file's size in bytes, if known.
        entries_count: its number of records, if known.
        node: on which node.
        timestamp: when (UTC, milliseconds).
    """

    rotation_id: str = attrs.field(metadata=filled(fresh_id("rotation")))
    log_type: str
    old_file: str
    new_file: str
    file_size: int | None = None
    entries_count: int | None = None
    node: str
    timestamp: datetime
