"""The validator: check a message's fields and report, never raise.

Checks run in this order and the first failing one is reported:

1. required fields (see each class's ``required`` in its spec; ``timestamp``
   is always required) that are ``None``: ``Error("missing_fields", fields=[...])``;
2. node fields (``node``, ``originating_node``, ``reporting_node``) that are
   set but are not strings: ``Error("invalid_node_fields", fields=[...])``;
3. ``timestamp`` not a timezone-aware UTC datetime:
   ``Error("invalid_timestamp", detail="not_datetime" | "naive" | "not_utc")``;
4. any field whose value does not match its declared type (the field kinds
   of :mod:`actors.messages._kinds`): ``Error("invalid_types", fields={name:
   expected})``. Float fields accept ints but not NaN or infinities, map
   fields must hold JSON values with string keys, list fields must be
   tuples, other datetimes must be UTC too.

A valid message gives ``Ok(message)``.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any, Final, TypeAlias

import attrs

from actors import Error, Ok
from actors.messages._base import spec_for
from actors.messages._formats import is_utc
from actors.messages._kinds import Check, checker

__all__ = ["NODE_FIELDS", "field_types", "validate"]

NODE_FIELDS: Final = ("node", "originating_node", "reporting_node")

_Plan: TypeAlias = tuple[tuple[str, Check, str], ...]
_plans: dict[type[Any], tuple[_Plan, tuple[str, ...]]] = {}
_plans_lock = threading.Lock()


def _plan(cls: type[Any]) -> tuple[_Plan, tuple[str, ...]]:
    """The type checks of ``cls``'s fields (but ``timestamp``), and its node fields."""
    plan = _plans.get(cls)
    if plan is None:
        with _plans_lock:
            attrs.resolve_types(cls)
            names = [a.name for a in attrs.fields(cls)]
            checks = tuple(
                (a.name, *checker(a.type)) for a in attrs.fields(cls) if a.name != "timestamp"
            )
            plan = (checks, tuple(n for n in NODE_FIELDS if n in names))
            _plans[cls] = plan
    return plan


def field_types(cls: type[Any]) -> dict[str, str]:
    """The expected type of each field of a catalogue class, as text."""
    return {name: expected for name, _, expected in _plan(cls)[0]} | {"timestamp": "datetime (UTC)"}


def validate(message: Any) -> Ok | Error:
    """Check any catalogue message; see the module docstring for the rules.

    Returns:
        ``Ok(message)``, or the first ``Error`` found. A value that is not a
        catalogue message gives ``Error("unknown_message", type=<class name>)``.
    """
    spec = spec_for(message)
    if spec is None:
        return Error("unknown_message", type=type(message).__name__)
    checks, node_fields = _plan(spec.cls)
    missing = [name for name in spec.required if getattr(message, name) is None]
    if missing:
        return Error("missing_fields", fields=missing)
    bad_nodes = [
        name for name in node_fields if not isinstance(getattr(message, name), (str, type(None)))
    ]
    if bad_nodes:
        return Error("invalid_node_fields", fields=bad_nodes)
    timestamp = message.timestamp
    if not isinstance(timestamp, datetime):
        return Error("invalid_timestamp", detail="not_datetime")
    if timestamp.tzinfo is None or timestamp.utcoffset() is None:
        return Error("invalid_timestamp", detail="naive")
    if not is_utc(timestamp):
        return Error("invalid_timestamp", detail="not_utc")
    wrong = {
        name: expected for name, check, expected in checks if not check(getattr(message, name))
    }
    if wrong:
        return Error("invalid_types", fields=wrong)
    return Ok(message)
