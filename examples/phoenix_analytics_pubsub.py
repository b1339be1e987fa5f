"""A module-level facade like PhoenixAnalytics' ``Services.PubSub``.

    python examples/phoenix_analytics_pubsub.py

That module wraps one Phoenix.PubSub server behind three functions: ``name()``
returns the server's name, ``subscribe()`` subscribes the current process to
the request topic, and ``broadcast(event)`` sends ``{:request_sent, event}``
to every subscriber. The same shape in Python, on an ``actors.pubsub``
instance:
"""

from __future__ import annotations

from typing import Any

import attrs

import actors
from actors import Ok, pubsub
from actors.pubsub import PubSubManager

_NAME = "pa_pubsub"
_TOPIC = "request_sent"


@attrs.frozen
class RequestLog:
    request_id: str
    path: str
    status: int = 200


def name() -> str:
    """The name of the pub/sub instance (PhoenixAnalytics' ``:pa_pubsub``)."""
    return _NAME


def start(system: actors.ActorSystem) -> None:
    """Start the instance (an application would put it in its supervision tree)."""
    PubSubManager.of(system).ensure(_NAME)


def subscribe() -> None:
    """Subscribe the calling actor to the request topic."""
    pubsub.subscribe(_NAME, _TOPIC)


def broadcast(event: RequestLog, system: actors.ActorSystem | None = None) -> Ok | actors.Error:
    """Send ``("request_sent", event)`` to every subscriber; never raises."""
    return pubsub.broadcast(_NAME, _TOPIC, ("request_sent", event), system=system)


# --- using it -------------------------------------------------------------------


class LiveRequests(actors.GenServer):
    """A LiveView-like consumer: keeps the last requests per path."""

    def init(self) -> None:
        subscribe()
        self.by_path: dict[str, int] = {}

    def handle_info(self, message: Any) -> None:
        match message:
            case ("request_sent", RequestLog(path=path)):
                self.by_path[path] = self.by_path.get(path, 0) + 1

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case "counts":
                return dict(self.by_path)
            case _:
                return super().handle_call(request, caller)


def main() -> None:
    with actors.ActorSystem("analytics") as system:
        start(system)
        live = LiveRequests.start(system=system)
        print("pub/sub server:", name())
        for i, path in enumerate(["/api/users", "/api/users", "/health"]):
            print(broadcast(RequestLog(request_id=str(i), path=path), system=system))
        print("requests per path:", actors.call(live, "counts"))


if __name__ == "__main__":
    main()
