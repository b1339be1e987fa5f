"""The module-level functions: call, cast, send, stop, monitor, link, timers.

Every function accepts a *target*: a :class:`~actors.Ref`, a registered name
(looked up in ``system``, else in :func:`actors.current_system`), a
:class:`~actors.testing.Probe`, or anything with an ``__actor_process__()``
method (supervisor handles).
"""

from __future__ import annotations

import math
import threading
from typing import Any, Final

from actors import _tracing
from actors._blocking import check_can_block, waiting
from actors._clock import real_monotonic
from actors._current import resolve_system
from actors._envelopes import Call, Caller
from actors._errors import CallError, NoProcError, PoolExhausted
from actors._future import ReplyFuture
from actors._process import MonitorRef, Process, current_process, current_slot
from actors._reasons import KILL, NOPROC
from actors._ref import Ref
from actors._registry import check_name
from actors._remote import remote_target
from actors._server import ServerProcess
from actors._system import ActorSystem
from actors._timers import TimerRef

__all__ = [
    "call",
    "cancel_timer",
    "cast",
    "current",
    "demonitor",
    "exit",
    "link",
    "monitor",
    "monitor_node",
    "node",
    "nodes",
    "reply",
    "resolve",
    "send",
    "send_after",
    "stop",
    "unlink",
    "whereis",
]


def resolve(target: Any, system: ActorSystem | None = None) -> Process | None:
    """The process behind ``target``; ``None`` if it is a name nobody holds.

    A ref to an actor that has exited resolves to its (dead) process.

    Raises:
        TypeError: ``target`` is not something that can name an actor.
    """
    getter = getattr(type(target), "__actor_process__", None)
    if getter is not None:
        proc: Process = getter(target)
        return proc
    if isinstance(target, Process):
        return target
    if isinstance(target, str | tuple):
        check_name(target)
        owner = resolve_system(system)
        remote = owner.remote
        if remote is not None and target.__class__ is tuple:
            where = remote_target(target, owner.node)
            if where is not None:
                return remote.process(*where)
            if len(target) == 2 and target[1] == owner.node:
                return owner.lookup(target[0])  # this node, named explicitly
        return owner.lookup(target)
    from actors._genserver import GenServer

    if isinstance(target, GenServer):
        return target._proc
    msg = (
        "a target must be a Ref, a registered name (str or tuple), a Probe or a "
        f"supervisor handle; got {type(target).__name__} {target!r}"
    )
    raise TypeError(msg)


def _resolve_or_raise(target: Any, system: ActorSystem | None) -> Process:
    proc = resolve(target, system)
    if proc is None:
        raise NoProcError(target, system=_searched(target, system))
    return proc


def _searched(target: Any, system: ActorSystem | None) -> str | None:
    """The name of the system a name lookup searched (for error messages)."""
    if isinstance(target, str | tuple):
        return resolve_system(system).name
    return None


def _check_timeout(timeout: object, what: str) -> float | None:
    """Real seconds to wait, ``None`` for no limit; checked *before* sending.

    ``float("inf")`` and values beyond what a lock can wait for
    (:data:`threading.TIMEOUT_MAX`) mean no limit, as ``"infinity"`` does.
    """
    if timeout is None or timeout == "infinity":
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout >= 0:
        msg = f"{what} timeout must be a non-negative number of seconds or None, got {timeout!r}"
        raise ValueError(msg)
    if timeout >= threading.TIMEOUT_MAX:
        return None
    return float(timeout)


def _check_delay(seconds: object) -> float:
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not 0 <= seconds < math.inf
    ):
        msg = f"send_after() takes a finite, non-negative number of seconds, got {seconds!r}"
        if isinstance(seconds, int | float) and not isinstance(seconds, bool):
            raise ValueError(msg)
        raise TypeError(msg)
    return float(seconds)


