"""A live health dashboard fed by the periodic health broadcaster and alerts.

    python examples/health_and_metrics.py

``MyApp.DashboardLive`` as a GenServer (its assigns become
attributes, ``render`` prints a table). The system runs on a ManualClock, so
"30 seconds later" takes no time: ``clock.advance(30)`` fires the
broadcasters' timers at once.

In Elixir (ExESDB's PubSub quick reference):
    Phoenix.PubSub.subscribe(:ex_esdb_health, "cluster_health")
    Phoenix.PubSub.subscribe(:ex_esdb_alerts, "node_failure")
    def handle_info({:node_health_updated, payload}, socket) ...
    def handle_info({:system_alert, alert}, socket) ...
"""

from __future__ import annotations

from typing import Any

import actors
import supervision as sv
from actors import gater, pubsub
from actors.gater import integration
from actors.pubsub import instances


class Dashboard(actors.GenServer):
    def init(self) -> None:
        pubsub.subscribe(instances.HEALTH, "cluster:health")
        pubsub.subscribe(instances.ALERTS, "node_failure")
        self.nodes: dict[str, Any] = {}
        self.cluster: Any = None
        self.flash: list[str] = []
        self.updates = 0
        self.waiting: list[tuple[int, actors.Caller]] = []

    def handle_info(self, message: Any) -> None:
        match message:
            case ("node_health_updated", health):
                self.nodes[health.node] = health
            case ("cluster_health_updated", cluster):
                self.cluster = cluster
                self.updates += 1
                self._answer_waiting()
            case ("system_alert", alert):
                self.flash.append(f"[{alert.severity}] {alert.title}")

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("wait_for_updates", n):  # reply once n health updates have arrived
                self.waiting.append((n, caller))
                self._answer_waiting()
                return actors.NO_REPLY
            case ("render",):
                return self.render()
            case _:
                return super().handle_call(request, caller)

    def _answer_waiting(self) -> None:
        for n, caller in [w for w in self.waiting if w[0] <= self.updates]:
            self.waiting.remove((n, caller))
            actors.reply(caller, self.updates)

    def render(self) -> str:
        lines = [f"{'node':<34} {'status':<10} {'memory':>7}  failing checks"]
        for node, health in sorted(self.nodes.items()):
            failing = [name for name, result in health.checks.items() if result != "pass"]
            memory = "n/a" if health.memory_usage is None else f"{health.memory_usage:.2f}%"
            lines.append(f"{node:<34} {health.status:<10} {memory:>7}  {', '.join(failing) or '-'}")
        c = self.cluster
        lines.append(
            f"cluster: {c.status}, {c.healthy_nodes}/{c.total_nodes} healthy, "
            f"quorum {c.quorum_status}"
        )
        lines += ["alerts:"] + [f"  {text}" for text in self.flash or ["(none)"]]
        return "\n".join(lines)


def main() -> None:
    clock = actors.ManualClock()
    config = {"health_broadcast_interval": 30, "metrics_broadcast_interval": 60}
    with actors.ActorSystem("dashboard", clock=clock, config=config) as system:
        # The tree runs the ten instances and both broadcasters (no audit file here).
        tree = gater.start(system, audit=False)
        dashboard = Dashboard.start(system=system)

        clock.advance(30)  # the first health broadcast
        actors.call(dashboard, ("wait_for_updates", 1))
        print("after 30 s:")
        print(actors.call(dashboard, ("render",)))

        sv.terminate_child(tree, instances.DIAGNOSTICS)  # something breaks...
        integration.broadcast_alert(
            "node_failure",
            "critical",
            "Node b@cluster disconnected",
            {"node": "b@cluster", "reason": "noconnection"},
            system=system,
        )
        clock.advance(30)  # ...and the next broadcast shows it
        actors.call(dashboard, ("wait_for_updates", 2))
        print("\nafter 60 s:")
        print(actors.call(dashboard, ("render",)))


if __name__ == "__main__":
    main()
