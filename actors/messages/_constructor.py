"""One constructor for every catalogue message: :func:`new`.

It takes the original factory's positional arguments (``node_health(node,
status, checks)``, ``system_alert(severity, category, title, description,
source)``...), every other field as a keyword, and fills in what the caller
leaves out (``None`` counts as left out, except for the positional
arguments that have no default):

* ``timestamp``: the system clock's now, truncated to milliseconds;
* node fields (``node``, ``originating_node``) that are not positional
  arguments: the system's node;
* fields with a :func:`~actors.messages._base.filled` rule: fresh ids with
  their prefix, derived values (``requires_ack``, ``total_nodes``...);
* other fields: their class default (``checks={}``, ``severity="medium"``).

Arguments are normalised as the fields declare (maps are copied, any
iterable given for a tuple field becomes a tuple, ints given to float fields
become floats), and the message is checked before it is returned: a factory
never makes a message the validator or its receivers would refuse.
"""

from __future__ import annotations

import inspect
import reprlib
import threading
import typing
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import attrs

from actors import Error
from actors.lowlevel import resolve_system
from actors.messages._base import Filling, MessageSpec, Rule, spec_for
from actors.messages._kinds import as_tuple
from actors.messages._validation import NODE_FIELDS, validate

if TYPE_CHECKING:
    from actors import ActorSystem

__all__ = ["Factory", "new"]

M = TypeVar("M")

_NO_RULE: Final = Rule()
_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60


@attrs.frozen
class _Field:
    name: str
    rule: Rule
    normalise: Callable[[Any], Any] | None
    default: bool
    """Whether the class has a default for the field."""
    node: bool
    """Whether a factory gives it the system's node when left out."""


@attrs.frozen
class _Plan:
    """How :func:`new` builds one class, worked out once from its spec."""

    spec: MessageSpec
    fields: tuple[_Field, ...]
    positional: tuple[str, ...]
    """The fields the positional arguments go to."""
    names: Mapping[str, str]
    """Keyword argument -> field (aliases included)."""
    needed: frozenset[str]
    """Positional fields a caller must give."""

    def bind(self, args: tuple[Any, ...], keywords: dict[str, Any]) -> dict[str, Any]:
        spec = self.spec
        if len(args) > len(self.positional):
            msg = (
                f"{spec.kind}() takes {len(self.positional)} positional arguments "
                f"({', '.join(spec.args)}) but {len(args)} were given"
            )
            raise TypeError(msg)
        given = dict(zip(self.positional, args, strict=False))
        for key, value in keywords.items():
            name = self.names.get(key)
            if name is None:
                msg = f"{spec.kind}() got an unexpected keyword argument {key!r}"
                raise TypeError(msg)
            if name in given:
                msg = f"{spec.kind}() got multiple values for argument {key!r}"
                raise TypeError(msg)
            given[name] = value
        absent = [
            arg
            for arg, name in zip(spec.args, self.positional, strict=True)
            if name in self.needed and name not in given
        ]
        if absent:
            msg = f"{spec.kind}() missing required arguments: {', '.join(map(repr, absent))}"
            raise TypeError(msg)
        return given


_plans: dict[type[Any], _Plan] = {}
_plans_lock = threading.Lock()


def _plan(cls: type[Any]) -> _Plan:
    plan = _plans.get(cls)
    if plan is not None:
        return plan
    spec = spec_for(cls)
    if spec is None:
        msg = f"{getattr(cls, '__name__', cls)!r} is not a catalogue message class"
        raise TypeError(msg)
    with _plans_lock:
        plan = _plans.get(cls)
        if plan is not None:  # made by another thread meanwhile
            return plan
        attrs.resolve_types(cls)
        positional = tuple(spec.aliases.get(arg, arg) for arg in spec.args)
        fields = tuple(
            _Field(
                name=a.name,
                rule=spec.rules.get(a.name, _NO_RULE),
                normalise=as_tuple if _is_tuple(a.type) else None,
                default=a.default is not attrs.NOTHING,
                node=a.name in NODE_FIELDS and a.name not in positional,
            )
            for a in attrs.fields(cls)
        )
        names = {f.name: f.name for f in fields} | dict(spec.aliases)
        # As in Python, an argument before a required one is required too
        # (feature_toggle's previous_state).
        optional = {f.name for f in fields if f.default or f.rule.fill}
        needed: set[str] = set()
        for name in reversed(positional):
            if needed or name not in optional:
                needed.add(name)
        plan = _plans[cls] = _Plan(
            spec, fields, positional, MappingProxyType(names), frozenset(needed)
        )
    return plan


def _is_tuple(tp: Any) -> bool:
    """Whether ``tp`` is ``tuple[X, ...]`` or ``tuple[X, ...] | None``."""
    return any(typing.get_origin(part) is tuple for part in (tp, *typing.get_args(tp)))


