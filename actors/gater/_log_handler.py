"""A ``logging.Handler`` that publishes log records as ``LogEntry`` messages.

::

    handler = integration.install_log_handler(system, service="orders")
    logging.getLogger("orders.db").warning("slow query")
    # -> ("log_entry", LogEntry(level="warn", ...)) on ex_esdb_logging "logs:orders:warn"
    integration.remove_log_handler(handler)

Three rules keep logging safe:

* **No loops.** Records of the ``actors`` logger hierarchy (the framework,
  pub/sub, this integration) are skipped by default; a thread-local guard
  drops anything logged while a record is being published in the same
  thread; and a record logged by an actor that would itself receive it (a
  subscriber logging as it handles a log entry) is skipped, since
  publishing it would feed the subscriber its own output forever.
* **No waiting.** :meth:`PubSubLogHandler.handle` does not take the
  handler's lock (the broadcast is thread-safe), so logging threads never
  queue behind each other, and records are broadcast with ``wait=False``:
  a subscriber whose mailbox is full under the ``block`` policy (the
  instance's or its own subscription's) misses the record, counted as
  dropped on the instance, rather than make the logging caller wait.
* **No exceptions.** ``emit`` never raises; an unexpected error goes to
  :meth:`logging.Handler.handleError`.

Nothing is logged about failed publications either (that would loop or
flood stderr); they are counted on the handler.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Final

import actors
from actors import messages
from actors.gater._integration import enabled
from actors.lowlevel import current_process, resolve_system
from actors.pubsub import InvalidTopic, PubSubManager, instances

__all__ = [
    "LOG_TOPIC_PREFIX",
    "PubSubLogHandler",
    "install_log_handler",
    "log_level",
    "log_topic",
    "remove_log_handler",
]

logger = logging.getLogger("actors.gater.integration")

LOG_TOPIC_PREFIX: Final = "logs"

_guard = threading.local()


def log_level(levelno: int) -> str:
    """The catalogue's level for a ``logging`` level number: ``"debug"``,
    ``"info"``, ``"warn"``, ``"error"`` or ``"critical"`` (custom levels go
    to the nearest standard level at or below them)."""
    if levelno >= logging.CRITICAL:
        return "critical"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warn"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


def log_topic(service: str, level: str) -> str:
    """``"logs:<service>:<level>"``, the topic a record is published on."""
    return f"{LOG_TOPIC_PREFIX}:{service}:{level}"


def _is_framework(name: str) -> bool:
    return name == "actors" or name.startswith("actors.")


class PubSubLogHandler(logging.Handler):
    """Publish each record as ``("log_entry", LogEntry)`` on ``ex_esdb_logging``,
    topic ``logs:<service>:<level>``.

    :meth:`emit` runs in the thread that logged (any thread, an actor's
    included) and returns without waiting on anyone (see the module
    docstring). Records are skipped while the integration is disabled, the
    system is shut down, or ``ex_esdb_logging`` is not running.

    The entry: ``level`` from :func:`log_level`; ``message`` is
    ``record.getMessage()``; ``module``, ``function``, ``line`` from the
    record; ``pid`` is the id of the actor that logged, if any; the
    timestamp comes from the system clock (``system.timestamp()``); ``metadata`` holds
    ``logger``, ``thread``, ``process`` and, when present, ``exception``
    (the formatted traceback) and ``stack``.

    Args:
        system: the actor system to publish in (default: the calling
            actor's, else the default system).
        level: the handler's level.
        service: the topic's service part; default each record's logger name.
        include_actors: also publish records of the ``actors`` loggers
            (off by default: they are what publishing itself may log).

    Attributes:
        published: records broadcast.
        skipped: records not broadcast on purpose (disabled, no instance,
            feedback).
        failed: records whose broadcast returned an error.
    """

    def __init__(
        self,
        system: actors.ActorSystem | None = None,
        level: int | str = logging.NOTSET,
        *,
        service: str | None = None,
        include_actors: bool = False,
    ) -> None:
        super().__init__(level)
        if service is not None and (not isinstance(service, str) or not service):
            msg = f"service must be a non-empty str or None, got {service!r}"
            raise TypeError(msg)
        self.system = resolve_system(system)
        self.service = service
        self.include_actors = include_actors
        self.published = self.skipped = self.failed = 0
        self._counts = threading.Lock()
        self._installed: tuple[logging.Logger, int | None] | None = None

    def __repr__(self) -> str:
        return f"<PubSubLogHandler {self.system.name!r} service={self.service!r}>"

    def handle(self, record: logging.LogRecord) -> bool:
        """Filter and emit without the handler's lock: the broadcast is
        thread-safe, and a lock here would make every logging thread wait
        behind the one publishing."""
        result = self.filter(record)
        if isinstance(result, logging.LogRecord):
            record = result
        if result:
            self.emit(record)
        return bool(result)

    def emit(self, record: logging.LogRecord) -> None:
        """Publish ``record``; runs in the logging thread and never raises."""
        if getattr(_guard, "active", False):
            return  # logged while publishing, in this thread
        if not self.include_actors and _is_framework(record.name):
            return
        _guard.active = True
        try:
            self._publish(record)
        except Exception:
            self.handleError(record)
        finally:
            _guard.active = False

    def _publish(self, record: logging.LogRecord) -> None:
        system = self.system
        handle = PubSubManager.of(system).get(instances.LOGGING)
        if not system.running or not enabled(system) or handle is None or handle.state == "stopped":
            self._count("skipped")
            return
        level = log_level(record.levelno)
        topic = log_topic(self.service or record.name, level)
        me = current_process()
        try:
            if me is not None and any(
                getattr(ref, "id", None) == me.id for ref, _ in handle.subscribers(topic)
            ):
                self._count("skipped")  # it would receive its own record: a feedback loop
                return
        except InvalidTopic:
            self._count("failed")  # a logger name that cannot be a topic ("*")
            return
        entry = messages.new(
            messages.LogEntry,
            level,
            record.getMessage(),
            record.module,
            function=record.funcName,
            line=record.lineno,
            metadata=self._metadata(record),
            system=system,
        )
        result = handle.broadcast(topic, (entry.TAG, entry), wait=False)
        self._count("published" if result else "failed")

    def _metadata(self, record: logging.LogRecord) -> dict[str, Any]:
        metadata: dict[str, Any] = {
            "logger": record.name,
            "thread": record.threadName,
            "process": record.process,
        }
        if record.exc_info:
            formatter = self.formatter or _FORMATTER
            metadata["exception"] = formatter.formatException(record.exc_info)
        elif record.exc_text:
            metadata["exception"] = record.exc_text
        if record.stack_info:
            metadata["stack"] = record.stack_info
        return metadata

    def _count(self, what: str) -> None:
        with self._counts:
            setattr(self, what, getattr(self, what) + 1)


_FORMATTER: Final = logging.Formatter()


def install_log_handler(
    system: actors.ActorSystem | None = None,
    level: int | str = logging.INFO,
    logger: logging.Logger | str | None = None,
    service: str | None = None,
    *,
    include_actors: bool = False,
) -> PubSubLogHandler:
    """Attach a :class:`PubSubLogHandler` to ``logger`` (a logger or its name;
    default the root logger) and return it; ``service`` and
    ``include_actors`` as for the handler.

    If ``logger`` would drop records below ``level`` (its effective level is
    higher), its level is lowered to ``level``; :func:`remove_log_handler`
    puts it back.
    """
    target = logger if isinstance(logger, logging.Logger) else logging.getLogger(logger)
    handler = PubSubLogHandler(system, level, service=service, include_actors=include_actors)
    previous: int | None = None
    if target.getEffectiveLevel() > handler.level:
        previous = target.level
        target.setLevel(handler.level)
    handler._installed = (target, previous)
    target.addHandler(handler)
    return handler


def remove_log_handler(handler: PubSubLogHandler) -> None:
    """Detach a handler that :func:`install_log_handler` attached, restore the
    logger's level if it lowered it (and nobody changed it since), and close
    the handler. Idempotent."""
    if not isinstance(handler, PubSubLogHandler):
        msg = f"remove_log_handler() takes a PubSubLogHandler, got {type(handler).__name__}"
        raise TypeError(msg)
    installed, handler._installed = handler._installed, None
    if installed is not None:
        target, previous = installed
        target.removeHandler(handler)
        if previous is not None and target.level == handler.level:
            target.setLevel(previous)
    handler.close()
