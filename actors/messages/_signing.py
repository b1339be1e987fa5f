"""Signed envelopes: HMAC-SHA256 over canonical bytes, with a replay window (D11).

:func:`sign` wraps a ``(tag, payload)`` message in a :class:`SecureMessage`
whose signature covers the pub/sub instance, the topic, the tag, the
payload's codec dict, a millisecond UTC timestamp and a random nonce, so a
captured message cannot be re-sent on another topic or instance, after its
age limit, or twice to a receiver that keeps a :class:`NonceCache`.
:func:`validate_secure_message` checks any envelope and answers with the
original's vocabulary: ``("ok", (tag, payload))`` or ``("error", reason)``
with reason ``"invalid_signature"``, ``"no_secret_configured"``,
``"unsecured_message_rejected"``, ``"invalid_format"``, ``"expired"`` or
``"replayed"``. It never raises.

What is signed (``signed_bytes``) is the canonical JSON (see
:func:`~actors.messages.canonical_bytes`) of the object::

    {"instance": ..., "nonce": <32 hex>, "payload": <payload dict>,
     "tag": ..., "timestamp": "YYYY-MM-DDTHH:MM:SS.mmmZ", "topic": ...}

where the payload dict is :func:`~actors.messages.to_dict` of a catalogue
message, or ``{"kind": "json", "value": <JSON value>}`` for any other
JSON-safe payload. :func:`to_wire` is the canonical JSON of the same object
plus ``"envelope": "secure_message"`` and ``"signature": <64 hex>``; a wire
envelope is accepted only in exactly that form.

For code written against the original, the legacy tuple
``("secure_message", signature, (tag, payload))`` is still understood
(:func:`sign_legacy`): its signature covers only the canonical JSON of
``[tag, payload dict]``, so it has no expiry and no replay protection.
``("unsecured_message", (tag, payload))`` is accepted, with a warning, only
when no secret is configured.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias

import attrs

from actors._result import Error, Ok
from actors.messages._base import resolve_system, spec_for
from actors.messages._codec import from_dict, to_dict
from actors.messages._errors import MessageFormatError
from actors.messages._formats import (
    canonical_json,
    format_timestamp,
    json_value,
    loads_strict,
    parse_wire_timestamp,
)
from actors.messages._nonces import NonceCache
from actors.messages._secret import Secret, resolve_secret

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = [
    "MAX_SKEW",
    "MAX_WIRE_BYTES",
    "NoSecretError",
    "SecureMessage",
    "Verdict",
    "seal",
    "sign",
    "sign_legacy",
    "signed_bytes",
    "to_wire",
    "validate_secure_message",
    "verifier",
]

logger = logging.getLogger("actors.messages")

MAX_SKEW: Final = 5.0
"""Seconds a timestamp may lie in the receiver's future before it counts as expired."""

MAX_WIRE_BYTES: Final = 16 * 1024 * 1024
"""Wire envelopes larger than this are refused unread (``"invalid_format"``)."""

SECURE: Final = "secure_message"
UNSECURED: Final = "unsecured_message"
_JSON_KIND: Final = "json"
_WIRE_KEYS: Final = frozenset(
    {"envelope", "instance", "topic", "tag", "payload", "timestamp", "nonce", "signature"}
)
_NONCE: Final = re.compile(r"[0-9a-f]{32}", re.ASCII)
_SIGNATURE_HEX: Final = re.compile(r"[0-9a-f]{64}", re.ASCII)
_SIGNATURE_SIZE: Final = 32

Verdict: TypeAlias = tuple[Literal["ok", "error"], Any]
"""``("ok", (tag, payload))`` or ``("error", reason)``."""


class NoSecretError(ValueError):
    """:func:`sign` was called but no secret is configured."""


