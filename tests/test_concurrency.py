"""Races: each shared structure of the core hammered from many threads."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import actors
from actors._future import ReplyFuture
from actors.testing import ANY, Probe, settle
from tests.servers import Counter

THREADS = 8


class OverlapDetector:
    """Counts how often two threads are inside ``record`` at once.

    A plain flag can hardly catch an overlap under the GIL (a thread switch
    must land between two bytecodes); yielding the GIL inside the critical
    section hands the processor to any other thread that is ready, so
    concurrent callers really do meet there.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.overlaps = 0
        self.seen: list[Any] = []

    def record(self, item: Any) -> None:
        if not self.lock.acquire(blocking=False):
            self.overlaps += 1
            self.seen.append(item)
            return
        try:
            os.sched_yield()  # releases the GIL: let a concurrent caller in
            self.seen.append(item)
        finally:
            self.lock.release()


def test_the_overlap_detector_catches_unsynchronised_callers() -> None:
    detector = OverlapDetector()

    def hammer(i: int) -> None:
        for n in range(300):
            detector.record((i, n))

    _run_threads(hammer)

    assert detector.overlaps > 0
    assert THREADS * 300 == len(detector.seen)


class Recorder(actors.GenServer):
    """Records what it handles; detects concurrent execution of its callbacks."""

    def init(self) -> None:
        self.detector = OverlapDetector()

    @property
    def seen(self) -> list[Any]:
        return self.detector.seen

    @property
    def overlaps(self) -> int:
        return self.detector.overlaps

    def _record(self, item: Any) -> None:
        self.detector.record(item)

    def handle_info(self, message: Any) -> None:
        self._record(message)

    def handle_cast(self, request: Any) -> None:
        self._record(request)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        match request:
            case ("report",):
                return list(self.seen), self.overlaps
        self._record(request)
        return None


def _exit_after(go: threading.Barrier, target: Any, reason: str) -> None:
    go.wait()
    actors.exit(target, reason)


def _run_threads(target: Callable[[int], None], n: int = THREADS) -> None:
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        target(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)


def test_many_senders_lose_nothing_and_keep_per_sender_order(
    actor_system: actors.ActorSystem,
) -> None:
    per_sender = 2000
    ref = Recorder.start(system=actor_system)

    def send_all(sender: int) -> None:
        for seq in range(per_sender):
            if seq % 3 == 0:
                actors.cast(ref, (sender, seq))
            else:
                actors.send(ref, (sender, seq))

    _run_threads(send_all)
    seen, overlaps = actors.call(ref, ("report",), timeout=30)

    assert 0 == overlaps
    assert THREADS * per_sender == len(seen)
    for sender in range(THREADS):
        assert list(range(per_sender)) == [seq for s, seq in seen if s == sender]


def test_racing_starts_under_one_name_have_exactly_one_winner(
    actor_system: actors.ActorSystem,
) -> None:
    for round_ in range(30):
        name = f"contested-{round_}"
        winners: list[Any] = []
        losers: list[Any] = []

        def start(
            _: int, name: str = name, winners: list[Any] = winners, losers: list[Any] = losers
        ) -> None:
            try:
                winners.append(Counter.start(name=name, system=actor_system))
            except actors.AlreadyStarted as e:
                losers.append(e.ref)

        _run_threads(start)

        assert 1 == len(winners)
        assert [winners[0]] * (THREADS - 1) == losers


def test_monitor_racing_with_exit_yields_exactly_one_down(actor_system: actors.ActorSystem) -> None:
    probe = Probe(actor_system)
    for _ in range(200):
        target = Counter.start(system=actor_system)
        go = threading.Barrier(2)
        stopper = threading.Thread(target=_exit_after, args=(go, target, "kill"))
        stopper.start()
        go.wait()
        mref = probe.monitor(target)
        stopper.join(5)

        down = probe.expect(("DOWN", mref, "process", target, ANY))
        assert down[4] in ("killed", "noproc")
    settle(actor_system)
    probe.refute(("DOWN", ANY, ANY, ANY, ANY), timeout=0)


def test_kill_racing_with_a_crash_tells_each_monitor_once(actor_system: actors.ActorSystem) -> None:
    probe = Probe(actor_system)
    for _ in range(200):
        target = Counter.start(system=actor_system)
        mref = probe.monitor(target)
        actors.cast(target, ("crash", "racing"))
        actors.exit(target, "kill")

        _, _, _, _, reason = probe.expect(("DOWN", mref, "process", target, ANY))
        assert reason == "killed" or isinstance(reason, RuntimeError)
    settle(actor_system)
    probe.refute(("DOWN", ANY, ANY, ANY, ANY), timeout=0)


def test_link_racing_with_exit_always_propagates(actor_system: actors.ActorSystem) -> None:
    probe = Probe(actor_system)
    for _ in range(200):
        target = Counter.start(system=actor_system)
        go = threading.Barrier(2)
        killer = threading.Thread(target=_exit_after, args=(go, target, "boom"))
        killer.start()
        go.wait()
        probe.link(target)
        killer.join(5)

        _, _, reason = probe.expect(("EXIT", ANY, ANY))
        assert reason in ("boom", "noproc")
    settle(actor_system)
    probe.refute(("EXIT", ANY, ANY), timeout=0)


def test_reply_future_has_exactly_one_winner() -> None:
    for _ in range(300):
        future: ReplyFuture[Any] = ReplyFuture()
        wins: list[int] = []

        def attempt(i: int, future: ReplyFuture[Any] = future, wins: list[int] = wins) -> None:
            ok = future.try_set(i) if i % 2 else future.try_set_exception(ValueError(i))
            if ok:
                wins.append(i)

        _run_threads(attempt, n=4)

        assert 1 == len(wins)
        winner = wins[0]
        if winner % 2:
            assert winner == future.get(timeout=0)
        else:
            with pytest.raises(ValueError, match=str(winner)):
                future.get(timeout=0)


