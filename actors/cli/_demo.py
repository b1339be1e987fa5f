"""``actors demo``: run the demo application and show what happens.

On a terminal a compact live view is redrawn in place four times a second,
sized to the terminal (long lines are cut, fewer rows are shown on a small
one): per-instance message rates, subscribers and consumer lag, lifecycle
counts and the latest events, and what each consumer has seen. When the
output is piped, lifecycle events are printed as plain lines instead. Either
way the run ends after ``--duration`` seconds (or at Ctrl-C) with a summary
table.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shlex
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final, TextIO

import actors
from actors.audit import AuditLog, AuditStoreError, SqliteAuditStore, run_id_of
from actors.cli._app import CONSUMERS, start_app
from actors.cli._demo_store import print_store_summary, start_store_demo, store_summary
from actors.cli._render import Style, table
from actors.eventstore import is_postgres_url, mask_url
from actors.gater import instances, integration
from actors.pubsub import InstanceStatistics, PubSubManager

__all__ = [
    "DEMO_CONFIG",
    "check_audit_path",
    "clip",
    "fit_frame",
    "logs_to_pubsub",
    "quiet_logs",
    "run_demo",
    "visible_len",
]

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
        self.size = (0, 0)

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
        """Redraw the frame in place, sized to the terminal right now."""
        s = self.style
        width, height = terminal_size(self.out)
        actor_count = len(self.system.actors())
        head = (
            f"{s('actors demo', 'bold')}  {self.elapsed():4.1f}s / {duration:.1f}s   "
            f"{actor_count} actors   node {self.system.node}"
        )
        ranked = sorted(stats.items(), key=lambda item: -self.rates.get(item[0], 0.0))
        instance_rows = [
            (
                name,
                f"{self.rates.get(name, 0.0):.0f}",
                st.published,
                st.delivered,
                st.dropped,
                st.subscribers,
                st.largest_mailbox,
            )
            for name, st in ranked
        ]
        counts = "  ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        consumers = [f"  {c.name:<20} {c.received:>6}  {c.detail}" for c in self.consumers()]
        lines = fit_frame(
            height - 1,  # the cursor's line stays free: nothing scrolls
            head=head,
            headers=["instance", "msg/s", "published", "delivered", "dropped", "subs", "lag"],
            rows=instance_rows,
            lifecycle=s("lifecycle", "bold") + "  " + counts,
            latest=[f"  {line}" for line in self.latest],
            consumers_title=s("consumers", "bold"),
            consumers=consumers,
        )
        text = "\n".join(clip(line, width - 1) for line in lines)
        if self.drawn and (width, height) == self.size:
            # Back to the first line of the previous frame, and clear below.
            self.out.write(f"\x1b[{self.drawn}F\x1b[J")
        elif self.drawn:
            self.out.write("\x1b[H\x1b[2J")  # resized: old lines re-wrapped, start over
        else:
            self.out.write("\x1b[?25l")  # no blinking cursor over the view
        self.out.write(text + "\n")
        self.out.flush()
        self.drawn = len(lines)
        self.size = (width, height)

    def end_view(self) -> None:
        if self.drawn:
            self.out.write("\x1b[?25h")
            self.out.flush()


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def visible_len(text: str) -> int:
    """Columns ``text`` takes on a terminal (ANSI colour codes take none)."""
    return len(_ANSI.sub("", text))


def clip(line: str, width: int) -> str:
    """``line`` cut to ``width`` visible columns (``…`` marks the cut),
    keeping colour codes whole and closing any left open."""
    if visible_len(line) <= width:
        return line
    out: list[str] = []
    shown = 0
    styled = False
    pos = 0
    for match in _ANSI.finditer(line):
        chunk = line[pos : match.start()]
        room = width - 1 - shown
        if len(chunk) > room:
            out.append(chunk[: max(room, 0)])
            shown = width - 1
            break
        out.append(chunk)
        shown += len(chunk)
        out.append(match.group())
        styled = match.group() != "\x1b[0m"
        pos = match.end()
    else:
        chunk = line[pos:]
        out.append(chunk[: max(width - 1 - shown, 0)])
    return "".join(out) + ("\x1b[0m" if styled else "") + "…"


def fit_frame(
    height: int,
    *,
    head: str,
    headers: list[str],
    rows: list[tuple[Any, ...]],
    lifecycle: str,
    latest: list[str],
    consumers_title: str,
    consumers: list[str],
) -> list[str]:
    """The live view's lines, at most ``height`` of them: blank separators
    go first, then older lifecycle events, consumers and the quietest
    instances, so that the frame never scrolls the terminal."""
    rows, latest, consumers = list(rows), list(latest), list(consumers)
    blanks = 3

    def size() -> int:
        shown_consumers = 1 + len(consumers) if consumers else 0
        return 1 + blanks + 2 + len(rows) + 1 + len(latest) + shown_consumers

    while size() > height:
        if blanks:
            blanks -= 1
        elif len(latest) > 2:
            latest.pop(0)
        elif consumers:
            consumers.pop()
        elif len(rows) > 3:
            rows.pop()
        elif latest:
            latest.pop(0)
        elif rows:
            rows.pop()
        else:
            break
    body = table(headers, rows, right=[1, 2, 3, 4, 5, 6]).splitlines()
    lines = [head]
    if blanks >= 1:
        lines.append("")
    lines += body
    if blanks >= 2:
        lines.append("")
    lines += [lifecycle, *latest]
    if consumers:
        if blanks >= 3:
            lines.append("")
        lines += [consumers_title, *consumers]
    return lines[: max(height, 1)]


def terminal_size(out: TextIO) -> tuple[int, int]:
    """``(columns, lines)`` of the terminal ``out`` writes to (80 by 24 if unknown)."""
    try:
        size = os.get_terminal_size(out.fileno())
    except (AttributeError, ValueError, OSError):
        size = shutil.get_terminal_size((80, 24))
    return max(size.columns, 20), max(size.lines, 5)


def command_hint() -> str:
    """How to run ``actors`` again from any shell, venv activated or not: the
    full path of this console script, else ``python -m actors``."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "actors" and script.exists():
        return shlex.quote(str(script.absolute()))
    beside = Path(sys.executable).with_name("actors")
    if beside.exists():
        return shlex.quote(str(beside))
    return f"{shlex.quote(sys.executable)} -m actors"