@attrs.frozen(kw_only=True)
class SecureMessage:
    """A signed ``(tag, payload)`` message bound to an instance and a topic.

    Attributes:
        instance: the pub/sub instance it was signed for.
        topic: the topic it was signed for.
        tag: the message's tag.
        payload: the message's payload (a catalogue message or JSON data).
        timestamp: when it was signed (UTC, milliseconds).
        nonce: 16 random bytes as 32 lowercase hex chars.
        signature: the 32-byte HMAC-SHA256 of :func:`signed_bytes`.
    """

    instance: str
    topic: str
    tag: str
    payload: Any
    timestamp: datetime
    nonce: str
    signature: bytes = attrs.field(repr=lambda sig: f"<{len(sig)} bytes>")

    @property
    def message(self) -> tuple[str, Any]:
        """The ``(tag, payload)`` tuple that was signed."""
        return (self.tag, self.payload)


# Building blocks ---------------------------------------------------------------


def _nested(value: Any) -> Any:
    if spec_for(value) is not None:
        return to_dict(value)
    text = f"{type(value).__name__} is not a JSON value"
    raise MessageFormatError(text, [f"{text} @ $.payload"])


def _payload_dict(payload: Any) -> dict[str, Any]:
    if spec_for(payload) is not None:
        return to_dict(payload)
    return {"kind": _JSON_KIND, "value": json_value(payload, "$.payload", _nested)}


def _decode_payload(body: Any) -> Any:
    if type(body) is dict and body.get("kind") == _JSON_KIND:
        if set(body) != {"kind", "value"}:
            raise MessageFormatError("invalid json payload", ["extra fields found @ $.payload"])
        return body["value"]
    return from_dict(body)


def _signed_object(
    instance: str, topic: str, tag: str, payload: Any, timestamp: str, nonce: str
) -> dict[str, Any]:
    return {
        "instance": instance,
        "topic": topic,
        "tag": tag,
        "payload": payload,
        "timestamp": timestamp,
        "nonce": nonce,
    }


def signed_bytes(secure: SecureMessage) -> bytes:
    """The canonical bytes ``secure.signature`` is the HMAC of.

    Raises:
        MessageFormatError: if the payload has no canonical form.
    """
    return canonical_json(
        _signed_object(
            secure.instance,
            secure.topic,
            secure.tag,
            _payload_dict(secure.payload),
            format_timestamp(secure.timestamp),
            secure.nonce,
        )
    )


def _mac(key: Secret, data: bytes) -> bytes:
    return hmac.new(key.reveal(), data, hashlib.sha256).digest()


def _split(message: Any) -> tuple[str, Any]:
    if type(message) is not tuple or len(message) != 2 or not isinstance(message[0], str):
        msg = f"a message is a (tag, payload) tuple with a str tag, got {type(message).__name__}"
        raise TypeError(msg)
    return message[0], message[1]


def _no_secret() -> NoSecretError:
    return NoSecretError(
        "no secret configured: pass secret=, set the actor system's "
        "config['secret_key_base'] or the SECRET_KEY_BASE environment variable"
    )


# Signing -----------------------------------------------------------------------


def sign(
    message: tuple[str, Any],
    *,
    instance: str,
    topic: str,
    system: ActorSystem | None = None,
    secret: Secret | str | bytes | None = None,
) -> SecureMessage:
    """Sign ``(tag, payload)`` for ``topic`` on ``instance``.

    The timestamp comes from the system's clock; the secret from ``secret``,
    ``system.config["secret_key_base"]`` or ``SECRET_KEY_BASE``.

    Raises:
        NoSecretError: when no secret is configured.
        TypeError: if ``message`` is not a ``(str, payload)`` tuple or
            ``instance``/``topic`` are not strings.
        MessageFormatError: if the payload is neither a valid catalogue
            message nor JSON-safe data.
    """
    tag, payload = _split(message)
    if not isinstance(instance, str) or not isinstance(topic, str):
        msg = "instance and topic must be strings"
        raise TypeError(msg)
    system = resolve_system(system)
    key = resolve_secret(system, secret)
    if key is None:
        raise _no_secret()
    timestamp = system.timestamp()
    nonce = secrets.token_hex(16)
    data = canonical_json(
        _signed_object(
            instance, topic, tag, _payload_dict(payload), format_timestamp(timestamp), nonce
        )
    )
    return SecureMessage(
        instance=instance,
        topic=topic,
        tag=tag,
        payload=payload,
        timestamp=timestamp,
        nonce=nonce,
        signature=_mac(key, data),
    )


