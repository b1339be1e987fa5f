"""Signed envelopes: HMAC-SHA256 over canonical bytes, with a replay window.

:func:`sign` wraps a ``(tag, payload)`` message in a :class:`SecureMessage`
whose signature covers the pub/sub instance, the topic, the tag, the
payload's codec dict, a millisecond UTC timestamp and a random nonce, so a
captured message cannot be re-sent on another topic or instance (to a
receiver that names them), after its age limit, or twice to the same
receiver (each has a :class:`NonceCache`; :meth:`NonceCache.of` by default).
:func:`validate_secure_message` checks any envelope and answers with the
original's vocabulary: ``("ok", (tag, payload))`` or ``("error", reason)``
with reason ``"invalid_signature"``, ``"no_secret_configured"``,
``"unsecured_message_rejected"``, ``"invalid_format"``, ``"expired"`` or
``"replayed"``. Whatever it is given to check, it never raises; a
misconfiguration of the verifier itself (a ``max_age`` that is not a
positive number, a secret that is too short...) raises ``TypeError`` or
``ValueError`` at once.

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
(:func:`actors.messages.compat.sign_legacy` makes one): its signature
covers only the canonical JSON of ``[tag, payload dict]``, so it has no
expiry and no replay protection.
``("unsecured_message", (tag, payload))`` is accepted, with a warning, only
when no secret is configured.
"""

from __future__ import annotations

import hmac
import logging
import math
import re
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

import attrs

from actors import ActorSystem, Error, Ok
from actors.lowlevel import resolve_system
from actors.messages._envelope import (
    EXPIRED,
    INVALID_FORMAT,
    INVALID_SIGNATURE,
    NO_SECRET,
    REPLAYED,
    SECURE,
    UNSECURED,
    NoSecretError,
    Verdict,
    decode_payload,
    inner,
    is_signature,
    mac,
    no_secret,
    payload_dict,
    split,
)
from actors.messages._errors import MessageFormatError
from actors.messages._formats import (
    canonical_json,
    format_timestamp,
    loads_strict,
    parse_wire_timestamp,
)
from actors.messages._legacy import check_legacy
from actors.messages._nonces import DEFAULT_WINDOW, NonceCache
from actors.messages._secret import Secret, check_secret, resolve_secret