def call(
    target: Any, request: Any, timeout: float | None = 5.0, *, system: ActorSystem | None = None
) -> Any:
    """Send ``request`` to ``handle_call`` and wait for the reply.

    Args:
        timeout: real seconds to wait; ``None`` waits forever.

    Raises:
        CallError: reason ``"noproc"`` (no such actor or it has exited),
            ``"timeout"`` (the late reply, if any, is dropped),
            ``"calling_self"``, or the reason the server exited with while
            the call was pending (the exception, if it crashed).
    """
    wait = _check_timeout(timeout, "call")
    proc = resolve(target, system)
    if proc is None or not proc.alive:
        raise CallError(NOPROC, target, request, system=_searched(target, system))
    me = current_process()
    if proc is me:
        raise CallError("calling_self", target, request)
    try:
        check_can_block()
    except PoolExhausted as exc:
        raise CallError("pool_exhausted", target, request) from exc
    future: ReplyFuture[Any] = ReplyFuture()
    caller = Caller(future, None if me is None else me.ref)
    if isinstance(proc, ServerProcess):
        if _tracing.enabled:
            return _tracing.call(proc, target, request, caller, wait)
        if proc.inline_calls and _inline.depth < INLINE_CALL_DEPTH and proc.acquire():
            return _call_inline(proc, target, request, caller, wait)
        delivered = proc.push(Call(request, caller))
    elif _tracing.enabled and hasattr(proc, "deliver_traced_call"):
        return _tracing.call(proc, target, request, caller, wait)  # a remote proxy
    else:
        delivered = proc.deliver_blocking_call(request, caller, wait)
    if not delivered:
        raise CallError(NOPROC, target, request)
    # Either the reply arrived in time, or we claim the future first, which
    # drops any late reply for good.
    if not future._wait(wait) and future.try_set_exception(CallError("timeout", target, request)):
        raise CallError("timeout", target, request)
    return future.get(timeout=0)


INLINE_CALL_DEPTH: Final = 8
"""Nested calls one thread runs inline (A calls B calls C...) before the
next one in the chain goes through the target's mailbox and a pool worker."""


class _InlineCalls(threading.local):
    depth = 0


_inline = _InlineCalls()


def run_inline_turn(proc: ServerProcess, request: Any, caller: Caller) -> None:
    """Run one turn of ``proc``, whose lock the calling thread holds, for
    this call, in the calling thread (nested inline calls are counted)."""
    proc.queue.append(Call(request, caller))
    _inline.depth += 1
    try:
        proc.run_turn(1, current_slot())  # releases the lock or hands it on
    finally:
        _inline.depth -= 1


def _call_inline(
    proc: ServerProcess, target: Any, request: Any, caller: Caller, wait: float | None
) -> Any:
    """Run the idle target's turn in the calling thread (we hold its lock).

    The caller would only block until a worker ran the call and woke it: two
    thread hand-offs. Running the turn here keeps every rule (one message at
    a time, in order: the lock was free, so nothing queued is older than this
    call) and crash semantics (the turn is the same code). A callback that
    runs longer than ``timeout`` still fails the call with ``"timeout"``,
    its reply dropped, as a late reply is.
    """
    future = caller.future
    started = real_monotonic() if wait is not None else 0.0
    run_inline_turn(proc, request, caller)
    if future.done():
        if wait is not None and real_monotonic() - started > wait:
            proc.inline_calls = False  # it runs longer than its callers wait
            raise CallError("timeout", target, request)
        return future.get(timeout=0)
    # No reply yet (NO_REPLY, or an older message came first): wait for it.
    if wait is not None:
        wait = max(0.0, wait - (real_monotonic() - started))
    if not future._wait(wait) and future.try_set_exception(CallError("timeout", target, request)):
        raise CallError("timeout", target, request)
    return future.get(timeout=0)


def cast(target: Any, request: Any, *, system: ActorSystem | None = None) -> None:
    """Send ``request`` to ``handle_cast`` without waiting.

    A cast to an actor that has exited is dropped and counted as a dead
    letter, as in Erlang.

    Raises:
        NoProcError: no actor is registered under that name.
    """
    proc = _resolve_or_raise(target, system)
    ok = _tracing.cast(proc, request) if _tracing.enabled else proc.deliver_cast(request)
    if not ok:
        proc.system.count_dead_letters()


