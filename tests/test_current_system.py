"""One resolver for "which system": explicit, calling actor, ``with`` block, default."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any

import pytest

import actors
from actors.lowlevel import resolve_system


class Echo(actors.GenServer):
    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("system",):
                return actors.current_system().name
            case ("whereis", name):
                return actors.whereis(name)
        return super().handle_call(request, caller)


def test_a_name_is_found_in_the_with_block_system_without_passing_it() -> None:
    # Before the current system existed this call went to the default
    # system and raised CallError("noproc").
    with actors.ActorSystem(name="scoped") as system:
        ref = Echo.start(name="echo")

        assert system is ref.system
        assert "scoped" == actors.call("echo", ("system",))
        assert ref == actors.whereis("echo")


def test_the_innermost_block_wins_and_the_outer_one_comes_back() -> None:
    with actors.ActorSystem(name="outer") as outer:
        assert outer is actors.current_system()
        with actors.ActorSystem(name="inner") as inner:
            assert inner is actors.current_system()
        assert outer is actors.current_system()
    assert actors.default_system() is actors.current_system()


def test_an_actor_callback_sees_its_own_system_not_the_block_s() -> None:
    with actors.ActorSystem(name="home") as home, actors.ActorSystem(name="away"):
        ref = Echo.start(system=home)

        assert "home" == actors.call(ref, ("system",))


def test_a_plain_thread_does_not_inherit_the_block_but_a_copied_context_does() -> None:
    seen: dict[str, str] = {}

    def record(key: str) -> None:
        seen[key] = actors.current_system().name

    with actors.ActorSystem(name="block"):
        plain = threading.Thread(target=record, args=("plain",))
        copied = threading.Thread(target=contextvars.copy_context().run, args=(record, "copied"))
        plain.start()
        copied.start()
        plain.join()
        copied.join()

    assert {"plain": "default", "copied": "block"} == seen


def test_an_asyncio_task_created_in_the_block_sees_it() -> None:
    async def name_in_task() -> str:
        return actors.current_system().name

    with actors.ActorSystem(name="tasks"):
        assert "tasks" == asyncio.run(name_in_task())


def test_a_failed_lookup_says_which_system_it_searched(actor_system: actors.ActorSystem) -> None:
    with pytest.raises(actors.CallError) as called:
        actors.call("nobody", ("x",))
    with pytest.raises(actors.NoProcError) as sent:
        actors.send("nobody", ("x",))

    assert f"in actor system {actor_system.name!r}" in str(called.value)
    assert actor_system.name == called.value.system
    assert f"in actor system {actor_system.name!r}" in str(sent.value)


def test_the_fixture_system_is_current_in_the_test(actor_system: actors.ActorSystem) -> None:
    assert actor_system is actors.current_system()


def test_a_huge_name_is_cut_in_error_messages(actor_system: actors.ActorSystem) -> None:
    name = "n" * 10_000_000

    with pytest.raises(actors.NoProcError) as raised:
        actors.send(name, ("x",))

    assert len(str(raised.value)) < 400


def test_resolving_something_that_is_not_a_system_names_the_problem() -> None:
    with pytest.raises(TypeError, match=r"system must be an actors\.ActorSystem or None, got str"):
        resolve_system("x")  # type: ignore[arg-type]
