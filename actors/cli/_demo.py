"""``actors demo``: run the demo application and show what happens.

On a terminal a compact live view is redrawn four times a second:
per-instance message rates, subscribers and consumer lag, lifecycle counts
and the latest events, and what each consumer has seen. When the output is
piped, lifecycle events are printed as plain lines instead. Either way the
run ends after ``--duration`` seconds with a summary table.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, TextIO

import actors
from actors.audit import AuditLog, AuditStoreError
from actors.cli._app import CONSUMERS, start_app
from actors.cli._render import Style, table
from actors.gater import instances, integration
from actors.pubsub import InstanceStatistics, PubSubManager

__all__ = ["DEMO_CONFIG", "logs_to_pubsub", "quiet_logs", "run_demo"]

REFRESH = 0.25
LATEST = 6
_LOGGERS = ("actors", "supervision")
DEMO_CONFIG: Final = {
    # The real periodic broadcasters of actors.gater.integration, fast enough
    # to be seen in a ten-second run.
    "health_broadcast_interval": 1.0,
    "metrics_broadcast_interval": 2.0,
}


@contextlib.contextmanager
def quiet_logs() -> Iterator[None]:
    """Keep the framework's log records off stderr: the demo narrates crashes
    itself, and tracebacks would bury the view. Enter it outside the actor
    system, so shutdown is quiet too."""
    saved = {
        name: (logging.getLogger(name).level, logging.getLogger(name).propagate)
        for name in _LOGGERS
    }
    for name in _LOGGERS:
        logging.getLogger(name).propagate = False
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for name, (level, propagate) in saved.items():
            logging.getLogger(name).setLevel(level)
            logging.getLogger(name).propagate = propagate


@contextlib.contextmanager
def logs_to_pubsub(system: actors.ActorSystem) -> Iterator[None]:
    """Publish the framework's warnings and crash reports on
    ``ex_esdb_logging`` (``LogEntry`` on ``logs:demo:<level>``) through the
    integration's logging bridge, while the system runs."""
    handlers = [
        integration.install_log_handler(
            system, logging.WARNING, name, service="demo", include_actors=True
        )
        for name in _LOGGERS
    ]
    try:
        yield
    finally:
        for handler in handlers:
            integration.remove_log_handler(handler)


def _event_line(elapsed: float, event: actors.ProcessLifecycle, style: Style) -> str:
    who = event.child_id or event.name or event.component
    where = f" ({event.supervisor})" if event.supervisor else ""
    colour = {
        "crashed": "red",
        "max_restarts_reached": "red",
        "restarted": "yellow",
        "child_start_failed": "red",
        "started": "green",
    }.get(event.event_type, "dim")
    reason = f"  {event.reason}" if event.reason and event.event_type != "started" else ""
    return f"{elapsed:6.2f}s  {style(f'{event.event_type:<20}', colour)} {who}{where}{reason}"


