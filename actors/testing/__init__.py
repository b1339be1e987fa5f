"""Helpers for testing actors: probes, templates, and pytest fixtures.

The fixtures (``actor_system``, ``actor_system_factory``, ``actor_runtime``)
are registered as a pytest plugin when the package is installed.
"""

from __future__ import annotations

from actors.testing._leaks import ThreadWatch
from actors.testing._match import ANY, matches
from actors.testing._probe import Probe, assert_receive, refute_receive
from actors.testing._settle import settle

__all__ = [
    "ANY",
    "Probe",
    "ThreadWatch",
    "assert_receive",
    "matches",
    "refute_receive",
    "settle",
]
