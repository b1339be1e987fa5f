"""``messages.new``: one constructor for every struct, with the original's signatures."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import actors
from actors import messages as m
from actors.gater import integration
from actors.messages import compat
from tests.test_messages_strategies import messages_of

NOW = datetime(2026, 1, 1, 12, 0, 0, 250000, tzinfo=UTC)

BUILT_BY_FIELDS = [cls for cls in m.MESSAGE_TYPES if cls is not m.ProcessLifecycle]
"""The core's ProcessLifecycle takes ExESDB's arguments (pid, module, event) instead."""


@pytest.fixture
def actor_runtime() -> str:
    """Building messages runs no actors: one runtime is enough."""
    return "pooled"


@pytest.fixture
def system(actor_system_factory: Callable[..., actors.ActorSystem]) -> actors.ActorSystem:
    return actor_system_factory(clock=actors.ManualClock(now=NOW), node="n1@host")


@st.composite
def allowed_messages(draw: st.DrawFn, cls: type[Any]) -> Any:
    """A valid message of ``cls`` whose restricted fields hold allowed values."""
    message = draw(messages_of(cls))
    spec = m.spec_for(cls)
    assert spec is not None
    allowed = {name: draw(st.sampled_from(sorted(values))) for name, values in spec.choices.items()}
    return attrs.evolve(message, **allowed)


SHARED_SYSTEM = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
"""One system for all examples of a test: building a message leaves nothing behind."""


@pytest.mark.parametrize("cls", BUILT_BY_FIELDS, ids=lambda cls: cls.__name__)
@SHARED_SYSTEM
@given(data=st.data())
def test_new_given_every_field_builds_exactly_that_message(
    cls: type[Any], data: st.DataObject, system: actors.ActorSystem
) -> None:
    message = data.draw(allowed_messages(cls))
    fields = {a.name: getattr(message, a.name) for a in attrs.fields(cls)}

    assert message == m.new(cls, **fields, system=system)


@pytest.mark.parametrize(
    "cls",
    [cls for cls in BUILT_BY_FIELDS if getattr(m.spec_for(cls), "choices", None)],
    ids=lambda c: c.__name__,
)
@SHARED_SYSTEM
@given(data=st.data())
def test_a_value_outside_a_vocabulary_is_refused_naming_the_field_and_the_values(
    cls: type[Any], data: st.DataObject, system: actors.ActorSystem
) -> None:
    message = data.draw(allowed_messages(cls))
    spec = m.spec_for(cls)
    assert spec is not None
    name = data.draw(st.sampled_from(sorted(spec.choices)))
    value = data.draw(st.text(min_size=1, max_size=8).filter(lambda v: v not in spec.choices[name]))
    fields = {a.name: getattr(message, a.name) for a in attrs.fields(cls)} | {name: value}

    with pytest.raises(ValueError, match=rf"{spec.kind}\(\): {name} must be one of ") as caught:
        m.new(cls, **fields, system=system)

    assert all(repr(allowed) in str(caught.value) for allowed in spec.choices[name])


def test_the_original_factory_and_new_are_the_same_constructor(system: actors.ActorSystem) -> None:
    via_new = m.new(m.NodeHealth, "a@host", "healthy", {"db": "pass"}, load_avg=2, system=system)
    via_factory = compat.node_health("a@host", "healthy", {"db": "pass"}, load_avg=2, system=system)

    assert via_new == via_factory
    assert (
        m.NodeHealth(
            node="a@host",
            status="healthy",
            checks={"db": "pass"},
            load_avg=2.0,
            timestamp=NOW,
        )
        == via_new
    )


def test_factories_show_the_original_signature() -> None:
    assert "(severity, category, title, description, source, *, alert_id=None, node=None, " in str(
        inspect.signature(compat.system_alert)
    )
    assert "(feature, enabled, previous_state, changed_by, *" in str(
        inspect.signature(compat.feature_toggle)
    )
    assert "system_alert" == compat.system_alert.__name__


@pytest.mark.parametrize(
    ("make", "error", "text"),
    [
        (
            lambda s: m.new(m.NodeHealth, "a", "healthy", {}, 1, system=s),
            TypeError,
            r"node_health\(\) takes 3 positional arguments \(node, status, checks\) but 4",
        ),
        (
            lambda s: m.new(m.NodeHealth, "a", "healthy", colour="red", system=s),
            TypeError,
            r"node_health\(\) got an unexpected keyword argument 'colour'",
        ),
        (
            lambda s: m.new(m.NodeHealth, "a", "healthy", node="b", system=s),
            TypeError,
            r"node_health\(\) got multiple values for argument 'node'",
        ),
        (
            lambda s: m.new(m.FeatureToggle, "f", True, changed_by="me", system=s),
            TypeError,
            r"feature_toggle\(\) missing required arguments: 'previous_state'",
        ),
        (
            lambda s: m.new(m.ProcessLifecycle, "urn:1", "W", system=s),
            TypeError,
            r"process_lifecycle\(\) missing required arguments: 'event'",
        ),
        (
            lambda s: m.new(dict, system=s),
            TypeError,
            r"'dict' is not a catalogue message class",
        ),
    ],
    ids=["too_many", "unknown", "twice", "missing", "missing_alias", "not_a_message"],
)
def test_calls_the_signature_does_not_allow_are_refused_like_python_does(
    system: actors.ActorSystem, make: Callable[[Any], Any], error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match=text):
        make(system)


@pytest.mark.parametrize(
    ("make", "text"),
    [
        (lambda s: compat.node_health(None, None, None, system=s), "needs node, status"),
        (lambda s: compat.node_health(1, "healthy", system=s), "node must be a str"),
        (
            lambda s: compat.node_health("a", "healthy", {"x": object()}, system=s),
            r"checks must be dict\[str, Any\], got dict",
        ),
        (
            lambda s: compat.data_change("u", "order", "o-1", "update", changes=[1], system=s),
            r"changes must be dict\[str, Any\], got list \[1\]",
        ),
        (lambda s: compat.cluster_health("healthy", "3", 3, system=s), "healthy_nodes must be int"),
        (
            lambda s: compat.node_health("a", "healthy", timestamp="now", system=s),
            "timestamp must be a datetime, got 'now'",
        ),
    ],
)
def test_a_factory_refuses_a_wrong_type_naming_the_field(
    system: actors.ActorSystem, make: Callable[[Any], Any], text: str
) -> None:
    with pytest.raises(TypeError, match=text):
        make(system)


def test_a_naive_timestamp_is_refused_by_a_factory(system: actors.ActorSystem) -> None:
    with pytest.raises(ValueError, match="timestamp must be timezone-aware UTC"):
        compat.node_health("a", "healthy", timestamp=datetime(2026, 1, 1), system=system)


@pytest.mark.parametrize(
    ("make", "field", "values"),
    [
        (
            lambda s: compat.system_alert("apocalyptic", "system", "t", "d", "src", system=s),
            "severity",
            "'critical', 'error', 'info', 'warning'",
        ),
        (
            lambda s: compat.node_health("a@host", "exploded", system=s),
            "status",
            "'degraded', 'healthy', 'unhealthy', 'unknown'",
        ),
        (
            lambda s: compat.cluster_health("healthy", 1, 1, quorum_status="maybe", system=s),
            "quorum_status",
            "'available', 'lost'",
        ),
        (
            lambda s: compat.log_entry("verbose", "hello", "app", system=s),
            "level",
            "'critical', 'debug', 'error', 'info', 'warn'",
        ),
    ],
    ids=["alert_severity", "health_status", "quorum", "log_level"],
)
def test_a_factory_refuses_values_outside_the_vocabulary(
    system: actors.ActorSystem, make: Callable[[Any], Any], field: str, values: str
) -> None:
    with pytest.raises(ValueError, match=f"{field} must be one of {values}; got '"):
        make(system)


def test_an_alert_with_an_unknown_severity_is_refused_before_it_is_broadcast(
    system: actors.ActorSystem,
) -> None:
    with pytest.raises(ValueError, match="severity must be one of 'critical', 'error'"):
        integration.broadcast_alert("node_failure", "apocalyptic", "Node down", system=system)


def test_decoding_still_reads_values_a_newer_sender_added(system: actors.ActorSystem) -> None:
    data = m.to_dict(compat.node_health("a@host", "healthy", system=system))

    decoded = m.from_dict(data | {"status": "hibernating"})

    assert "hibernating" == decoded.status
    assert m.validate(decoded)


def test_arguments_are_normalised_as_their_fields_declare(system: actors.ActorSystem) -> None:
    nodes = ["b@host", "c@host"]

    cluster = compat.cluster_health("degraded", 1, 3, degraded_nodes=iter(nodes), system=system)
    metric = compat.performance_metric("queue", 3, "messages", system=system)

    assert ("b@host", "c@host") == cluster.degraded_nodes
    assert (3.0, float) == (metric.value, type(metric.value))


def test_none_means_the_default_for_fields_that_have_one(system: actors.ActorSystem) -> None:
    made = compat.alert_escalation(
        "a1", "level1", "level2", "no ack", escalated_by=None, notify_contacts=None, system=system
    )

    assert ("system", ()) == (made.escalated_by, made.notify_contacts)
