"""The prometheus-client side: a custom collector (one process) and an
exporter into prometheus-client's multiprocess files (several processes)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

import actors
from actors.metrics._families import DEPTH_BUCKETS, Family, gather

__all__ = ["ActorsCollector", "MultiprocessExporter", "multiprocess_mode"]

_EXTENSION: Final = "actors.metrics.multiprocess"
_CREATE_LOCK = threading.Lock()
_BOUNDS: Final = (*(str(b) for b in DEPTH_BUCKETS), "+Inf")


def multiprocess_mode() -> bool:
    """Whether prometheus-client runs in multiprocess mode here
    (``PROMETHEUS_MULTIPROC_DIR`` is set)."""
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


class ActorsCollector(Collector):
    """Reports a system's metrics when scraped (register it on a registry).

    ``collect`` runs in the scraping thread and takes the snapshots then:
    nothing is counted per message.
    """

    def __init__(self, system: actors.ActorSystem, stores: Sequence[Any] = ()) -> None:
        self.system = system
        self.stores = tuple(stores)

    def describe(self) -> list[Metric]:
        return []  # the families depend on what runs; no checks at registration

    def collect(self) -> Iterator[Metric]:
        for family in gather(self.system, self.stores):
            yield _metric(family)


def _metric(family: Family) -> Metric:
    if family.kind == "gaugehistogram":
        histogram = GaugeHistogramMetricFamily(family.name, family.help, labels=family.labels)
        for labels, (cumulative, total) in family.samples:
            histogram.add_metric(list(labels), list(zip(_BOUNDS, cumulative, strict=True)), total)
        return histogram
    metric: CounterMetricFamily | GaugeMetricFamily
    if family.kind == "counter":
        name = family.name
        metric = CounterMetricFamily(name, family.help, labels=family.labels)
    else:
        metric = GaugeMetricFamily(family.name, family.help, labels=family.labels)
    for labels, value in family.samples:
        metric.add_metric(list(labels), value)
    return metric


class MultiprocessExporter:
    """Copies a system's metrics into prometheus-client's multiprocess
    files, so that one process's ``/metrics`` reports every process.

    In multiprocess mode a scrape reads the files of all processes
    (``MultiProcessCollector``), not the collectors of the one that
    answers; so each process writes its values: counters grow by what
    changed since the last copy (summed across processes), gauges use
    ``livesum`` (the sum over live processes), and the mailbox depth
    histogram becomes ``actors_mailbox_depth_bucket{le=...}`` gauges.
    :meth:`refresh` copies once; ``interval`` seconds apart it runs on the
    system's timer (until the system shuts down or :meth:`close`).
    """

    def __init__(
        self,
        system: actors.ActorSystem,
        stores: Sequence[Any] = (),
        *,
        interval: float = 5.0,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.system = system
        self.stores = tuple(stores)
        self.interval = interval
        self._registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        self._lock = threading.Lock()
        self._counters: dict[str, Counter] = {}
        self._gauges: dict[str, Gauge] = {}
        self._last: dict[tuple[str, tuple[str, ...]], float] = {}
        self._timer: Any = None
        self._closed = False

    @classmethod
    def of(
        cls, system: actors.ActorSystem, stores: Sequence[Any] = (), *, interval: float = 5.0
    ) -> MultiprocessExporter:
        """The one exporter of ``system`` (started on first use): a process
        must copy each counter once, or its deltas would be counted twice."""
        with _CREATE_LOCK:
            found = system.extensions.get(_EXTENSION)
            if found is None:
                found = system.extensions[_EXTENSION] = cls(system, stores, interval=interval)
                found.start()
            return found

    def start(self) -> MultiprocessExporter:
        self.refresh()
        self._schedule()
        return self

    def close(self) -> None:
        self._closed = True
        timer = self._timer
        if timer is not None:
            actors.cancel_timer(timer)

    def _schedule(self) -> None:
        if self._closed or not self.system.running:
            return
        try:
            self._timer = self.system.timers.schedule(self.interval, self._tick)
        except RuntimeError:
            self._timer = None  # the system is shutting down

    def _tick(self) -> None:
        self.refresh()
        self._schedule()

    def refresh(self) -> None:
        """Write the current values (any thread)."""
        with self._lock:
            for family in gather(self.system, self.stores):
                if family.kind == "counter":
                    self._counter(family)
                elif family.kind == "gauge":
                    gauge = self._gauge(family.name, family.help, family.labels)
                    for labels, value in family.samples:
                        gauge.labels(*labels).set(value)
                else:
                    gauge = self._gauge(
                        f"{family.name}_bucket", family.help, (*family.labels, "le")
                    )
                    for labels, (cumulative, _) in family.samples:
                        for bound, count in zip(_BOUNDS, cumulative, strict=True):
                            gauge.labels(*labels, bound).set(count)

    def _counter(self, family: Family) -> None:
        name = family.name
        counter = self._counters.get(name)
        if counter is None:
            counter = self._counters[name] = Counter(
                name, family.help, family.labels, registry=self._registry
            )
        for labels, value in family.samples:
            key = (name, labels)
            grown = value - self._last.get(key, 0)
            if grown > 0:
                counter.labels(*labels).inc(grown)
                self._last[key] = value

    def _gauge(self, name: str, text: str, labels: tuple[str, ...]) -> Gauge:
        gauge = self._gauges.get(name)
        if gauge is None:
            gauge = self._gauges[name] = Gauge(
                name, text, labels, registry=self._registry, multiprocess_mode="livesum"
            )
        return gauge
