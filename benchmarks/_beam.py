"""The Erlang VM (BEAM) as a baseline: runs ``erlang/beam_baseline.escript``.

Each benchmark module asks for the BEAM figure it compares with right beside
its own measurement (same run, same machine, a few seconds apart). The
escript prints one JSON object per line; :func:`measure` returns them by
figure name. When Erlang is not installed, the run was started with
``--no-beam``, or the escript fails, :func:`measure` returns a
:class:`Missing` with the reason, and the benchmark prints the figure with
``"baseline_value": null`` and ``"missing": <reason>``: never a zero.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

from _harness import Missing, log

__all__ = ["ESCRIPT", "Missing", "disable", "figure", "measure", "samples"]

ESCRIPT = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "erlang", "beam_baseline.escript"
)
TIMEOUT = 900.0
"""Seconds one escript run may take (the full fan-out takes about 30)."""

_disabled: str | None = None


def disable(reason: str) -> None:
    """Measure no BEAM baseline in this run (``--no-beam``)."""
    global _disabled
    _disabled = reason


def _command() -> list[str] | Missing:
    if _disabled is not None:
        return Missing(_disabled)
    escript = shutil.which("escript")
    if escript is not None:
        return [escript, ESCRIPT]
    erl = shutil.which("erl")
    if erl is not None:
        # What the escript launcher itself runs; the %%! line is not read here.
        return [erl, "+P", "1048576", "-noshell", "-run", "escript", "start", "-extra", ESCRIPT]
    return Missing("erlang not installed")


def measure(what: str, **options: int | list[int]) -> dict[str, list[dict[str, Any]]] | Missing:
    """Run one figure of the escript (``call``, ``spawn``, ``fanout``,
    ``memory``) and return its rows grouped by their ``figure`` field."""
    command = _command()
    if isinstance(command, Missing):
        return command
    args = [
        f"{key}={','.join(map(str, value)) if isinstance(value, list) else value}"
        for key, value in options.items()
    ]
    log(f"  BEAM baseline: {what} {' '.join(args)}")
    try:
        done = subprocess.run(
            [*command, what, *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Missing(f"erlang baseline could not run: {exc}")
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        return Missing(f"erlang baseline failed (exit {done.returncode}): {tail}")
    rows: dict[str, list[dict[str, Any]]] = {}
    for line in done.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            row = json.loads(line)
            rows.setdefault(row["figure"], []).append(row)
    return rows


def figure(
    result: Mapping[str, list[dict[str, Any]]] | Missing,
    name: str,
    field: str,
    **match: Any,
) -> float | Missing:
    """One value of a :func:`measure` result: ``field`` of the row called
    ``name`` whose other fields equal ``match`` (e.g. ``subscribers=1000``)."""
    if isinstance(result, Missing):
        return result
    for row in result.get(name, ()):
        if all(row.get(k) == v for k, v in match.items()):
            value = row.get(field)
            if isinstance(value, int | float):
                return float(value)
    return Missing(f"erlang baseline printed no {name} {field} for {match or 'this run'}")


def samples(
    result: Mapping[str, list[dict[str, Any]]] | Missing, name: str, **match: Any
) -> list[float] | None:
    """The repeated samples behind a :func:`figure` (to show the spread)."""
    if isinstance(result, Missing):
        return None
    for row in result.get(name, ()):
        if all(row.get(k) == v for k, v in match.items()):
            values = row.get("samples")
            if isinstance(values, list):
                return [round(float(v)) for v in values]
    return None
