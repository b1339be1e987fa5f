"""ActorSystem: an isolated world of actors.

A system owns its registry of names, its worker pool, its timer thread, its
clock, its lifecycle listeners and its dead-letter counter. Nothing is global
except :func:`default_system`, which scripts use; tests create their own
system and shut it down, leaving no thread behind.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from contextvars import Token
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import attrs

from actors import _current as _current_module
from actors._clock import Clock, SystemClock
from actors._current import enter_system, exit_system
from actors._errors import StartError
from actors._lifecycle import STALLED, ProcessLifecycle
from actors._pool import DEFAULT_MAX_BLOCKED, DEFAULT_STALL_THRESHOLD, WorkerPool
from actors._process import Process, current_process
from actors._reasons import SHUTDOWN, format_reason
from actors._registry import NameRegistry
from actors._remote import Remote
from actors._remote import connect as connect_cluster
from actors._runtime import RUNTIMES, PooledRuntime, Runtime, ThreadRuntime
from actors._timers import TimerService

if TYPE_CHECKING:
    from actors._server import ServerProcess

__all__ = ["ActorSystem", "SystemStatistics", "default_system"]

logger = logging.getLogger("actors")

LifecycleListener = Callable[[ProcessLifecycle], object]
"""Called with each event; what it returns is ignored."""

_RUNNING: Final = "running"
_STOPPING: Final = "stopping"
_STOPPED: Final = "stopped"

_system_numbers = itertools.count(1)


@attrs.frozen
class SystemStatistics:
    """A snapshot of an actor system (trio-style ``statistics()``)."""

    name: str
    state: str
    actors: int
    registered_names: int
    dead_letters: int
    pool_size: int
    pool_workers: int
    blocked_workers: int
    stalls: int
    refused_blocking: int
    run_queue: int
    actor_threads: int
    pending_timers: int


class _Counter:
    __slots__ = ("_lock", "value")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self, n: int = 1) -> None:
        with self._lock:
            self.value += n


class ActorSystem:
    """An isolated set of actors with its own names, pool, timers and clock.

    Use it as a context manager so every actor is stopped at the end::

        with actors.ActorSystem() as system:
            counter = Counter.start(system=system)
            ...

    Args:
        name: used in thread names and logs.
        clock: a :class:`~actors.Clock`; :class:`~actors.ManualClock` in tests.
        pool_size: workers of the pooled runtime; default ``os.cpu_count()``
            (at least 2).
        runtime: default runtime for actors that do not choose one
            (``"pooled"`` or ``"thread"``).
        node: node name carried by lifecycle events and messages.
        config: free-form settings read by higher layers (pub/sub, secrets).
        batch_size: messages an actor handles per turn on the pool.
        max_blocked: pool workers that may be blocked at once (in calls,
            stops, ``actors.blocking()``); past it a new blocking call from a
            pooled actor fails at once (:class:`~actors.PoolExhausted`, or
            ``CallError("pool_exhausted")`` for calls) instead of starving
            every actor.
        stall_threshold: real seconds one turn of a pooled actor may take
            without ``actors.blocking()`` before it is reported as a
            ``stalled`` lifecycle event (with its stack) and its worker is
            replaced; ``None`` turns detection off.
        cluster: join a cluster of nodes, e.g. ``"redis://127.0.0.1:6379/0"``
            (also ``config["cluster"]``); needs the connector for that
            scheme installed (``pip install 'actors-otp[redis]'``). ``node``
            must then be unique in the cluster.
    """

    def __init__(
        self,
        name: str | None = None,
        *,
        clock: Clock | None = None,
        pool_size: int | None = None,
        runtime: str = "pooled",
        node: str | None = None,
        config: dict[str, Any] | None = None,
        batch_size: int = 64,
        max_blocked: int = DEFAULT_MAX_BLOCKED,
        stall_threshold: float | None = DEFAULT_STALL_THRESHOLD,
        cluster: str | None = None,
    ) -> None:
        if runtime not in RUNTIMES:
            msg = f"unknown runtime {runtime!r}; expected one of {', '.join(RUNTIMES)}"
            raise ValueError(msg)
        if clock is not None and not isinstance(clock, Clock):
            msg = f"clock must implement actors.Clock, got {type(clock).__name__}"
            raise TypeError(msg)
        _check_options(name, pool_size, node, config, batch_size)
        _check_pool_limits(max_blocked, stall_threshold)
        self.name = name or f"system-{next(_system_numbers)}"
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.node = node or f"{self.name}@{socket.gethostname()}"
        self.config: dict[str, Any] = dict(config or {})
        self.default_runtime = runtime
        self._lock = threading.Lock()
        self._state = _RUNNING
        self._stopped = threading.Event()
        self._names = NameRegistry()
        self._live: dict[ServerProcess, None] = {}
        self._threads: set[threading.Thread] = set()
        size = pool_size if pool_size is not None else max(2, os.cpu_count() or 2)
        self.pool = WorkerPool(
            size,
            f"actors-{self.name}-worker",
            batch=batch_size,
            max_blocked=max_blocked,
            stall_threshold=stall_threshold,
            on_stall=self._report_stall,
        )
        self._runtimes: dict[str, Runtime] = {
            "pooled": PooledRuntime(self.pool),
            "thread": ThreadRuntime(),
        }
        self.timers = TimerService(self.clock, f"actors-{self.name}-timer")
        self._listeners: tuple[LifecycleListener, ...] = ()
        self._dead_letters = _Counter()
        self._entered: list[Token[ActorSystem | None]] = []
        self.extensions: dict[str, Any] = {}
        """Per-system singletons of higher layers (e.g. the PubSubManager)."""
        self.remote: Remote | None = None
        """The cluster this system joined (see :mod:`actors._remote`), if any."""
        url = cluster if cluster is not None else self.config.get("cluster")
        if url is not None:
            try:
                self.remote = connect_cluster(self, url)
            except BaseException:
                self.shutdown(timeout=5.0)
                raise

    def __repr__(self) -> str:
        return f"<ActorSystem {self.name!r} {self._state}, {len(self._live)} actors>"

    def __enter__(self) -> ActorSystem:
        """Make this the current system for the block (see :func:`actors.current_system`)."""
        self._entered.append(enter_system(self))
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Shut the system down and restore the system that was current before."""
        try:
            self.shutdown()
        finally:
            if self._entered:
                exit_system(self._entered.pop())

    # Runtimes ------------------------------------------------------------------

    def runtime_named(self, name: str | None) -> Runtime:
        """The runtime called ``name`` (``None``: the system default)."""
        key = self.default_runtime if name is None else name
        runtime = self._runtimes.get(key)
        if runtime is None:
            msg = f"unknown runtime {name!r}; expected one of {', '.join(RUNTIMES)}"
            raise ValueError(msg)
        return runtime

    # Registry ------------------------------------------------------------------

    def register(self, proc: ServerProcess) -> None:
        """Record a starting actor (and its name); refuse once shutting down."""
        with self._lock:
            if self._state != _RUNNING:
                raise StartError(proc.component, f"actor system {self.name!r} is shutting down")
            if proc.name is not None:
                self._names.register(proc.name, proc)
            self._live[proc] = None

    def register_name(self, name: Any, proc: Process) -> None:
        """Register a non-actor process (a probe) under ``name``."""
        self._names.register(name, proc)

    def unregister_name(self, name: Any, proc: Process) -> None:
        self._names.unregister(name, proc)

    def forget(self, proc: ServerProcess) -> None:
        """Drop an exiting actor and its name."""
        with self._lock:
            self._live.pop(proc, None)
            if proc.name is not None:
                self._names.unregister(proc.name, proc)

    def whereis(self, name: Any) -> Any:
        """The ref registered under ``name``, or ``None``."""
        proc = self._names.lookup(name)
        return None if proc is None else proc.ref

    def lookup(self, name: Any) -> Process | None:
        return self._names.lookup(name)

    def registered(self) -> list[Any]:
        """Names with a live owner."""
        return self._names.names()

    def actors(self) -> list[Any]:
        """Refs of every live actor, in start order."""
        with self._lock:
            return [proc.ref for proc in self._live]

    def track_thread(self, thread: threading.Thread) -> None:
        with self._lock:
            self._threads.add(thread)

    def untrack_thread(self, thread: threading.Thread) -> None:
        with self._lock:
            self._threads.discard(thread)

    # Dead letters --------------------------------------------------------------

    @property
    def dead_letters(self) -> int:
        """Messages sent to actors that had exited, or left in their mailbox."""
        return self._dead_letters.value

    def count_dead_letters(self, n: int = 1) -> None:
        self._dead_letters.add(n)

    # Lifecycle -----------------------------------------------------------------

    def add_lifecycle_listener(self, listener: LifecycleListener) -> Callable[[], None]:
        """Call ``listener(event)`` for every lifecycle event; returns a remover.

        The listener runs synchronously in the thread where the event happens:
        ``started`` in the thread that ran ``init``; ``crashed`` in the one
        that ran the failing callback; ``stopped`` in the actor's worker or
        thread, or in the thread that stopped, signalled or killed it when
        it was idle; supervisor events in the supervisor's; ``stalled`` in the
        pool's watchdog thread. Keep it quick and never let it block or call
        an actor. Exceptions (``BaseException`` included) are logged and
        ignored.
        """
        if not callable(listener):
            msg = f"a lifecycle listener must be callable, got {type(listener).__name__}"
            raise TypeError(msg)
        with self._lock:
            self._listeners = (*self._listeners, listener)

        def remove() -> None:
            with self._lock:
                self._listeners = tuple(x for x in self._listeners if x is not listener)

        return remove

    def _report_stall(self, proc: Any, seconds: float, stack: str) -> None:
        """A pooled actor held its worker too long (the pool's watchdog thread)."""
        self.emit_lifecycle(
            proc,
            STALLED,
            f"one turn has run {seconds:.1f}s without actors.blocking()",
            traceback=stack,
        )

    def timestamp(self) -> datetime:
        """``clock.now()`` truncated to milliseconds (the messages' precision)."""
        now = self.clock.now()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def emit_lifecycle(
        self,
        proc: Process,
        event_type: str,
        reason: Any = None,
        *,
        supervisor: Any = None,
        child_id: Any = None,
        restart_count: int = 0,
        traceback: str | None = None,
    ) -> None:
        """Publish a lifecycle event about ``proc`` (if anyone listens).

        ``supervisor`` defaults to the name (or id) of ``proc``'s parent.
        """
        if not self._listeners:
            return
        context = getattr(proc, "context", None)
        if supervisor is None:
            if context is not None and context.supervisor is not None:
                supervisor = context.supervisor
            else:
                parent = getattr(proc, "parent", None)
                if parent is not None:
                    supervisor = parent.name if parent.name is not None else parent.id
        if child_id is None and context is not None:
            child_id = context.child_id
        self.lifecycle(
            event_type,
            component=str(getattr(proc, "component", type(proc).__name__)),
            actor_id=proc.id,
            name=proc.name,
            reason=reason,
            supervisor=supervisor,
            child_id=child_id,
            restart_count=restart_count,
            traceback=traceback,
        )

    def lifecycle(
        self,
        event_type: str,
        *,
        component: str,
        actor_id: str = "",
        name: Any = None,
        reason: Any = None,
        supervisor: Any = None,
        child_id: Any = None,
        restart_count: int = 0,
        traceback: str | None = None,
    ) -> None:
        """Build and publish a lifecycle event from explicit fields (for events
        with no live process, such as a child that failed to start).

        ``traceback`` defaults to that of ``reason`` when it is an exception."""
        if not self._listeners:
            return
        from actors._tracebacks import exc_info_of

        exception_type, tb = exc_info_of(reason)
        if traceback is not None:
            tb = traceback
        event = ProcessLifecycle(
            event_type=event_type,
            component=component,
            actor_id=actor_id,
            name=_name_text(name),
            node=self.node,
            reason=None if reason is None else format_reason(reason),
            exception_type=exception_type,
            traceback=tb,
            supervisor=_name_text(supervisor),
            child_id=_name_text(child_id),
            restart_count=restart_count,
            timestamp=self.timestamp(),
        )
        self.publish_lifecycle(event)

    def publish_lifecycle(self, event: ProcessLifecycle) -> None:
        """Hand an already built event to every listener."""
        for listener in self._listeners:
            try:
                listener(event)
            except BaseException:
                # SystemExit/KeyboardInterrupt too: a listener runs inside
                # whatever emitted the event (a crash, a restart) and must
                # never leave that half done.
                logger.exception("lifecycle listener %r failed on %s", listener, event.event_type)

    # Statistics ----------------------------------------------------------------

    def statistics(self) -> SystemStatistics:
        with self._lock:
            actors = len(self._live)
            threads = len(self._threads)
        return SystemStatistics(
            name=self.name,
            state=self._state,
            actors=actors,
            registered_names=len(self._names),
            dead_letters=self.dead_letters,
            pool_size=self.pool.size,
            pool_workers=self.pool.workers,
            blocked_workers=self.pool.blocked,
            stalls=self.pool.stalls,
            refused_blocking=self.pool.refused,
            run_queue=self.pool.queued(),
            actor_threads=threads,
            pending_timers=self.timers.pending(),
        )

    @property
    def running(self) -> bool:
        return self._state == _RUNNING

    # Shutdown ------------------------------------------------------------------

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Stop every actor, then the pool and timer threads.

        Top-level actors (those without a live parent) are stopped one at a
        time in reverse start order with reason ``"shutdown"``; supervisors
        stop their own children. Whatever is still alive when ``timeout``
        (real seconds) runs out is killed. Returns ``True`` if everything,
        threads included, ended in time. Idempotent.
        """
        current = current_process()
        if current is not None and current.system is self:
            msg = (
                "shutdown() called from inside one of the system's own actors; "
                "it would wait on itself"
            )
            raise RuntimeError(msg)
        with self._lock:
            state = self._state
            if state == _RUNNING:
                self._state = _STOPPING
        if state != _RUNNING:
            self._stopped.wait(timeout)
            return self._stopped.is_set()
        deadline = time.monotonic() + timeout
        remote = self.remote
        if remote is not None:
            try:
                remote.close()  # leave first: other nodes see this one go
            except Exception:
                logger.exception("actor system %s: leaving the cluster failed", self.name)
        clean = self._stop_actors(deadline)
        self.timers.close(_remaining(deadline))
        clean = self.pool.shutdown(_remaining(deadline)) and clean
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(_remaining(deadline))
            clean = clean and not thread.is_alive()
        with self._lock:
            self._state = _STOPPED
        self._stopped.set()
        if not clean:
            logger.warning(
                "actor system %s: shutdown did not finish within %.1fs", self.name, timeout
            )
        return clean

    def _stop_actors(self, deadline: float) -> bool:
        clean = True
        seen: set[ServerProcess] = set()
        while True:
            with self._lock:
                live = list(self._live)
            roots = [
                p
                for p in reversed(live)
                if p not in seen and (p.parent is None or not p.parent.alive)
            ]
            if not roots:
                break
            for proc in roots:
                seen.add(proc)
                clean = self._stop_one(proc, deadline) and clean
        with self._lock:
            leftovers = list(self._live)
        for proc in reversed(leftovers):
            if not self._stop_one(proc, deadline):
                clean = False
        return clean

    @staticmethod
    def _stop_one(proc: ServerProcess, deadline: float) -> bool:
        if not proc.alive:
            return True
        proc.request_stop(SHUTDOWN)
        if proc.stopped.wait(_remaining(deadline)):
            return True
        logger.warning("%s did not stop in time during shutdown; killing it", proc)
        proc.kill()
        return False


def _check_options(
    name: object, pool_size: object, node: object, config: object, batch_size: object
) -> None:
    """Refuse bad constructor arguments with errors that name them."""
    for what, value in (("name", name), ("node", node)):
        if value is not None and (not isinstance(value, str) or not value):
            msg = f"ActorSystem {what} must be a non-empty str or None, got {value!r}"
            raise TypeError(msg)
    for what, value in (("pool_size", pool_size), ("batch_size", batch_size)):
        if value is None and what == "pool_size":
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            msg = f"ActorSystem {what} must be an int >= 1, got {type(value).__name__} {value!r}"
            raise TypeError(msg)
        if value < 1:
            msg = f"ActorSystem {what} must be an int >= 1, got {value!r}"
            raise ValueError(msg)
    if config is not None and not isinstance(config, Mapping):
        msg = f"ActorSystem config must be a mapping (dict) or None, got {type(config).__name__}"
        raise TypeError(msg)


def _check_pool_limits(max_blocked: object, stall_threshold: object) -> None:
    if isinstance(max_blocked, bool) or not isinstance(max_blocked, int) or max_blocked < 1:
        msg = f"ActorSystem max_blocked must be an int >= 1, got {max_blocked!r}"
        raise ValueError(msg)
    if stall_threshold is not None and (
        isinstance(stall_threshold, bool)
        or not isinstance(stall_threshold, int | float)
        or not 0 < stall_threshold < float("inf")
    ):
        msg = f"ActorSystem stall_threshold must be seconds > 0 or None, got {stall_threshold!r}"
        raise ValueError(msg)


_current_module._system_class[0] = ActorSystem


def _remaining(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


def _name_text(name: Any) -> str | None:
    if name is None:
        return None
    return name if isinstance(name, str) else repr(name)


_default_lock = threading.Lock()
_default: ActorSystem | None = None


def default_system() -> ActorSystem:
    """The process-wide system for scripts, created on first use and shut
    down at interpreter exit. Libraries and tests should make their own."""
    global _default
    with _default_lock:
        if _default is None or not _default.running:
            _default = ActorSystem("default")
        return _default


@atexit.register
def _shutdown_default() -> None:
    with _default_lock:
        system = _default
    if system is not None and system.running:
        system.shutdown(timeout=5.0)
