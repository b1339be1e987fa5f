"""PubSubLogHandler: log records as LogEntry messages on ex_esdb_logging."""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import actors
from actors import gater, messages, pubsub
from actors.gater import integration
from actors.pubsub import PubSub, PubSubManager, instances
from actors.testing import ANY, Probe, settle

_names = itertools.count(1)


@pytest.fixture
def system(actor_system: actors.ActorSystem) -> actors.ActorSystem:
    gater.start(actor_system, audit=False)
    return actor_system


@pytest.fixture
def app_logger() -> Iterator[logging.Logger]:
    """A logger of its own per test, so handlers never leak between tests."""
    log = logging.getLogger(f"tests.app{next(_names)}")
    yield log
    for handler in list(log.handlers):
        if isinstance(handler, integration.PubSubLogHandler):
            integration.remove_log_handler(handler)


@pytest.fixture
def handler(system: actors.ActorSystem, app_logger: logging.Logger) -> integration.PubSubLogHandler:
    return integration.install_log_handler(system, logger=app_logger, service="app")


def subscribe(system: actors.ActorSystem, topic: str, probe: Probe) -> None:
    pubsub.subscribe(instances.LOGGING, topic, probe, system=system)


def test_a_record_arrives_as_a_log_entry_on_the_service_and_level_topic(
    system: actors.ActorSystem,
    probe: Probe,
    app_logger: logging.Logger,
    handler: integration.PubSubLogHandler,
) -> None:
    subscribe(system, "logs:app:warn", probe)

    app_logger.warning("slow query: %d ms", 1250)
    tag, entry = probe.receive()

    assert messages.LogEntry.TAG == tag
    assert ("warn", "slow query: 1250 ms", "test_integration_log_handler", system.node) == (
        entry.level,
        entry.message,
        entry.module,
        entry.node,
    )
    assert "test_a_record_arrives_as_a_log_entry_on_the_service_and_level_topic" == entry.function
    assert app_logger.name == entry.metadata["logger"]
    assert messages.validate(entry)
    assert 1 == handler.published


def test_the_service_defaults_to_the_logger_name(
    system: actors.ActorSystem, probe: Probe, app_logger: logging.Logger
) -> None:
    integration.install_log_handler(system, logger=app_logger)
    subscribe(system, f"logs:{app_logger.name}:info", probe)

    app_logger.info("hello")

    assert ("log_entry", ANY) == probe.receive()


LEVELS = [
    (logging.DEBUG, "debug"),
    (logging.INFO, "info"),
    (logging.WARNING, "warn"),
    (logging.ERROR, "error"),
    (logging.CRITICAL, "critical"),
    (25, "info"),
    (5, "debug"),
    (60, "critical"),
]


@pytest.mark.parametrize(("levelno", "level"), LEVELS)
def test_logging_levels_map_to_the_catalogue_levels(levelno: int, level: str) -> None:
    assert level == integration.log_level(levelno)


def test_a_record_with_an_exception_carries_its_traceback(
    system: actors.ActorSystem,
    probe: Probe,
    app_logger: logging.Logger,
    handler: integration.PubSubLogHandler,
) -> None:
    subscribe(system, "logs:app:error", probe)

    try:
        raise ValueError("bad input")
    except ValueError:
        app_logger.exception("it failed")
    _, entry = probe.receive()

    assert "ValueError: bad input" in entry.metadata["exception"]


def test_records_below_the_handler_level_are_not_published(
    system: actors.ActorSystem,
    probe: Probe,
    app_logger: logging.Logger,
    handler: integration.PubSubLogHandler,
) -> None:
    subscribe(system, "logs:app:*", probe)

    app_logger.debug("too chatty")

    settle(system)
    probe.refute(ANY, timeout=0)


