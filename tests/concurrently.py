"""Run one function in many threads at once, for the race tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["run_concurrently"]


def run_concurrently(
    target: Callable[..., Any], arguments: Iterable[tuple[Any, ...]], timeout: float = 60.0
) -> list[BaseException]:
    """Call ``target(*args)`` for each ``args`` in a thread of its own, all
    released together by a barrier; what they raised (``[]``: nothing).

    Raises:
        AssertionError: a thread was still running after ``timeout``.
    """
    calls = list(arguments)
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(args: tuple[Any, ...]) -> None:
        try:
            barrier.wait(timeout)
            target(*args)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(args,)) for args in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"threads still running after {timeout}s: {stuck}"
    return errors
