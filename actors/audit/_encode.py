"""The auditor's default payload encoder: objects to bounded, JSON-safe dicts.

Pluggable: an :class:`~actors.audit.Auditor` takes ``encode=``, so the
project's cattrs codec can replace this one without touching the auditor
(whatever an encoder returns is bounded again before it is stored).
"""

from __future__ import annotations

from typing import Any

from actors.audit._sanitize import bounded_payload

__all__ = ["encode_payload"]


def encode_payload(payload: Any) -> dict[str, Any]:
    """A JSON-safe dict for ``payload``; never raises.

    An attrs instance becomes a dict of its fields (recursively), a mapping
    a dict with string keys; anything else is wrapped as ``{"value": ...}``.
    Datetimes, dates and times become ISO-8601 strings, timedeltas seconds,
    enums their value, sets sorted lists, bytes base64 text, and anything
    unknown its short ``repr``. At most 64 levels deep and about 64 Ki
    characters of JSON: a payload that had to be cut says so under
    ``"$truncated"`` (see :func:`actors.audit.bounded_payload`).
    """
    return bounded_payload(payload)[0]
