"""``actors dashboard``: the live web dashboard.

* ``actors dashboard --demo``: run the demo application and serve its
  dashboard (in-process: trees, processes, pub/sub, the demo's event store).
* ``actors dashboard [--audit PATH] [--store PATH]``: serve a read-only
  dashboard of an audit log and/or an event store file (the process that
  writes them may run beside it).

Binds to 127.0.0.1 unless ``--host`` says otherwise; the replay action is
off unless ``--allow-actions`` is given (in-process only).
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

__all__ = ["add_command", "run"]


def add_command(commands: Any) -> None:
    """Register ``dashboard`` on the ``actors`` parser."""
    parser = commands.add_parser("dashboard", help="serve the live web dashboard")
    parser.add_argument("--demo", action="store_true", help="run it beside the demo application")
    parser.add_argument("--port", type=int, default=8765, help="default 8765 (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    parser.add_argument(
        "--allow-actions", action="store_true", help="enable 'replay parked' (off by default)"
    )
    parser.add_argument("--audit", metavar="PATH", help="audit log (default ./actors-audit.db)")
    parser.add_argument("--store", metavar="PATH", help="event store file to show, read-only")
    parser.add_argument(
        "--duration", type=float, metavar="S", help="stop after S seconds (default: Ctrl-C)"
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO = sys.stderr) -> int:
    try:
        from actors import dashboard
    except ImportError as exc:
        print(
            f"actors dashboard: needs the web extra (pip install 'actors-otp[web]'): {exc}",
            file=err,
        )
        return 1
    if not 0 <= args.port <= 65535:
        print(f"actors dashboard: --port must be 0..65535, got {args.port}", file=err)
        return 2
    audit = args.audit or "./actors-audit.db"
    stop = threading.Event()
    if args.demo:
        return _demo(dashboard, args, audit, out, err, stop)
    if args.allow_actions:
        print("actors dashboard: --allow-actions needs --demo (files are read-only)", file=err)
        return 2
    store = args.store
    if store is not None and not Path(store).is_file():
        print(f"actors dashboard: no event store file {store!r}", file=err)
        return 1
    if not Path(audit).is_file():
        if args.audit is not None or store is None:
            print(f"actors dashboard: no audit log {audit!r} (try --demo)", file=err)
            return 1
        audit = None
    try:
        board = dashboard.serve_files(audit=audit, store=store, port=args.port, host=args.host)
    except OSError as exc:
        print(f"actors dashboard: cannot listen on {args.host}:{args.port}: {exc}", file=err)
        return 1
    with board:
        print(f"actors dashboard: {board.url} (read-only: {audit or ''} {store or ''})", file=out)
        return _wait(stop, args.duration, out)


def _demo(
    dashboard: Any, args: argparse.Namespace, audit: str, out: TextIO, err: TextIO, stop: Any
) -> int:
    import actors
    from actors.cli._app import start_app
    from actors.cli._demo import DEMO_CONFIG, check_audit_path, quiet_logs
    from actors.cli._demo_store import STORE_NAME, start_store_demo

    problem = check_audit_path(audit)
    if problem is not None:
        print(f"actors dashboard: {problem}", file=err)
        return 1
    with quiet_logs(), actors.ActorSystem("demo", config=DEMO_CONFIG) as system:
        start_app(system, audit=audit)
        start_store_demo(system)
        try:
            board = dashboard.serve(
                system,
                port=args.port,
                host=args.host,
                allow_actions=args.allow_actions,
                stores=[STORE_NAME],
            )
        except actors.StartError as exc:
            print(f"actors dashboard: cannot listen on {args.host}:{args.port}: {exc}", file=err)
            return 1
        print(f"actors dashboard: {board.url} (the demo application; Ctrl-C to stop)", file=out)
        return _wait(stop, args.duration, out)


def _wait(stop: threading.Event, duration: float | None, out: TextIO) -> int:
    out.flush()
    try:
        stop.wait(duration)
    except KeyboardInterrupt:
        return 130
    return 0
