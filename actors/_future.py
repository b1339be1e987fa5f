"""The reply future used by calls, starts and stops.

A pykka :class:`pykka.Future` (so ``ActorRef.ask`` on our actors returns one)
built on one lock instead of a condition: setting it is a release, waiting is
an acquire with a timeout. Waiting always uses real time (never the system
clock) and, on a pool worker, is compensated (see :mod:`actors._blocking`).
The first ``set`` wins; :meth:`try_set` reports whether it did, which is how a
late reply to a caller that already timed out is dropped.
"""

from __future__ import annotations

import queue
import sys
from _thread import allocate_lock
from typing import TYPE_CHECKING, Any, TypeVar

import pykka

from actors._blocking import waiting

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["ReplyFuture"]

T = TypeVar("T")

_ExcInfo = tuple[type[BaseException] | None, BaseException | None, "TracebackType | None"]


class ReplyFuture(pykka.Future[T]):
    """A one-shot value or exception, waited for with a real-time timeout."""

    def __init__(self) -> None:
        super().__init__()
        self._ready = allocate_lock()
        self._ready.acquire()
        self._claim = allocate_lock()
        self._done = False
        self._value: Any = None
        self._exc_info: _ExcInfo | None = None

    def __repr__(self) -> str:
        state = "done" if self._done else "pending"
        return f"<ReplyFuture {state}>"

    def done(self) -> bool:
        """Whether a value or an exception has been set."""
        return self._done

    def try_set(self, value: Any = None) -> bool:
        """Set the value unless something was set first; returns whether it was."""
        if self._get_hook is not None or not self._claim.acquire(False):
            return False
        self._value = value
        self._done = True
        self._ready.release()
        return True

    def try_set_exception(self, exc: BaseException) -> bool:
        """Set an exception unless something was set first."""
        if self._get_hook is not None or not self._claim.acquire(False):
            return False
        self._exc_info = (type(exc), exc, exc.__traceback__)
        self._done = True
        self._ready.release()
        return True

    # pykka.Future API --------------------------------------------------------

    def set(self, value: Any = None) -> None:
        if not self.try_set(value):
            raise queue.Full

    def set_exception(self, exc_info: Any = None) -> None:
        if exc_info is None:
            exc_info = sys.exc_info()
        exc = exc_info[1] if exc_info[1] is not None else exc_info[0]()
        if not self.try_set_exception(exc):
            raise queue.Full

    def set_get_hook(self, func: Any) -> None:
        if self._done:
            raise queue.Full
        super().set_get_hook(func)

    def get(self, *, timeout: float | None = None) -> T:
        if self._get_hook is not None:
            return super().get(timeout=timeout)
        if not self._done and not self._wait(timeout):
            msg = f"{timeout} seconds"
            raise pykka.Timeout(msg)
        if self._exc_info is not None:
            _, exc, tb = self._exc_info
            assert exc is not None
            raise exc.with_traceback(tb)
        return self._value  # type: ignore[no-any-return]

    def _wait(self, timeout: float | None) -> bool:
        ready = self._ready
        if ready.acquire(False):
            ready.release()
            return True
        if timeout is not None and timeout <= 0:
            return False
        with waiting():
            acquired = ready.acquire(True, -1 if timeout is None else timeout)
        if acquired:
            ready.release()
        return acquired