def test_dead_letter_counter_is_exact_under_contention(actor_system: actors.ActorSystem) -> None:
    ref = Counter.start(system=actor_system)
    actors.stop(ref)

    _run_threads(lambda _: [actors.send(ref, i) for i in range(1000)])  # type: ignore[arg-type]

    assert THREADS * 1000 == actor_system.dead_letters


def test_timer_cancel_racing_with_fire_never_does_both(actor_system: actors.ActorSystem) -> None:
    fired: list[int] = []
    lock = threading.Lock()
    timers = []
    for i in range(2000):

        def fire(i: int = i) -> None:
            with lock:
                fired.append(i)

        timers.append(actor_system.timers.schedule(0.0, fire))
    cancelled: list[int] = []

    def cancel(part: int) -> None:
        for timer in timers[part::THREADS]:
            if actors.cancel_timer(timer) is not None:
                with lock:
                    cancelled.append(timer.id)

    _run_threads(cancel)
    probe = Probe(actor_system)
    actors.send_after(probe, "drained", 0.0, system=actor_system)
    probe.expect("drained", timeout=10)

    assert 2000 == len(fired) + len(cancelled)
    assert not {timers[i].id for i in fired} & set(cancelled)


def test_a_chain_of_200_pooled_actors_calling_each_other_completes_on_two_workers(
    actor_system_factory: Callable[..., actors.ActorSystem],
) -> None:
    system = actor_system_factory(runtime="pooled", pool_size=2)

    class Link(actors.GenServer):
        def init(self, next_ref: Any) -> None:
            self.next_ref = next_ref

        def handle_call(self, request: Any, caller: actors.Caller) -> Any:
            if self.next_ref is None:
                return request + 1
            return actors.call(self.next_ref, request + 1, timeout=30)

    head = None
    for _ in range(200):
        head = Link.start(head, system=system)

    assert 200 == actors.call(head, 0, timeout=60)
    assert system.pool.workers >= 2


def test_one_busy_actor_does_not_starve_another(
    actor_system_factory: Callable[..., actors.ActorSystem],
) -> None:
    system = actor_system_factory(runtime="pooled", pool_size=1, batch_size=32)
    flood = 10_000
    probe = Probe(system)
    gate = threading.Event()

    class Busy(actors.GenServer):
        def init(self) -> None:
            self.handled = 0

        def handle_info(self, message: Any) -> None:
            if message == "hold the worker":
                gate.wait(10)  # deliberately not actors.blocking(): no compensation
            self.handled += 1

    busy = Busy.start(system=system)

    class Polite(actors.GenServer):
        def handle_info(self, message: Any) -> None:
            actor = busy._process.actor
            actors.send(probe, ("busy handled so far", actor.handled if actor else -1))  # type: ignore[attr-defined]

    polite = Polite.start(system=system)
    actors.send(busy, "hold the worker")
    for i in range(flood):
        actors.send(busy, i)
    actors.send(polite, "your turn")  # queued behind busy, which holds the only worker
    gate.set()

    _, handled = probe.expect(("busy handled so far", ANY), timeout=30)
    assert handled <= 2 * 32  # one or two batches, not the whole backlog


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    operations=st.lists(
        st.tuples(st.sampled_from(["send", "cast", "call"]), st.integers()), min_size=1, max_size=40
    )
)
def test_one_senders_messages_are_handled_in_order_whatever_their_kind(
    actor_system: actors.ActorSystem, operations: list[tuple[str, int]]
) -> None:
    ref = Recorder.start(system=actor_system)
    for kind, value in operations:
        if kind == "send":
            actors.send(ref, value)
        elif kind == "cast":
            actors.cast(ref, value)
        else:
            actors.call(ref, value)

    seen, overlaps = actors.call(ref, ("report",))
    actors.stop(ref)

    assert [value for _, value in operations] == seen
    assert 0 == overlaps


def test_a_long_callback_does_not_starve_other_actors_on_a_pool_of_two(
    actor_system_factory: Callable[..., actors.ActorSystem],
) -> None:
    system = actor_system_factory(runtime="pooled", pool_size=2)
    gate, entered = threading.Event(), threading.Event()

    class Hog(actors.GenServer):
        def handle_info(self, message: Any) -> None:
            entered.set()
            gate.wait(10)  # a long callback that does not declare actors.blocking()

    hog = Hog.start(system=system)
    other = Counter.start(system=system)
    actors.send(hog, "work")
    entered.wait(5)

    try:
        # The awake worker is stuck in Hog; the watchdog wakes the other one.
        assert 1 == actors.call(other, ("add", 1), timeout=5)
    finally:
        gate.set()


@pytest.mark.parametrize("pool_size", [1, 2, 4])
def test_many_senders_to_many_actors_wake_workers_without_losing_work(
    actor_system_factory: Callable[..., actors.ActorSystem], pool_size: int
) -> None:
    system = actor_system_factory(runtime="pooled", pool_size=pool_size, batch_size=4)
    refs = [Counter.start(system=system) for _ in range(64)]
    rounds = 300

    def send_all(sender: int) -> None:
        for i in range(rounds):
            actors.cast(refs[(sender * 7 + i) % len(refs)], ("add", 1))

    _run_threads(send_all)

    total = sum(actors.call(ref, ("get",), timeout=30) for ref in refs)
    assert THREADS * rounds == total