class _Run:
    """State of one demo run, read by the main thread (polling the actors)."""

    def __init__(self, system: actors.ActorSystem, out: TextIO, style: Style) -> None:
        self.system = system
        self.out = out
        self.style = style
        self.manager = PubSubManager.of(system)
        self.started = time.monotonic()
        self.last_event = 0
        self.counts: dict[str, int] = {}
        self.latest: list[str] = []
        self.previous: dict[str, int] = {}
        self.previous_time = self.started
        self.rates: dict[str, float] = {}
        self.drawn = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def statistics(self) -> dict[str, InstanceStatistics]:
        found = {}
        for name in instances.ALL:
            handle = self.manager.get(name)
            if handle is not None:
                found[name] = handle.statistics()
        return found

    def poll(self) -> tuple[list[str], dict[str, InstanceStatistics]]:
        """New lifecycle lines since the last poll, and fresh statistics."""
        lines = []
        try:
            events, self.counts = actors.call(
                "feed", ("since", self.last_event), system=self.system
            )
        except (actors.CallError, actors.NoProcError):
            events = []
        for seq, event in events:
            self.last_event = max(self.last_event, seq)
            lines.append(_event_line(self.elapsed(), event, self.style))
        self.latest = (self.latest + lines)[-LATEST:]
        stats = self.statistics()
        now = time.monotonic()
        span = max(now - self.previous_time, 1e-6)
        self.rates = {
            name: (s.published - self.previous.get(name, 0)) / span for name, s in stats.items()
        }
        self.previous = {name: s.published for name, s in stats.items()}
        self.previous_time = now
        return lines, stats

    def consumers(self) -> list[Any]:
        found = []
        for name, _ in CONSUMERS:
            if name == "feed":
                continue
            with contextlib.suppress(actors.CallError, actors.NoProcError):
                found.append(actors.call(name, ("summary",), system=self.system))
        return found

    def render(self, duration: float, stats: dict[str, InstanceStatistics]) -> None:
        s = self.style
        actor_count = len(self.system.actors())
        head = (
            f"{s('actors demo', 'bold')}  {self.elapsed():4.1f}s / {duration:.1f}s   "
            f"node {self.system.node}   {actor_count} actors"
        )
        rows = [
            (
                name,
                f"{self.rates.get(name, 0.0):.0f}",
                st.published,
                st.delivered,
                st.dropped,
                st.subscribers,
                st.largest_mailbox,
            )
            for name, st in stats.items()
        ]
        body = table(
            ["instance", "msg/s", "published", "delivered", "dropped", "subs", "lag"],
            rows,
            right=[1, 2, 3, 4, 5, 6],
        )
        counts = "  ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        consumer_lines = [f"  {c.name:<20} {c.received:>6}  {c.detail}" for c in self.consumers()]
        lines = [
            head,
            "",
            *body.splitlines(),
            "",
            s("lifecycle", "bold") + "  " + counts,
            *[f"  {line}" for line in self.latest],
            "",
            s("consumers", "bold"),
            *consumer_lines,
        ]
        text = "\n".join(lines)
        if self.drawn:
            self.out.write(f"\x1b[{self.drawn}F\x1b[J")
        self.out.write(text + "\n")
        self.out.flush()
        self.drawn = len(lines)


def run_demo(*, duration: float, audit: str, out: TextIO, live: bool | None = None) -> int:
    """Run the demo for ``duration`` seconds writing the audit log to ``audit``."""
    style = Style(out)
    if live is None:
        isatty = getattr(out, "isatty", None)
        live = bool(isatty and isatty())
    summary: dict[str, Any] = {}
    with (
        quiet_logs(),
        actors.ActorSystem("demo", config=DEMO_CONFIG) as system,
        logs_to_pubsub(system),
    ):
        start_app(system, audit=audit, burst_at=max(1.0, duration * 0.4))
        run = _Run(system, out, style)
        if not live:
            print(f"actors demo: running for {duration:.0f}s (audit log: {audit})", file=out)
        tick = threading.Event()
        while run.elapsed() < duration:
            tick.wait(min(REFRESH, max(0.0, duration - run.elapsed())))
            lines, stats = run.poll()
            if live:
                run.render(duration, stats)
            else:
                for line in lines:
                    print(line, file=out, flush=True)
        _, stats = run.poll()
        summary = {
            "elapsed": run.elapsed(),
            "stats": stats,
            "counts": dict(run.counts),
            "consumers": run.consumers(),
        }
    _print_summary(out, style, summary, audit)
    return 0


def _print_summary(out: TextIO, style: Style, summary: dict[str, Any], audit: str) -> None:
    stats: dict[str, InstanceStatistics] = summary["stats"]
    print(file=out)
    print(style(f"Summary after {summary['elapsed']:.1f}s", "bold"), file=out)
    rows = [
        (name, st.published, st.delivered, st.dropped, st.failed, st.subscribers)
        for name, st in stats.items()
    ]
    print(
        table(
            ["instance", "published", "delivered", "dropped", "failed", "subscribers"],
            rows,
            right=[1, 2, 3, 4, 5],
        ),
        file=out,
    )
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary["counts"].items()))
    print(f"\nlifecycle events seen: {counts or 'none'}", file=out)
    print("consumers:", file=out)
    for consumer in summary["consumers"]:
        print(f"  {consumer.name:<20} {consumer.received:>6} messages  {consumer.detail}", file=out)
    print(f"\naudit log: {audit}", end="", file=out)
    if Path(audit).exists():
        try:
            with AuditLog.open(audit) as log:
                total = sum(log.event_counts().values())
            print(f" ({total} lifecycle events in total)", end="", file=out)
        except AuditStoreError:
            pass
    print(f"\nnext: actors audit {audit} --summary", file=out)