def to_wire(secure: SecureMessage) -> bytes:
    """The envelope as canonical JSON bytes (see the module docstring).

    Raises:
        MessageFormatError: if the payload has no canonical form.
    """
    wire = _signed_object(
        secure.instance,
        secure.topic,
        secure.tag,
        _payload_dict(secure.payload),
        format_timestamp(secure.timestamp),
        secure.nonce,
    )
    wire["envelope"] = SECURE
    wire["signature"] = bytes(secure.signature).hex()
    return canonical_json(wire)


def sign_legacy(
    message: tuple[str, Any],
    *,
    system: ActorSystem | None = None,
    secret: Secret | str | bytes | None = None,
) -> tuple[str, bytes, tuple[str, Any]]:
    """The original's envelope ``("secure_message", signature, (tag, payload))``.

    The signature covers only ``[tag, payload dict]``: prefer :func:`sign`.

    Raises:
        NoSecretError: when no secret is configured.
    """
    tag, payload = _split(message)
    key = resolve_secret(resolve_system(system) if secret is None else None, secret)
    if key is None:
        raise _no_secret()
    signature = _mac(key, canonical_json([tag, _payload_dict(payload)]))
    return (SECURE, signature, (tag, payload))


def seal(
    message: tuple[str, Any],
    *,
    instance: str,
    topic: str,
    system: ActorSystem | None = None,
    secret: Secret | str | bytes | None = None,
) -> SecureMessage | tuple[str, tuple[str, Any]]:
    """What the original's ``secure_broadcast`` sent: a :class:`SecureMessage`
    when a secret is configured, else ``("unsecured_message", message)``
    with a warning logged (on every call, as the original did)."""
    _split(message)
    system = resolve_system(system)
    if resolve_secret(system, secret) is None:
        logger.warning("Broadcasting unsecured message - no SECRET_KEY_BASE configured")
        return (UNSECURED, message)
    return sign(message, instance=instance, topic=topic, system=system, secret=secret)


# Verification ------------------------------------------------------------------


class _Checker:
    """One verification: resolves the system, secret and clock lazily."""

    __slots__ = ("_secret", "_system", "expect_instance", "expect_topic", "max_age", "nonces")

    def __init__(
        self,
        system: ActorSystem | None,
        secret: Secret | str | bytes | None,
        max_age: float | None,
        nonces: NonceCache | None,
        instance: str | None,
        topic: str | None,
    ) -> None:
        self._system = system
        self._secret = secret
        self.max_age = max_age
        self.nonces = nonces
        self.expect_instance = instance
        self.expect_topic = topic

    def system(self) -> ActorSystem:
        if self._system is None:
            self._system = resolve_system(None)
        return self._system

    def key(self) -> Secret | None:
        if self._secret is not None:
            return resolve_secret(None, self._secret)
        return resolve_secret(self.system())

    def expired(self, timestamp: datetime) -> bool:
        """Whether ``timestamp`` is older than ``max_age`` or too far ahead."""
        age = (self.system().clock.now() - timestamp).total_seconds()
        return -age > MAX_SKEW or (self.max_age is not None and age > self.max_age)

    def replayed(self, nonce: str, timestamp: datetime) -> bool:
        """Whether the nonce cache refuses ``nonce`` (remembering it otherwise)."""
        if self.nonces is None:
            return False
        return not self.nonces.remember(nonce, timestamp, self.system().clock.now())

    def signed(
        self, key: Secret, instance: str, topic: str, tag: str, body: Any, ts: str, nonce: str
    ) -> bytes:
        if self.expect_instance is not None:
            instance = self.expect_instance
        if self.expect_topic is not None:
            topic = self.expect_topic
        return _mac(key, canonical_json(_signed_object(instance, topic, tag, body, ts, nonce)))


