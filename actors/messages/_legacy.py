"""The original's envelope: ``("secure_message", signature, (tag, payload))``.

Its signature covers only the canonical JSON of ``[tag, payload dict]``: no
instance, topic, timestamp or nonce, so it never expires and cannot be told
from a replay. :func:`~actors.messages.validate_secure_message` still
understands it, for code written against the original; new code signs with
:func:`~actors.messages.sign`.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from actors.lowlevel import resolve_system
from actors.messages import _envelope as envelope
from actors.messages._errors import MessageFormatError
from actors.messages._formats import canonical_json
from actors.messages._secret import Secret, resolve_secret

if TYPE_CHECKING:
    from actors import ActorSystem

__all__ = ["check_legacy", "sign_legacy"]


def sign_legacy(
    message: tuple[str, Any],
    *,
    system: ActorSystem | None = None,
    secret: Secret | str | bytes | None = None,
) -> tuple[str, bytes, tuple[str, Any]]:
    """The original's envelope ``("secure_message", signature, (tag, payload))``.

    The signature covers only ``[tag, payload dict]``: prefer
    :func:`~actors.messages.sign`.

    Raises:
        NoSecretError: when no secret is configured.
        TypeError, ValueError: for a secret of the wrong type or length.
    """
    tag, payload = envelope.split(message)
    key = resolve_secret(resolve_system(system) if secret is None else None, secret)
    if key is None:
        raise envelope.no_secret()
    signature = envelope.mac(key, canonical_json([tag, envelope.payload_dict(payload)]))
    return (envelope.SECURE, signature, (tag, payload))


def check_legacy(raw: tuple[Any, ...], key: Secret) -> envelope.Verdict:
    """The verdict on a legacy tuple ``raw`` (of length 3, tagged ``"secure_message"``)."""
    message = envelope.inner(raw[2])
    if message is None:
        return envelope.INVALID_FORMAT
    if not envelope.is_signature(raw[1]):
        return envelope.INVALID_SIGNATURE
    try:
        body = envelope.payload_dict(message[1])
    except MessageFormatError:
        return envelope.INVALID_FORMAT
    expected = envelope.mac(key, canonical_json([message[0], body]))
    if not hmac.compare_digest(expected, bytes(raw[1])):
        return envelope.INVALID_SIGNATURE
    return ("ok", message)
