"""The base install (pykka, attrs, cattrs) is enough for everything but the
extras: with every optional dependency hidden, the packages import, the
gater tree runs, and asking for an extra's feature says which to install."""

from __future__ import annotations

import subprocess
import sys
import textwrap

OPTIONAL = (
    "redis",
    "psycopg",
    "psycopg_pool",
    "prometheus_client",
    "starlette",
    "uvicorn",
    "opentelemetry",
)

SCRIPT = textwrap.dedent(
    """
    import sys
    for name in {optional!r}:
        sys.modules[name] = None  # an import of it raises ImportError

    import actors, supervision
    import actors.pubsub, actors.messages, actors.audit, actors.eventstore
    import actors.eventbus, actors.cluster, actors.gater, actors.tracing
    from actors import gater
    from actors.eventstore import EventStore

    with actors.ActorSystem() as system:
        gater.start(system, audit=False)
        store = EventStore.open(":memory:", system=system)
        store.close()
        print("base install: ok")
    for url in ("redis://127.0.0.1:1/0", "postgresql://127.0.0.1:1/test"):
        try:
            if url.startswith("redis"):
                actors.ActorSystem(node="a@x", cluster=url)
            else:
                EventStore.open(url)
        except Exception as exc:
            print("refused:", type(exc).__name__, exc)
    leaked = sorted(n for n in {optional!r} if sys.modules.get(n) is not None)
    print("imported:", leaked)
    """
).format(optional=OPTIONAL)


def test_the_base_install_needs_no_extra() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert 0 == done.returncode, done.stderr
    lines = done.stdout.splitlines()
    assert "base install: ok" in lines
    refusals = [line for line in lines if line.startswith("refused:")]
    assert 2 == len(refusals), done.stdout
    assert refusals[0].startswith("refused: ImportError")
    assert "actors-otp[redis]" in refusals[0]
    assert refusals[1].startswith("refused: StoreUnavailable")
    assert "actors-otp[postgres]" in refusals[1]
    assert "imported: []" in lines
