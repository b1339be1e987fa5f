"""``actors demo``: a small actor application narrated as it runs.

A counter serves calls and casts; two workers are linked and one crashes,
taking its partner down; a watcher monitors them and reports the ``DOWN``
messages; every start, stop and crash is printed from the lifecycle stream.
"""

from __future__ import annotations

import logging
from typing import Any, TextIO

import actors
from actors.testing import ANY, Probe


class Counter(actors.GenServer):
    def init(self, start: int) -> None:
        self.count = start

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("get",):
                return self.count

    def handle_cast(self, request: Any) -> None:
        match request:
            case ("add", n):
                self.count += n


class Worker(actors.GenServer):
    def init(self, partner: Any = None) -> None:
        if partner is not None:
            actors.link(partner)

    def handle_cast(self, request: Any) -> None:
        match request:
            case ("fail", why):
                raise RuntimeError(why)


class Watcher(actors.GenServer):
    def init(self, report: Any, targets: list[Any]) -> None:
        self.report = report
        for target in targets:
            actors.monitor(target)

    def handle_info(self, message: Any) -> None:
        match message:
            case ("DOWN", _, "process", who, reason):
                actors.send(self.report, ("down", who.name, actors.format_reason(reason)))


def run_demo(*, quiet: bool, out: TextIO) -> int:
    logging.getLogger("actors").setLevel(logging.CRITICAL)  # the narration says it all
    counts: dict[str, int] = {}

    def narrate(event: actors.ProcessLifecycle) -> None:
        counts[event.event_type] = counts.get(event.event_type, 0) + 1
        if not quiet:
            who = event.name or event.component
            reason = f" ({event.reason})" if event.reason else ""
            print(f"  [lifecycle] {event.event_type:<8} {who}{reason}", file=out)

    with actors.ActorSystem("demo") as system:
        system.add_lifecycle_listener(narrate)
        report = Probe(system)

        print("1. a counter answers calls and casts", file=out)
        Counter.start(40, name="counter", system=system)
        actors.cast("counter", ("add", 2), system=system)
        print(f"   counter = {actors.call('counter', ('get',), system=system)}", file=out)

        print("2. two linked workers and a watcher that monitors both", file=out)
        first = Worker.start(name="first", system=system)
        second = Worker.start(first, name="second", system=system)
        Watcher.start(report, [first, second], name="watcher", system=system)

        print("3. 'first' crashes; the link takes 'second' down too", file=out)
        actors.cast(first, ("fail", "simulated failure"))
        for _ in range(2):
            _, name, reason = report.expect(("down", ANY, ANY), timeout=5)
            print(f"   watcher saw {name} go down: {reason}", file=out)

        print("4. shutting the system down", file=out)
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    print(f"done: {summary}", file=out)
    return 0
