"""Periodic health and metrics broadcasters: supervised GenServers on the system clock.

ExESDB's ``PubSubIntegration`` only had the two interval getters; no timer
ever used them. Here :class:`HealthBroadcaster` publishes this node's
health every ``health_broadcast_interval`` seconds and
:class:`MetricsBroadcaster` the pub/sub instances' traffic every
``metrics_broadcast_interval`` seconds. Timers go through
:func:`actors.send_after`, so a :class:`~actors.ManualClock` drives them in
tests. Both skip publishing while the integration is disabled and never
crash on a failed broadcast: it is logged and counted (broadcasting never
breaks business logic).

Add them to a tree with :func:`integration_children`, or start them under
their own supervisor with :func:`start_broadcasters`.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Final

import attrs

import actors
import supervision as sv
from actors import messages
from actors.gater._integration import (
    BroadcastResult,
    Prepared,
    check_interval,
    enabled,
    fail,
    health_broadcast_interval,
    metrics_broadcast_interval,
    publish,
)
from actors.gater._once import start_link_once
from actors.lowlevel import resolve_system
from actors.pubsub import InstanceStatistics, PubSubManager, instances

__all__ = [
    "BROADCASTERS_NAME",
    "HEALTH_BROADCASTER_NAME",
    "HEALTH_TOPIC",
    "METRICS_BROADCASTER_NAME",
    "PERFORMANCE_TOPIC",
    "PRESSURE_FALLBACK_LIMIT",
    "PRESSURE_THRESHOLD",
    "THROUGHPUT_TOPIC",
    "BroadcasterStatistics",
    "HealthBroadcaster",
    "MetricsBroadcaster",
    "integration_children",
    "process_memory_percent",
    "start_broadcasters",
]

logger = logging.getLogger("actors.gater.integration")

HEALTH_BROADCASTER_NAME: Final = "ex_esdb_health_broadcaster"
METRICS_BROADCASTER_NAME: Final = "ex_esdb_metrics_broadcaster"
BROADCASTERS_NAME: Final = "ex_esdb_integration"
"""The registered name of the supervisor :func:`start_broadcasters` starts."""

HEALTH_TOPIC: Final = "cluster:health"
PERFORMANCE_TOPIC: Final = "performance"
THROUGHPUT_TOPIC: Final = "throughput"

PRESSURE_THRESHOLD: Final = 0.8
"""A subscriber mailbox this full (of its instance's ``mailbox_limit``) fails
the ``"mailbox_pressure"`` health check."""
PRESSURE_FALLBACK_LIMIT: Final = 10_000
"""The limit used for instances whose ``mailbox_limit`` is ``None``."""

_TICK: Final = ("actors.gater.integration.tick",)


@attrs.frozen
class BroadcasterStatistics:
    """What a broadcaster has done (``actors.call(ref, ("statistics",))``).

    Attributes:
        interval: seconds between ticks.
        ticks: timer ticks handled.
        published: messages broadcast successfully.
        failed: broadcasts that failed, plus ticks that raised.
        skipped: ticks skipped because the integration was disabled.
    """

    interval: float
    ticks: int
    published: int
    failed: int
    skipped: int


class _Periodic(actors.GenServer):
    """Fixed-rate ticks on the system clock; subclasses implement :meth:`broadcast_once`.

    Callbacks run on a pool worker (one at a time), or in the actor's thread
    with ``runtime="thread"``; ``init`` runs in the starting thread on the
    pooled runtime.
    """

    def init(self, interval: float | None = None) -> None:
        """Runs in the thread that starts it (in its own thread with ``runtime = "thread"``)."""
        self.interval = (
            self.configured_interval() if interval is None else check_interval(interval, "interval")
        )
        self.ticks = self.published = self.failed = self.skipped = 0
        self._deadline = self.system.clock.monotonic() + self.interval
        self._timer = actors.send_after(self.ref, _TICK, self.interval)

    def configured_interval(self) -> float:
        """The interval from the system's configuration; called in ``init``."""
        raise NotImplementedError

    def broadcast_once(self) -> list[BroadcastResult]:
        """Publish one round; called on each tick and on ``("broadcast_now",)``,
        in the broadcaster's turn (a pool worker, or the caller's thread for
        a call run inline)."""
        raise NotImplementedError

    def _arm(self) -> None:
        # Fixed rate: the next deadline follows the previous one, so a tick
        # handled late does not push every later tick back. After a long
        # gap (a big clock jump) the missed ticks are skipped, not replayed.
        now = self.system.clock.monotonic()
        self._deadline += self.interval
        if self._deadline < now - self.interval:
            self._deadline = now
        self._timer = actors.send_after(self.ref, _TICK, max(0.0, self._deadline - now))

    def _run(self) -> list[BroadcastResult]:
        try:
            results = self.broadcast_once()
        except Exception:  # never crash the broadcaster over one bad tick
            logger.exception("%s: a periodic broadcast failed", type(self).__name__)
            self.failed += 1
            return []
        for result in results:
            if result == "ok":
                self.published += 1
            elif result == "disabled":
                self.skipped += 1
            else:
                self.failed += 1
        return results

    def handle_info(self, message: Any) -> None:
        """Runs in a pool worker (its own thread with ``runtime = "thread"``)."""
        if message == _TICK:
            self._arm()
            self.ticks += 1
            self._run()
        else:
            super().handle_info(message)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """Runs in a pool worker or, when the actor is idle, in the caller's thread
        (in its own thread with ``runtime = "thread"``)."""
        match request:
            case ("broadcast_now",):
                return self._run()
            case ("statistics",):
                return BroadcasterStatistics(
                    self.interval, self.ticks, self.published, self.failed, self.skipped
                )
        return super().handle_call(request, caller)

    def terminate(self, reason: Any) -> None:
        """Runs in a pool worker (its own thread with ``runtime = "thread"``)."""
        actors.cancel_timer(self._timer)


class HealthBroadcaster(_Periodic):
    """Every ``health_broadcast_interval`` seconds, this node's health on
    ``ex_esdb_health`` ``"cluster:health"``: a ``NodeHealth``
    (``node_health_updated``), then a single-node ``ClusterHealth``
    (``cluster_health_updated``).

    ``NodeHealth.checks`` maps each of the ten gater instances to ``"pass"``
    (running) or ``"fail"``, plus ``"mailbox_pressure"``: ``"fail"`` when a
    subscriber mailbox of some running instance holds
    :data:`PRESSURE_THRESHOLD` of that instance's ``mailbox_limit`` or more.
    Status: ``"healthy"`` when everything passes; ``"degraded"`` when only
    mailbox pressure fails or at most half the instances are down;
    ``"unhealthy"`` otherwise. ``memory_usage`` is this process's resident
    memory as a percentage of physical memory (:func:`process_memory_percent`);
    ``load_avg`` is the 1-minute load average; ``disk_usage`` is not measured.

    The ``ClusterHealth`` counts this node only: ``healthy_nodes`` 1 when
    healthy else 0, ``total_nodes`` 1, the node listed as degraded or
    unhealthy, quorum ``"lost"`` only when unhealthy.

    Start args: ``interval`` (seconds; default from the config, read at
    start) and ``topic``. ``actors.call(ref, ("broadcast_now",))`` publishes
    at once and returns the two results.
    """

    def init(self, interval: float | None = None, topic: str = HEALTH_TOPIC) -> None:
        """Runs in the thread that starts it (in its own thread with ``runtime = "thread"``)."""
        self.topic = topic
        super().init(interval)

    def configured_interval(self) -> float:
        return health_broadcast_interval(self.system)

    def broadcast_once(self) -> list[BroadcastResult]:
        system = self.system
        if not enabled(system):
            return ["disabled"]
        node, cluster = self.snapshot()
        return [
            publish(system, Prepared("node_health", instances.HEALTH, self.topic, node)),
            publish(system, Prepared("cluster_health", instances.HEALTH, self.topic, cluster)),
        ]

    def snapshot(self) -> tuple[messages.NodeHealth, messages.ClusterHealth]:
        """This node's health now: the two messages a tick publishes."""
        system = self.system
        manager = PubSubManager.of(system)
        checks: dict[str, str] = {}
        pressure = False
        for name in instances.ALL:
            handle = manager.get(name)
            running = handle is not None and handle.running
            checks[name] = "pass" if running else "fail"
            if running and handle is not None:
                limit = handle.config.mailbox_limit or PRESSURE_FALLBACK_LIMIT
                largest = handle.statistics().largest_mailbox
                pressure = pressure or largest >= limit * PRESSURE_THRESHOLD
        checks["mailbox_pressure"] = "fail" if pressure else "pass"
        down = sum(1 for name in instances.ALL if checks[name] == "fail")
        if down == 0 and not pressure:
            status = "healthy"
        elif down * 2 <= len(instances.ALL):
            status = "degraded"
        else:
            status = "unhealthy"
        node = messages.new(
            messages.NodeHealth,
            system.node,
            status,
            checks=checks,
            load_avg=_load_average(),
            memory_usage=process_memory_percent(),
            system=system,
        )
        cluster = messages.new(
            messages.ClusterHealth,
            status,
            1 if status == "healthy" else 0,
            1,
            degraded_nodes=(system.node,) if status == "degraded" else (),
            unhealthy_nodes=(system.node,) if status == "unhealthy" else (),
            quorum_status="lost" if status == "unhealthy" else "available",
            system=system,
        )
        return node, cluster


_Counts = tuple[int, int, int, int, int, int]


class MetricsBroadcaster(_Periodic):
    """Every ``metrics_broadcast_interval`` seconds, the traffic of every
    running pub/sub instance of the system, on ``ex_esdb_metrics``:

    * topic ``"performance"``: ``PerformanceMetric(metric_name="published",
      value=<broadcasts since the last tick>, unit="messages",
      component=<instance>)``, with ``tags`` holding the other counters since
      the last tick (``delivered``, ``dropped``, ``failed``, ``rejected``,
      ``dead``) and the gauges ``subscribers``, ``subscriptions`` and
      ``largest_mailbox``;
    * topic ``"throughput"``: ``ThroughputMetric(operation="broadcast:<instance>",
      count=<broadcasts since the last tick>, duration_ms=<that window>)``:
      the clock-time since the previous tick (or the start), so a tick forced
      with ``("broadcast_now",)`` reports the window it really covers (at
      least 1 ms, the resolution the rate is computed at).

    The first tick counts from the broadcaster's start. The counters move on
    while the integration is disabled, so the first tick after enabling
    covers one interval only. Its own broadcasts show up in
    ``ex_esdb_metrics``' counts of the next tick. If ``ex_esdb_metrics`` is
    not running, a tick reports one failure instead of one per message.
    """

    def init(self, interval: float | None = None) -> None:
        """Runs in the thread that starts it (in its own thread with ``runtime = "thread"``)."""
        super().init(interval)
        self._window_start = self.system.clock.monotonic()
        self._last: dict[str, _Counts] = {
            name: _counts(handle.statistics())
            for name, handle in PubSubManager.of(self.system).instances().items()
            if handle.running
        }

    def configured_interval(self) -> float:
        return metrics_broadcast_interval(self.system)

    def broadcast_once(self) -> list[BroadcastResult]:
        system = self.system
        manager = PubSubManager.of(system)
        now_s = system.clock.monotonic()
        window_ms = max(1.0, (now_s - self._window_start) * 1000.0)
        self._window_start = now_s
        deltas: list[tuple[str, InstanceStatistics, _Counts]] = []
        for name, handle in manager.instances().items():
            if not handle.running:
                continue
            stats = handle.statistics()
            now = _counts(stats)
            before = self._last.get(name, (0, 0, 0, 0, 0, 0))
            self._last[name] = now
            delta = tuple(max(0, a - b) for a, b in zip(now, before, strict=True))
            deltas.append((name, stats, delta))  # type: ignore[arg-type]
        if not enabled(system):
            return ["disabled"]
        target = manager.get(instances.METRICS)
        if target is None or target.state == "stopped":
            return [fail(system, "metrics", "no_instance", instances.METRICS, PERFORMANCE_TOPIC)]
        results: list[BroadcastResult] = []
        duration_ms = window_ms
        for name, stats, (published, delivered, dropped, failed, rejected, dead) in deltas:
            performance = messages.new(
                messages.PerformanceMetric,
                "published",
                published,
                "messages",
                component=name,
                tags={
                    "delivered": delivered,
                    "dropped": dropped,
                    "failed": failed,
                    "rejected": rejected,
                    "dead": dead,
                    "subscribers": stats.subscribers,
                    "subscriptions": stats.subscriptions,
                    "largest_mailbox": stats.largest_mailbox,
                },
                system=system,
            )
            throughput = messages.new(
                messages.ThroughputMetric,
                f"broadcast:{name}",
                published,
                duration_ms,
                system=system,
            )
            results.append(
                publish(
                    system,
                    Prepared(
                        "performance_metric", instances.METRICS, PERFORMANCE_TOPIC, performance
                    ),
                )
            )
            results.append(
                publish(
                    system,
                    Prepared("throughput_metric", instances.METRICS, THROUGHPUT_TOPIC, throughput),
                )
            )
        return results


def _counts(stats: InstanceStatistics) -> _Counts:
    return (
        stats.published,
        stats.delivered,
        stats.dropped,
        stats.failed,
        stats.rejected,
        stats.dead,
    )


# Child specs and a standalone supervisor ---------------------------------------------


def integration_children(
    system: actors.ActorSystem | None = None,
    *,
    health_interval: float | None = None,
    metrics_interval: float | None = None,
) -> list[sv.ChildSpec]:
    """Child specs of the two broadcasters (ids ``"health_broadcaster"`` and
    ``"metrics_broadcaster"``, registered as :data:`HEALTH_BROADCASTER_NAME`
    and :data:`METRICS_BROADCASTER_NAME`), to add to a tree after the pub/sub
    instances, e.g. ``gater.start(system, extra=integration_children(system))``.

    The intervals (seconds) default to the system's config, read now.

    Raises:
        ValueError: an interval (given or configured) is not a positive number.
    """
    system = resolve_system(system)
    health = (
        health_broadcast_interval(system)
        if health_interval is None
        else check_interval(health_interval, "health_interval")
    )
    metrics = (
        metrics_broadcast_interval(system)
        if metrics_interval is None
        else check_interval(metrics_interval, "metrics_interval")
    )
    return [
        sv.child_spec(
            "health_broadcaster",
            start_link_once,
            HealthBroadcaster,
            interval=health,
            name=HEALTH_BROADCASTER_NAME,
        ),
        sv.child_spec(
            "metrics_broadcaster",
            start_link_once,
            MetricsBroadcaster,
            interval=metrics,
            name=METRICS_BROADCASTER_NAME,
        ),
    ]


def start_broadcasters(
    system: actors.ActorSystem | None = None,
    *,
    health_interval: float | None = None,
    metrics_interval: float | None = None,
    name: str = BROADCASTERS_NAME,
) -> actors.Ref[Any]:
    """Start both broadcasters under their own ``one_for_one`` supervisor
    (registered as ``name``) and return it; if it already runs, return it.

    For programs that do not add :func:`integration_children` to the gater
    tree. Start the gater (the pub/sub instances) first, or the broadcasts
    report ``("error", "no_instance")``.
    """
    system = resolve_system(system)
    existing = actors.whereis(name, system)
    if existing is not None:
        return existing  # type: ignore[no-any-return]
    specs = integration_children(
        system, health_interval=health_interval, metrics_interval=metrics_interval
    )
    try:
        return sv.Supervisor.start(specs, strategy="one_for_one", name=name, system=system)
    except actors.AlreadyStarted as exc:  # another thread won the race
        return exc.ref  # type: ignore[no-any-return]


# Measurements ------------------------------------------------------------------------


def process_memory_percent() -> float | None:
    """This process's resident memory as a percentage of physical memory.

    The resident set size comes from ``/proc/self/status`` (``VmRSS``) where
    there is one, else from ``resource.getrusage`` (the peak, on macOS and
    BSD); physical memory from ``os.sysconf``. ``None`` if either is unknown.
    """
    rss = _rss_bytes()
    total = _physical_memory()
    if rss is None or not total:
        return None
    return round(100.0 * rss / total, 3)


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024  # reported in kB
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def _load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return None