def send(target: Any, message: Any, *, system: ActorSystem | None = None) -> bool:
    """Put ``message`` in the target's mailbox (it arrives in ``handle_info``).

    Returns whether it was enqueued; a message to an actor that has exited is
    dropped and counted in ``system.dead_letters``.

    Raises:
        NoProcError: no actor is registered under that name (Erlang's badarg).
    """
    if target.__class__ is Ref:
        # The common case, kept to one call: fan-out loops live on this line.
        server: ServerProcess = target._process
        if server.push(message):
            return True
        server.system.count_dead_letters()
        return False
    proc = _resolve_or_raise(target, system)
    if proc.deliver(message):
        return True
    proc.system.count_dead_letters()
    return False


def _stoppable(target: Any, reason: Any, system: ActorSystem | None) -> ServerProcess | None:
    """The server to stop, after the checks :func:`stop` and ``astop`` share;
    ``None`` when there is nothing to wait for (a probe, closed at once).

    Raises:
        CallError: ``"noproc"`` or ``"calling_self"``.
    """
    proc = resolve(target, system)
    if proc is None or not proc.alive:
        raise CallError(NOPROC, target, system=_searched(target, system))
    if proc is current_process():
        raise CallError("calling_self", target)
    if not isinstance(proc, ServerProcess):
        proc.close(reason)
        return None
    return proc


def stop(
    target: Any,
    reason: Any = "normal",
    timeout: float | None = 5.0,
    *,
    system: ActorSystem | None = None,
) -> None:
    """Stop an actor with ``reason`` and wait until it has exited.

    The stop is handled after the messages already in its mailbox;
    ``terminate(reason)`` runs. On timeout the stop request stays queued.

    Raises:
        CallError: ``"noproc"``, ``"timeout"``, ``"calling_self"``, or the
            reason it actually exited with when that differs from ``reason``.
    """
    wait = _check_timeout(timeout, "stop")
    proc = _stoppable(target, reason, system)
    if proc is None:
        return
    try:
        check_can_block()
    except PoolExhausted as exc:
        raise CallError("pool_exhausted", target) from exc
    proc.request_stop(reason)
    if not proc.stopped.is_set():
        with waiting():
            stopped = proc.stopped.wait(wait)
        if not stopped:
            raise CallError("timeout", target)
    actual = proc.exit_reason
    if actual is not reason and actual != reason:
        raise CallError(actual, target)


def whereis(name: Any, system: ActorSystem | None = None) -> Any:
    """The ref registered under ``name``, or ``None``."""
    check_name(name)
    return resolve_system(system).whereis(name)


def current() -> Any:
    """The ref of the actor whose callback is running, or ``None``."""
    proc = current_process()
    return None if proc is None else proc.ref


def _require_current(what: str) -> Process:
    proc = current_process()
    if proc is None:
        msg = f"{what}() must be called from inside an actor (or use the Probe's method)"
        raise RuntimeError(msg)
    return proc


def monitor(target: Any, *, system: ActorSystem | None = None) -> MonitorRef:
    """From inside an actor: get ``("DOWN", mref, "process", ref, reason)``
    exactly once when ``target`` exits (at once with ``"noproc"`` if it
    already has, or no actor has that name)."""
    watcher = _require_current("monitor")
    proc = resolve(target, system)
    target_ref = target if proc is None else proc.ref
    return watcher.monitor(proc, target_ref)


def demonitor(mref: MonitorRef) -> bool:
    """Remove a monitor; returns whether it was still active.

    A ``DOWN`` already in the mailbox stays there."""
    if not isinstance(mref, MonitorRef):
        msg = f"demonitor() takes a MonitorRef, got {type(mref).__name__}"
        raise TypeError(msg)
    return mref.watcher.demonitor(mref)


def link(target: Any, *, system: ActorSystem | None = None) -> None:
    """From inside an actor: link it with ``target`` (both directions).

    An abnormal exit of either takes the other down with the same reason
    unless it traps exits, in which case it gets ``("EXIT", from, reason)``.
    Linking to an actor that has exited delivers the exit signal
    ``"noproc"`` at once (which crashes the caller unless it traps exits).
    """
    me = _require_current("link")
    proc = resolve(target, system)
    if proc is None or not me.link(proc):
        sender = proc
        me.exit_signal(sender, NOPROC)


