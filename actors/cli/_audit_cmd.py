"""``actors audit``: read the lifecycle audit log.

A readable table by default, JSON lines with ``--json``, event counts,
restart counts and top crash reasons with ``--summary`` (all honouring the
filters), the runs that wrote the file with ``--runs``. The file is opened
read-only: nothing is created beside it, and it can be read from a read-only
medium. A missing or unreadable file is one clear line on stderr and exit
status 1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import attrs

from actors.audit import AuditLog, AuditRun, AuditStoreError, LoggedEvent
from actors.cli._render import Style, format_duration, table

__all__ = ["run_audit"]

REASON_WIDTH = 60
_ENDED = {"shutdown": "shut down", "run_closed": "ended with its run"}


def _when(stamp: datetime) -> str:
    return stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _short(text: str | None, width: int = REASON_WIDTH) -> str:
    if not text:
        return ""
    line = text.splitlines()[0]
    return line if len(line) <= width else line[: width - 1] + "…"


def _json_line(logged: LoggedEvent) -> str:
    data = attrs.asdict(logged.event)
    data["timestamp"] = logged.event.timestamp.isoformat()
    data["seq"] = logged.seq
    data["run_id"] = logged.run_id
    return json.dumps(data, sort_keys=True)


def _start(since: timedelta | None) -> datetime | None:
    if since is None:
        return None
    try:
        return datetime.now(UTC) - since
    except OverflowError:
        return None  # before the year 1: everything


def run_audit(
    path: str,
    *,
    since: timedelta | None,
    event_type: Sequence[str] | None,
    name: str | None,
    component: str | None,
    supervisor: str | None,
    run: str | None = None,
    limit: int | None,
    as_json: bool,
    summary: bool,
    runs: bool = False,
    out: TextIO,
    err: TextIO = sys.stderr,
) -> int:
    try:
        log = AuditLog.open(path)
    except AuditStoreError as exc:
        remote = path.startswith(("postgresql://", "postgres://"))  # says what to run itself
        hint = "" if remote or Path(path).exists() else " (run `actors demo` to create one)"
        print(f"actors audit: {exc}{hint}", file=err)
        return 1
    try:
        with log:
            if runs:
                _runs(log.runs(), out, as_json=as_json)
                return 0
            run_id = _run_id(log, run)
            if run is not None and run_id is None:
                known = ", ".join(r.run_id for r in log.runs()) or "none"
                print(f"actors audit: no run {run!r} in {path!r} (runs: {known})", file=err)
                return 1
            filters: dict[str, Any] = {
                "since": _start(since),
                "component": component,
                "actor": name,
                "supervised_by": supervisor,
                "run_id": run_id,
            }
            if summary:
                _summary(log, filters, event_type, out, Style(out), as_json=as_json)
                return 0
            events = log.logged(
                event_type=event_type, limit=limit, latest=limit is not None, **filters
            )
            if as_json:
                for logged in events:
                    print(_json_line(logged), file=out)
                return 0
            _table(events, out, Style(out), show_runs=run_id is None and _several_runs(log))
            return 0
    except AuditStoreError as exc:
        print(f"actors audit: {exc}", file=err)
        return 1


def _run_id(log: AuditLog, run: str | None) -> str | None:
    if run is None:
        return None
    recorded = log.runs()
    if run == "last":
        return recorded[-1].run_id if recorded else None
    matching = [r.run_id for r in recorded if r.run_id.startswith(run)]
    return matching[0] if len(matching) == 1 else None


def _several_runs(log: AuditLog) -> bool:
    return len(log.runs()) > 1


def _table(events: list[LoggedEvent], out: TextIO, style: Style, *, show_runs: bool) -> None:
    if not events:
        print("no matching lifecycle events", file=out)
        return
    colours = {"crashed": "red", "max_restarts_reached": "red", "restarted": "yellow"}
    rows = []
    for logged in events:
        e = logged.event
        row = [
            _when(e.timestamp),
            style(f"{e.event_type:<20}", colours.get(e.event_type, "")),
            e.name or e.child_id or "",
            e.component,
            e.supervisor or "",
            _short(e.reason),
        ]
        if show_runs:
            row.insert(1, logged.run_id or "")
        rows.append(row)
    headers = ["time (UTC)", f"{'event':<20}", "name", "component", "supervisor", "reason"]
    if show_runs:
        headers.insert(1, "run")
    print(table(headers, rows), file=out)
    print(f"\n{len(events)} event{'s' if len(events) != 1 else ''}", file=out)


def _runs(runs: list[AuditRun], out: TextIO, *, as_json: bool) -> None:
    if as_json:
        for r in runs:
            data = attrs.asdict(r)
            data["opened_at"] = r.opened_at.isoformat()
            data["closed_at"] = None if r.closed_at is None else r.closed_at.isoformat()
            print(json.dumps(data, sort_keys=True), file=out)
        return
    if not runs:
        print("no runs recorded (a log written before runs were recorded)", file=out)
        return
    rows = [
        (
            r.run_id,
            _when(r.opened_at),
            "still open or killed" if r.closed_at is None else _when(r.closed_at),
            r.node,
            r.pid if r.pid is not None else "",
            r.entries,
        )
        for r in runs
    ]
    headers = ["run", "opened (UTC)", "closed (UTC)", "node", "pid", "entries"]
    print(table(headers, rows, right=[4, 5]), file=out)


def _summary(
    log: AuditLog,
    filters: dict[str, Any],
    event_type: Sequence[str] | None,
    out: TextIO,
    style: Style,
    *,
    as_json: bool,
) -> None:
    types = set(event_type) if event_type else None
    counts = log.event_counts(event_type=event_type, **filters)
    restarts = log.restart_counts(**filters) if types is None or "restarted" in types else {}
    crashes = log.crash_reasons(limit=10, **filters) if types is None or "crashed" in types else []
    if as_json:
        payload: dict[str, Any] = {
            "event_counts": counts,
            "restart_counts": restarts,
            "crash_reasons": [{"reason": r, "count": n} for r, n in crashes],
        }
        print(json.dumps(payload, sort_keys=True), file=out)
        return
    print(style("events", "bold"), file=out)
    if counts:
        print(table(["event", "count"], sorted(counts.items()), right=[1]), file=out)
    else:
        print("no matching lifecycle events", file=out)
    print("\n" + style("restarts", "bold"), file=out)
    if restarts:
        rows = sorted(restarts.items(), key=lambda item: (-item[1], item[0]))
        lines = []
        for who, n in rows:
            up = log.uptime(who)
            if up is None:
                state = ""
            elif up.running:
                state = f"up {format_duration(up.up_for.total_seconds())}"
            else:
                ended = _ENDED.get(up.end_event or "", up.end_event)
                state = f"{ended} after {format_duration(up.up_for.total_seconds())}"
            lines.append((who, n, state))
        print(table(["name", "restarts", "last incarnation"], lines, right=[1]), file=out)
    else:
        print("no restarts", file=out)
    print("\n" + style("top crash reasons", "bold"), file=out)
    if crashes:
        print(table(["count", "reason"], [(n, _short(r)) for r, n in crashes], right=[0]), file=out)
    else:
        print("no crashes", file=out)
