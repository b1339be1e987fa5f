"""EventSource: build an event around the code that produces its data.

event_bus's ``use EventBus.EventSource`` with ``build(params) do ... end``
and ``notify(params) do ... end``, as a function taking a zero-argument
callable, or as a context manager::

    event = EventSource.build({"topic": "user_created"}, lambda: {"name": "Jane"})

    data = EventSource.notify({"topic": "user_created", "error_topic": "user_create_erred"},
                              create_user)

    with EventSource.notify({"topic": "user_created"}) as source:
        source.data = {"name": "Jane"}

``params`` is a mapping with ``"topic"`` (required) and optionally ``"id"``,
``"transaction_id"``, ``"source"``, ``"ttl"`` and ``"error_topic"``. The
event gets:

* ``initialized_at`` before the code runs and ``occurred_at`` after it, from
  the system clock (wall time since the Unix epoch) in the configured
  ``time_unit`` (default microseconds); they cannot be given in ``params``;
* ``id`` from ``params`` or the configured ``id_generator``;
* ``transaction_id`` from ``params``, else the id;
* ``source`` from ``params``, else the configured ``source``, else the name
  of the module the code comes from (event_bus uses the calling module);
* ``ttl`` from ``params``, else the configured ``ttl``;
* ``topic``: ``params["error_topic"]`` (or ``params["topic"]`` without one)
  if the code returned a 2-tuple ``("error", reason)``, whose whole tuple is
  then the data; otherwise ``params["topic"]``.

Settings come from the system's running bus, else from
``system.config["eventbus"]``. The code runs in the caller's thread; an
exception in it propagates and nothing is built.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final, overload

import actors
from actors.eventbus._bus import EventBus
from actors.eventbus._errors import NotRunning, UnknownTopic
from actors.eventbus._event import Event, check_event_id, check_topic
from actors.eventbus._settings import TIME_UNITS, Settings, resolve_settings
from actors.lowlevel import resolve_system

__all__ = ["EventSource", "SourceBlock", "now_in"]

PARAMS: Final = ("id", "topic", "transaction_id", "source", "ttl", "error_topic")
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
_UNSET: Final = object()


def now_in(clock: actors.Clock, unit: str) -> int:
    """The clock's wall time since the Unix epoch, as an int in ``unit``."""
    micros = (clock.now() - _EPOCH) // _MICROSECOND
    per_second = TIME_UNITS[unit]
    if per_second >= 1_000_000:
        return micros * (per_second // 1_000_000)
    return micros // (1_000_000 // per_second)


def _settings(system: actors.ActorSystem) -> Settings:
    try:
        return EventBus.of(system).settings
    except NotRunning:
        return resolve_settings(system, {})


def _check_params(params: Any, what: str) -> dict[str, Any]:
    if not isinstance(params, Mapping):
        msg = f"{what}: params must be a mapping, got {type(params).__name__} {params!r:.80}"
        raise TypeError(msg)
    unknown = [k for k in params if k not in PARAMS]
    if unknown:
        msg = (
            f"{what}: unknown params {', '.join(map(repr, unknown))}; expected {', '.join(PARAMS)}"
        )
        raise ValueError(msg)
    if "topic" not in params:
        msg = f"{what}: params must name a 'topic'"
        raise ValueError(msg)
    checked = dict(params)
    check_topic(checked["topic"], f"{what}: params['topic']")
    if checked.get("error_topic") is not None:
        check_topic(checked["error_topic"], f"{what}: params['error_topic']")
    return checked


def _is_error(result: Any) -> bool:
    return type(result) is tuple and len(result) == 2 and result[0] == "error"


class _Build:
    """One build: the clock reading before the code, the rest after it."""

    def __init__(self, params: Any, what: str, system: actors.ActorSystem | None) -> None:
        self.params = _check_params(params, what)
        self.system = resolve_system(system)
        self.settings = _settings(self.system)
        self.initialized_at = now_in(self.system.clock, self.settings.time_unit)

    def finish(self, result: Any, module: str | None) -> Event:
        params, settings = self.params, self.settings
        occurred_at = now_in(self.system.clock, settings.time_unit)
        topic = params["topic"]
        if _is_error(result):
            topic = params.get("error_topic") or topic
        event_id = params.get("id")
        if event_id is None:
            made = settings.id_generator()
            event_id = check_event_id(made, f"the id_generator {settings.id_generator!r} returned")
        transaction_id = params.get("transaction_id")
        source = params.get("source")
        if source is None:
            source = settings.source if settings.source is not None else module
        ttl = params.get("ttl")
        return Event(
            event_id,
            topic,
            result,
            transaction_id=event_id if transaction_id is None else transaction_id,
            source=source,
            initialized_at=self.initialized_at,
            occurred_at=occurred_at,
            ttl=settings.ttl if ttl is None else ttl,
        )


class SourceBlock:
    """The context manager form of :meth:`EventSource.build` and
    :meth:`EventSource.notify`: set :attr:`data` (or call :meth:`error`)
    inside the ``with`` block; the event is built (and notified) when the
    block ends without an exception.

    Attributes:
        data: what the block produced (``("error", reason)`` routes the
            event to the error topic).
        event: the built event, after the block.
        result: what the function form would return: the event for
            ``build``, the data for ``notify``.
    """

    def __init__(self, build: _Build, module: str | None, notify: bool, wait: bool) -> None:
        self._build = build
        self._module = module
        self._notify = notify
        self._wait = wait
        self.data: Any = _UNSET
        self.event: Event | None = None
        self.result: Any = None

    def error(self, reason: Any) -> None:
        """Make the data ``("error", reason)``."""
        self.data = ("error", reason)

    def __enter__(self) -> SourceBlock:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            return
        if self.data is _UNSET:
            msg = "set .data (or call .error(reason)) inside the EventSource block"
            raise ValueError(msg)
        self.event = self._build.finish(self.data, self._module)
        if self._notify:
            _notify(self.event, self._build.system, self._wait)
            self.result = self.data
        else:
            self.result = self.event


def _notify(event: Event, system: actors.ActorSystem, wait: bool) -> None:
    EventBus.of(system).notify(event, wait=wait)


def _check_registered(build: _Build) -> None:
    """Refuse before the code runs if a topic it could go to is unknown."""
    bus = EventBus.of(build.system)
    for key in ("topic", "error_topic"):
        topic = build.params.get(key)
        if topic is not None and not bus.topic_exist(topic):
            raise UnknownTopic(topic)


def _module_of(fn: Callable[[], Any] | None, depth: int) -> str | None:
    if fn is not None:
        name = getattr(fn, "__module__", None)
        if isinstance(name, str):
            return name
    frame = sys._getframe(depth + 1)
    name = frame.f_globals.get("__name__")
    return name if isinstance(name, str) else None


class EventSource:
    """See the module docstring. Both methods take ``system=`` (resolved as
    usual: explicit, the calling actor's, the current ``with`` block's, the
    default)."""

    @overload
    @staticmethod
    def build(
        params: Mapping[str, Any],
        fn: Callable[[], Any],
        *,
        system: actors.ActorSystem | None = None,
    ) -> Event: ...

    @overload
    @staticmethod
    def build(
        params: Mapping[str, Any], fn: None = None, *, system: actors.ActorSystem | None = None
    ) -> SourceBlock: ...

    @staticmethod
    def build(
        params: Mapping[str, Any],
        fn: Callable[[], Any] | None = None,
        *,
        system: actors.ActorSystem | None = None,
    ) -> Event | SourceBlock:
        """The :class:`Event` around ``fn()``'s result; without ``fn``, a
        :class:`SourceBlock` context manager.

        Raises:
            TypeError, ValueError: bad params, an id generator returning a
                bad id, or data that is not JSON.
        """
        if fn is not None and not callable(fn):
            msg = f"EventSource.build: fn must be callable, got {type(fn).__name__} {fn!r:.80}"
            raise TypeError(msg)
        build = _Build(params, "EventSource.build", system)
        module = _module_of(fn, 1)
        if fn is None:
            return SourceBlock(build, module, notify=False, wait=True)
        return build.finish(fn(), module)

    @overload
    @staticmethod
    def notify(
        params: Mapping[str, Any],
        fn: Callable[[], Any],
        *,
        wait: bool = True,
        system: actors.ActorSystem | None = None,
    ) -> Any: ...

    @overload
    @staticmethod
    def notify(
        params: Mapping[str, Any],
        fn: None = None,
        *,
        wait: bool = True,
        system: actors.ActorSystem | None = None,
    ) -> SourceBlock: ...

    @staticmethod
    def notify(
        params: Mapping[str, Any],
        fn: Callable[[], Any] | None = None,
        *,
        wait: bool = True,
        system: actors.ActorSystem | None = None,
    ) -> Any:
        """:meth:`build`, then :func:`~actors.eventbus.notify`; returns what
        ``fn`` returned (the data; ``("error", reason)`` when it failed).
        Without ``fn``, a :class:`SourceBlock` context manager.

        Raises:
            NotRunning: no bus runs in the system.
            UnknownTopic: the (error) topic is not registered.
            TypeError, ValueError: as :meth:`build`.
        """
        if fn is not None and not callable(fn):
            msg = f"EventSource.notify: fn must be callable, got {type(fn).__name__} {fn!r:.80}"
            raise TypeError(msg)
        build = _Build(params, "EventSource.notify", system)
        _check_registered(build)
        module = _module_of(fn, 1)
        if fn is None:
            return SourceBlock(build, module, notify=True, wait=wait)
        result = fn()
        _notify(build.finish(result, module), build.system, wait)
        return result
