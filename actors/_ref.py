"""Refs: the handle ``GenServer.start`` returns.

A :class:`Ref` is a :class:`pykka.ActorRef` (pykka's ``tell`` arrives in
``handle_info``, ``ask`` in ``handle_call``, ``stop`` stops it; a ``proxy``'s
method calls arrive in ``handle_call`` as pykka's ``ProxyCall`` messages,
since a GenServer's interface is its messages) that also knows its process, its
registered name and its actor system. It names one *incarnation*: a restarted
child gets a new ref, so long-lived code addresses supervised actors by name
or by a supervisor's stable handle (``supervision.handle``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import pykka

if TYPE_CHECKING:
    from actors._genserver import GenServer
    from actors._server import ServerProcess
    from actors._system import ActorSystem

__all__ = ["Ref"]

A = TypeVar("A", bound="GenServer")


class Ref(pykka.ActorRef[A]):
    """Reference to a running GenServer, usable wherever a target is accepted."""

    # A slot (pykka's own fields live in the instance dict): reading the
    # process is the first step of every send.
    __slots__ = ("_process",)

    def __init__(self, actor: A, process: ServerProcess) -> None:
        super().__init__(actor)
        self._process = process

    @property
    def name(self) -> Any:
        """The registered name, or ``None``."""
        return self._process.name

    @property
    def id(self) -> str:
        """The actor's URN, unique per incarnation."""
        return self.actor_urn

    @property
    def component(self) -> str:
        """What lifecycle events and trees call this actor's class."""
        return self._process.component

    @property
    def system(self) -> ActorSystem:
        return self._process.system

    @property
    def exit_reason(self) -> Any:
        """Why the actor exited, or ``None`` while it is alive."""
        return self._process.exit_reason

    def is_alive(self) -> bool:
        return self._process.alive

    def message_queue_len(self) -> int:
        """Messages waiting in the mailbox (Erlang's ``message_queue_len``)."""
        return len(self._process.queue)

    def __repr__(self) -> str:
        name = f" {self._process.name!r}" if self._process.name is not None else ""
        return f"<Ref {self.actor_class.__name__}{name} {self.actor_urn}>"

    def __actor_process__(self) -> ServerProcess:
        return self._process
