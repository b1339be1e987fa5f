"""Metrics messages (``ex_esdb_metrics``): measurements, throughput, latency, resources.

Numbers are floats (ints given to float fields are stored as floats) except
counts, which are ints.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import attrs

from actors.messages import _instances
from actors.messages._base import Catalogued, Filling, filled, message, one_of
from actors.messages._vocabulary import (
    METRIC_SEVERITIES,
    PERCENTILES,
    RESOURCE_TYPES,
    THRESHOLD_TYPES,
)

__all__ = [
    "LatencyMetric",
    "MetricAlert",
    "PerformanceMetric",
    "ResourceUsage",
    "ThroughputMetric",
]


@message(
    "performance_metric",
    _instances.METRICS,
    tag="performance_metric",
    args="metric_name value unit",
    required="metric_name value unit node",
)
class PerformanceMetric(Catalogued):
    """One measurement of anything, with its unit and free-form tags.

    Attributes:
        metric_name: what was measured (``"persistence_operation"``).
        value: the value.
        unit: its unit (``"operations"``, ``"ms"``...).
        node: where.
        component: the component measured, if any.
        tags: extra dimensions (JSON values).
        timestamp: when (UTC, milliseconds).
    """

    metric_name: str
    value: float
    unit: str
    node: str
    component: str | None = None
    tags: dict[str, Any] = attrs.field(factory=dict)
    timestamp: datetime


def _rate(made: Filling) -> float | None:
    """``count / (duration_ms / 1000)``; the original divided by zero."""
    count, duration_ms = made.values.get("count"), made.values.get("duration_ms")
    if isinstance(duration_ms, bool) or not isinstance(duration_ms, (int, float)):
        msg = f"throughput_metric needs a number for duration_ms, got {duration_ms!r}"
        raise TypeError(msg)
    if not (duration_ms > 0 and math.isfinite(duration_ms)):
        operation = made.values.get("operation")
        msg = (
            f"throughput_metric needs duration_ms > 0 to compute a rate, got {duration_ms!r} "
            f"(for {count!r} {operation!r} operations)"
        )
        raise ValueError(msg)
    if isinstance(count, bool) or not isinstance(count, int):
        return None  # the validator names the wrong count
    return count / (duration_ms / 1000.0)


@message(
    "throughput_metric",
    _instances.METRICS,
    tag="throughput_metric",
    args="operation count duration_ms",
    required="operation count duration_ms rate_per_sec node",
)
class ThroughputMetric(Catalogued):
    """How many operations ran over how long, and the rate that makes per second.

    Attributes:
        operation: which operation (``"event_emission"``).
        count: how many.
        duration_ms: over how long.
        rate_per_sec: ``count / (duration_ms / 1000)`` (a factory computes it
            and refuses a ``duration_ms`` that is not a positive number).
        node: where.
        timestamp: when (UTC, milliseconds).
    """

    operation: str
    count: int
    duration_ms: float
    rate_per_sec: float = attrs.field(metadata=filled(_rate))
    node: str
    timestamp: datetime


@message(
    "latency_metric",
    _instances.METRICS,
    tag="latency_metric",
    args="operation latency_ms percentile sample_count",
    required="operation latency_ms percentile sample_count node",
)
class LatencyMetric(Catalogued):
    """One percentile (or the mean, minimum or maximum) of an operation's latency
    measured over ``sample_count`` calls.

    Attributes:
        operation: the operation timed.
        latency_ms: the latency.
        percentile: ``"p50"``, ``"p95"``, ``"p99"``, ``"max"``, ``"min"`` or ``"avg"``.
        sample_count: over how many samples.
        node: where.
        timestamp: when (UTC, milliseconds).
    """

    operation: str
    latency_ms: float
    percentile: str = attrs.field(metadata=one_of(*PERCENTILES))
    sample_count: int
    node: str
    timestamp: datetime


@message(
    "resource_usage",
    _instances.METRICS,
    tag="resource_usage",
    args="resource_type usage_percent total_available current_used",
    required="resource_type usage_percent total_available current_used node",
)
class ResourceUsage(Catalogued):
    """How much of a machine resource is used, of how much there is.

    Attributes:
        resource_type: ``"cpu"``, ``"memory"``, ``"disk"`` or ``"network"``.
        usage_percent: the share in use, in percent.
        total_available: the total (in the resource's unit).
        current_used: the amount in use.
        node: the node whose resource it is.
        timestamp: when (UTC, milliseconds).
    """

    resource_type: str = attrs.field(metadata=one_of(*RESOURCE_TYPES))
    usage_percent: float
    total_available: float
    current_used: float
    node: str
    timestamp: datetime


@message(
    "metric_alert",
    _instances.METRICS,
    tag="metric_alert",
    args="metric_name current_value threshold_value threshold_type severity",
    required="metric_name current_value threshold_value threshold_type severity node",
)
class MetricAlert(Catalogued):
    """A metric went past its threshold, above a maximum or below a minimum.

    Attributes:
        metric_name: the metric that crossed its threshold.
        current_value: its value now.
        threshold_value: the threshold.
        threshold_type: ``"min"`` or ``"max"``.
        severity: ``"warning"`` or ``"critical"``.
        node: where.
        timestamp: when (UTC, milliseconds).
    """

    metric_name: str
    current_value: float
    threshold_value: float
    threshold_type: str = attrs.field(metadata=one_of(*THRESHOLD_TYPES))
    severity: str = attrs.field(metadata=one_of(*METRIC_SEVERITIES))
    node: str
    timestamp: datetime
