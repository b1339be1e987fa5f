"""Diagnostics messages (``ex_esdb_diagnostics``): traces, analyses, state snapshots, errors.

Ids carry a prefix: ``trace_``, ``analysis_``, ``snapshot_``, ``error_``.
Stack traces are tuples of lines.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from actors.messages import _instances
from actors.messages._base import Catalogued, filled, fresh_id, message, one_of, same_time
from actors.messages._vocabulary import ANALYSIS_TYPES, SEVERITIES, SNAPSHOT_TYPES

__all__ = [
    "DebugTrace",
    "ErrorAnalysis",
    "PerformanceAnalysis",
    "SystemState",
]


@message(
    "debug_trace",
    _instances.DIAGNOSTICS,
    tag="debug_trace",
    args="component operation trace_data",
    required="trace_id component operation trace_data node",
)
class DebugTrace(Catalogued):
    """What one operation did, step by step, for someone debugging it (high volume
    while on; the diagnostics instance may drop the oldest).

    Attributes:
        trace_id: ``trace_`` and 16 hex digits, new for each trace.
        component: where it ran.
        operation: what ran.
        trace_data: what was recorded (JSON values).
        stack_trace: the stack, if captured.
        duration_ms: how long it took, if measured.
        node: on which node.
        metadata: context (JSON values).
        timestamp: when (UTC, milliseconds).
    """

    trace_id: str = attrs.field(metadata=filled(fresh_id("trace")))
    component: str
    operation: str
    trace_data: dict[str, Any]
    stack_trace: tuple[str, ...] | None = None
    duration_ms: float | None = None
    node: str
    metadata: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


@message(
    "performance_analysis",
    _instances.DIAGNOSTICS,
    tag="performance_analysis",
    args="component analysis_type findings",
    required="analysis_id component analysis_type findings severity node",
)
class PerformanceAnalysis(Catalogued):
    """What an analysis of a component's performance found (a bottleneck, a leak,
    a hot spot) and what to do about it.

    Attributes:
        analysis_id: ``analysis_`` then 16 random hex digits.
        component: what was analysed.
        analysis_type: ``"bottleneck"``, ``"memory_leak"``, ``"cpu_hotspot"``
            or ``"io_analysis"``.
        findings: what was found (JSON values).
        recommendations: what to do.
        severity: ``"low"``, ``"medium"`` (default), ``"high"`` or ``"critical"``.
        node: on which node.
        timestamp: when (UTC, milliseconds).
    """

    analysis_id: str = attrs.field(metadata=filled(fresh_id("analysis")))
    component: str
    analysis_type: str = attrs.field(metadata=one_of(*ANALYSIS_TYPES))
    findings: dict[str, Any]
    recommendations: tuple[str, ...] = ()
    severity: str = attrs.field(default="medium", metadata=one_of(*SEVERITIES))
    node: str
    timestamp: datetime


@message(
    "system_state",
    _instances.DIAGNOSTICS,
    tag="system_state",
    args="snapshot_type state_data trigger_reason",
    required="snapshot_id snapshot_type state_data trigger_reason node",
)
class SystemState(Catalogued):
    """A snapshot of the system's state, or of part of it, and why it was taken.

    Attributes:
        snapshot_id: the snapshot's id (``snapshot_`` and 16 hex digits by default).
        snapshot_type: ``"full"``, ``"partial"``, ``"process_tree"`` or
            ``"memory_dump"``.
        state_data: the snapshot (JSON values).
        process_count: how many processes, if counted.
        memory_usage: memory in use, if measured.
        node: on which node.
        trigger_reason: why the snapshot was taken.
        timestamp: when (UTC, milliseconds).
    """

    snapshot_id: str = attrs.field(metadata=filled(fresh_id("snapshot")))
    snapshot_type: str = attrs.field(metadata=one_of(*SNAPSHOT_TYPES))
    state_data: dict[str, Any]
    process_count: int | None = None
    memory_usage: float | None = None
    node: str
    trigger_reason: str
    timestamp: datetime


@message(
    "error_analysis",
    _instances.DIAGNOSTICS,
    tag="error_analysis",
    args="error_type error_message",
    required="error_id error_type error_message frequency first_seen last_seen node",
)
class ErrorAnalysis(Catalogued):
    """One kind of error, how often it happened, and between which two instants
    (first and last seen).

    Attributes:
        error_id: an id for this kind of error (``error_<16 hex digits>`` by default).
        error_type: the kind of error.
        error_message: its message.
        stack_trace: the stack (lines).
        context: context (JSON values).
        frequency: how many times it was seen (1 by default).
        first_seen: when first seen (a factory's default: the message's
            timestamp).
        last_seen: when last seen (likewise).
        node: on which node.
        timestamp: when (UTC, milliseconds).
    """

    error_id: str = attrs.field(metadata=filled(fresh_id("error")))
    error_type: str
    error_message: str
    stack_trace: tuple[str, ...] = ()
    context: dict[str, Any] = attrs.field(factory=dict)
    frequency: int = 1
    first_seen: datetime = attrs.field(metadata=filled(same_time))
    last_seen: datetime = attrs.field(metadata=filled(same_time))
    node: str
    timestamp: datetime
