"""The pieces every envelope format shares: payload encoding, the HMAC, verdicts."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Final, Literal, TypeAlias

from actors.messages._base import spec_for
from actors.messages._codec import from_dict, to_dict
from actors.messages._errors import MessageFormatError
from actors.messages._formats import json_value
from actors.messages._secret import Secret

__all__ = [
    "EXPIRED",
    "INVALID_FORMAT",
    "INVALID_SIGNATURE",
    "NO_SECRET",
    "REPLAYED",
    "SECURE",
    "UNSECURED",
    "NoSecretError",
    "Verdict",
    "decode_payload",
    "inner",
    "is_signature",
    "mac",
    "no_secret",
    "payload_dict",
    "split",
]

SECURE: Final = "secure_message"
UNSECURED: Final = "unsecured_message"
_JSON_KIND: Final = "json"
_SIGNATURE_SIZE: Final = 32

Verdict: TypeAlias = tuple[Literal["ok", "error"], Any]
"""``("ok", (tag, payload))`` or ``("error", reason)``."""

INVALID_FORMAT: Final[Verdict] = ("error", "invalid_format")
INVALID_SIGNATURE: Final[Verdict] = ("error", "invalid_signature")
NO_SECRET: Final[Verdict] = ("error", "no_secret_configured")
EXPIRED: Final[Verdict] = ("error", "expired")
REPLAYED: Final[Verdict] = ("error", "replayed")


class NoSecretError(ValueError):
    """:func:`~actors.messages.sign` was called but no secret is configured."""


def no_secret() -> NoSecretError:
    return NoSecretError(
        "no secret configured: pass secret=, set the actor system's "
        "config['secret_key_base'] or the SECRET_KEY_BASE environment variable"
    )


def _nested(value: Any) -> Any:
    if spec_for(value) is not None:
        return to_dict(value)
    text = f"{type(value).__name__} is not a JSON value"
    raise MessageFormatError(text, [f"{text} @ $.payload"])


def payload_dict(payload: Any) -> dict[str, Any]:
    """What is signed of a payload: a catalogue message's codec dict, or
    ``{"kind": "json", "value": <JSON value>}``.

    Raises:
        MessageFormatError: if the payload has no canonical form (too deep,
            containing itself, or of a type that is not JSON).
    """
    if spec_for(payload) is not None:
        return to_dict(payload)
    return {"kind": _JSON_KIND, "value": json_value(payload, "$.payload", _nested)}


def decode_payload(body: Any) -> Any:
    """The payload :func:`payload_dict` made ``body`` of."""
    if type(body) is dict and body.get("kind") == _JSON_KIND:
        if set(body) != {"kind", "value"}:
            raise MessageFormatError("invalid json payload", ["extra fields found @ $.payload"])
        return body["value"]
    return from_dict(body)


def mac(key: Secret, data: bytes) -> bytes:
    """HMAC-SHA256 of ``data`` (32 raw bytes)."""
    return hmac.new(key.reveal(), data, hashlib.sha256).digest()


def split(message: Any) -> tuple[str, Any]:
    """``(tag, payload)`` of a message to sign.

    Raises:
        TypeError: if ``message`` is not a ``(str, payload)`` tuple.
    """
    if type(message) is not tuple or len(message) != 2 or not isinstance(message[0], str):
        msg = f"a message is a (tag, payload) tuple with a str tag, got {type(message).__name__}"
        raise TypeError(msg)
    return message[0], message[1]


def inner(message: Any) -> tuple[str, Any] | None:
    """``message`` if it is a received ``(str, payload)`` tuple, else ``None``."""
    if type(message) is tuple and len(message) == 2 and type(message[0]) is str:
        return message
    return None


def is_signature(value: Any) -> bool:
    """Whether ``value`` could be an HMAC-SHA256 (32 raw bytes)."""
    return type(value) in (bytes, bytearray) and len(value) == _SIGNATURE_SIZE