_INVALID_FORMAT: Final[Verdict] = ("error", "invalid_format")
_INVALID_SIGNATURE: Final[Verdict] = ("error", "invalid_signature")
_NO_SECRET: Final[Verdict] = ("error", "no_secret_configured")
_EXPIRED: Final[Verdict] = ("error", "expired")
_REPLAYED: Final[Verdict] = ("error", "replayed")


def _inner(message: Any) -> tuple[str, Any] | None:
    if type(message) is tuple and len(message) == 2 and type(message[0]) is str:
        return message
    return None


def _is_signature(value: Any) -> bool:
    return type(value) in (bytes, bytearray) and len(value) == _SIGNATURE_SIZE


def _check_object(secure: SecureMessage, c: _Checker) -> Verdict:
    key = c.key()
    if key is None:
        return _NO_SECRET
    ts = secure.timestamp
    if not (
        type(secure.instance) is str
        and type(secure.topic) is str
        and type(secure.tag) is str
        and type(secure.nonce) is str
        and _NONCE.fullmatch(secure.nonce)
        and isinstance(ts, datetime)
        and ts.tzinfo is not None
        and ts.utcoffset() is not None
    ):
        return _INVALID_FORMAT
    if not _is_signature(secure.signature):
        return _INVALID_SIGNATURE
    try:
        body = _payload_dict(secure.payload)
    except MessageFormatError:
        return _INVALID_FORMAT
    text = format_timestamp(ts)
    expected = c.signed(key, secure.instance, secure.topic, secure.tag, body, text, secure.nonce)
    if not hmac.compare_digest(expected, bytes(secure.signature)):
        return _INVALID_SIGNATURE
    signed_at = parse_wire_timestamp(text)
    if signed_at is None:  # a year outside 1..9999 after conversion to UTC
        return _INVALID_FORMAT
    if c.expired(signed_at):
        return _EXPIRED
    if c.replayed(secure.nonce, signed_at):
        return _REPLAYED
    return ("ok", (secure.tag, secure.payload))


def _check_wire(data: bytes, c: _Checker) -> Verdict:
    if len(data) > MAX_WIRE_BYTES:
        return _INVALID_FORMAT
    try:
        obj = loads_strict(data)
    except (ValueError, TypeError, RecursionError):
        return _INVALID_FORMAT
    if type(obj) is not dict or obj.keys() != _WIRE_KEYS or obj["envelope"] != SECURE:
        return _INVALID_FORMAT
    instance, topic, tag = obj["instance"], obj["topic"], obj["tag"]
    nonce, signature = obj["nonce"], obj["signature"]
    timestamp = parse_wire_timestamp(obj["timestamp"])
    if not (
        type(instance) is str
        and type(topic) is str
        and type(tag) is str
        and type(nonce) is str
        and _NONCE.fullmatch(nonce)
        and type(signature) is str
        and _SIGNATURE_HEX.fullmatch(signature)
        and timestamp is not None
        and type(obj["payload"]) is dict
    ):
        return _INVALID_FORMAT
    if canonical_json(obj) != data:
        return _INVALID_FORMAT
    key = c.key()
    if key is None:
        return _NO_SECRET
    expected = c.signed(key, instance, topic, tag, obj["payload"], obj["timestamp"], nonce)
    if not hmac.compare_digest(expected, bytes.fromhex(signature)):
        return _INVALID_SIGNATURE
    if c.expired(timestamp):
        return _EXPIRED
    try:
        payload = _decode_payload(obj["payload"])
    except MessageFormatError:
        return _INVALID_FORMAT
    if c.replayed(nonce, timestamp):
        return _REPLAYED
    return ("ok", (tag, payload))


def _check_legacy(raw: tuple[Any, ...], c: _Checker) -> Verdict:
    key = c.key()
    if key is None:
        return _NO_SECRET
    inner = _inner(raw[2])
    if inner is None:
        return _INVALID_FORMAT
    if not _is_signature(raw[1]):
        return _INVALID_SIGNATURE
    try:
        body = _payload_dict(inner[1])
    except MessageFormatError:
        return _INVALID_FORMAT
    expected = _mac(key, canonical_json([inner[0], body]))
    if not hmac.compare_digest(expected, bytes(raw[1])):
        return _INVALID_SIGNATURE
    return ("ok", inner)


