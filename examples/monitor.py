"""Monitors: a watcher gets exactly one DOWN message when the watched actor exits.

python examples/monitor.py
"""

from __future__ import annotations

from typing import Any

import actors
from actors.testing import ANY, Probe


class Job(actors.GenServer):
    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("divide", a, b):
                return a / b
            case _:
                return super().handle_call(request, caller)


class Watcher(actors.GenServer):
    def init(self, report: Any) -> None:
        self.report = report
        self.watching: dict[Any, str] = {}

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("watch", ref, label):
                self.watching[actors.monitor(ref)] = label
                return "watching"
            case _:
                return super().handle_call(request, caller)

    def handle_info(self, message: Any) -> None:
        match message:
            case ("DOWN", mref, "process", _, reason):
                label = self.watching.pop(mref)
                actors.send(self.report, (label, actors.format_reason(reason)))


def main() -> None:
    with actors.ActorSystem() as system:
        report = Probe(system)
        watcher = Watcher.start(report, system=system)
        job = Job.start(system=system)
        actors.call(watcher, ("watch", job, "job"))

        print("10 / 4 =", actors.call(job, ("divide", 10, 4)))
        try:
            actors.call(job, ("divide", 1, 0))
        except actors.CallError as error:
            print("the call failed loudly:", error.reason)

        label, reason = report.expect((ANY, ANY))
        print(f"watcher got DOWN for {label}: {reason}")

        done = Job.start(system=system)
        actors.stop(done)
        actors.call(watcher, ("watch", done, "already finished"))
        print("monitoring a dead actor:", report.expect((ANY, ANY)))


if __name__ == "__main__":
    main()
