"""Bad input gets a clear error that names the problem; never a hang."""

from __future__ import annotations

from typing import Any

import pytest

import actors
from tests.servers import Counter


@pytest.mark.parametrize("target", [42, 3.5, None, object(), Counter])
def test_a_wrong_target_is_a_type_error_naming_it(
    actor_system: actors.ActorSystem, target: Any
) -> None:
    for operation in (
        lambda: actors.call(target, "x", system=actor_system),
        lambda: actors.cast(target, "x", system=actor_system),
        lambda: actors.send(target, "x", system=actor_system),
        lambda: actors.stop(target, system=actor_system),
    ):
        with pytest.raises(TypeError, match="a target must be"):
            operation()


def test_unknown_name_is_noproc_error_for_send_and_cast(actor_system: actors.ActorSystem) -> None:
    with pytest.raises(actors.NoProcError, match="'missing'"):
        actors.send("missing", "x", system=actor_system)
    with pytest.raises(actors.NoProcError, match="'missing'"):
        actors.cast("missing", "x", system=actor_system)
    with pytest.raises(actors.NoProcError, match="'missing'"):
        actors.exit("missing", "kill", system=actor_system)


def test_unhashable_name_is_rejected(actor_system: actors.ActorSystem) -> None:
    with pytest.raises(TypeError, match="hashable"):
        Counter.start(name=("worker", ["list"]), system=actor_system)
    with pytest.raises(TypeError, match="hashable"):
        actors.whereis(("worker", ["list"]), actor_system)


@pytest.mark.parametrize("name", [42, 1.5, b"bytes"])
def test_names_must_be_str_or_tuple(actor_system: actors.ActorSystem, name: Any) -> None:
    with pytest.raises(TypeError, match="str or a tuple"):
        Counter.start(name=name, system=actor_system)


def test_empty_name_is_rejected(actor_system: actors.ActorSystem) -> None:
    with pytest.raises(ValueError, match="empty"):
        Counter.start(name="", system=actor_system)


def test_callback_signature_mistakes_fail_at_class_definition() -> None:
    with pytest.raises(TypeError, match=r"Wrong\.handle_call.*\(self, request, caller\)"):

        class Wrong(actors.GenServer):
            def handle_call(self, request: Any) -> Any:
                return request

    with pytest.raises(TypeError, match=r"Wrong2\.terminate"):

        class Wrong2(actors.GenServer):
            def terminate(self) -> None:  # type: ignore[override]
                pass


def test_async_callbacks_are_rejected() -> None:
    with pytest.raises(TypeError, match="not async def"):

        class Async(actors.GenServer):
            async def handle_info(self, message: Any) -> None:  # type: ignore[override]
                pass


def test_init_arguments_without_an_init_are_a_start_error(actor_system: actors.ActorSystem) -> None:
    class NoInit(actors.GenServer):
        pass

    with pytest.raises(actors.StartError, match="takes no arguments"):
        NoInit.start(1, 2, system=actor_system)


@pytest.mark.parametrize("timeout", [-1, "soon", True])
def test_bad_timeouts_are_value_errors(actor_system: actors.ActorSystem, timeout: Any) -> None:
    ref = Counter.start(system=actor_system)

    with pytest.raises(ValueError, match="timeout"):
        actors.call(ref, ("get",), timeout=timeout)
    with pytest.raises(ValueError, match="timeout"):
        actors.stop(ref, timeout=timeout)


def test_unknown_runtime_is_rejected(actor_system: actors.ActorSystem) -> None:
    with pytest.raises(ValueError, match="unknown runtime 'fibers'"):
        Counter.start(runtime="fibers", system=actor_system)
    with pytest.raises(ValueError, match="unknown runtime"):
        actors.ActorSystem(runtime="fibers")


def test_unexpected_call_crashes_with_a_readable_reason(actor_system: actors.ActorSystem) -> None:
    class Quiet(actors.GenServer):
        pass

    ref = Quiet.start(system=actor_system)

    with pytest.raises(actors.CallError, match="does not implement handle_call"):
        actors.call(ref, "hello")


def test_unexpected_info_is_logged_not_fatal(
    actor_system: actors.ActorSystem, caplog: pytest.LogCaptureFixture
) -> None:
    class Quiet(actors.GenServer):
        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            return "alive"

    ref = Quiet.start(system=actor_system)
    actors.send(ref, ("surprise", 1))

    assert "alive" == actors.call(ref, "ping")
    assert any(
        "unexpected message" in r.message and "surprise" in r.message for r in caplog.records
    )


def test_reply_and_timer_helpers_check_their_arguments() -> None:
    with pytest.raises(TypeError, match="reply"):
        actors.reply("not a caller", 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cancel_timer"):
        actors.cancel_timer("not a timer")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="demonitor"):
        actors.demonitor("not a monitor")  # type: ignore[arg-type]


def test_negative_timer_delay_is_rejected(actor_system: actors.ActorSystem) -> None:
    ref = Counter.start(system=actor_system)

    with pytest.raises(ValueError, match="non-negative"):
        actors.send_after(ref, "x", -1)


def test_monitor_and_link_outside_an_actor_point_to_the_probe() -> None:
    with pytest.raises(RuntimeError, match="Probe"):
        actors.monitor("anything")
    with pytest.raises(RuntimeError, match="inside an actor"):
        actors.link("anything")
