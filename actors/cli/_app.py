"""The demo application: the gater tree, its consumers, traffic and chaos.

One supervision tree::

    demo (one_for_one)
    ├── ex_esdb_gater   the ten pub/sub instances and the auditor
    ├── consumers       health dashboard, security operations center,
    │                   performance monitor, incident responder, lifecycle feed
    ├── workers         a flaky worker (at most 3 restarts in 5 s)
    └── traffic         simulated node, cluster, metrics, security and
                        audit traffic; a chaos actor that crashes the worker
                        now and then, and once in a burst, so that
                        ``workers`` gives up and ``demo`` restarts it

Everything here is an ordinary application built on the public API.
"""

from __future__ import annotations

import os
import random
from collections import Counter, deque
from typing import Any, Final

import attrs

import actors
import supervision as sv
from actors import gater, messages, pubsub
from actors.pubsub import instances

__all__ = ["APP_NAME", "ConsumerSummary", "start_app"]

APP_NAME: Final = "demo"
STORE: Final = "production_store"
SUBSCRIPTIONS: Final = ("user_projection", "order_projection", "billing_projection")
NODES: Final = ("node-a", "node-b", "node-c")
FEED_SIZE: Final = 200
FAILURES: Final = (
    TimeoutError("no reply from node-b within 5s"),
    ConnectionResetError("store connection reset"),
    RuntimeError("projection checkpoint is behind the stream"),
)


@attrs.frozen
class ConsumerSummary:
    """What one consumer has seen so far (for the live view and the summary)."""

    name: str
    received: int
    detail: str


