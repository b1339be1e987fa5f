"""Hypothesis strategies that build valid instances of every catalogue class.

The strategies are derived from each class's declared field types, so a new
field or class is covered without editing this file. The tests here check
the strategies themselves; the codec and signing tests import them.
"""

from __future__ import annotations

import types
import typing
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import actors
from actors import messages

MESSAGE_CLASSES: tuple[type[Any], ...] = messages.MESSAGE_TYPES

texts = st.text(max_size=12)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)

json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=8,
)

json_objects = st.dictionaries(texts, json_values, max_size=4)

timestamps = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.just(UTC),
).map(lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000))
"""Aware UTC datetimes at millisecond precision, like the factories make."""

numbers = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**53), 2**53)
"""What a float field accepts: floats, and ints (stored as floats)."""


def strategy_for(tp: Any) -> st.SearchStrategy[Any]:
    """Values of the declared field type ``tp``."""
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: texts,
        int: st.integers(),
        float: numbers,
        bool: st.booleans(),
        datetime: timestamps,
        Any: json_values,
    }
    if tp in simple:
        return simple[tp]
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        return st.one_of([st.none() if a is type(None) else strategy_for(a) for a in args])
    if origin is tuple:
        return st.lists(strategy_for(args[0]), max_size=4).map(tuple)
    if origin is dict:
        values = json_values if args[1] is Any else strategy_for(args[1])
        return st.dictionaries(texts, values, max_size=4)
    raise TypeError(f"no strategy for {tp!r}")


def messages_of(cls: type[Any]) -> st.SearchStrategy[Any]:
    """Valid instances of the catalogue class ``cls``."""
    attrs.resolve_types(cls)
    return st.builds(cls, **{a.name: strategy_for(a.type) for a in attrs.fields(cls)})


any_message = st.sampled_from(MESSAGE_CLASSES).flatmap(messages_of)
"""A valid instance of any of the 36 classes."""


def test_the_catalogue_has_thirty_six_classes_and_a_strategy_for_each() -> None:
    names = [cls.__name__ for cls in MESSAGE_CLASSES]

    assert 36 == len(set(names))
    for cls in MESSAGE_CLASSES:
        assert messages_of(cls) is not None


@pytest.mark.parametrize("cls", MESSAGE_CLASSES, ids=lambda cls: cls.__name__)
@given(data=st.data())
def test_every_generated_message_passes_validation(cls: type[Any], data: st.DataObject) -> None:
    message = data.draw(messages_of(cls))

    assert actors.Ok(message) == messages.validate(message)
