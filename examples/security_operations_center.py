"""Security Operations Center consumer: security events,
the audit trail and critical alerts in one GenServer.

    python examples/security_operations_center.py

In Elixir (a consumer pattern of ExESDB Gater's PubSub architecture guide):
    Phoenix.PubSub.subscribe(:ex_esdb_security, "security_events:*")
    Phoenix.PubSub.subscribe(:ex_esdb_audit, "audit_trail:*")
    Phoenix.PubSub.subscribe(:ex_esdb_alerts, "system_alerts:critical")
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import actors
from actors import gater, pubsub
from actors.pubsub import instances


class SecurityOperationsCenter(actors.GenServer):
    def init(self) -> None:
        pubsub.subscribe(instances.SECURITY, "security_events:*")
        pubsub.subscribe(instances.AUDIT, "audit_trail:*")
        pubsub.subscribe(instances.ALERTS, "system_alerts:critical")
        self.failures: Counter[str] = Counter()
        self.audit: list[str] = []
        self.incidents: list[str] = []

    def handle_info(self, message: Any) -> None:
        match message:
            case ("security_event", {"event_type": "authentication_failure", "user_id": user}):
                self.failures[user] += 1
                if self.failures[user] == 3:
                    self.incidents.append(f"possible brute force on {user}")
            case ("audit_event", {"user_id": user, "action": action}):
                self.audit.append(f"{user}: {action}")
            case ("critical_alert", {"message": text}):
                self.incidents.append(text)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case "report":
                return dict(self.failures), list(self.audit), list(self.incidents)
            case _:
                return super().handle_call(request, caller)


def main() -> None:
    with actors.ActorSystem("soc") as system:
        gater.start(system, audit=False)  # no audit file for this example
        soc = SecurityOperationsCenter.start(system=system)

        for _ in range(3):
            pubsub.broadcast(
                instances.SECURITY,
                "security_events:authentication",
                ("security_event", {"event_type": "authentication_failure", "user_id": "mallory"}),
                system=system,
            )
        pubsub.broadcast(
            instances.AUDIT,
            "audit_trail:admin_operations",
            ("audit_event", {"user_id": "admin", "action": "delete_subscription"}),
            system=system,
        )
        pubsub.broadcast(
            instances.ALERTS,
            "system_alerts:critical",
            ("critical_alert", {"message": "circuit breaker opened for 5 subscriptions"}),
            system=system,
        )

        failures, audit, incidents = actors.call(soc, "report")
        print("failed logins:", failures)
        print("audit trail:", audit)
        print("incidents:")
        for incident in incidents:
            print("  -", incident)


if __name__ == "__main__":
    main()
