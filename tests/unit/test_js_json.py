"""js_json: what it refuses, and the number and key rules written out (node checks the rest:
tests/integration/test_js_json.py)."""

from __future__ import annotations

import pytest

from wash_actions.trust import js_json


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (10.0, "10"),
        (10, "10"),
        (-0.0, "0"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (1.5e-10, "1.5e-10"),
        (123.456, "123.456"),
        (2**53 + 1, "9007199254740992"),
        (float("inf"), "null"),
        (float("nan"), "null"),
    ],
)
def test_numbers_are_written_as_number_to_string(value: float, text: str) -> None:
    assert js_json.stringify(value) == text


def test_array_index_keys_come_first_in_numeric_order():
    assert js_json.stringify({"b": 1, "10": 2, "9": 3, "01": 4, "a": 5}) == '{"9":3,"10":2,"b":1,"01":4,"a":5}'


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"name": "\\ud800"}', "/name holds a lone UTF-16 surrogate (\\ud800)"),
        ('["ok", "x\\udc00"]', "/1 holds a lone UTF-16 surrogate (\\udc00)"),
        ('{"a/b~": {"\\udbff": 1}}', "key /a~1b~0/\\udbff holds a lone UTF-16 surrogate"),
        ('{"n": NaN}', "NaN is not a JSON value"),
        ("[Infinity]", "Infinity is not a JSON value"),
        ('{"n": 1e400}', "beyond the range of a double"),
        ('{"n": -1e999}', "beyond the range of a double"),
        ("[" * 129 + "]" * 129, "more than 128 deep"),
        ("[" * 100_000 + "]" * 100_000, "more than 128 deep"),
        ('{"a": 1,}', "not JSON"),
        ("\ufeff{}", "not JSON"),
    ],
)
def test_parse_refuses_what_cannot_be_signed(text: str, says: str) -> None:
    with pytest.raises(js_json.JsonError, match=None) as caught:
        js_json.parse(text)
    assert says in str(caught.value)


def test_a_surrogate_pair_is_one_character_not_an_error():
    assert js_json.parse('"\\ud83d\\ude00"') == "😀"


def test_stringify_refuses_what_json_has_no_form_for():
    with pytest.raises(js_json.JsonError):
        js_json.stringify({1: "a"})
    with pytest.raises(js_json.JsonError):
        js_json.stringify(b"bytes")
    nested: list[object] = []
    for _ in range(600):
        nested = [nested]
    with pytest.raises(js_json.JsonError):
        js_json.stringify(nested)