def new(cls: type[M], /, *args: Any, system: ActorSystem | None = None, **fields: Any) -> M:
    """A message of class ``cls``, filled in and checked (see the module docstring).

    Runs in the caller's thread (fills included: ``pid`` is the calling actor's).

    ``new(NodeHealth, "a@host", "healthy")`` is the original's
    ``node_health("a@host", "healthy")``; the other fields are keywords
    (``load_avg=0.5``, ``timestamp=...``, ``node=...``).

    Args:
        cls: a catalogue message class.
        args: the original factory's positional arguments (``spec.args``).
        system: where time and node come from (see
            :func:`actors.current_system`).
        fields: any field by name.

    Raises:
        TypeError: for arguments the signature does not have, a missing
            positional argument, ``None`` for a required field, or a value
            of the wrong type (each named, with what was expected).
        ValueError: for a value outside the field's allowed values (named,
            with the values allowed), a timestamp that is not UTC, or a
            ``throughput_metric`` over no time.
    """
    plan = _plan(cls)
    given = plan.bind(args, fields)
    system = resolve_system(system)
    timestamp = given.get("timestamp")
    now = system.timestamp() if timestamp is None else timestamp
    values: dict[str, Any] = {"timestamp": now}
    later: list[_Field] = []
    for field in plan.fields:
        if field.name == "timestamp":
            continue
        value = given.get(field.name)
        if value is not None:
            prepare = field.rule.prepare or field.normalise
            values[field.name] = value if prepare is None else prepare(value)
        elif field.rule.fill is not None:
            later.append(field)
        elif field.node:
            values[field.name] = system.node
        elif not field.default:
            values[field.name] = None  # the check below names it
    made = Filling(system=system, now=now, values=MappingProxyType(values))
    for field in later:
        assert field.rule.fill is not None
        values[field.name] = field.rule.fill(made)
    message = cls(**values)
    _refuse_invalid(plan.spec, message)
    return message


def _refuse_invalid(spec: MessageSpec, message: Any) -> None:
    checked = validate(message)
    if isinstance(checked, Error):
        raise _problem(spec.kind, checked, message)
    for name, allowed in spec.choices.items():
        value = getattr(message, name)
        if value not in allowed:
            listed = ", ".join(repr(v) for v in sorted(allowed))
            msg = f"{spec.kind}(): {name} must be one of {listed}; got {_short.repr(value)}"
            raise ValueError(msg)


def _problem(kind: str, error: Error, message: Any) -> Exception:
    reason = error.reason
    if reason == "missing_fields":
        names = ", ".join(error.fields)
        return TypeError(f"{kind}() needs {names} (got None)")
    if reason == "invalid_node_fields":
        return TypeError(f"{kind}(): {_got(message, error.fields, 'a str (a node name)')}")
    if reason == "invalid_timestamp":
        value = _short.repr(message.timestamp)
        if error.detail == "not_datetime":
            return TypeError(f"{kind}(): timestamp must be a datetime, got {value}")
        return ValueError(f"{kind}(): timestamp must be timezone-aware UTC, got {value}")
    wrong = error.fields
    return TypeError(f"{kind}(): " + "; ".join(_got(message, [n], wrong[n]) for n in wrong))


def _got(message: Any, names: list[str], expected: str) -> str:
    return "; ".join(
        f"{name} must be {expected}, got {type(getattr(message, name)).__name__} "
        f"{_short.repr(getattr(message, name))}"
        for name in names
    )


class Factory(Generic[M]):
    """:func:`new` for one class, named and called like the original factory
    (``node_health("a@host", "healthy", system=system)``)."""

    def __init__(self, cls: type[M]) -> None:
        plan = _plan(cls)
        self.cls = cls
        self.__name__ = self.__qualname__ = plan.spec.kind
        self.__doc__ = f"A :class:`{cls.__name__}` (see :func:`actors.messages.new`)."
        self.__signature__ = _signature(plan)

    def __call__(self, *args: Any, system: ActorSystem | None = None, **fields: Any) -> M:
        return new(self.cls, *args, system=system, **fields)

    def __repr__(self) -> str:
        return f"<factory {self.__name__}{self.__signature__}>"


def _signature(plan: _Plan) -> inspect.Signature:
    spec = plan.spec
    by_field = dict(spec.aliases)
    params = [
        inspect.Parameter(
            arg,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=inspect.Parameter.empty if by_field.get(arg, arg) in plan.needed else None,
        )
        for arg in spec.args
    ]
    taken = set(plan.positional)
    params += [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=None)
        for f in plan.fields
        if f.name not in taken
    ]
    params.append(inspect.Parameter("system", inspect.Parameter.KEYWORD_ONLY, default=None))
    return inspect.Signature(params)
