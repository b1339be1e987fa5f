"""A Prometheus exporter for an actor system, on ``prometheus-client``
(``pip install 'actors-otp[metrics]'``).

* :func:`start_http_server` serves ``/metrics`` on its own (the dashboard's
  server serves it too, with ``/alive`` and ``/ready``);
* :func:`registry_for` gives a registry to serve from your own app;
* :class:`ActorsCollector` reads the system's statistics at scrape time;
  :class:`MultiprocessExporter` writes them to prometheus-client's
  multiprocess files when ``PROMETHEUS_MULTIPROC_DIR`` is set.

Metric names, labels and their meaning: ``docs/metrics.md``.
"""

from __future__ import annotations

from actors.metrics._collector import ActorsCollector, MultiprocessExporter, multiprocess_mode
from actors.metrics._families import DEPTH_BUCKETS, Family, gather
from actors.metrics._health import alive, readiness
from actors.metrics._http import MetricsServer, registry_for, start_http_server
from actors.metrics._lifecycle import LifecycleCounters, supervisor_label

__all__ = [
    "DEPTH_BUCKETS",
    "ActorsCollector",
    "Family",
    "LifecycleCounters",
    "MetricsServer",
    "MultiprocessExporter",
    "alive",
    "gather",
    "multiprocess_mode",
    "readiness",
    "registry_for",
    "start_http_server",
    "supervisor_label",
]
