"""The errors the cluster layer raises."""

from __future__ import annotations

from typing import Any

__all__ = ["ClusterError", "ClusterUnavailable", "EncodeError", "NodeNameTaken", "RemoteError"]


class ClusterError(Exception):
    """Base of the cluster layer's errors."""


class NodeNameTaken(ClusterError):
    """Another live node already uses this node name (names are unique)."""

    def __init__(self, node: str, holder: str) -> None:
        super().__init__(node, holder)
        self.node = node
        self.holder = holder

    def __str__(self) -> str:
        return (
            f"node name {self.node!r} is already used by a live node ({self.holder}); "
            "give this ActorSystem another node= name, or wait until that node has "
            "left or missed its heartbeat timeout"
        )


class ClusterUnavailable(ClusterError):
    """Redis could not be reached when the system tried to join the cluster."""


class EncodeError(TypeError):
    """A value cannot cross nodes: it has no form in the cluster's JSON codec.

    Attributes:
        type_name: the qualified name of the offending value's type.
        path: where in the value it was found (``$[1].items[0]``).
    """

    def __init__(self, type_name: str, path: str) -> None:
        super().__init__(type_name, path)
        self.type_name = type_name
        self.path = path

    def __str__(self) -> str:
        return (
            f"cannot send a {self.type_name} to another node (at {self.path}): values "
            "crossing nodes must be None, bool, int, float, str, bytes, list, tuple, "
            "dict, set, datetime, a catalogue message, Ok/Error, an exception or an "
            "actor reference"
        )


class RemoteError(Exception):
    """An exception raised on another node whose class is not a built-in one
    (it is not imported by name from the wire: that would run code chosen by
    the sender).

    Attributes:
        type_name: the qualified name of the original exception class.
        text: ``str()`` of the original exception.
    """

    def __init__(self, type_name: str, text: str) -> None:
        super().__init__(type_name, text)
        self.type_name = type_name
        self.text = text

    def __str__(self) -> str:
        return f"{self.type_name}: {self.text}" if self.text else self.type_name

    def __eq__(self, other: Any) -> bool:
        return (
            isinstance(other, RemoteError)
            and other.type_name == self.type_name
            and other.text == self.text
        )

    def __hash__(self) -> int:
        return hash((self.type_name, self.text))
