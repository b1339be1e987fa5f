"""The signing secret, and where it comes from (D11).

The secret is looked up on every call, so changing it at runtime takes
effect at once: an explicit argument wins, then the actor system's
``config["secret_key_base"]``, then the environment variable
``SECRET_KEY_BASE``. Empty strings are not secrets (the original accepted
``""``; an empty HMAC key protects nothing). The value is wrapped in a
:class:`Secret` whose ``repr`` and ``str`` are ``Secret(***)``, so it never
shows up in a log line, a traceback's locals summary or an error.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Final, NoReturn

if TYPE_CHECKING:
    from actors._system import ActorSystem

__all__ = ["CONFIG_KEY", "ENV_VAR", "Secret", "resolve_secret"]

CONFIG_KEY: Final = "secret_key_base"
ENV_VAR: Final = "SECRET_KEY_BASE"


class Secret:
    """A signing key that does not print itself.

    Args:
        value: the key, as text (UTF-8 encoded) or bytes; must not be empty.
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


def _as_secret(value: Any) -> Secret | None:
    if isinstance(value, Secret):
        return value
    if isinstance(value, (str, bytes, bytearray)) and value:
        return Secret(value)
    return None


def resolve_secret(
    system: ActorSystem | None, secret: Secret | str | bytes | None = None
) -> Secret | None:
    """The secret to sign or verify with, or ``None`` when none is configured.

    Args:
        system: whose ``config["secret_key_base"]`` to read (skipped if ``None``).
        secret: an explicit secret; when given (not ``None``) it is the only
            source consulted, and an empty one means "no secret".
    """
    if secret is not None:
        return _as_secret(secret)
    if system is not None:
        found = _as_secret(system.config.get(CONFIG_KEY))
        if found is not None:
            return found
    return _as_secret(os.environ.get(ENV_VAR))