def _check_unsecured(raw: tuple[Any, ...], c: _Checker) -> Verdict:
    if c.key() is not None:
        return ("error", "unsecured_message_rejected")
    inner = _inner(raw[1])
    if inner is None:
        return _INVALID_FORMAT
    logger.warning("Accepting unsecured message - no SECRET_KEY_BASE configured (tag %r)", inner[0])
    return ("ok", inner)


def validate_secure_message(
    raw: Any,
    *,
    max_age: float | None = 300.0,
    system: ActorSystem | None = None,
    secret: Secret | str | bytes | None = None,
    nonce_cache: NonceCache | None = None,
    instance: str | None = None,
    topic: str | None = None,
) -> Verdict:
    """Check an envelope and return its message, or why it was refused.

    Args:
        raw: a :class:`SecureMessage`, its :func:`to_wire` bytes, a legacy
            ``("secure_message", signature, (tag, payload))`` tuple or an
            ``("unsecured_message", (tag, payload))`` tuple.
        max_age: seconds a signed message stays valid (``None``: forever).
            Timestamps more than :data:`MAX_SKEW` seconds in the future are
            expired too. Legacy tuples carry no timestamp and never expire.
        system: whose clock, config secret and (for ``None``) which system
            to use: the calling actor's, else the default one.
        secret: verify with this secret instead of looking one up.
        nonce_cache: this receiver's memory of accepted nonces; without
            one, replays are not detected.
        instance: if given, the message must have been signed for this
            instance (else ``"invalid_signature"``).
        topic: if given, the message must have been signed for this topic.

    Returns:
        ``("ok", (tag, payload))`` or ``("error", reason)``, reason being
        ``"invalid_signature"``, ``"no_secret_configured"``,
        ``"unsecured_message_rejected"``, ``"invalid_format"``,
        ``"expired"`` or ``"replayed"``. Never raises.
    """
    c = _Checker(system, secret, max_age, nonce_cache, instance, topic)
    try:
        if isinstance(raw, SecureMessage):
            return _check_object(raw, c)
        if isinstance(raw, (bytes, bytearray, memoryview)):
            return _check_wire(bytes(raw), c)
        if type(raw) is tuple and raw and type(raw[0]) is str:
            if len(raw) == 3 and raw[0] == SECURE:
                return _check_legacy(raw, c)
            if len(raw) == 2 and raw[0] == UNSECURED:
                return _check_unsecured(raw, c)
    except Exception as exc:  # the contract: report, never raise
        logger.debug("validate_secure_message refused %s", type(exc).__name__)
    return _INVALID_FORMAT


def verifier(
    *,
    instance: str | None = None,
    topic: str | None = None,
    max_age: float | None = 300.0,
    system: ActorSystem | None = None,
    secret: Secret | str | bytes | None = None,
    nonce_cache: NonceCache | None = None,
) -> Callable[[Any], Ok | Error]:
    """:func:`validate_secure_message` as a function returning ``Ok``/``Error``.

    For a single receiver of outside traffic, such as a pub/sub instance
    that verifies messages before fanning them out locally: it gets its own
    :class:`NonceCache` (window ``max_age``, or 300 s) unless one is given,
    so replays are refused by default.

    Returns:
        A function of ``raw`` giving ``Ok((tag, payload))`` or ``Error(reason)``.
    """
    cache = nonce_cache
    if cache is None:
        cache = NonceCache(window=300.0 if max_age is None else max(max_age, 1e-3))

    def verify(raw: Any) -> Ok | Error:
        status, detail = validate_secure_message(
            raw,
            max_age=max_age,
            system=system,
            secret=secret,
            nonce_cache=cache,
            instance=instance,
            topic=topic,
        )
        return Ok(detail) if status == "ok" else Error(detail)

    return verify
