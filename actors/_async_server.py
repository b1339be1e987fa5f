"""AsyncGenServer: a GenServer whose callbacks may be ``async def``.

The design keeps every rule of the core by changing only *where* a
coroutine callback's code runs:

* The actor's turn runs exactly as a GenServer's does, on a pool worker (or
  its own thread with ``runtime="thread"``), one message at a time, in
  order. When a callback is a coroutine function, the turn submits the
  coroutine to an event loop and waits for it, declared as a blocking wait
  (so the pool is compensated, as with :func:`actors.blocking`).
* The loop is the actor system's own (one thread, ``actors-<system>-asyncio``,
  started on first use and stopped once the system shuts down and no
  AsyncGenServer needs it), or one given with ``start(..., loop=loop)``.
* While the coroutine runs, every step of it is run *as the actor*:
  ``actors.current()``, ``self.stop()``, ``self.continue_with()``,
  ``pubsub.subscribe(instance, topic)`` and ``await actors.acall(...)`` see
  the actor, exactly as in a plain callback. Tasks the coroutine spawns are
  not the actor (talk to it with messages).

So a raise crashes the actor, monitors get ``DOWN``, supervisors restart
it, and callers of a pending call get :class:`~actors.CallError`: the core
code does all of that, unchanged. A kill also cancels the running
coroutine (a thread cannot be interrupted, a coroutine can).

Blocking inside a coroutine callback (``time.sleep``, a synchronous
``actors.call``, file or socket I/O) blocks the loop and every other
AsyncGenServer on it: that is the user's choice. Await instead, or hand the
blocking part to :func:`actors.arun_blocking`.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import threading
import types
from collections.abc import Callable, Coroutine, Generator
from concurrent.futures import Future as ConcurrentFuture
from typing import TYPE_CHECKING, Any, ClassVar, Final, Self

from actors._blocking import waiting
from actors._current import resolve_system
from actors._errors import StartError
from actors._genserver import GenServer
from actors._process import Process, current_slot
from actors._server import ServerProcess

if TYPE_CHECKING:
    from actors._ref import Ref
    from actors._system import ActorSystem

__all__ = ["AsyncGenServer"]

logger = logging.getLogger("actors")

_ASYNC_CALLBACKS: Final = (
    "init",
    "handle_call",
    "handle_cast",
    "handle_info",
    "handle_continue",
    "terminate",
)

_given_loop: contextvars.ContextVar[asyncio.AbstractEventLoop | None] = contextvars.ContextVar(
    "actors_async_loop", default=None
)

_COROUTINE_MARK: Final = "_actors_runs_on_loop"
_EXTENSION: Final = "actors.aio.system_loop"
_CREATE_LOCK = threading.Lock()
IDLE_CHECK: Final = 0.1
"""Real seconds between checks, while no AsyncGenServer uses the system's
loop, whether the system is shutting down (then the loop thread ends)."""


class AsyncGenServer(GenServer):
    """A :class:`~actors.GenServer` whose callbacks may be coroutines::

        class Fetcher(actors.AsyncGenServer):
            async def init(self, url):
                self.url = url
                self.session = aiohttp.ClientSession()

            async def handle_call(self, request, caller):
                match request:
                    case ("get", path):
                        async with self.session.get(self.url + path) as response:
                            return await response.text()

            async def terminate(self, reason):
                await self.session.close()

        ref = Fetcher.start("https://example.org", name="fetcher")
        text = await actors.acall("fetcher", ("get", "/"))      # from a coroutine
        text = actors.call("fetcher", ("get", "/"))             # from a thread

    Which thread runs what: the turn (mailbox, crash handling, replies) runs
    on a pool worker, or the actor's own thread with ``runtime="thread"``;
    ``async def`` callbacks run on the event loop (the system's, or the one
    given to :meth:`start`), one at a time, the turn waiting for each; plain
    ``def`` callbacks run in the turn's thread as in a GenServer. With the
    pooled runtime ``init`` is started from the thread that calls
    :meth:`start`; from a coroutine on the same loop use :meth:`astart`.

    Calls to it never run inline in the caller's thread
    (``inline_calls = False``), so a caller on the loop is never made to run
    its callbacks. Callers on that loop must ``await actors.acall(...)``: a
    synchronous ``actors.call`` would block the very loop the callback
    needs, and time out.
    """

    inline_calls: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        for name in _ASYNC_CALLBACKS:
            func = cls.__dict__.get(name)
            if func is not None and inspect.iscoroutinefunction(func):
                setattr(cls, name, _run_on_loop(func))
        cls.inline_calls = False
        super().__init_subclass__(**kwargs)

    @staticmethod
    def _create_actor_inbox() -> ServerProcess:
        return AsyncServerProcess()

    def _start_actor_loop(self) -> None:
        proc = self._proc
        assert isinstance(proc, AsyncServerProcess)
        try:
            proc.take_loop(_given_loop.get())
            if _running_loop() is proc.loop and getattr(type(self).init, _COROUTINE_MARK, False):
                msg = (
                    f"{type(self).__name__}.start() would wait for its async init on the "
                    "event loop running in this very thread; use "
                    f"'await {type(self).__name__}.astart(...)'"
                )
                raise RuntimeError(msg)
        except BaseException as exc:
            proc.abandon(exc)
            raise StartError(type(self), exc) from exc
        super()._start_actor_loop()

    @classmethod
    def start(
        cls,
        *args: Any,
        name: Any = None,
        system: ActorSystem | None = None,
        runtime: str | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        **kwargs: Any,
    ) -> Ref[Self]:
        """Start the actor and wait until ``init`` has returned (see
        :meth:`GenServer.start`).

        Args:
            loop: run the coroutine callbacks on this (running) event loop
                instead of the system's; it must keep running while the
                actor lives.

        Raises:
            StartError: ``init`` raised, or would have to wait for the very
                loop this thread runs (use :meth:`astart` there).
        """
        token = _given_loop.set(_check_loop(loop))
        try:
            return cls._spawn(args, kwargs, name, system, runtime, link=False)
        finally:
            _given_loop.reset(token)

    @classmethod
    def start_link(
        cls,
        *args: Any,
        name: Any = None,
        system: ActorSystem | None = None,
        runtime: str | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        **kwargs: Any,
    ) -> Ref[Self]:
        """Like :meth:`start`, linked to the calling actor (its parent)."""
        token = _given_loop.set(_check_loop(loop))
        try:
            return cls._spawn(args, kwargs, name, system, runtime, link=True)
        finally:
            _given_loop.reset(token)

    @classmethod
    async def astart(
        cls,
        *args: Any,
        name: Any = None,
        system: ActorSystem | None = None,
        runtime: str | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        **kwargs: Any,
    ) -> Ref[Self]:
        """:meth:`start`, awaitable from a coroutine: the start runs on a
        pool worker (:func:`actors.arun_blocking`), so ``init`` may run on
        the awaiting loop itself (``loop=asyncio.get_running_loop()``)."""
        from actors._aio import arun_blocking

        owner = resolve_system(system)
        start = functools.partial(
            cls.start, *args, name=name, system=owner, runtime=runtime, loop=loop, **kwargs
        )
        return await arun_blocking(start, system=owner)


def _check_loop(loop: Any) -> asyncio.AbstractEventLoop | None:
    if loop is not None and not isinstance(loop, asyncio.AbstractEventLoop):
        msg = f"loop must be an asyncio event loop or None, got {type(loop).__name__}"
        raise TypeError(msg)
    if loop is not None and loop.is_closed():
        msg = "loop is closed; give a running event loop"
        raise ValueError(msg)
    return loop


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _run_on_loop(func: Callable[..., Coroutine[Any, Any, Any]]) -> Callable[..., Any]:
    """The plain method the core calls in place of the coroutine function."""

    @functools.wraps(func)
    def callback(self: AsyncGenServer, *args: Any, **kwargs: Any) -> Any:
        proc = self._proc
        assert isinstance(proc, AsyncServerProcess)
        return proc.run_coroutine(func(self, *args, **kwargs))

    setattr(callback, _COROUTINE_MARK, True)
    return callback


class AsyncServerProcess(ServerProcess):
    """The process of an :class:`AsyncGenServer`: a ServerProcess that knows
    its event loop, runs coroutines on it and gives the loop back at exit."""

    __slots__ = ("_loop", "_running", "_system_loop")

    quick_replies = False
    """Its turns wait for an event loop (often the caller's): an ``acall``
    never lingers in the loop's thread for its reply."""

    def take_loop(self, given: asyncio.AbstractEventLoop | None) -> None:
        """Choose the loop before ``init`` runs (the starting thread)."""
        self._running: _Running | None = None
        if given is not None:
            self._loop = given
            self._system_loop: _SystemLoop | None = None
            return
        owner = _SystemLoop.of(self.system)
        self._loop = owner.acquire()
        self._system_loop = owner

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def run_coroutine(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coro`` on the loop as this actor and wait for its result
        (the turn's thread; compensated on a pool worker). The coroutine
        runs in a copy of this thread's context, so context variables (the
        current system, a trace span) carry over."""
        loop = self._loop
        if _running_loop() is loop:
            coro.close()
            msg = (
                f"{self}: a coroutine callback would wait for the event loop running "
                "in this very thread; start it with 'await Cls.astart(...)' and call "
                "it with 'await actors.acall(...)' from that loop"
            )
            raise RuntimeError(msg)
        running = _Running(loop, _as_actor(self, coro), contextvars.copy_context())
        self._running = running
        running.submit()
        try:
            with waiting():
                ok, value = running.done.result()
        finally:
            self._running = None
        if not ok:
            raise value
        return value

    def kill(self) -> None:
        running = getattr(self, "_running", None)
        super().kill()
        if running is not None:
            running.cancel()  # the zombie coroutine is cancelled, not left running

    def _finalize(self, reason: Any, *, started: bool = True, raised_here: bool = False) -> bool:
        done = super()._finalize(reason, started=started, raised_here=raised_here)
        if done:
            owner = getattr(self, "_system_loop", None)
            if owner is not None:
                self._system_loop = None
                owner.release()
        return done


class _Running:
    """One coroutine callback submitted to the loop (``run_coroutine_threadsafe``
    with a context of our choosing): ``done`` resolves to its outcome."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        coro: Coroutine[Any, Any, tuple[bool, Any]],
        context: contextvars.Context,
    ) -> None:
        self.loop = loop
        self.done: ConcurrentFuture[tuple[bool, Any]] = ConcurrentFuture()
        self.task: asyncio.Task[tuple[bool, Any]] | None = None
        self._coro = coro
        self._context = context

    def submit(self) -> None:
        """Hand the coroutine to the loop (after the owner can see ``self``,
        so a kill arriving as soon as it starts finds it to cancel)."""
        self.loop.call_soon_threadsafe(self._start)

    def _start(self) -> None:  # the loop's thread
        if self.done.done():
            self._coro.close()
            return
        self.task = self.loop.create_task(self._coro, context=self._context)
        self.task.add_done_callback(self._finish)

    def _finish(self, task: asyncio.Task[tuple[bool, Any]]) -> None:
        if self.done.done():
            return
        if task.cancelled():
            self.done.set_result((False, asyncio.CancelledError("the coroutine was cancelled")))
        else:
            self.done.set_result(task.result())

    def cancel(self) -> None:
        """Cancel the coroutine (any thread)."""
        try:
            self.loop.call_soon_threadsafe(self._cancel)
        except RuntimeError:
            pass  # the loop is closed: nothing runs any more

    def _cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
        elif not self.done.done():
            self.done.set_result((False, asyncio.CancelledError("cancelled before it ran")))


async def _as_actor(proc: Process, coro: Coroutine[Any, Any, Any]) -> tuple[bool, Any]:
    """The callback's outcome as a value: a ``SystemExit`` or
    ``KeyboardInterrupt`` from a callback must crash the actor, not escape
    into the loop (asyncio re-raises those out of ``run_forever``)."""
    try:
        return True, await _steps_as(proc, coro)
    except asyncio.CancelledError:
        raise
    except BaseException as exc:
        return False, exc


@types.coroutine
def _steps_as(proc: Process, coro: Coroutine[Any, Any, Any]) -> Generator[Any, Any, Any]:
    """Drive ``coro`` one step at a time with ``proc`` as the current process
    of the loop's thread during each step (other coroutines interleave
    between steps, each with their own)."""
    slot = current_slot()
    value: Any = None
    error: BaseException | None = None
    while True:
        previous = slot[0]
        slot[0] = proc
        try:
            yielded = coro.send(value) if error is None else coro.throw(error)
        except StopIteration as stop:
            return stop.value
        finally:
            slot[0] = previous
        try:
            value = yield yielded
            error = None
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:  # cancellation included: the coroutine decides
            value = None
            error = exc


class _SystemLoop:
    """The event loop an actor system owns for its AsyncGenServers.

    Started on first use in a thread the system tracks (its shutdown joins
    it); the loop stops once the system is shutting down and no
    AsyncGenServer holds it. Stopping cancels the tasks left on it.
    """

    def __init__(self, system: ActorSystem) -> None:
        self.system = system
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._users = 0
        self._watching = False

    @classmethod
    def of(cls, system: ActorSystem) -> _SystemLoop:
        with _CREATE_LOCK:
            found = system.extensions.get(_EXTENSION)
            if found is None:
                found = system.extensions[_EXTENSION] = cls(system)
            return found

    def acquire(self) -> asyncio.AbstractEventLoop:
        """The running loop (started if needed), held until :meth:`release`."""
        with self._lock:
            if not self.system.running:
                msg = f"actor system {self.system.name!r} is shutting down"
                raise RuntimeError(msg)
            loop = self._loop
            if loop is None:
                loop = self._loop = self._start_locked()
            self._users += 1
            return loop

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            loop = self._loop
            if self._users or loop is None or self._watching:
                return
            self._watching = True
        try:
            loop.call_soon_threadsafe(self._check_idle, loop)
        except RuntimeError:
            pass  # already closed

    def _start_locked(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        thread = threading.Thread(
            target=self._run,
            args=(loop, ready),
            name=f"actors-{self.system.name}-asyncio",
            daemon=True,
        )
        self.system.track_thread(thread)
        try:
            thread.start()
        except RuntimeError:
            self.system.untrack_thread(thread)
            loop.close()
            raise
        ready.wait()
        return loop

    def _check_idle(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop's thread, while nobody holds the loop."""
        with self._lock:
            if self._users or self._loop is not loop:
                self._watching = False
                return
            if self.system.running:
                loop.call_later(IDLE_CHECK, self._check_idle, loop)
                return
            self._loop = None
            self._watching = False
        loop.stop()

    def _run(self, loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.call_soon(ready.set)
            loop.run_forever()
            _cancel_leftovers(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        except BaseException:
            logger.exception("actor system %s: its event loop failed", self.system.name)
        finally:
            asyncio.set_event_loop(None)
            loop.close()
            self.system.untrack_thread(threading.current_thread())


def _cancel_leftovers(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