def unlink(target: Any, *, system: ActorSystem | None = None) -> None:
    """Remove the link between the calling actor and ``target``."""
    me = _require_current("unlink")
    proc = resolve(target, system)
    if proc is not None:
        me.unlink(proc)


def exit(target: Any, reason: Any, *, system: ActorSystem | None = None) -> None:
    """Send an exit signal to ``target`` (Erlang's ``exit/2``).

    ``"kill"`` cannot be trapped: the target exits at once with ``"killed"``
    (a callback still running finishes, but its effects on the actor's
    messages are dropped). Any other reason behaves like a link's signal:
    ``"normal"`` is ignored unless the target traps exits.
    """
    proc = _resolve_or_raise(target, system)
    if reason == KILL:
        proc.kill()
    else:
        proc.exit_signal(current_process(), reason)


def reply(caller: Caller, value: Any) -> bool:
    """Answer a call whose ``handle_call`` returned :data:`actors.NO_REPLY`.

    Callable from any thread. Returns ``False`` if the caller already got an
    answer (or gave up: a late reply is dropped, never delivered later).
    """
    if not isinstance(caller, Caller):
        msg = f"reply() takes the caller given to handle_call, got {type(caller).__name__}"
        raise TypeError(msg)
    ok = caller.future.try_set(value)
    server = caller._server
    if server is not None:
        server.replied(caller)
    return bool(ok)


def send_after(
    target: Any, message: Any, seconds: float, *, system: ActorSystem | None = None
) -> TimerRef:
    """Send ``message`` to ``target`` after ``seconds`` on the system clock.

    A name is looked up when the timer fires. Returns a :class:`TimerRef` for
    :func:`cancel_timer`. A timer whose target has exited by then is dropped
    silently (as Erlang cancels timers of dead processes).
    """
    delay = _check_delay(seconds)
    proc = resolve(target, system)
    owner = proc.system if proc is not None else resolve_system(system)
    if isinstance(target, str | tuple) or proc is None:
        check_name(target)

        def fire() -> None:
            found = owner.lookup(target)
            if found is not None:
                found.deliver(message)
            else:
                owner.count_dead_letters()

    else:
        fixed = proc

        def fire() -> None:
            fixed.deliver(message)

    return owner.timers.schedule(delay, fire)


def cancel_timer(ref: TimerRef) -> float | None:
    """Cancel a timer; returns the clock-seconds it had left, or ``None`` if it
    had already fired or been cancelled."""
    if not isinstance(ref, TimerRef):
        msg = f"cancel_timer() takes a TimerRef, got {type(ref).__name__}"
        raise TypeError(msg)
    return ref.cancel()


def node(*, system: ActorSystem | None = None) -> str:
    """The name of this node (the system's ``node``), as Erlang's ``node()``."""
    return resolve_system(system).node


def nodes(*, system: ActorSystem | None = None) -> list[str]:
    """The other nodes this node is connected to (empty without a cluster),
    as Erlang's ``nodes()``."""
    remote = resolve_system(system).remote
    return [] if remote is None else remote.nodes()


def monitor_node(node: str, enable: bool = True, *, system: ActorSystem | None = None) -> None:
    """From inside an actor (or a probe): get ``("nodedown", node, reason)``
    when ``node`` goes down (at once if it is not connected) and
    ``("nodeup", node)`` when it comes back; ``enable=False`` stops it.
    Monitoring this very node gives nothing (it cannot go down alone).

    Raises:
        TypeError: ``node`` is not a str.
    """
    if not isinstance(node, str):
        msg = f"monitor_node() takes a node name (str), got {type(node).__name__}"
        raise TypeError(msg)
    watcher = _require_current("monitor_node")
    owner = watcher.system if system is None else resolve_system(system)
    if node == owner.node:
        return
    remote = owner.remote
    if remote is None:
        if enable:
            watcher.deliver(("nodedown", node, "noconnection"))
        return
    remote.monitor_node(watcher, node, enable)
