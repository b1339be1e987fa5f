"""A three-level supervision tree where a worker keeps crashing until its
supervisor gives up and escalates to its own supervisor.

    python examples/supervision_tree.py

    top (one_for_one)
    ├── middle (one_for_one, at most 2 restarts in 5 s)
    │   ├── flaky   (crashes on demand)
    │   └── steady
    └── reporter
"""

from __future__ import annotations

import threading
from typing import Any

import actors
import supervision as sv
from actors.testing import Probe


class Flaky(actors.GenServer):
    def handle_cast(self, request: Any) -> None:
        match request:
            case ("crash", n):
                raise RuntimeError(f"flaky failure #{n}")
            case _:
                super().handle_cast(request)


class Steady(actors.GenServer):
    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case "ping":
                return "still here"
            case _:
                return super().handle_call(request, caller)


print_lock = threading.Lock()


def show(event: actors.ProcessLifecycle) -> None:
    """Runs in whichever thread the event happened in; keep it quick."""
    who = event.child_id or event.name or event.component
    where = f" under {event.supervisor}" if event.supervisor else ""
    extra = f" (restart #{event.restart_count})" if event.event_type == "restarted" else ""
    reason = f": {event.reason}" if event.reason and event.event_type != "started" else ""
    with print_lock:
        print(f"  {event.event_type:<21} {who}{where}{extra}{reason}", flush=True)


def main() -> None:
    with actors.ActorSystem("example") as system:
        events = Probe(system)
        system.add_lifecycle_listener(show)
        system.add_lifecycle_listener(events.deliver)

        middle = sv.child_spec(
            "middle",
            sv.Supervisor,
            [
                sv.child_spec("flaky", Flaky, name="flaky"),
                sv.child_spec("steady", Steady, name="steady"),
            ],
            max_restarts=2,
            max_seconds=5,
            name="middle",
            type="supervisor",
        )
        top = sv.Supervisor.start(
            [middle, sv.child_spec("reporter", Steady, name="reporter")], name="top", system=system
        )
        print("tree at start:")
        print(sv.format_tree(sv.tree(top)))

        print("\ncrashing 'flaky' three times within 5 s:")
        for n in (1, 2, 3):
            actors.cast("flaky", ("crash", n), system=system)
            if n < 3:
                events.expect(lambda e: e.event_type == "restarted" and e.child_id == "flaky")
        # The third crash exceeds middle's intensity: middle gives up, exits
        # with "shutdown", and top restarts it (the escalation).
        events.expect(lambda e: e.event_type == "restarted" and e.child_id == "middle", timeout=5)

        print("\ntree afterwards (middle restarted once by top; a fresh flaky):")
        print(sv.format_tree(sv.tree(top)))
        print("\nsteady answers:", actors.call("steady", "ping", system=system))
        print("\nshutting down:")
    print("done")


if __name__ == "__main__":
    main()
