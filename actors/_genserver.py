"""GenServer: the class users subclass.

A GenServer is a :class:`pykka.Actor` built on pykka's documented extension
points for actor types (``_create_actor_inbox``, ``_create_future``,
``_start_actor_loop``); the runtime that drives it (a worker pool or a
dedicated thread) is a separate, small piece chosen per actor.
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING, Any, ClassVar, Self

import pykka

from actors._current import resolve_system
from actors._envelopes import Caller
from actors._errors import StartError
from actors._future import ReplyFuture
from actors._ids import ExitFlag, next_urn
from actors._process import current_process
from actors._registry import check_name
from actors._server import ServerProcess

if TYPE_CHECKING:
    from actors._ref import Ref
    from actors._system import ActorSystem

__all__ = ["GenServer"]

logger = logging.getLogger("actors")

# callback name -> number of positional parameters after self
_CALLBACK_ARITY = {
    "handle_call": 2,
    "handle_cast": 1,
    "handle_info": 1,
    "handle_continue": 1,
    "terminate": 1,
}


class GenServer(pykka.Actor):
    """A process with OTP's callbacks and failure semantics.

    Subclass it, implement the callbacks you need, and start it with
    :meth:`start`. State lives on ``self``; messages are usually tagged tuples
    handled with ``match``::

        class Counter(actors.GenServer):
            def init(self, start=0):
                self.count = start

            def handle_call(self, request, caller):
                match request:
                    case ("get",):
                        return self.count

            def handle_cast(self, request):
                match request:
                    case ("add", n):
                        self.count += n

        counter = Counter.start(10, name="counter")
        actors.cast("counter", ("add", 5))
        assert actors.call("counter", ("get",)) == 15

    Which thread runs the callbacks: with the default ``"pooled"`` runtime,
    ``init`` runs in the thread that called :meth:`start` and every other
    callback in one of the system's pool workers, except that a call to an
    idle actor runs ``handle_call`` (and whatever ``handle_continue`` or
    ``terminate`` it leads to) in the *caller's* thread (see
    :attr:`inline_calls`); with ``runtime="thread"`` all of them run in the
    actor's own thread. Either way callbacks of one actor run one at a time,
    never concurrently, in arrival order, and a callback must not assume a
    particular thread (no ``threading.local`` state).

    An exception in *any* callback crashes the actor (OTP, not pykka):
    ``terminate`` runs with the exception as reason, monitors get ``DOWN``,
    links get the exit signal, and a pending caller gets
    :class:`~actors.CallError`.
    """

    runtime: ClassVar[str | None] = None
    """``"pooled"`` or ``"thread"``; ``None`` uses the system's default."""

    inline_calls: ClassVar[bool] = True
    """Pooled actors only: let a caller run this actor's ``handle_call`` in
    the caller's own thread when the actor is idle (no thread hand-off: a
    call costs microseconds instead of two thread wake-ups). Ordering and
    failure semantics are unchanged: the actor's lock was free, so nothing
    queued is older than the call.

    The price: a callback run inline keeps its caller until it returns. A
    caller's timeout then fails the call only when the callback returns
    (the reply is dropped, and the actor is no longer called inline), and
    a kill makes the actor unreachable at once while its caller learns of
    it when the callback returns. Set it to ``False`` for actors whose calls
    may block or run long. An actor whose callback enters
    :func:`actors.blocking` stops being called inline from then on; a
    chain of inline calls (A calls B calls C...) goes through mailboxes
    from depth 8 on. Thread-runtime actors are never called inline."""

    loop_safe: ClassVar[bool] = False
    """Declare that ``handle_call`` never blocks and never waits for an
    event loop (a lookup, arithmetic, sending messages): an
    :func:`actors.acall` from a coroutine may then run it in the loop's
    thread while the actor is idle, as :func:`actors.call` does from a
    thread (see :attr:`inline_calls`): no hand-off, a few microseconds
    instead of two thread wake-ups.

    Off by default: a callback that blocks in the loop's thread stalls every
    task of the loop, and one that waits for the loop (say
    ``asyncio.run_coroutine_threadsafe(...).result()``) would never return.
    As a safety net an actor stops being called in the loop's thread once
    a callback run there enters :func:`actors.blocking`, or keeps the loop
    longer than 2 ms three times within a few hundred calls (the rare turn
    that the OS scheduler or the GIL stretches is forgiven); that is logged
    once. Pooled actors only; no effect on AsyncGenServer."""

    component: ClassVar[str | None] = None
    """What lifecycle events, logs and trees call actors of this class;
    ``None`` uses the class name."""

    _class_idle_timeout: ClassVar[float | None] = None

    _component_name: ClassVar[str] = "GenServer"
    """:attr:`component`, else the class name (set per subclass)."""

    _has_terminate: ClassVar[bool] = False
    """Whether the class overrides :meth:`terminate` (set per subclass)."""

    _proc: ServerProcess
    _init_args: tuple[tuple[Any, ...], dict[str, Any]]

    def __init__(self) -> None:
        """Create the actor object; runs in the thread that calls ``start``.

        Prefer :meth:`init` for setup. If you override ``__init__``, take no
        arguments and call ``super().__init__()``.
        """
        # The fields pykka.Actor.__init__ sets, set here directly: its
        # threading.Event, uuid4 and throw-away ActorRef were half the cost of
        # spawning an actor. ``_actor_ref`` is set by _spawn once the process
        # exists (a Ref knows its process).
        self.actor_urn = next_urn()
        self.actor_inbox = self._create_actor_inbox()
        self.actor_stopped = ExitFlag()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _check_callbacks(cls)
        cls._has_terminate = cls.terminate is not GenServer.terminate
        cls._component_name = cls.component or cls.__name__
        # A class-level ``idle_timeout = 30`` becomes the default of the property.
        declared = cls.__dict__.get("idle_timeout")
        if declared is not None and not isinstance(declared, property):
            cls._class_idle_timeout = _check_idle_timeout(declared)
            del cls.idle_timeout

    @property
    def idle_timeout(self) -> float | None:
        """Seconds without messages after which ``handle_info(("timeout",))``
        is called (measured on the system clock); re-armed after every
        message. Set it on the instance (usually in ``init``) or as a class
        attribute; ``None`` turns it off."""
        return self._proc.idle_timeout

    @idle_timeout.setter
    def idle_timeout(self, seconds: float | None) -> None:
        self._proc.idle_timeout = _check_idle_timeout(seconds)

    # pykka's extension points --------------------------------------------------

    @staticmethod
    def _create_actor_inbox() -> ServerProcess:
        # The inbox is the actor's whole process record (mailbox included);
        # _spawn binds it to its system once the start options are known.
        return ServerProcess()

    @staticmethod
    def _create_future() -> ReplyFuture[Any]:
        return ReplyFuture()

    def _start_actor_loop(self) -> None:
        proc = self._proc
        args, kwargs = self._init_args
        del self._init_args
        proc.system.runtime_named(proc.runtime).launch(proc, args, kwargs)

    # Starting --------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        *args: Any,
        name: Any = None,
        system: ActorSystem | None = None,
        runtime: str | None = None,
        **kwargs: Any,
    ) -> Ref[Self]:
        """Start the actor and wait until its ``init`` has returned.

        Positional and keyword arguments (other than the three below) are
        passed to ``init``.

        Args:
            name: register the actor under this name (a ``str`` or a tuple of
                hashables) in its system while it lives.
            system: the :class:`~actors.ActorSystem`; default
                :func:`actors.current_system` (the calling actor's system,
                else the innermost ``with ActorSystem()`` block's, else the
                default system).
            runtime: ``"pooled"`` or ``"thread"``; defaults to the class's
                :attr:`runtime`, else the system's default.

        Raises:
            AlreadyStarted: a live actor is registered under ``name``
                (``.ref`` is that actor).
            StartError: ``init`` raised (``.cause``) or called
                ``self.stop(reason)``; nothing is left running.
        """
        return cls._spawn(args, kwargs, name, system, runtime, link=False)

    @classmethod
    def start_link(
        cls,
        *args: Any,
        name: Any = None,
        system: ActorSystem | None = None,
        runtime: str | None = None,
        **kwargs: Any,
    ) -> Ref[Self]:
        """Like :meth:`start`, and link the new actor to the calling actor.

        The caller becomes the actor's *parent*: if the actor traps exits, an
        exit signal from its parent makes it run ``terminate`` and exit with
        that reason (how supervisors shut children down). Must be called
        from inside an actor. If ``init`` fails, :class:`StartError` is raised
        and no exit signal reaches the caller.
        """
        return cls._spawn(args, kwargs, name, system, runtime, link=True)

    @classmethod
    def _spawn(
        cls,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        name: Any,
        system: ActorSystem | None,
        runtime: str | None,
        *,
        link: bool,
    ) -> Ref[Self]:
        current = current_process()
        if link and current is None:
            msg = f"{cls.__name__}.start_link() must be called from inside an actor; use start()"
            raise RuntimeError(msg)
        system = resolve_system(system)
        launcher = system.runtime_named(runtime if runtime is not None else cls.runtime)
        if name is not None:
            check_name(name)
        try:
            actor = cls()
        except Exception as exc:
            raise StartError(cls, exc) from exc
        parent = current if link else None
        context = None
        if isinstance(parent, ServerProcess) and parent.handover is not None:
            context, parent.handover = parent.handover, None  # one child takes it
        proc = actor.actor_inbox
        assert isinstance(proc, ServerProcess)
        proc.bind(actor, system, name, launcher.name, parent, context)
        actor._proc = proc
        actor._actor_ref = proc.ref
        system.register(proc)
        if parent is not None:
            parent.link(proc)
        actor._init_args = (args, kwargs)
        actor._start_actor_loop()
        return proc.ref

    # Callbacks -------------------------------------------------------------------

    def init(self, *args: Any, **kwargs: Any) -> object:
        """Set up the actor's state; runs before any message is handled.

        Thread: the thread that called :meth:`start` or :meth:`start_link`
        (pooled runtime; for a supervised child, the supervisor's worker or
        thread), or the actor's own thread while the starter waits (thread
        runtime). Raising makes :meth:`start` raise
        :class:`StartError`; calling ``self.stop(reason)`` refuses the start
        the same way. Call ``self.continue_with(arg)`` to have
        :meth:`handle_continue` run right after, without blocking the starter.
        """
        if args or kwargs:
            msg = (
                f"{type(self).__name__}.init() takes no arguments, got args={args!r} "
                f"kwargs={kwargs!r}; define init() to accept them"
            )
            raise TypeError(msg)
        return None

    def handle_call(self, request: Any, caller: Caller) -> Any:
        """Answer a :func:`actors.call`; the return value is the reply.

        Return :data:`actors.NO_REPLY` to answer later with
        :func:`actors.reply`. The default crashes the actor (OTP's
        ``bad_call``): end a ``match`` with
        ``case _: return super().handle_call(request, caller)`` so that an
        unknown request crashes instead of replying ``None``.

        Thread: a pool worker, or the caller's own thread when the actor was
        idle and :attr:`inline_calls` allows it (pooled runtime); the actor's
        thread (thread runtime).
        """
        msg = f"{type(self).__name__} has no handle_call clause for {request!r} (bad_call)"
        raise NotImplementedError(msg)

    def handle_cast(self, request: Any) -> object:
        """Handle an :func:`actors.cast`.

        The default crashes the actor (OTP's ``bad_cast``): end a ``match``
        with ``case _: super().handle_cast(request)``.

        Thread: a pool worker (pooled runtime) or the actor's thread (thread
        runtime); never the sender's.
        """
        msg = f"{type(self).__name__} has no handle_cast clause for {request!r} (bad_cast)"
        raise NotImplementedError(msg)

    def handle_info(self, message: Any) -> object:
        """Handle any other message: :func:`actors.send`, ``("DOWN", ...)``,
        ``("EXIT", ...)`` when trapping exits, timers, ``("timeout",)``.

        The default logs the unexpected message at WARNING and carries on
        (OTP's ``handle_info``): end a ``match`` with
        ``case _: super().handle_info(message)``.

        Thread: a pool worker (pooled runtime) or the actor's thread (thread
        runtime); never the sender's, nor the timer thread.
        """
        logger.warning("%s received an unexpected message: %r", self._proc, message)
        return None

    def handle_continue(self, arg: Any) -> object:
        """Run after the callback that called :meth:`continue_with`, before
        any new message. The default crashes the actor.

        Thread: the thread that ran that callback, except after ``init`` on
        the pooled runtime, where it runs in a pool worker (the starter does
        not wait for it).
        """
        msg = (
            f"{type(self).__name__} asked to continue with {arg!r} "
            "but does not implement handle_continue"
        )
        raise NotImplementedError(msg)

    def terminate(self, reason: Any) -> object:
        """Clean up before the actor exits.

        Called when a callback raised (``reason`` is the exception), after
        ``self.stop(reason)`` or :func:`actors.stop`, and when the actor
        traps exits and its parent (supervisor) shuts it down. Not called
        when the actor is killed or dies from a link's exit signal without
        trapping exits (OTP).

        Thread: the thread that handles the message which ends the actor: a
        pool worker, or the caller's thread after a call run inline that
        stopped or crashed the actor (pooled runtime); the actor's thread
        (thread runtime). A raise inside it replaces the exit reason.
        """

    # Helpers for callbacks -------------------------------------------------------

    @property
    def ref(self) -> Ref[Self]:
        """This incarnation's ref."""
        return self._proc.ref

    @property
    def name(self) -> Any:
        """The registered name, or ``None``."""
        return self._proc.name

    @property
    def system(self) -> ActorSystem:
        """The actor system this actor belongs to."""
        return self._proc.system

    @property
    def trap_exits(self) -> bool:
        """Turn exit signals from links into ``("EXIT", from_ref, reason)`` messages."""
        return self._proc.trap_exits

    @trap_exits.setter
    def trap_exits(self, value: bool) -> None:
        self._proc.trap_exits = bool(value)

    def stop(self, reason: Any = "normal") -> None:
        """Stop with ``reason``: from inside a callback, after it returns
        (``terminate`` runs first; a reply returned by ``handle_call`` is sent
        after ``terminate``); from another thread, after the queued messages.
        """
        proc = self._proc
        if current_process() is proc:
            proc.stop_from_inside(reason)
        else:
            proc.request_stop(reason)

    def continue_with(self, arg: Any) -> None:
        """From inside a callback: call ``handle_continue(arg)`` right after it."""
        proc = self._proc
        if current_process() is not proc:
            msg = "continue_with() can only be called from the actor's own callbacks"
            raise RuntimeError(msg)
        proc.continue_from_inside(arg)

    def __str__(self) -> str:
        return str(self._proc) if hasattr(self, "_proc") else super().__str__()


def _check_idle_timeout(seconds: Any) -> float | None:
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        msg = f"idle_timeout must be a positive number of seconds or None, got {seconds!r}"
        raise ValueError(msg)
    return float(seconds)


def _check_callbacks(cls: type) -> None:
    for name, arity in _CALLBACK_ARITY.items():
        func = cls.__dict__.get(name)
        if func is None:
            continue
        if not callable(func):
            msg = f"{cls.__name__}.{name} must be a method, got {type(func).__name__}"
            raise TypeError(msg)
        if inspect.iscoroutinefunction(func):
            msg = f"{cls.__name__}.{name} must be a plain method, not async def"
            raise TypeError(msg)
        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError):
            continue
        try:
            signature.bind(*([None] * (arity + 1)))
        except TypeError:
            params = ", ".join(["self", *_PARAM_NAMES[name]])
            msg = f"{cls.__name__}.{name}{signature} must accept ({params})"
            raise TypeError(msg) from None


_PARAM_NAMES = {
    "handle_call": ("request", "caller"),
    "handle_cast": ("request",),
    "handle_info": ("message",),
    "handle_continue": ("arg",),
    "terminate": ("reason",),
}
