"""Performance Monitoring consumer: subscription metrics
and performance traces, aggregated per subscription.

    python examples/performance_monitoring.py

In Elixir (a consumer pattern of ExESDB Gater's PubSub architecture guide):
    Phoenix.PubSub.subscribe(:ex_esdb_metrics, "subscription_metrics:*")
    Phoenix.PubSub.subscribe(:ex_esdb_diagnostics, "diagnostics:performance_trace")
"""

from __future__ import annotations

from collections import defaultdict
from statistics import mean
from typing import Any

import actors
from actors import gater, pubsub
from actors.pubsub import instances


class PerformanceMonitor(actors.GenServer):
    def init(self) -> None:
        pubsub.subscribe(instances.METRICS, "subscription_metrics:*")
        pubsub.subscribe(instances.DIAGNOSTICS, "diagnostics:performance_trace")
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.traces = 0

    def handle_info(self, message: Any) -> None:
        match message:
            case ("subscription_metrics", {"subscription_name": name, "metadata": meta}):
                self.latencies[name].append(meta["processing_time_ms"])
            case ("diagnostic_event", _):
                self.traces += 1

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case "report":
                averages = {name: mean(values) for name, values in self.latencies.items()}
                return averages, self.traces
            case _:
                return super().handle_call(request, caller)


def main() -> None:
    with actors.ActorSystem("performance") as system:
        gater.start(system, audit=False)  # no audit file for this example
        monitor = PerformanceMonitor.start(system=system)

        for name, ms in [("user_projection", 45), ("user_projection", 55), ("orders", 12)]:
            event = {
                "store_id": "production_store",
                "subscription_name": name,
                "event_type": "registration_attempt",
                "metadata": {"result": "ok", "processing_time_ms": ms},
            }
            topic = f"subscription_metrics:production_store:{name}"
            pubsub.broadcast(
                instances.METRICS, topic, ("subscription_metrics", event), system=system
            )
        pubsub.broadcast(
            instances.DIAGNOSTICS,
            "diagnostics:performance_trace",
            ("diagnostic_event", {"span": "append_events", "duration_ms": 3.2}),
            system=system,
        )

        averages, traces = actors.call(monitor, "report")
        for name, average in sorted(averages.items()):
            print(f"{name:<16} average processing {average:.1f} ms")
        print("performance traces:", traces)


if __name__ == "__main__":
    main()