def check_audit_path(audit: str) -> str | None:
    """Why the demo cannot write its audit log at ``audit`` (a file path, or
    a ``postgresql://`` URL of an initialised schema), or ``None``."""
    if is_postgres_url(audit):
        try:
            AuditLog.open(audit).close()
        except AuditStoreError as exc:
            return str(exc)
        return None
    target = Path(audit)
    if target.is_dir():
        return f"cannot use {audit!r} as the audit log: it is a directory (give a file path)"
    if not target.parent.is_dir():
        folder = str(target.parent)
        return f"cannot create the audit log {audit!r}: directory {folder!r} does not exist"
    try:
        SqliteAuditStore(audit).close()
    except AuditStoreError as exc:
        return str(exc)
    return None


def run_demo(
    *,
    duration: float,
    audit: str,
    out: TextIO,
    live: bool | None = None,
    err: TextIO = sys.stderr,
) -> int:
    """Run the demo for ``duration`` seconds writing the audit log to
    ``audit``; returns the exit status (1: the audit log cannot be written,
    130: interrupted with Ctrl-C, after the summary)."""
    problem = check_audit_path(audit)
    if problem is not None:
        print(f"actors demo: {problem}", file=err)
        return 1
    style = Style(out)
    if live is None:
        isatty = getattr(out, "isatty", None)
        live = bool(isatty and isatty())
    summary: dict[str, Any] = {}
    interrupted = False
    with (
        quiet_logs(),
        actors.ActorSystem("demo", config=DEMO_CONFIG) as system,
        logs_to_pubsub(system),
    ):
        start_app(system, audit=audit, burst_at=max(1.0, duration * 0.4))
        store_counts = start_store_demo(system)
        run = _Run(system, out, style)
        run_id = run_id_of(system)
        if not live:
            print(
                f"actors demo: running for {duration:.0f}s"
                f" (audit log: {_shown(audit)}, run {run_id})",
                file=out,
            )
        tick = threading.Event()
        try:
            while run.elapsed() < duration:
                tick.wait(min(REFRESH, max(0.0, duration - run.elapsed())))
                lines, stats = run.poll()
                if live:
                    run.render(duration, stats)
                else:
                    for line in lines:
                        print(line, file=out, flush=True)
        except KeyboardInterrupt:
            interrupted = True  # stop early, still shut down cleanly and summarise
        finally:
            if live:
                run.end_view()
        _, stats = run.poll()
        summary = {
            "elapsed": run.elapsed(),
            "stats": stats,
            "counts": dict(run.counts),
            "consumers": run.consumers(),
            "run_id": run_id,
        }
        store = store_summary(system, store_counts)
    _print_summary(out, style, summary, audit)
    print_store_summary(out, store)
    return 130 if interrupted else 0


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
    run_id = summary["run_id"]
    print(f"\naudit log: {_shown(audit)}, run {run_id}", end="", file=out)
    if is_postgres_url(audit) or Path(audit).exists():
        try:
            with AuditLog.open(audit) as log:
                total = sum(log.event_counts(run_id=run_id).values())
            print(f" ({total} lifecycle events in this run)", end="", file=out)
        except AuditStoreError:
            pass
    where = shlex.quote(_shown(audit))
    print(f"\nnext: {command_hint()} audit {where} --run {run_id} --summary", file=out)


def _shown(audit: str) -> str:
    """The audit target as printed: a URL's password masked."""
    return mask_url(audit) if is_postgres_url(audit) else audit
