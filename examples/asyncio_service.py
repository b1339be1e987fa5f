"""An asyncio service talking to actors: acall, an AsyncGenServer under a
supervisor, and a pub/sub subscription read with ``async for``.

    python examples/asyncio_service.py
"""

from __future__ import annotations

import asyncio
from typing import Any

import actors
import supervision as sv
from actors import pubsub
from actors.pubsub import PubSubManager


class Inventory(actors.AsyncGenServer):
    """Coroutine callbacks on the system's event loop, one message at a time."""

    async def init(self) -> None:
        self.stock = {"apple": 3}

    async def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("take", item):
                await asyncio.sleep(0.01)  # an await: other coroutines run meanwhile
                if self.stock.get(item, 0) == 0:
                    raise LookupError(f"out of {item}")  # crashes: the supervisor restarts it
                self.stock[item] -= 1
                pubsub.broadcast("shop", "stock", ("stock_changed", item, self.stock[item]))
                return self.stock[item]


async def main(system: actors.ActorSystem) -> None:
    PubSubManager.of(system).ensure("shop")
    sv.Supervisor.start([sv.child_spec("inventory", Inventory, name="inventory")])
    async with pubsub.asubscribe("shop", "stock") as sub:
        for _ in range(4):
            try:
                left = await actors.acall("inventory", ("take", "apple"))
                print(f"took an apple, {left} left")
            except actors.CallError as exc:
                print(
                    f"the call failed: {actors.format_reason(exc.reason)} (restarted, stock reset)"
                )
        for _ in range(3):
            print("subscriber saw", await sub.receive(5))


if __name__ == "__main__":
    with actors.ActorSystem() as system:
        asyncio.run(main(system))
