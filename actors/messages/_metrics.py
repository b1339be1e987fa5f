"""Metrics messages (``ex_esdb_metrics``, reference §2.4).

Performance figures, throughput, latency percentiles, resource use and
threshold alerts. Numbers are floats (ints given to float fields are stored
as floats) except counts, which are ints.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from actors.messages import _instances
from actors.messages._base import as_float, catalogue, copy_map, resolve_system, stamp

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = [
    "LatencyMetric",
    "MetricAlert",
    "PerformanceMetric",
    "ResourceUsage",
    "ThroughputMetric",
    "latency_metric",
    "metric_alert",
    "performance_metric",
    "resource_usage",
    "throughput_metric",
]


@catalogue(required=("metric_name", "value", "unit", "node"))
@attrs.frozen(kw_only=True)
class PerformanceMetric:
    """One measured value.

    Attributes:
        metric_name: what was measured (``"persistence_operation"``).
        value: the value.
        unit: its unit (``"operations"``, ``"ms"``...).
        node: where.
        component: the component measured, if any.
        tags: extra dimensions (JSON values).
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "performance_metric"
    TAG: ClassVar[str] = "performance_metric"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.METRICS

    metric_name: str
    value: float = attrs.field(converter=as_float)
    unit: str
    node: str
    component: str | None = None
    tags: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


@catalogue(required=("operation", "count", "duration_ms", "rate_per_sec", "node"))
@attrs.frozen(kw_only=True)
class ThroughputMetric:
    """How many operations ran in a time span.

    Attributes:
        operation: which operation (``"event_emission"``).
        count: how many.
        duration_ms: over how long.
        rate_per_sec: ``count / (duration_ms / 1000)``.
        node: where.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "throughput_metric"
    TAG: ClassVar[str] = "throughput_metric"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.METRICS

    operation: str
    count: int
    duration_ms: float = attrs.field(converter=as_float)
    rate_per_sec: float = attrs.field(converter=as_float)
    node: str
    timestamp: datetime


@catalogue(required=("operation", "latency_ms", "percentile", "sample_count", "node"))
@attrs.frozen(kw_only=True)
class LatencyMetric:
    """A latency percentile over a number of samples.

    Attributes:
        operation: which operation.
        latency_ms: the latency.
        percentile: ``"p50"``, ``"p95"``, ``"p99"``, ``"max"``, ``"min"`` or ``"avg"``.
        sample_count: over how many samples.
        node: where.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "latency_metric"
    TAG: ClassVar[str] = "latency_metric"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.METRICS

    operation: str
    latency_ms: float = attrs.field(converter=as_float)
    percentile: str
    sample_count: int
    node: str
    timestamp: datetime


@catalogue(required=("resource_type", "usage_percent", "total_available", "current_used", "node"))
@attrs.frozen(kw_only=True)
class ResourceUsage:
    """How much of a resource is in use.

    Attributes:
        resource_type: ``"cpu"``, ``"memory"``, ``"disk"`` or ``"network"``.
        usage_percent: the share in use, in percent.
        total_available: the total (in the resource's unit).
        current_used: the amount in use.
        node: where.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "resource_usage"
    TAG: ClassVar[str] = "resource_usage"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.METRICS

    resource_type: str
    usage_percent: float = attrs.field(converter=as_float)
    total_available: float = attrs.field(converter=as_float)
    current_used: float = attrs.field(converter=as_float)
    node: str
    timestamp: datetime


@catalogue(
    required=(
        "metric_name",
        "current_value",
        "threshold_value",
        "threshold_type",
        "severity",
        "node",
    )
)
@attrs.frozen(kw_only=True)
class MetricAlert:
    """A metric crossed a threshold.

    Attributes:
        metric_name: which metric.
        current_value: its value now.
        threshold_value: the threshold.
        threshold_type: ``"min"`` or ``"max"``.
        severity: ``"warning"`` or ``"critical"``.
        node: where.
        timestamp: when (UTC, milliseconds).
    """

    KIND: ClassVar[str] = "metric_alert"
    TAG: ClassVar[str] = "metric_alert"
    SCHEMA: ClassVar[int] = 1
    INSTANCE: ClassVar[str] = _instances.METRICS

    metric_name: str
    current_value: float = attrs.field(converter=as_float)
    threshold_value: float = attrs.field(converter=as_float)
    threshold_type: str
    severity: str
    node: str
    timestamp: datetime


def performance_metric(
    metric_name: str,
    value: float,
    unit: str,
    *,
    component: str | None = None,
    tags: Mapping[str, Any] | None = None,
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> PerformanceMetric:
    """A :class:`PerformanceMetric` stamped now (no component, ``tags`` ``{}``)."""
    system = resolve_system(system)
    return PerformanceMetric(
        metric_name=metric_name,
        value=value,
        unit=unit,
        node=system.node if node is None else node,
        component=component,
        tags=copy_map(tags),
        timestamp=stamp(system, timestamp),
    )


def throughput_metric(
    operation: str,
    count: int,
    duration_ms: float,
    *,
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> ThroughputMetric:
    """A :class:`ThroughputMetric` with ``rate_per_sec = count / (duration_ms / 1000)``.

    Raises:
        ValueError: if ``duration_ms`` is not a positive finite number (the
            original divided by zero).
    """
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, (int, float)):
        msg = f"throughput_metric needs a number for duration_ms, got {duration_ms!r}"
        raise TypeError(msg)
    if not (duration_ms > 0 and math.isfinite(duration_ms)):
        msg = (
            f"throughput_metric needs duration_ms > 0 to compute a rate, got {duration_ms!r} "
            f"(for {count!r} {operation!r} operations)"
        )
        raise ValueError(msg)
    system = resolve_system(system)
    return ThroughputMetric(
        operation=operation,
        count=count,
        duration_ms=duration_ms,
        rate_per_sec=count / (duration_ms / 1000.0),
        node=system.node if node is None else node,
        timestamp=stamp(system, timestamp),
    )


def latency_metric(
    operation: str,
    latency_ms: float,
    percentile: str,
    sample_count: int,
    *,
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> LatencyMetric:
    """A :class:`LatencyMetric` stamped now."""
    system = resolve_system(system)
    return LatencyMetric(
        operation=operation,
        latency_ms=latency_ms,
        percentile=percentile,
        sample_count=sample_count,
        node=system.node if node is None else node,
        timestamp=stamp(system, timestamp),
    )


def resource_usage(
    resource_type: str,
    usage_percent: float,
    total_available: float,
    current_used: float,
    *,
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> ResourceUsage:
    """A :class:`ResourceUsage` stamped now."""
    system = resolve_system(system)
    return ResourceUsage(
        resource_type=resource_type,
        usage_percent=usage_percent,
        total_available=total_available,
        current_used=current_used,
        node=system.node if node is None else node,
        timestamp=stamp(system, timestamp),
    )


def metric_alert(
    metric_name: str,
    current_value: float,
    threshold_value: float,
    threshold_type: str,
    severity: str,
    *,
    node: str | None = None,
    timestamp: datetime | None = None,
    system: ActorSystem | None = None,
) -> MetricAlert:
    """A :class:`MetricAlert` stamped now."""
    system = resolve_system(system)
    return MetricAlert(
        metric_name=metric_name,
        current_value=current_value,
        threshold_value=threshold_value,
        threshold_type=threshold_type,
        severity=severity,
        node=system.node if node is None else node,
        timestamp=stamp(system, timestamp),
    )
