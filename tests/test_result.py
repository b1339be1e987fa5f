"""Ok / Error result values."""

from __future__ import annotations

import pytest

from actors import Error, Ok


def test_ok_carries_a_value_and_details_and_is_truthy() -> None:
    result = Ok(delivered=3)

    assert result
    assert 3 == result.delivered
    assert result.value is None
    assert Ok(delivered=3) == result
    assert "Ok(delivered=3)" == repr(result)


def test_error_carries_a_reason_and_is_falsy() -> None:
    result = Error("no_instance", instance="ex_esdb_health")

    assert not result
    assert "no_instance" == result.reason
    assert "ex_esdb_health" == result.instance
    assert "Error('no_instance', instance='ex_esdb_health')" == repr(result)


def test_results_work_with_match() -> None:
    def describe(result: Ok | Error) -> str:
        match result:
            case Ok(delivered=n):
                return f"delivered {n}"
            case Error(reason="no_instance"):
                return "no instance"
            case Error(reason=other):
                return f"error {other}"
        return "?"

    assert "delivered 2" == describe(Ok(delivered=2))
    assert "no instance" == describe(Error("no_instance"))
    assert "error timeout" == describe(Error("timeout"))


def test_results_are_immutable_and_hashable() -> None:
    result = Ok("value", n=1)

    with pytest.raises(AttributeError, match="immutable"):
        result.value = 2
    with pytest.raises(AttributeError, match="no detail 'missing'"):
        _ = result.missing
    assert {Ok("value", n=1), Error("x")} == {Ok("value", n=1), Error("x")}
