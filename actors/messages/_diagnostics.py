"""Diagnostics messages (``ex_esdb_diagnostics``, reference §2.7).

Debug traces, performance analyses, state snapshots and error analyses.
Ids carry a prefix: ``trace_``, ``analysis_``, ``snapshot_``, ``error_``.
Stack traces are tuples of lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from actors.messages import _instances
from actors.messages._base import (
    as_optional_float,
    catalogue,
    copy_map,
    new_id,
    resolve_system,
    stamp,
)

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = [
    "DebugTrace",
    "ErrorAnalysis",
    "PerformanceAnalysis",
    "SystemState",
    "debug_trace",
    "error_analysis",
    "performance_analysis",
    "system_state",
]


@catalogue(required=("trace_id", "component", "operation", "trace_data", "node"))
@attrs.frozen(kw_only=True)
class DebugTrace:
    """A trace of one operation, for debugging.

    Attributes:
        trace_id: ``"trace_"`` + 16 hex chars.
        component: where it ran.
        operation: what ran.
        trace_data: what was recorded (JSON values).
        stack_trace: the stack, if captured.
        duration_ms: how long it took, if measured.
        node: on which node.
        metadata: context (JSON values).
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "debug_trace"
    TAG: ClassVar[str] = "debug_trace"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.DIAGNOSTICS

    trace_id: str
    component: str
    operation: str
    trace_data: dict[str, Any]
    stack_trace: tuple[str, ...] | None = None
    duration_ms: float | None = attrs.field(default=None, converter=as_optional_float)
    node: str
    metadata: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


@catalogue(required=("analysis_id", "component", "analysis_type", "findings", "severity", "node"))
@attrs.frozen(kw_only=True)
class PerformanceAnalysis:
    """The result of analysing a component's performance.

    Attributes:
        analysis_id: ``"analysis_"`` + 16 hex chars.
        component: what was analysed.
        analysis_type: ``"bottleneck"``, ``"memory_leak"``, ``"cpu_hotspot"``
            or ``"io_analysis"``.
        findings: what was found (JSON values).
        recommendations: what to do.
        severity: ``"low"``, ``"medium"`` (default), ``"high"`` or ``"critical"``.
        node: on which node.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "performance_analysis"
    TAG: ClassVar[str] = "performance_analysis"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.DIAGNOSTICS

    analysis_id: str
    component: str
    analysis_type: str
    findings: dict[str, Any]
    recommendations: tuple[str, ...] = ()
    severity: str = "medium"
    node: str
    timestamp: datetime


@catalogue(required=("snapshot_id", "snapshot_type", "state_data", "trigger_reason", "node"))
@attrs.frozen(kw_only=True)
class SystemState:
    """A snapshot of (part of) the system's state.

    Attributes:
        snapshot_id: ``"snapshot_"`` + 16 hex chars.
        snapshot_type: ``"full"``, ``"partial"``, ``"process_tree"`` or
            ``"memory_dump"``.
        state_data: the snapshot (JSON values).
        process_count: how many processes, if counted.
        memory_usage: memory in use, if measured.
        node: on which node.
        trigger_reason: why the snapshot was taken.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "system_state"
    TAG: ClassVar[str] = "system_state"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.DIAGNOSTICS

    snapshot_id: str
    snapshot_type: str
    state_data: dict[str, Any]
    process_count: int | None = None
    memory_usage: float | None = attrs.field(default=None, converter=as_optional_float)
    node: str
    trigger_reason: str
    timestamp: datetime


@catalogue(
    required=(
        "error_id",
        "error_type",
        "error_message",
        "frequency",
        "first_seen",
        "last_seen",
        "node",
    )
)
@attrs.frozen(kw_only=True)
class ErrorAnalysis:
    """An error seen, how often, and since when.

    Attributes:
        error_id: ``"error_"`` + 16 hex chars.
        error_type: the kind of error.
        error_message: its message.
        stack_trace: the stack (lines).
        context: context (JSON values).
        frequency: how many times it was seen.
        first_seen: when first seen.
        last_seen: when last seen.
        node: on which node.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "error_analysis"
    TAG: ClassVar[str] = "error_analysis"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.DIAGNOSTICS

    error_id: str
    error_type: str
    error_message: str
    stack_trace: tuple[str, ...] = ()
    context: dict[str, Any] = attrs.field(factory=dict)
    frequency: int = 1
    first_seen: datetime
    last_seen: datetime
    node: str
    timestamp: datetime


def debug_trace(
    component: str,
    operation: str,
    trace_data: Mapping[str, Any],
    *,
    trace_id: str | None = None,
    stack_trace: Sequence[str] | None = None,
    duration_ms: float | None = None,
    node: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> DebugTrace:
    """A :class:`DebugTrace` with a fresh ``trace_`` id, stamped now."""
    system = resolve_system(system)
    return DebugTrace(
        trace_id=new_id("trace") if trace_id is None else trace_id,
        component=component,
        operation=operation,
        trace_data=dict(trace_data),
        stack_trace=None if stack_trace is None else tuple(stack_trace),
        duration_ms=duration_ms,
        node=system.node if node is None else node,
        metadata=copy_map(metadata),
        timestamp=stamp(system, timestamp),
    )


def performance_analysis(
    component: str,
    analysis_type: str,
    findings: Mapping[str, Any],
    *,
    analysis_id: str | None = None,
    recommendations: Sequence[str] = (),
    severity: str = "medium",
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> PerformanceAnalysis:
    """A :class:`PerformanceAnalysis` with a fresh ``analysis_`` id, severity
    ``"medium"`` and no recommendations unless given."""
    system = resolve_system(system)
    return PerformanceAnalysis(
        analysis_id=new_id("analysis") if analysis_id is None else analysis_id,
        component=component,
        analysis_type=analysis_type,
        findings=dict(findings),
        recommendations=tuple(recommendations),
        severity=severity,
        node=system.node if node is None else node,
        timestamp=stamp(system, timestamp),
    )


def system_state(
    snapshot_type: str,
    state_data: Mapping[str, Any],
    trigger_reason: str,
    *,
    snapshot_id: str | None = None,
    process_count: int | None = None,
    memory_usage: float | None = None,
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> SystemState:
    """A :class:`SystemState` with a fresh ``snapshot_`` id, stamped now."""
    system = resolve_system(system)
    return SystemState(
        snapshot_id=new_id("snapshot") if snapshot_id is None else snapshot_id,
        snapshot_type=snapshot_type,
        state_data=dict(state_data),
        process_count=process_count,
        memory_usage=memory_usage,
        node=system.node if node is None else node,
        trigger_reason=trigger_reason,
        timestamp=stamp(system, timestamp),
    )


def error_analysis(
    error_type: str,
    error_message: str,
    *,
    error_id: str | None = None,
    stack_trace: Sequence[str] = (),
    context: Mapping[str, Any] | None = None,
    frequency: int = 1,
    first_seen: datetime | None = None,
    last_seen: datetime | None = None,
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> ErrorAnalysis:
    """An :class:`ErrorAnalysis` with a fresh ``error_`` id, seen once.

    ``first_seen``, ``last_seen`` and ``timestamp`` default to the same instant.
    """
    system = resolve_system(system)
    now = stamp(system, timestamp)
    return ErrorAnalysis(
        error_id=new_id("error") if error_id is None else error_id,
        error_type=error_type,
        error_message=error_message,
        stack_trace=tuple(stack_trace),
        context=copy_map(context),
        frequency=frequency,
        first_seen=now if first_seen is None else first_seen,
        last_seen=now if last_seen is None else last_seen,
        node=system.node if node is None else node,
        timestamp=now,
    )
