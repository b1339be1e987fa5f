"""Start functions for the gater's system-wide singletons."""

from __future__ import annotations

from typing import Any

import actors

__all__ = ["start_link_once"]


def start_link_once(
    cls: type[actors.GenServer], *args: Any, name: str, **kwargs: Any
) -> actors.Ref[Any] | None:
    """Child-spec start function: ``cls.start_link(*args, name=name, **kwargs)``,
    or ``None`` (ignored, as OTP's ``:ignore``) when an actor already runs
    under ``name`` in the system, so a second gater tree neither fails to
    start nor runs a second copy. Runs in the starting supervisor.

    The name is claimed before ``init`` runs, so a lost race starts nothing.
    """
    try:
        return cls.start_link(*args, name=name, **kwargs)
    except actors.AlreadyStarted:
        return None
