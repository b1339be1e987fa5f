"""Shared helpers for the benchmark scripts: records, timers, latches, RSS.

Every figure is printed as one JSON line beside a baseline measured in the
same run: ``{"name", "value", "unit", "baseline", "baseline_value", "ratio",
"better"}`` where ``ratio = value / baseline_value`` and ``better`` says
whether a higher or a lower ratio is the good direction. A baseline that
could not be measured (Erlang or blinker not installed) has
``"baseline_value": null``, ``"ratio": null`` and ``"missing": <why>``:
never a zero.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Latch",
    "Missing",
    "Record",
    "Tally",
    "emit",
    "median",
    "median_p99",
    "per_second",
    "rss_bytes",
    "timed",
    "versus",
]


@dataclass
class Record:
    name: str
    value: float
    unit: str
    baseline: str | None
    baseline_value: float | None
    better: str  # "higher" or "lower"
    extra: dict[str, Any] = field(default_factory=dict)
    missing: str | None = None
    """Why ``baseline_value`` is ``None`` (the baseline could not be measured)."""

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return round(self.value / self.baseline_value, 4)

    def as_json(self) -> str:
        ratio = self.ratio
        payload = {
            "name": self.name,
            "value": _round(self.value),
            "unit": self.unit,
            "baseline": self.baseline,
            "baseline_value": None if self.baseline_value is None else _round(self.baseline_value),
            "ratio": ratio,
            "better": self.better,
            **({"missing": self.missing} if self.missing is not None else {}),
            **self.extra,
        }
        return json.dumps(payload)


@dataclass(frozen=True)
class Missing:
    """A baseline that was not measured in this run, and why."""

    reason: str


def versus(
    name: str,
    value: float,
    unit: str,
    baseline: str,
    baseline_value: float | Missing,
    better: str,
    extra: dict[str, Any] | None = None,
) -> Record:
    """A record against a baseline that may be :class:`Missing`."""
    if isinstance(baseline_value, Missing):
        return Record(
            name, value, unit, baseline, None, better, dict(extra or {}), baseline_value.reason
        )
    return Record(name, value, unit, baseline, baseline_value, better, dict(extra or {}))


def _round(x: float) -> float:
    return round(x, 3) if abs(x) < 1000 else round(x)


def emit(records: Iterator[Record] | list[Record]) -> list[Record]:
    """Print each record as it comes (a long run shows progress); returns them."""
    done = []
    for record in records:
        print(record.as_json(), flush=True)
        done.append(record)
    return done


def timed(fn: Callable[[], Any]) -> float:
    """Wall-clock seconds of one call of ``fn``."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def median_p99(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


class Latch:
    """Counts down from ``n``; ``wait`` returns when it reaches zero."""

    def __init__(self, n: int) -> None:
        self._left = n
        self._lock = threading.Lock()
        self._done = threading.Event()
        if n == 0:
            self._done.set()

    def count_down(self) -> None:
        with self._lock:
            self._left -= 1
            if self._left == 0:
                self._done.set()

    def wait(self, timeout: float = 300.0) -> None:
        if not self._done.wait(timeout):
            msg = f"latch still at {self._left} after {timeout}s"
            raise TimeoutError(msg)


class Tally:
    """A latch that also sums what the counted-down parties report.

    Subscribers of an overflow benchmark report how many messages they
    really handled, so the instance's books can be checked against them.
    """

    def __init__(self, n: int) -> None:
        self.total = 0
        self._latch = Latch(n)
        self._lock = threading.Lock()

    def report(self, count: int) -> None:
        with self._lock:
            self.total += count
        self._latch.count_down()

    def wait(self, timeout: float = 300.0) -> None:
        self._latch.wait(timeout)


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    msg = "no VmRSS in /proc/self/status"
    raise RuntimeError(msg)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
