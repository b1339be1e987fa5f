"""The two runtimes a GenServer can run on (D2).

* ``"pooled"`` (default): the actor shares the system's worker pool. It costs
  no thread while idle; ``init`` runs in the thread that starts it.
* ``"thread"``: the actor gets its own OS thread (pykka's model), for actors
  that block on I/O or hold thread-bound resources (e.g. a sqlite3
  connection created in ``init``).

Both run the same :class:`~actors._server.ServerProcess` code; a runtime only
decides which thread calls :meth:`~actors._server.ServerProcess.run_turn`.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    from actors._pool import WorkerPool
    from actors._server import ServerProcess

__all__ = ["RUNTIMES", "PooledRuntime", "Runtime", "ThreadRuntime"]

RUNTIMES: Final = ("pooled", "thread")


class Runtime(Protocol):
    name: str

    def launch(self, proc: ServerProcess, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Run ``init`` and start handling messages; raise StartError on failure."""
        ...


class PooledRuntime:
    """Actors multiplexed on a :class:`~actors._pool.WorkerPool`."""

    name = "pooled"

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool

    def launch(self, proc: ServerProcess, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.pool.start()
        proc.launch_pooled(self.pool.runq, args, kwargs)


class ThreadRuntime:
    """One thread per actor, named ``"<Class>-<n>"`` like pykka's."""

    name = "thread"

    def __init__(self) -> None:
        self._numbers = itertools.count(1)

    def launch(self, proc: ServerProcess, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        proc.launch_thread(f"{proc.component}-{next(self._numbers)}", args, kwargs)
