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
            def handle_call(self, request: Any) -> Any:  # type: ignore[override]
                return request

    with pytest.raises(TypeError, match=r"Wrong2\.terminate"):

        class Wrong2(actors.GenServer):
            def terminate(self) -> None:  # type: ignore[override]
                pass


def test_async_callbacks_are_rejected() -> None:
    with pytest.raises(TypeError, match="not async def"):

        class Async(actors.GenServer):
            async def handle_info(self, message: Any) -> None:
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

    with pytest.raises(actors.CallError, match=r"has no handle_call clause for .* \(bad_call\)"):
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


@pytest.mark.parametrize("timeout", [float("inf"), 1e300])
def test_an_unbounded_call_timeout_means_no_limit(
    actor_system: actors.ActorSystem, timeout: float
) -> None:
    # Used to raise OverflowError after the request had been handled.
    ref = Counter.start(5, system=actor_system)

    assert 5 == actors.call(ref, ("get",), timeout=timeout)
    actors.stop(ref, timeout=timeout)


@pytest.mark.parametrize(
    ("seconds", "error"),
    [("1", TypeError), (True, TypeError), (None, TypeError), (-1, ValueError), (1e400, ValueError)],
)
def test_send_after_refuses_what_is_not_a_delay(
    actor_system: actors.ActorSystem, seconds: Any, error: type[Exception]
) -> None:
    ref = Counter.start(system=actor_system)

    with pytest.raises(error, match=r"send_after\(\) takes a finite, non-negative number"):
        actors.send_after(ref, ("tick",), seconds)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"pool_size": "2"}, TypeError, "pool_size must be an int"),
        ({"pool_size": 2.5}, TypeError, "pool_size must be an int"),
        ({"pool_size": 0}, ValueError, "pool_size must be an int >= 1"),
        ({"batch_size": "64"}, TypeError, "batch_size must be an int"),
        ({"config": "x"}, TypeError, "config must be a mapping"),
        ({"name": 7}, TypeError, "name must be a non-empty str"),
        ({"node": ""}, TypeError, "node must be a non-empty str"),
    ],
)
def test_actor_system_options_are_checked_by_name(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        actors.ActorSystem(**kwargs)


def test_a_system_that_is_not_one_is_named(actor_system: actors.ActorSystem) -> None:
    from actors import gater
    from actors.pubsub import PubSubManager

    for operation in (
        lambda: Counter.start(system="x"),  # type: ignore[arg-type]
        lambda: PubSubManager.of("x"),  # type: ignore[arg-type]
        lambda: gater.start("x"),  # type: ignore[arg-type]
    ):
        with pytest.raises(TypeError, match=r"system must be an actors\.ActorSystem or None"):
            operation()


@pytest.mark.parametrize(
    ("config", "error", "match"),
    [
        ({"ex_esdb_metrics": 5}, TypeError, "config\\['ex_esdb_metrics'\\] must be a dict"),
        ({"ex_esdb_metrics": {"mailbox_limt": 5}}, TypeError, "mailbox_limt"),
        ({"ex_esdb_metrics": {"overflow": "drop_all"}}, ValueError, "overflow must be one of"),
        ("ex_esdb_metrics", TypeError, "gater config must map instance names"),
    ],
)
def test_gater_config_errors_name_the_instance_and_option(
    actor_system: actors.ActorSystem, config: Any, error: type[Exception], match: str
) -> None:
    from actors import gater

    with pytest.raises(error, match=match):
        gater.start(actor_system, config, audit=False, broadcasters=False)
    assert [] == actor_system.actors()


def test_a_launch_the_os_refuses_a_thread_for_releases_the_name(
    actor_system_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #11 item 14: "can't start new thread" left the name held forever
    and made shutdown() raise."""
    import threading

    system = actor_system_factory(runtime="thread")
    real_start = threading.Thread.start

    def refuse(self: threading.Thread) -> None:
        if self.name.startswith("Counter-"):
            raise RuntimeError("can't start new thread")
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", refuse)
    with pytest.raises(actors.StartError, match="can't start new thread"):
        Counter.start(name="refused", system=system)
    monkeypatch.undo()

    assert actors.whereis("refused", system) is None
    again = Counter.start(name="refused", system=system)
    assert again == actors.whereis("refused", system)
    assert system.shutdown(timeout=10)
