"""``MyApp.MonitoringWorker``: performance metrics and node alerts.

    python examples/monitoring_worker.py

The metrics broadcaster reports every pub/sub instance's traffic on
``ex_esdb_metrics`` topic ``"performance"`` each ``metrics_broadcast_interval``
seconds (0.5 here, on the real clock); alerts arrive on ``ex_esdb_alerts``.

In Elixir (ExESDB's PubSub quick reference):
    def init(_) do
      Phoenix.PubSub.subscribe(:ex_esdb_metrics, "performance")
      Phoenix.PubSub.subscribe(:ex_esdb_alerts, "node_failure")
      {:ok, %{}}
    end
    def handle_info({:performance_metric, metric}, state) ...
    def handle_info({:system_alert, alert}, state) ...
"""

from __future__ import annotations

from typing import Any

import actors
from actors import gater, pubsub
from actors.gater import integration
from actors.pubsub import instances


class MonitoringWorker(actors.GenServer):
    def init(self) -> None:
        pubsub.subscribe(instances.METRICS, "performance")
        pubsub.subscribe(instances.ALERTS, "node_failure")
        self.totals: dict[tuple[str, str], float] = {}  # (component, metric) -> sum
        self.metrics_seen = 0
        self.alerts: list[str] = []
        self.waiting: list[tuple[int, actors.Caller]] = []

    def handle_info(self, message: Any) -> None:
        match message:
            case ("performance_metric", metric):
                key = (metric.component, metric.metric_name)
                self.totals[key] = self.totals.get(key, 0.0) + metric.value
                self.metrics_seen += 1
                self._answer_waiting()
            case ("system_alert", alert):
                self.alerts.append(f"[{alert.severity}] {alert.title} {alert.metadata}")

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("wait_for_metrics", n):  # reply once n metrics have arrived
                self.waiting.append((n, caller))
                self._answer_waiting()
                return actors.NO_REPLY
            case ("report",):
                busy = {key: total for key, total in self.totals.items() if total}
                return busy, list(self.alerts)
            case _:
                return super().handle_call(request, caller)

    def _answer_waiting(self) -> None:
        for n, caller in [w for w in self.waiting if w[0] <= self.metrics_seen]:
            self.waiting.remove((n, caller))
            actors.reply(caller, self.metrics_seen)


def main() -> None:
    config = {"metrics_broadcast_interval": 0.5}  # seconds
    with actors.ActorSystem("monitoring", config=config) as system:
        # The ten instances and both broadcasters (no audit file for this example).
        gater.start(system, audit=False)
        worker = MonitoringWorker.start(name="monitoring_worker", system=system)

        for i in range(25):  # some business traffic to measure
            pubsub.broadcast(instances.EVENTS, "orders:$all", ("events", [i]), system=system)
        integration.broadcast_alert(
            "node_failure", "critical", "Node b@cluster down", {"node": "b@cluster"}, system=system
        )
        # A component of yours can report on the same topic.
        integration.broadcast_metrics(
            "persistence", {"operations_count": 1000}, topic="performance", system=system
        )

        # One metric per running instance per tick, plus ours.
        actors.call(worker, ("wait_for_metrics", len(instances.ALL) + 1), timeout=10)
        busy, alerts = actors.call(worker, ("report",))
        print("metrics in the first interval (zeros left out):")
        for (component, metric), total in sorted(busy.items()):
            print(f"  {component:<20} {metric:<22} {total:g}")
        print("alerts:")
        for alert in alerts:
            print(f"  {alert}")


if __name__ == "__main__":
    main()
