"""No input from a publisher may crash the auditor or lose a batch: lone
surrogates, payloads nested deeper than Python can recurse, huge payloads,
records with fields of the wrong type."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import actors
import supervision as sv
from actors import gater, pubsub
from actors.audit import (
    MAX_DEPTH,
    TRUNCATED_KEY,
    AuditEvent,
    AuditLog,
    Auditor,
    SqliteAuditStore,
    bounded_payload,
    flush,
)
from actors.pubsub import instances

T0 = datetime(2026, 1, 1, tzinfo=UTC)
BAD_NAME = os.fsdecode(b"report-\xff.csv")  # a file name decoded with surrogateescape


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"next": value}
    return value


def depth_of(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


class BadFile(actors.GenServer):
    """Crashes with a reason built from a file name that is not UTF-8."""

    def handle_cast(self, request: Any) -> None:
        raise RuntimeError(f"cannot read {BAD_NAME}")


class Unrepresentable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


# Lone surrogates ---------------------------------------------------------------------


def test_lone_surrogates_in_every_text_field_are_stored_escaped(
    actor_system: actors.ActorSystem, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    auditor = Auditor.start(path, system=actor_system)
    event = actors.ProcessLifecycle(
        event_type="crashed",
        component="Reader",
        actor_id="urn:1",
        name=f"reader:{BAD_NAME}",
        reason=f"FileNotFoundError: {BAD_NAME}",
        traceback=f"Traceback ...\n  {BAD_NAME}\n",
        supervisor="sup\udc80",
        child_id="c\udcfe",
        timestamp=T0,
    )

    actors.send(auditor, ("process_lifecycle_event", event))
    actors.send(auditor, ("file_read", {"file": BAD_NAME, BAD_NAME: 1}))
    actors.send(
        auditor,
        AuditEvent(tag="t\udcff", kind="k", payload={}, timestamp=T0, topic=f"files:{BAD_NAME}"),
    )
    after = flush(auditor)

    with AuditLog.open(path) as log:
        (stored,) = log.query()
        file_read, tagged = log.audit_events()
    assert (0, 3, 3) == (after.pending, after.committed, after.escaped)
    assert (
        "reader:report-\\udcff.csv",
        "FileNotFoundError: report-\\udcff.csv",
        "sup\\udc80",
        "c\\udcfe",
    ) == (stored.name, stored.reason, stored.supervisor, stored.child_id)
    assert "report-\\udcff.csv" in (stored.traceback or "")
    assert {"file": "report-\\udcff.csv", "report-\\udcff.csv": 1} == file_read.payload
    assert ("t\\udcff", "files:report-\\udcff.csv") == (tagged.tag, tagged.topic)


def test_the_store_itself_escapes_text_it_is_handed_directly(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    event = actors.ProcessLifecycle(
        event_type="started", component="W", actor_id="urn:1", name=BAD_NAME, timestamp=T0
    )

    with SqliteAuditStore(path) as store:
        last = store.append_batch([event])

    with AuditLog.open(path) as log:
        assert (1, ["report-\\udcff.csv"]) == (last, [e.name for e in log.query()])


def test_a_storm_of_crashes_about_a_non_utf8_file_name_keeps_the_gater_up_and_on_disk(
    actor_system: actors.ActorSystem, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    gater.start(actor_system, audit=path, broadcasters=False)
    events: Any = actors.testing.Probe(actor_system)  # type: ignore[attr-defined]
    actor_system.add_lifecycle_listener(events.deliver)
    sv.Supervisor.start(
        [sv.child_spec("reader", BadFile, name="reader")],
        max_restarts=1000,
        max_seconds=1,
        name="readers",
        system=actor_system,
    )
    auditor = actors.whereis(gater.AUDITOR_NAME, actor_system)

    for _ in range(30):
        actors.cast("reader", "read", system=actor_system)
        events.expect(lambda e: e.event_type == "restarted" and e.name == "reader", timeout=5)
    after = flush(gater.AUDITOR_NAME, system=actor_system)

    with AuditLog.open(path) as log:
        crashes = log.query(name="reader", event_type="crashed")
    running = [i for i in instances.ALL if actors.whereis(i, actor_system) is not None]
    assert list(instances.ALL) == running
    assert auditor == actors.whereis(gater.AUDITOR_NAME, actor_system)  # never restarted
    assert 30 == len(crashes)
    assert {"RuntimeError: cannot read report-\\udcff.csv"} == {e.reason for e in crashes}
    assert after.escaped >= 30


# Deep and huge payloads ----------------------------------------------------------------


def test_payloads_nested_1200_deep_on_ex_esdb_audit_are_stored_truncated_and_counted(
    actor_system: actors.ActorSystem, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    gater.start(actor_system, audit=path, broadcasters=False)
    auditor = actors.whereis(gater.AUDITOR_NAME, actor_system)
    deep = nested(1200)

    for n in range(12):
        result = pubsub.broadcast(
            instances.AUDIT, "audit_trail:deep", ("deep_change", {"n": n, "tree": deep})
        )
        assert result
    after = flush(gater.AUDITOR_NAME, system=actor_system)

    with AuditLog.open(path) as log:
        stored = log.audit_events(tag="deep_change")
    assert auditor == actors.whereis(gater.AUDITOR_NAME, actor_system)
    assert list(range(12)) == [e.payload["n"] for e in stored]
    assert all(e.payload[TRUNCATED_KEY]["max_depth"] == MAX_DEPTH for e in stored)
    assert all(depth_of(e.payload) <= MAX_DEPTH + 1 for e in stored)
    assert (12, 0) == (after.truncated, after.pending)


def test_a_custom_encoder_that_recurses_without_end_falls_back_to_the_bounded_one(
    actor_system: actors.ActorSystem, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"

    def encode(payload: Any) -> dict[str, Any]:
        return {"again": encode(payload)}  # RecursionError

    auditor = Auditor.start(path, encode=encode, system=actor_system)
    actors.send(auditor, ("note", {"plain": Unrepresentable()}))
    actors.send(auditor, ("note", Unrepresentable()))
    after = flush(auditor)

    with AuditLog.open(path) as log:
        first, second = log.audit_events()
    assert (2, 0) == (after.encode_failures, after.pending)
    assert first.payload["plain"].startswith("<Unrepresentable instance at 0x")
    assert second.payload["value"].startswith("<Unrepresentable instance at 0x")
    assert first.payload["encode_error"].startswith("RecursionError")


def test_a_megabyte_payload_is_cut_to_the_size_bound(
    actor_system: actors.ActorSystem, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    auditor = Auditor.start(path, max_payload_chars=4096, system=actor_system)

    actors.send(auditor, ("upload", {"body": "x" * 1_000_000, "rows": list(range(100_000))}))
    after = flush(auditor)

    with AuditLog.open(path) as log:
        (stored,) = log.audit_events()
    assert 1 == after.truncated
    assert len(json.dumps(stored.payload)) < 4096 + 512
    assert stored.payload["body"].endswith("more characters)")


def test_a_hand_built_lifecycle_record_with_wrong_types_is_stored_with_replacements(
    actor_system: actors.ActorSystem, tmp_path: Path
) -> None:
    path = tmp_path / "audit.db"
    auditor = Auditor.start(path, system=actor_system)
    bad = actors.ProcessLifecycle(
        event_type="crashed",
        component=42,  # type: ignore[arg-type]
        actor_id=None,  # type: ignore[arg-type]
        name=Unrepresentable(),  # type: ignore[arg-type]
        restart_count=2**70,
        timestamp="yesterday",  # type: ignore[arg-type]
    )

    actors.send(auditor, ("process_lifecycle_event", bad))
    actors.send(auditor, ("process_lifecycle_event", bad))
    after = flush(auditor)

    with AuditLog.open(path) as log:
        stored = log.query()
    assert (2, 2, 0) == (after.committed, after.malformed, after.pending)
    assert ("42", "", 0) == (stored[0].component, stored[0].actor_id, stored[0].restart_count)
    assert (stored[0].name or "").startswith("<Unrepresentable instance at 0x")
    assert auditor.is_alive()


# The bounded rendering, as a property ------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.characters(codec=None, exclude_categories=())),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.text(max_size=5), children, max_size=5)
        | st.tuples(children, children)
        | st.frozensets(st.integers(), max_size=3)
    ),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None)
@given(value=json_values, depth=st.integers(1, 8), chars=st.integers(16, 400))
def test_a_bounded_rendering_always_dumps_as_utf8_within_its_depth(
    value: Any, depth: int, chars: int
) -> None:
    rendered, what = bounded_payload({"v": value}, max_depth=depth, max_chars=chars)

    text = json.dumps(rendered, ensure_ascii=False)
    text.encode("utf-8")  # no lone surrogate survives
    assert depth_of(rendered) <= depth + 2
    assert what.truncated == (TRUNCATED_KEY in rendered)


def test_a_value_nested_deeper_than_python_recurses_renders_without_error() -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]

    rendered, what = bounded_payload(deep)

    assert what.truncated
    assert MAX_DEPTH + 1 >= depth_of(rendered["value"])


@pytest.mark.parametrize("payload", [Unrepresentable(), {Unrepresentable(): 1}, {1: {2: 3}}])
def test_keys_and_values_of_any_type_render(payload: Any) -> None:
    rendered, _ = bounded_payload(payload)

    json.dumps(rendered)
    assert isinstance(rendered, dict)
