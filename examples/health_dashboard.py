"""Health Dashboard consumer: subscription health and
process lifecycle, as a GenServer that keeps a live table.

    python examples/health_dashboard.py

In Elixir (a consumer pattern of ExESDB Gater's PubSub architecture guide):
    Phoenix.PubSub.subscribe(:ex_esdb_health, "subscription_health:*")
    Phoenix.PubSub.subscribe(:ex_esdb_lifecycle, "process_lifecycle:*")
"""

from __future__ import annotations

from typing import Any

import actors
from actors import gater, pubsub
from actors.pubsub import instances


class HealthDashboard(actors.GenServer):
    def init(self) -> None:
        pubsub.subscribe(instances.HEALTH, "subscription_health:*")
        pubsub.subscribe(instances.LIFECYCLE, "process_lifecycle:*")
        self.subscriptions: dict[str, str] = {}
        self.lifecycle: list[str] = []

    def handle_info(self, message: Any) -> None:
        match message:
            case ("subscription_health", {"subscription_name": name, "event_type": status}):
                self.subscriptions[name] = status
            case ("process_lifecycle_event", event):
                self.lifecycle.append(f"{event.event_type} {event.name or event.component}")

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("table",):
                return dict(self.subscriptions), list(self.lifecycle)
            case _:
                return super().handle_call(request, caller)


class Projection(actors.GenServer):
    """Something whose start and stop the dashboard sees on the lifecycle stream."""


def main() -> None:
    with actors.ActorSystem("health-dashboard") as system:
        gater.start(system, audit=False)  # no audit file for this example
        dashboard = HealthDashboard.start(name="dashboard", system=system)

        for name, status in [
            ("user_projection", "registration_success"),
            ("order_projection", "circuit_breaker_opened"),
            ("user_projection", "event_delivery_success"),
        ]:
            event = {
                "store_id": "production_store",
                "subscription_name": name,
                "event_type": status,
            }
            topic = f"subscription_health:production_store:{name}"
            pubsub.broadcast(instances.HEALTH, topic, ("subscription_health", event), system=system)
        projection = Projection.start(name="projection", system=system)
        actors.stop(projection)

        subscriptions, lifecycle = actors.call(dashboard, ("table",))
        print("subscription health:")
        for name, status in sorted(subscriptions.items()):
            print(f"  {name:<18} {status}")
        print("lifecycle seen:", ", ".join(e for e in lifecycle if "projection" in e))


if __name__ == "__main__":
    main()