def test_every_record_of_many_logging_threads_arrives_exactly_once(
    system: actors.ActorSystem,
    probe: Probe,
    app_logger: logging.Logger,
    handler: integration.PubSubLogHandler,
) -> None:
    subscribe(system, "logs:app:*", probe)
    threads, per_thread = 8, 50
    start = threading.Barrier(threads)

    def log_some(n: int) -> None:
        start.wait()
        for i in range(per_thread):
            app_logger.log(logging.INFO if i % 2 else logging.ERROR, "thread %d record %d", n, i)

    workers = [threading.Thread(target=log_some, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(10)
    received = [probe.receive(timeout=5) for _ in range(threads * per_thread)]
    settle(system)
    probe.refute(ANY, timeout=0)

    expected = sorted(
        (f"logs:app:{'info' if i % 2 else 'error'}", f"thread {n} record {i}")
        for n in range(threads)
        for i in range(per_thread)
    )
    assert expected == sorted((f"logs:app:{e.level}", e.message) for _, e in received)
    assert (threads * per_thread, 0) == (handler.published, handler.failed)


def test_framework_records_are_not_published_by_default(
    system: actors.ActorSystem, probe: Probe
) -> None:
    framework = logging.getLogger("actors.pubsub")
    handler = integration.install_log_handler(system, logger=framework, service="fw")
    subscribe(system, "logs:fw:*", probe)
    try:
        framework.warning("pub/sub noise")
    finally:
        integration.remove_log_handler(handler)

    settle(system)
    probe.refute(ANY, timeout=0)


def test_records_logged_while_publishing_in_the_same_thread_are_dropped(
    system: actors.ActorSystem,
    probe: Probe,
    app_logger: logging.Logger,
    handler: integration.PubSubLogHandler,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    subscribe(system, "logs:app:*", probe)
    original = PubSub.broadcast

    def logging_broadcast(self: PubSub, topic: str, message: Any, **options: Any) -> Any:
        app_logger.error("pub/sub logs while it delivers")  # would recurse forever
        return original(self, topic, message, **options)

    monkeypatch.setattr(PubSub, "broadcast", logging_broadcast)

    app_logger.info("outer")
    _, entry = probe.receive()

    assert "outer" == entry.message
    settle(system)
    probe.refute(ANY, timeout=0)


class Echo(actors.GenServer):
    """A subscriber that logs every entry it receives, then forwards it."""

    def init(self, logger_name: str, forward: Probe) -> None:
        pubsub.subscribe(instances.LOGGING, "logs:app:info")
        self.log = logging.getLogger(logger_name)
        self.forward = forward

    def handle_info(self, message: Any) -> None:
        match message:
            case ("log_entry", entry):
                self.log.info("echo saw %r", entry.message)
                actors.send(self.forward, entry.message)


def test_a_subscriber_that_logs_what_it_receives_does_not_feed_itself(
    system: actors.ActorSystem,
    probe: Probe,
    app_logger: logging.Logger,
    handler: integration.PubSubLogHandler,
) -> None:
    Echo.start(app_logger.name, probe, system=system)

    for i in range(5):
        app_logger.info("record %d", i)
    received = [probe.receive() for _ in range(5)]

    assert [f"record {i}" for i in range(5)] == received
    settle(system)
    probe.refute(ANY, timeout=0)
    assert 5 == handler.skipped


def test_emit_never_raises_on_a_broken_record(
    system: actors.ActorSystem,
    probe: Probe,
    app_logger: logging.Logger,
    handler: integration.PubSubLogHandler,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    subscribe(system, "logs:app:*", probe)
    errors: list[logging.LogRecord] = []
    monkeypatch.setattr(handler, "handleError", errors.append)

    record = app_logger.makeRecord(
        app_logger.name, logging.INFO, __file__, 1, "%d apples", ("three",), None
    )

    handler.handle(record)  # pytest's own handler would raise on it, so not via the logger

    assert ["%d apples"] == [record.msg for record in errors]
    settle(system)
    probe.refute(ANY, timeout=0)


def test_nothing_is_published_while_disabled_or_without_the_logging_instance(
    actor_system: actors.ActorSystem, app_logger: logging.Logger
) -> None:
    handler = integration.install_log_handler(actor_system, logger=app_logger, service="app")

    app_logger.info("no gater yet")
    gater.start(actor_system, audit=False)
    integration.disable(actor_system)
    app_logger.info("disabled")

    assert (0, 2, 0) == (handler.published, handler.skipped, handler.failed)


def test_a_full_blocking_subscriber_misses_records_instead_of_making_the_caller_wait(
    actor_system: actors.ActorSystem, app_logger: logging.Logger
) -> None:
    # A long block_timeout: waiting would show as a stall and a "failed"
    # (timed-out) delivery, not as the drop asserted below.
    logs = PubSubManager.of(actor_system).ensure(
        instances.LOGGING, overflow="block", mailbox_limit=1, block_timeout=30
    )
    gate, entered = threading.Event(), threading.Event()
    with Probe(actor_system) as probe:
        stuck = _Stuck.start(gate, entered, probe, system=actor_system)
        actors.send(stuck, "hold")
        assert entered.wait(5)
        subscribe(actor_system, "logs:app:*", stuck)  # type: ignore[arg-type]
        logs.subscribe("logs:app:*", probe, mailbox_limit=None)  # sees every record
        handler = integration.install_log_handler(actor_system, logger=app_logger, service="app")

        app_logger.info("one")  # fills the stuck subscriber's mailbox
        app_logger.info("two")  # finds it full

        stats = logs.statistics()
        assert (2, 1, 0) == (handler.published, stats.dropped, stats.failed)
        messages_seen = [probe.receive()[1].message for _ in range(2)]
        gate.set()
        assert ["one", "two"] == messages_seen
        assert "one" == probe.receive()


class _Stuck(actors.GenServer):
    """Holds its first message until the gate opens, then forwards log messages."""

    def init(self, gate: threading.Event, entered: threading.Event, probe: Probe) -> None:
        self.gate, self.entered, self.probe = gate, entered, probe

    def handle_info(self, message: Any) -> None:
        if message == "hold":
            self.entered.set()
            self.gate.wait(10)  # deliberately not actors.blocking(): the mailbox fills
            return
        actors.send(self.probe, message[1].message)


def test_installing_lowers_the_logger_level_and_removing_restores_it(
    system: actors.ActorSystem, app_logger: logging.Logger
) -> None:
    app_logger.setLevel(logging.WARNING)

    handler = integration.install_log_handler(system, level=logging.DEBUG, logger=app_logger)
    installed = (app_logger.level, handler in app_logger.handlers)
    integration.remove_log_handler(handler)

    assert (logging.DEBUG, True) == installed
    assert (logging.WARNING, False) == (app_logger.level, handler in app_logger.handlers)


def test_remove_log_handler_is_idempotent_and_checks_its_argument(
    system: actors.ActorSystem, app_logger: logging.Logger
) -> None:
    handler = integration.install_log_handler(system, logger=app_logger)

    integration.remove_log_handler(handler)
    integration.remove_log_handler(handler)

    assert handler not in app_logger.handlers
    with pytest.raises(TypeError):
        integration.remove_log_handler(logging.NullHandler())  # type: ignore[arg-type]
