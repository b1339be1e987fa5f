"""A model-based check of the backend: random notifies, marks and topic
changes against a plain-Python model of event_bus's store and watcher
(with marks deduplicated per subscriber)."""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from actors.eventbus import Event, Mark, NewEvent, PendingDelivery, SqliteBackend

TOPICS = st.sampled_from(["a", "b", "c"])
IDS = st.sampled_from([1, 2, "1", "x"])
SUBSCRIBERS = st.sampled_from(["s1", "s2", "s3"])


class BackendModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.backend = SqliteBackend()
        self.topics: list[str] = []
        # (topic, id) -> [data, subscribers, completers, skippers]
        self.events: dict[tuple[str, Any], list[Any]] = {}
        self.clock = 0.0

    def teardown(self) -> None:
        self.backend.close()

    @rule(topic=TOPICS)
    def register(self, topic: str) -> None:
        new = self.backend.add_topic(topic, 0.0)
        assert (topic not in self.topics) == new
        if new:
            self.topics.append(topic)

    @rule(topic=TOPICS)
    def unregister(self, topic: str) -> None:
        dropped = self.backend.remove_topic(topic)
        assert sum(1 for t, _ in self.events if t == topic) == dropped
        self.events = {k: v for k, v in self.events.items() if k[0] != topic}
        if topic in self.topics:
            self.topics.remove(topic)

    @rule(
        batch=st.lists(
            st.tuples(TOPICS, IDS, st.lists(SUBSCRIBERS, min_size=1, max_size=3, unique=True)),
            max_size=4,
        ),
        marks=st.lists(
            st.tuples(TOPICS, IDS, SUBSCRIBERS, st.sampled_from(["completed", "skipped"])),
            max_size=6,
        ),
    )
    def write(self, batch, marks) -> None:
        self.clock += 1.0
        items = [NewEvent(Event(i, t, [t, i]), tuple(subs), self.clock) for t, i, subs in batch]
        stored, marked = self.backend.write(items, [Mark(*m) for m in marks])
        expected_stored = []
        for topic, event_id, subs in batch:
            if topic not in self.topics:
                expected_stored.append("unknown_topic")
            elif (topic, event_id) in self.events:
                expected_stored.append("duplicate")
            else:
                self.events[(topic, event_id)] = [[topic, event_id], subs, [], [], self.clock]
                expected_stored.append("stored")
        expected_marked = []
        for topic, event_id, subscriber, status in marks:
            entry = self.events.get((topic, event_id))
            if entry is None:
                expected_marked.append("unknown_event")
            elif subscriber not in entry[1]:
                expected_marked.append("not_subscriber")
            elif subscriber in entry[2] or subscriber in entry[3]:
                expected_marked.append("duplicate")
            else:
                entry[2 if status == "completed" else 3].append(subscriber)
                if len(entry[2]) + len(entry[3]) == len(entry[1]):
                    del self.events[(topic, event_id)]
                    expected_marked.append("finished")
                else:
                    expected_marked.append("applied")
        assert expected_stored == stored
        assert expected_marked == marked

    @invariant()
    def the_store_matches_the_model(self) -> None:
        assert self.topics == self.backend.topics()
        for (topic, event_id), (data, *_) in self.events.items():
            assert data == self.backend.fetch(topic, event_id).data  # type: ignore[union-attr]
        assert sorted(
            [
                PendingDelivery(t, i, s, at)
                for (t, i), (_, subs, done, skipped, at) in self.events.items()
                for s in subs
                if s not in done and s not in skipped
            ],
            key=repr,
        ) == sorted(self.backend.pending(), key=repr)
        for topic in self.topics:
            watchers = {(w.topic, w.id): w for w in self.backend.watchers(topic)}
            mine = {k: v for k, v in self.events.items() if k[0] == topic}
            assert set(mine) == set(watchers)
            for key, (_, subs, done, skipped, _) in mine.items():
                w = watchers[key]
                assert tuple(subs) == w.subscribers
                assert tuple(s for s in subs if s in done) == w.completers
                assert tuple(s for s in subs if s in skipped) == w.skippers


TestBackendModel = BackendModel.TestCase
TestBackendModel.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
