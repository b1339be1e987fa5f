"""Links: an abnormal exit takes linked actors down, unless they trap exits.

python examples/linked_workers.py
"""

from __future__ import annotations

from typing import Any

import actors
from actors.testing import ANY, Probe


class Worker(actors.GenServer):
    def init(self, partner: Any = None) -> None:
        if partner is not None:
            actors.link(partner)

    def handle_cast(self, request: Any) -> None:
        match request:
            case ("fail", why):
                raise RuntimeError(why)
            case _:
                super().handle_cast(request)


class Guardian(actors.GenServer):
    """Traps exits: a linked worker's crash becomes a message, not its death."""

    def init(self, report: Any) -> None:
        self.report = report
        self.trap_exits = True

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("link", target):
                actors.link(target)
                return "linked"
            case _:
                return super().handle_call(request, caller)

    def handle_info(self, message: Any) -> None:
        match message:
            case ("EXIT", who, reason):
                actors.send(self.report, ("guardian saw", who, actors.format_reason(reason)))


def main() -> None:
    with actors.ActorSystem() as system:
        report = Probe(system)
        first = Worker.start(name="first", system=system)
        second = Worker.start(first, name="second", system=system)  # linked to first
        guardian = Guardian.start(report, system=system)
        actors.call(guardian, ("link", second))
        report.monitor(first)
        report.monitor(second)

        actors.cast(first, ("fail", "disk full"))

        for _ in range(2):
            _, _, _, who, reason = report.expect(("DOWN", ANY, "process", ANY, ANY))
            print(f"{who.name} exited: {actors.format_reason(reason)}")
        _, who, reason = report.expect(("guardian saw", ANY, ANY))
        print(f"guardian trapped the exit of {who.name}: {reason}")
        print("guardian still alive:", guardian.is_alive())


if __name__ == "__main__":
    main()
