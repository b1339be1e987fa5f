"""The awaitables under anyio (its asyncio backend): task groups and
cancel scopes cancel them as they cancel asyncio tasks."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import actors
from actors import pubsub
from actors.pubsub import PubSubManager


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Holder(actors.GenServer):
    def init(self) -> None:
        self.held: list[actors.Caller] = []

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        if request == "hold":
            self.held.append(caller)
            return actors.NO_REPLY
        return [actors.reply(c, request) for c in self.held]


class Doubler(actors.AsyncGenServer):
    async def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        await anyio.sleep(0)
        return request * 2


@pytest.mark.anyio
async def test_acall_in_a_task_group(actor_system: actors.ActorSystem) -> None:
    ref = Doubler.start(system=actor_system)
    results: dict[int, int] = {}

    async def ask(n: int) -> None:
        results[n] = await actors.acall(ref, n)

    async with anyio.create_task_group() as group:
        for n in range(10):
            group.start_soon(ask, n)
    assert {n: 2 * n for n in range(10)} == results


@pytest.mark.anyio
async def test_a_cancel_scope_withdraws_the_call(actor_system: actors.ActorSystem) -> None:
    ref = Holder.start(system=actor_system)
    with anyio.move_on_after(0.05) as scope:
        await actors.acall(ref, "hold", timeout=None)
    assert scope.cancelled_caught
    assert [False] == await actors.acall(ref, "late reply")


@pytest.mark.anyio
async def test_asubscribe_under_anyio(actor_system: actors.ActorSystem) -> None:
    PubSubManager.of(actor_system).ensure("system")
    async with pubsub.asubscribe("system", "config", system=actor_system) as sub:
        pubsub.broadcast("system", "config", ("changed", 1), system=actor_system)
        with anyio.fail_after(5):
            assert ("changed", 1) == await sub.receive()
