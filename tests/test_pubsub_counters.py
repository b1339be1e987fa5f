"""The books of an instance balance, whatever happens (issue #11).

For every policy and any interleaving of broadcasts on several topics to
several subscribers, some stuck, some exiting, some drained midway:
``published x targets == delivered + dropped + failed + rejected + dead``,
in total and per topic, where ``targets`` is how many subscriptions a
broadcast on that topic reached. The instance actor is held for the run, so
an exited subscriber stays in the table (and its deliveries count as dead):
the targets of a topic are then fixed and known in advance. When nobody
exits, ``delivered`` must also equal what the subscribers really handled
(per topic too, when every payload names its topic).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import actors
from actors.pubsub import OVERFLOW_POLICIES, PubSub, PubSubManager

TOPICS = ("a", "b", "a:x", "a:y")
KEYS = (*TOPICS, "a:*")  # what a subscription may name: a topic or a pattern
POLICIES = (*OVERFLOW_POLICIES, "unbounded")
# Shared payloads as well as fresh ones: one object broadcast on several
# topics is the hard case for drop_oldest's attribution.
SHARED = (None, ("tick",), "same")


class Sink(actors.GenServer):
    """Keeps everything it handles; ``("handled",)`` answers with it."""

    def init(self) -> None:
        self.handled: list[Any] = []

    def handle_info(self, message: Any) -> None:
        self.handled.append(message)

    def handle_call(self, request: Any, caller: actors.Caller) -> Any:
        return list(self.handled)  # after everything queued before the call


class Gated(Sink):
    """A Sink stuck in its first message until its gate opens (on its own
    thread, so that several stuck ones do not hold every pool worker)."""

    runtime = "thread"

    def init(self, gate: threading.Event, entered: threading.Event) -> None:  # type: ignore[override]
        super().init()
        self.gate, self.entered = gate, entered

    def handle_info(self, message: Any) -> None:
        if message == "hold":
            self.entered.set()
            self.gate.wait(30)  # deliberately not actors.blocking(): the mailbox fills
            return
        super().handle_info(message)


@contextlib.contextmanager
def _held(bus: PubSub) -> Iterator[None]:
    """Hold the instance actor's scheduling lock: it cleans nothing up meanwhile."""
    assert bus.sync()
    ref = bus.ref
    assert ref is not None
    proc = ref._process
    assert proc.acquire()
    try:
        yield
    finally:
        if proc.release():
            proc.submit()


subscriber_kinds = st.sampled_from(["sink", "stuck", "stuck", "stuck", "exiting"])
subscription = st.tuples(st.sampled_from(KEYS), st.sampled_from((None, *POLICIES)))
broadcast = st.tuples(
    st.just("broadcast"),
    st.sampled_from(TOPICS),
    st.sampled_from([None, None, None, *range(len(SHARED))]),  # mostly fresh
)
# Mostly broadcasts, so that mailboxes fill up before anyone is released.
step = st.one_of(
    broadcast,
    broadcast,
    broadcast,
    broadcast,
    st.tuples(st.just("exit"), st.integers(0, 5)),
    st.tuples(st.just("release"), st.integers(0, 5)),
)


@pytest.mark.parametrize("policy", POLICIES)
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    kinds=st.lists(subscriber_kinds, min_size=1, max_size=4),
    subscriptions=st.lists(st.lists(subscription, min_size=1, max_size=3), min_size=4, max_size=4),
    steps=st.lists(step, min_size=10, max_size=60),
    threads=st.sampled_from([1, 3]),
)
def test_every_delivery_is_booked_exactly_once(
    actor_system_factory: Callable[..., actors.ActorSystem],
    policy: str,
    kinds: list[str],
    subscriptions: list[list[tuple[str, str | None]]],
    steps: list[tuple[Any, ...]],
    threads: int,
) -> None:
    system = actor_system_factory()
    config: dict[str, Any] = (
        {"mailbox_limit": None}
        if policy == "unbounded"
        else {"mailbox_limit": 2, "overflow": policy, "block_timeout": 0.0}
    )
    bus = PubSubManager.of(system).ensure("books", **config)
    gates: list[threading.Event] = []
    refs: list[actors.Ref[Any]] = []
    for kind in kinds:
        gate = threading.Event()
        gates.append(gate)
        ref: actors.Ref[Any]
        if kind == "stuck":
            entered = threading.Event()
            ref = Gated.start(gate, entered, system=system)
            actors.send(ref, "hold")
            assert entered.wait(5)
        else:
            ref = Sink.start(system=system)
        refs.append(ref)
    for ref, chosen in zip(refs, subscriptions, strict=False):
        for key, override in chosen:
            options: dict[str, Any] = {}
            if override == "unbounded":
                options["mailbox_limit"] = None
            elif override is not None:
                options = {"mailbox_limit": 2, "overflow": override, "block_timeout": 0.0}
            bus.subscribe(key, ref, **options)
    targets = {topic: len(bus.subscribers(topic)) for topic in TOPICS}
    published = dict.fromkeys(TOPICS, 0)
    lock = threading.Lock()

    def run(my_steps: list[tuple[Any, ...]]) -> None:
        for action, *args in my_steps:
            if action == "broadcast":
                topic, shared = args
                payload = (topic, object()) if shared is None else SHARED[shared]
                bus.broadcast(topic, payload)
                with lock:
                    published[topic] += 1
            elif action == "exit" and args[0] < len(refs):
                if kinds[args[0]] == "exiting":
                    actors.exit(refs[args[0]], "kill")
            elif action == "release" and args[0] < len(gates):
                gates[args[0]].set()

    with _held(bus):
        workers = [threading.Thread(target=run, args=(steps[i::threads],)) for i in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(30)
        stats = bus.statistics()
    for gate in gates:
        gate.set()

    survivors = [ref for ref, kind in zip(refs, kinds, strict=True) if kind != "exiting"]
    handled = [m for ref in survivors for m in actors.call(ref, ("handled",), timeout=10)]

    assert sum(published.values()) == stats.published
    offered = sum(published[topic] * targets[topic] for topic in TOPICS)
    assert offered == stats.delivered + stats.dropped + stats.failed + stats.rejected + stats.dead
    for topic, counts in stats.per_topic.items():
        booked = counts.delivered + counts.dropped + counts.failed + counts.rejected + counts.dead
        assert (published[topic], published[topic] * targets[topic]) == (
            counts.published,
            booked,
        ), topic
    if len(survivors) == len(refs):
        # "delivered" is what reached a mailbox: with nobody exiting, what
        # the subscribers handled, in total and, for payloads that name
        # their topic, per topic.
        assert stats.delivered == len(handled)
        if not any(action == "broadcast" and args[1] is not None for action, *args in steps):
            for topic, counts in stats.per_topic.items():
                assert counts.delivered == sum(1 for m in handled if m[0] == topic), topic
    assert system.shutdown(timeout=10)
