"""The seam where broadcasts leave the process.

``broadcast`` first hands the message to the adapter for the other nodes,
then delivers locally (Phoenix's order; an adapter error skips the local
delivery). The local adapter has no other nodes; a Redis adapter will
implement the same protocol.
"""

from __future__ import annotations

from typing import Any, Protocol

from actors import Error, Ok

__all__ = ["Adapter", "LocalAdapter"]


class Adapter(Protocol):
    def node_name(self) -> str:
        """This node's name as other nodes know it."""
        ...

    def broadcast(self, instance: str, topic: str, message: Any) -> Ok | Error:
        """Send to every *other* node's subscribers of ``instance``/``topic``."""
        ...

    def direct_broadcast(self, node: str, instance: str, topic: str, message: Any) -> Ok | Error:
        """Send to the subscribers on ``node`` only (which may be this node:
        the caller handles that case locally)."""
        ...


class LocalAdapter:
    """A single node: nothing to forward; unknown nodes are ignored (as Phoenix does)."""

    def __init__(self, node: str) -> None:
        self._node = node

    def node_name(self) -> str:
        return self._node

    def broadcast(self, instance: str, topic: str, message: Any) -> Ok | Error:
        return Ok()

    def direct_broadcast(self, node: str, instance: str, topic: str, message: Any) -> Ok | Error:
        return Ok(delivered=0)
