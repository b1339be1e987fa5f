"""Incident Response consumer: every alert, subscription
health and process lifecycle, correlated into incidents.

    python examples/incident_response.py

In Elixir (a consumer pattern of ExESDB Gater's PubSub architecture guide):
    Phoenix.PubSub.subscribe(:ex_esdb_alerts, "system_alerts:*")
    Phoenix.PubSub.subscribe(:ex_esdb_health, "subscription_health:*")
    Phoenix.PubSub.subscribe(:ex_esdb_lifecycle, "process_lifecycle:*")
"""

from __future__ import annotations

from typing import Any

import actors
import supervision as sv
from actors import gater, pubsub
from actors.pubsub import instances
from actors.testing import Probe


class IncidentResponder(actors.GenServer):
    def init(self, pager: Any) -> None:
        pubsub.subscribe(instances.ALERTS, "system_alerts:*")
        pubsub.subscribe(instances.HEALTH, "subscription_health:*")
        pubsub.subscribe(instances.LIFECYCLE, "process_lifecycle:*")
        self.pager = pager
        self.timeline: list[str] = []

    def handle_info(self, message: Any) -> None:
        match message:
            case ("critical_alert" | "warning_alert" as level, {"message": text}):
                self._note(f"{level}: {text}", page=level == "critical_alert")
            case ("subscription_health", {"subscription_name": name, "event_type": status}):
                self._note(f"health: {name} {status}", page=False)
            case ("process_lifecycle_event", event) if event.event_type in (
                "crashed",
                "restarted",
                "max_restarts_reached",
            ):
                who = event.child_id or event.name or event.component
                self._note(
                    f"lifecycle: {who} {event.event_type}", page=event.event_type == "crashed"
                )

    def _note(self, line: str, *, page: bool) -> None:
        self.timeline.append(line)
        if page:
            actors.send(self.pager, ("page", line))

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case "timeline":
                return list(self.timeline)
            case _:
                return super().handle_call(request, caller)


class Ingester(actors.GenServer):
    def handle_cast(self, request: Any) -> None:
        match request:
            case "write":
                raise RuntimeError("disk full")
            case _:
                super().handle_cast(request)


def main() -> None:
    with actors.ActorSystem("incident") as system:
        gater.start(system, audit=False)  # no audit file for this example
        pager = Probe(system)  # stands in for a paging integration
        responder = IncidentResponder.start(pager, system=system)
        sv.Supervisor.start([sv.child_spec("ingester", Ingester, name="ingester")], system=system)

        actors.cast("ingester", "write", system=system)  # crashes; its supervisor restarts it
        pubsub.broadcast(
            instances.HEALTH,
            "subscription_health:production_store:user_projection",
            (
                "subscription_health",
                {"subscription_name": "user_projection", "event_type": "proxy_crashed"},
            ),
            system=system,
        )
        pubsub.broadcast(
            instances.ALERTS,
            "system_alerts:critical",
            ("critical_alert", {"message": "ingestion stalled on production_store"}),
            system=system,
        )
        pages = sorted(pager.expect(("page", str), timeout=5)[1] for _ in range(2))

        print("paged:", "; ".join(pages))
        print("timeline:")
        for line in actors.call(responder, "timeline"):
            print("  ", line)


if __name__ == "__main__":
    main()