__all__ = [
    "MAX_SKEW",
    "MAX_WIRE_BYTES",
    "NoSecretError",
    "SecureMessage",
    "Verdict",
    "seal",
    "sign",
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

_WIRE_KEYS: Final = frozenset(
    {"envelope", "instance", "topic", "tag", "payload", "timestamp", "nonce", "signature"}
)
_NONCE: Final = re.compile(r"[0-9a-f]{32}", re.ASCII)
_SIGNATURE_HEX: Final = re.compile(r"[0-9a-f]{64}", re.ASCII)


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


def _secure(value: Any, what: str) -> SecureMessage:
    if not isinstance(value, SecureMessage):
        msg = f"{what} needs a SecureMessage (from sign()), got {type(value).__name__}"
        raise TypeError(msg)
    return value


def _unsigned(secure: SecureMessage) -> dict[str, Any]:
    return _signed_object(
        secure.instance,
        secure.topic,
        secure.tag,
        payload_dict(secure.payload),
        format_timestamp(secure.timestamp),
        secure.nonce,
    )


def signed_bytes(secure: SecureMessage) -> bytes:
    """The canonical bytes ``secure.signature`` is the HMAC of.

    Raises:
        TypeError: if ``secure`` is not a :class:`SecureMessage`.
        MessageFormatError: if the payload has no canonical form.
    """
    return canonical_json(_unsigned(_secure(secure, "signed_bytes()")))


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        msg = f"{what} must be a str, got {type(value).__name__}"
        raise TypeError(msg)
    return value


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
        TypeError: if ``message`` is not a ``(str, payload)`` tuple,
            ``instance``/``topic`` are not strings, or the secret is not
            text or bytes.
        ValueError: if the secret is shorter than 64 bytes.
        MessageFormatError: if the payload is neither a valid catalogue
            message nor JSON-safe data (nested at most 100 deep).
    """
    tag, payload = split(message)
    _text(instance, "instance")
    _text(topic, "topic")
    system = resolve_system(system)
    key = resolve_secret(system, secret)
    if key is None:
        raise no_secret()
    timestamp = system.timestamp()
    nonce = secrets.token_hex(16)
    data = canonical_json(
        _signed_object(
            instance, topic, tag, payload_dict(payload), format_timestamp(timestamp), nonce
        )
    )
    return SecureMessage(
        instance=instance,
        topic=topic,
        tag=tag,
        payload=payload,
        timestamp=timestamp,
        nonce=nonce,
        signature=mac(key, data),
    )


def to_wire(secure: SecureMessage) -> bytes:
    """The envelope as canonical JSON bytes (see the module docstring).

    Raises:
        TypeError: if ``secure`` is not a :class:`SecureMessage`.
        MessageFormatError: if the payload has no canonical form.
    """
    wire = _unsigned(_secure(secure, "to_wire()"))
    wire["envelope"] = SECURE
    wire["signature"] = bytes(secure.signature).hex()
    return canonical_json(wire)


def seal(
    message: tuple[str, Any],
    *,
    system: ActorSystem | None = None,
    secret: Secret | str | bytes | None = None,
    instance: str,
    topic: str,
) -> SecureMessage | tuple[str, tuple[str, Any]]:
    """What the original's ``secure_broadcast`` sent: a :class:`SecureMessage`
    when a secret is configured, else ``("unsecured_message", message)``
    with a warning logged (on every call, as the original did).

    Raises:
        TypeError, ValueError, MessageFormatError: as :func:`sign`.
    """
    split(message)
    system = resolve_system(system)
    if resolve_secret(system, secret) is None:
        logger.warning("Broadcasting unsecured message - no SECRET_KEY_BASE configured")
        return (UNSECURED, message)
    return sign(message, instance=instance, topic=topic, system=system, secret=secret)


# Verification ------------------------------------------------------------------


def _check_options(
    max_age: Any, system: Any, secret: Any, nonce_cache: Any, instance: Any, topic: Any
) -> None:
    """Raise for a verifier configured in a way that cannot work."""
    if max_age is not None:
        if isinstance(max_age, bool) or not isinstance(max_age, (int, float)):
            msg = (
                "max_age must be a number of seconds (or None: no expiry), "
                f"got {type(max_age).__name__} {max_age!r}"
            )
            raise TypeError(msg)
        if not (max_age > 0 and math.isfinite(max_age)):
            msg = f"max_age must be positive and finite (or None: no expiry), got {max_age!r}"
            raise ValueError(msg)
    if system is not None and not isinstance(system, ActorSystem):
        msg = f"system must be an ActorSystem or None, got {type(system).__name__}"
        raise TypeError(msg)
    check_secret(secret)
    if nonce_cache is not None:
        if not isinstance(nonce_cache, NonceCache):
            msg = f"nonce_cache must be a NonceCache or None, got {type(nonce_cache).__name__}"
            raise TypeError(msg)
        if max_age is not None and nonce_cache.window < max_age:
            msg = (
                f"nonce_cache.window ({nonce_cache.window:g} s) is shorter than max_age "
                f"({max_age:g} s): the cache would refuse genuine messages older than its "
                "window as replays; give it a window of at least max_age"
            )
            raise ValueError(msg)
    for name, value in (("instance", instance), ("topic", topic)):
        if value is not None:
            _text(value, name)


@attrs.frozen
class _Checker:
    """One verification's settings, resolved (and checked) before any input is read."""

    system: ActorSystem
    key: Secret | None
    max_age: float | None
    nonces: NonceCache | None
    expect_instance: str | None
    expect_topic: str | None

    def expired(self, timestamp: datetime) -> bool:
        """Whether ``timestamp`` is older than ``max_age`` or too far ahead."""
        age = (self.system.clock.now() - timestamp).total_seconds()
        return -age > MAX_SKEW or (self.max_age is not None and age > self.max_age)

    def replayed(self, nonce: str, timestamp: datetime) -> bool:
        """Whether the nonce cache refuses ``nonce`` (remembering it otherwise)."""
        if self.nonces is None:
            return False
        return not self.nonces.remember(nonce, timestamp, self.system.clock.now())

    def signed(
        self, key: Secret, instance: str, topic: str, tag: str, body: Any, ts: str, nonce: str
    ) -> bytes:
        if self.expect_instance is not None:
            instance = self.expect_instance
        if self.expect_topic is not None:
            topic = self.expect_topic
        return mac(key, canonical_json(_signed_object(instance, topic, tag, body, ts, nonce)))


def _checker(
    max_age: float | None,
    system: ActorSystem | None,
    secret: Secret | str | bytes | None,
    nonce_cache: NonceCache | None,
    instance: str | None,
    topic: str | None,
) -> _Checker:
    _check_options(max_age, system, secret, nonce_cache, instance, topic)
    resolved = resolve_system(system)
    key = resolve_secret(None, secret) if secret is not None else resolve_secret(resolved)
    nonces = nonce_cache
    if nonces is None and max_age is not None:
        nonces = NonceCache.of(resolved, window=max_age)
    return _Checker(resolved, key, max_age, nonces, instance, topic)


def _check_object(secure: SecureMessage, c: _Checker) -> Verdict:
    key = c.key
    if key is None:
        return NO_SECRET
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
        return INVALID_FORMAT
    if not is_signature(secure.signature):
        return INVALID_SIGNATURE
    try:
        body = payload_dict(secure.payload)
    except MessageFormatError:
        return INVALID_FORMAT
    text = format_timestamp(ts)
    expected = c.signed(key, secure.instance, secure.topic, secure.tag, body, text, secure.nonce)
    if not hmac.compare_digest(expected, bytes(secure.signature)):
        return INVALID_SIGNATURE
    signed_at = parse_wire_timestamp(text)
    if signed_at is None:  # a year outside 1..9999 after conversion to UTC
        return INVALID_FORMAT
    if c.expired(signed_at):
        return EXPIRED
    if c.replayed(secure.nonce, signed_at):
        return REPLAYED
    return ("ok", (secure.tag, secure.payload))


def _check_wire(data: bytes, c: _Checker) -> Verdict:
    if len(data) > MAX_WIRE_BYTES:
        return INVALID_FORMAT
    try:
        obj = loads_strict(data)
    except (ValueError, TypeError, RecursionError):
        return INVALID_FORMAT
    if type(obj) is not dict or obj.keys() != _WIRE_KEYS or obj["envelope"] != SECURE:
        return INVALID_FORMAT
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
        return INVALID_FORMAT
    if canonical_json(obj) != data:
        return INVALID_FORMAT
    key = c.key
    if key is None:
        return NO_SECRET
    expected = c.signed(key, instance, topic, tag, obj["payload"], obj["timestamp"], nonce)
    if not hmac.compare_digest(expected, bytes.fromhex(signature)):
        return INVALID_SIGNATURE
    if c.expired(timestamp):
        return EXPIRED
    try:
        payload = decode_payload(obj["payload"])
    except MessageFormatError:
        return INVALID_FORMAT
    if c.replayed(nonce, timestamp):
        return REPLAYED
    return ("ok", (tag, payload))


def _check_unsecured(raw: tuple[Any, ...], c: _Checker) -> Verdict:
    if c.key is not None:
        return ("error", "unsecured_message_rejected")
    message = inner(raw[1])
    if message is None:
        return INVALID_FORMAT
    logger.warning(
        "Accepting unsecured message - no SECRET_KEY_BASE configured (tag %r)", message[0]
    )
    return ("ok", message)


def validate_secure_message(
    raw: Any,
    *,
    max_age: float | None = DEFAULT_WINDOW,
    system: ActorSystem | None = None,
    secret: Secret | str | bytes | None = None,
    nonce_cache: NonceCache | None = None,
    instance: str | None = None,
    topic: str | None = None,
) -> Verdict:
    """Check an envelope and return its message, or why it was refused.

    Runs in the caller's thread; the default nonce cache is the calling
    actor's (see :meth:`NonceCache.of`).

    Args:
        raw: a :class:`SecureMessage`, its :func:`to_wire` bytes, a legacy
            ``("secure_message", signature, (tag, payload))`` tuple or an
            ``("unsecured_message", (tag, payload))`` tuple.
        max_age: seconds a signed message stays valid (``None``: forever,
            which also turns the default replay check off). Timestamps more
            than :data:`MAX_SKEW` seconds in the future are expired too.
            Legacy tuples carry no timestamp and never expire.
        system: whose clock, config secret and default nonce cache to use
            (``None``: the calling actor's system, else the current one).
        secret: verify with this secret instead of looking one up.
        nonce_cache: this receiver's memory of accepted nonces; by default
            :meth:`NonceCache.of` ``(system, window=max_age)``: the calling
            actor's own (or the one of code outside actors), so a message
            is accepted once per receiver. Its window must be at least
            ``max_age``.
        instance: if given, the message must have been signed for this
            instance (else ``"invalid_signature"``); by default any.
        topic: if given, the message must have been signed for this topic;
            by default any.

    Returns:
        ``("ok", (tag, payload))`` or ``("error", reason)``, reason being
        ``"invalid_signature"``, ``"no_secret_configured"``,
        ``"unsecured_message_rejected"``, ``"invalid_format"``,
        ``"expired"`` or ``"replayed"``. Whatever ``raw`` is, never raises.

    Raises:
        TypeError, ValueError: the verifier itself is misconfigured: an
            option of the wrong type or out of range, or a secret (given or
            configured) that is not text or bytes or shorter than 64 bytes.
    """
    c = _checker(max_age, system, secret, nonce_cache, instance, topic)
    try:
        if isinstance(raw, SecureMessage):
            return _check_object(raw, c)
        if isinstance(raw, (bytes, bytearray, memoryview)):
            return _check_wire(bytes(raw), c)
        if type(raw) is tuple and raw and type(raw[0]) is str:
            if len(raw) == 3 and raw[0] == SECURE:
                return NO_SECRET if c.key is None else check_legacy(raw, c.key)
            if len(raw) == 2 and raw[0] == UNSECURED:
                return _check_unsecured(raw, c)
    except Exception as exc:  # the contract: report, never raise
        logger.debug("validate_secure_message refused %s", type(exc).__name__)
    return INVALID_FORMAT


def verifier(
    *,
    instance: str | None = None,
    topic: str | None = None,
    max_age: float | None = DEFAULT_WINDOW,
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

    Raises:
        TypeError, ValueError: as :func:`validate_secure_message`, at once.
    """
    _check_options(max_age, system, secret, nonce_cache, instance, topic)
    cache = nonce_cache
    if cache is None:
        cache = NonceCache(window=DEFAULT_WINDOW if max_age is None else max_age)

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