class _Consumer(actors.GenServer):
    """Counts what it receives; ``("summary",)`` answers a ConsumerSummary."""

    title = "consumer"

    def init(self) -> None:
        """Runs in the thread that starts it (a supervisor's, for a child)."""
        self.received = 0
        for instance, topic in self.subscriptions():
            pubsub.subscribe(instance, topic)

    def subscriptions(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def handle_info(self, message: Any) -> None:
        """Runs in a pool worker."""
        self.received += 1
        self.observe(message)

    def observe(self, message: Any) -> None:
        pass

    def detail(self) -> str:
        return ""

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """Runs in a pool worker, or in the caller's thread when the actor is idle."""
        return ConsumerSummary(self.title, self.received, self.detail())


class HealthDashboard(_Consumer):
    title = "health dashboard"

    def init(self) -> None:
        """Runs in the thread that starts it (a supervisor's, for a child)."""
        self.status: dict[str, str] = {}
        self.nodes: dict[str, str] = {}
        super().init()

    def subscriptions(self) -> list[tuple[str, str]]:
        return [
            (instances.HEALTH, "subscription_health:*"),
            (instances.HEALTH, "cluster:health"),
            (instances.LIFECYCLE, "process_lifecycle:*"),
        ]

    def observe(self, message: Any) -> None:
        match message:
            case ("subscription_health", {"subscription_name": name, "event_type": status}):
                self.status[name] = status
            case ("node_health_updated", messages.NodeHealth(node=node, status=status)):
                self.nodes[node] = status

    def detail(self) -> str:
        healthy = sum(1 for s in self.nodes.values() if s == "healthy")
        broken = [
            n for n, s in self.status.items() if s in ("proxy_crashed", "registration_failed")
        ]
        return f"{healthy}/{len(self.nodes)} nodes healthy, failing: {', '.join(broken) or 'none'}"


class SecurityOperationsCenter(_Consumer):
    title = "security operations"

    def init(self) -> None:
        """Runs in the thread that starts it (a supervisor's, for a child)."""
        self.failures: Counter[str] = Counter()
        self.violations = 0
        self.changes = 0
        self.critical = 0
        super().init()

    def subscriptions(self) -> list[tuple[str, str]]:
        return [
            (instances.SECURITY, "security_events:*"),
            (instances.AUDIT, "audit_trail:*"),
            (instances.ALERTS, "system_alerts:critical"),
        ]

    def observe(self, message: Any) -> None:
        match message:
            case ("auth_event", messages.AuthEvent(event_type="login_failure", user_id=user)):
                self.failures[user or "?"] += 1
            case ("access_violation", _):
                self.violations += 1
            case ("data_change", _):
                self.changes += 1
            case ("system_alert", _):
                self.critical += 1

    def detail(self) -> str:
        suspects = [user for user, n in self.failures.items() if n >= 3]
        return (
            f"{_count(sum(self.failures.values()), 'failed login')}, "
            f"{_count(self.violations, 'violation')}, "
            f"{_count(self.changes, 'audited change')}, suspects: {', '.join(suspects) or 'none'}"
        )


class PerformanceMonitor(_Consumer):
    title = "performance monitor"

    def init(self) -> None:
        """Runs in the thread that starts it (a supervisor's, for a child)."""
        self.total_ms = 0.0
        self.samples = 0
        self.traces = 0
        super().init()

    def subscriptions(self) -> list[tuple[str, str]]:
        return [
            (instances.METRICS, "subscription_metrics:*"),
            (instances.DIAGNOSTICS, "diagnostics:performance_trace"),
        ]

    def observe(self, message: Any) -> None:
        match message:
            case ("subscription_metrics", {"metadata": {"processing_time_ms": ms}}):
                self.total_ms += ms
                self.samples += 1
            case ("debug_trace", _):
                self.traces += 1

    def detail(self) -> str:
        average = self.total_ms / self.samples if self.samples else 0.0
        return (
            f"avg processing {average:.1f} ms over {_count(self.samples, 'sample')}, "
            f"{_count(self.traces, 'trace')}"
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class IncidentResponder(_Consumer):
    title = "incident response"

    def init(self) -> None:
        """Runs in the thread that starts it (a supervisor's, for a child)."""
        self.incidents = 0
        self.escalations = 0
        super().init()

    def subscriptions(self) -> list[tuple[str, str]]:
        return [
            (instances.ALERTS, "system_alerts:*"),
            (instances.HEALTH, "subscription_health:*"),
            (instances.LIFECYCLE, "process_lifecycle:*"),
        ]

    def observe(self, message: Any) -> None:
        match message:
            case ("system_alert", messages.SystemAlert(severity="critical")):
                self.incidents += 1
            case ("process_lifecycle_event", event) if event.event_type == "max_restarts_reached":
                self.escalations += 1
                self.incidents += 1

    def detail(self) -> str:
        return (
            f"{_count(self.incidents, 'incident')} opened, {_count(self.escalations, 'escalation')}"
        )


class LifecycleFeed(actors.GenServer):
    """Keeps the latest lifecycle events and counts them (the live view's feed)."""

    def init(self) -> None:
        """Runs in the thread that starts it (a supervisor's, for a child)."""
        pubsub.subscribe(instances.LIFECYCLE, "*")
        self.events: deque[tuple[int, actors.ProcessLifecycle]] = deque(maxlen=FEED_SIZE)
        self.seen = 0
        self.counts: Counter[str] = Counter()

    def handle_info(self, message: Any) -> None:
        """Runs in a pool worker."""
        match message:
            case ("process_lifecycle_event", actors.ProcessLifecycle() as event):
                self.seen += 1
                self.counts[event.event_type] += 1
                self.events.append((self.seen, event))

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        """Runs in a pool worker, or in the caller's thread when the actor is idle."""
        match request:
            case ("since", after):
                return [item for item in self.events if item[0] > after], dict(self.counts)
        return None


class Flaky(actors.GenServer):
    """A worker that crashes when told to (by the chaos actor)."""

    def init(self) -> None:
        """Runs in the thread that starts it (a supervisor's, for a child)."""
        self.handled = 0

    def handle_cast(self, request: Any) -> None:
        """Runs in a pool worker."""
        match request:
            case ("crash", n):
                raise FAILURES[n % len(FAILURES)]
            case _:
                self.handled += 1


class Chaos(actors.GenServer):
    """Crashes ``flaky`` every ``every`` seconds, and once, at ``burst_at``,
    four times in a row so that its supervisor gives up and escalates."""

    def init(self, every: float, burst_at: float) -> None:
        """Runs in the thread that starts it (a supervisor's, for a child)."""
        self.every = every
        self.burst_at = burst_at
        self.started = self.system.clock.monotonic()
        self.crashes = 0
        self.burst_left = 0
        self.burst_done = False
        actors.send_after(self.ref, ("tick",), every)

    def handle_info(self, message: Any) -> None:
        """Runs in a pool worker."""
        match message:
            case ("tick",):
                elapsed = self.system.clock.monotonic() - self.started
                if not self.burst_done and elapsed >= self.burst_at:
                    self.burst_done = True
                    self.burst_left = 4
                    actors.send(self.ref, ("burst",))
                else:
                    self._crash()
                actors.send_after(self.ref, ("tick",), self.every)
            case ("burst",):
                self._crash()
                self.burst_left -= 1
                if self.burst_left:
                    actors.send_after(self.ref, ("burst",), 0.05)

    def _crash(self) -> None:
        self.crashes += 1
        try:
            actors.cast("flaky", ("crash", self.crashes))
        except actors.NoProcError:
            pass  # between incarnations: nothing to crash right now


class Traffic(actors.GenServer):
    """Publishes what a small ExESDB cluster would, every ``tick`` seconds."""

    def init(self, tick: float) -> None:
        """Runs in the thread that starts it (a supervisor's, for a child)."""
        self.tick = tick
        self.rng = random.Random(7)
        self.n = 0
        actors.send_after(self.ref, ("tick",), tick)

    def handle_info(self, message: Any) -> None:
        """Runs in a pool worker."""
        match message:
            case ("tick",):
                self.n += 1
                self._publish()
                actors.send_after(self.ref, ("tick",), self.tick)

    def _publish(self) -> None:
        rng, n = self.rng, self.n

        def send(instance: str, topic: str, item: Any) -> None:
            pubsub.broadcast(instance, topic, item)

        for i in range(rng.randint(3, 8)):
            event = {"stream": f"orders-{rng.randint(1, 50)}", "type": "OrderPlaced", "n": i}
            send(instances.EVENTS, f"{STORE}:$all", ("events", [event]))
        for name in SUBSCRIPTIONS:
            status = rng.choices(
                ["event_delivery_success", "circuit_breaker_opened", "proxy_crashed"],
                weights=[90, 7, 3],
            )[0]
            event = {"store_id": STORE, "subscription_name": name, "event_type": status}
            send(
                instances.HEALTH,
                f"subscription_health:{STORE}:{name}",
                ("subscription_health", event),
            )
            metric = {
                "subscription_name": name,
                "metadata": {"processing_time_ms": round(rng.uniform(5, 80), 1)},
            }
            topic = f"subscription_metrics:{STORE}:{name}"
            send(instances.METRICS, topic, ("subscription_metrics", metric))
        if n % 5 == 0:
            for node in NODES:
                status = "healthy" if rng.random() > 0.1 else "degraded"
                health = messages.new(
                    messages.NodeHealth, node, status, memory_usage=rng.uniform(30, 70)
                )
                send(instances.HEALTH, "cluster:health", (health.TAG, health))
            trace = messages.new(
                messages.DebugTrace, "store", "append_events", {"ms": rng.uniform(1, 9)}
            )
            send(instances.DIAGNOSTICS, "diagnostics:performance_trace", (trace.TAG, trace))
        user = rng.choice(["alice", "bob", "mallory"])
        outcome = "login_failure" if user == "mallory" and rng.random() < 0.6 else "login_success"
        auth = messages.new(messages.AuthEvent, user, outcome, "password", source_ip="10.0.0.7")
        send(instances.SECURITY, "security_events:authentication", (auth.TAG, auth))
        if n % 7 == 0:
            violation = messages.new(
                messages.AccessViolation, "permission_denied", "/admin", "delete", user_id="mallory"
            )
            send(instances.SECURITY, "security_events:authorization", (violation.TAG, violation))
        if n % 3 == 0:
            change = messages.new(messages.DataChange, user, "order", f"o-{n}", "update")
            send(instances.AUDIT, "audit_trail:user_actions", (change.TAG, change))
        if n % 11 == 0:
            severity = "critical" if n % 33 == 0 else "warning"
            alert = messages.new(
                messages.SystemAlert,
                severity,
                "performance",
                "Slow projection",
                "billing lags",
                "demo",
            )
            send(instances.ALERTS, f"system_alerts:{severity}", (alert.TAG, alert))
        entry = messages.new(messages.LogEntry, "info", f"tick {n}", "demo.traffic")
        send(instances.LOGGING, "logs:demo:info", (entry.TAG, entry))


CONSUMERS: Final = (
    ("dashboard", HealthDashboard),
    ("soc", SecurityOperationsCenter),
    ("performance", PerformanceMonitor),
    ("incidents", IncidentResponder),
    ("feed", LifecycleFeed),
)


def app_specs(
    audit: bool | str | os.PathLike[str],
    *,
    traffic: bool = True,
    tick: float = 0.1,
    crash_every: float = 1.5,
    burst_at: float = 4.0,
) -> list[sv.ChildSpec]:
    """The children of the ``demo`` supervisor."""
    specs = [
        sv.child_spec("gater", gater.start_link, audit=audit, type="supervisor"),
        sv.child_spec(
            "consumers",
            sv.Supervisor,
            [sv.child_spec(name, cls, name=name) for name, cls in CONSUMERS],
            name="consumers",
            type="supervisor",
        ),
        sv.child_spec(
            "workers",
            sv.Supervisor,
            [sv.child_spec("flaky", Flaky, name="flaky")],
            max_restarts=3,
            max_seconds=5,
            name="workers",
            type="supervisor",
        ),
    ]
    if traffic:
        specs.append(
            sv.child_spec(
                "traffic",
                sv.Supervisor,
                [
                    sv.child_spec("simulator", Traffic, tick, name="traffic_simulator"),
                    sv.child_spec("chaos", Chaos, crash_every, burst_at, name="chaos"),
                ],
                name="traffic",
                type="supervisor",
            )
        )
    return specs


def start_app(system: actors.ActorSystem, **options: Any) -> actors.Ref[Any]:
    """Start the demo tree in ``system``; options as for :func:`app_specs`."""
    audit = options.pop("audit", True)
    return sv.Supervisor.start(
        app_specs(audit, **options), max_restarts=5, max_seconds=5, name=APP_NAME, system=system
    )
