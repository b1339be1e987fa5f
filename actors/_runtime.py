"""The two runtimes a GenServer can run on (see ``docs/runtimes.md``).

* ``"pooled"`` (default): the actor shares the system's worker pool. It costs
  no thread while idle; ``init`` runs in the thread that starts it.
* ``"thread"``: the actor gets its own OS thread (pykka's model), for actors
  that block on I/O or hold thread-bound resources (e.g. a sqlite3
  connection created in ``init``).

Both run the same :class:`~actors._server.ServerProcess` turn code; a
runtime only decides which thread calls
:meth:`~actors._server.ServerProcess.run_turn`. A launch that cannot get its
thread (the OS refuses one) fails like a failing ``init``: the actor's name
is released and :class:`~actors.StartError` is raised.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING, Any, Final, Protocol

from actors._errors import StartError
from actors._future import ReplyFuture
from actors._process import current_slot
from actors._runqueue import RunQueue, new_parking_lot

if TYPE_CHECKING:
    from actors._pool import WorkerPool
    from actors._server import ServerProcess

__all__ = ["RUNTIMES", "THREAD_BATCH", "PooledRuntime", "Runtime", "ThreadRuntime"]

RUNTIMES: Final = ("pooled", "thread")

THREAD_BATCH: Final = 256
"""Messages a thread-runtime actor handles before re-checking its run queue."""


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
        """``init`` runs right here, in the starting thread."""
        try:
            self.pool.start()
        except RuntimeError as exc:  # the OS refused a worker thread
            proc.abandon(exc)
            raise StartError(proc.component, exc) from exc
        proc.attach(self.pool.runq)
        proc.run_init(args, kwargs)
        proc.after_init()


class ThreadRuntime:
    """One thread per actor, named ``"<Class>-<n>"`` like pykka's.

    The thread serves a run queue of its own, holding only this actor: the
    same turn code as a pool worker, without anyone else to serve. ``init``
    runs in that thread while the starter waits for it.
    """

    name = "thread"

    def __init__(self) -> None:
        self._numbers = itertools.count(1)

    def launch(self, proc: ServerProcess, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        runq = RunQueue()
        proc.own_runq = runq
        proc.attach(runq)
        started: ReplyFuture[None] = ReplyFuture()
        thread = threading.Thread(
            target=_thread_main,
            args=(proc, args, kwargs, started),
            name=f"{proc.component}-{next(self._numbers)}",
            daemon=True,
        )
        proc.system.track_thread(thread)
        try:
            thread.start()
        except RuntimeError as exc:  # "can't start new thread"
            proc.system.untrack_thread(thread)
            proc.abandon(exc)
            raise StartError(proc.component, exc) from exc
        started.get()


def _thread_main(
    proc: ServerProcess, args: tuple[Any, ...], kwargs: dict[str, Any], started: ReplyFuture[None]
) -> None:
    """The life of a thread-runtime actor's thread."""
    try:
        try:
            proc.run_init(args, kwargs)
        except BaseException as exc:
            started.try_set_exception(exc)
            return
        started.try_set(None)
        proc.after_init()
        runq = proc.own_runq
        assert runq is not None
        parking = new_parking_lot()
        slot = current_slot()
        while True:
            if runq.get(parking) is None:
                # Killed from another thread while idle: we hold no lock.
                if proc.acquire():
                    proc.drain_and_release()
                return
            proc.run_turn(THREAD_BATCH, slot)
            if proc.dead:
                return
    finally:
        proc.system.untrack_thread(threading.current_thread())
