"""``actors audit``: read the lifecycle audit log.

A readable table by default, JSON lines with ``--json``, restart counts and
top crash reasons with ``--summary``. A missing or unreadable file is one
clear line on stderr and exit status 1.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import attrs

import actors
from actors.audit import AuditLog, AuditStoreError
from actors.cli._render import Style, format_duration, table

__all__ = ["run_audit"]

REASON_WIDTH = 60


def _when(stamp: datetime) -> str:
    return stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _short(text: str | None, width: int = REASON_WIDTH) -> str:
    if not text:
        return ""
    line = text.splitlines()[0]
    return line if len(line) <= width else line[: width - 1] + "…"


def _json_line(event: actors.ProcessLifecycle) -> str:
    data = attrs.asdict(event)
    data["timestamp"] = event.timestamp.isoformat()
    return json.dumps(data, sort_keys=True)


def run_audit(
    path: str,
    *,
    since: timedelta | None,
    event_type: str | None,
    name: str | None,
    component: str | None,
    supervisor: str | None,
    limit: int | None,
    as_json: bool,
    summary: bool,
    out: TextIO,
    err: TextIO = sys.stderr,
) -> int:
    try:
        log = AuditLog.open(path)
    except AuditStoreError as exc:
        hint = "" if Path(path).exists() else " (run `actors demo` to create one)"
        print(f"actors audit: {exc}{hint}", file=err)
        return 1
    try:
        with log:
            start = None if since is None else datetime.now(UTC) - since
            if summary:
                _summary(log, start, out, Style(out), as_json=as_json)
                return 0
            events = log.query(
                since=start,
                event_type=event_type,
                name=name,
                component=component,
                supervisor=supervisor,
                limit=limit,
                latest=limit is not None,
            )
            if as_json:
                for event in events:
                    print(_json_line(event), file=out)
                return 0
            _table(events, out, Style(out))
            return 0
    except AuditStoreError as exc:
        print(f"actors audit: {exc}", file=err)
        return 1


def _table(events: list[actors.ProcessLifecycle], out: TextIO, style: Style) -> None:
    if not events:
        print("no matching lifecycle events", file=out)
        return
    colours = {"crashed": "red", "max_restarts_reached": "red", "restarted": "yellow"}
    rows = [
        (
            _when(e.timestamp),
            style(f"{e.event_type:<20}", colours.get(e.event_type, "")),
            e.child_id or e.name or "",
            e.component,
            e.supervisor or "",
            _short(e.reason),
        )
        for e in events
    ]
    headers = ["time (UTC)", f"{'event':<20}", "name", "component", "supervisor", "reason"]
    print(table(headers, rows), file=out)
    print(f"\n{len(events)} event{'s' if len(events) != 1 else ''}", file=out)


def _summary(
    log: AuditLog, since: datetime | None, out: TextIO, style: Style, *, as_json: bool
) -> None:
    counts = log.event_counts()
    restarts = log.restart_counts(since=since)
    crashes = log.crash_reasons(limit=10, since=since)
    if as_json:
        payload: dict[str, Any] = {
            "event_counts": counts,
            "restart_counts": restarts,
            "crash_reasons": [{"reason": r, "count": n} for r, n in crashes],
        }
        print(json.dumps(payload, sort_keys=True), file=out)
        return
    print(style("events", "bold"), file=out)
    print(table(["event", "count"], sorted(counts.items()), right=[1]), file=out)
    print("\n" + style("restarts", "bold"), file=out)
    if restarts:
        rows = sorted(restarts.items(), key=lambda item: (-item[1], item[0]))
        lines = []
        for who, n in rows:
            up = log.uptime(who)
            lines.append((who, n, "" if up is None else format_duration(up.up_for.total_seconds())))
        print(table(["name", "restarts", "current uptime"], lines, right=[1, 2]), file=out)
    else:
        print("no restarts", file=out)
    print("\n" + style("top crash reasons", "bold"), file=out)
    if crashes:
        print(table(["count", "reason"], [(n, _short(r)) for r, n in crashes], right=[0]), file=out)
    else:
        print("no crashes", file=out)
