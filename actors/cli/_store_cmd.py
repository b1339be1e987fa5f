"""``actors store``: create and migrate a PostgreSQL event store's schema.

* ``actors store init URL``: create the schema (``?schema=NAME`` in the
  URL, default ``actors``) and apply every migration; a no-op on a schema
  that is already up to date.
* ``actors store migrate URL``: apply the migrations a schema is missing.
* ``actors store status URL [--json]``: its version, the migrations
  applied, how many events, streams and groups it holds, and the store
  instances (processes) alive now.

Nothing else creates or changes the tables: ``EventStore.open(URL)``
refuses a schema that is missing or at another version and says which of
these commands to run. Exit status: 0 done (``status``: up to date), 1 the
server cannot be reached, the schema is missing or at another version, or
psycopg is not installed; 2 bad usage (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

__all__ = ["add_commands", "run"]


def add_commands(commands: Any) -> None:
    """Add ``store`` and its subcommands to the ``actors`` parser."""
    store = commands.add_parser("store", help="create and migrate a PostgreSQL event store")
    actions = store.add_subparsers(
        dest="store_command", metavar="ACTION", required=True, parser_class=type(store)
    )
    for name, text in (
        ("init", "create the schema and apply every migration"),
        ("migrate", "apply the migrations the schema is missing"),
        ("status", "schema version, sizes and live store processes"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument(
            "url", metavar="URL", help="postgresql://user@host/db (?schema=NAME, default actors)"
        )
        if name == "status":
            action.add_argument("--json", action="store_true", help="one JSON object")


def run(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> int:
    """Run ``actors store ACTION URL``; returns the exit status (errors on
    ``err``, default ``sys.stderr``)."""
    err = err if err is not None else sys.stderr
    prog = f"actors store {args.store_command}"
    try:
        from actors.eventstore.postgres import parse_postgres_url

        target = parse_postgres_url(args.url)
    except ValueError as exc:
        print(f"{prog}: error: {exc}", file=err)
        return 2
    try:
        import psycopg

        from actors.eventstore import postgres as schema
    except ImportError:
        print(f"{prog}: psycopg is not installed: pip install 'actors-otp[postgres]'", file=err)
        return 1
    try:
        with psycopg.connect(target.conninfo, autocommit=True, connect_timeout=10) as conn:
            if args.store_command == "status":
                return _status(conn, target.schema, target.masked, args.json, out)
            try:
                before, applied = schema.apply_migrations(
                    conn, target.schema, create=args.store_command == "init"
                )
            except LookupError:
                print(
                    f"{prog}: no event store in schema {target.schema!r} of {target.masked}: "
                    f"run `actors store init URL`",
                    file=err,
                )
                return 1
            except RuntimeError as exc:
                print(f"{prog}: {exc} ({target.masked})", file=err)
                return 1
    except psycopg.Error as exc:
        text = target.scrub((str(exc).strip().splitlines() or [type(exc).__name__])[0])
        print(
            f"{prog}: cannot use {target.masked}: {text}; is the server running (pg_isready)?",
            file=err,
        )
        return 1
    where = f"schema {target.schema!r} of {target.masked}"
    if not applied:
        print(f"{where} is up to date (version {before})", file=out)
    elif before is None:
        print(f"created the event store in {where} (version {applied[-1]})", file=out)
    else:
        print(f"migrated {where} from version {before} to {applied[-1]}", file=out)
    return 0


def _status(conn: Any, schema_name: str, masked: str, as_json: bool, out: TextIO) -> int:
    from actors.eventstore import postgres as schema

    status = schema.schema_status(conn, schema_name, instance_timeout=10.0)
    status["url"] = masked
    if as_json:
        print(json.dumps(status, sort_keys=True), file=out)
    else:
        print(f"{masked} schema {schema_name!r}: {status['state']}", file=out)
        version = status["version"]
        print(f"  version {version} (this code: {status['code_version']})", file=out)
        for migration in status.get("migrations", []):
            print(
                f"  migration {migration['version']}: {migration['description']} "
                f"(applied {migration['applied_at']})",
                file=out,
            )
        if "events" in status:
            print(
                f"  {status['events']} events, last position {status['last_position']}, "
                f"{status['streams']} streams, {status['groups']} persistent subscription groups",
                file=out,
            )
            instances = status["instances"]
            print(f"  {len(instances)} store processes alive", file=out)
            for item in instances:
                print(f"    {item['instance']} ({item['role']}) since {item['started']}", file=out)
    return 0 if status["state"] == "up to date" else 1
