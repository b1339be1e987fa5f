"""The signing secret, where it comes from, and how long it must be.

The secret is looked up on every call, so changing it at runtime takes
effect at once: an explicit argument wins, then the actor system's
``config["secret_key_base"]``, then the environment variable
``SECRET_KEY_BASE``. Empty (or absent) means "no secret configured"; a
secret of the wrong type or shorter than :data:`MIN_SECRET_BYTES` is a
misconfiguration and raises, naming where it came from (never its value).

Why 64 bytes: anyone who captures one signed message can try candidate
secrets against it offline, as fast as their hardware computes HMACs; a
short or guessable secret falls. 64 bytes is also what Phoenix requires of
a ``secret_key_base`` (``mix phx.gen.secret`` makes one), so a secret shared
with an Elixir deployment fits as it is, and even a secret written in a
low-entropy alphabet (hex, base64, words) still carries well over the 256
bits HMAC-SHA256 can use. Generate one with
``python -c "import secrets; print(secrets.token_urlsafe(64))"``.

The value is wrapped in a :class:`Secret` whose ``repr`` and ``str`` are
``Secret(***)``, so it never shows up in a log line, a traceback's locals
summary or an error.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Final, NoReturn

if TYPE_CHECKING:
    from actors import ActorSystem

__all__ = ["CONFIG_KEY", "ENV_VAR", "MIN_SECRET_BYTES", "Secret", "resolve_secret"]

CONFIG_KEY: Final = "secret_key_base"
ENV_VAR: Final = "SECRET_KEY_BASE"
MIN_SECRET_BYTES: Final = 64
"""The shortest secret accepted, in bytes (UTF-8 for text); see the module docstring."""

_HOW: Final = 'python -c "import secrets; print(secrets.token_urlsafe(64))"'


def _too_short(size: int, where: str) -> ValueError:
    return ValueError(
        f"{where} is {size} bytes; a signing secret must be at least {MIN_SECRET_BYTES} "
        "bytes (as Phoenix requires of secret_key_base): anyone holding one signed message "
        f"can guess a shorter one offline. Generate one with: {_HOW}"
    )


class Secret:
    """A signing key that does not print itself.

    Args:
        value: the key, as text (UTF-8 encoded) or bytes; at least
            :data:`MIN_SECRET_BYTES` bytes.

    Raises:
        TypeError: for anything but text or bytes.
        ValueError: for an empty or short key (its length is named, never
            its value).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | bytes | bytearray) -> None:
        if isinstance(value, str):
            data = value.encode("utf-8")
        elif isinstance(value, (bytes, bytearray)):
            data = bytes(value)
        else:
            msg = f"a secret must be str or bytes, got {type(value).__name__}"
            raise TypeError(msg)
        if not data:
            msg = "a secret must not be empty"
            raise ValueError(msg)
        if len(data) < MIN_SECRET_BYTES:
            raise _too_short(len(data), "a Secret")
        object.__setattr__(self, "_value", data)

    def reveal(self) -> bytes:
        """The key's bytes, for the HMAC and nothing else."""
        value: bytes = object.__getattribute__(self, "_value")
        return value

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        msg = "Secret is immutable"
        raise AttributeError(msg)

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "Secret(***)"

    def __reduce__(self) -> NoReturn:
        msg = "a Secret cannot be pickled"
        raise TypeError(msg)


def _as_secret(value: Any, where: str) -> Secret | None:
    """``value`` as a :class:`Secret`; ``None`` when it is absent or empty."""
    if value is None or isinstance(value, Secret):
        return value
    if not isinstance(value, (str, bytes, bytearray)):
        msg = f"{where} must be a Secret, str or bytes, got {type(value).__name__}"
        raise TypeError(msg)
    size = len(value.encode("utf-8")) if isinstance(value, str) else len(value)
    if size == 0:
        return None
    if size < MIN_SECRET_BYTES:
        raise _too_short(size, where)
    return Secret(value)


def check_secret(secret: Any) -> None:
    """Raise now if an explicit ``secret=`` argument could never be used.

    Raises:
        TypeError, ValueError: as :func:`resolve_secret`.
    """
    _as_secret(secret, "secret=")


def resolve_secret(
    system: ActorSystem | None, secret: Secret | str | bytes | None = None
) -> Secret | None:
    """The secret to sign or verify with, or ``None`` when none is configured.

    Args:
        system: whose ``config["secret_key_base"]`` to read (skipped if ``None``).
        secret: an explicit secret; when given (not ``None``) it is the only
            source consulted, and an empty one means "no secret".

    Raises:
        TypeError: the secret found is neither text nor bytes.
        ValueError: it is shorter than :data:`MIN_SECRET_BYTES`.
    """
    if secret is not None:
        return _as_secret(secret, "secret=")
    if system is not None:
        found = _as_secret(system.config.get(CONFIG_KEY), f"system.config[{CONFIG_KEY!r}]")
        if found is not None:
            return found
    return _as_secret(os.environ.get(ENV_VAR), f"the {ENV_VAR} environment variable")
