"""The one exception of the codec."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["MessageFormatError"]


class MessageFormatError(ValueError):
    """A payload could not be encoded or decoded.

    Attributes:
        errors: one readable line per problem, in ``cattrs.transform_error``
            style: ``"required field missing @ $.node"``.
    """

    def __init__(self, message: str, errors: Iterable[str] = ()) -> None:
        self.errors: list[str] = list(errors) or [message]
        super().__init__(message)

    def __str__(self) -> str:
        head = str(self.args[0]) if self.args else "invalid message"
        if self.errors == [head]:
            return head
        return f"{head}: " + "; ".join(self.errors)
