"""pykka interoperability and the public testing helpers."""

from __future__ import annotations

import threading
from typing import Any

import pykka
import pytest

import actors
from actors.testing import ANY, Probe, ThreadWatch, assert_receive, matches, refute_receive, settle
from tests.servers import Counter


def test_a_ref_is_a_pykka_actor_ref(actor_system: actors.ActorSystem) -> None:
    ref = Counter.start(system=actor_system)

    ref.tell(("add", 4))  # tell → handle_info
    assert 5 == ref.ask(("add", 1))  # ask → handle_call
    assert isinstance(ref, pykka.ActorRef)
    assert isinstance(ref._process.actor, pykka.Actor)


def test_pykka_stop_and_is_alive(actor_system: actors.ActorSystem) -> None:
    ref = Counter.start(system=actor_system)

    assert ref.stop() is True
    assert not ref.is_alive()
    assert ref.stop() is False
    with pytest.raises(pykka.ActorDeadError):
        ref.tell("late")


def test_pykka_ask_to_a_crashing_actor_raises_call_error(actor_system: actors.ActorSystem) -> None:
    ref = Counter.start(system=actor_system)

    with pytest.raises(actors.CallError):
        ref.ask(("crash", "via pykka"), timeout=5)


@pytest.mark.parametrize(
    ("template", "message", "expected"),
    [
        (ANY, object(), True),
        (("DOWN", ANY, "process"), ("DOWN", 1, "process"), True),
        (("DOWN", ANY, "process"), ("DOWN", 1, "port"), False),
        (("EXIT", ANY, ValueError), ("EXIT", 1, ValueError("x")), True),
        (("EXIT", ANY, ValueError), ("EXIT", 1, "normal"), False),
        (("a", ("b", ANY)), ("a", ("b", 3)), True),
        (("a",), ("a", "b"), False),
        (lambda m: m == 3, 3, True),
        ("x", "x", True),
        ("x", "y", False),
    ],
)
def test_template_matching(template: Any, message: Any, expected: bool) -> None:
    assert expected == matches(template, message)


def test_probe_expect_is_selective_and_keeps_other_messages(
    actor_system: actors.ActorSystem,
) -> None:
    with Probe(actor_system) as probe:
        actors.send(probe, ("first", 1))
        actors.send(probe, ("second", 2))

        assert ("second", 2) == assert_receive(probe, ("second", ANY))
        assert [("first", 1)] == probe.messages()
        assert [("first", 1)] == probe.flush()
        refute_receive(probe, ANY, timeout=0.01)


def test_probe_expect_fails_with_what_did_arrive(actor_system: actors.ActorSystem) -> None:
    with Probe(actor_system) as probe:
        actors.send(probe, "something else")

        with pytest.raises(AssertionError, match="something else"):
            probe.expect("wanted", timeout=0.01)


def test_probe_refute_fails_on_a_matching_message(actor_system: actors.ActorSystem) -> None:
    with Probe(actor_system) as probe:
        actors.send(probe, "oops")

        settle(actor_system)
        with pytest.raises(AssertionError, match="unexpected message 'oops'"):
            probe.refute("oops", timeout=0)


def test_a_named_probe_receives_calls_and_casts(actor_system: actors.ActorSystem) -> None:
    with Probe(actor_system, name="fake-service") as probe:
        answers: list[Any] = []
        caller = threading.Thread(
            target=lambda: answers.append(actors.call("fake-service", "ping", system=actor_system))
        )
        caller.start()

        _, request, who = probe.expect(("call", ANY, ANY))
        actors.reply(who, "pong")
        caller.join(5)
        actors.cast("fake-service", "hello", system=actor_system)

        assert ("ping", ["pong"]) == (request, answers)
        assert ("cast", "hello") == probe.expect(("cast", ANY))


def test_a_closed_probe_tells_its_monitors(actor_system: actors.ActorSystem) -> None:
    watcher = Probe(actor_system)
    watched = Probe(actor_system)
    watcher.monitor(watched)

    watched.close("done")

    assert ("DOWN", ANY, "process", watched, "done") == watcher.expect(("DOWN", ANY, ANY, ANY, ANY))
    assert not actors.send(watched, "gone")


def test_thread_watch_reports_a_leaked_thread() -> None:
    watch = ThreadWatch()
    release = threading.Event()
    leaker = threading.Thread(target=release.wait, name="leaker")
    leaker.start()

    assert [leaker] == watch.leaked(grace=0.01)

    release.set()
    leaker.join()
    assert [] == watch.leaked(grace=0.0)


def test_fixture_fails_a_test_that_leaks_a_system_thread(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import threading

        def test_leaks(actor_system):
            release = threading.Event()
            threading.Thread(target=release.wait, args=(30,), name="forgotten", daemon=True).start()
        """
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*threads still alive after the test: forgotten*"])
